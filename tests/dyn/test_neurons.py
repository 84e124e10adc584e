"""Neuron models: the same trajectories on both backends, eagerly and compiled; the LIF
f–I curve against the analytic rate; HH spike times against SciPy's solve_ivp; resets,
refractory periods; bad parameters.

Cross-backend comparisons run JAX in float64 (``jax.enable_x64`` inside the test), so
the tolerances are rounding-level (rtol 1e-9); spikes must be identical.
"""

import numpy as np
import pytest
from dyn_helpers import assert_same_records, backend64, run
from scipy.integrate import solve_ivp

import brainjit as bp

N = 5
RNG = np.random.default_rng(7)

# model -> (constructor kwargs, input currents per neuron, initial V spread, dt, steps)
MODELS = {
    "LIF": (dict(V_rest=-60.0, V_reset=-65.0, V_th=-50.0, tau=10.0, t_ref=2.0), 15.0, 5.0),
    "ExpIF": (dict(t_ref=1.7), 12.0, 3.0),
    "AdEx": (dict(t_ref=0.5), 1.0, 3.0),  # Brette & Gerstner 2005; input in nA
    "Izhikevich": (dict(a=0.02, b=0.2, c=-65.0, d=8.0, t_ref=0.3), 12.0, 5.0),
    "HH": (dict(), 12.0, 2.0),
    "TraubHH": (dict(), 600.0, 2.0),
}


def build(name):
    kwargs, current, spread = MODELS[name]
    group = getattr(bp.dyn, name)(N, **kwargs)
    V0 = np.asarray(group.V) + spread * np.linspace(-1.0, 1.0, N)
    group.V[:] = V0
    drive = np.linspace(0.5, 1.5, N) * current

    def apply(model, i):
        model.input[:] = drive

    return group, apply


@pytest.mark.parametrize("name", MODELS)
def test_same_on_both_backends_eager_and_compiled(name):
    steps, dt = (200, 0.05)
    results = {}
    for backend in ("numpy", "jax"):
        for jit in (False, True):
            with backend64(backend):
                group, drive = build(name)
                results[backend, jit] = run(group, steps, dt=dt, jit=jit, drive=drive)
    reference = results["numpy", False]
    spikes = sum(int(r["spike"].sum()) for r in reference)
    assert spikes > 0, f"{name}: the test drive should make some neurons fire"
    # the input (set before every step) is cleared by each update (LIF and the HHs clear
    # it inside their fused step): here in the reference, below in every other run
    assert all(np.all(r["input"] == 0.0) for r in reference), f"{name}: input not reset"
    for key, records in results.items():
        assert_same_records(reference, records, rtol=1e-9, what=f"{name} {key}")


# -- LIF f-I curve --------------------------------------------------------------------------

TAU, T_REF, V_TH = 10.0, 2.0, 20.0
CURRENTS = np.array([10.0, 20.0, 21.0, 25.0, 30.0, 40.0, 60.0, 100.0])


class FICurve(bp.DynamicalSystem):
    """One LIF neuron per current; counts spikes and keeps the first spike time."""

    def __init__(self):
        super().__init__()
        self.group = bp.dyn.LIF(
            CURRENTS.size, V_rest=0.0, V_reset=0.0, V_th=V_TH, tau=TAU, t_ref=T_REF
        )
        self.current = CURRENTS
        self.count = bp.math.Variable(bp.math.zeros(CURRENTS.size))
        self.first = bp.math.Variable(bp.math.zeros(CURRENTS.size) - 1.0)

    def update(self, t, dt):
        self.group.input += self.current
        self.group.update(t, dt)
        first = bp.math.logical_and(self.group.spike, self.count == 0)
        self.first.value = bp.math.where(first, t, self.first)
        self.count += self.group.spike

    def run(self, n, dt):
        for i in range(n):  # a compiled loop (Numba) / lax.fori_loop (jax)
            self.update(i * dt, dt)


@pytest.mark.parametrize("dt", [0.01, 0.05])
def test_lif_fi_curve_against_analytic_rate(backend, dt):
    model = FICurve()
    n = int(round(500.0 / dt))
    bp.math.jit(model.run)(n, dt)
    count = np.asarray(model.count)
    # below threshold (R I <= V_th - V_reset): silent
    assert np.all(count[CURRENTS <= V_TH] == 0)
    above = CURRENTS > V_TH
    T = TAU * np.log(CURRENTS[above] / (CURRENTS[above] - V_TH))  # time to threshold
    rate = 1.0 / (T_REF + T)  # per ms: the analytic f-I curve
    # mean ISI after the first spike (the first spike has no refractory period before it)
    isi = (np.asarray(model.group.t_last_spike)[above] - np.asarray(model.first)[above]) / (
        count[above] - 1
    )
    # exact exponential Euler, spikes on the step grid: each ISI is t_ref plus T rounded up
    # to whole steps
    np.testing.assert_allclose(isi, T_REF + np.ceil(T / dt - 1e-9) * dt, rtol=1e-5)
    rel_err = np.abs(1.0 / isi - rate) / rate
    assert np.all(rel_err <= dt / (T_REF + T) + 1e-5), rel_err
    assert rel_err.max() < (0.0025 if dt == 0.01 else 0.012)


