"""bp.math.event_matvec on both backends against a dense NumPy reference: eagerly,
inside bp.math.jit (Numba / XLA), under jax.jit, vmap and grad; on jax both the CPU's
Numba kernel (through jax.ffi) and the XLA formulation of other devices, with both of
its paths (few spikes: rows of the spiking neurons only; bursts: every synapse); bad
arguments.

jax values are float32 (JAX's default): compared with rtol 1e-5 against float64 NumPy.
"""

import numpy as np
import pytest

import brainjit as bp

RNG = np.random.default_rng(0)
PRE, POST = 200, 300
CONN = bp.conn.FixedProb(0.1, seed=3)(PRE, POST)  # about 6000 synapses
WEIGHTS = RNG.uniform(0.1, 1.0, CONN.num_synapses)


def dense(conn, weights):
    mat = np.zeros((conn.pre_num, conn.post_num))
    mat[conn.pre_ids, conn.indices] = weights
    return mat


def reference(events, conn, weights):
    return np.asarray(events, dtype=float) @ dense(conn, weights)


def spikes(n, count, seed=1):
    out = np.zeros(n, dtype=bool)
    out[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return out


def rtol(backend):
    return 1e-5 if backend == "jax" else 1e-12


CONNECTIVITIES = {
    "fixed_prob": CONN,
    "all2all": bp.conn.All2All()(30, 20),
    "one2one": bp.conn.One2One()(25),
    # one post neuron receives from everybody: very uneven in-degrees
    "hub": bp.conn.IJConn(i=np.r_[np.arange(40), [3, 7, 7]], j=np.r_[np.zeros(40, int), [5, 9, 2]])(
        40, 10
    ),
    # some presynaptic neurons have no synapse at all
    "empty_rows": bp.conn.IJConn(i=[0, 0, 4, 9], j=[1, 3, 0, 3])(10, 4),
}


@pytest.mark.parametrize("name", CONNECTIVITIES)
@pytest.mark.parametrize("hetero", [False, True], ids=["homogeneous", "per_synapse"])
def test_eager_matches_dense_reference(backend, name, hetero):
    conn = CONNECTIVITIES[name]
    weights = np.random.default_rng(2).uniform(-1, 1, conn.num_synapses) if hetero else 0.75
    for count in (0, 1, max(1, conn.pre_num // 10), conn.pre_num):
        events = spikes(conn.pre_num, count)
        out = bp.math.event_matvec(events, conn.indptr, conn.indices, weights, conn.post_num)
        assert out.shape == (conn.post_num,)
        expected = reference(events, conn, weights if hetero else np.full(conn.num_synapses, 0.75))
        np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol(backend), atol=1e-6)


@pytest.mark.parametrize("pre_num", [1, 31, 32, 33, 95, 200])
def test_every_spike_position_is_seen(backend, pre_num):
    """The numpy kernel tests 32 bool events at once (8 bytes per load): a lone spike at
    any position, in the blocks and in the tail, on contiguous and strided events."""
    conn = bp.conn.FixedProb(0.3, seed=5)(pre_num, 40)
    weights = np.random.default_rng(4).uniform(0.5, 1.5, conn.num_synapses)
    for position in sorted({0, pre_num - 1, *range(7, pre_num, 8)}):
        events = np.zeros(pre_num, dtype=bool)
        events[position] = True
        strided = np.repeat(events, 3)[1::3]  # the same values, not contiguous
        expected = reference(events, conn, weights)
        for ev in (events, strided):
            out = bp.math.event_matvec(ev, conn.indptr, conn.indices, weights, conn.post_num)
            np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol(backend), atol=1e-6)


@pytest.mark.parametrize("hetero", [False, True], ids=["homogeneous", "per_synapse"])
def test_rows_added_a_few_spikes_late_are_all_added(backend, hetero):
    """The numpy kernel adds a row four spiking neurons after finding it (its lines
    prefetched meanwhile) and the last ones at the end: 1 to 9 spikes, every count."""
    weights = WEIGHTS if hetero else 0.5
    dense_weights = WEIGHTS if hetero else np.full(CONN.num_synapses, 0.5)
    for count in range(1, 10):
        events = spikes(PRE, count, seed=count)
        out = bp.math.event_matvec(events, CONN.indptr, CONN.indices, weights, POST)
        expected = reference(events, CONN, dense_weights)
        np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol(backend), atol=1e-6)


