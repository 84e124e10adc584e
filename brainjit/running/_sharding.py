"""``bp.Runner(..., devices=...)`` / ``mesh=...``: a network partitioned over JAX devices.

The model code stays global. The Runner places the state on the devices of a mesh and
compiles its loop as usual; XLA partitions the computation from the placement (GSPMD)
and ``bp.math.event_matvec`` propagates spikes by postsynaptic block
(:mod:`brainjit.math._jax.sharded_event`). What goes where:

- a Variable whose first axis is the size of a neuron group of the model (``V``,
  ``spike``, ``input``, a synapse's ``g`` per target ...) is split along that axis:
  each device holds one block of consecutive neurons of every group;
- per-synapse Variables (``syn.weight``), scalars, ring buffers of delays, the random
  key and everything else are replicated;
- the Runner's monitor buffers (records x neurons) are split along the neuron axis,
  so recording costs no exchange; their blocks are gathered after each chunk.

Every group's size must be a multiple of the number of devices (checked, with the
sizes in the error). Only the jax backend partitions.
"""

from __future__ import annotations

import math

import numpy as np

from brainjit.dyn.base import NeuGroup, TwoEndConn

__all__ = ["make_partition", "Placement"]


def make_partition(backend: str, devices, mesh):
    """The :class:`~brainjit.math._jax.sharding.Partition` of ``devices=`` or ``mesh=``
    (None when neither is given)."""
    if devices is None and mesh is None:
        return None
    if devices is not None and mesh is not None:
        raise TypeError("Runner: give devices= or mesh=, not both")
    if backend != "jax":
        raise ValueError(
            f"Runner: devices=/mesh= partition the network over JAX devices, which needs the "
            f"jax backend, but this Runner is on the {backend} backend. Call "
            "bp.math.use_backend('jax') before building the model (the numpy backend runs "
            "on one machine; its Numba loops use the CPU cores of that machine)."
        )
    import jax

    from brainjit.math._jax.sharding import Partition

    if mesh is not None:
        if not isinstance(mesh, jax.sharding.Mesh):
            raise TypeError(f"Runner: mesh must be a jax.sharding.Mesh, got {mesh!r}")
        return Partition(mesh)
    if isinstance(devices, jax.Device):
        devices = [devices]
    try:
        devices = list(devices)
    except TypeError:
        raise TypeError(
            f"Runner: devices must be a list of jax devices (jax.devices()), got {devices!r}"
        ) from None
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise TypeError(
            f"Runner: devices must be a non-empty list of jax devices (jax.devices()), got "
            f"{devices!r}"
        )
    if len(set(devices)) != len(devices):
        raise ValueError(f"Runner: devices lists a device twice: {devices}")
    return Partition.of_devices(devices)


class Placement:
    """Which of a model's Variables are split over ``partition``'s devices, and placing
    them there."""

    def __init__(self, model, partition):
        self.partition = partition
        groups = {}
        per_synapse = set()
        for node in model.nodes().values():
            if isinstance(node, NeuGroup):
                groups[node.name] = node.num
            elif isinstance(node, TwoEndConn):
                for value in vars(node).values():
                    shape = getattr(value, "shape", ())
                    if shape and shape[0] == node.num_synapses and hasattr(value, "value"):
                        per_synapse.add(id(value))
        bad = {name: n for name, n in groups.items() if not partition.divides(n)}
        if bad:
            listed = ", ".join(f"{name!r} has {n}" for name, n in bad.items())
            raise ValueError(
                f"Runner: the {partition.size} devices cannot split every neuron group into "
                f"equal blocks: {listed} neurons, not a multiple of {partition.size}. Use "
                f"group sizes that are multiples of {partition.size}, or fewer devices "
                f"(a number that divides {math.gcd(*groups.values())})."
            )
        self.sizes = set(groups.values())
        self._per_synapse = per_synapse
        self.model = model

    def neuron_axis(self, var, axis: int = 0) -> int | None:
        """``axis`` if ``var`` is split along it (a neuron axis), else None."""
        shape = tuple(var.shape)
        if len(shape) <= axis or id(var) in self._per_synapse:
            return None
        return axis if shape[axis] in self.sizes else None

    def place(self, driver, buffers) -> None:
        """Put the Variables of ``driver`` (the model's, the inputs', the buffers) and the
        default random generator on the devices. ``buffers``: the Runner's monitor and
        'iter' input buffers, whose axis 0 is time (their neuron axis is axis 1)."""
        from brainjit.math._jax import random

        buffers = {id(b) for b in buffers}
        variables = list(driver.vars().values())
        default = getattr(random, "DEFAULT", None)
        if default is not None and all(default is not v for v in variables):
            variables.append(default)
        for var in variables:
            axis = self.neuron_axis(var, 1 if id(var) in buffers else 0)
            var._value = self.partition.put(var._value, axis)

    def fill(self, buffer, values: np.ndarray) -> None:
        """Write ``values`` (NumPy, the same in every process) into the first entries of
        the time axis of ``buffer`` (an 'iter' input buffer), placed as before."""
        host = np.zeros(buffer.shape, dtype=buffer.dtype)
        host[: len(values)] = values
        buffer._value = self.partition.put(host, self.neuron_axis(buffer, 1))

    def to_host(self, value) -> np.ndarray:
        """A (possibly multi-process) global array as a NumPy array."""
        return self.partition.to_host(value)

    def describe(self) -> str:
        return f"{self.partition!r}, neuron groups of sizes {sorted(self.sizes)}"
