"""The synapses of the neurons that fired, on the numpy backend: a Numba loop.

``event_csr_select(events, indptr, indices, ids=None)`` lists the entries of a CSR
structure (rows ``indptr``, columns ``indices``) that lie in the rows whose event is
set: for every set ``events[i]``, the entries ``k`` in ``indptr[i]:indptr[i + 1]``.
It returns three int64 arrays of one value per such entry, in row order:

- ``ids[k]`` (or ``k`` itself when ``ids`` is None): the synapse ids;
- ``i``: the row (the neuron that fired);
- ``indices[k]``: the column (the neuron at the other end).

With the CSR by presynaptic neuron of ``bp.conn`` (``ids=None``) these are the
synapses of the presynaptic neurons that fired, with their pre and post ids; with the
transposed structure (rows: postsynaptic neurons, ``ids``: the CSR position of each
synapse, ``indices``: its presynaptic neuron) the synapses onto the postsynaptic
neurons that fired. Plastic synapses (``bp.dyn.PlasticSynapse``) update the weights of
exactly those synapses: a step costs O(rows + the entries of the rows that fired), not
O(synapses).

The length of the result depends on the events (on the jax backend it is static: see
``brainjit.math._jax.event_select``). The function is eager (it checks its arguments)
and ``@overload``-ed for Numba, so that ``bp.math.jit`` code calls the kernel directly.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types as nbtypes
from numba.core.errors import TypingError
from numba.extending import overload

from brainjit.math import _numba
from brainjit.math._numpy.ops import to_ndarray

__all__ = ["event_csr_gather", "event_csr_scatter", "event_csr_select"]


@numba.njit(cache=True, nogil=True)
def _count(events, indptr):
    n = 0
    for i in range(events.shape[0]):
        if events[i]:
            n += indptr[i + 1] - indptr[i]
    return n


@numba.njit(cache=True, nogil=True)
def _select_positions(events, indptr, indices):
    n = _count(events, indptr)
    sel = np.empty(n, np.int64)
    rows = np.empty(n, np.int64)
    cols = np.empty(n, np.int64)
    j = 0
    for i in range(events.shape[0]):
        if events[i]:
            for k in range(indptr[i], indptr[i + 1]):
                sel[j] = k
                rows[j] = i
                cols[j] = indices[k]
                j += 1
    return sel, rows, cols


@numba.njit(cache=True, nogil=True)
def _select_ids(events, indptr, indices, ids):
    n = _count(events, indptr)
    sel = np.empty(n, np.int64)
    rows = np.empty(n, np.int64)
    cols = np.empty(n, np.int64)
    j = 0
    for i in range(events.shape[0]):
        if events[i]:
            for k in range(indptr[i], indptr[i + 1]):
                sel[j] = ids[k]
                rows[j] = i
                cols[j] = indices[k]
                j += 1
    return sel, rows, cols


def _check(events, indptr, indices, ids):
    events, indptr, indices = np.asarray(events), np.asarray(indptr), np.asarray(indices)
    if indptr.ndim != 1 or indptr.size < 1 or not np.issubdtype(indptr.dtype, np.integer):
        raise ValueError(
            "event_csr_select: indptr must be a 1-D integer array of rows + 1 row pointers, "
            f"got shape {indptr.shape} and dtype {indptr.dtype}"
        )
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            "event_csr_select: indices must be a 1-D integer array (one column per entry), "
            f"got shape {indices.shape} and dtype {indices.dtype}"
        )
    if int(indptr[0]) != 0 or int(indptr[-1]) != indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(
            f"event_csr_select: indptr must rise from 0 to len(indices) = {indices.size}, "
            f"got {int(indptr[0])} .. {int(indptr[-1])}"
        )
    if events.shape != (indptr.size - 1,):
        raise ValueError(
            f"event_csr_select: events must have shape ({indptr.size - 1},) (one per row, "
            f"from indptr), got {events.shape}"
        )
    if ids is not None:
        ids = np.asarray(ids)
        if ids.shape != indices.shape or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"event_csr_select: ids must be integers, one per entry (shape "
                f"{indices.shape}), got shape {ids.shape} and dtype {ids.dtype}"
            )
    return events, indptr, indices, ids


def event_csr_select(events, indptr, indices, ids=None):
    """The entries of the CSR rows whose event is set: ``(sel, rows, cols)``.

    Args:
        events: (rows,) bool (or numeric: non-zero is set), one per row.
        indptr: (rows + 1,) CSR row pointers.
        indices: (entries,) the column of each entry.
        ids: optional (entries,) ints: the id returned for each entry (default: its
            position ``k``).

    Returns:
        ``(sel, rows, cols)``, int64 arrays of one value per entry of the rows whose
        event is set, in row order: ``ids[k]`` (or ``k``), the row and ``indices[k]``.

    numpy backend: exactly those entries (a Numba loop over the rows; O(rows + their
    entries)); jax backend: every entry, with ``sel`` set to ``len(indices)`` (out of
    range: gathers clamp, writes drop it) for the entries of rows without an event.
    """
    events, indptr, indices, ids = _check(events, indptr, indices, ids)
    if ids is None:
        out = _select_positions(events, indptr, indices)
    else:
        out = _select_ids(events, indptr, indices, ids)
    return tuple(to_ndarray(a) for a in out)


@overload(event_csr_select, jit_options={"nogil": True, **_numba.INNER})
def _event_csr_select_numba(events, indptr, indices, ids=None):
    for name, arg in (("events", events), ("indptr", indptr), ("indices", indices)):
        if not isinstance(arg, nbtypes.Array) or arg.ndim != 1:
            raise TypingError(f"event_csr_select: {name} must be a 1-D array")
    if ids is None or isinstance(ids, (nbtypes.NoneType, nbtypes.Omitted)):

        def positions(events, indptr, indices, ids=None):
            return _select_positions(events, indptr, indices)

        return positions
    if not isinstance(ids, nbtypes.Array) or ids.ndim != 1:
        raise TypingError("event_csr_select: ids must be a 1-D integer array or None")

    def with_ids(events, indptr, indices, ids=None):
        return _select_ids(events, indptr, indices, ids)

    return with_ids


# -- the values of the selected entries, and writing them back -------------------------
#
# Plain loops: Numba compiles NumPy's fancy indexing (``x[ids]``, ``x[ids] = v``) far
# more slowly (seconds per process for the first use), and these are all we need.


@numba.njit(cache=True, nogil=True)
def _gather(values, sel):
    out = np.empty(sel.shape[0], values.dtype)
    for j in range(sel.shape[0]):
        out[j] = values[sel[j]]
    return out


@numba.njit(cache=True, nogil=True)
def _scatter(target, sel, new):
    for j in range(sel.shape[0]):
        target[sel[j]] = new[j]


def _check_gather(name, values, sel):
    values, sel = np.asarray(values), np.asarray(sel)
    if values.ndim != 1:
        raise ValueError(f"{name}: the values must be 1-D (one per entry), got {values.shape}")
    if sel.ndim != 1 or not np.issubdtype(sel.dtype, np.integer):
        raise ValueError(f"{name}: sel must be a 1-D integer array (from event_csr_select)")
    if sel.size and (int(sel.min()) < 0 or int(sel.max()) >= values.size):
        raise IndexError(
            f"{name}: sel must lie in [0, {values.size}), got {int(sel.min())} .. {int(sel.max())}"
        )
    return values, sel


def event_csr_gather(values, sel):
    """``values[sel]`` for ``sel`` from :func:`event_csr_select` (numpy backend: a Numba
    loop; jax backend: an index of ``len(values)`` gives ``values[-1]``)."""
    values, sel = _check_gather("event_csr_gather", values, sel)
    return to_ndarray(_gather(values, sel))


def event_csr_scatter(target, sel, new):
    """``target[sel] = new`` in place, for ``sel`` from :func:`event_csr_select` (numpy
    backend: a Numba loop; jax backend: indices out of range are dropped). ``target`` is
    a Variable (or, in compiled code, its array). Returns None."""
    array = target.value if hasattr(target, "value") else target
    _, sel = _check_gather("event_csr_scatter", array, sel)
    new = np.broadcast_to(np.asarray(new, dtype=array.dtype), sel.shape)
    _scatter(array, sel, np.ascontiguousarray(new))


@overload(event_csr_gather, jit_options={"nogil": True, **_numba.INNER})
def _event_csr_gather_numba(values, sel):
    return lambda values, sel: _gather(values, sel)


@overload(event_csr_scatter, jit_options={"nogil": True, **_numba.INNER})
def _event_csr_scatter_numba(target, sel, new):
    if isinstance(new, nbtypes.Array):
        return lambda target, sel, new: _scatter(target, sel, new)

    def scalar(target, sel, new):
        _scatter(target, sel, np.full(sel.shape[0], new, target.dtype))

    return scalar
