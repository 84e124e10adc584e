"""BrainPy 2.x's presynaptic-to-postsynaptic operators on the numpy backend:
``pre2post_sum/max/min/mean`` (a value per presynaptic neuron, or one for all, gathered
onto the synapses and reduced by postsynaptic neuron) and ``pre2post_event_sum`` (also
``pre2post_csr_event_sum``: :func:`event_matvec` with BrainPy's arguments).

They are compositions of ``pre2syn``, ``syn2post_*`` and ``event_matvec``, eager and
``@overload``-ed for Numba like those, so they also compile in ``bp.math.jit`` code.
As BrainPy's, ``pre2post_max`` and ``pre2post_min`` start from 0: a postsynaptic
neuron gets ``max(0, ...)`` / ``min(0, ...)`` of its inputs, 0 without synapses (for
the plain maximum use ``syn2post_max(pre2syn(...))``).
"""

from __future__ import annotations

import numpy as np
from numba.core import types as nbtypes
from numba.core.errors import TypingError
from numba.extending import overload

from brainjit.math import _numba
from brainjit.math._numpy.event import event_matvec
from brainjit.math._numpy.ops import to_ndarray
from brainjit.math._numpy.segment import (
    pre2syn,
    segment_max,
    segment_min,
    segment_sum,
    syn2post_mean,
)

__all__ = [
    "pre2post_csr_event_sum",
    "pre2post_event_sum",
    "pre2post_max",
    "pre2post_mean",
    "pre2post_min",
    "pre2post_sum",
]


def _gathered(name, pre_values, post_ids, pre_ids):
    values = np.asarray(pre_values)
    if values.ndim == 0:
        return np.full(np.shape(post_ids)[:1], values)
    if pre_ids is None:
        raise ValueError(
            f"{name}: pre_ids is needed when pre_values has one value per presynaptic "
            f"neuron (pass conn.pre_ids), or pass a scalar"
        )
    if np.shape(pre_ids) != np.shape(post_ids):
        raise ValueError(
            f"{name}: pre_ids and post_ids must have one entry per synapse each, got shapes "
            f"{np.shape(pre_ids)} and {np.shape(post_ids)}"
        )
    return np.asarray(pre2syn(values, pre_ids))


def pre2post_sum(pre_values, post_num, post_ids, pre_ids=None):
    """The sum, for each postsynaptic neuron, of the values of its presynaptic neurons:
    ``out[post_ids[s]] += pre_values[pre_ids[s]]`` over the synapses ``s``.

    Args:
        pre_values: (pre_num,) one value per presynaptic neuron, or a scalar (then
            ``out[j]`` is the scalar times the number of synapses onto ``j``).
        post_num: the number of postsynaptic neurons (the length of the result).
        post_ids: (num_synapses,) the postsynaptic neuron of each synapse.
        pre_ids: (num_synapses,) the presynaptic neuron of each synapse (needed unless
            ``pre_values`` is a scalar).

    Returns:
        (post_num,); 0 for a neuron without synapses.
    """
    values = _gathered("pre2post_sum", pre_values, post_ids, pre_ids)
    return segment_sum(values, post_ids, post_num)


def _from_zero(reduce, kind, values, post_ids, post_num):
    out = np.asarray(reduce(values, post_ids, post_num))
    zero = np.zeros((), out.dtype)
    return to_ndarray(np.maximum(out, zero) if kind == "max" else np.minimum(out, zero))


def pre2post_max(pre_values, post_num, post_ids, pre_ids=None):
    """``max(0, largest value of the presynaptic neurons)`` per postsynaptic neuron
    (BrainPy's: the result starts from zeros). Arguments as :func:`pre2post_sum`."""
    values = _gathered("pre2post_max", pre_values, post_ids, pre_ids)
    return _from_zero(segment_max, "max", values, post_ids, post_num)


def pre2post_min(pre_values, post_num, post_ids, pre_ids=None):
    """``min(0, smallest value of the presynaptic neurons)`` per postsynaptic neuron
    (BrainPy's: the result starts from zeros). Arguments as :func:`pre2post_sum`."""
    values = _gathered("pre2post_min", pre_values, post_ids, pre_ids)
    return _from_zero(segment_min, "min", values, post_ids, post_num)


