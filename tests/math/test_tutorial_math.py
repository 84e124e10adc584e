"""The JIT tutorial's math cells ([1]-[15] and [29]-[39]) on both backends.

Values are checked against what the tutorial shows and against NumPy; types and dtypes
against what each backend promises (the jax backend computes in 32 bits, as the
tutorial's output shows: float32, int32, complex64).
"""

import numpy as np
import pytest

import brainjit as bp

BACKENDS = ["numpy", "jax"]
# dtypes each backend gives for Python floats, ints and complex numbers
FLOAT = {"numpy": np.float64, "jax": np.float32}
INT = {"numpy": np.int64, "jax": np.int32}
COMPLEX = {"numpy": np.complex128, "jax": np.complex64}


def array_type(backend):
    return bp.math.JaxArray if backend == "jax" else bp.math.ndarray


def test_cell_1_version():
    assert bp.__version__ == __import__("brainjit._version").__version__
    major, minor = bp.__version__.split(".")[:2]
    assert major.isdigit() and minor.isdigit()


def test_cells_2_and_3_backend_switch():
    bp.math.use_backend("numpy")  # [2]
    assert bp.math.get_backend_name() == "numpy"
    bp.math.use_backend("jax")  # [3]
    assert bp.math.get_backend_name() == "jax"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cells_4_to_6_creation(backend):
    bp.math.use_backend(backend)
    z = bp.math.zeros((10, 3))  # [4]
    assert isinstance(z, array_type(backend))
    assert z.shape == (10, 3) and z.dtype == FLOAT[backend]
    np.testing.assert_array_equal(np.asarray(z), np.zeros((10, 3)))

    r = bp.math.arange(10)  # [5]
    assert isinstance(r, array_type(backend)) and r.dtype == INT[backend]
    np.testing.assert_array_equal(np.asarray(r), list(range(10)))

    x = bp.math.array([[1, 2], [3, 4]])  # [6]
    assert isinstance(x, array_type(backend)) and x.dtype == INT[backend]
    np.testing.assert_array_equal(np.asarray(x), [[1, 2], [3, 4]])
    if backend == "jax":
        assert repr(x) == "JaxArray([[1, 2],\n          [3, 4]], dtype=int32)"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cells_7_to_9_manipulation(backend):
    bp.math.use_backend(backend)
    x = bp.math.array([[1, 2], [3, 4]])
    m = bp.math.max(x)  # [7]
    assert m == 4 and np.asarray(m).dtype == INT[backend] and np.ndim(m) == 0
    r = bp.math.repeat(x, 2)  # [8]
    assert isinstance(r, array_type(backend))
    np.testing.assert_array_equal(np.asarray(r), [1, 1, 2, 2, 3, 3, 4, 4])
    r = bp.math.repeat(x, 2, axis=1)  # [9]
    np.testing.assert_array_equal(np.asarray(r), [[1, 1, 2, 2], [3, 3, 4, 4]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_cells_10_to_12_random_and_dot(backend):
    bp.math.use_backend(backend)
    bp.math.random.seed(2021)
    u = bp.math.random.random((3, 5))  # [10]
    assert isinstance(u, array_type(backend)) and u.shape == (3, 5) and u.dtype == FLOAT[backend]
    assert ((np.asarray(u) >= 0) & (np.asarray(u) < 1)).all()
    assert len(np.unique(np.asarray(u))) == 15
    y = bp.math.random.normal(loc=0.0, scale=2.0, size=(2, 5))  # [11]
    assert isinstance(y, array_type(backend)) and y.shape == (2, 5) and y.dtype == FLOAT[backend]
    x = bp.math.array([[1, 2], [3, 4]])
    d = bp.math.dot(x, y)  # [12]
    assert isinstance(d, array_type(backend)) and d.shape == (2, 5)
    assert d.dtype == FLOAT[backend]
    want = np.dot([[1, 2], [3, 4]], np.asarray(y, dtype=np.float64))
    np.testing.assert_allclose(np.asarray(d), want, rtol=1e-6 if backend == "numpy" else 1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cell_13_eig(backend):
    bp.math.use_backend(backend)
    x = bp.math.array([[1, 2], [3, 4]])
    w, v = bp.math.linalg.eig(x)
    assert isinstance(w, array_type(backend)) and isinstance(v, array_type(backend))
    if backend == "jax":  # the tutorial's output
        assert w.dtype == np.complex64 and v.dtype == np.complex64
    w_np, v_np = np.linalg.eig(np.array([[1.0, 2.0], [3.0, 4.0]]))
    order, order_np = np.argsort(np.asarray(w).real), np.argsort(w_np.real)
    tol = 1e-6 if backend == "numpy" else 1e-5
    np.testing.assert_allclose(np.asarray(w)[order].real, w_np[order_np].real, rtol=tol)
    np.testing.assert_allclose(np.asarray(w)[order].real, [-0.37228132, 5.37228132], rtol=tol)
    # eigenvectors: unit columns, equal to NumPy's up to sign (the tutorial's values)
    vec, vec_np = np.asarray(v)[:, order], v_np[:, order_np]
    np.testing.assert_allclose(np.abs(vec), np.abs(vec_np), rtol=tol, atol=tol)
    np.testing.assert_allclose(
        np.abs(vec), [[0.8245648, 0.41597357], [0.56576747, 0.9093767]], rtol=1e-5
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_cells_14_and_15_fft(backend):
    bp.math.use_backend(backend)
    signal = bp.math.exp(2j * bp.math.pi * bp.math.arange(8) / 8)
    f = bp.math.fft.fft(signal)  # [14]
    assert isinstance(f, array_type(backend)) and f.dtype == COMPLEX[backend]
    want = np.fft.fft(np.exp(2j * np.pi * np.arange(8) / 8))
    atol = 1e-12 if backend == "numpy" else 2e-6
    np.testing.assert_allclose(np.asarray(f), want, atol=atol)
    np.testing.assert_allclose(np.asarray(f), [0, 8, 0, 0, 0, 0, 0, 0], atol=atol)

    g = bp.math.fft.ifft(bp.math.array([0, 4, 0, 0]))  # [15]
    assert isinstance(g, array_type(backend)) and g.dtype == COMPLEX[backend]
    np.testing.assert_allclose(np.asarray(g), [1, 1j, -1, -1j], atol=1e-7)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("as_variable", [False, True], ids=["array", "Variable"])
def test_cells_29_to_39_in_place_operators_keep_id(backend, as_variable):
    bp.math.use_backend(backend)
    v = bp.math.arange(10)  # [29]
    if as_variable:
        v = bp.math.Variable(v)
    ident, dtype = id(v), v.dtype
    oracle = np.arange(10).astype(dtype)  # NumPy, with the cast-back the tutorial shows

    def check():
        assert id(v) == ident and v.dtype == dtype and v.shape == (10,)
        assert type(v) is (bp.math.Variable if as_variable else array_type(backend))
        np.testing.assert_array_equal(np.asarray(v), oracle)

    v[0] = 1  # [30]
    oracle[0] = 1
    check()
    v[1:2] = 1  # [31]
    oracle[1:2] = 1
    check()
    v[[1, 3]] = 2  # [32]
    oracle[[1, 3]] = 2
    check()
    v[:] = 0  # [33]
    oracle[:] = 0
    check()
    v[...] = bp.math.arange(10)  # [34]
    oracle[...] = np.arange(10)
    check()
    v += 1  # [35]
    oracle += 1
    check()
    v *= 2  # [36]
    oracle *= 2
    check()
    bits = bp.math.random.randint(0, 2, 10)
    assert set(np.unique(np.asarray(bits))) <= {0, 1}
    v |= bits  # [37]
    oracle |= np.asarray(bits).astype(dtype)
    check()
    v **= 2.0  # [38]: NumPy 2 itself refuses this on integers; the tutorial casts back
    np.power(oracle, 2.0, out=oracle, casting="unsafe")
    check()
    v >>= 2  # [39]
    oracle >>= 2
    check()
    assert oracle.max() > 0  # the sequence did something
