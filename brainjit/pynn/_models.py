"""The brainjit models behind ``brainjit.pynn``: PyNN's spike sources and synapses (the
cells are in :mod:`brainjit.pynn._cells`, the current sources in
:mod:`brainjit.pynn._electrodes`), written as ordinary brainjit models (``NeuGroup``,
``TwoEndConn``) so that a PyNN network runs as one compiled loop of ``bp.Runner``.

Units are PyNN's throughout: ms, mV, nA, nF, µS, Hz. Parameters are per-neuron
Variables (``group.p['tau_m']``: ``Population.set`` between runs writes them, nothing
is compiled again); state Variables have PyNN's names (``v``, ``isyn_exc``,
``gsyn_exc``, ...).

Time and order within a step (the conventions of NEST, PyNN's reference simulator):

- In the step from ``t`` to ``t + dt`` a cell integrates its membrane with the synaptic
  state at ``t``, then its synaptic currents or conductances decay and take the
  weights arriving in this step (``exc_in``, ``inh_in``), then it tests the threshold;
  a spike is stamped ``t + dt`` (the end of the step).
- A projection with delay ``d`` (a whole number ``D >= 1`` of steps) delivers a spike
  stamped ``t_s`` into ``exc_in``/``inh_in`` of the step that ends at ``t_s + d``: it
  acts on the membrane from then on.
- Current sources (:mod:`brainjit.pynn._electrodes`) write ``i_inj`` (nA) before the
  cells integrate.
"""

from __future__ import annotations

import numpy as np
from pyNN.errors import InvalidParameterValueError
from pyNN.parameters import Sequence

from brainjit import math as bm
from brainjit.dyn.base import NeuGroup, TwoEndConn
from brainjit.dyn.synapses import Delay

# -- helpers ----------------------------------------------------------------------------


def _param_variable(value, num: int):
    """A per-neuron float Variable holding ``value`` (a number or an array of ``num``)."""
    arr = np.broadcast_to(np.asarray(value, dtype=float), (num,)).copy()
    return bm.Variable(bm.asarray(arr, dtype=bm.dftype()))


class _Parameters:
    """Per-cell parameter Variables in ``self.p``, by native name."""

    def _make_parameters(self, parameters) -> None:
        self.p = {}
        for key in self.param_names:
            var = _param_variable(np.asarray(parameters[key], dtype=float), self.num)
            setattr(self, "p_" + key, var)
            self.p[key] = var

    def get_native(self, name: str) -> np.ndarray:
        """The values of parameter ``name``, one per cell (a NumPy copy)."""
        return np.array(self.p[name].value, dtype=float)

    def set_native(self, name: str, index: np.ndarray, value) -> None:
        """Write ``value`` (a number, or one per cell of ``index``) into the cells
        ``index`` of parameter ``name``: in place, nothing is compiled again."""
        if name not in self.p:
            raise KeyError(f"{type(self).__name__} has no parameter {name!r}")
        arr = self.get_native(name)
        arr[index] = np.asarray(value, dtype=float)
        var = self.p[name]
        var.value = bm.asarray(arr.astype(var.value.dtype))  # float32 on jax


# -- spike sources ------------------------------------------------------------------------


class PoissonSource(_Parameters, NeuGroup):
    """PyNN's ``SpikeSourcePoisson``: in each step of ``[start, start + duration)`` a
    source fires with probability ``rate * dt / 1000`` (``bp.math.random``)."""

    param_names = ("rate", "start", "duration")
    state_names = ()

    def __init__(self, size, parameters: dict, dt: float, name=None):
        super().__init__(size, name=name)
        self.dt = float(dt)
        self._make_parameters(parameters)
        self.spike = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bool)))

    def dynamic_variables(self) -> list:
        return [self.spike]

    def update(self, t, dt):
        p = self.p
        on = bm.logical_and(t >= p["start"] - 0.5 * dt, t < p["start"] + p["duration"] - 0.5 * dt)
        draw = bm.random.random(self.num) < p["rate"] * (dt / 1000.0)
        self.spike.value = bm.logical_and(on, draw)


