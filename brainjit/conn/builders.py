"""The connectivity builders. All are vectorised NumPy: no Python loop over neurons.

Random builders draw from ``numpy.random.default_rng(seed)``: the same seed gives the
same connectivity; ``seed=None`` draws fresh entropy from the operating system.
"""

from __future__ import annotations

import numbers

import numpy as np

from brainjit.conn.base import Connector, check_seed, index_dtype

__all__ = [
    "All2All",
    "One2One",
    "FixedProb",
    "FixedPreNum",
    "FixedPostNum",
    "IJConn",
    "MatConn",
]


def _rows_to_csr(counts, indices):
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, indices


def _without_diagonal(pos, pre_num, post_num):
    """Drop the flat positions (row-major, pre x post) of the pairs (i, i)."""
    diag = (pos % (post_num + 1) == 0) & (pos < min(pre_num, post_num) * (post_num + 1))
    return pos[~diag]


def _flat_to_csr(pos, pre_num, post_num):
    """Sorted flat positions i * post_num + j -> CSR (indptr, indices)."""
    row_starts = np.arange(pre_num + 1, dtype=np.int64) * post_num
    indptr = np.searchsorted(pos, row_starts)
    counts = np.diff(indptr)
    indices = pos - np.repeat(row_starts[:-1], counts)  # j = pos - i * post_num
    return indptr, indices


class All2All(Connector):
    """Every presynaptic neuron connects to every postsynaptic neuron.

    ``include_self=False`` leaves out the pairs (i, i).
    """

    def __init__(self, include_self: bool = True):
        super().__init__()
        self.include_self = bool(include_self)

    def _params(self):
        return f"include_self={self.include_self}"

    def _build(self, pre_num, post_num):
        dtype = index_dtype(post_num - 1)
        indices = np.tile(np.arange(post_num, dtype=dtype), pre_num)
        counts = np.full(pre_num, post_num, dtype=np.int64)
        if not self.include_self:
            k = min(pre_num, post_num)
            indices = np.delete(indices, np.arange(k, dtype=np.int64) * (post_num + 1))
            counts[:k] -= 1
        return _rows_to_csr(counts, indices)


class One2One(Connector):
    """Neuron i of the presynaptic group connects to neuron i of the postsynaptic group
    (the two groups must have the same number of neurons)."""

    def _build(self, pre_num, post_num):
        if pre_num != post_num:
            raise ValueError(
                f"One2One needs groups of the same size, got pre_size={self.pre_size} "
                f"({pre_num} neurons) and post_size={self.post_size} ({post_num} neurons)"
            )
        return np.arange(pre_num + 1), np.arange(pre_num)


def _first_chunk(total: int, p: float) -> int:
    """How many geometric gaps to draw first: the expected number of pairs plus six
    standard deviations, so that a second (small) draw is almost never needed."""
    expected = total * p
    return int(expected + 6.0 * np.sqrt(expected * (1.0 - p)) + 64)


class FixedProb(Connector):
    """Each pair (pre i, post j) is connected independently with probability ``prob``.

    The out-degree of a presynaptic neuron is Binomial(post_num, prob) (post_num - 1
    without self-connections). Built in O(number of synapses): the gaps between
    consecutive connected pairs, in row-major order, are geometric; no N x N matrix.
    """

    def __init__(self, prob, include_self: bool = True, seed=None):
        super().__init__()
        if isinstance(prob, bool) or not isinstance(prob, numbers.Real):
            raise TypeError(f"FixedProb: prob must be a number in [0, 1], got {prob!r}")
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"FixedProb: prob must lie in [0, 1], got {prob!r}")
        self.prob = float(prob)
        self.include_self = bool(include_self)
        self.seed = check_seed(seed)

    def _params(self):
        return f"prob={self.prob}, include_self={self.include_self}, seed={self.seed}"

    def _build(self, pre_num, post_num):
        total = pre_num * post_num
        p = self.prob
        if p == 0.0:
            pos = np.zeros(0, dtype=np.int64)
        elif p == 1.0:
            pos = np.arange(total, dtype=np.int64)
        else:
            rng = np.random.default_rng(self.seed)
            chunk = _first_chunk(total, p)
            pieces, last = [], -1
            while last < total - 1:
                gaps = rng.geometric(p, size=chunk)  # >= 1: distance to the next pair
                gaps[0] += last
                np.cumsum(gaps, out=gaps)
                pieces.append(gaps)
                last = int(gaps[-1])
                chunk = max(64, int(chunk * 0.1))  # rarely needed: a short top-up
            pos = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            pos = pos[: np.searchsorted(pos, total)]
        if not self.include_self:
            pos = _without_diagonal(pos, pre_num, post_num)
        return _flat_to_csr(pos, pre_num, post_num)


