"""Segment reductions, pre/syn/post operators and sparse products (BrainPy 2.x's
``bm.segment_*``, ``bm.pre2syn``, ``bm.syn2post_*``, ``bm.pre2post_*``, ``bm.csr_matvec``,
``bm.sparse_matmul``) on both backends, against independent references: NumPy's
``ufunc.at`` (segments), per-neuron Python loops (mean, softmax), SciPy's sparse
matrices (products), ``jax.grad`` of a dense-matrix formulation (gradients); eagerly,
inside ``bp.math.jit`` (Numba / XLA), under ``jax.jit`` and ``vmap``; bad arguments.

jax values are float32 (JAX's default): compared with rtol 1e-5 against float64 NumPy.
"""

import numpy as np
import pytest
import scipy.sparse

import brainjit as bp

RNG = np.random.default_rng(0)
# 12 rows in 6 segments (ids unsorted, segment 1 and 4 empty; -1 and 6 are dropped)
IDS = np.array([0, 3, 3, 5, 0, 2, 2, 2, -1, 3, 6, 5])
DATA = RNG.normal(size=IDS.size)
NUM = 6
UFUNCS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}

CONN = bp.conn.FixedProb(0.2, seed=3)(30, 20)  # some post neurons may receive nothing
CONN_EMPTY = bp.conn.IJConn(i=[0, 0, 4, 9], j=[1, 3, 0, 3])(10, 5)  # posts 2 and 4 empty


def tol(backend):
    return dict(rtol=1e-5, atol=1e-6) if backend == "jax" else dict(rtol=1e-12, atol=1e-12)


def identity(kind, dtype):
    dtype = np.dtype(dtype)
    if kind in ("sum", "prod"):
        return dtype.type(kind == "prod")
    if dtype == np.bool_:
        return kind == "min"
    if dtype.kind == "f":
        return -np.inf if kind == "max" else np.inf
    info = np.iinfo(dtype)
    return info.min if kind == "max" else info.max


def ufunc_reference(kind, data, ids, num):
    """``np.<ufunc>.at`` into the identity, out-of-range ids dropped."""
    keep = (ids >= 0) & (ids < num)
    out = np.full((num,) + data.shape[1:], identity(kind, data.dtype), dtype=data.dtype)
    UFUNCS[kind].at(out, ids[keep], data[keep])
    return out


@pytest.mark.parametrize("kind", ["sum", "prod", "max", "min"])
def test_segments_match_ufunc_at(backend, kind):
    func = getattr(bp.math, f"segment_{kind}")
    out = func(DATA, IDS, NUM)
    assert isinstance(out, bp.math.Array)
    np.testing.assert_allclose(
        np.asarray(out), ufunc_reference(kind, DATA, IDS, NUM), **tol(backend)
    )
    # rows of several values: every column reduced alike
    rows = RNG.normal(size=(IDS.size, 2, 3))
    out = func(rows, IDS, NUM)
    assert out.shape == (NUM, 2, 3)
    np.testing.assert_allclose(
        np.asarray(out), ufunc_reference(kind, rows, IDS, NUM), **tol(backend)
    )
    # integers keep their dtype; an empty segment holds the dtype's identity
    ints = np.arange(1, IDS.size + 1, dtype=np.int32)
    out = np.asarray(func(ints, IDS, NUM))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ufunc_reference(kind, ints, IDS, NUM))
    # default num_segments: max(id) + 1
    assert func(DATA, IDS).shape == (7,)


def test_empty_segments_hold_the_identity(backend):
    """jax's convention: sum 0, prod 1, max -inf, min +inf (floats)."""
    ids = np.array([2, 2])
    data = np.array([1.5, -0.5])
    expected = {
        "sum": [0, 0, 1.0, 0],
        "prod": [1, 1, -0.75, 1],
        "max": [-np.inf, -np.inf, 1.5, -np.inf],
        "min": [np.inf, np.inf, -0.5, np.inf],
    }
    for kind, values in expected.items():
        out = getattr(bp.math, f"segment_{kind}")(data, ids, 4)
        np.testing.assert_array_equal(np.asarray(out), values)
    # no rows at all
    out = bp.math.segment_sum(np.zeros((0, 3)), np.zeros(0, int), 2)
    np.testing.assert_array_equal(np.asarray(out), np.zeros((2, 3)))


