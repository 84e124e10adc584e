"""Recording for ``brainjit.pynn``: PyNN's ``Recorder`` on brainjit monitors.

Each recorded variable of a population is one monitor of the compiled loop over the
recorded cells only (spikes as packed bits, ``mon.spike_events``). After each run the
records are appended here; ``get_data`` assembles them into Neo objects through PyNN's
common code. Signals are recorded every step and sampled at ``sampling_interval`` on
the host; the first sample is the value when recording started (PyNN's convention).
Spikes are stamped at the end of the step in which the threshold was crossed.
"""

from __future__ import annotations

import numpy as np
from pyNN import recording

from brainjit import math as bm
from brainjit.pynn import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population=None, file=None):
        recording.Recorder.__init__(self, population, file)
        self._clear_data()

    # -- what the compiled loop monitors ---------------------------------------------------
    def _native(self, variable) -> str:
        if variable.name == "spikes":
            return "spike"
        translations = getattr(self.population.celltype, "state_variable_translations", None)
        if translations and variable.name in translations:
            return translations[variable.name]["translated_name"]
        return variable.name

    def _key(self, variable) -> str:
        return f"pynn{int(self.population.first_id)}.{variable.name}"

    def _indices(self, variable) -> np.ndarray:
        ids = np.fromiter(self.recorded[variable], dtype=int)
        return np.unique(ids - int(self.population.first_id))

    def _monitors(self) -> dict:
        model = self.population._model
        out = {}
        for variable in self.recorded:
            if not self.recorded[variable]:
                continue
            out[self._key(variable)] = (
                f"{model.name}.{self._native(variable)}",
                self._indices(variable),
            )
        return out

    # -- data ------------------------------------------------------------------------------
    def _clear_data(self) -> None:
        self._spikes = []  # (ids, times) per run
        self._signals = {}  # variable name -> list of (indices, array steps x cells)

    def _before_run(self) -> None:
        """Called before each run: the first sample of each signal is its value now."""
        model = self.population._model
        with bm.backend(simulator.state.backend):
            for variable in self.recorded:
                if variable.name == "spikes" or variable.name in self._signals:
                    continue
                idx = self._indices(variable)
                value = np.asarray(getattr(model, self._native(variable)).value)[idx]
                self._signals[variable.name] = [(idx, value[None, :].astype(float))]

    def _store(self, mon, t0: float, steps: int) -> None:
        """Append the records of a run of ``steps`` steps from ``t0``."""
        dt = simulator.state.dt
        for variable in self.recorded:
            key = self._key(variable)
            if key not in mon:
                continue
            idx = self._indices(variable)
            if variable.name == "spikes":
                times, ids = mon.spike_events(key)
                # the stamp is the end of the step (mon gives its start): a whole number
                # of steps, rounded as NEST's times (180 steps of 0.1 ms: 18.0, not
                # 18.000000000000004)
                stamps = np.round((np.round(times / dt) + 1.0) * dt, 12)
                self._spikes.append((ids + int(self.population.first_id), stamps))
            else:
                self._signals.setdefault(variable.name, []).append(
                    (idx, np.asarray(mon[key], dtype=float))
                )

    def record(self, variables, ids, sampling_interval=None, locations=None):
        """PyNN's ``record``; a ``sampling_interval`` (ms) must be a whole number of
        steps (checked before anything is recorded)."""
        if sampling_interval is not None:
            dt = self._simulator.state.dt
            steps = sampling_interval / dt
            if steps < 1 - 1e-9 or abs(steps - round(steps)) > 1e-6:
                raise ValueError(
                    f"brainjit.pynn: sampling_interval={sampling_interval} ms must be a "
                    f"whole multiple of the time step ({dt} ms)"
                )
        recording.Recorder.record(self, variables, ids, sampling_interval, locations)

    def _record(self, variable, new_ids, sampling_interval=None):
        """A ``sampling_interval`` applies to every signal of the population; ``None``
        keeps the current one."""
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval

    def _reset(self):
        self._clear_data()

    def _clear_simulator(self):
        self._clear_data()

    def _get_spiketimes(self, requested_ids, clear=False):
        if self._spikes:
            ids = np.concatenate([s[0] for s in self._spikes])
            times = np.concatenate([s[1] for s in self._spikes])
        else:
            ids, times = np.zeros(0, int), np.zeros(0)
        mask = np.isin(ids, np.asarray(requested_ids, dtype=int))
        if clear:
            self._spikes = []
        return ids[mask], times[mask]

    def _get_all_signals(self, variable, ids, clear=False):
        chunks = self._signals.get(variable.name, [])
        wanted = np.asarray(ids, dtype=int) - int(self.population.first_id)
        if not chunks or wanted.size == 0:
            return np.zeros((0, wanted.size)), None
        parts = []
        for idx, values in chunks:
            out = np.full((values.shape[0], wanted.size), np.nan)
            pos = np.searchsorted(idx, wanted)
            pos = np.clip(pos, 0, max(idx.size - 1, 0))
            found = idx.size > 0
            hit = (idx[pos] == wanted) if found else np.zeros(wanted.size, bool)
            out[:, hit] = values[:, pos[hit]]
            parts.append(out)
        signal = np.concatenate(parts, axis=0)
        every = max(int(round(self.sampling_interval / simulator.state.dt)), 1)
        signal = signal[::every]
        if clear:
            self._signals.pop(variable.name, None)
        return signal, None

    def _local_count(self, variable, filter_ids=None):
        ids, _ = self._get_spiketimes(
            np.fromiter(self.filter_recorded(variable, filter_ids), dtype=int)
        )
        counts = {int(i): 0 for i in self.filter_recorded(variable, filter_ids)}
        for i in ids:
            counts[int(i)] += 1
        return counts
