"""The brainjit nodes behind PyNN's current sources (``DCSource``, ``StepCurrentSource``,
``ACSource``, ``NoisyCurrentSource``).

A current source is one :class:`SourceNode` that computes the source's current (nA) of
the step into its Variable ``current`` (shape ``(1,)``), and one :class:`Injection` per
target population that adds it to the cells' ``i_inj``; the network updates them before
the cells, so the current of the step from ``t`` to ``t + dt`` is the source's value at
``t``. This is NEST's timing as ``pyNN.nest`` sets it up (checked against NEST 3.10: the
membrane of a passive cell equals the exact solution with that current held over each
step, to 1e-13 mV): a source switched on at ``start`` acts on the membrane from the step
that starts at ``start`` and is off from the step that starts at ``stop``.

Parameters are Variables (``source.amplitude = ...`` between runs compiles nothing);
a ``StepCurrentSource`` given more steps than its node holds (at least 8) builds its node
again.
Times are rounded to the time grid, as NEST does.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import DynamicalSystem


def _on(t, dt, start, stop):
    """Whether a source is active in the step that starts at ``t`` (on the grid)."""
    step = bm.round(t / dt)
    return bm.logical_and(step >= bm.round(start / dt), step < bm.round(stop / dt))


def dc_current(t, dt, amplitude, start, stop):
    """``DCSource``: ``amplitude`` during ``[start, stop)``."""
    return bm.where(_on(t, dt, start, stop), amplitude, 0.0)


def ac_current(t, dt, amplitude, offset, frequency, phase, start, stop):
    """``ACSource``: ``offset + amplitude sin(2 pi frequency (t - start) + phase)``
    during ``[start, stop)`` (frequency in Hz, times in ms, phase in degrees)."""
    angle = 2.0 * np.pi * frequency * (t - start) / 1000.0 + phase * (np.pi / 180.0)
    return bm.where(_on(t, dt, start, stop), offset + amplitude * bm.sin(angle), 0.0)


def step_current(t, dt, step_times, amplitudes):
    """``StepCurrentSource``: the amplitude of the last change at or before ``t``
    (``step_times``: the changes in steps, ``-inf`` first with amplitude 0)."""
    count = bm.sum(step_times <= bm.round(t / dt))
    return amplitudes[count - 1]


def noise_current(t, dt, mean, stdev, start, stop, z):
    """``NoisyCurrentSource``: ``mean + stdev z`` during ``[start, stop)``, ``z`` the
    standard normal drawn for the current interval."""
    return bm.where(_on(t, dt, start, stop), mean + stdev * z, 0.0)


def _scalar(value):
    return bm.Variable(bm.asarray(np.full(1, float(value)), dtype=bm.dftype()))


class SourceNode(DynamicalSystem):
    """The current of one source, computed each step into ``current`` (nA, shape
    ``(1,)``) from the parameter Variables ``p[name]`` (native names).

    Subclasses define ``param_names`` and ``current_at(t, dt)`` (bm operations only,
    evaluated in the compiled loop and on the host)."""

    param_names: tuple[str, ...] = ()

    def __init__(self, parameters: dict, dt: float, name=None):
        super().__init__(name=name)
        self.dt = float(dt)
        self.p = {}
        for key in self.param_names:
            var = _scalar(0.0)
            setattr(self, "p_" + key, var)
            self.p[key] = var
        self.current = _scalar(0.0)
        self.set_parameters(parameters)

    def set_parameters(self, parameters: dict) -> None:
        """Write the native parameters (numbers) into their Variables."""
        for key in self.param_names:
            value = np.asarray(parameters[key], dtype=float).reshape(-1)[:1]
            self.p[key].value = bm.asarray(value, dtype=bm.dftype())

    def dynamic_variables(self) -> list:
        return [self.current]

    def fits(self, parameters: dict) -> bool:
        """Whether ``set_parameters(parameters)`` can write them in place (else the node
        is built again)."""
        return True

    def host_current(self, t: float) -> float:
        """The current (nA) of the step that starts at ``t``, computed here."""
        return float(np.asarray(self.current_at(t, self.dt)).reshape(-1)[0])


class DCNode(SourceNode):
    param_names = ("amplitude", "start", "stop")

    def current_at(self, t, dt):
        return dc_current(t, dt, self.p_amplitude, self.p_start, self.p_stop)

    def update(self, t, dt):
        self.current.value = dc_current(t, dt, self.p_amplitude, self.p_start, self.p_stop)


class ACNode(SourceNode):
    param_names = ("amplitude", "offset", "frequency", "phase", "start", "stop")

    def current_at(self, t, dt):
        return ac_current(
            t, dt, self.p_amplitude, self.p_offset, self.p_frequency, self.p_phase,
            self.p_start, self.p_stop,
        )  # fmt: skip

    def update(self, t, dt):
        self.current.value = ac_current(
            t, dt, self.p_amplitude, self.p_offset, self.p_frequency, self.p_phase,
            self.p_start, self.p_stop,
        )  # fmt: skip


class StepNode(SourceNode):
    """``times`` and ``amplitudes`` are Variables of a fixed length (``capacity``, at
    least 8, padded with changes at ``+inf``): a new list of steps no longer than it is
    written in place. The times are kept in steps of ``dt`` (rounded, as NEST), after a
    first change at ``-inf`` to 0."""

    param_names = ()

    def __init__(self, parameters: dict, dt: float, name=None):
        size = np.size(parameters["times"])
        self.capacity = max(8, 1 << int(np.ceil(np.log2(max(size, 1)))))
        self.step_times = bm.Variable(bm.asarray(np.zeros(self.capacity + 1, dtype=bm.dftype())))
        self.amplitudes = bm.Variable(bm.asarray(np.zeros(self.capacity + 1, dtype=bm.dftype())))
        super().__init__(parameters, dt, name=name)

    def fits(self, parameters: dict) -> bool:
        return np.size(parameters["times"]) <= self.capacity

    def set_parameters(self, parameters: dict) -> None:
        times, amplitudes = check_step_times(parameters["times"], parameters["amplitudes"])
        if not self.fits(parameters):
            raise ValueError(f"StepNode: more than {self.capacity} steps; build a new node")
        pad = self.capacity - times.size
        steps = np.concatenate([[-np.inf], np.round(times / self.dt), np.full(pad, np.inf)])
        amps = np.concatenate([[0.0], amplitudes, np.zeros(pad)])
        self.step_times.value = bm.asarray(steps, dtype=bm.dftype())
        self.amplitudes.value = bm.asarray(amps, dtype=bm.dftype())

    def current_at(self, t, dt):
        return step_current(t, dt, self.step_times, self.amplitudes)

    def update(self, t, dt):
        self.current[0] = step_current(t, dt, self.step_times, self.amplitudes)


def check_step_times(times, amplitudes):
    """``times`` and ``amplitudes`` of a ``StepCurrentSource`` as arrays, checked:
    as many of each, times non-negative and increasing (PyNN's rules)."""
    times = np.asarray(getattr(times, "value", times), dtype=float).ravel()
    amplitudes = np.asarray(getattr(amplitudes, "value", amplitudes), dtype=float).ravel()
    if times.size != amplitudes.size:
        raise ValueError(
            f"StepCurrentSource: {times.size} times for {amplitudes.size} amplitudes; "
            "give one amplitude per time"
        )
    if times.size and times.min() < 0:
        raise ValueError("StepCurrentSource: times must not be negative")
    if times.size > 1 and np.min(np.diff(times)) <= 0:
        raise ValueError("StepCurrentSource: times must be strictly increasing")
    return times, amplitudes


class NoiseNode(SourceNode):
    """A new standard normal ``z`` is drawn at ``start`` and every ``dt`` (the noise's
    own interval, ``p_dt``) after it; it is drawn in the step before the one it acts
    in (``z`` is the draw of the step to come), so that the host knows the current of
    the next step."""

    param_names = ("mean", "stdev", "start", "stop", "dt")

    def __init__(self, parameters: dict, dt: float, name=None):
        self.z = _scalar(0.0)
        super().__init__(parameters, dt, name=name)
        self.z.value = bm.asarray(bm.random.normal(0.0, 1.0, 1), dtype=bm.dftype())

    def set_parameters(self, parameters: dict) -> None:
        ratio = float(np.asarray(parameters["dt"]).reshape(-1)[0]) / self.dt
        if ratio < 0.5 or abs(ratio - round(ratio)) > 1e-6:
            raise ValueError(
                f"NoisyCurrentSource: dt={float(np.asarray(parameters['dt']).ravel()[0])} ms "
                f"must be a whole multiple of the time step ({self.dt} ms)"
            )
        super().set_parameters(parameters)

    def dynamic_variables(self) -> list:
        return [self.current, self.z]

    def current_at(self, t, dt):
        return noise_current(t, dt, self.p_mean, self.p_stdev, self.p_start, self.p_stop, self.z)

    def update(self, t, dt):
        self.current.value = noise_current(
            t, dt, self.p_mean, self.p_stdev, self.p_start, self.p_stop, self.z
        )
        # the draw of the next step: new at start + k * p_dt
        nxt = bm.round(t / dt) + 1.0 - bm.round(self.p_start / dt)
        every = bm.round(self.p_dt / dt)
        change = bm.logical_and(nxt >= 0.0, bm.abs(nxt - every * bm.round(nxt / every)) < 0.5)
        self.z.value = bm.where(change, bm.random.normal(0.0, 1.0, 1), self.z)


class Injection(DynamicalSystem):
    """Adds a source's current (``source.current``) to the ``i_inj`` of the cells
    ``index`` of ``target`` each step."""

    def __init__(self, source: SourceNode, target, index, name=None):
        super().__init__(name=name)
        self.source = source
        self.target = target
        mask = np.zeros(target.num)
        np.add.at(mask, np.asarray(index, dtype=np.int64), 1.0)
        self.mask = bm.asarray(mask, dtype=bm.dftype())

    def dynamic_variables(self) -> list:
        return []

    def update(self, t, dt):
        self.target.i_inj += self.source.current * self.mask