def test_booleans(backend):
    """Summed and multiplied as integers (counts); max/min are any/all."""
    data = np.array([True, False, True, True])
    ids = np.array([0, 0, 2, 2])
    count = np.asarray(bp.math.segment_sum(data, ids, 3))
    assert count.dtype.kind == "i"
    np.testing.assert_array_equal(count, [1, 0, 2])
    np.testing.assert_array_equal(
        np.asarray(bp.math.segment_max(data, ids, 3)), [True, False, True]
    )
    np.testing.assert_array_equal(
        np.asarray(bp.math.segment_min(data, ids, 3)), [False, True, True]
    )


# -- pre / syn / post ---------------------------------------------------------------------


def loop_mean(values, post_ids, post_num):
    out = np.zeros(post_num)
    for j in range(post_num):
        mine = values[post_ids == j]
        out[j] = mine.mean() if mine.size else 0.0
    return out


def loop_softmax(values, post_ids, post_num):
    out = np.zeros_like(values, dtype=float)
    for j in range(post_num):
        mask = post_ids == j
        e = np.exp(values[mask] - values[mask].max()) if mask.any() else []
        out[mask] = e / np.sum(e)
    return out


@pytest.mark.parametrize("conn", [CONN, CONN_EMPTY], ids=["fixed_prob", "empty_posts"])
def test_pre2syn_and_syn2post(backend, conn):
    pre = RNG.normal(size=conn.pre_num)
    syn = bp.math.pre2syn(pre, conn.pre_ids)
    np.testing.assert_allclose(np.asarray(syn), pre[conn.pre_ids], **tol(backend))
    np.testing.assert_array_equal(np.asarray(bp.math.pre2syn(2.5, conn.pre_ids)), 2.5)

    values = np.asarray(syn, dtype=float)
    post, n = conn.post_ids, conn.post_num
    assert bp.math.syn2post is bp.math.syn2post_sum
    for kind in ("sum", "prod", "max", "min"):
        out = getattr(bp.math, f"syn2post_{kind}")(values, post, n)
        np.testing.assert_allclose(
            np.asarray(out), ufunc_reference(kind, values, post, n), **tol(backend)
        )
    out = bp.math.syn2post_mean(values, post, n)
    np.testing.assert_allclose(np.asarray(out), loop_mean(values, post, n), **tol(backend))
    out = bp.math.syn2post_softmax(values, post, n)
    assert out.shape == values.shape
    np.testing.assert_allclose(np.asarray(out), loop_softmax(values, post, n), **tol(backend))
    # integer synaptic values: the mean is a float
    counts = np.arange(conn.num_synapses) % 3
    np.testing.assert_allclose(
        np.asarray(bp.math.syn2post_mean(counts, post, n)),
        loop_mean(counts, post, n),
        **tol(backend),
    )


def loop_pre2post(pre_values, conn, start, combine):
    """BrainPy's reference loop: ``out[post] = combine(out[post], pre_values[pre])``."""
    out = np.full(conn.post_num, start, dtype=float)
    values = np.broadcast_to(pre_values, (conn.pre_num,))
    for i, j in zip(conn.pre_ids, conn.post_ids):
        out[j] = combine(out[j], values[i])
    return out


