"""Segment reductions on the numpy backend: ``segment_sum/prod/max/min``, ``pre2syn``
and ``syn2post_*`` (BrainPy 2.x's ``bm.segment_*`` and pre/syn/post operators).

``segment_sum(data, segment_ids, num_segments)`` reduces the rows of ``data`` (its
leading axis) that share a segment id: ``out[k] = sum(data[i] for i with
segment_ids[i] == k)``. The semantics are ``jax.ops.segment_*``'s, so that both backends
give the same results:

- an empty segment holds the reduction's identity: 0 (sum), 1 (prod), the lowest value
  of the dtype (max: ``-inf`` for floats) and the highest (min: ``+inf``);
- ids outside ``[0, num_segments)`` are dropped;
- the dtype is ``data``'s, except that booleans are summed and multiplied as integers
  (``max``/``min`` of booleans are ``any``/``all``, booleans).

Each function is a Python function for eager calls (it checks its arguments) and is
``@overload``-ed for Numba, so ``bp.math.segment_sum`` & co also compile inside
``bp.math.jit`` code; one serial Numba loop per reduction serves both.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
from numba.core import types as nbtypes
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

from brainjit.math import _numba
from brainjit.math._numpy.ops import to_ndarray

__all__ = [
    "pre2syn",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "syn2post",
    "syn2post_max",
    "syn2post_mean",
    "syn2post_min",
    "syn2post_prod",
    "syn2post_softmax",
    "syn2post_sum",
]

# -- kernels: ``data`` (n, k) C-contiguous, ``out`` (num, k) filled with the identity ----


@numba.njit(cache=True, nogil=True)
def _sum_rows(data, ids, out):
    num = np.uintp(out.shape[0])
    for i in range(data.shape[0]):
        s = np.uintp(ids[i])  # unsigned: no wrap-around test (negative ids: huge)
        if s < num:
            for j in range(data.shape[1]):
                out[s, j] += data[i, j]
    return out


@numba.njit(cache=True, nogil=True)
def _prod_rows(data, ids, out):
    num = np.uintp(out.shape[0])
    for i in range(data.shape[0]):
        s = np.uintp(ids[i])  # unsigned: no wrap-around test (negative ids: huge)
        if s < num:
            for j in range(data.shape[1]):
                out[s, j] *= data[i, j]
    return out


@numba.njit(cache=True, nogil=True)
def _max_rows(data, ids, out):
    num = np.uintp(out.shape[0])
    for i in range(data.shape[0]):
        s = np.uintp(ids[i])  # unsigned: no wrap-around test (negative ids: huge)
        if s < num:
            for j in range(data.shape[1]):
                x = data[i, j]
                if x > out[s, j] or x != x:  # NaN wins, as in np.maximum
                    out[s, j] = x
    return out


@numba.njit(cache=True, nogil=True)
def _min_rows(data, ids, out):
    num = np.uintp(out.shape[0])
    for i in range(data.shape[0]):
        s = np.uintp(ids[i])  # unsigned: no wrap-around test (negative ids: huge)
        if s < num:
            for j in range(data.shape[1]):
                x = data[i, j]
                if x < out[s, j] or x != x:
                    out[s, j] = x
    return out


_KERNELS = {"sum": _sum_rows, "prod": _prod_rows, "max": _max_rows, "min": _min_rows}
_MODES = (None, "drop", "fill", "promise_in_bounds")


def _identity(kind: str, dtype: np.dtype):
    """The value of an empty segment (jax.ops.segment_*'s)."""
    if kind == "sum":
        return dtype.type(0)
    if kind == "prod":
        return dtype.type(1)
    if dtype == np.bool_:
        return np.bool_(kind == "min")
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return dtype.type(info.min if kind == "max" else info.max)
    return dtype.type(-np.inf if kind == "max" else np.inf)


def _out_dtype(kind: str, dtype: np.dtype) -> np.dtype:
    """``data``'s dtype; booleans summed and multiplied as integers."""
    if dtype == np.bool_ and kind in ("sum", "prod"):
        return np.dtype(np.int64)
    return dtype


def check_segments(name, data_shape, data_dtype, ids_shape, ids_dtype, num_segments, mode):
    """Shapes and dtypes of a segment reduction (shared with the jax backend)."""
    if len(data_shape) < 1:
        raise ValueError(
            f"{name}: data must have at least one axis (its rows are reduced by segment), "
            f"got a scalar"
        )
    if len(ids_shape) != 1 or not np.issubdtype(ids_dtype, np.integer):
        raise ValueError(
            f"{name}: segment_ids must be a 1-D integer array (one segment id per row of "
            f"data), got shape {tuple(ids_shape)} and dtype {ids_dtype}"
        )
    if ids_shape[0] != data_shape[0]:
        raise ValueError(
            f"{name}: segment_ids must have one id per row of data: data has "
            f"{data_shape[0]} rows (shape {tuple(data_shape)}), segment_ids has {ids_shape[0]}"
        )
    if not (data_dtype == np.bool_ or np.issubdtype(data_dtype, np.number)):
        raise TypeError(f"{name}: data must be numbers or booleans, got dtype {data_dtype}")
    if num_segments is not None and (
        isinstance(num_segments, bool)
        or not isinstance(num_segments, numbers.Integral)
        or num_segments < 0
    ):
        raise ValueError(
            f"{name}: num_segments must be a non-negative int (or None: max(segment_ids) + 1), "
            f"got {num_segments!r}"
        )
    if mode not in _MODES and str(mode).lower().split(".")[-1] not in ("fill_or_drop",):
        raise ValueError(
            f"{name}: mode={mode!r} is not supported; ids outside [0, num_segments) are "
            f"dropped (mode=None)"
        )


def _segment(kind, data, segment_ids, num_segments, mode):
    name = f"segment_{kind}"
    data = np.asarray(data)
    ids = np.asarray(segment_ids)
    check_segments(name, data.shape, data.dtype, ids.shape, ids.dtype, num_segments, mode)
    if num_segments is None:
        if ids.size == 0:
            raise ValueError(
                f"{name}: num_segments is needed when segment_ids is empty (pass an int)"
            )
        num_segments = max(int(ids.max()) + 1, 0)
    dtype = _out_dtype(kind, data.dtype)
    width = int(np.prod(data.shape[1:], dtype=np.int64))
    rows = np.ascontiguousarray(data, dtype=dtype).reshape(data.shape[0], width)
    out = np.full((int(num_segments), rows.shape[1]), _identity(kind, dtype), dtype)
    _KERNELS[kind](rows, ids, out)
    return to_ndarray(out.reshape((int(num_segments),) + data.shape[1:]))


def segment_sum(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    """The sum of the rows of ``data`` in each segment (``jax.ops.segment_sum``).

    Args:
        data: an array whose rows (leading axis) are reduced.
        segment_ids: (data.shape[0],) integers: the segment of each row. They may repeat
            and need not be sorted; ids outside ``[0, num_segments)`` are dropped.
        num_segments: the number of segments (the length of the result); default
            ``max(segment_ids) + 1``. Give it inside jitted jax code (a static size).
        indices_are_sorted, unique_indices, bucket_size: hints for XLA (jax backend);
            ignored on the numpy backend, which gives exact sums.
        mode: ``None`` (out-of-range ids are dropped).

    Returns:
        an array of shape ``(num_segments,) + data.shape[1:]``, ``data``'s dtype
        (booleans are counted: integers); an empty segment sums to 0.
    """
    return _segment("sum", data, segment_ids, num_segments, mode)


def segment_prod(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    """The product of the rows of ``data`` in each segment (``jax.ops.segment_prod``).

    Arguments as :func:`segment_sum`; an empty segment holds 1.
    """
    return _segment("prod", data, segment_ids, num_segments, mode)


def segment_max(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    """The maximum of the rows of ``data`` in each segment (``jax.ops.segment_max``).

    Arguments as :func:`segment_sum`; an empty segment holds ``-inf`` (floats), the
    lowest integer of the dtype, or ``False``.
    """
    return _segment("max", data, segment_ids, num_segments, mode)


def segment_min(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    """The minimum of the rows of ``data`` in each segment (``jax.ops.segment_min``).

    Arguments as :func:`segment_sum`; an empty segment holds ``+inf`` (floats), the
    highest integer of the dtype, or ``True``.
    """
    return _segment("min", data, segment_ids, num_segments, mode)


# -- compiled code ------------------------------------------------------------------------


def _absent(t) -> bool:
    return t is None or isinstance(t, (nbtypes.NoneType, nbtypes.Omitted))


@register_jitable
def _check_mode(mode):
    if mode != "drop" and mode != "fill" and mode != "promise_in_bounds":
        raise ValueError("segment_*: mode must be None (out-of-range ids are dropped)")


@register_jitable
def _largest_id_plus_one(ids):
    if ids.shape[0] == 0:
        raise ValueError("segment_*: num_segments is needed when segment_ids is empty")
    num = 0
    for i in range(ids.shape[0]):
        num = max(num, ids[i] + 1)
    return num


@register_jitable
def _checked_num(num_segments):
    if num_segments < 0:
        raise ValueError("segment_*: num_segments must be non-negative")
    return num_segments


def _segment_overload(kind):
    kernel = _KERNELS[kind]
    name = f"segment_{kind}"

    def typer(
        data,
        segment_ids,
        num_segments=None,
        indices_are_sorted=False,
        unique_indices=False,
        bucket_size=None,
        mode=None,
    ):
        if not isinstance(data, nbtypes.Array) or data.ndim < 1:
            raise TypingError(f"{name}: data must be an array with at least one axis")
        if (
            not isinstance(segment_ids, nbtypes.Array)
            or segment_ids.ndim != 1
            or not isinstance(segment_ids.dtype, nbtypes.Integer)
        ):
            raise TypingError(f"{name}: segment_ids must be a 1-D integer array")
        if not (_absent(mode) or isinstance(mode, (nbtypes.StringLiteral, nbtypes.UnicodeType))):
            raise TypingError(f"{name}: mode must be None (out-of-range ids are dropped)")
        check_mode = not _absent(mode)
        dtype = _out_dtype(kind, numba.np.numpy_support.as_dtype(data.dtype))
        identity = _identity(kind, dtype)
        no_num = _absent(num_segments)
        if data.layout == "C" and numba.np.numpy_support.as_dtype(data.dtype) == dtype:
            as_rows = numba.njit(lambda data: data)
        else:
            as_rows = numba.njit(lambda data: data.astype(dtype))  # a C-contiguous copy

        def impl(
            data,
            segment_ids,
            num_segments=None,
            indices_are_sorted=False,
            unique_indices=False,
            bucket_size=None,
            mode=None,
        ):
            if check_mode:
                _check_mode(mode)
            n = data.shape[0]
            if segment_ids.shape[0] != n:
                raise ValueError(_ROWS)
            if no_num:
                num = _largest_id_plus_one(segment_ids)
            else:
                num = _checked_num(num_segments)
            k = _row_size(data)
            rows = as_rows(data).reshape((n, k))
            out = np.full((num, k), identity, dtype)
            kernel(rows, segment_ids, out)
            return out.reshape((num,) + data.shape[1:])

        return impl

    return typer


def _row_size(data):
    """The number of elements in a row of ``data`` (Numba only)."""
    raise NotImplementedError("compiled code only")


@overload(_row_size, jit_options=_numba.INNER)
def _row_size_numba(data):
    if data.ndim == 1:
        return lambda data: 1

    def impl(data):
        k = 1
        for d in data.shape[1:]:
            k *= d
        return k

    return impl


_ROWS = "segment_*: segment_ids must have one id per row of data (data.shape[0])"

for _kind, _func in (
    ("sum", segment_sum),
    ("prod", segment_prod),
    ("max", segment_max),
    ("min", segment_min),
):
    overload(_func, jit_options=_numba.INNER)(_segment_overload(_kind))


# -- pre/syn/post (BrainPy's synaptic operators) ------------------------------------------


def _check_post(name, syn_shape, ids_shape, post_num):
    if isinstance(post_num, bool) or not isinstance(post_num, numbers.Integral) or post_num < 0:
        raise ValueError(f"{name}: post_num must be a non-negative int, got {post_num!r}")
    if len(syn_shape) < 1:
        raise ValueError(f"{name}: syn_values must be an array (one value per synapse)")
    if len(ids_shape) != 1 or ids_shape[0] != syn_shape[0]:
        raise ValueError(
            f"{name}: post_ids must be 1-D with one post id per synapse: syn_values has "
            f"{syn_shape[0]} synapses, post_ids has shape {tuple(ids_shape)}"
        )


def pre2syn(pre_values, pre_ids):
    """Presynaptic values per synapse: ``pre_values[pre_ids]``.

    Args:
        pre_values: (pre_num, ...) one value per presynaptic neuron, or a scalar (every
            synapse gets it).
        pre_ids: (num_synapses,) integers, the presynaptic neuron of each synapse
            (``conn.pre_ids``).

    Returns:
        an array of shape ``(num_synapses,) + pre_values.shape[1:]``.
    """
    values = np.asarray(pre_values)
    ids = np.asarray(pre_ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            "pre2syn: pre_ids must be a 1-D integer array (the presynaptic neuron of each "
            f"synapse), got shape {ids.shape} and dtype {ids.dtype}"
        )
    if values.ndim == 0:
        return to_ndarray(np.full(ids.shape[0], values))
    if ids.size and (int(ids.max()) >= values.shape[0] or int(ids.min()) < -values.shape[0]):
        raise IndexError(
            f"pre2syn: pre_ids must lie in [0, {values.shape[0]}) (pre_values has "
            f"{values.shape[0]} neurons), got {int(ids.min())} .. {int(ids.max())}"
        )
    return to_ndarray(np.take(values, ids, axis=0))


@overload(pre2syn, jit_options=_numba.INNER)
def _pre2syn_numba(pre_values, pre_ids):
    if isinstance(pre_values, nbtypes.Array) and pre_values.ndim >= 1:
        return lambda pre_values, pre_ids: pre_values[pre_ids]
    if isinstance(pre_values, (nbtypes.Number, nbtypes.Boolean)):
        return lambda pre_values, pre_ids: np.full(pre_ids.shape[0], pre_values)
    raise TypingError("pre2syn: pre_values must be a number or an array")


def syn2post_sum(syn_values, post_ids, post_num, indices_are_sorted=False):
    """Synaptic values summed by postsynaptic neuron:
    ``out[j] = sum(syn_values[s] for s with post_ids[s] == j)``.

    Args:
        syn_values: (num_synapses, ...) one value per synapse.
        post_ids: (num_synapses,) integers, the postsynaptic neuron of each synapse
            (``conn.indices`` / ``conn.post_ids``).
        post_num: the number of postsynaptic neurons (the length of the result).
        indices_are_sorted: a hint for XLA (jax backend) that ``post_ids`` is sorted.
            BrainPy's default is True; ours is False, which is right for any ids.

    Returns:
        (post_num, ...); 0 for a neuron without synapses. Booleans are counted.
    """
    _check_post("syn2post_sum", np.shape(syn_values), np.shape(post_ids), post_num)
    return segment_sum(syn_values, post_ids, post_num)


syn2post = syn2post_sum


def syn2post_prod(syn_values, post_ids, post_num, indices_are_sorted=False):
    """Synaptic values multiplied by postsynaptic neuron (1 for a neuron without
    synapses). Arguments as :func:`syn2post_sum`."""
    _check_post("syn2post_prod", np.shape(syn_values), np.shape(post_ids), post_num)
    return segment_prod(syn_values, post_ids, post_num)


def syn2post_max(syn_values, post_ids, post_num, indices_are_sorted=False):
    """The largest synaptic value per postsynaptic neuron (``-inf`` for floats, the
    lowest integer, for a neuron without synapses). Arguments as :func:`syn2post_sum`."""
    _check_post("syn2post_max", np.shape(syn_values), np.shape(post_ids), post_num)
    return segment_max(syn_values, post_ids, post_num)


def syn2post_min(syn_values, post_ids, post_num, indices_are_sorted=False):
    """The smallest synaptic value per postsynaptic neuron (``+inf`` for floats, the
    highest integer, for a neuron without synapses). Arguments as :func:`syn2post_sum`."""
    _check_post("syn2post_min", np.shape(syn_values), np.shape(post_ids), post_num)
    return segment_min(syn_values, post_ids, post_num)


def syn2post_mean(syn_values, post_ids, post_num, indices_are_sorted=False):
    """The mean synaptic value per postsynaptic neuron, floats (0 for a neuron without
    synapses, as BrainPy). Arguments as :func:`syn2post_sum`."""
    _check_post("syn2post_mean", np.shape(syn_values), np.shape(post_ids), post_num)
    values = np.asarray(syn_values)
    values = values.astype(np.result_type(values.dtype, np.float64), copy=False)
    return to_ndarray(_mean(values, np.asarray(post_ids), int(post_num)))


def syn2post_softmax(syn_values, post_ids, post_num, indices_are_sorted=False):
    """Softmax of the synaptic values over the synapses of each postsynaptic neuron:
    ``exp(v[s] - max) / sum(exp(v[t] - max) for t onto post_ids[s])``, per synapse.

    Arguments as :func:`syn2post_sum`; the result has ``syn_values``' shape (floats).
    """
    _check_post("syn2post_softmax", np.shape(syn_values), np.shape(post_ids), post_num)
    values = np.asarray(syn_values)
    values = values.astype(np.result_type(values.dtype, np.float64), copy=False)
    return to_ndarray(_softmax(values, np.asarray(post_ids), int(post_num)))


@register_jitable
def _counts(ids, num):
    counts = np.zeros(num, np.int64)
    for i in range(ids.shape[0]):
        if 0 <= ids[i] < num:
            counts[ids[i]] += 1
    return counts


@numba.njit(cache=True)
def _mean(values, ids, num):
    total = segment_sum(values, ids, num)
    counts = _counts(ids, num)
    for j in range(num):
        if counts[j] > 1:
            total[j] = total[j] / counts[j]
    return total


@numba.njit(cache=True)
def _softmax(values, ids, num):
    top = segment_max(values, ids, num)
    inside = (ids >= 0) & (ids < num)
    safe = np.where(inside, ids, 0)
    shifted = np.exp(values - top[safe])
    total = segment_sum(shifted, ids, num)
    out = shifted / total[safe]
    for i in range(ids.shape[0]):
        if not inside[i]:
            out[i] = 0.0
    return out


def _syn2post_overload(name, func, body):
    def typer(syn_values, post_ids, post_num, indices_are_sorted=False):
        if not isinstance(syn_values, nbtypes.Array) or syn_values.ndim < 1:
            raise TypingError(f"{name}: syn_values must be an array (one value per synapse)")
        return body

    overload(func, jit_options=_numba.INNER)(typer)


_syn2post_overload(
    "syn2post_sum",
    syn2post_sum,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: segment_sum(
        syn_values, post_ids, post_num
    ),
)
_syn2post_overload(
    "syn2post_prod",
    syn2post_prod,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: segment_prod(
        syn_values, post_ids, post_num
    ),
)
_syn2post_overload(
    "syn2post_max",
    syn2post_max,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: segment_max(
        syn_values, post_ids, post_num
    ),
)
_syn2post_overload(
    "syn2post_min",
    syn2post_min,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: segment_min(
        syn_values, post_ids, post_num
    ),
)
_syn2post_overload(
    "syn2post_mean",
    syn2post_mean,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: _mean(
        syn_values.astype(np.float64), post_ids, post_num
    ),
)
_syn2post_overload(
    "syn2post_softmax",
    syn2post_softmax,
    lambda syn_values, post_ids, post_num, indices_are_sorted=False: _softmax(
        syn_values.astype(np.float64), post_ids, post_num
    ),
)