# -- HH against solve_ivp -------------------------------------------------------------------


def hh_rhs(t, y, current):
    V, m, h, n = y
    am = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10))
    bm = 4 * np.exp(-(V + 65) / 18)
    ah = 0.07 * np.exp(-(V + 65) / 20)
    bh = 1 / (1 + np.exp(-(V + 35) / 10))
    an = 0.01 * (V + 55) / (1 - np.exp(-(V + 55) / 10))
    bn = 0.125 * np.exp(-(V + 65) / 80)
    dV = -120 * m**3 * h * (V - 50) - 36 * n**4 * (V + 77) - 0.3 * (V + 54.387) + current
    return [dV, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def traub_rhs(t, y, current):
    V, m, h, n = y
    VT = -63.0
    am = 0.32 * (13 - V + VT) / (np.exp((13 - V + VT) / 4) - 1)
    bm = 0.28 * (V - VT - 40) / (np.exp((V - VT - 40) / 5) - 1)
    ah = 0.128 * np.exp((17 - V + VT) / 18)
    bh = 4 / (1 + np.exp((40 - V + VT) / 5))
    an = 0.032 * (15 - V + VT) / (np.exp((15 - V + VT) / 5) - 1)
    bn = 0.5 * np.exp((10 - V + VT) / 40)
    dV = (-20000 * m**3 * h * (V - 50) - 6000 * n**4 * (V + 90) - 10 * (V + 60) + current) / 200
    return [dV, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


_REFERENCES: dict = {}


def reference_spikes(case):
    """SciPy's spike times of ``HH_CASES[case]`` (computed once per module)."""
    if case not in _REFERENCES:
        cls, rhs, current, V_th, duration, _ = HH_CASES[case]
        _REFERENCES[case] = _solve_ivp_spikes(rhs, cls(1), current, duration, V_th)
    return _REFERENCES[case]


def _solve_ivp_spikes(rhs, group, current, duration, V_th):
    y0 = [float(np.asarray(x)[0]) for x in (group.V, group.m, group.h, group.n)]

    def crossing(t, y, current):
        return y[0] - V_th

    crossing.direction = 1
    sol = solve_ivp(
        rhs,
        (0, duration),
        y0,
        args=(current,),
        method="LSODA",
        rtol=1e-10,
        atol=1e-10,
        events=crossing,
    )
    return sol.t_events[0]


class SpikeTimes(bp.DynamicalSystem):
    """One neuron under a constant current; records up to 32 spike times."""

    def __init__(self, group, current):
        super().__init__()
        self.group, self.current = group, current
        self.times = bp.math.Variable(bp.math.zeros(32) - 1.0)
        self.k = bp.math.Variable(bp.math.zeros((), dtype=bp.math.int32))

    def run(self, n, dt):
        for i in range(n):
            t = i * dt
            self.group.input += self.current
            self.group.update(t, dt)
            fired = self.group.spike[0]
            self.times[self.k] = bp.math.where(fired, t, self.times[self.k])
            self.k += fired


def simulated_spikes(group, current, duration, dt):
    probe = SpikeTimes(group, current)
    bp.math.jit(probe.run)(int(round(duration / dt)), dt)
    times = np.asarray(probe.times)
    return times[: int(probe.k)]


# model, reference, current, threshold, duration (ms), bound on the exp. Euler error at dt=0.01
HH_CASES = {
    "HH": (bp.dyn.HH, hh_rhs, 10.0, 20.0, 100.0, 0.6),  # 10 uA/cm2
    "TraubHH": (bp.dyn.TraubHH, traub_rhs, 500.0, -20.0, 60.0, 1.0),  # 500 pA
}


@pytest.mark.parametrize("case", HH_CASES)
def test_hh_spike_times_against_solve_ivp(case):
    cls, _, current, _, duration, bound = HH_CASES[case]
    reference = reference_spikes(case)
    assert len(reference) >= 5
    for backend in ("numpy", "jax"):
        with backend64(backend):
            # RK4: spike times within one step (the step in which V crosses is reported)
            dt = 0.01
            times = simulated_spikes(cls(1, method="rk4"), current, duration, dt)
            assert len(times) == len(reference), (backend, times, reference)
            err = times - reference
            assert np.all(err <= 1e-6) and np.all(err >= -dt - 1e-6), (backend, err)
            # exponential Euler (the default): first order, the error halves with dt
            errors = []
            for dt in (0.01, 0.005):
                times = simulated_spikes(cls(1), current, duration, dt)
                assert len(times) == len(reference), (backend, dt, times, reference)
                errors.append(np.abs(times - reference).max())
            assert errors[0] < bound, errors
            assert 1.6 < errors[0] / errors[1] < 2.5, errors


@pytest.mark.parametrize("case", HH_CASES)
def test_hh_spike_times_in_float32(case):
    """bp.math.set_dfloat(float32) (the numpy backend computes in float32): the same
    spikes as SciPy's float64 reference, within the bound of the float64 runs."""
    cls, _, current, _, duration, bound = HH_CASES[case]
    reference = reference_spikes(case)
    bp.math.set_dfloat(bp.math.float32)
    try:
        model = cls(1)
        assert model.V.dtype == np.float32
        times = simulated_spikes(model, current, duration, 0.01)
    finally:
        bp.math.set_dfloat(None)
    assert len(times) == len(reference), (times, reference)
    assert np.abs(times - reference).max() < bound


# -- resets, refractory periods ------------------------------------------------------------


def test_lif_refractory_clamps_for_round_t_ref_over_dt_steps(backend):
    dt = 0.1
    group = bp.dyn.LIF(1, V_rest=0.0, V_reset=-5.0, V_th=1.0, tau=10.0, t_ref=0.5)
    Vs, spikes = [], []
    for i in range(40):
        group.input[:] = 1000.0  # fires as soon as it is allowed to
        group.update(i * dt, dt)
        Vs.append(float(group.V[0]))
        spikes.append(bool(group.spike[0]))
    fired = np.flatnonzero(spikes)
    # a spike, 5 clamped steps at V_reset (0.5 ms), then one step of integration that
    # crosses the threshold again: an ISI of 6 steps
    assert np.all(np.diff(fired) == 6), fired
    first = fired[0]
    assert Vs[first : first + 6] == [-5.0] * 6


def test_resets_and_jumps(backend):
    dt = 0.1
    adex = bp.dyn.AdEx(2, b=3.0, V_th=-30.0, V_reset=-68.0)
    adex.V[:] = bp.math.asarray([-29.0, -70.0])  # the first is above threshold
    w_before = np.asarray(adex.w).copy()
    adex.update(0.0, dt)
    assert list(np.asarray(adex.spike)) == [True, False]
    assert float(adex.V[0]) == -68.0
    # w integrates for the step, then jumps by b where the neuron fired
    assert float(adex.w[0]) - float(adex.w[1]) > 2.9
    assert np.all(np.asarray(adex.w) != w_before)

    izh = bp.dyn.Izhikevich(2, c=-60.0, d=5.0)
    izh.V[:] = bp.math.asarray([40.0, -65.0])
    izh.update(0.0, dt)
    assert list(np.asarray(izh.spike)) == [True, False]
    assert float(izh.V[0]) == -60.0 and float(izh.u[0]) - float(izh.u[1]) > 4.9
    assert float(izh.t_last_spike[0]) == 0.0 and float(izh.t_last_spike[1]) == -1e7

    hh = bp.dyn.HH(1)
    hh.V[:] = 30.0  # already above threshold: not an upward crossing
    hh.update(0.0, 0.01)
    assert not bool(hh.spike[0])


# (that every update clears the input, eagerly and compiled, on both backends: checked at
# every step by test_same_on_both_backends_eager_and_compiled)


def test_variables_and_sizes(backend):
    group = bp.dyn.LIF((4, 5))
    assert group.size == (4, 5) and group.num == 20
    for var in ("V", "input", "spike", "t_last_spike", "refractory"):
        assert getattr(group, var).shape == (20,)
    assert group.spike.dtype == bool
    names = ("V", "input", "spike", "t_last_spike", "refractory")
    assert set(group.vars()) == {f"{group.name}.{v}" for v in names}
    hh = bp.dyn.HH(3)
    # the gates start at their steady state at V_initial
    alpha_m = 0.1 * -25.0 / (1 - np.exp(2.5))  # at V = -65 mV
    beta_m = 4.0
    np.testing.assert_allclose(np.asarray(hh.m), alpha_m / (alpha_m + beta_m), rtol=1e-6)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: bp.dyn.LIF(3, tau=0.0), "tau must be > 0"),
        (lambda: bp.dyn.LIF(3, V_reset=25.0, V_th=20.0), "V_reset .* must be below V_th"),
        (lambda: bp.dyn.LIF(3, t_ref=-1.0), "t_ref must be >= 0"),
        (lambda: bp.dyn.ExpIF(3, delta_T=0.0), "delta_T must be > 0"),
        (lambda: bp.dyn.AdEx(3, tau_w=-2.0), "tau_w must be > 0"),
        (lambda: bp.dyn.HH(3, C=0.0), "C must be > 0"),
        (lambda: bp.dyn.LIF(0), "size must be a positive int"),
        (lambda: bp.dyn.LIF((3, -1)), "size must be a positive int"),
        (lambda: bp.dyn.LIF(2.5), "size must be a positive int"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()