@pytest.mark.parametrize("scalar", [False, True], ids=["per_neuron", "scalar"])
def test_pre2post(backend, scalar):
    conn = CONN_EMPTY
    pre = 0.75 if scalar else RNG.normal(size=conn.pre_num)
    args = (conn.post_num, conn.post_ids, conn.pre_ids)
    t = tol(backend)
    out = bp.math.pre2post_sum(pre, *args)
    np.testing.assert_allclose(np.asarray(out), loop_pre2post(pre, conn, 0, np.add), **t)
    out = bp.math.pre2post_max(pre, *args)  # BrainPy's: from zeros
    np.testing.assert_allclose(np.asarray(out), loop_pre2post(pre, conn, 0, max), **t)
    out = bp.math.pre2post_min(pre, *args)
    np.testing.assert_allclose(np.asarray(out), loop_pre2post(pre, conn, 0, min), **t)
    values = np.broadcast_to(pre, (conn.pre_num,))[conn.pre_ids]
    out = bp.math.pre2post_mean(pre, *args)
    np.testing.assert_allclose(
        np.asarray(out), loop_mean(values, conn.post_ids, conn.post_num), **t
    )
    events = np.zeros(conn.pre_num, bool)
    events[[0, 9]] = True
    weights = pre if scalar else RNG.normal(size=conn.num_synapses)
    out = bp.math.pre2post_event_sum(events, conn.require("pre2post"), conn.post_num, weights)
    fired = events[conn.pre_ids]
    expected = np.zeros(conn.post_num)
    np.add.at(expected, conn.post_ids[fired], np.broadcast_to(weights, fired.shape)[fired])
    np.testing.assert_allclose(np.asarray(out), expected, **t)
    assert bp.math.pre2post_csr_event_sum is bp.math.pre2post_event_sum


# -- sparse products ----------------------------------------------------------------------


MATRIX = scipy.sparse.random(9, 7, density=0.35, random_state=2, format="csr")
MATRIX.data -= 0.5  # signed values


@pytest.mark.parametrize("transpose", [False, True])
def test_csr_matvec_matches_scipy(backend, transpose):
    m = MATRIX
    vector = RNG.normal(size=m.shape[0] if transpose else m.shape[1])
    dense = m.T if transpose else m
    out = bp.math.csr_matvec(m.data, m.indices, m.indptr, vector, m.shape, transpose=transpose)
    assert out.shape == (dense.shape[0],)
    np.testing.assert_allclose(np.asarray(out), dense @ vector, **tol(backend))
    # one value for every stored entry
    pattern = (dense != 0).astype(float)
    out = bp.math.csr_matvec(0.5, m.indices, m.indptr, vector, m.shape, transpose=transpose)
    np.testing.assert_allclose(np.asarray(out), 0.5 * (pattern @ vector), **tol(backend))
    assert bp.math.csrmv is bp.math.csr_matvec


def test_csr_matvec_on_a_connectivity(backend):
    """Presynaptic values to postsynaptic neurons: the transposed product, as
    event_matvec with numeric events."""
    w = RNG.uniform(size=CONN.num_synapses)
    x = RNG.normal(size=CONN.pre_num)
    shape = (CONN.pre_num, CONN.post_num)
    out = bp.math.csr_matvec(w, CONN.indices, CONN.indptr, x, shape, transpose=True)
    mat = scipy.sparse.csr_matrix((w, CONN.indices, CONN.indptr), shape=shape)
    np.testing.assert_allclose(np.asarray(out), mat.T @ x, **tol(backend))
    np.testing.assert_allclose(
        np.asarray(out),
        np.asarray(bp.math.event_matvec(x, CONN.indptr, CONN.indices, w, CONN.post_num)),
        **tol(backend),
    )


def test_sparse_matmul_matches_scipy(backend):
    coo = MATRIX.tocoo()
    sparse = {"data": coo.data, "index": (coo.row, coo.col), "shape": coo.shape}
    full = MATRIX.toarray()
    right = (RNG.normal(size=7), RNG.normal(size=(7, 3)))
    left = (RNG.normal(size=9), RNG.normal(size=(4, 9)))
    for dense in right:
        out = bp.math.sparse_matmul(sparse, dense)
        np.testing.assert_allclose(np.asarray(out), full @ dense, **tol(backend))
    for dense in left:
        out = bp.math.sparse_matmul(dense, sparse)
        np.testing.assert_allclose(np.asarray(out), dense @ full, **tol(backend))
    # repeated positions add up (COO), as in SciPy
    dup = {"data": np.array([1.0, 2.0, 4.0]), "index": ([0, 0, 1], [1, 1, 0]), "shape": (2, 2)}
    np.testing.assert_allclose(
        np.asarray(bp.math.sparse_matmul(dup, np.array([1.0, 10.0]))), [30, 4]
    )


# -- compiled code ------------------------------------------------------------------------


