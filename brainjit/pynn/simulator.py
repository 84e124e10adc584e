"""The simulator state of ``brainjit.pynn``: the network, the clock, and the compiled
loop that runs it.

PyNN's objects (``Population``, ``Projection``, current sources) each own brainjit
models (:mod:`brainjit.pynn._models`); :class:`State` collects them. A ``run`` builds
one ``bp.dyn.Network`` of all of them and one ``bp.Runner`` that monitors what is
recorded, compiled once and reused by every later run until the network or what is
recorded changes (a new population, projection, source or recorded variable). The
first run takes a snapshot of every state Variable (not the parameters); ``reset()``
restores it and sets the time back to 0.
"""

from __future__ import annotations

import numpy as np
from pyNN import common

import brainjit as bp
from brainjit import math as bm
from brainjit.base import set_model_time

name = "brainjit"


class ID(int, common.IDMixin):
    """A cell's global id (PyNN's ``ID``)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """What ``setup()`` makes and ``end()`` discards: the clock, the network and its
    compiled loop. ``backend`` is the brainjit backend ('numpy' or 'jax')."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.backend = "numpy"
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 10.0
        self.clear()

    # -- the network -----------------------------------------------------------------------
    def clear(self):
        """Forget the network: no population, projection, source or recording."""
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self._runner = None
        self._runner_key = None
        self._network = None
        self._snapshot = None
        self._t = 0.0
        self.running = False
        self.reset()

    def network_changed(self):
        """Called when a population, projection or source is added: the next run builds
        the network and compiles its loop again."""
        self._runner = None
        self._network = None

    def _nodes(self):
        nodes = []
        for source in self.current_sources:  # sources write i_inj before the cells integrate
            nodes.extend(source._brainjit_nodes())
        for pop in self.populations:
            nodes.append(pop._model)
        for prj in self.projections:
            nodes.extend(prj._brainjit_nodes())
        return nodes

    def _monitor_specs(self):
        """``{monitor name: (Variable path, indices)}`` of everything recorded, and the
        recorders that asked, keyed for reuse of the compiled loop."""
        monitors = {}
        for recorder in sorted(self.recorders, key=lambda r: r.population.first_id):
            monitors.update(recorder._monitors())
        for source in self.current_sources:  # source.record(): the injected current
            monitors.update(source._monitors())
        return monitors

    def _build(self):
        with bm.backend(self.backend):
            if self._network is None:
                nodes = self._nodes()
                self._network = bp.dyn.Network(*nodes)
                set_model_time(self._network, self._t)
            monitors = self._monitor_specs()
            key = tuple((k, v[0], tuple(v[1])) for k, v in sorted(monitors.items()))
            if self._runner is None or key != self._runner_key:
                self._runner = bp.Runner(
                    self._network, monitors=monitors, dt=self.dt, progress_bar=False
                )
                self._runner_key = key

    @property
    def min_delay(self) -> float:
        """``setup()``'s ``min_delay`` (ms); with ``min_delay='auto'``, the shortest delay
        of the projections made so far (the time step if there is none)."""
        if self._min_delay != "auto":
            return self._min_delay
        delays = [prj._collect()[2].get("delay") for prj in self.projections]
        delays = [float(np.min(d)) for d in delays if d is not None and np.size(d)]
        return min(delays) if delays else self.dt

    @min_delay.setter
    def min_delay(self, value) -> None:
        self._min_delay = value if value == "auto" else float(value)

    # -- time ------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        return self._t

    def run(self, simtime):
        """Advance the network by ``simtime`` ms (a whole number of steps)."""
        steps = int(round(simtime / self.dt))
        if steps <= 0:
            return
        self._build()
        if self._snapshot is None:
            self._snapshot = self._take_snapshot()
        for recorder in self.recorders:
            recorder._before_run()
        self.running = True
        with bm.backend(self.backend):
            mon = self._runner.run(steps * self.dt)
        t0 = self._t
        self._t = round(t0 + steps * self.dt, 12)  # as NEST's: 10.1 + 23.4 is 33.5
        for recorder in self.recorders:
            recorder._store(mon, t0, steps)
        for source in self.current_sources:
            source._store(mon, t0, steps)

    def run_until(self, tstop):
        if tstop > self._t + 0.5 * self.dt:
            self.run(tstop - self._t)

    # -- reset -----------------------------------------------------------------------------
    def _state_variables(self):
        """The Variables that change during a run: every node's ``dynamic_variables()``."""
        out = []
        for node in self._nodes():
            out.extend(node.dynamic_variables())
        return out

    def _take_snapshot(self):
        """Every state Variable's value, and every projection's attributes that runs
        change (a plastic synapse's weights) in creation order: those are restored even
        if the projection's groups are built again later (new delays)."""
        with bm.backend(self.backend):
            variables = [(var, np.array(var.value, copy=True)) for var in self._state_variables()]
        projections = []
        for prj in self.projections:
            names = prj._state_attributes()
            if names:
                projections.append((prj, {n: prj._attribute(n).copy() for n in names}))
        return variables, projections

    def reset(self):
        """Time back to 0; every state Variable back to its value at the first run (or
        now, if it was created after it); plastic weights back to theirs at the first
        run."""
        if self._snapshot is not None:
            variables, projections = self._snapshot
            with bm.backend(self.backend):
                for var, value in variables:
                    var.value = bm.asarray(value, dtype=value.dtype)
            for prj, values in projections:
                for name, value in values.items():
                    if value.size == len(prj):  # (not if connections were added since)
                        prj._write_attribute(name, value)
        for pop in self.populations:  # initialize() after the first run counts too
            for variable, value in pop.initial_values.items():
                pop._set_initial_value_array(variable, value)
        for recorder in self.recorders:  # common.reset stored their data in the cache
            recorder._clear_simulator()
        for source in self.current_sources:
            source._clear_data()
        self._t = 0.0
        if self._network is not None:
            set_model_time(self._network, 0.0)
        self.running = False
        self.t_start = 0
        self.segment_counter += 1


state = State()
