"""The numpy-like namespace of the jax backend: ``jax.numpy`` returning JaxArray.

Every public name of NumPy's main namespace that ``jax.numpy`` also provides is
exported. Functions are wrapped once: JaxArrays among the arguments are unwrapped,
arrays among the results wrapped as JaxArray. Dtypes and constants are jax.numpy's own.
"""

from __future__ import annotations

import functools
import inspect
import types

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.ndarray import (
    JaxArray,
    _as_array,
    _lists_as_arrays,
    check_dtype,
    unwrap,
    wrap,
)
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
    """Wrap a jax function so that it works as NumPy's, on JaxArrays.

    - JaxArrays among the arguments are unwrapped, arrays among the results wrapped as
      JaxArray (a returned function or ufunc is wrapped the same way);
    - a 64-bit ``dtype`` argument (keyword or positional) raises while x64 is off,
      instead of being truncated to 32 bits;
    - lists and tuples are taken as arrays where jax.numpy refuses them
      (``bp.math.sum([1, 2])``), as NumPy takes them;
    - functions passed in (``apply_along_axis``, ``vectorize``, ``piecewise`` ...) may use
      bp.math: they receive JaxArrays and may return JaxArrays.
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
        args = tuple(_user_functions(a) for a in unwrap(args))
        kwargs = unwrap(kwargs)
        try:
            return _result(func(*args, **kwargs), name)
        except (TypeError, ValueError) as error:
            retry = _lists_as_arrays(args)
            if retry is None:
                raise
            try:
                out = func(*retry, **kwargs)
            except Exception:
                raise error from None
        return _result(out, name)

    return wrapper


def _result(out, name: str):
    """A jax function's result as bp.math returns it."""
    if isinstance(out, jnp.ufunc):
        return ufunc(out, getattr(out, "__name__", name))
    if isinstance(out, types.FunctionType):  # vectorize's result
        return wrap_function(out, name)
    return wrap(out)


def _is_user_function(x) -> bool:
    return callable(x) and not isinstance(x, (type, jax.Array, np.ndarray, np.dtype))


def _user_functions(x):
    """A function passed to a jax function, made to take and return what jax expects."""
    if _is_user_function(x):

        @functools.wraps(x)
        def user_function(*args, **kwargs):
            return unwrap(x(*wrap(args), **kwargs))

        return user_function
    if isinstance(x, list) and any(_is_user_function(i) for i in x):  # piecewise's funclist
        return [_user_functions(i) for i in x]
    return x


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