def _check_num(num, n: int, who: str, group: str) -> int:
    """``num`` as a count: an int >= 0, or a float in [0, 1] as a fraction of ``n``."""
    if isinstance(num, bool) or not isinstance(num, numbers.Real):
        raise TypeError(f"{who}: num must be an int or a fraction in [0, 1], got {num!r}")
    if isinstance(num, numbers.Integral):
        if num < 0:
            raise ValueError(f"{who}: num must be >= 0, got {num}")
        return int(num)
    if not 0.0 <= num <= 1.0:
        raise ValueError(
            f"{who}: a float num is a fraction of the {group} group and must lie in "
            f"[0, 1], got {num!r} (pass an int for a count)"
        )
    return int(round(num * n))


def choose_distinct(rng, rows: int, n: int, k: int, exclude_self: bool) -> np.ndarray:
    """For each of ``rows`` rows, ``k`` distinct ints from ``range(n)`` (without the
    row's own index when ``exclude_self``), uniformly at random; sorted; (rows, k)."""
    dtype = index_dtype(n - 1)
    if k == 0:
        return np.zeros((rows, 0), dtype=dtype)
    own = np.arange(rows, dtype=np.int64)
    excluded = (own < n) if exclude_self else np.zeros(rows, dtype=bool)
    available = n - excluded.astype(np.int64)  # candidates per row

    if 2 * k > n:  # dense: k smallest of random keys (the result is ~as big as n per row)
        out = np.empty((rows, k), dtype=dtype)
        step = max(1, 2**24 // n)
        for start in range(0, rows, step):  # bounded memory: step x n keys at a time
            stop = min(rows, start + step)
            keys = rng.random((stop - start, n))
            r = np.nonzero(excluded[start:stop])[0]
            keys[r, own[start:stop][r]] = np.inf
            chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
            chosen.sort(axis=1)
            out[start:stop] = chosen
        return out

    # sparse: draw with replacement, then redraw the repeated entries until none is left
    # (each redraw is uniform, so the final set is a uniform k-subset by symmetry)
    def draw(row_ids):
        values = (rng.random(len(row_ids)) * available[row_ids]).astype(np.int64)
        shift = excluded[row_ids] & (values >= own[row_ids])  # skip the row's own index
        return values + shift

    out = draw(np.repeat(own, k)).reshape(rows, k)
    out.sort(axis=1)
    todo = np.arange(rows)
    while todo.size:
        block = out[todo]
        dup = block[:, 1:] == block[:, :-1]
        r, c = np.nonzero(dup)
        if r.size == 0:
            break
        block[r, c + 1] = draw(todo[r])
        block.sort(axis=1)
        out[todo] = block
        todo = todo[np.unique(r)]
    return out.astype(dtype, copy=False)


class FixedPostNum(Connector):
    """Each presynaptic neuron connects to exactly ``num`` distinct postsynaptic neurons,
    chosen uniformly (``num`` an int, or a float in [0, 1]: a fraction of post_num)."""

    def __init__(self, num, include_self: bool = True, seed=None):
        super().__init__()
        _check_num(num, 1, self._name(), "postsynaptic")
        self.num = num
        self.include_self = bool(include_self)
        self.seed = check_seed(seed)

    def _params(self):
        return f"num={self.num}, include_self={self.include_self}, seed={self.seed}"

    def _count(self, rows, n, group, size, per):
        k = _check_num(self.num, n, self._name(), group)
        available = n if self.include_self else n - 1  # neuron 0 cannot pick itself
        if k > available:
            raise ValueError(
                f"{self._name()}(num={self.num}): each {per} neuron needs {k} distinct "
                f"{group} neurons but only {available} are available ({group} size "
                f"{size}, include_self={self.include_self})"
            )
        return k

    def _build(self, pre_num, post_num):
        k = self._count(pre_num, post_num, "postsynaptic", self.post_size, "presynaptic")
        rng = np.random.default_rng(self.seed)
        chosen = choose_distinct(rng, pre_num, post_num, k, not self.include_self)
        return np.arange(pre_num + 1, dtype=np.int64) * k, chosen.reshape(-1)


class FixedPreNum(FixedPostNum):
    """Each postsynaptic neuron receives connections from exactly ``num`` distinct
    presynaptic neurons, chosen uniformly (``num`` an int, or a float in [0, 1]: a
    fraction of pre_num)."""

    def _build(self, pre_num, post_num):
        k = self._count(post_num, pre_num, "presynaptic", self.pre_size, "postsynaptic")
        rng = np.random.default_rng(self.seed)
        chosen = choose_distinct(rng, post_num, pre_num, k, not self.include_self)
        # (post j, its pre ids) -> sort the synapses by (pre, post) through one flat key
        keys = chosen.astype(np.int64) * post_num
        keys += np.arange(post_num, dtype=np.int64)[:, None]
        keys = keys.reshape(-1)
        keys.sort()
        return _flat_to_csr(keys, pre_num, post_num)


class IJConn(Connector):
    """Synapses given explicitly: presynaptic ids ``i`` and postsynaptic ids ``j`` (one
    entry per synapse; repeated pairs are kept as several synapses)."""

    def __init__(self, i, j):
        super().__init__()
        i, j = np.asarray(i), np.asarray(j)
        for name, a in (("i", i), ("j", j)):
            if a.ndim != 1:
                raise ValueError(f"IJConn: {name} must be a 1-D array of ids, got shape {a.shape}")
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise TypeError(f"IJConn: {name} must hold integer ids, got dtype {a.dtype}")
        if i.shape != j.shape:
            raise ValueError(
                f"IJConn: i and j must have the same length, got {i.size} and {j.size}"
            )
        self.i, self.j = i.astype(np.int64), j.astype(np.int64)

    def _params(self):
        return f"{self.i.size} pairs"

    def _build(self, pre_num, post_num):
        for name, ids, num, size in (
            ("i", self.i, pre_num, self.pre_size),
            ("j", self.j, post_num, self.post_size),
        ):
            if ids.size and (ids.min() < 0 or ids.max() >= num):
                bad = ids.min() if ids.min() < 0 else ids.max()
                group = "pre" if name == "i" else "post"
                raise ValueError(
                    f"IJConn: {name} holds the id {bad}, outside the {group}synaptic "
                    f"group of {num} neurons ({group}_size={size})"
                )
        order = np.lexsort((self.j, self.i))
        counts = np.bincount(self.i, minlength=pre_num)
        return _rows_to_csr(counts, self.j[order])


class MatConn(Connector):
    """Synapses given as a dense (pre_num x post_num) matrix: True (non-zero) entries
    are connections. Called without sizes, it takes them from the matrix."""

    def __init__(self, conn_mat):
        super().__init__()
        mat = np.asarray(conn_mat)
        if mat.ndim != 2:
            raise ValueError(f"MatConn: conn_mat must be a 2-D matrix, got shape {mat.shape}")
        self.mat = mat.astype(bool, copy=False)

    def _params(self):
        return f"{self.mat.shape[0]}x{self.mat.shape[1]} matrix"

    def _default_sizes(self):
        return self.mat.shape

    def _build(self, pre_num, post_num):
        if self.mat.shape != (pre_num, post_num):
            raise ValueError(
                f"MatConn: the matrix has shape {self.mat.shape} but the groups need "
                f"({pre_num}, {post_num}) (pre_size={self.pre_size}, "
                f"post_size={self.post_size})"
            )
        rows, cols = np.nonzero(self.mat)
        return _rows_to_csr(np.bincount(rows, minlength=pre_num), cols)
