"""bp.math.JaxArray: the jax backend's mutable array, checked against numpy.ndarray."""

import operator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._jax.ndarray import JaxArray

X = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)
N = np.array([[3, -1, 4], [1, 5, -9]], dtype=np.int32)


@pytest.fixture(autouse=True)
def _jax():
    bp.math.use_backend("jax")


def ja(data):
    return bp.math.array(data)


def test_wraps_a_jax_array():
    x = ja(X)
    assert isinstance(x, JaxArray) and isinstance(x.value, jax.Array)
    assert bp.math.JaxArray is JaxArray and bp.math.ndarray is JaxArray
    assert JaxArray(jnp.ones(2)).value.dtype == np.float32
    assert JaxArray([1, 2], dtype="float32").dtype == np.float32
    assert JaxArray(ja(X)).shape == (2, 3)


def test_repr_str_format():
    assert repr(ja([1.0, 2.0])) == "JaxArray([1., 2.], dtype=float32)"
    assert repr(ja([1, 2])) == "JaxArray([1, 2], dtype=int32)"
    assert repr(ja([[1.0], [2.0]])) == "JaxArray([[1.],\n          [2.]], dtype=float32)"
    assert str(ja([1.0, 2.0])) == "[1. 2.]"
    assert f"{ja(1.5):.2f}" == "1.50"


def test_to_numpy():
    x = ja(X)
    a = np.asarray(x)
    assert type(a) is np.ndarray and a.dtype == np.float32
    np.testing.assert_array_equal(a, X)
    np.testing.assert_array_equal(x.numpy(), X)
    assert type(x.numpy()) is np.ndarray
    assert np.array(x, dtype=np.float64).dtype == np.float64
    assert x.tolist() == X.tolist()
    assert ja(N).item(1, 2) == -9 and isinstance(ja(N).item(0), int)


@pytest.mark.parametrize(
    "name", ["shape", "ndim", "size", "dtype", "itemsize", "nbytes", "T", "mT", "real", "imag"]
)
def test_properties(name):
    got, want = getattr(ja(X), name), getattr(X, name)
    if isinstance(want, np.ndarray):
        assert isinstance(got, JaxArray)
        np.testing.assert_array_equal(np.asarray(got), want)
    else:
        assert got == want


# method -> arguments, as on numpy.ndarray
METHODS = {
    "reshape": [((3, 2), {}), ((-1,), {}), ((3, 2), {}), ((6,), {})],
    "astype": [((np.int32,), {}), ((bool,), {})],
    "sum": [((), {}), ((0,), {}), ((), {"axis": 1, "keepdims": True})],
    "mean": [((), {}), ((1,), {})],
    "std": [((), {}), ((0,), {})],
    "var": [((), {}), ((), {"axis": 1, "ddof": 1})],
    "max": [((), {}), ((0,), {})],
    "min": [((), {}), ((1,), {})],
    "argmax": [((), {}), ((1,), {})],
    "argmin": [((), {}), ((0,), {})],
    "cumsum": [((), {}), ((1,), {})],
    "cumprod": [((0,), {})],
    "prod": [((), {}), ((1,), {})],
    "dot": [((np.ones((3, 2), np.float32),), {})],
    "flatten": [((), {})],
    "ravel": [((), {})],
    "squeeze": [((), {})],
    "transpose": [((), {}), ((1, 0), {})],
    "swapaxes": [((0, 1), {})],
    "clip": [((-1.0, 2.0), {}), ((0.0,), {})],
    "copy": [((), {})],
    "all": [((), {}), ((0,), {})],
    "any": [((), {}), ((1,), {})],
    "nonzero": [((), {})],
    "argsort": [((), {}), ((0,), {})],
    "round": [((), {}), ((1,), {})],
    "take": [(([0, 2],), {}), (([1], 1), {})],
    "repeat": [((2,), {}), ((2, 1), {})],
    "diagonal": [((), {})],
    "trace": [((), {})],
    "conj": [((), {})],
    "searchsorted": [((1.0,), {})],
    "compress": [(([True, False, True], 1), {})],
}