def _array(obj, dtype=None, copy=True, order="K", ndmin=0):
    check_dtype("array", dtype)
    return JaxArray(jnp.array(unwrap(obj), dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def _asarray(a, dtype=None, order=None, copy=None):
    if isinstance(a, JaxArray) and dtype is None:
        return a
    check_dtype("asarray", dtype)
    if type(a) is np.ndarray and a.dtype != object:
        # a NumPy array: cast on the host and put on the device (the values jnp.asarray
        # gives, without compiling a conversion for every new shape: ~15 ms each)
        target = jax.dtypes.canonicalize_dtype(a.dtype if dtype is None else dtype)
        return JaxArray(jax.device_put(np.array(a, dtype=target, copy=True)))
    return JaxArray(jnp.asarray(unwrap(a), dtype=dtype, order=order, copy=copy))


def _in_place(name: str):
    """NumPy's in-place ``name`` (``place``, ``put`` ...): updates a JaxArray, returns None."""
    func = getattr(jnp, name)

    @functools.wraps(func)
    def update(a, *args, **kwargs):
        if not isinstance(a, JaxArray):
            raise TypeError(
                f"bp.math.{name}() modifies its first argument in place: on the jax backend "
                f"that must be a JaxArray, got {type(a).__name__}"
            )
        args = tuple(_as_array(x) for x in unwrap(args))
        a.value = func(a.value, *args, inplace=False, **unwrap(kwargs))

    update.__doc__ = f"As ``numpy.{name}``: updates the JaxArray ``a`` in place."
    return update


def _truth(name: str):
    """``all``/``any``: complex numbers are true when nonzero (jax.numpy looks at the real part)."""
    func = getattr(jnp, name)

    @functools.wraps(func)
    def test(a, *args, **kwargs):
        a = unwrap(a)
        if jnp.iscomplexobj(a):
            a = jnp.asarray(a) != 0
        return wrap(func(a, *unwrap(args), **unwrap(kwargs)))

    return test


def _convolution(name: str):
    """``convolve``/``correlate``: integer inputs give integers, as in NumPy."""
    func = getattr(jnp, name)

    @functools.wraps(func)
    def convolution(a, v, mode=_DEFAULT_MODE[name], **kwargs):
        a, v = jnp.asarray(_as_array(unwrap(a))), jnp.asarray(_as_array(unwrap(v)))
        if a.dtype.kind in "iu" and v.dtype.kind in "iu":
            kwargs.setdefault("preferred_element_type", jnp.result_type(a, v))
        return wrap(func(a, v, mode, **kwargs))

    return convolution


_DEFAULT_MODE = {"convolve": "full", "correlate": "valid"}


def _histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    a, bins = _as_array(unwrap(a)), _as_array(unwrap(bins))
    counts, edges = jnp.histogram(a, bins, range, unwrap(weights), density)
    if weights is None and not density:  # NumPy counts in integers
        counts = counts.astype(int)
    return wrap(counts), wrap(edges)


def _histogram2d(x, y, bins=10, range=None, density=None, weights=None):  # noqa: A002
    counts, xedges, yedges = jnp.histogram2d(
        unwrap(x), unwrap(y), unwrap(bins), range, unwrap(weights), density
    )
    return wrap(counts.astype(float)), wrap(xedges), wrap(yedges)  # NumPy: float counts


def _histogramdd(sample, bins=10, range=None, density=None, weights=None):  # noqa: A002
    counts, edges = jnp.histogramdd(unwrap(sample), unwrap(bins), range, unwrap(weights), density)
    return wrap(counts.astype(float)), wrap(list(edges))


def _bincount(x, weights=None, minlength=0, **kwargs):
    x = jnp.asarray(unwrap(x))
    if x.dtype == bool:
        x = x.astype(int)
    if weights is not None:  # NumPy sums the weights in floating point
        weights = jnp.asarray(unwrap(weights)).astype(float)
    return wrap(jnp.bincount(x, weights, minlength, **kwargs))


def _fromiter(iter, dtype, count=-1, *, like=None):  # noqa: A002
    """As ``numpy.fromiter`` (read on the host; jax.numpy does not provide it)."""
    check_dtype("fromiter", dtype)
    return JaxArray(jnp.asarray(np.fromiter(iter, dtype, count)))


def _fromfile(file, dtype=float, count=-1, sep="", offset=0, *, like=None):
    """As ``numpy.fromfile`` (read on the host; jax.numpy does not provide it)."""
    if dtype is not float:
        check_dtype("fromfile", dtype)
    return JaxArray(jnp.asarray(np.fromfile(file, dtype, count, sep, offset)))


class _IndexTrick:
    """``r_``, ``c_``, ``mgrid``, ``ogrid`` taking and returning JaxArrays."""

    def __init__(self, name: str):
        self.__wrapped__ = getattr(jnp, name)
        self._name = name

    def __getitem__(self, key):
        return wrap(self.__wrapped__[unwrap(key)])

    def __repr__(self) -> str:
        return f"bp.math.{self._name}"


def _quantile(name: str):
    """``median``, ``quantile`` ...: keepdims on a 0-d array gives a 0-d result, as in NumPy
    (jax.numpy gives shape (1,))."""
    func = wrap_function(getattr(jnp, name), name)
    signature = inspect.signature(getattr(jnp, name))

    @functools.wraps(func)
    def quantile(*args, **kwargs):
        out = func(*args, **kwargs)
        bound = signature.bind_partial(*args, **kwargs).arguments
        if bound.get("keepdims") and np.ndim(unwrap(args[0])) == 0:
            out = wrap(unwrap(out).reshape(()))
        return out

    return quantile


def _eager() -> bool:
    """Whether no jax transformation is tracing (array creation happens now)."""
    try:
        from jax._src import core

        return bool(core.trace_state_clean())
    except (ImportError, AttributeError):  # (another jax: the jax.numpy path)
        return False


def _host_created(name: str, fill: float):
    """``zeros``/``ones``/``empty`` that, called eagerly with a concrete shape, make the
    array on the host and put it on the device: jax.numpy compiles a ``full`` for every
    new shape (20-35 ms each) when it is called eagerly. Inside a trace, or with other
    arguments, jax.numpy's function is called. ``empty`` gives zeros, as jax's does."""
    traced = wrap_function(getattr(jnp, name), name)

    def create(shape, dtype=None, *args, **kwargs):
        dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
        concrete = isinstance(dims, (tuple, list)) and all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims
        )
        if args or kwargs or not concrete or not _eager():
            return traced(shape, dtype, *args, **kwargs)
        check_dtype(name, dtype)
        target = jax.dtypes.canonicalize_dtype(float if dtype is None else dtype)
        return JaxArray(jax.device_put(np.full(tuple(dims), fill, dtype=target)))

    create.__name__ = create.__qualname__ = name
    create.__doc__ = traced.__doc__
    return create


_REPLACEMENTS = {
    **{
        name: _quantile(name)
        for name in (
            "median",
            "nanmedian",
            "percentile",
            "quantile",
            "nanpercentile",
            "nanquantile",
        )
    },
    **{name: _IndexTrick(name) for name in ("r_", "c_", "mgrid", "ogrid")},
    "fromiter": _fromiter,
    "fromfile": _fromfile,
    "array": _array,
    "asarray": _asarray,
    "zeros": _host_created("zeros", 0),
    "ones": _host_created("ones", 1),
    "empty": _host_created("empty", 0),
    "ndarray": JaxArray,
    "all": _truth("all"),
    "any": _truth("any"),
    "histogram": _histogram,
    "histogram2d": _histogram2d,
    "histogramdd": _histogramdd,
    "bincount": _bincount,
    "convolve": _convolution("convolve"),
    "correlate": _convolution("correlate"),
    **{name: _in_place(name) for name in ("place", "put", "fill_diagonal", "put_along_axis")},
}


NAMESPACE = namespace_of(jnp, np, EXCLUDED)
NAMESPACE.update(_REPLACEMENTS)
NAMESPACE["linalg"] = as_module(
    "brainjit.math.linalg",
    "jax.numpy.linalg on the jax backend.",
    namespace_of(jnp.linalg, np.linalg),
)
NAMESPACE["fft"] = as_module(
    "brainjit.math.fft", "jax.numpy.fft on the jax backend.", namespace_of(jnp.fft, np.fft)
)
