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

import importlib.util
import os
import sys
import tempfile
import types
from pathlib import Path

import numba

__all__ = ["cache_dir", "load_function"]

_ENV = "BRAINJIT_CACHE_DIR"
_SUBDIR = f"jit-numba{numba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"


def cache_dir() -> Path:
    """Where generated jit modules are written.

    ``$BRAINJIT_CACHE_DIR/jit-…`` when that variable is set, else
    ``~/.cache/brainjit/jit-…`` (``$XDG_CACHE_HOME`` respected), else a folder in the
    system's temporary directory when those are not writable. The variable is read on
    every call, so it can be changed at run time (tests do).
    """
    root = os.environ.get(_ENV)
    if root:
        candidates = [Path(root)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        candidates = [(Path(xdg) if xdg else Path.home() / ".cache") / "brainjit"]
    candidates.append(Path(tempfile.gettempdir()) / f"brainjit-cache-{os.getuid()}")
    for base in candidates:
        path = base / _SUBDIR
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise OSError(f"brainjit: no writable cache directory; set ${_ENV} to a writable folder")


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds exactly that text.

    An existing file is never rewritten: Numba's on-disk cache is keyed on the source
    file's modification time. New files are written atomically (rename), so concurrent
    processes never see a partial file.
    """
    try:
        if path.read_text() == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_function(file_stem: str, text: str, func_name: str, namespace: dict):
    """Write ``text`` to ``<cache>/<file_stem>.py``, import it, fill in its globals from
    ``namespace`` and return its function ``func_name``."""
    path = cache_dir() / f"{file_stem}.py"
    _write(path, text)
    module_name = f"_brainjit_jit_{file_stem}"
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        assert isinstance(module, types.ModuleType) and spec.loader is not None
        module.__dict__.update(namespace)
        spec.loader.exec_module(module)
        sys.modules[module_name] = module
    module.__dict__.update(namespace)
    return getattr(module, func_name)
