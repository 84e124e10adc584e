"""A projection's connections as brainjit synapse groups, one per delay.

:class:`DelayGroups` sorts a projection's connections (creation order) by delay in
steps, then by presynaptic cell, and makes one synapse group per delay (a CSR by
presynaptic cell); it maps the per-synapse Variables of the groups back to the
creation order for ``Projection.get``/``set``.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.pynn import simulator


def delay_steps(delays, dt: float) -> np.ndarray:
    """Delays (ms) as whole steps of ``dt`` (rounded to the nearest; at least 1: a spike
    acts in the step after the one it was emitted in at the earliest)."""
    steps = np.round(np.asarray(delays, dtype=float) / dt).astype(np.int64)
    if steps.size and steps.min() < 1:
        raise ValueError(
            f"brainjit.pynn: a delay of {float(np.min(delays))} ms is shorter than the time "
            f"step ({dt} ms); the shortest delay is one time step"
        )
    return steps


class DelayGroups:
    """The synapse groups of one projection.

    Args:
        make_group: ``make_group(indptr, indices, attrs, steps) -> TwoEndConn`` builds
            the group of the connections with delay ``steps`` (``attrs``: their
            attribute arrays, CSR order).
        pre, post: the connections' presynaptic / postsynaptic cells (population
            indices), in creation order; ``attrs``: ``{name: values}`` in that order.
        pre_num: the size of the presynaptic population.
        dynamic: the attributes that live in Variables of the groups (``weight``, ...):
            ``read``/``write`` go to the groups.
    """

    def __init__(self, make_group, pre, post, attrs, pre_num, dynamic=("weight",)):
        dt = simulator.state.dt
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        steps = delay_steps(attrs["delay"], dt) if pre.size else np.zeros(0, np.int64)
        # group-major, then CSR order (by presynaptic, then postsynaptic cell): one sort of
        # a combined key (ties: the same synapse twice, any order will do)
        post_num = int(post.max()) + 1 if post.size else 1
        key = (steps * pre_num + pre) * post_num + post
        self.order = np.argsort(key)
        sorted_steps = steps[self.order]
        sorted_pre = pre[self.order]
        bounds = np.flatnonzero(np.diff(sorted_steps)) + 1
        starts = np.concatenate([[0], bounds]).astype(np.int64)
        stops = np.concatenate([bounds, [pre.size]]).astype(np.int64)
        self.nodes, self.slices, self._dynamic = [], [], tuple(dynamic)
        if pre.size == 0:
            starts = stops = np.zeros(0, np.int64)
        for start, stop in zip(starts.tolist(), stops.tolist()):
            sel = self.order[start:stop]
            counts = np.bincount(sorted_pre[start:stop], minlength=pre_num)
            indptr = np.zeros(pre_num + 1, np.int32)
            np.cumsum(counts, out=indptr[1:])
            indices = post[sel].astype(np.int32)
            group_attrs = {k: np.asarray(v, dtype=float)[sel] for k, v in attrs.items()}
            self.nodes.append(make_group(indptr, indices, group_attrs, int(sorted_steps[start])))
            self.slices.append(slice(start, stop))
        self.size = pre.size

    def dynamic_names(self) -> tuple:
        return self._dynamic

    def read(self, name) -> np.ndarray:
        out = np.empty(self.size)
        with bm.backend(simulator.state.backend):
            for node, sl in zip(self.nodes, self.slices):
                out[self.order[sl]] = np.asarray(getattr(node, name).value)
        return out

    def write(self, name, values) -> None:
        values = np.asarray(values, dtype=float)
        with bm.backend(simulator.state.backend):
            for node, sl in zip(self.nodes, self.slices):
                var = getattr(node, name)
                var.value = bm.asarray(values[self.order[sl]], dtype=bm.dftype())
