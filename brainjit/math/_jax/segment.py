"""Segment reductions on the jax backend: ``segment_sum/prod/max/min`` (``jax.ops``'s on
JaxArrays), ``pre2syn`` and ``syn2post_*`` (BrainPy 2.x's operators), with the numpy
backend's checks and semantics (see :mod:`brainjit.math._numpy.segment`): an empty
segment holds the reduction's identity, ids outside ``[0, num_segments)`` are dropped,
booleans are summed and multiplied as integers. Differentiable; they work under
``jit``, ``vmap`` and ``grad`` (give ``num_segments`` / ``post_num``: a static size).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from brainjit.math._jax.ndarray import unwrap, wrap
from brainjit.math._numpy import segment as _np_segment
from brainjit.math._numpy.segment import _check_post, check_segments

__all__ = _np_segment.__all__

_OPS = {
    "sum": jax.ops.segment_sum,
    "prod": jax.ops.segment_prod,
    "max": jax.ops.segment_max,
    "min": jax.ops.segment_min,
}


def _segment(kind, data, segment_ids, num_segments, sorted_, unique, bucket_size, mode):
    name = f"segment_{kind}"
    data = jnp.asarray(unwrap(data))
    ids = jnp.asarray(unwrap(segment_ids))
    check_segments(name, data.shape, data.dtype, ids.shape, ids.dtype, num_segments, mode)
    if num_segments is None:
        if isinstance(ids, jax.core.Tracer):
            raise ValueError(
                f"{name}: inside jitted code num_segments must be given (an int: the length "
                f"of the result), it cannot be max(segment_ids) + 1 of traced ids"
            )
        if ids.size == 0:
            raise ValueError(
                f"{name}: num_segments is needed when segment_ids is empty (pass an int)"
            )
        num_segments = max(int(ids.max()) + 1, 0)
    if data.dtype == jnp.bool_ and kind in ("sum", "prod"):
        data = data.astype(jnp.result_type(int))
    out = _OPS[kind](
        data,
        ids,
        int(num_segments),
        indices_are_sorted=bool(sorted_),
        unique_indices=bool(unique),
        bucket_size=bucket_size,
    )
    return wrap(out)


def segment_sum(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    hints = (indices_are_sorted, unique_indices, bucket_size)
    return _segment("sum", data, segment_ids, num_segments, *hints, mode)


def segment_prod(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    hints = (indices_are_sorted, unique_indices, bucket_size)
    return _segment("prod", data, segment_ids, num_segments, *hints, mode)


def segment_max(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    hints = (indices_are_sorted, unique_indices, bucket_size)
    return _segment("max", data, segment_ids, num_segments, *hints, mode)


def segment_min(
    data,
    segment_ids,
    num_segments=None,
    indices_are_sorted=False,
    unique_indices=False,
    bucket_size=None,
    mode=None,
):
    hints = (indices_are_sorted, unique_indices, bucket_size)
    return _segment("min", data, segment_ids, num_segments, *hints, mode)


def pre2syn(pre_values, pre_ids):
    values = jnp.asarray(unwrap(pre_values))
    ids = jnp.asarray(unwrap(pre_ids))
    if ids.ndim != 1 or not jnp.issubdtype(ids.dtype, jnp.integer):
        raise ValueError(
            "pre2syn: pre_ids must be a 1-D integer array (the presynaptic neuron of each "
            f"synapse), got shape {ids.shape} and dtype {ids.dtype}"
        )
    if values.ndim == 0:
        return wrap(jnp.full(ids.shape[0], values))
    if not isinstance(ids, jax.core.Tracer) and ids.size:
        low, high = int(ids.min()), int(ids.max())
        if high >= values.shape[0] or low < -values.shape[0]:
            raise IndexError(
                f"pre2syn: pre_ids must lie in [0, {values.shape[0]}) (pre_values has "
                f"{values.shape[0]} neurons), got {low} .. {high}"
            )
    return wrap(values[ids])


def _syn2post(kind, name, syn_values, post_ids, post_num, indices_are_sorted):
    values = unwrap(syn_values)
    ids = unwrap(post_ids)
    _check_post(name, jnp.shape(values), jnp.shape(ids), post_num)
    return _segment(kind, values, ids, post_num, indices_are_sorted, False, None, None)


def syn2post_sum(syn_values, post_ids, post_num, indices_are_sorted=False):
    return _syn2post("sum", "syn2post_sum", syn_values, post_ids, post_num, indices_are_sorted)


syn2post = syn2post_sum


def syn2post_prod(syn_values, post_ids, post_num, indices_are_sorted=False):
    return _syn2post("prod", "syn2post_prod", syn_values, post_ids, post_num, indices_are_sorted)


def syn2post_max(syn_values, post_ids, post_num, indices_are_sorted=False):
    return _syn2post("max", "syn2post_max", syn_values, post_ids, post_num, indices_are_sorted)


def syn2post_min(syn_values, post_ids, post_num, indices_are_sorted=False):
    return _syn2post("min", "syn2post_min", syn_values, post_ids, post_num, indices_are_sorted)


def _floats(name, syn_values, post_ids, post_num):
    values = jnp.asarray(unwrap(syn_values))
    ids = jnp.asarray(unwrap(post_ids))
    _check_post(name, values.shape, ids.shape, post_num)
    if not jnp.issubdtype(values.dtype, jnp.inexact):
        values = values.astype(jnp.result_type(float))
    return values, ids, int(post_num)


def syn2post_mean(syn_values, post_ids, post_num, indices_are_sorted=False):
    values, ids, num = _floats("syn2post_mean", syn_values, post_ids, post_num)
    sorted_ = bool(indices_are_sorted)
    total = jax.ops.segment_sum(values, ids, num, indices_are_sorted=sorted_)
    ones = jnp.ones(ids.shape, values.dtype)
    counts = jax.ops.segment_sum(ones, ids, num, indices_are_sorted=sorted_)
    counts = jnp.maximum(counts, 1).reshape((num,) + (1,) * (values.ndim - 1))
    return wrap(total / counts)


def syn2post_softmax(syn_values, post_ids, post_num, indices_are_sorted=False):
    values, ids, num = _floats("syn2post_softmax", syn_values, post_ids, post_num)
    sorted_ = bool(indices_are_sorted)
    inside = ((ids >= 0) & (ids < num)).reshape(ids.shape + (1,) * (values.ndim - 1))
    safe = jnp.where(ids >= num, 0, jnp.maximum(ids, 0))
    top = jax.ops.segment_max(values, ids, num, indices_are_sorted=sorted_)
    shifted = jnp.exp(values - jax.lax.stop_gradient(top)[safe])
    total = jax.ops.segment_sum(shifted, ids, num, indices_are_sorted=sorted_)
    return wrap(jnp.where(inside, shifted / total[safe], 0))


for _name in __all__:
    _doc = getattr(_np_segment, _name).__doc__
    globals()[_name].__doc__ = _doc

del _name, _doc
