"""Event-driven propagation on the numpy backend: Numba loops over the spiking neurons.

``event_matvec(events, indptr, indices, weights, post_num)`` sums, into a vector of
``post_num`` postsynaptic neurons, the weights of the synapses of the presynaptic
neurons whose entry in ``events`` is set, the synapses being stored as CSR by
presynaptic neuron (``bp.conn``): the targets of presynaptic neuron ``i`` are
``indices[indptr[i]:indptr[i + 1]]``.

The kernels loop over the presynaptic neurons and touch the synapses of those whose
event is non-zero only, so a step costs O(pre_num + synapses of the spiking neurons),
not O(synapses). They are plain ``numba.njit`` functions (serial: a scatter-add over
the targets of several neurons would race under ``prange``).

``event_matvec`` is a Python function for eager calls (it checks its arguments) and is
``@overload``-ed for Numba, so that code compiled by ``bp.math.jit`` calls the kernels
directly: ``bp.math.event_matvec`` works in both places.
"""

from __future__ import annotations

import numbers
import weakref

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.core import types as nbtypes
from numba.extending import intrinsic, overload

from brainjit.math import _numba
from brainjit.math._numpy.ops import to_ndarray

__all__ = ["event_matvec"]


# -- kernels: bool events skip the multiplication; float events scale each row -------
#
# Spikes are sparse (about 0.2% of the neurons per step in COBA), so the scan of the
# bool events costs more than the synapses: byte by byte it was 60-70% of a projection's
# time at N = 64,000. The bool kernels test 32 events at once (four unaligned 8-byte
# loads, one branch) and look at single events only in the rare blocks with a spike;
# they prefetch the rows of the spiking neurons a few rows ahead.

_WORD = 8  # bytes per load
_BLOCK = 4 * _WORD  # events per test


def _contiguous_bools(t) -> bool:
    """Whether the Numba type ``t`` is a C-contiguous 1-D bool array."""
    return (
        isinstance(t, nbtypes.Array)
        and t.layout == "C"
        and t.ndim == 1
        and isinstance(t.dtype, nbtypes.Boolean)
    )


@intrinsic
def _load_word(typingctx, events, start):
    """The 8 bytes of a C-contiguous bool array from element ``start`` as a uint64
    (an unaligned load; the caller keeps ``start + 8 <= len(events)``)."""
    if not _contiguous_bools(events):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        address = builder.gep(array.data, [args[1]])
        word = ir.IntType(64)
        return builder.load(builder.bitcast(address, word.as_pointer()), align=1)

    return nbtypes.uint64(events, nbtypes.intp), codegen


def _any_event(events, start):
    """Whether one of ``events[start:start + 32]`` is set (Numba only)."""
    raise NotImplementedError("compiled code only")


