"""Bad input: a clear error (NumPy's, JAX's or ours), never a silent wrong result."""

import numpy as np
import pytest

import brainjit as bp

requires_32_bit_jax = pytest.mark.skipif(
    bp.math.x64_enabled(), reason="JAX runs in 64-bit mode (JAX_ENABLE_X64)"
)


@requires_32_bit_jax
@pytest.mark.parametrize(
    "call",
    [
        lambda bm: bm.zeros(3, dtype="float64"),
        lambda bm: bm.zeros(3, "float64"),  # positional
        lambda bm: bm.ones((2, 2), dtype=np.float64),
        lambda bm: bm.full(3, 1.0, bm.float64),
        lambda bm: bm.arange(0, 3, 1, "int64"),
        lambda bm: bm.array([1.0, 2.0], dtype=np.float64),
        lambda bm: bm.asarray([1, 2], dtype="int64"),
        lambda bm: bm.sum(bm.ones(3), dtype="float64"),
        lambda bm: bm.ones(3).astype("float64"),
        lambda bm: bm.ones(3).astype(np.complex128),
        lambda bm: bm.JaxArray([1.0], dtype="float64"),
        lambda bm: bm.Variable([1.0], dtype="float64"),
        lambda bm: bm.TrainVar(bm.zeros(2), dtype=np.float64),
        lambda bm: bm.random.randint(0, 5, 3, dtype="int64"),
        lambda bm: bm.linspace(0, 1, 5, dtype="float64"),
        lambda bm: bm.zeros_like(bm.ones(2), dtype="float64"),
    ],
)
def test_64_bit_dtype_under_jax_without_x64_says_how_to_enable_it(call):
    bp.math.use_backend("jax")
    with pytest.raises(ValueError, match="enable_x64"):
        call(bp.math)


@requires_32_bit_jax
def test_32_bit_and_python_dtypes_are_fine_under_jax():
    bp.math.use_backend("jax")
    assert bp.math.zeros(2, dtype="float32").dtype == np.float32
    assert bp.math.zeros(2, dtype=float).dtype == np.float32  # Python types: JAX's default
    assert bp.math.zeros(2, dtype=int).dtype == np.int32
    assert bp.math.isdtype(np.float64, "real floating")  # a dtype parameter, not a request


@pytest.mark.parametrize(
    "call",
    [
        lambda bm: bm.reshape(bm.arange(6), (4, 2)),
        lambda bm: bm.concatenate([bm.ones((2, 2)), bm.ones((3, 3))]),
        lambda bm: bm.dot(bm.ones(3), bm.ones(4)),
        lambda bm: bm.ones(3) + bm.ones(4),
        lambda bm: bm.zeros(-1),
        lambda bm: bm.ones("a"),
        lambda bm: bm.stack([bm.ones(2), bm.ones(3)]),
        lambda bm: bm.linalg.inv(bm.ones((2, 3))),
        lambda bm: bm.transpose(bm.ones((2, 3)), (0, 2)),
        lambda bm: bm.sum(bm.ones(3), axis=2),
    ],
)
def test_wrong_shapes_raise(backend, call):
    with pytest.raises((ValueError, TypeError, IndexError, np.linalg.LinAlgError)):
        call(bp.math)


@pytest.mark.parametrize(
    "value", [["a", "b"], None, {"a": 1}, object()], ids=["str", "None", "dict", "object"]
)
def test_variable_of_something_that_is_not_numbers(backend, value):
    with pytest.raises((TypeError, ValueError)):
        bp.math.Variable(value)


def test_variable_assignment_errors(backend):
    v = bp.math.Variable(bp.math.zeros((2, 2)), name="net.w")
    with pytest.raises(ValueError, match=r"net\.w.*\(2, 2\).*\(4,\)"):
        v.value = bp.math.zeros(4)
    with pytest.raises(TypeError, match=r"net\.w.*int32"):
        v.value = bp.math.zeros((2, 2), dtype=bp.math.int32)
    with pytest.raises(TypeError, match="Python complex"):
        bp.math.Variable(1.0).value = 1j
    np.testing.assert_array_equal(np.asarray(v), np.zeros((2, 2)))


@pytest.mark.parametrize(
    "call,error",
    [
        (lambda r: r.bernoulli(1.5, 3), "p must lie in"),
        (lambda r: r.bernoulli(-0.1), "p must lie in"),
        (lambda r: r.truncated_normal(1.0, -1.0, 3), "lower < upper"),
        (lambda r: r.randint(5, 3), ""),
        (lambda r: r.randint(0, 0, 2), ""),
    ],
)
def test_random_parameters_out_of_range(backend, call, error):
    with pytest.raises(ValueError, match=error):
        call(bp.math.random)


def test_jax_shuffle_needs_a_jaxarray():
    bp.math.use_backend("jax")
    with pytest.raises(TypeError, match="permutation"):
        bp.math.random.shuffle(np.arange(3))


def test_jax_in_place_functions_need_a_jaxarray():
    bp.math.use_backend("jax")
    with pytest.raises(TypeError, match="JaxArray"):
        bp.math.fill_diagonal(np.zeros((2, 2)), 1.0)
    with pytest.raises(TypeError, match="JaxArray"):
        bp.math.add.at(np.zeros(2), [0], 1.0)


def test_in_place_operations_numpy_refuses_raise_and_change_nothing(backend):
    v = bp.math.array([1.5, 2.5])
    with pytest.raises(TypeError):
        v >>= 1
    b = bp.math.array([True, False])
    with pytest.raises(TypeError):
        b -= True
    np.testing.assert_array_equal(np.asarray(v), [1.5, 2.5])
    np.testing.assert_array_equal(np.asarray(b), [True, False])


def test_out_of_bounds_index(backend):
    with pytest.raises(IndexError):
        bp.math.zeros(3)[3]
    with pytest.raises(IndexError):
        bp.math.Variable(bp.math.zeros((2, 2)))[0, -3] = 1.0