@pytest.mark.parametrize("data", [X, N], ids=["float32", "int32"])
@pytest.mark.parametrize("name", sorted(METHODS))
def test_methods_as_numpy(name, data):
    if name == "searchsorted":
        data = np.sort(data.ravel())
    for args, kwargs in METHODS[name]:
        want = getattr(data, name)(*args, **kwargs)
        got = getattr(ja(data), name)(*args, **kwargs)
        for w, g in zip(*(r if isinstance(r, tuple) else (r,) for r in (want, got))):
            assert isinstance(g, JaxArray), (name, args)
            assert g.shape == np.shape(w), (name, args)
            assert np.asarray(g).dtype.kind == np.asarray(w).dtype.kind, (name, args)
            np.testing.assert_allclose(np.asarray(g), w, rtol=1e-6, err_msg=f"{name}{args}")


def test_in_place_methods():
    x = ja(X)
    ident = id(x)
    assert x.sort() is None and x.fill(2.0) is None
    assert id(x) == ident and (np.asarray(x) == 2.0).all()
    y = ja([3.0, 1.0, 2.0])
    y.sort()
    np.testing.assert_array_equal(np.asarray(y), [1.0, 2.0, 3.0])
    z = ja(np.array([[3, 1, 2], [0, 5, 4]]))
    z.sort(axis=0)
    np.testing.assert_array_equal(np.asarray(z), [[0, 1, 2], [3, 5, 4]])
    p = ja([5.0, 1.0, 4.0, 2.0])
    p.partition(1)
    assert sorted(np.asarray(p)[:2]) == [1.0, 2.0]
    q = ja(np.zeros((2, 2)))
    q.put([0, 3], [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(q), [[1.0, 0.0], [0.0, 2.0]])


BINARY = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lshift,
    operator.rshift,
    operator.eq,
    operator.ne,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
]


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
@pytest.mark.parametrize("other_kind", ["scalar", "JaxArray", "numpy"])
def test_binary_operators_forward_and_reflected(op, other_kind):
    integer = op in (operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift)
    a = np.array([[3, 1, 4], [1, 5, 2]], np.int32) if integer else X
    b = np.array([[1, 2, 1], [2, 1, 3]], a.dtype) if other_kind != "scalar" else a.dtype.type(2)
    if op is operator.pow and not integer:
        a = np.abs(a)
    ours_b = {"scalar": b, "JaxArray": ja(b), "numpy": b}[other_kind]
    with np.errstate(all="ignore"):
        forward, reflected = op(a, b), op(b, a)
    got_forward, got_reflected = op(ja(a), ours_b), op(ours_b, ja(a))
    for got, want in ((got_forward, forward), (got_reflected, reflected)):
        assert isinstance(got, JaxArray), (op, other_kind)  # numpy defers to JaxArray too
        assert np.asarray(got).dtype.kind == np.asarray(want).dtype.kind
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, equal_nan=True)


def test_matmul_and_divmod():
    a, b = ja(X), ja(np.ones((3, 2), np.float32))
    np.testing.assert_allclose(np.asarray(a @ b), X @ np.ones((3, 2)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(np.ones((2, 2)) @ ja(np.eye(2))), np.ones((2, 2)))
    q, r = divmod(ja([7, -7]), 3)
    assert isinstance(q, JaxArray) and isinstance(r, JaxArray)
    np.testing.assert_array_equal(np.asarray(q), [2, -3])
    np.testing.assert_array_equal(np.asarray(r), [1, 2])
    q, r = divmod(7, ja([2, -3]))
    np.testing.assert_array_equal(np.asarray(q), [3, -3])
    np.testing.assert_array_equal(np.asarray(r), [1, -2])


@pytest.mark.parametrize(
    "op,data",
    [(operator.neg, X), (operator.pos, X), (operator.abs, X), (operator.invert, N)],
    ids=["neg", "pos", "abs", "invert"],
)
def test_unary_operators(op, data):
    got = op(ja(data))
    assert isinstance(got, JaxArray)
    np.testing.assert_array_equal(np.asarray(got), op(data))


def test_python_protocols():
    x = ja([1.0, 2.0, 3.0])
    assert len(x) == 3
    items = list(x)
    assert all(isinstance(i, JaxArray) for i in items) and [float(i) for i in items] == [1, 2, 3]
    assert 2.0 in x and 5.0 not in x
    assert bool(ja(1)) and not bool(ja(0))
    assert int(ja(7)) == 7 and float(ja(2.5)) == 2.5 and complex(ja(1.0)) == 1 + 0j
    assert [10, 20, 30][ja(2)] == 30  # __index__
    assert round(ja(2.6)) == 3 and isinstance(round(ja(2.6)), int)
    np.testing.assert_allclose(np.asarray(round(ja([1.234]), 1)), [1.2], rtol=1e-6)
    with pytest.raises(ValueError):
        bool(x)  # ambiguous, as NumPy


def test_indexing_returns_jaxarray():
    x = ja(X)
    for index in (0, -1, (1, 2), slice(0, 1), (slice(None), 1), [1, 0], ja([True, False]), ...):
        got = x[index]
        assert isinstance(got, JaxArray), index
        want = X[np.asarray(index) if isinstance(index, JaxArray) else index]
        np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(x[None]), X[None])