def pre2post_mean(pre_values, post_num, post_ids, pre_ids=None):
    """The mean value of the presynaptic neurons of each postsynaptic neuron (floats; 0
    without synapses). Arguments as :func:`pre2post_sum`."""
    values = _gathered("pre2post_mean", pre_values, post_ids, pre_ids)
    return syn2post_mean(values, post_ids, post_num)


def pre2post_event_sum(events, pre2post, post_num, values=1.0):
    """Event-driven summation, BrainPy 2.x's spelling of :func:`event_matvec`:
    ``event_matvec(events, indptr, indices, values, post_num)``.

    Args:
        events: (pre_num,) bool (or numeric), one per presynaptic neuron.
        pre2post: ``(indices, indptr)``, the CSR connectivity (``conn.require('pre2post')``).
        post_num: the number of postsynaptic neurons.
        values: a scalar or one weight per synapse.
    """
    if not isinstance(pre2post, (tuple, list)) or len(pre2post) != 2:
        raise ValueError(
            "pre2post_event_sum: pre2post must be the pair (indices, indptr) "
            "(conn.require('pre2post'))"
        )
    indices, indptr = pre2post
    return event_matvec(events, indptr, indices, values, post_num)


pre2post_csr_event_sum = pre2post_event_sum


# -- compiled code ------------------------------------------------------------------------


def _per_synapse(pre_values, post_ids, pre_ids):
    """``pre_values`` per synapse (Numba only)."""
    raise NotImplementedError("compiled code only")


@overload(_per_synapse, jit_options=_numba.INNER)
def _per_synapse_numba(pre_values, post_ids, pre_ids):
    if isinstance(pre_values, (nbtypes.Number, nbtypes.Boolean)):
        return lambda pre_values, post_ids, pre_ids: np.full(post_ids.shape[0], pre_values)
    if pre_ids is None or isinstance(pre_ids, (nbtypes.NoneType, nbtypes.Omitted)):
        raise TypingError("pre2post_*: pre_ids is needed when pre_values is an array")
    return lambda pre_values, post_ids, pre_ids: pre2syn(pre_values, pre_ids)


@overload(pre2post_sum, jit_options=_numba.INNER)
def _pre2post_sum_numba(pre_values, post_num, post_ids, pre_ids=None):
    def impl(pre_values, post_num, post_ids, pre_ids=None):
        return segment_sum(_per_synapse(pre_values, post_ids, pre_ids), post_ids, post_num)

    return impl


@overload(pre2post_max, jit_options=_numba.INNER)
def _pre2post_max_numba(pre_values, post_num, post_ids, pre_ids=None):
    def impl(pre_values, post_num, post_ids, pre_ids=None):
        out = segment_max(_per_synapse(pre_values, post_ids, pre_ids), post_ids, post_num)
        return np.maximum(out, 0)

    return impl


@overload(pre2post_min, jit_options=_numba.INNER)
def _pre2post_min_numba(pre_values, post_num, post_ids, pre_ids=None):
    def impl(pre_values, post_num, post_ids, pre_ids=None):
        out = segment_min(_per_synapse(pre_values, post_ids, pre_ids), post_ids, post_num)
        return np.minimum(out, 0)

    return impl


@overload(pre2post_mean, jit_options=_numba.INNER)
def _pre2post_mean_numba(pre_values, post_num, post_ids, pre_ids=None):
    def impl(pre_values, post_num, post_ids, pre_ids=None):
        return syn2post_mean(_per_synapse(pre_values, post_ids, pre_ids), post_ids, post_num)

    return impl


@overload(pre2post_event_sum, jit_options=_numba.INNER)
def _pre2post_event_sum_numba(events, pre2post, post_num, values=1.0):
    if not isinstance(pre2post, nbtypes.BaseTuple) or len(pre2post) != 2:
        raise TypingError("pre2post_event_sum: pre2post must be the pair (indices, indptr)")

    def impl(events, pre2post, post_num, values=1.0):
        return event_matvec(events, pre2post[1], pre2post[0], values, post_num)

    return impl