@overload(_any_event, jit_options=_numba.INNER)
def _any_event_numba(events, start):
    if _contiguous_bools(events):

        def words(events, start):
            return (
                _load_word(events, start)
                | _load_word(events, start + 8)
                | _load_word(events, start + 16)
                | _load_word(events, start + 24)
            ) != 0

        return words

    def bytewise(events, start):
        for i in range(start, start + 32):
            if events[i]:
                return True
        return False

    return bytewise


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to fetch the cache line of ``array[index]`` (LLVM's prefetch
    intrinsic: a hint, it never faults, whatever the index)."""
    if not isinstance(array, nbtypes.Array) or array.ndim != 1:
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], nbtypes.intp)
        address = cgutils.get_item_pointer(context, builder, aryty, ary, [index])
        i32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32]),
            "llvm.prefetch.p0i8",
        )
        read, all_levels, data = i32(0), i32(3), i32(1)
        builder.call(
            prefetch, [builder.bitcast(address, cgutils.voidptr_t), read, all_levels, data]
        )
        return context.get_dummy_value()

    return nbtypes.void(array, index), codegen


@numba.njit(inline="always")
def _prefetch_row(array, start, stop):
    """Prefetch ``array[start:stop]``, one call per 64-byte line."""
    for s in range(start, stop, max(64 // array.itemsize, 1)):
        _prefetch(array, s)


def _weight(weights, s):
    """The weight of synapse ``s``: ``weights[s]``, or ``weights`` when it is one number
    (Numba only)."""
    raise NotImplementedError("compiled code only")


@overload(_weight, jit_options=_numba.INNER)
def _weight_numba(weights, s):
    if isinstance(weights, nbtypes.Array):
        return lambda weights, s: weights[s]
    return lambda weights, s: weights


def _prefetch_weights(weights, start, stop):
    """Prefetch a row of per-synapse weights; nothing for one weight (Numba only)."""
    raise NotImplementedError("compiled code only")


@overload(_prefetch_weights, jit_options=_numba.INNER)
def _prefetch_weights_numba(weights, start, stop):
    if isinstance(weights, nbtypes.Array):
        return lambda weights, start, stop: _prefetch_row(weights, start, stop)
    return lambda weights, start, stop: None


@numba.njit(inline="always")
def _add_row(row, indptr, indices, weights, out):
    """Add the weights of the synapses of presynaptic neuron ``row`` (none if < 0)."""
    if row >= 0:
        for s in range(indptr[row], indptr[row + 1]):
            out[indices[s]] += _weight(weights, s)


@numba.njit(cache=True, nogil=True)
def _bool_rows(events, indptr, indices, weights, out):
    """Add the weights of the synapses of every set event into ``out``.

    At N = 64,000 the rows of the spiking neurons lie far apart in a large ``indices``
    array and each row starts with a miss to memory. So a row is added four spiking
    neurons after its own was found, its lines prefetched meanwhile (the rows are still
    added in the order of the neurons: the same sums to the last bit)."""
    r0 = r1 = r2 = r3 = -1  # the last four spiking neurons found, oldest first
    n = events.shape[0]
    for start in range(0, n, _BLOCK):
        if start + _BLOCK <= n and not _any_event(events, start):
            continue
        for i in range(start, min(start + _BLOCK, n)):
            if events[i]:
                _prefetch_row(indices, indptr[i], indptr[i + 1])
                _prefetch_weights(weights, indptr[i], indptr[i + 1])
                _add_row(r0, indptr, indices, weights, out)
                r0, r1, r2, r3 = r1, r2, r3, i
    for row in (r0, r1, r2, r3):
        _add_row(row, indptr, indices, weights, out)
    return out


# one kernel, compiled for a number or an array of weights; the jax backend's FFI
# handlers are generated per variant and name it by variant
_bool_homo = _bool_hetero = _bool_rows


@numba.njit(cache=True, nogil=True)
def _value_homo(events, indptr, indices, weight, out):
    for i in range(events.shape[0]):
        v = events[i]
        if v != 0:
            x = weight * v
            for s in range(indptr[i], indptr[i + 1]):
                out[indices[s]] += x
    return out


@numba.njit(cache=True, nogil=True)
def _value_hetero(events, indptr, indices, weights, out):
    for i in range(events.shape[0]):
        v = events[i]
        if v != 0:
            for s in range(indptr[i], indptr[i + 1]):
                out[indices[s]] += weights[s] * v
    return out


def _result_dtype(events_dtype, weights_dtype) -> np.dtype:
    """float64, or the float dtype of per-synapse weights / float events (float32 stays)."""
    dtypes = [d for d in (events_dtype, weights_dtype) if np.issubdtype(d, np.floating)]
    return np.result_type(*dtypes) if dtypes else np.dtype(np.float64)


# (id(indptr), id(indices), post_num) -> weak refs to both: connectivity checked once
_CHECKED: dict = {}


def _check_csr(indptr, indices, post_num) -> None:
    key = (id(indptr), id(indices), post_num)
    refs = _CHECKED.get(key)
    if refs is not None and refs[0]() is indptr and refs[1]() is indices:
        return
    if int(indptr[0]) != 0 or int(indptr[-1]) != indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(
            f"event_matvec: indptr must rise from 0 to the number of synapses "
            f"({indices.size}), got {int(indptr[0])} .. {int(indptr[-1])}"
        )
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= post_num):
        raise ValueError(
            f"event_matvec: indices must lie in [0, post_num={post_num}), "
            f"got {int(indices.min())} .. {int(indices.max())}"
        )

    def forget(_, key=key):
        _CHECKED.pop(key, None)

    _CHECKED[key] = (weakref.ref(indptr, forget), weakref.ref(indices, forget))


def _check(events, indptr, indices, weights, post_num):
    if isinstance(post_num, bool) or not isinstance(post_num, numbers.Integral) or post_num <= 0:
        raise ValueError(f"event_matvec: post_num must be a positive int, got {post_num!r}")
    events = np.asarray(events)
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    if indptr.ndim != 1 or indptr.size < 1 or not np.issubdtype(indptr.dtype, np.integer):
        raise ValueError(
            "event_matvec: indptr must be a 1-D integer array of pre_num + 1 row pointers, "
            f"got shape {indptr.shape} and dtype {indptr.dtype}"
        )
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            "event_matvec: indices must be a 1-D integer array (one post id per synapse), "
            f"got shape {indices.shape} and dtype {indices.dtype}"
        )
    pre_num = indptr.size - 1
    if events.shape != (pre_num,):
        raise ValueError(
            f"event_matvec: events must have shape ({pre_num},) (one entry per presynaptic "
            f"neuron, from indptr), got {events.shape}"
        )
    if not (events.dtype == np.bool_ or np.issubdtype(events.dtype, np.number)):
        raise TypeError(f"event_matvec: events must be bool or numeric, got {events.dtype}")
    _check_csr(indptr, indices, int(post_num))
    weights = np.asarray(weights)
    if weights.ndim == 0:
        if not np.issubdtype(weights.dtype, np.number) or np.iscomplexobj(weights):
            raise TypeError(f"event_matvec: weights must be real numbers, got {weights.dtype}")
        weights = float(weights.item())
    elif weights.shape != indices.shape:
        raise ValueError(
            "event_matvec: weights must be a scalar (homogeneous) or one per synapse, "
            f"shape {indices.shape}, got {weights.shape}"
        )
    elif not np.issubdtype(weights.dtype, np.number) or np.iscomplexobj(weights):
        raise TypeError(f"event_matvec: weights must be real numbers, got {weights.dtype}")
    return events, indptr, indices, weights, int(post_num)


def event_matvec(events, indptr, indices, weights, post_num):
    """Event-driven CSR propagation: the summed weights of the synapses of the neurons
    that fired.

    Args:
        events: (pre_num,) bool, one per presynaptic neuron (``True``: it fired). A
            numeric array is accepted too: the synapses of neuron ``i`` then contribute
            ``weights * events[i]``, and rows with ``events[i] == 0`` are skipped.
        indptr: (pre_num + 1,) CSR row pointers by presynaptic neuron (``conn.indptr``).
        indices: (num_synapses,) the postsynaptic neuron of each synapse
            (``conn.indices``).
        weights: a scalar (every synapse the same) or (num_synapses,), one per synapse
            in CSR order.
        post_num: the number of postsynaptic neurons (the length of the result).

    Returns:
        ``out`` of length ``post_num``: ``out[j] = sum(weights[s] * events[pre(s)]``
        over the synapses ``s`` onto ``j``), float64 (or the float dtype of the weights).

    numpy backend: a Numba loop over the presynaptic neurons that touches only the
    synapses of those that fired (O(pre_num + their synapses)); compiled code
    (``bp.math.jit``) calls the same kernel.
    """
    events, indptr, indices, weights, post_num = _check(events, indptr, indices, weights, post_num)
    hetero = isinstance(weights, np.ndarray)
    out = np.zeros(post_num, _result_dtype(events.dtype, weights.dtype if hetero else np.float64))
    if events.dtype == np.bool_:
        kernel = _bool_rows
    else:
        kernel = _value_hetero if hetero else _value_homo
    return to_ndarray(kernel(events, indptr, indices, weights, out))


def _nb_result_dtype(events, weights):
    """The result dtype (as a NumPy dtype) for Numba argument types."""
    ev = numba.np.numpy_support.as_dtype(events.dtype)
    if isinstance(weights, nbtypes.Array):
        w = numba.np.numpy_support.as_dtype(weights.dtype)
    else:
        w = np.dtype(np.float64)
    return _result_dtype(ev, w)


@overload(event_matvec, jit_options={"nogil": True, **_numba.INNER})
def _event_matvec_numba(events, indptr, indices, weights, post_num):
    if not isinstance(events, nbtypes.Array) or events.ndim != 1:
        raise numba.core.errors.TypingError("event_matvec: events must be a 1-D array")
    hetero = isinstance(weights, nbtypes.Array)
    if not hetero and not isinstance(weights, (nbtypes.Number, nbtypes.Boolean)):
        raise numba.core.errors.TypingError(
            "event_matvec: weights must be a number or a 1-D array (one per synapse)"
        )
    dtype = _nb_result_dtype(events, weights)
    is_bool = isinstance(events.dtype, nbtypes.Boolean)
    if is_bool:
        kernel = _bool_rows
    else:
        kernel = _value_hetero if hetero else _value_homo

    if hetero:

        def impl(events, indptr, indices, weights, post_num):
            out = np.zeros(post_num, dtype)
            return kernel(events, indptr, indices, weights, out)

    else:

        def impl(events, indptr, indices, weights, post_num):
            out = np.zeros(post_num, dtype)
            return kernel(events, indptr, indices, float(weights), out)

    return impl
