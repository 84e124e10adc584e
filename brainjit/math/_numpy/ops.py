"""The numpy-like namespace of the numpy backend: NumPy's own functions.

Dtypes and constants are NumPy's own objects. Every NumPy function (ufuncs included) is
wrapped once so that an array it returns is this backend's :class:`ndarray` (with the
in-place semantics) whatever its inputs (``bp.math.add([1], [2])`` too); the wrapper
keeps the NumPy function in ``__wrapped__`` so that compiled code (Numba) calls NumPy's
function directly.
"""

from __future__ import annotations

import functools
import types

import numpy as np

from brainjit.math._numpy.ndarray import ndarray

# Public NumPy names that are not part of the array API (packaging, testing, C glue).
EXCLUDED = {
    "char": "string operations on arrays of str (not numeric)",
    "core": "NumPy internals",
    "ctypeslib": "ctypes interop",
    "dtypes": "dtype classes module",
    "emath": "complex-valued math module",
    "exceptions": "exception classes module",
    "f2py": "Fortran wrapper generator",
    "lib": "NumPy internals",
    "ma": "masked arrays",
    "polynomial": "polynomial module",
    "rec": "record arrays",
    "strings": "string operations on arrays of str (not numeric)",
    "testing": "NumPy's test helpers",
    "typing": "static typing helpers",
    "test": "NumPy's test runner",
    "show_config": "NumPy's build information",
    "show_runtime": "NumPy's runtime information",
    "get_include": "C headers location",
    "info": "help viewer",
}


def to_ndarray(result):
    """View plain ndarrays in ``result`` (or a tuple/list of them) as :class:`ndarray`."""
    if type(result) is np.ndarray:
        return result.view(ndarray)
    if isinstance(result, np.ufunc):  # np.frompyfunc's result
        return ufunc(result)
    if isinstance(result, (tuple, list)) and any(type(r) is np.ndarray for r in result):
        items = [to_ndarray(r) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result


def wrap(func):
    """Wrap a NumPy function so that it returns this backend's :class:`ndarray`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return to_ndarray(func(*args, **kwargs))

    return wrapper


class ufunc:  # noqa: N801  (mirrors numpy.ufunc)
    """A NumPy ufunc whose array results are this backend's :class:`ndarray`.

    Calls and the ufunc methods (``reduce``, ``accumulate``, ``outer``, ``reduceat``,
    ``at``) go to the NumPy ufunc in ``__wrapped__``; its attributes (``nin``,
    ``identity`` ...) read through.
    """

    def __init__(self, func: np.ufunc):
        self.__wrapped__ = func
        self.__name__ = self.__qualname__ = func.__name__
        self.__doc__ = func.__doc__

    def __call__(self, *args, **kwargs):
        return to_ndarray(self.__wrapped__(*args, **kwargs))

    def reduce(self, *args, **kwargs):
        return to_ndarray(self.__wrapped__.reduce(*args, **kwargs))

    def accumulate(self, *args, **kwargs):
        return to_ndarray(self.__wrapped__.accumulate(*args, **kwargs))

    def outer(self, *args, **kwargs):
        return to_ndarray(self.__wrapped__.outer(*args, **kwargs))

    def reduceat(self, *args, **kwargs):
        return to_ndarray(self.__wrapped__.reduceat(*args, **kwargs))

    def at(self, *args, **kwargs) -> None:
        self.__wrapped__.at(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return f"<ufunc {self.__name__!r} (numpy backend)>"

    def __reduce__(self):
        return (ufunc, (self.__wrapped__,))


class vectorize(np.vectorize):  # noqa: N801  (mirrors numpy.vectorize)
    """``numpy.vectorize`` whose array results are this backend's :class:`ndarray`."""

    def __call__(self, *args, **kwargs):
        return to_ndarray(super().__call__(*args, **kwargs))


class index_trick:  # noqa: N801
    """``numpy.r_``, ``c_``, ``mgrid``, ``ogrid`` whose arrays are this backend's ndarray."""

    def __init__(self, obj, name: str):
        self.__wrapped__ = obj
        self._name = name

    def __getitem__(self, key):
        return to_ndarray(self.__wrapped__[key])

    def __repr__(self) -> str:
        return f"bp.math.{self._name}"


def namespace_of(module, exclude=()) -> dict:
    """The public names of a NumPy module, with its functions wrapped."""
    out = {}
    for name in dir(module):
        if name.startswith("_") or name in exclude:
            continue
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, np.ufunc):
            obj = ufunc(obj)
        elif callable(obj) and not isinstance(obj, type):
            obj = wrap(obj)
        out[name] = obj
    return out


def as_module(name: str, doc: str, members: dict) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(members)
    module.__all__ = sorted(members)
    return module


NAMESPACE = namespace_of(np, EXCLUDED)
NAMESPACE["ndarray"] = ndarray
NAMESPACE["vectorize"] = vectorize
NAMESPACE.update(
    {name: index_trick(getattr(np, name), name) for name in ("r_", "c_", "mgrid", "ogrid")}
)
NAMESPACE["linalg"] = as_module(
    "brainjit.math.linalg", "numpy.linalg on the numpy backend.", namespace_of(np.linalg, EXCLUDED)
)
NAMESPACE["fft"] = as_module(
    "brainjit.math.fft", "numpy.fft on the numpy backend.", namespace_of(np.fft, EXCLUDED)
)
