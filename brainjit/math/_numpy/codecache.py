"""Generated jit source, written to module files in the cache directory and imported.

Numba caches compiled code only for functions that live in a file (not for functions
created by ``exec``), and tracebacks are readable only when the source lines exist.
So every function the jit rewriter generates is written to a module file named by a
digest of everything its compiled code depends on (its text, the values of its
constants, the digests of the functions it calls, the compiler options); the module is
imported and its globals filled in before Numba compiles it. The same object structure
generates the same file in every process, so Numba's on-disk cache (``cache=True``) is
reused across runs, and different objects with identical code share one file and one
compiled function.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numba

from brainjit import _cache

__all__ = ["cache_dir", "load_function"]

_SUBDIR = f"jit-numba{numba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"


def cache_dir() -> Path:
    """Where generated jit modules are written (see :func:`brainjit._cache.cache_dir`):
    one folder per Numba, Python and brainjit code (:func:`brainjit._cache.package_digest`)."""
    return _cache.cache_dir(f"{_SUBDIR}-{_cache.package_digest()}")


def load_function(file_stem: str, text: str, func_name: str, namespace: dict):
    """Write ``text`` to ``<cache>/<file_stem>.py``, import it, fill in its globals from
    ``namespace`` and return its function ``func_name``."""
    path = cache_dir() / f"{file_stem}.py"
    _cache.write_source(path, text)
    module_name = f"_brainjit_jit_{file_stem}"
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        module = _cache.import_file(module_name, path, namespace)
    module.__dict__.update(namespace)
    return getattr(module, func_name)