class Ops(bp.Base):
    """Every operator in one update, reading its arguments from Variables."""

    def __init__(self):
        super().__init__()
        self.pre_ids, self.post_ids = CONN.pre_ids, CONN.post_ids
        self.indptr, self.indices = CONN.indptr, CONN.indices
        self.w = bp.math.Variable(bp.math.asarray(RNG.uniform(size=CONN.num_synapses)))
        n = CONN.post_num
        self.total = bp.math.Variable(bp.math.zeros(n))
        self.top = bp.math.Variable(bp.math.zeros(n))
        self.mean = bp.math.Variable(bp.math.zeros(n))
        self.soft = bp.math.Variable(bp.math.zeros(CONN.num_synapses))
        self.csr = bp.math.Variable(bp.math.zeros(n))
        self.rows = bp.math.Variable(bp.math.zeros(CONN.pre_num))
        self.top2 = bp.math.Variable(bp.math.zeros(n))
        self.fired = bp.math.Variable(bp.math.zeros(n))

    def update(self, x):
        n = CONN.post_num
        syn = bp.math.pre2syn(x, self.pre_ids) * self.w
        self.total.value = bp.math.segment_sum(syn, self.post_ids, n) + bp.math.syn2post(
            syn, self.post_ids, n
        )
        self.top.value = bp.math.syn2post_max(syn, self.post_ids, n)
        self.mean.value = bp.math.syn2post_mean(syn, self.post_ids, n)
        self.soft.value = bp.math.syn2post_softmax(syn, self.post_ids, n)
        shape = (CONN.pre_num, n)
        self.csr.value = bp.math.csr_matvec(self.w, self.indices, self.indptr, x, shape, True)
        y = bp.math.ones(n)
        self.rows.value = bp.math.csr_matvec(0.5, self.indices, self.indptr, y, shape)
        pre2post = (self.indices, self.indptr)
        self.top2.value = bp.math.pre2post_max(x, n, self.post_ids, self.pre_ids)
        self.fired.value = bp.math.pre2post_event_sum(x > 0, pre2post, n, self.w)


def test_inside_bp_math_jit(backend):
    ops = Ops()
    update = bp.math.jit(ops.update)
    w = np.asarray(ops.w)
    post, n = CONN.post_ids, CONN.post_num
    mat = scipy.sparse.csr_matrix((w, CONN.indices, CONN.indptr), shape=(CONN.pre_num, n))
    for seed in (1, 2):
        x = np.random.default_rng(seed).normal(size=CONN.pre_num)
        update(x)
        syn = x[CONN.pre_ids] * w
        t = tol(backend)
        np.testing.assert_allclose(
            np.asarray(ops.total), 2 * ufunc_reference("sum", syn, post, n), **t
        )
        np.testing.assert_allclose(np.asarray(ops.top), ufunc_reference("max", syn, post, n), **t)
        np.testing.assert_allclose(np.asarray(ops.mean), loop_mean(syn, post, n), **t)
        np.testing.assert_allclose(np.asarray(ops.soft), loop_softmax(syn, post, n), **t)
        np.testing.assert_allclose(np.asarray(ops.csr), mat.T @ x, **t)
        np.testing.assert_allclose(np.asarray(ops.rows), 0.5 * np.diff(CONN.indptr), **t)
        top2 = np.maximum(ufunc_reference("max", x[CONN.pre_ids], post, n), 0)
        np.testing.assert_allclose(np.asarray(ops.top2), top2, **t)
        np.testing.assert_allclose(np.asarray(ops.fired), mat.T @ (x > 0), **t)


def test_numba_compiles_segments_without_num_segments():
    """In Numba code the result's length may come from the ids."""
    import numba

    @numba.njit
    def f(data, ids):
        return bp.math.segment_sum(data, ids), bp.math.segment_min(data, ids, 3)

    bp.math.use_backend("numpy")
    total, low = f(DATA[:4], np.array([0, 2, 2, 0]))
    np.testing.assert_allclose(total, ufunc_reference("sum", DATA[:4], np.array([0, 2, 2, 0]), 3))
    np.testing.assert_allclose(low, ufunc_reference("min", DATA[:4], np.array([0, 2, 2, 0]), 3))

    @numba.njit
    def clipped(data, ids, mode):
        return bp.math.segment_max(data, ids, 3, mode=mode)

    np.testing.assert_allclose(
        clipped(DATA[:3], IDS[:3], "drop"), ufunc_reference("max", DATA[:3], IDS[:3], 3)
    )
    with pytest.raises(ValueError, match="mode must be None"):
        clipped(DATA[:3], IDS[:3], "clip")


