"""bp.math.event_csr_select / event_csr_gather / event_csr_scatter (the synapses of the
neurons that fired, as plastic synapses use them) on both backends against a NumPy
reference: the entries of the rows whose event is set, with and without ``ids`` (the
transposed CSR of bp.dyn.PlasticSynapse), the update ``w[sel] = f(w[sel], rows, cols)``
changing exactly those entries, traced connectivity under jax.jit, bad arguments.
"""

import numpy as np
import pytest

import brainjit as bp

CONNS = {
    "fixed_prob": bp.conn.FixedProb(0.3, seed=5)(12, 9),
    "one2one": bp.conn.One2One()(6),
    "empty_rows": bp.conn.IJConn(i=[0, 0, 4, 9], j=[1, 3, 0, 3])(10, 4),
}


def reference(events, indptr, indices, ids=None):
    """The entries of the rows with an event, in row order: (ids or positions, rows,
    cols), by a plain Python loop."""
    sel, rows, cols = [], [], []
    for i, fired in enumerate(np.asarray(events)):
        if fired:
            for k in range(indptr[i], indptr[i + 1]):
                sel.append(k if ids is None else ids[k])
                rows.append(i)
                cols.append(indices[k])
    return np.array(sel, int), np.array(rows, int), np.array(cols, int)


def transpose(indptr, indices, post_num):
    """The CSR by column: (indptr, the original position of each entry, its row)."""
    pre = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    t_indptr = np.r_[0, np.cumsum(np.bincount(indices, minlength=post_num))]
    return t_indptr, order, pre[order]


def selected(sel, nnz):
    """The entries a backend's result selects (jax: the out-of-range index is none)."""
    sel = np.asarray(sel)
    return sel[sel < nnz]


@pytest.mark.parametrize("name", CONNS)
def test_select_matches_the_reference(backend, name):
    conn = CONNS[name]
    indptr, indices = np.asarray(conn.indptr), np.asarray(conn.indices)
    nnz = indices.size
    rng = np.random.default_rng(1)
    t_indptr, t_ids, t_pre = transpose(indptr, indices, conn.post_num)
    row_of = np.repeat(np.arange(conn.pre_num), np.diff(indptr))
    for p in (0.0, 0.3, 1.0):
        events = rng.random(conn.pre_num) < p
        sel, rows, cols = bp.math.event_csr_select(events, indptr, indices)
        ref = reference(events, indptr, indices)
        if backend == "numpy":  # exactly the selected entries, in row order
            for got, want in zip((sel, rows, cols), ref, strict=True):
                np.testing.assert_array_equal(np.asarray(got), want)
        else:  # one value per entry; those of rows without an event out of range
            sel = np.asarray(sel)
            np.testing.assert_array_equal(selected(sel, nnz), ref[0])
            np.testing.assert_array_equal(np.asarray(rows), row_of)
            np.testing.assert_array_equal(np.asarray(cols), indices)
        # the transpose with ids: the synapses onto the columns that fired
        post_events = rng.random(conn.post_num) < p
        sel, post, pre = bp.math.event_csr_select(post_events, t_indptr, t_pre, t_ids)
        ref = reference(post_events, t_indptr, t_pre, t_ids)
        np.testing.assert_array_equal(selected(sel, nnz), ref[0])
        if backend == "numpy":
            np.testing.assert_array_equal(np.asarray(post), ref[1])
            np.testing.assert_array_equal(np.asarray(pre), ref[2])
        # each selected synapse's ends are its own
        keep = np.asarray(sel) < nnz
        s, a, b = (np.asarray(x)[keep] for x in (sel, post, pre))
        np.testing.assert_array_equal(indices[s], a)
        np.testing.assert_array_equal(np.searchsorted(indptr, s, side="right") - 1, b)


def test_gather_and_scatter_change_exactly_the_selected_entries(backend):
    conn = CONNS["fixed_prob"]
    indptr, indices = np.asarray(conn.indptr), np.asarray(conn.indices)
    w0 = np.random.default_rng(2).uniform(0, 1, indices.size)
    events = np.zeros(conn.pre_num, bool)
    events[[1, 4, 11]] = True
    w = bp.math.Variable(bp.math.asarray(w0))
    sel, rows, cols = bp.math.event_csr_select(events, indptr, indices)
    vals = bp.math.event_csr_gather(w, sel)
    bp.math.event_csr_scatter(w, sel, vals * 2.0 + rows * 10.0 + cols * 100.0)
    fired = np.repeat(events, np.diff(indptr))
    pre = np.repeat(np.arange(conn.pre_num), np.diff(indptr))
    expected = np.where(fired, w0 * 2.0 + pre * 10.0 + indices * 100.0, w0)
    np.testing.assert_allclose(np.asarray(w), expected, rtol=1e-6)
    # a number writes the same value into every selected entry
    bp.math.event_csr_scatter(w, sel, -1.0)
    np.testing.assert_array_equal(np.asarray(w)[fired], -1.0)
    np.testing.assert_allclose(np.asarray(w)[~fired], w0[~fired], rtol=1e-6)


def test_jax_traced_connectivity_under_jit():
    bp.math.use_backend("jax")
    import jax
    import jax.numpy as jnp

    conn = CONNS["empty_rows"]
    indptr, indices = np.asarray(conn.indptr), np.asarray(conn.indices)
    events = np.zeros(conn.pre_num, bool)
    events[[0, 9]] = True

    @jax.jit
    def sel_of(events, indptr, indices):
        sel, rows, cols = bp.math.event_csr_select(events, indptr, indices)
        return jnp.asarray(sel.value), jnp.asarray(rows.value)

    sel, rows = sel_of(jnp.asarray(events), jnp.asarray(indptr), jnp.asarray(indices))
    np.testing.assert_array_equal(
        selected(sel, indices.size), reference(events, indptr, indices)[0]
    )
    np.testing.assert_array_equal(np.asarray(rows), [0, 0, 4, 9])


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.ones(3, bool), np.array([0, 1, 2]), np.array([0, 1])), "events must have shape"),
        ((np.ones(2, bool), np.array([0, 1, 3]), np.array([0, 1])), "rise from 0 to len"),
        ((np.ones(2, bool), np.array([0.0, 1.0, 2.0]), np.array([0, 1])), "indptr must be"),
        ((np.ones(2, bool), np.array([0, 1, 2]), np.array([0, 1]), np.array([0])), "ids must"),
    ],
)
def test_bad_arguments(backend, args, match):
    with pytest.raises(ValueError, match=match):
        bp.math.event_csr_select(*args)
