"""``bp.math.activations`` on the numpy backend (also ``bp.math.relu`` & co).

Each activation is a *kernel* written with NumPy ufuncs that Numba compiles
(``register_jitable``, or an ``overload`` where Numba lacks a NumPy feature), wrapped so
that eager calls return this backend's :class:`ndarray`. Compiled code sees the kernel
(the wrapper's ``__wrapped__``, see ``numba_view``), so the activations work inside
``bp.math.jit`` functions too. Definitions and defaults are ``jax.nn``'s (BrainPy's
where it adds parameters: ``hard_tanh``'s bounds, ``softplus``'s ``beta``/``threshold``).
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from numba.extending import overload, register_jitable

from brainjit.math._numpy.ops import to_ndarray

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


@numba.vectorize(["float64(float64)", "float32(float32)"], cache=True)
def _erf(x):
    return math.erf(x)


def _float(x):
    """Integer and boolean inputs as floats (the activations compute in floats)."""
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


@register_jitable
def relu(x):
    return np.maximum(x, 0)


@register_jitable
def relu6(x):
    return np.minimum(np.maximum(x, 0), 6)


@register_jitable
def leaky_relu(x, negative_slope=0.01):
    return np.where(x >= 0, x, negative_slope * x)


@register_jitable
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@register_jitable
def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


@register_jitable
def celu(x, alpha=1.0):
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)


@register_jitable
def gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * (1 + _erf(x / np.sqrt(2.0)))


@register_jitable
def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


@register_jitable
def silu(x):
    return x * np.exp(-np.logaddexp(0.0, -x))


@register_jitable
def hard_sigmoid(x):
    return np.minimum(np.maximum(x + 3.0, 0), 6) / 6.0


@register_jitable
def hard_silu(x):
    return x * (np.minimum(np.maximum(x + 3.0, 0), 6) / 6.0)


@register_jitable
def hard_tanh(x, min_val=-1.0, max_val=1.0):
    return np.minimum(np.maximum(x, min_val), max_val)


@register_jitable
def softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(beta * x, 0.0) / beta)


@register_jitable
def soft_sign(x):
    return x / (np.abs(x) + 1)


@register_jitable
def log_sigmoid(x):
    return -np.logaddexp(-x, 0.0)


@register_jitable
def tanh(x):
    return np.tanh(x)


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@register_jitable
def _last_axis(x, axis, log):
    """Softmax (``log``: log-softmax) along the last axis, as Numba compiles it."""
    if axis != -1 and axis != x.ndim - 1:
        raise ValueError("compiled softmax/log_softmax: only the last axis (axis=-1)")
    n = x.shape[-1]
    flat = np.ascontiguousarray(x).reshape(-1, n)
    out = np.empty(flat.shape, dtype=np.float64)
    for i in range(flat.shape[0]):
        row = flat[i] - np.max(flat[i])
        if log:
            out[i] = row - np.log(np.sum(np.exp(row)))
        else:
            e = np.exp(row)
            out[i] = e / np.sum(e)
    return out.reshape(x.shape)


@overload(softmax)
def _softmax_impl(x, axis=-1):
    def impl(x, axis=-1):
        return _last_axis(x, axis, False)

    return impl


@overload(log_softmax)
def _log_softmax_impl(x, axis=-1):
    def impl(x, axis=-1):
        return _last_axis(x, axis, True)

    return impl


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5):
    if mean is None:
        mean = np.mean(x, axis=axis, keepdims=True)
    if variance is None:
        variance = np.mean(np.square(x - mean), axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon)


@register_jitable
def _standardize_last_axis(x, axis, epsilon):
    if axis != -1 and axis != x.ndim - 1:
        raise ValueError("compiled standardize/normalize: only the last axis (axis=-1)")
    n = x.shape[-1]
    flat = np.ascontiguousarray(x).reshape(-1, n)
    out = np.empty(flat.shape, dtype=np.float64)
    for i in range(flat.shape[0]):
        centred = flat[i] - np.mean(flat[i])
        out[i] = centred / np.sqrt(np.mean(centred * centred) + epsilon)
    return out.reshape(x.shape)


@overload(standardize)
def _standardize_impl(x, axis=-1, mean=None, variance=None, epsilon=1e-5):
    if not (_absent(mean) and _absent(variance)):
        raise numba.core.errors.TypingError(
            "compiled standardize/normalize: mean and variance are computed (pass None)"
        )

    def impl(x, axis=-1, mean=None, variance=None, epsilon=1e-5):
        return _standardize_last_axis(x, axis, epsilon)

    return impl


def _absent(t) -> bool:
    return isinstance(t, (numba.types.NoneType, numba.types.Omitted)) or t is None


def _eager(kernel):
    """The public function: floats in, this backend's ndarray out; ``__wrapped__`` is
    the kernel that compiled code calls."""

    @functools.wraps(kernel)
    def wrapper(x, *args, **kwargs):
        out = kernel(_float(x), *args, **kwargs)
        return to_ndarray(out) if np.ndim(out) else out[()]

    return wrapper


_DOCS = {
    "relu": "Rectified linear unit: ``max(x, 0)``.",
    "relu6": "``min(max(x, 0), 6)``.",
    "leaky_relu": "``x`` where ``x >= 0``, else ``negative_slope * x``.",
    "elu": "Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.",
    "selu": "Scaled exponential linear unit (the constants of Klambauer et al., 2017).",
    "celu": "Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.",
    "gelu": "Gaussian error linear unit; ``approximate=True``: the tanh approximation, "
    "``False``: exact, ``x * (1 + erf(x / sqrt(2))) / 2``.",
    "sigmoid": "Logistic sigmoid ``1 / (1 + exp(-x))`` (SciPy's ``expit``).",
    "silu": "Sigmoid linear unit ``x * sigmoid(x)`` (also ``swish``).",
    "hard_sigmoid": "``relu6(x + 3) / 6``.",
    "hard_silu": "``x * hard_sigmoid(x)`` (also ``hard_swish``).",
    "hard_tanh": "``x`` clipped to ``[min_val, max_val]``.",
    "softplus": "``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``.",
    "soft_sign": "``x / (|x| + 1)``.",
    "log_sigmoid": "``log(sigmoid(x)) = -softplus(-x)``.",
    "tanh": "Hyperbolic tangent.",
    "softmax": "``exp(x) / sum(exp(x))`` along ``axis`` (compiled code: the last axis).",
    "log_softmax": "``log(softmax(x))`` along ``axis`` (compiled code: the last axis).",
    "standardize": "``(x - mean) / sqrt(variance + epsilon)``, the mean and variance along "
    "``axis`` unless given (also ``normalize``; compiled code: the last axis, computed).",
}

FUNCTIONS = {}
for _name, _doc in _DOCS.items():
    _kernel = globals()[_name]
    _kernel.__doc__ = _doc
    FUNCTIONS[_name] = _eager(_kernel)
FUNCTIONS["swish"] = FUNCTIONS["silu"]
FUNCTIONS["hard_swish"] = FUNCTIONS["hard_silu"]
FUNCTIONS["normalize"] = FUNCTIONS["standardize"]
