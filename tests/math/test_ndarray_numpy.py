"""The numpy backend's arrays: NumPy arrays (a thin subclass) with the tutorial's in-place
semantics, returned by every bp.math function."""

import pickle

import numpy as np
import pytest

import brainjit as bp
from brainjit.math._numpy import numba_view


@pytest.fixture(autouse=True)
def _numpy():
    bp.math.use_backend("numpy")


def test_ndarray_is_a_numpy_array():
    x = bp.math.zeros(3)
    assert isinstance(x, np.ndarray) and type(x) is bp.math.ndarray
    assert bp.math.Array is bp.math.ndarray
    assert type(x.value) is np.ndarray and np.shares_memory(x, x.value)
    assert type(x.numpy()) is np.ndarray


@pytest.mark.parametrize(
    "call",
    [
        lambda bm: bm.zeros(3),
        lambda bm: bm.array([1, 2]),
        lambda bm: bm.asarray(np.arange(3)),
        lambda bm: bm.add([1, 2], [3, 4]),  # a ufunc on lists
        lambda bm: bm.sin(np.arange(3.0)),  # a ufunc on a plain ndarray
        lambda bm: bm.add.outer([1, 2], [3, 4]),
        lambda bm: bm.add.accumulate([1, 2, 3]),
        lambda bm: bm.concatenate([np.ones(2), np.zeros(2)]),
        lambda bm: bm.linalg.inv(np.eye(2)),
        lambda bm: bm.fft.fft(np.ones(4)),
        lambda bm: bm.random.rand(3),
        lambda bm: bm.vectorize(lambda a: a + 1)(np.arange(3)),
        lambda bm: bm.r_[np.ones(2), np.zeros(1)],
        lambda bm: bm.mgrid[0:2, 0:2],
        lambda bm: bm.arange(4).reshape(2, 2).T,
        lambda bm: bm.arange(4) + np.ones(4, dtype=int),
        lambda bm: np.ones(4, dtype=int) + bm.arange(4),
    ],
)
def test_functions_return_the_backend_array(call):
    out = call(bp.math)
    assert type(out) is bp.math.ndarray
    out **= 2.0  # the tutorial's in-place semantics hold on every result


def test_tuples_and_named_tuples_of_arrays():
    q, r = bp.math.divmod([7, 8], 3)
    assert type(q) is bp.math.ndarray and type(r) is bp.math.ndarray
    result = bp.math.linalg.eigh(np.eye(2))
    assert type(result).__name__ == "EighResult"
    assert type(result.eigenvalues) is bp.math.ndarray
    parts = bp.math.split(bp.math.arange(4), 2)
    assert isinstance(parts, list) and all(type(p) is bp.math.ndarray for p in parts)


def test_full_reductions_give_numpy_scalars_as_numpy_does():
    x = bp.math.array([[1, 2], [3, 4]])
    for value, want in (
        (x.sum(), np.int64(10)),
        (bp.math.max(x), np.int64(4)),
        (np.max(x), np.int64(4)),
        (x.mean(), np.float64(2.5)),
        (bp.math.median(x), np.float64(2.5)),
        (x[0, 1], np.int64(2)),
    ):
        assert type(value) is type(want) and value == want
    assert type(x.sum(axis=0)) is bp.math.ndarray
    assert {x.sum(): "hashable"}[10] == "hashable"


def test_out_argument_returns_the_out_array():
    x = bp.math.zeros(3)
    assert np.add(x, 1, out=x) is x
    assert bp.math.add(np.ones(3), 1, out=x) is x
    np.testing.assert_array_equal(x, [2.0, 2.0, 2.0])


def test_ufunc_wrappers_expose_numpys_ufunc():
    for name in ("sin", "add", "maximum", "logical_and"):
        ours, numpys = getattr(bp.math, name), getattr(np, name)
        assert ours.__wrapped__ is numpys
        assert numba_view.numpy_equivalent(ours) is numpys  # what compiled code calls
        assert ours.nin == numpys.nin and ours.nout == numpys.nout
        assert ours.__name__ == name
    assert bp.math.add.identity == 0
    assert bp.math.add.reduce([1, 2, 3]) == 6
    x = bp.math.zeros(3)
    assert bp.math.add.at(x, [0, 0, 2], 1.0) is None
    np.testing.assert_array_equal(x, [2.0, 0.0, 1.0])
    assert pickle.loads(pickle.dumps(bp.math.sin))(0.0) == 0.0


