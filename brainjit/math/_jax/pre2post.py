"""BrainPy 2.x's presynaptic-to-postsynaptic operators on the jax backend, with the
numpy backend's arguments and results (see :mod:`brainjit.math._numpy.pre2post`):
compositions of ``pre2syn``, ``segment_*``, ``syn2post_mean`` and ``event_matvec``,
differentiable, under ``jit``, ``vmap`` and ``grad``.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.event import event_matvec
from brainjit.math._jax.ndarray import unwrap, wrap
from brainjit.math._jax.segment import (
    pre2syn,
    segment_max,
    segment_min,
    segment_sum,
    syn2post_mean,
)
from brainjit.math._numpy import pre2post as _np_pre2post

__all__ = _np_pre2post.__all__


def _gathered(name, pre_values, post_ids, pre_ids):
    values = jnp.asarray(unwrap(pre_values))
    post_ids = unwrap(post_ids)
    if values.ndim == 0:
        return jnp.full(np.shape(post_ids)[:1], values)
    if pre_ids is None:
        raise ValueError(
            f"{name}: pre_ids is needed when pre_values has one value per presynaptic "
            f"neuron (pass conn.pre_ids), or pass a scalar"
        )
    if np.shape(unwrap(pre_ids)) != np.shape(post_ids):
        raise ValueError(
            f"{name}: pre_ids and post_ids must have one entry per synapse each, got shapes "
            f"{np.shape(unwrap(pre_ids))} and {np.shape(post_ids)}"
        )
    return pre2syn(values, pre_ids).value


def pre2post_sum(pre_values, post_num, post_ids, pre_ids=None):
    values = _gathered("pre2post_sum", pre_values, post_ids, pre_ids)
    return segment_sum(values, post_ids, post_num)


def pre2post_max(pre_values, post_num, post_ids, pre_ids=None):
    values = _gathered("pre2post_max", pre_values, post_ids, pre_ids)
    return wrap(jnp.maximum(segment_max(values, post_ids, post_num).value, 0))


def pre2post_min(pre_values, post_num, post_ids, pre_ids=None):
    values = _gathered("pre2post_min", pre_values, post_ids, pre_ids)
    return wrap(jnp.minimum(segment_min(values, post_ids, post_num).value, 0))


def pre2post_mean(pre_values, post_num, post_ids, pre_ids=None):
    values = _gathered("pre2post_mean", pre_values, post_ids, pre_ids)
    return syn2post_mean(values, post_ids, post_num)


def pre2post_event_sum(events, pre2post, post_num, values=1.0):
    if not isinstance(pre2post, (tuple, list)) or len(pre2post) != 2:
        raise ValueError(
            "pre2post_event_sum: pre2post must be the pair (indices, indptr) "
            "(conn.require('pre2post'))"
        )
    indices, indptr = pre2post
    return event_matvec(events, indptr, indices, values, post_num)


pre2post_csr_event_sum = pre2post_event_sum

for _name in __all__:
    if _name != "pre2post_csr_event_sum":
        globals()[_name].__doc__ = getattr(_np_pre2post, _name).__doc__
del _name
