"""Event-driven propagation on the jax backend: static shapes, no dense matrix.

``event_matvec(events, indptr, indices, weights, post_num)`` sums, into a vector of
``post_num`` postsynaptic neurons, the weights of the synapses of the presynaptic
neurons whose entry in ``events`` is set, the synapses being stored as CSR by
presynaptic neuron (``bp.conn``).

XLA needs static shapes, so "loop over the neurons that fired" becomes two paths chosen
at run time with ``lax.cond``:

- **sparse (the usual step)** — when at most ``K`` neurons fired (a static cap, about
  ``pre_num / 64``), their ids are gathered with ``jnp.nonzero(size=K)``, their rows
  read from a padded ``(pre_num + 1, max_out_degree)`` table of target ids, and their
  weights added into the output with one small scatter-add: O(pre_num + K *
  max_out_degree) work, independent of the number of synapses;
- **dense (bursts)** — otherwise one entry per synapse, ``where(events[pre], weight,
  0)``, summed by postsynaptic id with ``jax.ops.segment_sum``: O(synapses), still no
  ``pre_num x post_num`` matrix.

On the CPU, where XLA's scatter and ``nonzero`` are slow, both paths are replaced by a
Numba loop over the spiking neurons called from the XLA program through ``jax.ffi``
(:mod:`brainjit.math._jax.event_cpu`, about 20x faster; derivatives still come from
the XLA formulation). ``lax.platform_dependent`` picks the CPU kernel or the XLA code
when the program is compiled for its device.

The tables are built once per connectivity on the host (NumPy), when ``indptr`` and
``indices`` are concrete — NumPy arrays, model constants: the usual case, also inside
``bp.math.jit``. Traced connectivity, and numeric (non-bool) events, use the dense path
only. Both paths are correct under ``jit``, ``vmap`` (where ``lax.cond`` runs both and
selects) and ``grad`` (with respect to per-synapse weights, a scalar weight or numeric
events).
"""

from __future__ import annotations

import functools
import numbers
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax import event_cpu, sharding
from brainjit.math._jax.ndarray import unwrap, wrap

__all__ = ["event_matvec"]

# (id(indptr), id(indices), post_num) -> (weak refs to both, plan)
_PLANS: dict = {}


def _concrete(x):
    """``x`` as a NumPy array if its values are known now (not a tracer), else None."""
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x)


