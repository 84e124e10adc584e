"""In-place updates on both backends: the twelve augmented assignments and __setitem__.

NumPy is the oracle, with the tutorial's cast-back semantics: ``v op= x`` computes as
NumPy does and casts the result back to ``v``'s dtype (``np.<ufunc>(v, x, out=v,
casting="unsafe")``; NumPy 2 itself refuses ``v **= 2.`` on integers). Each update keeps
``id(v)``, the dtype and the shape; a combination NumPy refuses (``-=`` on booleans, a
shift of floats ...) raises on both backends and leaves the array unchanged.
"""

import operator
import warnings

import numpy as np
import pytest

import brainjit as bp

UFUNCS = {
    "iadd": np.add,
    "isub": np.subtract,
    "imul": np.multiply,
    "itruediv": np.true_divide,
    "ifloordiv": np.floor_divide,
    "imod": np.remainder,
    "ipow": np.power,
    "iand": np.bitwise_and,
    "ior": np.bitwise_or,
    "ixor": np.bitwise_xor,
    "ilshift": np.left_shift,
    "irshift": np.right_shift,
}
SYMBOL = {
    "iadd": "+=",
    "isub": "-=",
    "imul": "*=",
    "itruediv": "/=",
    "ifloordiv": "//=",
    "imod": "%=",
    "ipow": "**=",
    "iand": "&=",
    "ior": "|=",
    "ixor": "^=",
    "ilshift": "<<=",
    "irshift": ">>=",
}
DTYPES = {
    "numpy": ["bool", "int32", "int64", "float32", "float64"],
    "jax": ["bool", "int32", "float32"],  # 64-bit dtypes: tests/math/test_x64.py
}
CASES = [
    (b, dt, op, kind)
    for b in ("numpy", "jax")
    for dt in DTYPES[b]
    for op in UFUNCS
    for kind in ("array", "Variable", "TrainVar")
    if kind == "array" or dt in ("int32", "float32")  # Variables: an integer and a float dtype
]


