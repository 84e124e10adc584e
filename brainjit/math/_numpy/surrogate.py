"""``bp.math.surrogate`` on the numpy backend: the forward pass only (no gradients here).

Each spike function is a Numba kernel ``f(x, alpha)``: ``x >= 0`` in ``x``'s float
dtype (or, for ``origin=True``, the smooth step), for arrays and for the scalars of a
``bm.elementwise`` loop, so that model code that calls them compiles as it does on the
jax backend. The public functions are the eager wrappers (this backend's ndarray out).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.core import types
from numba.extending import overload, register_jitable

from brainjit.math import _surrogate
from brainjit.math._numpy.activations import _erf, _float
from brainjit.math._numpy.ops import to_ndarray

HALF_PI = math.pi / 2
INV_PI = 1 / math.pi


def heaviside(x, alpha):
    """``x >= 0`` as floats of ``x``'s float dtype (float64 for other dtypes)."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return (x >= 0).astype(dtype)


@overload(heaviside, jit_options={"nogil": True})
def _heaviside_impl(x, alpha):
    if isinstance(x, types.Array):
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        np_dtype = numba.np.numpy_support.as_dtype(dtype)

        def array_impl(x, alpha):
            return (x >= 0).astype(np_dtype)

        return array_impl
    if isinstance(x, (types.Float, types.Integer, types.Boolean)):
        cast = np.float32 if x == types.float32 else np.float64

        def scalar_impl(x, alpha):
            return cast(1.0) if x >= 0 else cast(0.0)

        return scalar_impl
    return None


@register_jitable
def sigmoid_smooth(x, alpha):
    return 1.0 / (1.0 + np.exp(-alpha * x))


@register_jitable
def fast_sigmoid_smooth(x, alpha):
    return 0.5 * alpha * x / (1.0 + alpha * np.abs(x)) + 0.5


@register_jitable
def arctan_smooth(x, alpha):
    return np.arctan(HALF_PI * alpha * x) * INV_PI + 0.5


@register_jitable
def piecewise_linear_smooth(x, alpha):
    return np.minimum(np.maximum(alpha * x + 0.5, 0.0), 1.0)


@register_jitable
def piecewise_quadratic_smooth(x, alpha):
    inner = alpha * x - 0.5 * alpha * alpha * x * np.abs(x) + 0.5
    return np.where(x < -1.0 / alpha, 0.0, np.where(x > 1.0 / alpha, 1.0, inner))


@register_jitable
def gaussian_smooth(x, alpha):
    return 0.5 * (1.0 + _erf(alpha * x))


SMOOTH = {name: globals()[f"{name}_smooth"] for name in _surrogate.SURROGATES}

#: (name, origin) -> the kernel f(x, alpha) that compiled code calls
KERNELS = {}
for _name in _surrogate.SURROGATES:
    KERNELS[(_name, False)] = heaviside
    KERNELS[(_name, True)] = SMOOTH[_name]


def _public(name: str):
    default = _surrogate.SURROGATES[name][1]
    where = f"bm.surrogate.{name}"

    def spike_function(x, alpha=default, origin=False):
        alpha = _surrogate.check_alpha(where, alpha)
        x = _float(x)
        out = SMOOTH[name](x, alpha) if origin else heaviside(x, alpha)
        out = np.asarray(out, dtype=x.dtype)
        return to_ndarray(out) if out.ndim else out[()]

    spike_function.__name__ = spike_function.__qualname__ = name
    spike_function.__doc__ = _surrogate.function_doc(name)
    return spike_function


#: name -> the public function (x, alpha=..., origin=False)
PUBLIC = {name: _public(name) for name in _surrogate.SURROGATES}
for _alias, _target in _surrogate.ALIASES.items():
    PUBLIC[_alias] = PUBLIC[_target]

NAMESPACE = dict(PUBLIC)
NAMESPACE.update(_surrogate.make_classes())


def exact_threshold(owner: str):
    """The built-in neurons' default spike test ``V >= V_th`` (a boolean): NumPy's
    ``greater_equal`` on this backend (no gradients; one shared function, so that the
    neurons' compiled steps are shared too)."""
    del owner
    return np.greater_equal


NAMESPACE["exact_threshold"] = exact_threshold
