"""The compilers' optimisation levels of the test suite.

The tests compile with LLVM's optimisation off: Numba at ``-O0`` (``NUMBA_OPT=0``) and
XLA's CPU backend at level 0 (``--xla_backend_optimization_level=0``). Optimisation
changes how fast compiled code runs, not what it computes (brainjit asks neither
compiler for fast-math), and it is about a quarter of a cold compilation on either
backend: of a suite whose time is mostly compilation. A variable set already in the
environment is left as it is.

The example programs (``tests/test_examples.py``) run as users run them, at both
compilers' default levels (:func:`as_users_run`), and Numba's on-disk cache keeps code of
different levels apart (``brainjit/_cache.py``).
"""

from __future__ import annotations

import os

LEVELS = {"NUMBA_OPT": "0", "XLA_FLAGS": "--xla_backend_optimization_level=0"}


def apply() -> None:
    """Set :data:`LEVELS` in this process's environment (before Numba is imported and
    before JAX starts a backend), where not set already."""
    for name, value in LEVELS.items():
        os.environ.setdefault(name, value)


def as_users_run(env: dict) -> dict:
    """``env`` without the levels :func:`apply` set (the compilers' defaults)."""
    return {k: v for k, v in env.items() if LEVELS.get(k) != v}
