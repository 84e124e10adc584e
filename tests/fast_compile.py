"""The compilers' optimisation levels of the test suite.

The tests compile with LLVM's optimisation off: Numba at ``-O0`` (``NUMBA_OPT=0``) and
XLA's CPU backend at level 0 (``--xla_backend_optimization_level=0``). Optimisation is
about a quarter of a cold compilation on either backend, in a suite whose time is
mostly compilation. A variable set already in the environment is left as it is.

What the code computes stays the same: Numba gives the same numbers at either level
(brainjit asks for no fast-math, so no multiply-adds are contracted). XLA may contract
fewer multiply-adds at level 0: float32 results can differ in their last bits (a few
units of 1e-7 relative per operation), within the tolerances of the jax tests, which
are set by float32 rounding, not by one compiler's.

Where the optimisation itself is tested (vectorised loops: ``@pytest.mark.optimised``),
the tests are skipped here and run at the default levels in a process of their own
(``tests/test_optimised.py``). The example programs (``tests/test_examples.py``) and the
scripts of the on-disk cache's tests run as users run them, at both compilers' default
levels (:func:`as_users_run`; Numba does not cache some -O0 code: "uses dynamic
globals"), and Numba's on-disk cache keeps code of different levels apart
(``brainjit/_cache.py``).
"""

from __future__ import annotations

import os

LEVELS = {"NUMBA_OPT": "0", "XLA_FLAGS": "--xla_backend_optimization_level=0"}
#: set (to 1) in the process that runs the tests marked ``optimised`` (test_optimised.py)
OPTIMISED = "BRAINJIT_TESTS_OPTIMISED"


def apply() -> None:
    """Set :data:`LEVELS` in this process's environment (before Numba is imported and
    before JAX starts a backend), where not set already; not in the process of the
    ``optimised`` tests."""
    if os.environ.get(OPTIMISED):
        return
    for name, value in LEVELS.items():
        os.environ.setdefault(name, value)


def active() -> bool:
    """Whether this process compiles at a level :func:`apply` set."""
    return any(os.environ.get(name) == value for name, value in LEVELS.items())


def as_users_run(env: dict) -> dict:
    """``env`` without the levels :func:`apply` set (the compilers' defaults)."""
    return {k: v for k, v in env.items() if LEVELS.get(k) != v}
