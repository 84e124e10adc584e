"""The backend switch: the one place that knows which backend is active.

A backend is a private subpackage ``brainjit.math._<name>`` exposing ``NAMESPACE``, a
dict of every public name of ``bp.math`` on that backend (numpy-like functions, the
array and Variable classes, ``random``, ``linalg``, ``fft``, ``jit`` ...). Switching
backends copies that dict into the ``brainjit.math`` module, so ``bp.math.zeros`` is a
plain attribute lookup that resolves to the active backend's function. Backends are
imported lazily: JAX is only imported when the jax backend is first used.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import types
from collections.abc import Iterator

BACKENDS = ("numpy", "jax")
ENVIRONMENT_VARIABLE = "BRAINJIT_BACKEND"
_state = {"name": None, "installed": frozenset()}


def _public_module():
    return sys.modules["brainjit.math"]


def load(name: str):
    """Import (once) and return the backend subpackage called ``name``."""
    if name not in BACKENDS:
        raise ValueError(
            f"Unknown backend {name!r}; valid backends are {', '.join(map(repr, BACKENDS))}."
        )
    return importlib.import_module(f"brainjit.math._{name}")


def use_backend(name: str) -> None:
    """Make ``name`` ('numpy' or 'jax') the active backend of ``bp.math``.

    Names looked up on ``bp.math`` afterwards resolve to that backend. Arrays created
    under the previous backend keep their type.
    """
    if not isinstance(name, str):
        raise TypeError(f"use_backend() expects a backend name (str), got {type(name).__name__}")
    name = name.lower()
    if name == _state["name"]:
        return
    namespace = load(name).NAMESPACE
    module = _public_module()
    for stale in _state["installed"] - namespace.keys():
        module.__dict__.pop(stale, None)
    module.__dict__.update(namespace)
    # ``from brainjit.math.random import normal`` (linalg, fft): the active backend's
    for key in ("random", "linalg", "fft"):
        sub = namespace.get(key)
        if isinstance(sub, types.ModuleType):
            sys.modules[f"brainjit.math.{key}"] = sub
    _state["name"] = name
    _state["installed"] = frozenset(namespace)


def use_backend_from_environment() -> None:
    """Activate the backend named by ``$BRAINJIT_BACKEND`` ('numpy' when unset or empty).

    Called once by ``import brainjit``: ``BRAINJIT_BACKEND=jax python script.py`` runs a
    script written for the default backend on the jax backend.
    """
    name = os.environ.get(ENVIRONMENT_VARIABLE, "").strip() or "numpy"
    if name.lower() not in BACKENDS:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE}={name!r} names no backend; set it to one of "
            f"{', '.join(map(repr, BACKENDS))} or unset it (the default is 'numpy')."
        )
    use_backend(name)


def get_backend_name() -> str:
    """The name of the active backend: 'numpy' or 'jax'."""
    return _state["name"]


@contextlib.contextmanager
def backend(name: str) -> Iterator[None]:
    """Context manager that activates ``name`` and restores the previous backend on exit.

    >>> with bp.math.backend('jax'):
    ...     x = bp.math.zeros(3)      # a JaxArray
    """
    previous = get_backend_name()
    use_backend(name)
    try:
        yield
    finally:
        use_backend(previous)
