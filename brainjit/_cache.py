"""The cache directory for generated source (jit functions, integrators, run loops), and
the guarantees of the on-disk cache of compiled code.

Numba caches compiled code only for functions that live in a file, and tracebacks are
readable only when the source lines exist, so every generator writes its modules here.

The cache is never stale: generated modules are named by a digest of everything their
code depends on, the folder of compiled code by a digest of brainjit's own files
(:func:`package_digest`), and every entry of Numba's disk cache is keyed, besides what
Numba itself checks (the function's file and bytecode), by :func:`function_digest`: the
code and constants of every Python function the compiled code can reach (user
``@njit`` functions it calls, and the functions they call, transitively).

The cache is never fatal: a file of it that cannot be read (cut short, overwritten) is
removed and its code compiled again, with a :class:`CacheDamageWarning` that names it
(:func:`guard_numba_cache`; :func:`write_source` for generated modules).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import types
import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "CacheDamageWarning",
    "cache_dir",
    "function_digest",
    "guard_numba_cache",
    "import_file",
    "package_digest",
    "write_source",
]

ENV = "BRAINJIT_CACHE_DIR"


def cache_dir(subdir: str) -> Path:
    """``$BRAINJIT_CACHE_DIR/<subdir>`` when that variable is set, else
    ``~/.cache/brainjit/<subdir>`` (``$XDG_CACHE_HOME`` respected), else a folder in the
    system's temporary directory when those are not writable. The variable is read on
    every call, so it can be changed at run time (tests do)."""
    root = os.environ.get(ENV)
    if root:
        candidates = [Path(root)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        candidates = [(Path(xdg) if xdg else Path.home() / ".cache") / "brainjit"]
    candidates.append(Path(tempfile.gettempdir()) / f"brainjit-cache-{os.getuid()}")
    for base in candidates:
        path = base / subdir
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise OSError(f"brainjit: no writable cache directory; set ${ENV} to a writable folder")


def write_source(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds exactly that text.

    An existing file is never rewritten: Numba's on-disk cache is keyed on the source
    file. New files are written atomically (rename), so concurrent processes never see a
    partial file. Generated files are named by a digest of their text, so an existing
    file with other contents is damaged: it is written again, with a
    :class:`CacheDamageWarning`.
    """
    try:
        old = path.read_bytes()
    except OSError:
        old = None
    if old == text.encode():
        return
    if old is not None:
        damaged(path, "its text is not what generated it", remove=False)
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


@functools.cache
def package_digest() -> str:
    """A digest of brainjit's own Python files (their paths and contents).

    Numba's on-disk cache of a function is keyed on that function's file only; code it
    calls from elsewhere (brainjit's kernels and ``@overload`` implementations, inlined
    into it) can change without it noticing. Caches of compiled code are kept in a folder
    named with this digest, so a changed brainjit never loads code compiled by another.
    """
    return tree_digest(Path(__file__).resolve().parent)


def tree_digest(root: Path) -> str:
    """A digest of the ``*.py`` files under ``root``: their relative paths and contents."""
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# -- damaged files ----------------------------------------------------------------------


class CacheDamageWarning(RuntimeWarning):
    """A file of the on-disk cache could not be used (cut short, overwritten ...): it was
    removed, and the code it held is compiled again."""


