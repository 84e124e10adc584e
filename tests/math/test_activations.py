"""bp.math.activations (also bp.math.relu & co) and bp.math.Parameter on both backends.

Every activation is compared with SciPy/NumPy references in float64 and with ``jax.nn``,
eagerly and inside ``bp.math.jit`` (Numba on the numpy backend, XLA on the jax one).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

import brainjit as bp

X = np.array([-30.0, -6.5, -3.0, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 6.0, 7.5, 40.0])
X2 = np.array([[0.5, -1.0, 2.0, 0.0], [30.0, -2.0, 1.0, 1.5], [-3.0, -3.0, -3.0, -3.0]])
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu(x, a):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


# name -> (keyword arguments, float64 reference, jax.nn reference or None)
CASES = {
    "relu": ({}, lambda x: np.maximum(x, 0), jax.nn.relu),
    "relu6": ({}, lambda x: np.clip(x, 0, 6), jax.nn.relu6),
    "leaky_relu": ({}, lambda x: np.where(x >= 0, x, 0.01 * x), jax.nn.leaky_relu),
    "leaky_relu/0.2": (
        {"negative_slope": 0.2},
        lambda x: np.where(x >= 0, x, 0.2 * x),
        lambda x: jax.nn.leaky_relu(x, 0.2),
    ),
    "elu": ({}, lambda x: _elu(x, 1.0), jax.nn.elu),
    "elu/0.5": ({"alpha": 0.5}, lambda x: _elu(x, 0.5), lambda x: jax.nn.elu(x, 0.5)),
    "selu": ({}, lambda x: SELU_S * _elu(x, SELU_A), jax.nn.selu),
    "celu": ({}, lambda x: _elu(x, 1.0), jax.nn.celu),
    "celu/2": (
        {"alpha": 2.0},
        lambda x: np.maximum(x, 0) + 2 * np.expm1(np.minimum(x, 0) / 2),
        lambda x: jax.nn.celu(x, 2.0),
    ),
    "gelu": (
        {},
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        jax.nn.gelu,
    ),
    "gelu/exact": (
        {"approximate": False},
        lambda x: x * special.ndtr(x),
        lambda x: jax.nn.gelu(x, approximate=False),
    ),
    "sigmoid": ({}, special.expit, jax.nn.sigmoid),
    "silu": ({}, lambda x: x * special.expit(x), jax.nn.silu),
    "swish": ({}, lambda x: x * special.expit(x), jax.nn.swish),
    "hard_sigmoid": ({}, lambda x: np.clip(x + 3, 0, 6) / 6, jax.nn.hard_sigmoid),
    "hard_silu": ({}, lambda x: x * np.clip(x + 3, 0, 6) / 6, jax.nn.hard_silu),
    "hard_swish": ({}, lambda x: x * np.clip(x + 3, 0, 6) / 6, jax.nn.hard_swish),
    "hard_tanh": ({}, lambda x: np.clip(x, -1, 1), jax.nn.hard_tanh),
    "hard_tanh/bounds": (
        {"min_val": -2.0, "max_val": 0.5},
        lambda x: np.clip(x, -2, 0.5),
        None,
    ),
    "softplus": ({}, lambda x: np.logaddexp(x, 0), jax.nn.softplus),
    "softplus/beta": (
        {"beta": 2.0, "threshold": 10.0},
        lambda x: np.where(2 * x > 10, x, np.logaddexp(2 * x, 0) / 2),
        None,
    ),
    "soft_sign": ({}, lambda x: x / (1 + np.abs(x)), jax.nn.soft_sign),
    "log_sigmoid": ({}, lambda x: np.log(special.expit(x)), jax.nn.log_sigmoid),
    "tanh": ({}, np.tanh, jnp.tanh),
    "softmax": ({}, special.softmax, jax.nn.softmax),
    "log_softmax": ({}, special.log_softmax, jax.nn.log_softmax),
}
NAMES = sorted({case.split("/")[0] for case in CASES})
EXPECTED = set(
    "relu relu6 leaky_relu elu selu celu gelu sigmoid silu swish hard_sigmoid hard_silu "
    "hard_swish hard_tanh softplus soft_sign log_sigmoid tanh softmax log_softmax "
    "standardize normalize".split()
)
NORMALIZING = {"standardize", "normalize"}  # tested by test_standardize
TOL = {"numpy": dict(rtol=1e-12, atol=1e-14), "jax": dict(rtol=2e-6, atol=2e-7)}
JAX_TOL = dict(rtol=5e-6, atol=5e-7)  # against jax.nn, which computes in float32


def _call(case, x):
    name = case.split("/")[0]
    return getattr(bp.math.activations, name)(x, **CASES[case][0])


def _reference(case, x):
    kwargs, ref, _ = CASES[case]
    name = case.split("/")[0]
    if name in ("softmax", "log_softmax"):
        return ref(x, axis=-1)
    return ref(x)


def test_the_list_is_complete():
    assert set(NAMES) | NORMALIZING == EXPECTED
    for backend in ("numpy", "jax"):
        bp.math.use_backend(backend)
        assert set(bp.math.activations.__all__) == EXPECTED


def test_reachable_as_bp_math_names(backend):
    for name in EXPECTED - {"tanh"}:
        assert getattr(bp.math, name) is getattr(bp.math.activations, name), name
    assert bp.math.tanh is not None  # bp.math.tanh stays NumPy's tanh
    np.testing.assert_allclose(np.asarray(bp.math.activations.tanh(X)), np.tanh(X), rtol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("shape", ["1d", "2d"])
def test_eager_matches_scipy_and_jax_nn(backend, case, shape):
    x = X if shape == "1d" else X2
    out = _call(case, bp.math.asarray(x))
    assert isinstance(out, bp.math.ndarray) and out.shape == x.shape
    assert out.dtype == (np.float64 if backend == "numpy" else np.float32)
    np.testing.assert_allclose(np.asarray(out, np.float64), _reference(case, x), **TOL[backend])
    jax_ref = CASES[case][2]
    if jax_ref is not None:
        want = np.asarray(jax_ref(jnp.asarray(x, jnp.float32)), np.float64)
        np.testing.assert_allclose(np.asarray(out, np.float64), want, **JAX_TOL)


def test_integer_and_scalar_inputs(backend):
    out = bp.math.relu(bp.math.arange(-2, 3))
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(np.asarray(out), [0, 0, 0, 1, 2])
    assert np.shape(bp.math.sigmoid(0.0)) == () and float(bp.math.sigmoid(0.0)) == 0.5


def test_softmax_axis(backend):
    x = bp.math.asarray(X2)
    for axis in (0, 1, -1):
        for name, ref in (("softmax", special.softmax), ("log_softmax", special.log_softmax)):
            out = np.asarray(getattr(bp.math, name)(x, axis=axis), np.float64)
            np.testing.assert_allclose(out, ref(X2, axis=axis), **TOL[backend])


def _standardized(x, axis=-1, mean=None, var=None, eps=1e-5):
    mean = x.mean(axis, keepdims=True) if mean is None else mean
    var = ((x - mean) ** 2).mean(axis, keepdims=True) if var is None else var
    return (x - mean) / np.sqrt(var + eps)


class Standardizer(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(bp.math.asarray(X2))
        self.a = bp.math.Variable(bp.math.zeros(X2.shape))
        self.b = bp.math.Variable(bp.math.zeros(X2.shape))

    def update(self):
        self.a.value = bp.math.standardize(self.x)
        self.b.value = bp.math.activations.normalize(self.x, epsilon=0.5)


def test_standardize(backend):
    assert bp.math.normalize is bp.math.standardize
    x = bp.math.asarray(X2)
    tol = TOL[backend]
    for axis in (-1, 0):
        got = np.asarray(bp.math.standardize(x, axis=axis), np.float64)
        np.testing.assert_allclose(got, _standardized(X2, axis), **tol)
        want = jax.nn.standardize(jnp.asarray(X2, jnp.float32), axis, algorithm="stable")
        np.testing.assert_allclose(got, np.asarray(want, np.float64), rtol=1e-5, atol=1e-5)
    got = bp.math.standardize(x, mean=1.0, variance=4.0, epsilon=0.0)
    np.testing.assert_allclose(np.asarray(got, np.float64), (X2 - 1) / 2, **tol)
    model = Standardizer()
    bp.math.jit(model.update)()
    np.testing.assert_allclose(np.asarray(model.a, np.float64), _standardized(X2), **tol)
    want = _standardized(X2, eps=0.5)
    np.testing.assert_allclose(np.asarray(model.b, np.float64), want, **tol)


class Net(bp.Base):
    """Every case, computed from Variables inside one jitted method."""

    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(bp.math.asarray(X2))
        for i, _ in enumerate(sorted(CASES)):
            setattr(self, f"out{i}", bp.math.Variable(bp.math.zeros(X2.shape)))

    def update(self):
        am = bp.math.activations
        self.out0.value = am.celu(self.x)
        self.out1.value = am.celu(self.x, alpha=2.0)
        self.out2.value = am.elu(self.x)
        self.out3.value = am.elu(self.x, alpha=0.5)
        self.out4.value = bp.math.gelu(self.x)
        self.out5.value = bp.math.gelu(self.x, approximate=False)
        self.out6.value = am.hard_sigmoid(self.x)
        self.out7.value = am.hard_silu(self.x)
        self.out8.value = am.hard_swish(self.x)
        self.out9.value = am.hard_tanh(self.x)
        self.out10.value = am.hard_tanh(self.x, min_val=-2.0, max_val=0.5)
        self.out11.value = am.leaky_relu(self.x)
        self.out12.value = am.leaky_relu(self.x, negative_slope=0.2)
        self.out13.value = am.log_sigmoid(self.x)
        self.out14.value = am.log_softmax(self.x)
        self.out15.value = bp.math.relu(self.x)
        self.out16.value = am.relu6(self.x)
        self.out17.value = am.selu(self.x)
        self.out18.value = bp.math.sigmoid(self.x)
        self.out19.value = am.silu(self.x)
        self.out20.value = am.soft_sign(self.x)
        self.out21.value = bp.math.softmax(self.x)
        self.out22.value = am.softplus(self.x)
        self.out23.value = am.softplus(self.x, beta=2.0, threshold=10.0)
        self.out24.value = am.swish(self.x)
        self.out25.value = am.tanh(self.x)


def test_inside_jit(backend):
    assert len(CASES) == 26  # Net.update covers every case, in sorted order
    net = Net()
    bp.math.jit(net.update)()
    for i, case in enumerate(sorted(CASES)):
        got = np.asarray(getattr(net, f"out{i}"), np.float64)
        np.testing.assert_allclose(got, _reference(case, X2), **TOL[backend], err_msg=case)


def test_numpy_jit_softmax_refuses_other_axes():
    bp.math.use_backend("numpy")

    @bp.math.jit
    def f(x):
        return bp.math.softmax(x, axis=0)

    with pytest.raises(Exception, match="last axis"):
        f(X2)


# ------------------------------------------------------------------------ Parameter


def test_parameter_is_a_trainvar(backend):
    p = bp.math.Parameter(bp.math.ones(3))
    assert isinstance(p, bp.math.TrainVar) and isinstance(p, bp.math.Variable)
    assert bp.math.is_trainvar(p) and bp.math.is_variable(p)
    assert isinstance(p, bp.math.ndarray)
    p.value = bp.math.zeros(3)
    np.testing.assert_array_equal(np.asarray(p), np.zeros(3))
    with pytest.raises((TypeError, ValueError)):
        p.value = bp.math.zeros(4)


class Layer(bp.Base):
    def __init__(self):
        super().__init__()
        self.w = bp.math.Parameter(bp.math.ones(3) * 2.0)
        self.state = bp.math.Variable(bp.math.zeros(3))

    def update(self, x):
        self.state.value = self.w * x


def test_parameter_in_train_vars_jit_and_reset(backend):
    layer = Layer()
    assert list(layer.train_vars().values()) == [layer.w]
    assert layer.w in layer.vars().values()
    bp.math.jit(layer.update)(bp.math.ones(3))
    np.testing.assert_array_equal(np.asarray(layer.state), [2.0, 2.0, 2.0])
    layer.w.value = bp.math.ones(3) * 5.0
    layer.reset_state()
    np.testing.assert_array_equal(np.asarray(layer.w), [5.0, 5.0, 5.0])  # kept, as a TrainVar
    np.testing.assert_array_equal(np.asarray(layer.state), [0.0, 0.0, 0.0])


def test_parameter_gradient_on_jax():
    bp.math.use_backend("jax")
    layer = Layer()

    def loss(x):
        layer.update(x)
        return (layer.state * layer.state).sum()

    grads = bp.math.grad(loss, grad_vars=layer.train_vars())(bp.math.ones(3))
    (g,) = grads.values() if isinstance(grads, dict) else (grads,)
    np.testing.assert_allclose(np.asarray(g), [4.0, 4.0, 4.0])


def _double_first(x):
    x[0] = x[0] * 2


def _triple(x):
    return x * 3


def test_parameter_as_a_jit_argument(backend):
    p = bp.math.Parameter(bp.math.ones(3))
    np.testing.assert_array_equal(np.asarray(bp.math.jit(_triple)(p)), [3.0, 3.0, 3.0])
    if backend == "numpy":  # the compiled code writes into the argument's array
        bp.math.jit(_double_first)(p)
        np.testing.assert_array_equal(np.asarray(p), [2.0, 1.0, 1.0])
        assert type(p) is bp.math.Parameter