def test_returns_backend_array(backend):
    out = bp.math.event_matvec(spikes(PRE, 5), CONN.indptr, CONN.indices, 1.0, POST)
    assert isinstance(out, bp.math.ndarray if backend == "numpy" else bp.math.JaxArray)
    assert np.issubdtype(np.asarray(out).dtype, np.floating)


def test_numeric_events_scale_each_row(backend):
    values = np.where(spikes(PRE, 40), RNG.uniform(0.5, 2.0, PRE), 0.0)
    for weights in (0.3, WEIGHTS):
        out = bp.math.event_matvec(values, CONN.indptr, CONN.indices, weights, POST)
        w = np.broadcast_to(weights, (CONN.num_synapses,))
        np.testing.assert_allclose(
            np.asarray(out), reference(values, CONN, w), rtol=rtol(backend), atol=1e-6
        )


def test_numpy_keeps_float32_weights():
    out = bp.math.event_matvec(
        spikes(PRE, 5), CONN.indptr, CONN.indices, WEIGHTS.astype(np.float32), POST
    )
    assert out.dtype == np.float32
    assert bp.math.event_matvec(spikes(PRE, 5), CONN.indptr, CONN.indices, 1, POST).dtype == float


class Projection(bp.Base):
    """A Base object whose compiled method calls bp.math.event_matvec (homogeneous and
    per-synapse weights) on Variables, as synapse models do."""

    def __init__(self):
        super().__init__()
        self.spike = bp.math.Variable(bp.math.zeros(PRE, dtype=bool))
        self.g = bp.math.Variable(bp.math.zeros(POST))
        self.h = bp.math.Variable(bp.math.zeros(POST))
        self.indptr, self.indices = CONN.indptr, CONN.indices
        self.weights = bp.math.Variable(bp.math.asarray(WEIGHTS))
        self.w = 0.5

    def update(self):
        self.g.value = bp.math.event_matvec(self.spike, self.indptr, self.indices, self.w, POST)
        self.h += bp.math.event_matvec(self.spike, self.indptr, self.indices, self.weights, POST)


def test_inside_bp_math_jit(backend):
    proj = Projection()
    update = bp.math.jit(proj.update)
    total = np.zeros(POST)
    for step, count in enumerate((3, 0, 150, 12)):  # jax: sparse, sparse, dense, sparse
        events = spikes(PRE, count, seed=step)
        proj.spike[:] = events
        update()
        total += reference(events, CONN, WEIGHTS)
        np.testing.assert_allclose(
            np.asarray(proj.g),
            reference(events, CONN, np.full(CONN.num_synapses, 0.5)),
            rtol=rtol(backend),
            atol=1e-6,
        )
    np.testing.assert_allclose(np.asarray(proj.h), total, rtol=rtol(backend), atol=1e-5)


def test_numpy_backend_compiled_code_calls_the_numba_kernel():
    """The rewriter keeps bp.math.event_matvec as a call Numba compiles (no object mode,
    no Python call per step): the compiled function is a Numba dispatcher."""
    proj = Projection()
    update = bp.math.jit(proj.update)
    update()
    units = update.units
    assert units, "nothing was compiled"
    source = "\n".join(str(u) for u in units)
    assert "event_matvec" in source


# -- jax specifics ------------------------------------------------------------------------


@pytest.fixture(params=["cpu_kernel", "xla"])
def jax_backend(request, monkeypatch):
    """The jax backend, once with the Numba kernel the CPU uses (through jax.ffi) and
    once with the pure-XLA formulation other devices use."""
    bp.math.use_backend("jax")
    import jax

    from brainjit.math._jax import event_cpu

    if request.param == "xla":
        monkeypatch.setattr(event_cpu, "try_register", lambda *args: False)
    return jax


def test_jax_cpu_runs_the_numba_kernel_inside_the_xla_program():
    """On the CPU the compiled program calls the registered FFI target (no Python per
    call), and gives the same result as the pure-XLA formulation."""
    bp.math.use_backend("jax")
    import jax

    from brainjit.math._jax import event, event_cpu

    if jax.default_backend() != "cpu":
        pytest.skip("the Numba kernel serves the CPU only; this process runs on a GPU/TPU")
    if not event_cpu.available():
        pytest.skip(f"jax.ffi unavailable: {event_cpu.broken_reason()}")
    events = spikes(PRE, 7)

    def f(events):
        return bp.math.event_matvec(events, CONN.indptr, CONN.indices, 0.5, POST).value

    hlo = jax.jit(f).lower(events).as_text()
    assert "brainjit_event_matvec__bool_homo_int32_float32" in hlo
    plan = event._plan(CONN.indptr, CONN.indices, CONN.indptr, CONN.indices, POST)
    xla = event._propagate(
        events,
        np.float32(0.5),
        plan.pre_ids,
        plan.post_ids,
        None,
        post_num=POST,
        cap=0,
        dtype="float32",
    )
    np.testing.assert_array_equal(np.asarray(jax.jit(f)(events)), np.asarray(xla))


