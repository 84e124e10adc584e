"""The numpy-like namespace of the jax backend: ``jax.numpy`` returning JaxArray.

Every public name of NumPy's main namespace that ``jax.numpy`` also provides is
exported. Functions are wrapped once: JaxArrays among the arguments are unwrapped,
arrays among the results wrapped as JaxArray. Dtypes and constants are jax.numpy's own.
"""

from __future__ import annotations

import functools
import types

import jax.numpy as jnp
import numpy as np

from brainjit.math import _config
from brainjit.math._jax.ndarray import JaxArray, unwrap, wrap
from brainjit.math._numpy.ops import EXCLUDED, as_module

_WIDE = {np.dtype(t) for t in ("float64", "int64", "uint64", "complex128")}
_PYTHON_TYPES = (int, float, complex, bool)


def check_dtype(func_name: str, dtype) -> None:
    """Refuse a 64-bit dtype while JAX runs in 32-bit mode, instead of truncating it."""
    if dtype is None or dtype in _PYTHON_TYPES or _config.x64_enabled():
        return
    try:
        requested = np.dtype(dtype)
    except TypeError:
        return
    if requested in _WIDE:
        raise ValueError(
            f"bp.math.{func_name}(dtype={requested}) on the jax backend: JAX computes in "
            "32 bits unless 64-bit mode is on. Call bp.math.enable_x64() first, or ask "
            f"for {requested.name.replace('64', '32').replace('128', '64')}."
        )


def wrap_function(func, name: str | None = None):
    """Wrap a jax function: JaxArray arguments in, JaxArray results out."""
    name = name or func.__name__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if "dtype" in kwargs:
            check_dtype(name, kwargs["dtype"])
        return wrap(func(*unwrap(args), **unwrap(kwargs)))

    return wrapper


def namespace_of(jax_module, numpy_module, exclude=()) -> dict:
    """Names of ``numpy_module`` that ``jax_module`` provides, functions wrapped."""
    out = {}
    for name in dir(numpy_module):
        if name.startswith("_") or name in exclude or not hasattr(jax_module, name):
            continue
        obj = getattr(jax_module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if callable(obj) and not isinstance(obj, type):  # dtypes and constants stay as they are
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