class _Plan:
    """Host-side tables of one CSR connectivity, built once."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, post_num: int):
        with jax.ensure_compile_time_eval():  # concrete device arrays, also while tracing
            self._build(indptr, indices, post_num)

    def _build(self, indptr: np.ndarray, indices: np.ndarray, post_num: int):
        pre_num = indptr.size - 1
        nnz = indices.size
        counts = np.diff(indptr).astype(np.int64)
        pre_ids = np.repeat(np.arange(pre_num, dtype=np.int32), counts)
        # jax.device_put, not jnp.asarray: jnp.asarray compiles (and keeps for the life
        # of the process) a program per shape of NumPy array, about 1.5 MB on the CPU
        self.pre_ids = jax.device_put(pre_ids)
        self.post_ids = jax.device_put(indices.astype(np.int32, copy=False))
        self.indptr, self.indices = event_cpu.as_index_arrays(indptr, indices)  # CPU kernel
        width = int(counts.max()) if pre_num else 0
        cap = min(pre_num, max(16, -(-pre_num // 64)))
        # the sparse path pays off when the rows it reads are few compared to all synapses
        self.cap = cap if 0 < cap * width <= nnz // 4 else 0
        if self.cap:
            slot = np.arange(nnz) - np.repeat(indptr[:-1].astype(np.int64), counts)
            posts = np.full((pre_num + 1, width), post_num, dtype=np.int32)  # post_num: dropped
            posts[pre_ids, slot] = indices
            syns = np.full((pre_num + 1, width), nnz, dtype=np.int32)  # nnz: a zero weight
            syns[pre_ids, slot] = np.arange(nnz, dtype=np.int32)
            self.post_table = jax.device_put(posts)
            self.syn_table = jax.device_put(syns)


def _plan(indptr_obj, indices_obj, indptr: np.ndarray, indices: np.ndarray, post_num: int):
    key = (id(indptr_obj), id(indices_obj), post_num)
    hit = _PLANS.get(key)
    if hit is not None:
        refs, plan = hit
        if refs[0]() is indptr_obj and refs[1]() is indices_obj:
            return plan
    plan = _Plan(indptr, indices, post_num)
    try:
        refs = (weakref.ref(indptr_obj), weakref.ref(indices_obj))
    except TypeError:  # objects without weak references: not cached
        return plan

    def forget(_, key=key):
        _PLANS.pop(key, None)

    refs = (weakref.ref(indptr_obj, forget), weakref.ref(indices_obj, forget))
    _PLANS[key] = (refs, plan)
    return plan


def _check_static(indptr, indices, post_num, events_shape, weights_shape):
    if isinstance(post_num, bool) or not isinstance(post_num, numbers.Integral) or post_num <= 0:
        raise ValueError(f"event_matvec: post_num must be a positive int, got {post_num!r}")
    if len(indptr.shape) != 1 or indptr.shape[0] < 1:
        raise ValueError(
            "event_matvec: indptr must be a 1-D integer array of pre_num + 1 row pointers, "
            f"got shape {tuple(indptr.shape)}"
        )
    if len(indices.shape) != 1:
        raise ValueError(
            "event_matvec: indices must be a 1-D integer array (one post id per synapse), "
            f"got shape {tuple(indices.shape)}"
        )
    for name, arr in (("indptr", indptr), ("indices", indices)):
        if not jnp.issubdtype(arr.dtype, jnp.integer):
            raise ValueError(f"event_matvec: {name} must be integers, got {arr.dtype}")
    pre_num = indptr.shape[0] - 1
    if tuple(events_shape) != (pre_num,):
        raise ValueError(
            f"event_matvec: events must have shape ({pre_num},) (one entry per presynaptic "
            f"neuron, from indptr), got {tuple(events_shape)}"
        )
    if len(weights_shape) != 0 and tuple(weights_shape) != tuple(indices.shape):
        raise ValueError(
            "event_matvec: weights must be a scalar (homogeneous) or one per synapse, "
            f"shape {tuple(indices.shape)}, got {tuple(weights_shape)}"
        )


def event_matvec(events, indptr, indices, weights, post_num):
    """Event-driven CSR propagation: the summed weights of the synapses of the neurons
    that fired.

    Args:
        events: (pre_num,) bool, one per presynaptic neuron (``True``: it fired). A
            numeric array is accepted too: the synapses of neuron ``i`` then contribute
            ``weights * events[i]``.
        indptr: (pre_num + 1,) CSR row pointers by presynaptic neuron (``conn.indptr``).
        indices: (num_synapses,) the postsynaptic neuron of each synapse
            (``conn.indices``).
        weights: a scalar (every synapse the same) or (num_synapses,), one per synapse
            in CSR order.
        post_num: the number of postsynaptic neurons (the length of the result).

    Returns:
        a JaxArray ``out`` of length ``post_num``: ``out[j] = sum(weights[s] *
        events[pre(s)]`` over the synapses ``s`` onto ``j``), in JAX's default float
        dtype (or the float dtype of the weights / numeric events).

    jax backend: no dense matrix. When few neurons fired (at most a static cap of about
    pre_num / 64), only their rows are read, from a padded table of targets built once
    per connectivity on the host, and added with one small scatter; otherwise every
    synapse is gathered and summed by target with ``jax.ops.segment_sum``
    (``lax.cond`` picks the path at run time; see the module docstring). Works under
    ``jit``, ``vmap`` and ``grad``.
    """
    events = jnp.asarray(unwrap(events))
    weights = jnp.asarray(unwrap(weights))
    indptr_obj, indices_obj = unwrap(indptr), unwrap(indices)
    indptr_arr = indptr_obj if hasattr(indptr_obj, "shape") else np.asarray(indptr_obj)
    indices_arr = indices_obj if hasattr(indices_obj, "shape") else np.asarray(indices_obj)
    _check_static(indptr_arr, indices_arr, post_num, events.shape, weights.shape)
    if not (events.dtype == jnp.bool_ or jnp.issubdtype(events.dtype, jnp.number)):
        raise TypeError(f"event_matvec: events must be bool or numeric, got {events.dtype}")
    post_num = int(post_num)
    floats = [d for d in (events.dtype, weights.dtype) if jnp.issubdtype(d, jnp.floating)]
    dtype = jnp.result_type(*floats) if floats else jnp.result_type(float)
    host_indptr, host_indices = _concrete(indptr_arr), _concrete(indices_arr)
    part = sharding.active()  # bp.Runner(devices=...): partitioned by postsynaptic block
    if part is not None and host_indptr is not None and host_indices is not None:
        if part.divides(post_num):
            from brainjit.math._jax import sharded_event

            args = (indptr_obj, indices_obj, host_indptr, host_indices, post_num, dtype)
            return wrap(sharded_event.propagate(part, events, weights, *args))
    if host_indptr is not None and host_indices is not None:
        plan = _plan(indptr_obj, indices_obj, host_indptr, host_indices, post_num)
        pre_ids, post_ids = plan.pre_ids, plan.post_ids
        cap = plan.cap if events.dtype == jnp.bool_ else 0
        tables = (plan.post_table, plan.syn_table) if cap else None
    else:  # traced connectivity: the presynaptic id of each synapse, from indptr
        plan = None
        counts = jnp.diff(jnp.asarray(indptr_arr))
        nnz = indices_arr.shape[0]
        pre_ids = jnp.repeat(jnp.arange(counts.shape[0]), counts, total_repeat_length=nnz)
        post_ids = jnp.asarray(indices_arr)
        cap, tables = 0, None
    static = dict(post_num=post_num, cap=cap, dtype=dtype.name)
    if plan is not None and _cpu_kernel(plan, events, weights, dtype.name):
        out = _propagate_cpu(
            events, weights, plan.indptr, plan.indices, pre_ids, post_ids, tables, **static
        )
    else:
        out = _propagate(events, weights, pre_ids, post_ids, tables, **static)
    return wrap(out)


def _cpu_kernel(plan, events, weights, dtype: str) -> bool:
    """Whether the Numba FFI kernel can serve this call (compiled and registered now)."""
    return event_cpu.try_register(
        events.dtype == jnp.bool_, weights.ndim == 1, jnp.dtype(plan.indices.dtype).name, dtype
    )


@functools.partial(jax.jit, static_argnames=("post_num", "cap", "dtype"))
def _propagate_cpu(
    events, weights, indptr, indices, pre_ids, post_ids, tables, *, post_num, cap, dtype
):
    """The Numba kernel on the CPU, the XLA code elsewhere; tangents from the XLA code
    (every array is an argument of the ``custom_jvp``: it must not close over tracers)."""

    def xla(events, weights, pre_ids, post_ids, tables):
        return _xla_propagate(events, weights, pre_ids, post_ids, tables, post_num, cap, dtype)

    def cpu(events, weights, indptr, indices):
        return event_cpu.event_matvec_cpu(events, indptr, indices, weights, post_num, dtype)

    @jax.custom_jvp
    def propagate(events, weights, indptr, indices, pre_ids, post_ids, tables):
        return jax.lax.platform_dependent(
            events,
            weights,
            indptr,
            indices,
            pre_ids,
            post_ids,
            tables,
            cpu=lambda e, w, ip, ix, *_: cpu(e, w, ip, ix),
            default=lambda e, w, _ip, _ix, *rest: xla(e, w, *rest),
        )

    @propagate.defjvp
    def propagate_jvp(primals, tangents):
        events, weights, _, _, pre_ids, post_ids, tables = primals
        tangent = jax.jvp(
            lambda e, w: xla(e, w, pre_ids, post_ids, tables),
            (events, weights),
            tangents[:2],
        )[1]
        return propagate(*primals), tangent

    return propagate(events, weights, indptr, indices, pre_ids, post_ids, tables)


@functools.partial(jax.jit, static_argnames=("post_num", "cap", "dtype"))
def _propagate(events, weights, pre_ids, post_ids, tables, *, post_num, cap, dtype):
    """The XLA computation (compiled once per shapes, also for eager calls)."""
    return _xla_propagate(events, weights, pre_ids, post_ids, tables, post_num, cap, dtype)


def _xla_propagate(events, weights, pre_ids, post_ids, tables, post_num, cap, dtype):
    """Static shapes only: the sparse path under ``lax.cond`` when few neurons fired,
    else the dense one (see the module docstring)."""
    weights = weights.astype(dtype)
    hetero = weights.ndim == 1
    is_bool = events.dtype == jnp.bool_

    def dense(events, weights):
        fired = events.at[pre_ids].get(mode="promise_in_bounds")
        if is_bool:
            terms = jnp.where(fired, weights, jnp.zeros((), dtype))
        else:
            terms = fired.astype(dtype) * weights
        return jax.ops.segment_sum(terms, post_ids, num_segments=post_num)

    if not cap:
        return dense(events, weights)
    post_table, syn_table = tables
    pre_num = events.shape[0]

    def sparse(events, weights):
        ids = jnp.nonzero(events, size=cap, fill_value=pre_num)[0]
        posts = post_table.at[ids].get(mode="promise_in_bounds")  # (cap, width)
        if hetero:
            padded = jnp.concatenate([weights, jnp.zeros((1,), dtype)])
            syn = syn_table.at[ids].get(mode="promise_in_bounds")
            values = padded.at[syn].get(mode="promise_in_bounds")
        else:
            values = jnp.broadcast_to(weights, posts.shape)
        out = jnp.zeros((post_num + 1,), dtype).at[posts].add(values, mode="promise_in_bounds")
        return out[:post_num]

    count = events.sum(dtype=jnp.int32)
    return jax.lax.cond(count <= cap, sparse, dense, events, weights)