def test_view_returns_self_or_a_reinterpretation():
    x = ja(X)
    assert x.view() is x
    np.testing.assert_array_equal(np.asarray(x.view(np.int32)), X.view(np.int32))
    assert x.tobytes() == X.tobytes()
    assert x.block_until_ready() is x


def test_pytree_through_jit_grad_vmap():
    x = ja(X)
    leaves, tree = jax.tree_util.tree_flatten(x)
    assert len(leaves) == 1 and isinstance(leaves[0], jax.Array)
    out = jax.jit(lambda a: a * 2 + 1)(x)
    assert isinstance(out, JaxArray)
    np.testing.assert_allclose(np.asarray(out), X * 2 + 1)
    g = jax.grad(lambda a: (a**2).sum().value)(x)
    assert isinstance(g, JaxArray)
    np.testing.assert_allclose(np.asarray(g), 2 * X, rtol=1e-6)
    v = jax.vmap(lambda row: row.sum())(x)
    assert isinstance(v, JaxArray)
    np.testing.assert_allclose(np.asarray(v), X.sum(1), rtol=1e-6)
    mapped = jax.tree_util.tree_map(lambda leaf: leaf + 1, {"a": x, "b": [x]})
    assert isinstance(mapped["b"][0], JaxArray)


def test_in_place_inside_jax_jit():
    @jax.jit
    def step(a):
        a[0] = 10.0
        a += 1
        return a

    x = ja([1.0, 2.0])
    out = step(x)
    np.testing.assert_array_equal(np.asarray(out), [11.0, 3.0])
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])  # the input pytree is a copy


def test_mixing_with_numpy_and_jax_arrays():
    x = ja([1.0, 2.0])
    assert isinstance(np.ones(2) + x, JaxArray)
    # JAX takes a JaxArray as an array (__jax_array__): its operators, as jax.numpy's
    # functions, return jax Arrays (as with BrainPy's arrays)
    y = jnp.ones(2) + x
    assert isinstance(y, jax.Array) and not isinstance(y, JaxArray)
    np.testing.assert_array_equal(np.asarray(y), [2.0, 3.0])
    assert isinstance(x + jnp.ones(2), JaxArray)
    assert isinstance(bp.math.sum(jnp.ones(2)), JaxArray)
    np.testing.assert_allclose(np.sin(x), np.sin([1.0, 2.0]), rtol=1e-6)  # NumPy on our data


def test_row_assignment_with_traced_index_inside_jit():
    """x[i] = row with a traced integer i (the Runner's monitor writes): a
    dynamic-update-slice, with negative indices counted from the end as in NumPy."""
    bp.math.use_backend("jax")
    import jax

    buf = bp.math.Variable(bp.math.zeros((4, 3)))

    def write(i, row):
        buf[i] = row
        return buf.value

    f = bp.math.jit(write)
    ref = np.zeros((4, 3))
    for i, row in ((1, [1.0, 2.0, 3.0]), (-1, [4.0, 5.0, 6.0]), (0, 7.0)):
        f(jax.numpy.int32(i), np.asarray(row))
        ref[i] = row
        np.testing.assert_array_equal(np.asarray(buf), ref)
