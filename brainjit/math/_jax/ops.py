"""The numpy-like namespace of the jax backend: ``jax.numpy`` returning JaxArray.

Every public name of NumPy's main namespace that ``jax.numpy`` also provides is
exported. Functions are wrapped once: JaxArrays among the arguments are unwrapped,
arrays among the results wrapped as JaxArray. Dtypes and constants are jax.numpy's own.
"""

from __future__ import annotations

import functools
import inspect
import types

import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.ndarray import JaxArray, check_dtype, unwrap, wrap
from brainjit.math._numpy.ops import EXCLUDED, as_module

__all__ = ["NAMESPACE", "check_dtype", "namespace_of", "ufunc", "wrap_function"]

# functions whose parameter called ``dtype`` is not a dtype requested for the result
_DTYPE_NOT_REQUESTED = {"isdtype"}


def _dtype_position(func, name: str) -> int | None:
    """The position of ``func``'s ``dtype`` parameter when it can be passed positionally."""
    if name in _DTYPE_NOT_REQUESTED:
        return None
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, param in enumerate(params):
        if param.name == "dtype" and param.kind in (
            param.POSITIONAL_ONLY,
            param.POSITIONAL_OR_KEYWORD,
        ):
            return i
    return None


def wrap_function(func, name: str | None = None):
    """Wrap a jax function: JaxArray arguments in, JaxArray results out.

    A 64-bit ``dtype`` argument (keyword or positional) raises while x64 is off, instead
    of being truncated to 32 bits.
    """
    name = name or func.__name__
    position = _dtype_position(func, name)
    checks_dtype = name not in _DTYPE_NOT_REQUESTED

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if checks_dtype and "dtype" in kwargs:
            check_dtype(name, kwargs["dtype"])
        if position is not None and len(args) > position:
            check_dtype(name, args[position])
        return wrap(func(*unwrap(args), **unwrap(kwargs)))

    return wrapper


class ufunc:  # noqa: N801  (mirrors numpy.ufunc)
    """A ``jax.numpy.ufunc`` taking and returning JaxArrays, with NumPy's ufunc methods.

    ``at`` works as NumPy's: ``bp.math.add.at(x, idx, 1)`` updates the JaxArray ``x`` in
    place (its ``.value`` is swapped) and returns None.
    """

    def __init__(self, func, name: str):
        self.__wrapped__ = func
        self.__name__ = self.__qualname__ = name
        self.__doc__ = func.__doc__
        self._call = wrap_function(func, name)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def reduce(self, *args, **kwargs):
        return wrap(self.__wrapped__.reduce(*unwrap(args), **unwrap(kwargs)))

    def accumulate(self, *args, **kwargs):
        return wrap(self.__wrapped__.accumulate(*unwrap(args), **unwrap(kwargs)))

    def outer(self, *args, **kwargs):
        return wrap(self.__wrapped__.outer(*unwrap(args), **unwrap(kwargs)))

    def reduceat(self, *args, **kwargs):
        return wrap(self.__wrapped__.reduceat(*unwrap(args), **unwrap(kwargs)))

    def at(self, a, indices, b=None, /) -> None:
        if not isinstance(a, JaxArray):
            raise TypeError(
                f"bp.math.{self.__name__}.at() updates a JaxArray in place; got {type(a).__name__}"
            )
        extra = () if b is None else (unwrap(b),)
        indices = unwrap(indices)
        if isinstance(indices, list):
            indices = jnp.asarray(indices)
        a.value = self.__wrapped__.at(a.value, indices, *extra, inplace=False)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return f"<ufunc {self.__name__!r} (jax backend)>"


def namespace_of(jax_module, numpy_module, exclude=()) -> dict:
    """Names of ``numpy_module`` that ``jax_module`` provides, functions wrapped."""
    out = {}
    for name in dir(numpy_module):
        if name.startswith("_") or name in exclude or not hasattr(jax_module, name):
            continue
        obj = getattr(jax_module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, jnp.ufunc):
            obj = ufunc(obj, name)
        elif callable(obj) and not isinstance(obj, type):  # dtypes and constants stay as they are
            obj = wrap_function(obj, name)
        out[name] = obj
    return out


def _array(obj, dtype=None, copy=True, order=None, ndmin=0):
    check_dtype("array", dtype)
    return JaxArray(jnp.array(unwrap(obj), dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def _asarray(a, dtype=None, order=None, copy=None):
    if isinstance(a, JaxArray) and dtype is None:
        return a
    check_dtype("asarray", dtype)
    return JaxArray(jnp.asarray(unwrap(a), dtype=dtype, order=order, copy=copy))


NAMESPACE = namespace_of(jnp, np, EXCLUDED)
NAMESPACE.update(array=_array, asarray=_asarray, ndarray=JaxArray)
NAMESPACE["linalg"] = as_module(
    "brainjit.math.linalg",
    "jax.numpy.linalg on the jax backend.",
    namespace_of(jnp.linalg, np.linalg),
)
NAMESPACE["fft"] = as_module(
    "brainjit.math.fft", "jax.numpy.fft on the jax backend.", namespace_of(jnp.fft, np.fft)
)
