"""JaxArrays into JAX, and NumPy functions in traced code (jax backend).

- ``jax.numpy`` functions and ``jax.lax`` primitives take JaxArrays and Variables;
  ``jax.jit`` / ``jax.vmap`` / ``jax.grad`` take them as arguments (pytrees); a write
  into a Variable inside such a transformation is refused (it would keep a tracer);
- ``np.exp`` & co. on JaxArrays in traced code run bp.math's function, so model code
  written with NumPy runs compiled on both backends; NumPy given a raw traced value
  fails naming the line and bp.math's function.

References: NumPy on the same data, and the numpy backend for the model code.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._jax._trace import JitStateError
from brainjit.math._jax.numpy_dispatch import NumpyInJaxError

bm = bp.math
X = np.array([0.5, -1.0, 2.0], dtype=np.float32)


@pytest.fixture
def jax_backend():
    bm.use_backend("jax")


def test_jax_numpy_and_lax_take_jaxarrays(jax_backend):
    x, v = bm.asarray(X), bm.Variable(bm.asarray(X))
    np.testing.assert_allclose(jnp.exp(x), np.exp(X), rtol=1e-6)
    np.testing.assert_allclose(jnp.where(v > 0, v, 0.0), np.where(X > 0, X, 0.0))
    np.testing.assert_allclose(jnp.sum(x * v), np.sum(X * X), rtol=1e-6)
    np.testing.assert_allclose(jnp.stack([x, v]), np.stack([X, X]))
    np.testing.assert_allclose(jax.lax.add(x, v), X + X)


def test_jax_transformations_take_jaxarrays(jax_backend):
    x = bm.asarray(X)
    v = bm.Variable(bm.asarray(X))

    def loss(a):
        return jnp.sum(jnp.sin(a) * v)  # reads a Variable: fine

    np.testing.assert_allclose(jax.jit(lambda a: a * 2.0 + v)(x), 3.0 * X)
    np.testing.assert_allclose(jax.vmap(lambda a: a * v)(x), np.outer(X, X))
    np.testing.assert_allclose(jax.grad(loss)(x), np.cos(X) * X, rtol=1e-6)
    np.testing.assert_allclose(jax.grad(loss)(v), np.cos(X) * X, rtol=1e-6)
    # a function returning a JaxArray: jax.grad needs a jax.Array; the error says so
    with pytest.raises(TypeError) as info:
        jax.grad(lambda a: (a * a).sum())(x)
    assert ".value" in str(info.value.__cause__)


@pytest.mark.parametrize("transform", ["jit", "grad", "vmap"])
def test_variable_write_inside_jax_transformation_is_refused(jax_backend, transform):
    v = bm.Variable(bm.asarray(X), name="state_v")

    def f(a):
        v.value = v.value + a
        return jnp.sum(a)

    wrapped = {"jit": jax.jit(f), "grad": jax.grad(f), "vmap": jax.vmap(f)}[transform]
    arg = jnp.ones(3) if transform != "vmap" else jnp.ones((2, 3))
    with pytest.raises(JitStateError, match=r"Variable 'state_v' is written inside a JAX"):
        wrapped(arg)
    assert isinstance(v.value, jax.Array) and not isinstance(v.value, jax.core.Tracer)
    np.testing.assert_allclose(v, X)
    # bp.math.jit carries the same write
    bm.jit(f)(jnp.ones(3))
    np.testing.assert_allclose(v, X + 1.0)


def test_plain_jaxarray_write_inside_jax_jit_is_refused(jax_backend):
    arr = bm.asarray(X)

    def f(a):
        arr[0] = a  # a global array, not a local temporary
        return a

    with pytest.raises(JitStateError, match=r"JaxArray of shape \(3,\).*\.value"):
        jax.jit(f)(jnp.float32(5.0))
    np.testing.assert_allclose(arr, X)

    def local(a):
        tmp = bm.zeros(3)
        tmp[1] = a  # made inside: fine
        return tmp.value

    np.testing.assert_allclose(jax.jit(local)(jnp.float32(2.0)), [0.0, 2.0, 0.0])


def test_eager_numpy_on_jaxarrays_unchanged(jax_backend):
    x = bm.asarray(X)
    assert type(np.exp(x)) is np.ndarray
    np.testing.assert_allclose(np.exp(x), np.exp(X), rtol=1e-6)
    assert isinstance(np.ones(3) + x, bm.JaxArray)  # the reflected operator, as before
    np.testing.assert_allclose(np.ones(3) - x, 1.0 - X)
    np.testing.assert_array_equal(np.zeros(3) < x, X > 0)
    np.testing.assert_allclose(np.sum(x), X.sum(), rtol=1e-6)


def _numpy_model_code(x, y):
    """Model code written with NumPy functions."""
    z = np.exp(-x) * np.sin(y) + np.maximum(x, 0.0)
    return np.where(z > 0.5, z, np.tanh(z)) + np.sum(np.abs(y)) + np.linalg.norm(x)


def test_numpy_functions_in_jit_match_numpy_backend():
    y = X[::-1].copy()
    expected = bm.jit(_numpy_model_code)(X.astype(np.float64), y.astype(np.float64))
    bm.use_backend("jax")
    out = bm.jit(_numpy_model_code)(bm.asarray(X), bm.asarray(y))
    assert isinstance(out, bm.JaxArray)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def _run_odeint_model(backend: str, steps: int = 20) -> np.ndarray:
    bm.use_backend(backend)

    @bp.odeint(method="rk4")
    def derivative(V, t, tau):
        return -V / tau + np.exp(-t) * np.sin(V) + np.cos(0.0)

    class Model(bp.Base):
        def __init__(self):
            super().__init__()
            self.V = bm.Variable(bm.asarray(np.array([0.5, 1.0, 2.0])))

        def update(self, t, dt):
            self.V.value = derivative(self.V, t, 10.0, dt=dt)

        def run(self, ts):
            bm.for_loop(lambda t: self.update(t, 0.1), ts)

    model = Model()
    bm.jit(model.update)(0.0, 0.1)
    bm.jit(model.run)(bm.arange(1, steps) * 0.1)
    return np.asarray(model.V)


def test_numpy_in_odeint_derivative_under_jit_matches_numpy_backend():
    expected = _run_odeint_model("numpy")
    out = _run_odeint_model("jax")
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert not np.allclose(out, [0.5, 1.0, 2.0])


def test_numpy_in_for_loop_body(jax_backend):
    v = bm.Variable(bm.zeros(3))

    def body(x):
        v.value = v + np.exp(-v) * x
        return np.tanh(v)

    out = bm.for_loop(body, bm.asarray(X))
    ev, rows = np.zeros(3, np.float32), []
    for x in X:
        ev = ev + np.exp(-ev) * x
        rows.append(np.tanh(ev))
    np.testing.assert_allclose(out, rows, rtol=1e-5)
    np.testing.assert_allclose(v, ev, rtol=1e-5)


def test_numpy_on_raw_traced_value_names_line_and_bp_math(jax_backend):
    def f(a):
        return np.exp(a.value) + 1.0

    with pytest.raises(NumpyInJaxError, match=r"bp\.math\.exp") as info:
        bm.jit(f)(bm.asarray(X))
    assert "return np.exp(a.value) + 1.0" in str(info.value)
    assert f"{__file__}:" in str(info.value)

    v = bm.Variable(bm.zeros(3))

    def body(x):
        v.value = v + np.sin(v.value) * x

    with pytest.raises(NumpyInJaxError, match=r"bp\.math\.for_loop: .*bp\.math\.sin"):
        bm.for_loop(body, bm.asarray(X))
    np.testing.assert_allclose(v, 0.0)


def test_numpy_function_without_counterpart(jax_backend):
    def f(a):
        return np.real_if_close(a)  # no jax counterpart

    with pytest.raises(NumpyInJaxError, match=r"numpy\.real_if_close.*bp\.math\.real_if_close"):
        bm.jit(f)(bm.asarray(X))
    np.testing.assert_allclose(f(bm.asarray(X)), X)  # eager: NumPy's
