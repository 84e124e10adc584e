"""The connector base class: sizes, CSR storage by presynaptic neuron, accessors.

A connector is configured at construction (``FixedProb(0.02, seed=1)``) and built by
calling it with the sizes of the two groups (``conn(pre_size, post_size)``). The result
is stored as CSR by presynaptic neuron: the targets of presynaptic neuron ``i`` are
``indices[indptr[i]:indptr[i + 1]]`` (sorted), and synapse ``s`` is the ``s``-th entry
of ``indices``. Everything is plain NumPy, built on the host with vectorised operations.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Connector", "DENSE_LIMIT", "index_dtype"]

# Largest pre_num * post_num for which the dense ``conn_mat`` is built (bytes of bool).
DENSE_LIMIT = 2**28


def index_dtype(max_value: int):
    """int32 when every index up to ``max_value`` fits, else int64."""
    return np.int32 if max_value <= np.iinfo(np.int32).max else np.int64


def as_size(size, name: str) -> tuple[int, ...]:
    """A group size as a shape tuple of positive ints (from an int or a shape)."""
    dims = size if isinstance(size, (tuple, list)) else (size,)
    shape = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(
                f"{name} must be a positive int or a shape (tuple of positive ints), got {size!r}"
            )
        if d <= 0:
            raise ValueError(f"{name} must be positive, got {size!r}")
        shape.append(int(d))
    if not shape:
        raise ValueError(f"{name} must not be an empty shape")
    return tuple(shape)


def check_seed(seed):
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be None or a non-negative int, got {seed!r}")
    return int(seed)


class Connector:
    """Base class of the connectivity builders (see the module docstring).

    After ``conn(pre_size, post_size)``: ``indptr`` (pre_num + 1), ``indices`` (post
    ids, sorted within each row), ``pre_ids``/``post_ids`` (one entry per synapse),
    ``num_synapses``, ``conn_mat`` (dense bool, small sizes only), ``post_indptr``/
    ``post_order`` (the same synapses by postsynaptic neuron) and ``require(...)``.
    """

    def __init__(self):
        self.pre_size: tuple[int, ...] | None = None
        self.post_size: tuple[int, ...] | None = None
        self._indptr = None
        self._indices = None
        self._cache: dict = {}

    # -- building ------------------------------------------------------------------
    def __call__(self, pre_size=None, post_size=None):
        """Build the connectivity between ``pre_size`` and ``post_size`` neurons (ints
        or shapes; ``post_size`` defaults to ``pre_size``). Returns the connector."""
        if pre_size is None:
            pre_size, post_size = self._default_sizes()
        pre = as_size(pre_size, f"{self._name()}: pre_size")
        post = pre if post_size is None else as_size(post_size, f"{self._name()}: post_size")
        self.pre_size, self.post_size = pre, post
        indptr, indices = self._build(math.prod(pre), math.prod(post))
        self._store(indptr, indices)
        return self

    def _default_sizes(self):
        raise TypeError(f"{self._name()} needs the group sizes: conn(pre_size, post_size)")

    def _build(self, pre_num: int, post_num: int):
        """Return ``(indptr, indices)``: CSR by presynaptic neuron, rows sorted."""
        raise NotImplementedError

    def _store(self, indptr, indices):
        pre_num, post_num = self.pre_num, self.post_num
        indptr = np.asarray(indptr)
        nnz = int(indptr[-1])
        self._indptr = indptr.astype(index_dtype(nnz), copy=False)
        self._indices = np.asarray(indices).astype(index_dtype(post_num - 1), copy=False)
        assert self._indptr.shape == (pre_num + 1,) and self._indices.shape == (nnz,)
        self._cache = {}

    # -- sizes ---------------------------------------------------------------------
    def _built(self):
        if self._indptr is None:
            raise RuntimeError(
                f"{self._name()} is not built yet: call it with the group sizes first, "
                "e.g. conn(pre_size, post_size)"
            )

    @property
    def pre_num(self) -> int:
        if self.pre_size is None:
            self._built()
        return math.prod(self.pre_size)

    @property
    def post_num(self) -> int:
        if self.post_size is None:
            self._built()
        return math.prod(self.post_size)

    @property
    def num_synapses(self) -> int:
        self._built()
        return int(self._indptr[-1])

    # -- CSR and derived views -------------------------------------------------------
    @property
    def indptr(self) -> np.ndarray:
        """Row pointers (pre_num + 1): the synapses of pre ``i`` are
        ``indptr[i]:indptr[i + 1]``."""
        self._built()
        return self._indptr

    @property
    def indices(self) -> np.ndarray:
        """Postsynaptic neuron of each synapse (CSR order: by pre, then by post)."""
        self._built()
        return self._indices

    @property
    def post_ids(self) -> np.ndarray:
        """Postsynaptic neuron of each synapse (the same array as ``indices``)."""
        return self.indices

    @property
    def pre_ids(self) -> np.ndarray:
        """Presynaptic neuron of each synapse (CSR order)."""
        self._built()
        if "pre_ids" not in self._cache:
            counts = np.diff(self._indptr)
            ids = np.arange(self.pre_num, dtype=index_dtype(self.pre_num - 1))
            self._cache["pre_ids"] = np.repeat(ids, counts)
        return self._cache["pre_ids"]

    def _by_post(self):
        if "post_order" not in self._cache:
            order = np.argsort(self.indices, kind="stable")  # within a post: by pre
            counts = np.bincount(self.indices, minlength=self.post_num)
            indptr = np.zeros(self.post_num + 1, dtype=self._indptr.dtype)
            np.cumsum(counts, out=indptr[1:])
            self._cache["post_order"] = order.astype(self._indptr.dtype, copy=False)
            self._cache["post_indptr"] = indptr
        return self._cache["post_indptr"], self._cache["post_order"]

    @property
    def post_indptr(self) -> np.ndarray:
        """Row pointers of the synapses grouped by postsynaptic neuron (post_num + 1)."""
        return self._by_post()[0]

    @property
    def post_order(self) -> np.ndarray:
        """Synapse ids (CSR positions) grouped by postsynaptic neuron, by pre within a
        post: the incoming synapses of post ``j`` are
        ``post_order[post_indptr[j]:post_indptr[j + 1]]``."""
        return self._by_post()[1]

    @property
    def conn_mat(self) -> np.ndarray:
        """The dense boolean matrix (pre_num x post_num); only for small sizes."""
        self._built()
        cells = self.pre_num * self.post_num
        if cells > DENSE_LIMIT:
            raise ValueError(
                f"{self._name()}: the dense conn_mat would have {self.pre_num} x "
                f"{self.post_num} = {cells:,} cells (limit {DENSE_LIMIT:,}); use the CSR "
                "arrays indptr/indices or pre_ids/post_ids instead"
            )
        mat = np.zeros((self.pre_num, self.post_num), dtype=bool)
        mat[self.pre_ids, self.indices] = True
        return mat

    def require(self, *names):
        """BrainPy-style access: ``'pre2post'`` -> (indices, indptr), ``'post2pre'`` ->
        (pre ids by post, post_indptr), ``'pre2syn'`` -> (synapse ids, indptr),
        ``'post2syn'`` -> (post_order, post_indptr), ``'conn_mat'``, ``'pre_ids'``,
        ``'post_ids'``. One name gives its value, several a tuple."""
        self._built()
        getters = {
            "pre2post": lambda: (self.indices, self.indptr),
            "post2pre": lambda: (self.pre_ids[self.post_order], self.post_indptr),
            "pre2syn": lambda: (
                np.arange(self.num_synapses, dtype=self._indptr.dtype),
                self.indptr,
            ),
            "post2syn": lambda: (self.post_order, self.post_indptr),
            "conn_mat": lambda: self.conn_mat,
            "pre_ids": lambda: self.pre_ids,
            "post_ids": lambda: self.post_ids,
        }
        out = []
        for name in names:
            if name not in getters:
                raise ValueError(
                    f"{self._name()}.require(): unknown structure {name!r}; "
                    f"choose from {', '.join(map(repr, getters))}"
                )
            out.append(getters[name]())
        return out[0] if len(out) == 1 else tuple(out)

    # -- display -------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _params(self) -> str:
        return ""

    def __repr__(self) -> str:
        text = f"{self._name()}({self._params()})"
        if self._indptr is not None:
            text += f": {self.pre_num} -> {self.post_num} neurons, {self.num_synapses:,} synapses"
        return text
