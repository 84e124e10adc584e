"""bp.math.surrogate: Heaviside forward on both backends (also in Numba code), and on the
jax backend the derivative of the smooth step each stands for, checked against
``jax.grad`` of that smooth step (written here independently), against central finite
differences of it in float64 (NumPy/SciPy), and normalised (integrates to 1)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

import brainjit as bp

bm = bp.math
NAMES = [
    "sigmoid",
    "fast_sigmoid",
    "arctan",
    "piecewise_linear",
    "piecewise_quadratic",
    "gaussian",
]
CLASSES = {
    "sigmoid": "Sigmoid",
    "fast_sigmoid": "FastSigmoid",
    "arctan": "Arctan",
    "piecewise_linear": "PiecewiseLinear",
    "piecewise_quadratic": "PiecewiseQuadratic",
    "gaussian": "Gaussian",
}


def smooth_numpy(name, x, a):
    """The smooth steps in float64 NumPy/SciPy (the references)."""
    x = np.asarray(x, dtype=np.float64)
    if name == "sigmoid":
        return special.expit(a * x)
    if name == "fast_sigmoid":
        return 0.5 * a * x / (1 + a * np.abs(x)) + 0.5
    if name == "arctan":
        return np.arctan(np.pi / 2 * a * x) / np.pi + 0.5
    if name == "piecewise_linear":
        return np.clip(a * x + 0.5, 0, 1)
    if name == "piecewise_quadratic":
        inner = a * x - a * a * x * np.abs(x) / 2 + 0.5
        return np.where(x < -1 / a, 0.0, np.where(x > 1 / a, 1.0, inner))
    if name == "gaussian":
        return 0.5 * (1 + special.erf(a * x))
    raise KeyError(name)


def smooth_jax(name, x, a):
    """The same smooth steps written with jax.numpy (for jax.grad)."""
    if name == "sigmoid":
        return 1 / (1 + jnp.exp(-a * x))
    if name == "fast_sigmoid":
        return 0.5 * a * x / (1 + a * jnp.abs(x)) + 0.5
    if name == "arctan":
        return jnp.arctan(jnp.pi / 2 * a * x) / jnp.pi + 0.5
    if name == "piecewise_linear":
        return jnp.clip(a * x + 0.5, 0.0, 1.0)
    if name == "piecewise_quadratic":
        inner = a * x - a * a * x * jnp.abs(x) / 2 + 0.5
        return jnp.where(x < -1 / a, 0.0, jnp.where(x > 1 / a, 1.0, inner))
    if name == "gaussian":
        return 0.5 * (1 + jax.scipy.special.erf(a * x))
    raise KeyError(name)


def _grad(f):
    """The elementwise derivative of a scalar function, compiled once."""
    return jax.jit(jax.vmap(jax.grad(f)))


# points away from the kinks of the piecewise functions (|x| = 1/(2a), 1/a)
X = np.array([-3.0, -1.1, -0.6, -0.3, -0.07, 0.0, 0.05, 0.2, 0.45, 0.9, 1.7, 4.0])


@pytest.mark.parametrize("name", NAMES + ["super_spike"])
def test_forward_is_the_exact_step(backend, name):
    f = getattr(bm.surrogate, name)
    for dtype in (np.float32, np.float64):
        if backend == "jax" and dtype == np.float64:
            continue
        x = X.astype(dtype)
        out = np.asarray(f(x, 2.0))
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, (x >= 0).astype(dtype))
    ints = np.asarray(f(np.array([-2, 0, 3])))
    assert ints.dtype.kind == "f"
    np.testing.assert_array_equal(ints, [0.0, 1.0, 1.0])


@pytest.mark.parametrize("name", NAMES)
def test_origin_forward_is_the_smooth_step(backend, name):
    f = getattr(bm.surrogate, name)
    out = np.asarray(f(X.astype(np.float32), 1.5, origin=True))
    np.testing.assert_allclose(out, smooth_numpy(name, X, 1.5), rtol=2e-6, atol=2e-7)
    obj = getattr(bm.surrogate, CLASSES[name])(alpha=1.5, origin=True)
    np.testing.assert_array_equal(np.asarray(obj(X.astype(np.float32))), out)


ALPHA = {"sigmoid": 3.0, "fast_sigmoid": 0.7, "arctan": 2.0}  # others: 1.3


@pytest.mark.parametrize("name", NAMES)
def test_backward_is_the_smooth_derivative(name):
    bm.use_backend("jax")
    alpha = ALPHA.get(name, 1.3)
    f = getattr(bm.surrogate, name)
    obj = getattr(bm.surrogate, CLASSES[name])(alpha=alpha)
    x = np.asarray(X, dtype=np.float32)
    for kink in (0.5 / alpha, 1.0 / alpha):  # off the kinks of the piecewise ones
        x = np.where(np.abs(np.abs(x) - kink) < 1e-3, x + 0.01, x).astype(np.float32)

    def grads(v):
        return (
            jax.grad(lambda u: f(u, alpha).value)(v),
            jax.grad(lambda u: smooth_jax(name, u, alpha))(v),
            jax.grad(lambda u: obj(u).value)(v),  # the class binds the parameters
            jax.grad(lambda u: f(u, alpha, origin=True).value)(v),  # the smooth step
        )

    got, ref, got_obj, smooth = (np.asarray(g) for g in jax.jit(jax.vmap(grads))(x))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    # central finite differences of the float64 smooth step
    h = 1e-6
    xs = x.astype(np.float64)
    fd = (smooth_numpy(name, xs + h, alpha) - smooth_numpy(name, xs - h, alpha)) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got_obj, got)
    np.testing.assert_allclose(smooth, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_backward_integrates_to_one(name):
    """Each surrogate derivative integrates to the rise of its smooth step, and each
    smooth step rises from 0 to 1 (the step's height)."""
    bm.use_backend("jax")
    x = np.linspace(-20.0, 20.0, 400001)
    g = _grad(lambda v: getattr(bm.surrogate, name)(v, 2.0).value)(jnp.asarray(x, jnp.float32))
    rise = smooth_numpy(name, 20.0, 2.0) - smooth_numpy(name, -20.0, 2.0)
    assert (
        abs(np.trapezoid(np.asarray(g, np.float64), x) - rise) < 5e-4
    )  # the ramp's jumps: trapezoid error
    np.testing.assert_allclose(smooth_numpy(name, [-1e12, 1e12], 2.0), [0.0, 1.0], atol=1e-9)


def test_classes_and_errors(backend):
    s = bm.surrogate.Sigmoid(alpha=3)
    assert s.alpha == 3.0 and s.origin is False and s.name == "sigmoid"
    assert repr(s) == "bm.surrogate.Sigmoid(alpha=3.0)"
    assert s == bm.surrogate.Sigmoid(3.0) and s != bm.surrogate.Sigmoid(4.0)
    assert bm.surrogate.Sigmoid().alpha == 4.0  # BrainPy's default
    assert bm.surrogate.Arctan().alpha == 2.0
    assert bm.surrogate.SuperSpike is bm.surrogate.FastSigmoid
    assert isinstance(bm.surrogate.Gaussian(), bm.surrogate.Surrogate)
    for bad in (0, -1.0, math.inf, "4", True):
        with pytest.raises(ValueError, match="alpha"):
            bm.surrogate.Sigmoid(alpha=bad)
        with pytest.raises(ValueError, match="alpha"):
            bm.surrogate.arctan(X, alpha=bad)
    with pytest.raises(ValueError, match="origin"):
        bm.surrogate.Gaussian(origin=1)


def test_compiled_numpy():
    """The spike functions compile in Numba code: in a bm.elementwise loop (scalars) and
    on whole arrays in a bp.math.jit function."""
    spike = bm.surrogate.PiecewiseQuadratic(alpha=2.0).function
    smooth = bm.surrogate.Gaussian(alpha=2.0, origin=True).function

    def make():
        def step(x, alpha):
            return spike(x, alpha), smooth(x, alpha)

        return step

    step = bm.elementwise(make())

    class M(bp.Base):
        def __init__(self):
            super().__init__()
            self.x = bm.Variable(X.copy())
            self.a = bm.Variable(np.zeros(X.size))
            self.b = bm.Variable(np.zeros(X.size))
            self.c = bm.Variable(np.zeros(X.size))

        def update(self):
            step(self.x, 2.0, out=(self.a, self.b))
            self.c.value = spike(self.x, 2.0) + smooth(self.x, 2.0)

    m = M()
    bm.jit(m.update)()
    np.testing.assert_array_equal(m.a, (X >= 0).astype(float))
    np.testing.assert_allclose(m.b, smooth_numpy("gaussian", X, 2.0), rtol=1e-12)
    np.testing.assert_allclose(m.c, m.a + m.b, rtol=1e-12)


def test_exact_threshold_warns_when_differentiated():
    bm.use_backend("numpy")
    assert bm.surrogate.exact_threshold("LIF x") is np.greater_equal
    bm.use_backend("jax")
    test = bm.surrogate.exact_threshold("LIF my_group")
    V = jnp.array([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(test(V, 1.0)), [False, True, True])

    def loss(v):
        return jnp.sum(test(v, 1.0).value.astype(jnp.float32) * v)

    with pytest.warns(bm.surrogate.ZeroGradientWarning, match="LIF my_group.*spike_fun="):
        g = jax.grad(loss)(V)
    np.testing.assert_array_equal(np.asarray(g), [0.0, 1.0, 1.0])  # only the explicit v
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jax.jit(lambda v: test(v, 1.0).value)(V)  # no gradient: no warning
