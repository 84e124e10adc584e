"""Neurons partitioned over the devices of a ``jax.sharding.Mesh`` (jax backend).

A :class:`Partition` names a mesh and splits the *neuron axis* of arrays over all of its
devices (``NamedSharding(mesh, P(mesh.axis_names))``: device ``d`` of ``D`` holds the
``d``-th block of ``n / D`` consecutive neurons); everything else is replicated. Model
code stays global (whole-population arrays); XLA partitions the element-wise updates
of the sharded arrays (GSPMD), and :mod:`brainjit.math._jax.sharded_event` partitions
event-driven propagation by postsynaptic block, exchanging only the spikes.

While a partition is active (``with activate(partition):``, what ``bp.Runner(...,
devices=...)`` does around its compiled loop), ``bp.math.event_matvec`` dispatches to
the partitioned propagation. Arrays are placed with :meth:`Partition.put`, which also
works across processes (``jax.distributed``): every process passes the same global
value and keeps only the blocks of its own devices; :meth:`Partition.to_host` brings a
global array back as a NumPy array on every process.
"""

from __future__ import annotations

import contextlib

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

__all__ = ["Partition", "activate", "active"]

_ACTIVE: list = []  # the stack of active partitions (the innermost last)


class Partition:
    """The neuron axis of arrays split over every device of ``mesh``.

    Args:
        mesh: a ``jax.sharding.Mesh``; the neuron axis is split over all of its axes
            together (a 1-D mesh is the usual case; a ``hosts x devices`` mesh works the
            same), so ``size = mesh.size`` blocks.
    """

    def __init__(self, mesh: Mesh):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"Partition: mesh must be a jax.sharding.Mesh, got {mesh!r}")
        self.mesh = mesh
        self.axes = tuple(mesh.axis_names)
        self.size = int(mesh.size)
        self.spec = P(self.axes)  # the leading axis over all the mesh's devices

    @classmethod
    def of_devices(cls, devices) -> Partition:
        """A 1-D mesh (axis ``'neurons'``) over ``devices``, in the order given."""
        devices = list(devices)
        return cls(Mesh(np.array(devices, dtype=object), ("neurons",)))

    def divides(self, n: int) -> bool:
        """Whether ``n`` neurons split into equal blocks over the devices."""
        return n % self.size == 0

    def sharding(self, axis: int | None, ndim: int) -> NamedSharding:
        """The sharding of an ``ndim``-D array whose axis ``axis`` is the neuron axis
        (``None``: replicated on every device). On one device: replicated (what XLA
        gives back, so that the state keeps one sharding from call to call)."""
        if axis is None or self.size == 1:
            return NamedSharding(self.mesh, P())
        return NamedSharding(self.mesh, P(*([None] * axis), self.axes))

    def put(self, value, axis: int | None = None) -> jax.Array:
        """``value`` (a NumPy or jax array, the same in every process) as a global array
        on the mesh, split along ``axis`` (``None``: replicated)."""
        sharding = self.sharding(axis, np.ndim(value))
        current = getattr(value, "sharding", None)
        if current == sharding:  # (the same, not only equivalent: jit keys on shardings)
            return value
        if axis is not None and value.shape[axis] % self.size:
            raise ValueError(
                f"Partition: an array of shape {tuple(value.shape)} cannot be split along "
                f"axis {axis} ({value.shape[axis]} entries) over {self.size} devices"
            )
        if isinstance(value, jax.Array) and getattr(value, "is_fully_addressable", True):
            if jax.process_count() == 1:
                return jax.device_put(value, sharding)
        host = self.to_host(value) if isinstance(value, jax.Array) else np.asarray(value)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    @staticmethod
    def to_host(value) -> np.ndarray:
        """A global array as a NumPy array (gathered from the other processes if some of
        its blocks live there)."""
        if isinstance(value, jax.Array) and not value.is_fully_addressable:
            from jax.experimental import multihost_utils

            return np.asarray(multihost_utils.process_allgather(value, tiled=True))
        return np.asarray(value)

    def __repr__(self) -> str:
        shape = dict(self.mesh.shape)
        kind = self.mesh.devices.flat[0].device_kind
        return f"<Partition of the neuron axis over {self.size} {kind} device(s), mesh {shape}>"


@contextlib.contextmanager
def activate(partition: Partition):
    """Within the block, ``bp.math.event_matvec`` (jax backend) propagates partitioned
    over ``partition``'s devices (when the postsynaptic size is divisible)."""
    _ACTIVE.append(partition)
    try:
        yield partition
    finally:
        _ACTIVE.pop()


def active() -> Partition | None:
    """The innermost active partition, or None."""
    return _ACTIVE[-1] if _ACTIVE else None
