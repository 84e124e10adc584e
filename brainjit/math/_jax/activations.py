"""``bp.math.activations`` on the jax backend (also ``bp.math.relu`` & co): ``jax.nn``'s
activations on JaxArrays, with the numpy backend's names, parameters and defaults
(BrainPy's where it adds parameters: ``hard_tanh``'s bounds, ``softplus``'s
``beta``/``threshold``)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from brainjit.math._jax.ndarray import unwrap, wrap
from brainjit.math._numpy.activations import _DOCS


def relu(x):
    return jax.nn.relu(x)


def relu6(x):
    return jax.nn.relu6(x)


def leaky_relu(x, negative_slope=0.01):
    return jax.nn.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    return jax.nn.elu(x, alpha)


def selu(x):
    return jax.nn.selu(x)


def celu(x, alpha=1.0):
    return jax.nn.celu(x, alpha)


def gelu(x, approximate=True):
    return jax.nn.gelu(x, approximate=approximate)


def sigmoid(x):
    return jax.nn.sigmoid(x)


def silu(x):
    return jax.nn.silu(x)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(x)


def hard_silu(x):
    return jax.nn.hard_silu(x)


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    return jnp.minimum(jnp.maximum(x, min_val), max_val)


def softplus(x, beta=1.0, threshold=20.0):
    if beta == 1.0 and threshold == 20.0:
        return jax.nn.softplus(x)
    return jnp.where(x * beta > threshold, x, jnp.logaddexp(beta * x, 0.0) / beta)


def soft_sign(x):
    return jax.nn.soft_sign(x)


def log_sigmoid(x):
    return jax.nn.log_sigmoid(x)


def tanh(x):
    return jnp.tanh(x)


def softmax(x, axis=-1):
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(x, axis=axis)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5):
    return jax.nn.standardize(x, axis, mean, variance, epsilon, algorithm="stable")


def _public(func):
    @functools.wraps(func)
    def wrapper(x, *args, **kwargs):
        x = jnp.asarray(unwrap(x))
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            x = x.astype(jnp.result_type(float))
        args = [unwrap(a) for a in args]
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        return wrap(func(x, *args, **kwargs))

    wrapper.__doc__ = _DOCS[func.__name__]
    return wrapper


FUNCTIONS = {name: _public(globals()[name]) for name in _DOCS}
FUNCTIONS["swish"] = FUNCTIONS["silu"]
FUNCTIONS["hard_swish"] = FUNCTIONS["hard_silu"]
FUNCTIONS["normalize"] = FUNCTIONS["standardize"]