def test_other_wrappers_expose_numpys_function():
    for name in ("zeros", "concatenate", "sum"):
        assert numba_view.numpy_equivalent(getattr(bp.math, name)) is getattr(np, name)
    # where: NumPy's, except that compiled code gets a number for numbers (no 0-d array)
    assert numba_view.numpy_equivalent(bp.math.where) is numba_view.where
    cond = np.array([True, False])
    np.testing.assert_array_equal(numba_view.where(cond, 1.0, 2.0), np.where(cond, 1.0, 2.0))
    assert numba_view.where(cond)[0].tolist() == [0]
    assert numba_view.numpy_equivalent(bp.math.linalg.inv) is np.linalg.inv
    assert bp.math.pi is np.pi and bp.math.float32 is np.float32 and bp.math.newaxis is None


_WHERE_ARGS = {
    "bool": np.array([True, False, True, False, True]),
    "bool[1]": np.array([True]),
    "float": np.linspace(-1.0, 1.0, 5),
    "float[1]": np.array([7.5]),
    "float32": np.linspace(0.0, 2.0, 5, dtype=np.float32),
    "int32": np.arange(5, dtype=np.int32),
    "0-d": np.array(-3.0),
    "number": 2.5,
    "int": 4,
    "True": True,
}


@pytest.mark.parametrize(
    "cond, x, y",
    [
        ("bool", "float", "number"),
        ("bool", "number", "float"),
        ("bool", "float32", "int32"),
        ("bool", "float[1]", "0-d"),
        ("bool[1]", "float", "int"),
        ("True", "float32", "float"),
        ("bool", "int", "True"),
        ("bool[1]", "number", "float[1]"),
    ],
)
def test_compiled_where_on_1d_arrays_matches_numpy(cond, x, y):
    """1-D arrays and numbers take a plain loop (Numba's np.where compiles for seconds):
    NumPy's values and broadcasting, with the dtype Numba's np.where gives (both
    operands' dtypes promoted; Numba types a Python number as 64-bit)."""
    import numba

    f = numba.njit(lambda c, a, b: numba_view.where(c, a, b))
    args = [_WHERE_ARGS[k] for k in (cond, x, y)]
    got = f(*args)
    expected = np.where(*args)
    np.testing.assert_array_equal(got, expected)
    dtypes = [
        a.dtype if isinstance(a, np.ndarray) else numba.np.numpy_support.as_dtype(numba.typeof(a))
        for a in args[1:]
    ]
    assert got.dtype == np.promote_types(*dtypes)


def test_compiled_where_rejects_arrays_of_other_lengths():
    import numba

    f = numba.njit(lambda c, a, b: numba_view.where(c, a, b))
    with pytest.raises(ValueError, match="could not be broadcast"):
        f(np.array([True, False, True]), np.zeros(4), 1.0)
    # two dimensions: NumPy's own broadcasting (Numba's np.where)
    got = f(np.array([[True], [False]]), np.zeros((1, 3)), np.ones((2, 1)))
    np.testing.assert_array_equal(got, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def test_numpy_test_runners_are_not_exported():
    for module in (bp.math, bp.math.linalg, bp.math.fft):
        assert not hasattr(module, "test")


def test_variable_views_and_methods_are_plain_arrays():
    v = bp.math.Variable(np.arange(6.0).reshape(2, 3))
    for out in (v.T, v.reshape(3, 2), v.ravel(), v.copy(), v.view(), v[0], v[:, :2], v.real):
        assert type(out) is bp.math.ndarray
    assert type(v.value) is np.ndarray and np.shares_memory(v.value, v)
    c = bp.math.Variable(np.ones(2, dtype=complex))
    c.imag = 3.0  # writable parts still write through
    np.testing.assert_array_equal(c.value, [1 + 3j, 1 + 3j])
    v.T[0, 0] = 50.0  # a view: writes reach the Variable
    assert v[0, 0] == 50.0


def test_reductions_and_ufuncs_on_variables():
    v = bp.math.Variable(np.arange(4.0))
    assert type(v.sum()) is np.float64 and type(np.sum(v)) is np.float64
    assert type(v + 1) is bp.math.ndarray and type(np.exp(v)) is bp.math.ndarray
    assert type(bp.math.Variable(2.0) * 3) is np.float64


def test_in_place_integer_power_numpy_itself_refuses():
    plain = np.arange(4)
    with pytest.raises(TypeError):
        plain **= 2.0
    ours = bp.math.arange(4)
    ours **= 2.0
    np.testing.assert_array_equal(ours, [0, 1, 4, 9])
    assert ours.dtype == np.int64
