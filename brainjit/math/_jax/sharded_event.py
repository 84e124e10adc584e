"""Event-driven propagation partitioned by postsynaptic block (jax backend).

Under an active :class:`~brainjit.math._jax.sharding.Partition` of ``D`` devices, the
postsynaptic neurons of ``event_matvec`` are split into ``D`` blocks of ``B = post_num /
D`` consecutive neurons, and device ``d`` holds only the synapses onto its block: the
CSR connectivity restricted to those targets, with target ids local to the block
(``post - d * B``), padded to the same number of synapses on every device. The
propagation runs under ``jax.shard_map``:

- the events (spikes) go in replicated: XLA all-gathers the ``pre_num`` bools from
  the devices that own the presynaptic neurons -- the only exchange between devices;
- each device runs the one-device propagation of :mod:`brainjit.math._jax.event` on its
  own synapses (the same sparse/dense paths, the same tables, built per block);
- the output comes out split by block, where the postsynaptic neurons live.

Restricting the CSR order to one block keeps, for every target, its synapses in their
original order, and every path adds in that order: each neuron's input is summed in the
same order on any number of devices, so results (spikes) are bit-identical to one
device. Per-synapse weights are gathered into the per-block order (replicated weights:
a local gather).

The per-block tables are built once per connectivity and partition on the host (NumPy)
and placed on the devices as global arrays, held in Variables: ``bp.math.jit`` passes
them to the compiled program as inputs (a program of several processes cannot hold
arrays that span other processes' devices as constants).
"""

from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax import event
from brainjit.math._jax.ndarray import Variable, _new
from brainjit.math._jax.sharding import Partition

__all__ = ["propagate"]

# (id(indptr), id(indices), post_num, mesh) -> (weak refs to both, plan)
_PLANS: dict = {}


class _BlockPlan:
    """The per-block tables of one CSR connectivity over one partition."""

    def __init__(self, part: Partition, indptr: np.ndarray, indices: np.ndarray, post_num: int):
        with jax.ensure_compile_time_eval():  # concrete global arrays, also while tracing
            self._build(part, indptr.astype(np.int64), indices.astype(np.int64), post_num)

    def _build(self, part, indptr, indices, post_num):
        size = part.size
        block = post_num // size
        pre_num = indptr.size - 1
        nnz = indices.size
        pre_of = np.repeat(np.arange(pre_num), np.diff(indptr))
        owner = indices // block
        plans, syns = [], []
        for d in range(size):
            sel = np.flatnonzero(owner == d)  # this block's synapses, in CSR order
            counts = np.bincount(pre_of[sel], minlength=pre_num)
            local_indptr = np.concatenate([[0], np.cumsum(counts)])
            plans.append(event._Plan(local_indptr, indices[sel] - d * block, block))
            syns.append(sel)
        self.block = block
        self.length = max(1, max(s.size for s in syns))  # synapses per device, padded
        caps = {p.cap for p in plans}
        self.cap = caps.pop() if len(caps) == 1 else 0  # the same static cap everywhere

        def stack(arrays, fill, width=None):
            """(size, ...) array of the per-block arrays, padded with ``fill``."""
            shape = [size, self.length] if width is None else [size, pre_num + 1, width]
            out = np.full(shape, fill, dtype=np.int32)
            for d, a in enumerate(arrays):
                a = np.asarray(a)
                out[(d,) + tuple(slice(0, n) for n in a.shape)] = a
            return _table(part.put(out, axis=0))

        # padding synapses: presynaptic neuron 0, a target outside the block (dropped)
        self.pre_ids = stack([p.pre_ids for p in plans], 0)
        self.post_ids = stack([p.post_ids for p in plans], block)
        self.syn_ids = stack(syns, nnz)  # global synapse ids (nnz: a zero weight)
        self.tables = None
        if self.cap:
            width = max(p.post_table.shape[1] for p in plans)
            # padded slots: the dummy target `block`, the zero weight at `length` (a
            # block's own padding, its synapse count, also reads a zero weight)
            posts = stack([p.post_table for p in plans], block, width)
            slots = stack([p.syn_table for p in plans], self.length, width)
            self.tables = (posts, slots)


def _table(value) -> Variable:
    """A Variable holding ``value``, state of no trace (also when made while one runs:
    the table outlives it), so that compiled code takes it as an input."""
    var = _new(Variable, value)
    var._name = "event_matvec block table"
    return var


def _plan(part, indptr_obj, indices_obj, indptr, indices, post_num) -> _BlockPlan:
    key = (id(indptr_obj), id(indices_obj), post_num, part.mesh)
    hit = _PLANS.get(key)
    if hit is not None:
        refs, plan = hit
        if refs[0]() is indptr_obj and refs[1]() is indices_obj:
            return plan
    plan = _BlockPlan(part, indptr, indices, post_num)
    try:

        def forget(_, key=key):
            _PLANS.pop(key, None)

        refs = (weakref.ref(indptr_obj, forget), weakref.ref(indices_obj, forget))
    except TypeError:  # objects without weak references: not cached
        return plan
    _PLANS[key] = (refs, plan)
    return plan


def propagate(
    part: Partition, events, weights, indptr_obj, indices_obj, indptr, indices, post_num, dtype
):
    """``event_matvec`` partitioned over ``part`` (checked arguments, concrete CSR;
    ``post_num`` divisible by ``part.size``). Returns a jax array split by block."""
    plan = _plan(part, indptr_obj, indices_obj, indptr, indices, post_num)
    weights = weights.astype(dtype)
    spec = part.spec
    if weights.ndim == 1:  # one per synapse: gathered into each block's order
        padded = jnp.concatenate([weights, jnp.zeros((1,), dtype)])
        weights = padded.at[plan.syn_ids.value].get(mode="promise_in_bounds")
        weight_spec = spec
    else:
        weight_spec = jax.sharding.PartitionSpec()
    cap = plan.cap if events.dtype == jnp.bool_ else 0
    tables = (plan.tables[0].value, plan.tables[1].value) if cap else None
    table_specs = (spec, spec) if tables is not None else None

    def local(events, weights, pre_ids, post_ids, tables):
        if weights.ndim == 2:
            weights = weights[0]
        if tables is not None:
            tables = (tables[0][0], tables[1][0])
        return event._propagate(
            events,
            weights,
            pre_ids[0],
            post_ids[0],
            tables,
            post_num=plan.block,
            cap=cap,
            dtype=jnp.dtype(dtype).name,
        )

    run = jax.shard_map(
        local,
        mesh=part.mesh,
        in_specs=(jax.sharding.PartitionSpec(), weight_spec, spec, spec, table_specs),
        out_specs=spec,
    )
    return run(events, weights, plan.pre_ids.value, plan.post_ids.value, tables)