class ArraySource(NeuGroup):
    """PyNN's ``SpikeSourceArray``: each source fires at its own list of times. A spike
    at time ``s`` is emitted in the step that ends at ``s`` rounded to the grid (its
    stamp is ``s``, as NEST's ``spike_generator`` with ``precise_times=False``)."""

    param_names = ()
    state_names = ()

    def __init__(self, size, parameters, dt: float, name=None):
        super().__init__(size, name=name)
        self.dt = float(dt)
        self.set_spike_times(parameters["spike_times"])
        self.spike = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bool)))

    def get_native(self, name: str):
        if name != "spike_times":
            raise KeyError(f"SpikeSourceArray has no parameter {name!r}")
        return np.array(self.trains, dtype=object)

    def set_native(self, name: str, index, value) -> None:
        if name != "spike_times":
            raise KeyError(f"SpikeSourceArray has no parameter {name!r}")
        trains = list(self.trains)
        values = np.asarray(value, dtype=object)
        if values.ndim == 0:
            values = np.array([values.item()] * len(index), dtype=object)
        for i, train in zip(np.asarray(index), values):
            trains[int(i)] = train
        self.set_spike_times(trains)

    def set_spike_times(self, spike_times) -> None:
        """``spike_times``: one sequence of times (ms) per source (PyNN ``Sequence``s or
        arrays). Kept as NumPy arrays (constants of the compiled loop: a change
        compiles it again)."""
        spike_times = [getattr(s, "value", s) for s in spike_times]
        self.trains = [Sequence(np.asarray(s, dtype=float).ravel()) for s in spike_times]
        if len(spike_times) != self.num:
            raise ValueError(
                f"SpikeSourceArray: {len(spike_times)} spike trains for {self.num} sources"
            )
        idx, steps = [], []
        for i, times in enumerate(spike_times):
            times = np.asarray(times, dtype=float).ravel()
            if times.size and not np.all(np.isfinite(times)):
                raise ValueError(f"SpikeSourceArray: source {i} has non-finite spike times")
            if np.any(np.diff(times) < 0):  # as NEST's spike_generator (PyNN's issue 511)
                raise InvalidParameterValueError(
                    f"SpikeSourceArray: the spike times of source {i} are not in increasing "
                    "order; sort them (np.sort) first"
                )
            # the step that ends at the time: index round(s / dt) - 1
            steps.append(np.round(times / self.dt).astype(np.int64) - 1)
            idx.append(np.full(times.size, i, dtype=np.int32))
        steps_all = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        idx_all = np.concatenate(idx) if idx else np.zeros(0, np.int32)
        keep = steps_all >= 0
        order = np.argsort(steps_all[keep], kind="stable")
        #: the step (whose end is the spike time) and the source of each spike
        self.spike_steps = steps_all[keep][order].astype(float)
        self.spike_index = idx_all[keep][order]
        self.spike_indptr = np.arange(self.spike_index.size + 1, dtype=np.int32)

    def dynamic_variables(self) -> list:
        return [self.spike]

    def update(self, t, dt):
        step = bm.round(t / dt)
        now = bm.abs(self.spike_steps - step) < 0.5
        counts = bm.event_matvec(now, self.spike_indptr, self.spike_index, 1.0, self.num)
        self.spike.value = counts > 0.0


# -- synapses -------------------------------------------------------------------------------


class StaticGroup(TwoEndConn):
    """The synapses of one projection that share a delay: each step the summed weights
    of the synapses of the presynaptic cells whose spikes arrive now are added to the
    postsynaptic cells' ``exc_in`` or ``inh_in`` (``receptor``).

    ``delay_steps`` (>= 1) is the delay in steps of ``dt``; the network's own one-step
    delay (synapses read the spikes of the previous step) is one of them.
    """

    def __init__(self, pre, post, indptr, indices, weight, delay_steps, receptor, dt, name=None):
        super().__init__(pre, post, (indptr, indices), name=name)
        if receptor not in ("excitatory", "inhibitory"):
            raise ValueError(f"brainjit.pynn: unknown receptor type {receptor!r}")
        self.receptor = receptor
        self.delay_steps = int(delay_steps)
        self.weight = bm.Variable(bm.asarray(np.asarray(weight, dtype=float), dtype=bm.dftype()))
        self.pre_delay = Delay(pre.num, (self.delay_steps - 1) * dt, dt, dtype=bool)

    def dynamic_variables(self) -> list:
        return [self.pre_delay.buffer, self.pre_delay.index]

    def update(self, t, dt):
        spikes = self.pre_delay.push(self.pre.spike)
        g = bm.event_matvec(spikes, self.indptr, self.indices, self.weight, self.post.num)
        if self.receptor == "excitatory":
            self.post.exc_in += g
        else:
            self.post.inh_in += g
