"""The synapses of the neurons that fired, on the jax backend: a mask, static shapes.

``event_csr_select(events, indptr, indices, ids=None)`` returns ``(sel, rows, cols)``
with one value per entry of the CSR structure (XLA needs static shapes, so the result
cannot shrink to the rows that fired as it does on the numpy backend):

- ``sel[k]``: ``ids[k]`` (or ``k``) for the entries of rows whose event is set, and
  ``len(indices)`` for the others: an index out of range, which gathers clamp and
  writes (``x[sel] = ...``, ``.at[sel].set``) drop;
- ``rows[k]``: the row of entry ``k`` (always its own, set or not);
- ``cols[k]``: ``indices[k]``.

So ``w[sel] = f(w[sel], rows, cols)`` changes exactly the entries of the rows that
fired on both backends, at O(entries) per call here (one gather of the events and a
select; the write is one scatter). The row of each entry is computed on the host once
per connectivity (cached, like ``event_matvec``'s tables).
"""

from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.ndarray import unwrap, wrap

__all__ = ["event_csr_gather", "event_csr_scatter", "event_csr_select"]

_ROWS: dict = {}  # (id(indptr), id(indices)) -> (weak refs, row of each entry)


def _host(x):
    """``x`` as a NumPy array when it is concrete, else None (a tracer)."""
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x)


def _rows(indptr_obj, indptr: np.ndarray, nnz: int):
    key = (id(indptr_obj), nnz)
    hit = _ROWS.get(key)
    if hit is not None and hit[0]() is indptr_obj:
        return hit[1]
    counts = np.diff(indptr.astype(np.int64))
    with jax.ensure_compile_time_eval():
        rows = jax.device_put(np.repeat(np.arange(counts.size, dtype=np.int32), counts))
    try:

        def forget(_, key=key):
            _ROWS.pop(key, None)

        _ROWS[key] = (weakref.ref(indptr_obj, forget), rows)
    except TypeError:  # no weak references: not cached
        pass
    return rows


def _check(events_shape, indptr, indices, ids):
    if (
        len(indptr.shape) != 1
        or indptr.shape[0] < 1
        or not jnp.issubdtype(indptr.dtype, jnp.integer)
    ):
        raise ValueError(
            "event_csr_select: indptr must be a 1-D integer array of rows + 1 row pointers, "
            f"got shape {tuple(indptr.shape)} and dtype {indptr.dtype}"
        )
    if len(indices.shape) != 1 or not jnp.issubdtype(indices.dtype, jnp.integer):
        raise ValueError(
            "event_csr_select: indices must be a 1-D integer array (one column per entry), "
            f"got shape {tuple(indices.shape)} and dtype {indices.dtype}"
        )
    if tuple(events_shape) != (indptr.shape[0] - 1,):
        raise ValueError(
            f"event_csr_select: events must have shape ({indptr.shape[0] - 1},) (one per "
            f"row, from indptr), got {tuple(events_shape)}"
        )
    if ids is not None and (
        tuple(ids.shape) != tuple(indices.shape) or not jnp.issubdtype(ids.dtype, jnp.integer)
    ):
        raise ValueError(
            f"event_csr_select: ids must be integers, one per entry (shape "
            f"{tuple(indices.shape)}), got shape {tuple(ids.shape)} and dtype {ids.dtype}"
        )


def event_csr_select(events, indptr, indices, ids=None):
    """The entries of the CSR rows whose event is set: ``(sel, rows, cols)``.

    Args:
        events: (rows,) bool (or numeric: non-zero is set), one per row.
        indptr: (rows + 1,) CSR row pointers.
        indices: (entries,) the column of each entry.
        ids: optional (entries,) ints: the id returned for each entry (default: its
            position ``k``).

    Returns:
        ``(sel, rows, cols)``, int32 JaxArrays of one value per entry (static shape):
        ``sel[k]`` is ``ids[k]`` (or ``k``) where the event of its row is set and
        ``len(indices)`` (out of range: gathers clamp, writes drop it) elsewhere;
        ``rows[k]`` the row of entry ``k``, ``cols[k] = indices[k]``.

    numpy backend: only the entries of the rows whose event is set (see the module
    docstring); here O(entries) per call.
    """
    events = jnp.asarray(unwrap(events))
    indptr_obj, indices_obj = unwrap(indptr), unwrap(indices)
    indptr_arr = indptr_obj if hasattr(indptr_obj, "shape") else np.asarray(indptr_obj)
    indices_arr = indices_obj if hasattr(indices_obj, "shape") else np.asarray(indices_obj)
    ids_arr = None if ids is None else unwrap(ids)
    if ids_arr is not None and not hasattr(ids_arr, "shape"):
        ids_arr = np.asarray(ids_arr)
    _check(events.shape, indptr_arr, indices_arr, ids_arr)
    nnz = int(indices_arr.shape[0])
    host = _host(indptr_arr)
    if host is not None:
        if int(host[0]) != 0 or int(host[-1]) != nnz or np.any(np.diff(host) < 0):
            raise ValueError(
                f"event_csr_select: indptr must rise from 0 to len(indices) = {nnz}, "
                f"got {int(host[0])} .. {int(host[-1])}"
            )
        rows = _rows(indptr_obj, host, nnz)
    else:  # traced connectivity
        counts = jnp.diff(jnp.asarray(indptr_arr))
        rows = jnp.repeat(
            jnp.arange(counts.shape[0], dtype=jnp.int32), counts, total_repeat_length=nnz
        )
    fired = events.at[rows].get(mode="promise_in_bounds")
    if fired.dtype != jnp.bool_:
        fired = fired != 0
    own = jnp.arange(nnz, dtype=jnp.int32) if ids_arr is None else jnp.asarray(ids_arr, jnp.int32)
    sel = jnp.where(fired, own, jnp.int32(nnz))
    return wrap(sel), wrap(rows), wrap(jnp.asarray(indices_arr, jnp.int32))


def event_csr_gather(values, sel):
    """``values[sel]`` for ``sel`` from :func:`event_csr_select`; an index out of range
    (the entries of rows without an event) gives the last value (clamped)."""
    values = jnp.asarray(unwrap(values))
    return wrap(values.at[jnp.asarray(unwrap(sel))].get(mode="clip"))


def event_csr_scatter(target, sel, new):
    """``target[sel] = new`` in place (``target`` a Variable), for ``sel`` from
    :func:`event_csr_select`: indices out of range (the entries of rows without an
    event) are dropped. Returns None."""
    old = target.value
    old = unwrap(old)
    new = jnp.asarray(unwrap(new), old.dtype)
    target.value = old.at[jnp.asarray(unwrap(sel))].set(new, mode="drop")
