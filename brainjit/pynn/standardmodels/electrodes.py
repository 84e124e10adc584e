"""PyNN's current sources for ``brainjit.pynn``: ``DCSource``, ``StepCurrentSource``,
``ACSource``, ``NoisyCurrentSource``.

Each source is one brainjit node computing its current plus one node per injected
population adding it to the cells' ``i_inj`` (:mod:`brainjit.pynn._electrodes`, which
states the timing: NEST's). ``source.amplitude = ...`` / ``set_parameters`` between
runs write the nodes' Variables (nothing is compiled again). ``source.record()`` then
``source.get_data()`` gives the injected current as a Neo ``AnalogSignal`` sampled every
time step from 0 to now (the sample at ``t`` is the current of the step starting at
``t``), as ``pyNN.nest``.

``NoisyCurrentSource`` injects one noise current (the same into every cell it is
injected into, as ``pyNN.brian2`` and ``pyNN.neuron``; NEST's ``noise_generator`` gives
each target its own), drawn from brainjit's generator (``setup(rng_seed=...)``); an
``rng`` argument is refused.
"""

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, electrodes

from brainjit import math as bm
from brainjit.pynn import _electrodes, simulator
from brainjit.pynn.standardmodels import identity_translations

__all__ = ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"]


class _CurrentSource(StandardCurrentSource):
    """What the current sources share: native parameters kept in a dict, the cells
    injected into, the brainjit nodes (built with the network), the recorded current."""

    node_class = None

    def __init__(self, **parameters):
        if "rng" in parameters:
            raise ValueError(
                f"brainjit.pynn.{type(self).__name__}: rng is not supported (the noise is "
                "drawn in the compiled loop from brainjit's generator); seed it with "
                "sim.setup(rng_seed=...)"
            )
        super().__init__(**parameters)
        object.__setattr__(self, "_native", {})
        object.__setattr__(self, "_targets", [])  # (population, indices)
        object.__setattr__(self, "_nodes", None)
        object.__setattr__(self, "_recording", False)
        object.__setattr__(self, "_chunks", [])  # (t0, currents of the steps of a run)
        parameter_space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        parameter_space.update(**parameters)
        self.set_native_parameters(self.translate(parameter_space))
        simulator.state.current_sources.append(self)

    # -- parameters ------------------------------------------------------------------------
    def get_native_parameters(self):
        # arrays (a StepCurrentSource's times and amplitudes) as arrays, as pyNN.nest
        return ParameterSpace(
            {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self._native.items()}
        )

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        native = dict(self._native)
        for name, value in parameters.items():
            if isinstance(value, Sequence):
                value = np.asarray(value.value, dtype=float)
            elif np.ndim(value):
                value = np.asarray(value, dtype=float).reshape(-1)[0]
            native[name] = value
        self._native.update(self._check(native))
        if self._nodes is not None:
            source = self._nodes[0]
            if not source.fits(self._native):
                self._rebuild()  # e.g. a StepCurrentSource with more steps than it holds
            else:
                with bm.backend(simulator.state.backend):
                    source.set_parameters(self._native)

    def _check(self, native) -> dict:
        """The native parameters as the source runs them; refuses values it cannot run
        (subclasses)."""
        return native

    # -- targets ---------------------------------------------------------------------------
    def inject_into(self, cells):
        """Inject the current into ``cells``: a Population, PopulationView, Assembly or a
        list of IDs."""
        by_population = {}
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            by_population.setdefault(id(cell.parent), (cell.parent, []))[1].append(
                cell.parent.id_to_index(cell)
            )
        for population, index in by_population.values():
            self._targets.append((population, np.asarray(index, dtype=np.int64)))
        self._rebuild()

    def _rebuild(self):
        object.__setattr__(self, "_nodes", None)
        simulator.state.network_changed()

    def _brainjit_nodes(self):
        if self._nodes is None:
            with bm.backend(simulator.state.backend):
                source = self.node_class(self._native, simulator.state.dt)
                injections = [
                    _electrodes.Injection(source, pop._model, index) for pop, index in self._targets
                ]
            object.__setattr__(self, "_nodes", [source] + injections)
        return self._nodes

    # -- recording -------------------------------------------------------------------------
    def record(self):
        """Record the injected current (``get_data()`` returns it)."""
        object.__setattr__(self, "_recording", True)

    def _monitors(self) -> dict:
        if not self._recording:
            return {}
        source = self._brainjit_nodes()[0]
        return {self._key(): (f"{source.name}.current", np.arange(1))}

    def _key(self) -> str:
        return f"pynn_source{simulator.state.current_sources.index(self)}.current"

    def _store(self, mon, t0: float, steps: int) -> None:
        key = self._key()
        if key in mon:
            values = np.asarray(mon[key], dtype=float).reshape(steps, -1)[:, 0]
            self._chunks.append((t0, values))

    def _clear_data(self) -> None:
        self._chunks.clear()

    def _get_data(self):
        """Times (ms) and currents (nA): every step from the first recorded one to now
        (the last sample: the current of the step to come)."""
        if not self._recording:
            raise ValueError(
                f"{type(self).__name__}: nothing recorded; call source.record() before run()"
            )
        dt = simulator.state.dt
        with bm.backend(simulator.state.backend):
            last = self._brainjit_nodes()[0].host_current(simulator.state.t)
        values = np.concatenate([c[1] for c in self._chunks] + [[last]])
        t0 = self._chunks[0][0] if self._chunks else simulator.state.t
        return t0 + dt * np.arange(values.size), values


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = identity_translations(electrodes.DCSource)
    node_class = _electrodes.DCNode


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = identity_translations(electrodes.ACSource)
    node_class = _electrodes.ACNode


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = identity_translations(electrodes.StepCurrentSource)
    node_class = _electrodes.StepNode

    def _check(self, native) -> dict:
        """Times mapped to the time grid, and of the times mapped to one grid point the
        last kept (PyNN's rule, as pyNN.nest and pyNN.brian2)."""
        if "times" in native and "amplitudes" in native:
            times, amplitudes = _electrodes.check_step_times(native["times"], native["amplitudes"])
            dt = simulator.state.dt
            steps = np.rint(times / dt)
            last = np.append(steps[1:] != steps[:-1], True) if steps.size else steps.astype(bool)
            native = {**native, "times": steps[last] * dt, "amplitudes": amplitudes[last]}
        return native


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = identity_translations(electrodes.NoisyCurrentSource)
    node_class = _electrodes.NoiseNode

    def _check(self, native) -> dict:
        dt = simulator.state.dt
        ratio = float(native["dt"]) / dt
        if ratio < 0.5 or abs(ratio - round(ratio)) > 1e-6:
            raise ValueError(
                f"NoisyCurrentSource: dt={native['dt']} ms must be a whole multiple of the "
                f"time step ({dt} ms)"
            )
        return native