def start(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([True, False, True, True, False, True])
    return np.array([-3, -1, 0, 2, 5, 7]).astype(dtype)


def operands(op: str, dtype: str) -> list:
    """Right-hand sides for ``op``: Python int, float, bool, and an array of the dtype."""
    rhs = [3, 2.0, True, np.array([1, 2, 3, 1, 2, 3]).astype(dtype)]
    if op in ("iadd", "isub", "imul", "itruediv"):
        rhs.append(1.5)  # a fraction: the result is cast back (truncated for integers)
    return rhs


def oracle(op, dtype, rhs):
    """NumPy's result of ``v op= rhs`` with cast-back, or the exception type it raises."""
    want = start(dtype)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            UFUNCS[op](want, rhs, out=want, casting="unsafe")
    except TypeError as error:  # numpy.core._exceptions._UFuncNoLoopError ...
        return type(error)
    return want


def make(kind: str, data: np.ndarray):
    bm = bp.math
    if kind == "array":
        return bm.array(data)
    return getattr(bm, kind)(bm.array(data))


@pytest.mark.parametrize("backend,dtype,op,kind", CASES)
def test_augmented_assignment(backend, dtype, op, kind):
    bp.math.use_backend(backend)
    for rhs in operands(op, dtype):
        v = make(kind, start(dtype))
        ident, cls = id(v), type(v)
        want = oracle(op, dtype, rhs)
        rhs_ours = bp.math.array(rhs) if isinstance(rhs, np.ndarray) else rhs
        where = f"{backend} {kind}[{dtype}] {SYMBOL[op]} {rhs!r}"
        if isinstance(want, type):  # NumPy refuses it: so must we, without a change
            with pytest.raises(TypeError):
                v = getattr(operator, op)(v, rhs_ours)
            np.testing.assert_array_equal(np.asarray(v), start(dtype), err_msg=where)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's cast warnings
            v = getattr(operator, op)(v, rhs_ours)
        assert id(v) == ident and type(v) is cls, where
        assert v.dtype == np.dtype(dtype) and v.shape == (6,), where
        got = np.asarray(v)
        if dtype.startswith("float"):
            np.testing.assert_allclose(got, want, rtol=2e-6, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(got, want, err_msg=where)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_every_augmented_assignment_is_defined_in_place(backend):
    bp.math.use_backend(backend)
    cls = type(bp.math.zeros(1))
    for op in UFUNCS:
        method = getattr(cls, f"__{op}__", None)
        assert method is not None, op
        assert method is not getattr(np.ndarray, f"__{op}__", None), op  # ours: cast-back


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_augmented_assignment_with_a_broadcast_operand(backend):
    bp.math.use_backend(backend)
    v = bp.math.zeros((2, 3))
    ident = id(v)
    v += bp.math.array([1.0, 2.0, 3.0])
    v *= bp.math.array([[2.0], [3.0]])
    assert id(v) == ident
    np.testing.assert_allclose(np.asarray(v), [[2, 4, 6], [3, 6, 9]])


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_augmented_assignment_cannot_change_the_shape(backend):
    bp.math.use_backend(backend)
    v = bp.math.zeros(3)
    with pytest.raises(ValueError):
        v += bp.math.ones((2, 3))
    np.testing.assert_array_equal(np.asarray(v), np.zeros(3))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_augmented_assignment_on_a_slice_writes_through(backend):
    bp.math.use_backend(backend)
    v = bp.math.arange(6)
    ident = id(v)
    v[1:4] += 10
    v[[0, 5]] *= 3
    v[v > 12] -= 1
    assert id(v) == ident
    want = np.arange(6)
    want[1:4] += 10
    want[[0, 5]] *= 3
    want[want > 12] -= 1
    np.testing.assert_array_equal(np.asarray(v), want)


# --------------------------------------------------------------------------- setitem


def index_cases():
    mask = np.array([True, False, True, False, False, True])
    return [
        ("int", 0, 7),
        ("negative int", -1, 7),
        ("slice", slice(1, 3), 7),
        ("step slice", slice(None, None, 2), np.array([4, 5, 6])),
        ("list", [1, 3], 9),
        ("list of values", [4, 0], np.array([8, 9])),
        ("array", np.array([2, 5]), np.array([1, 2])),
        ("repeated index", [1, 1], 3),
        ("boolean mask", mask, 9),
        ("boolean mask, array value", mask, np.array([1, 2, 3])),
        ("ellipsis", Ellipsis, np.arange(6)[::-1]),
        ("ellipsis, scalar", Ellipsis, 4),
        ("full slice", slice(None), 0),
        ("float value into ints", 2, 2.75),
    ]


@pytest.mark.parametrize("kind", ["array", "Variable"])
@pytest.mark.parametrize("dtype", ["int32", "float32", "bool"])
@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_setitem_1d(backend, dtype, kind):
    bp.math.use_backend(backend)
    for label, index, value in index_cases():
        if dtype == "bool" and label == "float value into ints":
            continue
        want = np.arange(6).astype(dtype)
        want[index] = np.asarray(value).astype(dtype) if dtype == "bool" else value
        v = make(kind, np.arange(6).astype(dtype))
        ident, cls = id(v), type(v)
        idx = bp.math.array(index) if isinstance(index, np.ndarray) else index
        val = bp.math.array(value) if isinstance(value, np.ndarray) else value
        if dtype == "bool":
            val = bp.math.array(np.asarray(value).astype(bool))
        v[idx] = val
        where = f"{backend} {kind}[{dtype}][{label}]"
        assert id(v) == ident and type(v) is cls, where
        assert v.dtype == np.dtype(dtype) and v.shape == (6,), where
        np.testing.assert_array_equal(np.asarray(v), want, err_msg=where)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_setitem_2d(backend):
    bp.math.use_backend(backend)
    cases = [
        ((1, 2), 5.0),
        ((0,), np.array([1.0, 2.0, 3.0])),
        ((slice(None), 1), np.array([7.0, 8.0])),
        ((Ellipsis, 0), 4.0),
        (([0, 1], [2, 0]), np.array([5.0, 6.0])),
        ((np.array([[True, False, True], [False, True, False]]),), -1.0),
        ((slice(None), [0, 2]), np.array([[1.0, 2.0], [3.0, 4.0]])),
        ((1, slice(None, None, -1)), np.array([1.0, 2.0, 3.0])),
    ]
    for index, value in cases:
        want = np.arange(6.0).reshape(2, 3)
        want[index if len(index) > 1 else index[0]] = value
        v = bp.math.array(np.arange(6.0).reshape(2, 3))
        ident = id(v)
        ours_index = tuple(bp.math.array(i) if isinstance(i, np.ndarray) else i for i in index)
        v[ours_index if len(index) > 1 else ours_index[0]] = (
            bp.math.array(value) if isinstance(value, np.ndarray) else value
        )
        assert id(v) == ident and v.shape == (2, 3)
        np.testing.assert_array_equal(np.asarray(v), want, err_msg=repr(index))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_setitem_with_a_value_of_the_wrong_shape_raises(backend):
    bp.math.use_backend(backend)
    v = bp.math.zeros(4)
    with pytest.raises((ValueError, TypeError)):
        v[:2] = bp.math.ones(3)
    np.testing.assert_array_equal(np.asarray(v), np.zeros(4))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_integer_index_out_of_bounds_is_an_index_error(backend):
    # as NumPy; JAX alone would clamp the read and drop the write silently
    bp.math.use_backend(backend)
    v = bp.math.zeros((2, 3))
    for index in (2, -3, (0, 3), (1, -4), (slice(None), 5)):
        with pytest.raises(IndexError, match="out of bounds"):
            v[index] = 1.0
        with pytest.raises(IndexError, match="out of bounds"):
            v[index]
    np.testing.assert_array_equal(np.asarray(v), np.zeros((2, 3)))
    v[-2, -3] = 1.0  # the extremes are fine
    assert float(v[1, 2] + v[0, 0]) == 1.0


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_fill_and_sort_are_in_place(backend):
    bp.math.use_backend(backend)
    v = bp.math.array([3.0, 1.0, 2.0])
    ident = id(v)
    v.sort()
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0, 3.0])
    v.fill(7)
    np.testing.assert_array_equal(np.asarray(v), [7.0, 7.0, 7.0])
    assert id(v) == ident and v.dtype == np.dtype(bp.math.zeros(1).dtype)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_numpy_style_in_place_functions(backend):
    bp.math.use_backend(backend)
    v = bp.math.zeros((3, 3))
    ident = id(v)
    assert bp.math.fill_diagonal(v, 2.0) is None
    assert bp.math.put(v, [1, 2], [5.0, 6.0]) is None
    bp.math.add.at(v, ([0, 0], [1, 1]), 1.0)
    assert id(v) == ident
    want = np.zeros((3, 3))
    np.fill_diagonal(want, 2.0)
    np.put(want, [1, 2], [5.0, 6.0])
    np.add.at(want, ([0, 0], [1, 1]), 1.0)
    np.testing.assert_array_equal(np.asarray(v), want)