def damaged(path, error, remove: bool = True) -> None:
    """Warn that the cached file ``path`` is damaged (``error``: what is wrong with it) and
    remove it (unless ``remove`` is false: the caller writes it again)."""
    if remove:
        try:
            os.unlink(path)
        except OSError:
            pass
    reason = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
    done = "it was removed and its code is compiled again" if remove else "it is written again"
    warnings.warn(
        f"brainjit: the cached file {path} is damaged ({reason}); {done}",
        CacheDamageWarning,
        stacklevel=3,
    )


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Imports a generated module from its source, never from (or into) a ``.pyc`` file:
    a damaged ``.pyc`` cannot break the import, and the source is small."""

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


def import_file(module_name: str, path: Path, namespace: dict) -> types.ModuleType:
    """Import the generated module at ``path`` as ``module_name`` (registered in
    ``sys.modules``), ``namespace`` placed in its globals before its code runs."""
    loader = SourceOnlyLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(namespace)
    sys.modules[module_name] = module  # as an import does (Numba may look it up)
    try:
        loader.exec_module(module)
    except BaseException:
        if sys.modules.get(module_name) is module:
            del sys.modules[module_name]
        raise
    return module


_NUMBA: dict = {}  # Numba's own versions of the methods guard_numba_cache replaces


def guard_numba_cache() -> None:
    """Make Numba's on-disk cache never stale and never fatal (idempotent):

    - every entry is keyed, besides Numba's own key, by :func:`function_digest` of the
      cached function: a change in a function it calls (which Numba does not see) makes
      a new entry; and by LLVM's optimisation level (``NUMBA_OPT``), which Numba's key
      leaves out;
    - an index (``.nbi``) or data (``.nbc``) file that cannot be read or rebuilt is
      removed and the function compiled again, with a :class:`CacheDamageWarning`
      (Numba would raise the unpickling error on every call, in every process).
    """
    if _NUMBA:
        return
    from numba.core import caching, config

    index_file, cache = caching.IndexDataCacheFile, caching.Cache
    _NUMBA.update(
        load_index=index_file._load_index,
        load_data=index_file._load_data,
        load_overload=cache.load_overload,
        index_key=cache._index_key,
    )

    def _load_index(self):
        try:
            return _NUMBA["load_index"](self)
        except Exception as error:  # noqa: BLE001 - a damaged file, whatever the error
            damaged(self._index_path, error)
            return {}

    def _load_data(self, name):
        try:
            return _NUMBA["load_data"](self, name)
        except OSError:
            raise  # Numba's: the file was removed meanwhile (a miss)
        except Exception as error:  # noqa: BLE001
            damaged(self._data_path(name), error)
            return None

    def load_overload(self, sig, target_context):
        try:
            return _NUMBA["load_overload"](self, sig, target_context)
        except Exception as error:  # noqa: BLE001 - read, but cannot be rebuilt
            files = self._cache_file
            try:
                name = files._load_index().get(self._index_key(sig, target_context.codegen()))
            except Exception:  # noqa: BLE001
                name = None
            damaged(files._data_path(name) if name else files._index_path, error)
            return None

    def _index_key(self, sig, codegen):
        key = _NUMBA["index_key"](self, sig, codegen)
        try:
            digest = function_digest(self._py_func)
        except Exception:  # noqa: BLE001 - never a reason not to compile
            digest = "?"
        # LLVM's optimisation level (NUMBA_OPT), which Numba's key leaves out: code built
        # at -O0 (for debugging, or the test suite) is never loaded where -O3 is asked for
        level = f"opt={int(config.OPT)}"
        return key[:-1] + (tuple(key[-1]) + (digest, level),)

    index_file._load_index = _load_index
    index_file._load_data = _load_data
    cache.load_overload = load_overload
    cache._index_key = _index_key


# -- what compiled code depends on -------------------------------------------------------

# top-level packages whose functions are not walked into (named only): brainjit's own
# (its files' digest keys the cache folder), NumPy's and Numba's, the standard library's
_SHALLOW = frozenset(sys.stdlib_module_names) | {"brainjit", "numpy", "numba", "llvmlite"}


def _shallow(module_name) -> bool:
    return (module_name or "").split(".")[0] in _SHALLOW


def function_digest(func) -> str:
    """A digest of the code of ``func`` (a function or a Numba dispatcher) and of every
    Python function its compiled code can reach.

    Numba compiles the functions a function calls into it, and freezes the module
    globals it reads as constants; its on-disk cache notices none of their changes
    (only the cached function's own file and bytecode). This digest covers, for
    ``func`` and, transitively, every function or ``@njit`` dispatcher it refers to
    (by a global name, through a module, in its closure or defaults): the bytecode,
    constants and names of its code, its defaults, and the values of the globals and
    closure variables it reads. Functions of brainjit, NumPy, Numba and the standard
    library are named, not walked into. The digest is the same in every process for the
    same code."""
    entries, seen, todo = [], set(), [func]
    while todo:
        f = _python_function(todo.pop())
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        entries.append(_own_text(f, todo))
    digest = hashlib.sha256()
    for text in sorted(entries):
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:16]


def _python_function(value):
    if isinstance(value, types.FunctionType):
        return value
    py_func = getattr(value, "py_func", None)  # a Numba dispatcher
    return py_func if isinstance(py_func, types.FunctionType) else None


def _names(code: types.CodeType) -> set:
    """The global and attribute names ``code`` (and the code nested in it) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _own_text(func: types.FunctionType, todo: list) -> str:
    """What ``func`` compiles from, but for the functions it refers to (which are added
    to ``todo``)."""
    code = func.__code__
    parts = [f"{func.__module__}.{func.__qualname__}", _code_text(code)]
    if _shallow(func.__module__):  # brainjit's own (its files' digest covers the rest)
        return "\n".join(parts)
    parts.append("defaults=" + _value_text(func.__defaults__, todo))
    kwdefaults = tuple(sorted((func.__kwdefaults__ or {}).items()))
    parts.append("kwdefaults=" + _value_text(kwdefaults, todo))
    for name, cell in zip(code.co_freevars, func.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            parts.append(f"{name}=<empty>")
            continue
        parts.append(f"{name}=" + _value_text(value, todo))
    names = sorted(_names(code))
    modules = []
    for name in names:
        if name in func.__globals__:
            value = func.__globals__[name]
            parts.append(f"{name}=" + _value_text(value, todo))
            if isinstance(value, types.ModuleType) and not _shallow(value.__name__):
                modules.append(value)
    for module in modules:  # module.attribute: any of the names may be one
        for name in names:
            if name in vars(module):
                parts.append(f"{module.__name__}.{name}=" + _value_text(vars(module)[name], todo))
    return "\n".join(parts)


@functools.lru_cache(maxsize=4096)
def _code_text(code: types.CodeType) -> str:
    return repr(
        (
            code.co_name,
            code.co_argcount,
            code.co_posonlyargcount,
            code.co_kwonlyargcount,
            code.co_flags,
            code.co_code.hex(),
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_cellvars,
            [_const_text(c) for c in code.co_consts],
        )
    )


def _const_text(const) -> str:
    if isinstance(const, types.CodeType):
        return _code_text(const)
    if isinstance(const, tuple):
        return "(" + ",".join(_const_text(c) for c in const) + ")"
    if isinstance(const, frozenset):  # its order follows the (per-process) string hashes
        return "frozenset(" + ",".join(sorted(_const_text(c) for c in const)) + ")"
    return f"{type(const).__name__}:{const!r}"


def _value_text(value, todo: list) -> str:
    """A text that changes when ``value`` (a global, closure variable or default of
    compiled code) would compile differently; functions it names are added to ``todo``."""
    try:
        return _value_text_of(value, todo)
    except Exception:  # noqa: BLE001 - a strange object (its repr failed ...)
        return f"object:{_qualified(type(value))}"


def _value_text_of(value, todo: list) -> str:
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.str}:{value!r}"
    if isinstance(value, np.ndarray):
        data = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]
        return f"array:{value.dtype.str}{value.shape}:{data}"
    if isinstance(value, tuple):
        return "tuple(" + ",".join(_value_text(v, todo) for v in value) + ")"
    if isinstance(value, (list, dict, set)):  # not constants of compiled code (and they
        return _qualified(type(value))  # change while a process runs): their type only
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, enum.Enum):
        return f"enum:{type(value).__module__}.{type(value).__qualname__}.{value.name}"
    elementwise = getattr(value, "__brainjit_elementwise__", None)
    if isinstance(elementwise, types.FunctionType):  # bp.math.elementwise(f): f's code runs
        todo.append(elementwise)
        # its loop calls f's generated kernel: generated (its modules imported) now, as
        # the cached code of a caller needs before it loads
        from brainjit.math import _elementwise

        try:
            _elementwise.kernel_key(elementwise)
        except Exception:  # noqa: BLE001 - reported when the call is compiled
            pass
        return f"elementwise:{_qualified(elementwise)}:{value.__brainjit_aliases__!r}"
    func = _python_function(value)
    if func is not None:
        if not _shallow(func.__module__):
            todo.append(func)
        text = f"{type(value).__name__}:{_qualified(func)}"
        options = getattr(value, "targetoptions", None)  # a dispatcher's (fastmath ...)
        if isinstance(options, dict):
            text += ":" + repr(sorted((k, repr(v)) for k, v in options.items()))
        return text
    if isinstance(value, type):
        return f"type:{_qualified(value)}"
    text = repr(value)
    if " at 0x" in text or len(text) > 1000:  # not the same in every process
        return f"object:{_qualified(type(value))}"
    return f"{_qualified(type(value))}:{text}"


def _qualified(obj) -> str:
    return f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', None)}"