# -- jax: transformations and gradients ---------------------------------------------------


def test_jax_gradients_match_a_dense_reference():
    bp.math.use_backend("jax")
    import jax
    import jax.numpy as jnp

    def grad(f, **kwargs):  # compiled: XLA compiles once instead of op by op
        return jax.jit(jax.grad(f, **kwargs))

    m = MATRIX
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    c = jnp.asarray(RNG.normal(size=m.shape[0]))

    def dense(values):
        return jnp.zeros(m.shape).at[rows, m.indices].set(values)

    def loss(values, vector):
        y = bp.math.csr_matvec(values, m.indices, m.indptr, vector, m.shape).value
        return jnp.sum(jnp.tanh(y) * c)

    def loss_ref(values, vector):
        return jnp.sum(jnp.tanh(dense(values) @ vector) * c)

    values, vector = jnp.asarray(m.data), jnp.asarray(RNG.normal(size=m.shape[1]))
    got = grad(loss, argnums=(0, 1))(values, vector)
    want = grad(loss_ref, argnums=(0, 1))(values, vector)
    for g, r in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-5, atol=1e-6)

    # transposed, and sparse_matmul with the sparse matrix on either side
    u = jnp.asarray(RNG.normal(size=m.shape[0]))

    def loss_t(values, u):
        return jnp.sum(bp.math.csr_matvec(values, m.indices, m.indptr, u, m.shape, True).value ** 2)

    got = grad(loss_t, argnums=(0, 1))(values, u)
    want = grad(lambda v, u: jnp.sum((dense(v).T @ u) ** 2), argnums=(0, 1))(values, u)
    for g, r in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-5, atol=1e-6)

    B = jnp.asarray(RNG.normal(size=(m.shape[1], 2)))

    def loss_mm(values, B):
        sparse = {"data": values, "index": (rows, m.indices), "shape": m.shape}
        left = bp.math.sparse_matmul(sparse, B).value
        right = bp.math.sparse_matmul(
            B.T, {**sparse, "shape": m.shape[::-1], "index": (m.indices, rows)}
        )
        return jnp.sum(left**2) + jnp.sum(jnp.sin(right.value))

    def loss_mm_ref(values, B):
        return jnp.sum((dense(values) @ B) ** 2) + jnp.sum(jnp.sin(B.T @ dense(values).T))

    got = grad(loss_mm, argnums=(0, 1))(values, B)
    want = grad(loss_mm_ref, argnums=(0, 1))(values, B)
    for g, r in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-5, atol=1e-5)

    # softmax over each neuron's synapses: jax.nn.softmax per segment
    post, n = CONN_EMPTY.post_ids, CONN_EMPTY.post_num
    v = jnp.asarray(RNG.normal(size=post.size))
    k = jnp.asarray(RNG.normal(size=post.size))

    def soft_ref(v):
        out = jnp.zeros_like(v)
        for j in range(n):
            idx = np.flatnonzero(post == j)
            if idx.size:
                out = out.at[idx].set(jax.nn.softmax(v[idx]))
        return jnp.sum(out * k)

    got = grad(lambda v: jnp.sum(bp.math.syn2post_softmax(v, post, n).value * k))(v)
    np.testing.assert_allclose(np.asarray(got), np.asarray(grad(soft_ref)(v)), rtol=1e-5, atol=1e-6)