def test_jax_sparse_and_dense_paths_agree(jax_backend):
    from brainjit.math._jax import event

    plan = event._plan(CONN.indptr, CONN.indices, CONN.indptr, CONN.indices, POST)
    assert plan.cap > 0, "this connectivity should take the few-spikes path"
    for count in (0, 1, plan.cap, plan.cap + 1, PRE):
        events = spikes(PRE, count, seed=count)
        for weights in (0.25, WEIGHTS):
            out = bp.math.event_matvec(events, CONN.indptr, CONN.indices, weights, POST)
            w = np.broadcast_to(weights, (CONN.num_synapses,))
            np.testing.assert_allclose(
                np.asarray(out), reference(events, CONN, w), rtol=1e-5, atol=1e-6
            )


def test_jax_jit_vmap_and_traced_connectivity(jax_backend):
    jax = jax_backend
    import jax.numpy as jnp

    def f(events, weights):
        return bp.math.event_matvec(events, CONN.indptr, CONN.indices, weights, POST).value

    batch = np.stack([spikes(PRE, c, seed=c) for c in (0, 2, 30, 199)])
    expected = np.stack([reference(e, CONN, WEIGHTS) for e in batch])
    w = jnp.asarray(WEIGHTS, dtype=jnp.float32)
    out = jax.jit(jax.vmap(f, in_axes=(0, None)))(jnp.asarray(batch), w)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)

    # connectivity passed as traced arguments: the gather + segment_sum path
    def g(events, indptr, indices, weights):
        return bp.math.event_matvec(events, indptr, indices, weights, POST).value

    out = jax.jit(g)(batch[2], jnp.asarray(CONN.indptr), jnp.asarray(CONN.indices), w)
    np.testing.assert_allclose(np.asarray(out), expected[2], rtol=1e-5, atol=1e-5)


def test_jax_grad_with_respect_to_weights(jax_backend):
    jax = jax_backend
    import jax.numpy as jnp

    c = RNG.normal(size=POST)
    for count in (4, 150):  # both paths
        events = spikes(PRE, count, seed=count)

        def loss(weights, scale, events=events):
            out = bp.math.event_matvec(events, CONN.indptr, CONN.indices, weights, POST).value
            out2 = bp.math.event_matvec(events, CONN.indptr, CONN.indices, scale, POST).value
            return jnp.sum(out * c) + jnp.sum(out2 * c)

        gw, gs = jax.grad(loss, argnums=(0, 1))(jnp.asarray(WEIGHTS, jnp.float32), 2.0)
        # d/dw_s = events[pre_s] * c[post_s]; d/dscale = sum over fired synapses of c[post]
        expected_w = events[CONN.pre_ids] * c[CONN.indices]
        np.testing.assert_allclose(np.asarray(gw), expected_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(float(gs), expected_w.sum(), rtol=1e-4)


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(events=np.zeros(PRE + 1, bool)), "events must have shape"),
        (dict(weights=np.ones(5)), "one per synapse"),
        (dict(post_num=0), "post_num must be a positive int"),
        (dict(post_num=2.5), "post_num must be a positive int"),
        (dict(indptr=np.zeros((2, 2), int)), "indptr must be"),
        (dict(indices=CONN.indices.astype(float)), "indices must be"),
    ],
)
def test_bad_arguments(backend, change, match):
    args = dict(
        events=np.zeros(PRE, bool),
        indptr=CONN.indptr,
        indices=CONN.indices,
        weights=1.0,
        post_num=POST,
    )
    args.update(change)
    with pytest.raises((ValueError, TypeError), match=match):
        bp.math.event_matvec(**args)


def test_numpy_checks_targets_against_post_num():
    with pytest.raises(ValueError, match=r"indices must lie in \[0, post_num=10\)"):
        bp.math.event_matvec(np.ones(PRE, bool), CONN.indptr, CONN.indices, 1.0, 10)
