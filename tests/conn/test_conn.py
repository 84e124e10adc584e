"""bp.conn: CSR structure, statistics of the random builders, equivalence with dense
references, reproducibility, and bad input."""

import itertools
import math

import numpy as np
import pytest

import brainjit as bp
from brainjit.conn.builders import choose_distinct


def check_csr(c, distinct=True):
    """The CSR invariants, and agreement of every accessor with the dense matrix."""
    pre, post = c.pre_num, c.post_num
    indptr, indices = c.indptr, c.indices
    assert indptr.shape == (pre + 1,) and indptr[0] == 0 and indptr[-1] == indices.size
    assert np.all(np.diff(indptr) >= 0)
    assert indices.dtype == np.int32 and indptr.dtype == np.int32
    if indices.size:
        assert indices.min() >= 0 and indices.max() < post
    rows = np.repeat(np.arange(pre), np.diff(indptr))
    np.testing.assert_array_equal(c.pre_ids, rows)
    assert c.post_ids is c.indices
    within = rows[1:] == rows[:-1]  # consecutive synapses of the same row
    step = np.diff(indices.astype(np.int64))[within]
    assert np.all(step > 0) if distinct else np.all(step >= 0)  # sorted within rows
    # the same synapses, grouped by postsynaptic neuron
    order, pind = c.post_order, c.post_indptr
    assert np.array_equal(np.sort(order), np.arange(indices.size))
    assert np.array_equal(
        pind, np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=post))])
    )
    for j in range(0, post, max(1, post // 7)):
        syn = order[pind[j] : pind[j + 1]]
        assert np.all(indices[syn] == j) and np.all(np.diff(rows[syn]) >= 0)
    if pre * post <= 10**7:
        dense = np.zeros((pre, post), dtype=int)
        np.add.at(dense, (rows, indices), 1)
        np.testing.assert_array_equal(c.conn_mat, dense > 0)


# -- structure ---------------------------------------------------------------------------
BUILDERS = [
    lambda: bp.conn.All2All(),
    lambda: bp.conn.All2All(include_self=False),
    lambda: bp.conn.FixedProb(0.1, seed=3),
    lambda: bp.conn.FixedProb(0.1, include_self=False, seed=3),
    lambda: bp.conn.FixedProb(0.7, include_self=False, seed=3),
    lambda: bp.conn.FixedPreNum(5, seed=3),
    lambda: bp.conn.FixedPreNum(5, include_self=False, seed=3),
    lambda: bp.conn.FixedPostNum(7, include_self=False, seed=3),
    lambda: bp.conn.FixedPostNum(0.9, seed=3),  # dense regime: 90% of the targets
]


@pytest.mark.parametrize("make", BUILDERS, ids=lambda m: repr(m()))
@pytest.mark.parametrize("sizes", [(40, 40), (30, 55), (55, 30), ((4, 10), (5, 6))])
def test_csr_structure(make, sizes):
    c = make()(*sizes)
    assert c.pre_num == math.prod(np.atleast_1d(sizes[0]))
    assert c.post_num == math.prod(np.atleast_1d(sizes[1]))
    check_csr(c)
    if not c.include_self:
        assert not np.any(c.pre_ids == c.post_ids)


def test_one2one_and_all2all_against_dense():
    np.testing.assert_array_equal(bp.conn.One2One()(7, 7).conn_mat, np.eye(7, dtype=bool))
    np.testing.assert_array_equal(bp.conn.One2One()((2, 3)).conn_mat, np.eye(6, dtype=bool))
    np.testing.assert_array_equal(bp.conn.All2All()(3, 4).conn_mat, np.ones((3, 4), bool))
    expected = ~np.eye(5, 3, dtype=bool)
    np.testing.assert_array_equal(bp.conn.All2All(include_self=False)(5, 3).conn_mat, expected)
    check_csr(bp.conn.One2One()(9))
    assert bp.conn.FixedProb(1.0, include_self=False)(6).num_synapses == 30
    assert bp.conn.FixedProb(0.0)(6, 9).num_synapses == 0


def test_ij_and_mat_conn_against_dense_reference():
    rng = np.random.default_rng(5)
    dense = rng.random((23, 31)) < 0.2
    i, j = np.nonzero(dense)
    perm = rng.permutation(i.size)
    by_ij = bp.conn.IJConn(i[perm], j[perm])(23, 31)
    by_mat = bp.conn.MatConn(dense)(23, 31)
    for c in (by_ij, by_mat):
        check_csr(c)
        np.testing.assert_array_equal(c.conn_mat, dense)
        np.testing.assert_array_equal(c.pre_ids, i)  # row-major order of np.nonzero
        np.testing.assert_array_equal(c.post_ids, j)
    assert bp.conn.MatConn(dense)().pre_size == (23,)  # sizes from the matrix
    # repeated pairs are kept (two synapses), still sorted
    dup = bp.conn.IJConn([2, 0, 2], [1, 1, 1])(3, 2)
    assert dup.indptr.tolist() == [0, 1, 1, 3] and dup.indices.tolist() == [1, 1, 1]
    check_csr(dup, distinct=False)


def test_require_and_repr():
    c = bp.conn.IJConn([0, 0, 2], [1, 2, 0])(3, 3)
    indices, indptr = c.require("pre2post")
    assert indices.tolist() == [1, 2, 0] and indptr.tolist() == [0, 2, 2, 3]
    pre, pind = c.require("post2pre")
    assert pre.tolist() == [2, 0, 0] and pind.tolist() == [0, 1, 2, 3]
    syn, pind2 = c.require("post2syn")
    assert syn.tolist() == [2, 0, 1] and pind2.tolist() == [0, 1, 2, 3]
    mat, ids = c.require("conn_mat", "pre_ids")
    assert mat.sum() == 3 and ids.tolist() == [0, 0, 2]
    assert "3 synapses" in repr(c)
    with pytest.raises(ValueError, match="unknown structure 'pre2pre'"):
        c.require("pre2pre")


# -- statistics ----------------------------------------------------------------------------
def _assert_degrees(degrees, mean, var, what):
    """Sample mean and variance of the degrees within 5 standard errors of the expected
    ones (normal approximation of the sample variance: fine for degrees >> 1)."""
    m = degrees.size
    se_mean, se_var = math.sqrt(var / m), var * math.sqrt(2.0 / (m - 1))
    assert abs(degrees.mean() - mean) < 5 * se_mean, (what, degrees.mean(), mean, se_mean)
    assert abs(degrees.var(ddof=1) - var) < 5 * se_var, (what, degrees.var(ddof=1), var)


def _assert_binomial_degrees(degrees, n, p, what):
    _assert_degrees(degrees, n * p, n * p * (1 - p), what)


def _assert_sum_of_binomials(degrees, terms, what):
    """Degrees distributed as a sum of independent Binomial(n, p), (n, p) in terms."""
    mean = sum(n * p for n, p in terms)
    _assert_degrees(degrees, mean, sum(n * p * (1 - p) for n, p in terms), what)


@pytest.mark.parametrize("include_self", [True, False])
def test_fixed_prob_degree_statistics(include_self):
    n_pre, n_post, p = 2000, 1500, 0.1
    c = bp.conn.FixedProb(p, include_self=include_self, seed=11)(n_pre, n_post)
    out_deg = np.diff(c.indptr)
    in_deg = np.bincount(c.indices, minlength=n_post)
    if include_self:
        _assert_binomial_degrees(out_deg, n_post, p, "out-degree")
        _assert_binomial_degrees(in_deg, n_pre, p, "in-degree")
    else:
        assert not np.any(c.pre_ids == c.post_ids)
        _assert_binomial_degrees(out_deg[:n_post], n_post - 1, p, "out-degree (diagonal rows)")
        _assert_binomial_degrees(out_deg[n_post:], n_post, p, "out-degree (other rows)")
    total, var = n_pre * n_post * p, n_pre * n_post * p * (1 - p)
    assert abs(c.num_synapses - total) < 5 * math.sqrt(var) + n_post * p * (not include_self)


def test_fixed_prob_with_many_top_up_draws(monkeypatch):
    """The rarely needed extra draws of gaps give the same kind of result."""
    from brainjit.conn import builders

    monkeypatch.setattr(builders, "_first_chunk", lambda total, p: 5)
    c = bp.conn.FixedProb(0.1, seed=9)(400, 300)
    check_csr(c)
    _assert_binomial_degrees(np.diff(c.indptr), 300, 0.1, "out-degree")
    _assert_binomial_degrees(np.bincount(c.indices, minlength=300), 400, 0.1, "in-degree")


def test_fixed_prob_pairs_are_independent():
    """Reciprocal pairs (i->j and j->i) occur with probability p^2."""
    n, p = 1500, 0.2
    mat = bp.conn.FixedProb(p, include_self=False, seed=2)(n).conn_mat
    pairs = n * (n - 1) / 2
    recip = np.triu(mat & mat.T, 1).sum()
    se = math.sqrt(pairs * p * p * (1 - p * p))
    assert abs(recip - pairs * p * p) < 5 * se, (recip, pairs * p * p, se)


@pytest.mark.parametrize("num", [20, 0.8])  # sparse and dense sampling regimes
@pytest.mark.parametrize("include_self", [True, False])
def test_fixed_pre_num_exact_in_degree(num, include_self):
    n_pre, n_post = 100, 2000
    c = bp.conn.FixedPreNum(num, include_self=include_self, seed=4)(n_pre, n_post)
    k = num if isinstance(num, int) else round(num * n_pre)
    check_csr(c)  # sorted, distinct pre per (pre, post) -> no duplicate synapse
    assert np.all(np.bincount(c.indices, minlength=n_post) == k)
    if not include_self:
        assert not np.any(c.pre_ids == c.post_ids)
    # post j picks pre i with probability k / (its number of candidates): n_pre, or
    # n_pre - 1 for the posts j < n_pre that cannot pick pre j
    out_deg = np.diff(c.indptr)
    if include_self:
        _assert_binomial_degrees(out_deg, n_post, k / n_pre, "out-degree")
    else:
        terms = [(n_pre - 1, k / (n_pre - 1)), (n_post - n_pre, k / n_pre)]
        _assert_sum_of_binomials(out_deg, terms, "out-degree")


@pytest.mark.parametrize("num", [25, 0.75])
def test_fixed_post_num_exact_out_degree(num):
    n_pre, n_post = 1500, 100
    c = bp.conn.FixedPostNum(num, include_self=False, seed=8)(n_pre, n_post)
    k = num if isinstance(num, int) else round(num * n_post)
    check_csr(c)
    assert np.all(np.diff(c.indptr) == k)
    assert not np.any(c.pre_ids == c.post_ids)
    in_deg = np.bincount(c.indices, minlength=n_post)
    terms = [(n_post - 1, k / (n_post - 1)), (n_pre - n_post, k / n_post)]
    _assert_sum_of_binomials(in_deg, terms, "in-degree")


@pytest.mark.parametrize("k,exclude", [(2, False), (3, False), (2, True), (3, True)])
def test_choose_distinct_is_uniform_over_subsets(k, exclude):
    """Every k-subset equally likely (chi-square, 1e-4 significance), both regimes."""
    n, rng = 5, np.random.default_rng(1)
    if exclude:  # row 1 of each draw cannot pick the value 1
        sub = np.concatenate([choose_distinct(rng, 2, n, k, True)[1:] for _ in range(4000)])
        assert not np.any(sub == 1)
        values = [v for v in range(n) if v != 1]
    else:
        sub = choose_distinct(rng, 20000, n, k, False)
        values = list(range(n))
    assert np.all(np.diff(sub, axis=1) > 0)
    subsets = list(itertools.combinations(values, k))
    index = {s: i for i, s in enumerate(subsets)}
    counts = np.bincount([index[tuple(r)] for r in sub.tolist()], minlength=len(subsets))
    expected = len(sub) / len(subsets)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    critical = {9: 33.72, 5: 25.74, 3: 21.11}[len(subsets) - 1]  # 99.99% quantiles
    assert chi2 < critical, (counts, chi2)


def test_reproducible_with_seed():
    for make in (
        lambda s: bp.conn.FixedProb(0.05, seed=s),
        lambda s: bp.conn.FixedPreNum(10, seed=s),
        lambda s: bp.conn.FixedPostNum(10, include_self=False, seed=s),
    ):
        a, b, other = make(7)(300, 400), make(7)(300, 400), make(8)(300, 400)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        assert not np.array_equal(a.indices, other.indices)
        # seed=None: fresh entropy each time
        x, y = make(None)(300, 400), make(None)(300, 400)
        assert not np.array_equal(x.indices, y.indices)


def test_large_fixed_prob_is_sparse_and_int32():
    c = bp.conn.FixedProb(1e-4, seed=0)(100_000, 50_000)  # 5e5 synapses; no N x N matrix
    assert c.indices.dtype == np.int32 and c.indptr.dtype == np.int32
    assert abs(c.num_synapses - 5e5) < 5 * math.sqrt(5e5)
    check_csr(c)


# -- bad input -----------------------------------------------------------------------------
def test_bad_sizes_and_parameters():
    with pytest.raises(ValueError, match=r"pre_size=\(4,\) \(4 neurons\).*post_size=\(5,\) \(5"):
        bp.conn.One2One()(4, 5)
    for size, error in [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="pre_size"):
            bp.conn.All2All()(size, 4)
    with pytest.raises(ValueError, match="post_size must be positive"):
        bp.conn.All2All()(4, (3, 0))
    for prob, error in [(1.5, ValueError), (-0.1, ValueError), ("0.1", TypeError)]:
        with pytest.raises(error, match="prob"):
            bp.conn.FixedProb(prob)
    with pytest.raises(ValueError, match=r"needs 10 distinct presynaptic neurons but only 9"):
        bp.conn.FixedPreNum(10, include_self=False)(10, 20)
    with pytest.raises(ValueError, match=r"needs 21 distinct postsynaptic neurons but only 20"):
        bp.conn.FixedPostNum(21)(10, 20)
    with pytest.raises(ValueError, match=r"fraction .* \[0, 1\]"):
        bp.conn.FixedPostNum(1.5)
    with pytest.raises(ValueError, match="num must be >= 0"):
        bp.conn.FixedPreNum(-1)
    with pytest.raises(TypeError, match="seed"):
        bp.conn.FixedProb(0.1, seed=1.5)
    with pytest.raises(ValueError, match=r"matrix has shape \(3, 4\).*\(4, 3\)"):
        bp.conn.MatConn(np.ones((3, 4)))(4, 3)
    with pytest.raises(ValueError, match="2-D"):
        bp.conn.MatConn(np.ones(3))
    with pytest.raises(ValueError, match="id 5, outside the postsynaptic group of 5"):
        bp.conn.IJConn([0, 1], [2, 5])(3, 5)
    with pytest.raises(ValueError, match="id -1, outside the presynaptic"):
        bp.conn.IJConn([0, -1], [2, 3])(3, 5)
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        bp.conn.IJConn([0, 1], [2, 3, 4])
    with pytest.raises(TypeError, match="integer ids"):
        bp.conn.IJConn([0.5], [1])
    with pytest.raises(RuntimeError, match="not built yet"):
        _ = bp.conn.FixedProb(0.1).indptr
    with pytest.raises(ValueError, match="dense conn_mat would have"):
        _ = bp.conn.FixedProb(0.0)(20000, 20000).conn_mat
    with pytest.raises(TypeError, match="needs the group sizes"):
        bp.conn.All2All()()
