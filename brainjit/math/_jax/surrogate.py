"""``bp.math.surrogate`` on the jax backend: Heaviside forward, the derivative of a
smooth step backward (``jax.custom_jvp``; reverse mode transposes the linear tangent).

See :mod:`brainjit.math._surrogate` for the definitions. Also the built-in neurons'
default spike test, :func:`exact_threshold`, which warns when a gradient flows through
it (its gradient is 0).
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math import _surrogate
from brainjit.math._jax.ndarray import unwrap, wrap

HALF_PI = math.pi / 2
INV_SQRT_PI = 1 / math.sqrt(math.pi)


def sigmoid_smooth(x, alpha):
    return jax.nn.sigmoid(alpha * x)


def sigmoid_grad(x, alpha):
    s = jax.nn.sigmoid(alpha * x)
    return alpha * s * (1 - s)


def fast_sigmoid_smooth(x, alpha):
    return 0.5 * alpha * x / (1 + alpha * jnp.abs(x)) + 0.5


def fast_sigmoid_grad(x, alpha):
    return 0.5 * alpha / jnp.square(1 + alpha * jnp.abs(x))


def arctan_smooth(x, alpha):
    return jnp.arctan(HALF_PI * alpha * x) / math.pi + 0.5


def arctan_grad(x, alpha):
    return 0.5 * alpha / (1 + jnp.square(HALF_PI * alpha * x))


def piecewise_linear_smooth(x, alpha):
    return jnp.clip(alpha * x + 0.5, 0, 1)


def piecewise_linear_grad(x, alpha):
    return jnp.where(jnp.abs(x) < 0.5 / alpha, alpha, jnp.zeros((), x.dtype))


def piecewise_quadratic_smooth(x, alpha):
    inner = alpha * x - 0.5 * alpha * alpha * x * jnp.abs(x) + 0.5
    return jnp.where(x < -1 / alpha, 0.0, jnp.where(x > 1 / alpha, 1.0, inner)).astype(x.dtype)


def piecewise_quadratic_grad(x, alpha):
    return jnp.maximum(alpha - alpha * alpha * jnp.abs(x), 0)


def gaussian_smooth(x, alpha):
    return 0.5 * (1 + jax.scipy.special.erf(alpha * x))


def gaussian_grad(x, alpha):
    return alpha * INV_SQRT_PI * jnp.exp(-jnp.square(alpha * x))


def _spike(derivative):
    """The Heaviside step with ``derivative(x, alpha)`` as its derivative."""

    @jax.custom_jvp
    def spike(x, alpha):
        return (x >= 0).astype(x.dtype)

    @spike.defjvp
    def spike_jvp(primals, tangents):
        x, alpha = primals
        return spike(x, alpha), derivative(x, alpha) * tangents[0]

    return spike


def _raw(name: str, origin: bool):
    """``f(x, alpha)`` on jax arrays."""
    if origin:
        return globals()[f"{name}_smooth"]
    return _spike(globals()[f"{name}_grad"])


_RAW = {(n, o): _raw(n, o) for n in _surrogate.SURROGATES for o in (False, True)}


def _as_float(x):
    x = jnp.asarray(unwrap(x))
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _kernel(name: str, origin: bool):
    raw = _RAW[(name, origin)]

    def spike_function(x, alpha):
        x = _as_float(x)
        return wrap(raw(x, jnp.asarray(unwrap(alpha), x.dtype)))

    spike_function.__name__ = spike_function.__qualname__ = (
        f"{name}_{'smooth' if origin else 'spike'}"
    )
    return spike_function


#: (name, origin) -> f(x, alpha), JaxArray in and out (what the neurons' steps call)
KERNELS = {key: _kernel(*key) for key in _RAW}


def _public(name: str):
    default = _surrogate.SURROGATES[name][1]
    where = f"bm.surrogate.{name}"

    def spike_function(x, alpha=default, origin=False):
        if not isinstance(alpha, jax.core.Tracer):
            alpha = _surrogate.check_alpha(where, alpha)
        return KERNELS[(name, bool(origin))](x, alpha)

    spike_function.__name__ = spike_function.__qualname__ = name
    spike_function.__doc__ = _surrogate.function_doc(name)
    return spike_function


PUBLIC = {name: _public(name) for name in _surrogate.SURROGATES}
for _alias, _target in _surrogate.ALIASES.items():
    PUBLIC[_alias] = PUBLIC[_target]

NAMESPACE = dict(PUBLIC)
NAMESPACE.update(_surrogate.make_classes())


@functools.cache
def exact_threshold(owner: str):
    """The built-in neurons' default spike test: ``V >= V_th``, a boolean, whose
    gradient is 0. When a gradient flows through it (``bm.grad`` & co differentiate
    with respect to something ``V`` depends on) it warns, once per trace, with a
    :class:`ZeroGradientWarning` that names ``owner`` and says to pass a surrogate
    spike function. One function per owner (cached)."""

    @jax.custom_jvp
    def threshold(V, V_th):
        return V >= V_th

    @threshold.defjvp
    def threshold_jvp(primals, tangents):
        warnings.warn(
            f"a gradient flows through the spikes of {owner}, whose spike test V >= V_th "
            "has no gradient: that part of the gradient is exactly 0. Pass a surrogate "
            f"spike function, e.g. spike_fun=bm.surrogate.Sigmoid(), to {owner} "
            "(see docs/training.md).",
            _surrogate.ZeroGradientWarning,
            stacklevel=2,
        )
        out = threshold(*primals)
        return out, np.zeros(np.shape(out), dtype=jax.dtypes.float0)

    def spike_test(V, V_th):
        return wrap(threshold(jnp.asarray(unwrap(V)), jnp.asarray(unwrap(V_th))))

    spike_test.__name__ = spike_test.__qualname__ = "exact_threshold"
    return spike_test


NAMESPACE["exact_threshold"] = exact_threshold
