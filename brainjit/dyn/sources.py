"""Spike sources: ``PoissonGroup`` (random spikes at given rates) and
``SpikeTimeGroup`` (spikes at given times).

They are ``NeuGroup``s with ``spike`` and ``t_last_spike`` Variables (no ``V`` and no
``input``), so synapses take them as ``pre`` like any neuron group.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import NeuGroup, check_finite, check_nonnegative

__all__ = ["PoissonGroup", "SpikeTimeGroup"]


class PoissonGroup(NeuGroup):
    """Independent Poisson spike trains.

    Args:
        size: the number of neurons (or a shape).
        freqs: the rate in Hz, one number or one per neuron.

    In each step every neuron fires with probability ``freqs * dt / 1000`` (``dt`` in
    ms), drawn with ``bp.math.random`` (``bp.math.random.seed`` makes runs
    reproducible; the two backends draw different streams).
    """

    def __init__(self, size, freqs, name=None):
        super().__init__(size, name=name)
        owner = f"PoissonGroup {self.name}"
        check_nonnegative(owner, freqs=freqs)  # finite rates >= 0 (Hz)
        arr = np.asarray(freqs, dtype=float)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape != (self.num,)):
            raise ValueError(
                f"{owner}: freqs must be a number or one rate per neuron "
                f"({self.num}), got shape {arr.shape}"
            )
        self.freqs = float(arr) if arr.ndim == 0 else arr
        self.spike = bm.Variable(bm.zeros(self.num, dtype=bool))
        self.t_last_spike = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()) - 1e7)

    def update(self, t, dt):
        spike = bm.random.random(self.num) < self.freqs * (dt / 1000.0)
        self.spike.value = spike
        self.t_last_spike.value = bm.where(spike, t, self.t_last_spike)


class SpikeTimeGroup(NeuGroup):
    """Neurons that fire at given times.

    Args:
        size: the number of neurons (or a shape).
        indices: the neuron of each spike (ints in ``[0, num)``).
        times: the time of each spike (ms), as many as ``indices``.

    Neuron ``indices[k]`` fires in the step ``update(t, dt)`` with
    ``t - dt/2 <= times[k] < t + dt/2`` (its time rounded to the step). Several spikes
    of one neuron in one step count once. Each step compares ``t`` with every spike
    time (vectorised: fine for thousands of spikes).
    """

    def __init__(self, size, indices, times, name=None):
        super().__init__(size, name=name)
        owner = f"SpikeTimeGroup {self.name}"
        check_finite(owner, times=times)
        indices = np.asarray(indices)
        times = np.asarray(times, dtype=float)
        if indices.ndim != 1 or times.ndim != 1 or indices.shape != times.shape:
            raise ValueError(
                f"{owner}: indices and times must be 1-D and of the same length, got shapes "
                f"{indices.shape} and {times.shape}"
            )
        if indices.size and not np.issubdtype(indices.dtype, np.integer):
            raise ValueError(f"{owner}: indices must be integers, got {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num):
            raise ValueError(
                f"{owner}: indices must lie in [0, {self.num}), got "
                f"{int(indices.min())} .. {int(indices.max())}"
            )
        order = np.argsort(times, kind="stable")
        self.indices = indices[order].astype(np.int32)
        self.times = times[order]
        # one row per spike: a CSR from spikes to neurons, for bp.math.event_matvec
        self.spike_indptr = np.arange(indices.size + 1, dtype=np.int32)
        self.spike = bm.Variable(bm.zeros(self.num, dtype=bool))
        self.t_last_spike = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()) - 1e7)

    def update(self, t, dt):
        now = bm.logical_and(self.times >= t - 0.5 * dt, self.times < t + 0.5 * dt)
        counts = bm.event_matvec(now, self.spike_indptr, self.indices, 1.0, self.num)
        spike = counts > 0.0
        self.spike.value = spike
        self.t_last_spike.value = bm.where(spike, t, self.t_last_spike)
