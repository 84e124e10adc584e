"""Generated source, written to module files and imported.

Integrators generate the Python source of their step functions. Numba caches only
functions that live in a file, and tracebacks are only readable when the source can be
shown, so each generated function is written to a module file in the cache directory
and imported from there, with the user's functions placed in the module's globals
before its code runs.

A file's name is a digest of its text, and the text records a fingerprint of every user
function it calls: two different derivative functions never share a file (so Numba's
on-disk cache of one is never used for the other), and the same function generates the
same file in every process (so the cache is reused across runs).
"""

from __future__ import annotations

import hashlib
import re
import types
from pathlib import Path

from brainjit import _cache

__all__ = ["cache_dir", "fingerprint", "identifier", "load_module"]


def cache_dir() -> Path:
    """Where generated integrator modules are written (see
    :func:`brainjit._cache.cache_dir`)."""
    return _cache.cache_dir("integrators")


def identifier(name: str) -> str:
    """``name`` turned into a valid Python identifier (for generated function names)."""
    name = re.sub(r"\W", "_", name).strip("_") or "f"
    return name if name[0].isalpha() else f"f_{name}"


def _digest_value(value, h) -> None:
    """Feed a constant (closure cell, code constant) into the hash ``h``."""
    if isinstance(value, types.CodeType):
        _digest_code(value, h)
    elif hasattr(value, "tobytes") and hasattr(value, "dtype"):
        h.update(f"array{getattr(value, 'shape', ())}{value.dtype}".encode())
        h.update(value.tobytes())
    elif isinstance(value, (tuple, list, frozenset, set)):
        h.update(type(value).__name__.encode())
        for item in value if not isinstance(value, (set, frozenset)) else sorted(map(repr, value)):
            _digest_value(item, h)
    elif isinstance(value, (int, float, complex, str, bytes, bool, type(None))):
        h.update(repr(value).encode())
    elif callable(value) and id(value) not in _in_progress:
        h.update(fingerprint(value).encode())
    else:
        h.update(type(value).__qualname__.encode())


def _digest_code(code: types.CodeType, h) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    h.update(repr(code.co_varnames).encode())
    for const in code.co_consts:
        _digest_value(const, h)


def fingerprint(func) -> str:
    """A digest of what a function computes: its name, code, constants and closure.

    Values of the globals it reads are not included (as in Numba's own cache, a
    compiled function keeps the global values it saw when it was compiled).
    """
    func = getattr(func, "py_func", func)  # a numba dispatcher: its Python function
    _in_progress.add(id(func))
    try:
        return _fingerprint(func)
    finally:
        _in_progress.discard(id(func))


_in_progress: set[int] = set()  # functions being fingerprinted (recursive closures)


def _fingerprint(func) -> str:
    h = hashlib.sha1()
    h.update(f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}".encode())
    code = getattr(func, "__code__", None)
    if code is None:
        h.update(f"{type(func).__module__}.{type(func).__qualname__}".encode())
        h.update(getattr(func, "_brainjit_fingerprint", "").encode())
    else:
        _digest_code(code, h)
        for cell in getattr(func, "__closure__", None) or ():
            try:
                _digest_value(cell.cell_contents, h)
            except ValueError:  # an empty cell
                h.update(b"<empty>")
        _digest_value(getattr(func, "__defaults__", None), h)
    return h.hexdigest()[:16]


def load_module(source: str, stem: str, namespace: dict) -> types.ModuleType:
    """Write ``source`` to ``<cache>/<stem>_<digest>.py`` and import it.

    ``namespace`` (the user's functions, default values) is placed in the module's
    globals before its code runs. Each call returns a new module object.
    """
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    name = f"{identifier(stem)}_{digest}"
    path = cache_dir() / f"{name}.py"
    _cache.write_source(path, source)
    # registered in sys.modules, so that inspect, pickle and Numba can find it
    return _cache.import_file(f"_brainjit_generated_{name}", path, namespace)