def test_jax_jit_and_vmap():
    bp.math.use_backend("jax")
    import jax
    import jax.numpy as jnp

    m = MATRIX
    batch = RNG.normal(size=(3, m.shape[1]))

    def f(vector):
        return bp.math.csr_matvec(m.data, m.indices, m.indptr, vector, m.shape).value

    out = jax.jit(jax.vmap(f))(jnp.asarray(batch))
    np.testing.assert_allclose(np.asarray(out), (m @ batch.T).T, rtol=1e-5, atol=1e-6)

    def g(data, ids):  # traced ids: num_segments is static
        return bp.math.segment_max(data, ids, NUM).value

    out = jax.jit(g)(DATA, IDS)
    np.testing.assert_allclose(np.asarray(out), ufunc_reference("max", DATA, IDS, NUM), rtol=1e-6)
    with pytest.raises(ValueError, match="num_segments must be given"):
        jax.jit(lambda d, i: bp.math.segment_sum(d, i).value)(DATA, IDS)

    # traced CSR connectivity
    def h(indptr, indices, vector):
        return bp.math.csr_matvec(m.data, indices, indptr, vector, m.shape, True).value

    u = RNG.normal(size=m.shape[0])
    out = jax.jit(h)(jnp.asarray(m.indptr), jnp.asarray(m.indices), u)
    np.testing.assert_allclose(np.asarray(out), m.T @ u, rtol=1e-5, atol=1e-6)


# -- bad input ----------------------------------------------------------------------------


M = MATRIX
CSR_ARGS = dict(values=M.data, indices=M.indices, indptr=M.indptr, vector=np.ones(7), shape=M.shape)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bp.math.segment_sum(DATA, IDS[:-1], NUM), "one id per row of data"),
        (
            lambda: bp.math.segment_max(DATA, IDS.astype(float), NUM),
            "segment_ids must be a 1-D integer",
        ),
        (lambda: bp.math.segment_min(DATA, IDS, -2), "num_segments must be a non-negative int"),
        (lambda: bp.math.segment_prod(3.0, np.array([0]), 1), "at least one axis"),
        (lambda: bp.math.segment_sum(np.zeros(0), np.zeros(0, int)), "num_segments is needed"),
        (lambda: bp.math.segment_sum(DATA, IDS, NUM, mode="clip"), "mode='clip' is not supported"),
        (lambda: bp.math.syn2post(DATA, IDS[:3], NUM), "one post id per synapse"),
        (lambda: bp.math.syn2post_mean(DATA, IDS, 2.5), "post_num must be a non-negative int"),
        (lambda: bp.math.pre2syn(DATA, IDS.astype(float)), "pre_ids must be a 1-D integer"),
        (lambda: bp.math.pre2post_sum(DATA, NUM, IDS), "pre_ids is needed"),
        (
            lambda: bp.math.pre2post_event_sum(DATA > 0, CONN.indptr, NUM),
            "pre2post must be the pair",
        ),
        (lambda: bp.math.pre2syn(DATA[:3], np.array([0, 5])), r"pre_ids must lie in \[0, 3\)"),
        (
            lambda: bp.math.csr_matvec(**{**CSR_ARGS, "vector": np.ones(9)}),
            "vector must be 1-D of length",
        ),
        (lambda: bp.math.csr_matvec(**{**CSR_ARGS, "values": np.ones(3)}), "one per stored entry"),
        (lambda: bp.math.csr_matvec(**{**CSR_ARGS, "shape": (9,)}), "shape must be a pair"),
        (lambda: bp.math.csr_matvec(**{**CSR_ARGS, "shape": (8, 7)}), "indptr must have shape"),
        (
            lambda: bp.math.csr_matvec(**{**CSR_ARGS, "shape": (9, 3), "vector": np.ones(3)}),
            r"indices must lie in \[0, shape\[1\]=3\)",
        ),
        (lambda: bp.math.csr_matvec(**{**CSR_ARGS, "vector": np.ones(7, complex)}), "real numbers"),
        (lambda: bp.math.sparse_matmul(np.ones(3), np.ones(3)), "one of A and B must be a sparse"),
        (lambda: bp.math.sparse_matmul({"data": 1.0}, np.ones(3)), "a sparse matrix is a dict"),
        (
            lambda: bp.math.sparse_matmul(
                {"data": np.ones(2), "index": ([0, 1], [0, 1]), "shape": (2, 2)}, np.ones(3)
            ),
            "shapes do not match",
        ),
    ],
)
def test_bad_arguments(backend, call, match):
    with pytest.raises((ValueError, TypeError, IndexError), match=match):
        call()
