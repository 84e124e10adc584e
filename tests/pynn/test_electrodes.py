"""PyNN's current sources on brainjit.pynn (DCSource, StepCurrentSource, ACSource,
NoisyCurrentSource), both backends, one network per backend.

Passive ``IF_curr_exp`` cells (threshold out of reach, no synaptic input) integrate
``cm dv/dt = cm (v_rest - v) / tau_m + I(t)``; a source's current is held over each
time step (its value at the step's start, NEST's convention), so the membrane's exact
solution is the sum of the responses to the current's jumps ``dI`` at times ``c``:
``dI tau_m / cm (1 - exp(-(t - c) / tau_m))`` for ``t >= c``. The tests compare the
recorded ``v`` with that sum (the current written out from PyNN's definitions), the
recorded currents with those definitions, and ``v`` with NEST 3.10's stored output
(``benchmarks/peers/pynn_nest_electrodes.py``).

Tolerances: float64 on the numpy backend (1e-9 mV: rounding only); the jax backend
computes in float32 (5e-4 mV: a rounding of ``v ~ -65 mV`` is up to 4e-6 mV per step,
accumulated over 100 steps).
"""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyNN")

import brainjit.pynn as sim  # noqa: E402
from brainjit.pynn import simulator  # noqa: E402

DATA = Path(__file__).parent / "data" / "nest_electrodes.npz"
DT = 0.1
CELL = {"v_thresh": 100.0, "tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "i_offset": 0.0}
DC = {"amplitude": 0.5, "start": 2.0, "stop": 4.0}
STEP = {"times": [1.0, 2.5, 4.0], "amplitudes": [0.3, -0.2, 0.1]}
AC = {"amplitude": 0.4, "offset": 0.1, "frequency": 100.0, "phase": 30.0, "start": 1.0, "stop": 8.0}
NOISE = {"mean": 0.2, "stdev": 0.5, "dt": 0.2, "start": 0.5, "stop": 9.5}
DC_AFTER = {"amplitude": -0.3, "stop": 9.0, "start": 7.0}
FIRST, SECOND = 6.0, 4.0  # ms: the runs (the sources change between them)
TOL = {"numpy": 1e-9, "jax": 5e-4}


def dc_current(t, amplitude, start, stop):
    return np.where((t >= start - 1e-9) & (t < stop - 1e-9), amplitude, 0.0)


def step_current(t, times, amplitudes):
    n = np.searchsorted(np.asarray(times), t + 1e-9, side="right")
    return np.where(n > 0, np.concatenate([[0.0], amplitudes])[n], 0.0)


def ac_current(t, amplitude, offset, frequency, phase, start, stop):
    on = (t >= start - 1e-9) & (t < stop - 1e-9)
    angle = 2 * np.pi * frequency * (t - start) / 1000 + np.deg2rad(phase)
    return np.where(on, offset + amplitude * np.sin(angle), 0.0)


def passive_v(current, t):
    """The exact membrane potential at times ``t`` (the grid) of a passive cell (CELL)
    from rest, for ``current[k]`` held over ``[t_k, t_k + dt)``."""
    tau, cm, v_rest = CELL["tau_m"], CELL["cm"], CELL["v_rest"]
    jumps = np.diff(np.concatenate([[0.0], current]))
    v = np.full(t.size, v_rest)
    for k in np.nonzero(jumps)[0]:
        c = t[k]
        after = t > c + 1e-9
        v[after] += jumps[k] * tau / cm * (1 - np.exp(-(t[after] - c) / tau))
    return v


@pytest.fixture(scope="module", params=["numpy", "jax"])
def net(request):
    """Five passive cells: 0 DC (a view), 1 step (a list of IDs), 2 AC (ID.inject),
    3 noise (an Assembly), 4 DC and step together; a DC change and an AC change
    between two runs; the injected currents recorded."""
    backend = request.param
    sim.setup(timestep=DT, min_delay=DT, backend=backend, rng_seed=7)
    cells = sim.Population(5, sim.IF_curr_exp(**CELL))
    cells.initialize(v=CELL["v_rest"])
    dc, step = sim.DCSource(**DC), sim.StepCurrentSource(**STEP)
    ac, noise = sim.ACSource(**AC), sim.NoisyCurrentSource(**NOISE)
    dc.inject_into(cells[0:1])
    step.inject_into([cells[1]])
    cells[2].inject(ac)
    noise.inject_into(sim.Assembly(cells[3:4]))
    dc.inject_into(cells[4:5])
    step.inject_into(cells[4:5])
    sources = {"dc": dc, "step": step, "ac": ac, "noise": noise}
    for source in sources.values():
        source.record()
    cells.record("v")
    sim.run(FIRST)
    runner = simulator.state._runner
    dc.set_parameters(**DC_AFTER)
    ac.amplitude = 0.2
    sim.run(SECOND)
    out = {
        "backend": backend,
        "same_runner": simulator.state._runner is runner,
        "v": cells.get_data().segments[0].filter(name="v")[0],
        "i": {name: s.get_data() for name, s in sources.items()},
    }
    # after reset(): the changed parameters stay, the state starts again
    sim.reset()
    sim.run(FIRST + SECOND)
    out["v_after_reset"] = cells.get_data().segments[1].filter(name="v")[0]
    out["i_after_reset"] = dc.get_data()
    yield out
    sim.end()


def expected_currents(t):
    """The currents of the first four cells (before/after the change at FIRST)."""
    first = t < FIRST - 1e-9
    dc = np.where(first, dc_current(t, **DC), dc_current(t, **DC_AFTER))
    ac = np.where(first, ac_current(t, **AC), ac_current(t, **{**AC, "amplitude": 0.2}))
    return {"dc": dc, "step": step_current(t, **STEP), "ac": ac}


def test_recorded_currents_follow_pynn_definitions(net):
    t = np.round(np.asarray(net["v"].times), 6)
    assert t.size == int(round((FIRST + SECOND) / DT)) + 1
    for name, expected in expected_currents(t).items():
        signal = net["i"][name]
        assert signal.shape == (t.size, 1)
        assert np.allclose(np.asarray(signal.times), t)
        assert str(signal.units.dimensionality) == "nA"
        np.testing.assert_allclose(signal.magnitude[:, 0], expected, atol=1e-6, err_msg=name)
    assert net["same_runner"]  # parameter changes compiled nothing


def test_membrane_is_the_exact_solution(net):
    t = np.asarray(net["v"].times)
    v = net["v"].magnitude
    currents = expected_currents(np.round(t, 6))
    tol = TOL[net["backend"]]
    for col, name in enumerate(["dc", "step", "ac"]):
        np.testing.assert_allclose(v[:, col], passive_v(currents[name], t), atol=tol, err_msg=name)
    both = currents["dc"] + currents["step"]  # two sources into one cell add up
    np.testing.assert_allclose(v[:, 4], passive_v(both, t), atol=tol)


def test_noise(net):
    t = np.round(np.asarray(net["v"].times), 6)
    i = net["i"]["noise"].magnitude[:, 0]
    on = (t >= NOISE["start"] - 1e-9) & (t < NOISE["stop"] - 1e-9)
    assert np.all(i[~on] == 0.0)
    # one level per interval of NOISE['dt'] from start, held in between
    k = np.floor((t[on] - NOISE["start"]) / NOISE["dt"] + 1e-6).astype(int)
    levels = np.array([i[on][k == j][0] for j in np.unique(k)])
    for j in np.unique(k):
        assert np.all(i[on][k == j] == i[on][k == j][0])
    assert levels.size == 45 and np.unique(levels).size == 45
    # N(mean, stdev): the mean within 4 standard errors, the sd within 5 of its own
    assert abs(levels.mean() - NOISE["mean"]) < 4 * NOISE["stdev"] / np.sqrt(45)
    assert abs(levels.std(ddof=1) - NOISE["stdev"]) < 5 * NOISE["stdev"] / np.sqrt(90)
    # the membrane integrates exactly the current recorded
    v = net["v"].magnitude[:, 3]
    np.testing.assert_allclose(v, passive_v(i, t), atol=TOL[net["backend"]])


def test_matches_nest(net):
    """NEST 3.10's v for the same scenario; NEST applies the changed ACSource amplitude
    three steps late (its generator's value for the coming steps is already computed:
    it shows in NEST's recorded current), so AC is compared up to the change."""
    nest = np.load(DATA)
    v = net["v"].magnitude
    tol = TOL[net["backend"]] + 1e-9
    np.testing.assert_allclose(v[:, 0], nest["v"][:, 0], atol=tol)
    np.testing.assert_allclose(v[:, 1], nest["v"][:, 1], atol=tol)
    n = int(round(FIRST / DT)) + 1
    np.testing.assert_allclose(v[:n, 2], nest["v"][:n, 2], atol=tol)
    np.testing.assert_allclose(net["i"]["dc"].magnitude[:, 0], nest["i"][:, 0], atol=1e-6)
    np.testing.assert_allclose(net["i"]["step"].magnitude[:, 0], nest["i"][:, 1], atol=1e-6)


def test_reset_keeps_parameters(net):
    t = np.asarray(net["v_after_reset"].times)
    dc = dc_current(np.round(t, 6), **DC_AFTER)
    v = net["v_after_reset"].magnitude[:, 0]
    np.testing.assert_allclose(v, passive_v(dc, t), atol=TOL[net["backend"]])
    np.testing.assert_allclose(net["i_after_reset"].magnitude[:, 0], dc, atol=1e-6)


def test_parameters_and_errors():
    sim.setup(timestep=DT)
    try:
        # times mapped to the grid; of two on one grid point the last is kept (PyNN's rule)
        step = sim.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
        np.testing.assert_allclose(step.times.evaluate(), [0.4, 0.9])
        np.testing.assert_allclose(step.amplitudes.evaluate(), [-0.5, 0.5])
        dc = sim.DCSource(amplitude=0.5)
        dc.amplitude += 0.25
        assert dc.amplitude.base_value == pytest.approx(0.75)
        assert dc.get_parameters()["stop"].base_value == pytest.approx(1e12)  # the default
        with pytest.raises(ValueError, match="increasing"):
            sim.StepCurrentSource(times=[2.0, 1.0], amplitudes=[0.1, 0.2])
        with pytest.raises(ValueError, match="one amplitude per time"):
            sim.StepCurrentSource(times=[1.0, 2.0], amplitudes=[0.1])
        with pytest.raises(ValueError, match="multiple of the time step"):
            sim.NoisyCurrentSource(dt=0.25)
        with pytest.raises(ValueError, match="rng_seed"):
            sim.NoisyCurrentSource(rng=sim.NumpyRNG(1))
        spikes = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
        with pytest.raises(TypeError, match="spike source"):
            sim.DCSource().inject_into(spikes)
        with pytest.raises(ValueError, match="record"):
            sim.DCSource().get_data()
    finally:
        sim.end()
