"""The built-in models' defaults are the published models their docstrings cite, checked
against independent references written out here:

- HH: Hodgkin & Huxley (1952) in the modern convention rests at -65 mV; the resting
  potential is found with SciPy (``brentq`` on the steady-state current balance, the
  textbook rate functions written out below), and the simulated model settles there;
- AdEx: Brette & Gerstner (2005), Table 1 (regular spiking), in the paper's own units
  (pF, nS, pA) integrated with SciPy's ``solve_ivp``; the model (mV, ms, MOhm, nA) must
  give the same spike times for a 1 nA step;
- AMPA, GABAa: the rate constants of Destexhe, Mainen & Sejnowski (1994);
- TraubHH: the COBAHH benchmark (Brette et al. 2007) per unit area, times its area.
"""

import inspect
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import brainjit as bp


def defaults(cls):
    return {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


# -- Hodgkin-Huxley 1952 (modern convention: rest at -65 mV) -------------------------------

HH_1952 = dict(ENa=50.0, gNa=120.0, EK=-77.0, gK=36.0, EL=-54.387, gL=0.3, C=1.0)


def hh_rates(V):
    """The textbook rates (per ms, V in mV), e.g. Dayan & Abbott (2001), sec. 5.6."""
    am = 0.1 * (V + 40.0) / (1.0 - math.exp(-(V + 40.0) / 10.0))
    bm = 4.0 * math.exp(-(V + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(V + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(V + 35.0) / 10.0))
    an = 0.01 * (V + 55.0) / (1.0 - math.exp(-(V + 55.0) / 10.0))
    bn = 0.125 * math.exp(-(V + 65.0) / 80.0)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def steady_current(V, p=HH_1952):
    """The total membrane current at V with every gate at its steady state."""
    m, h, n = hh_rates(V)
    return (
        p["gNa"] * m**3 * h * (V - p["ENa"])
        + p["gK"] * n**4 * (V - p["EK"])
        + p["gL"] * (V - p["EL"])
    )


def test_hh_1952_reference_rests_at_minus_65():
    rest = brentq(steady_current, -75.0, -60.0, xtol=1e-12)
    assert abs(rest - (-65.0)) < 0.1, rest


def test_hh_defaults_are_the_1952_model():
    got = {key: defaults(bp.dyn.HH)[key] for key in HH_1952}
    assert got == HH_1952


class Relax(bp.DynamicalSystem):
    """Steps a group ``n`` times with no input."""

    def __init__(self, group):
        super().__init__()
        self.group = group

    def run(self, n, dt):
        for i in range(n):
            self.group.update(i * dt, dt)


def test_hh_rests_at_the_reference_resting_potential(backend):
    rest = brentq(steady_current, -75.0, -60.0, xtol=1e-12)
    group = bp.dyn.HH(2, V_initial=-60.0)  # starts away from rest (gates at -60 mV)
    group.V[:] = bp.math.asarray([-60.0, -70.0])
    bp.math.jit(Relax(group).run)(3000, 0.05)  # 150 ms without input, one compiled loop
    V = np.asarray(group.V, dtype=float)
    np.testing.assert_allclose(V, rest, atol=0.01)
    assert np.all(np.abs(V - (-65.0)) < 0.1), V
    assert not np.any(np.asarray(group.spike))


# -- AdEx, Brette & Gerstner (2005) --------------------------------------------------------

# Table 1 of the paper (regular spiking), in its units: pF, nS, mV, ms, nA -> pA
BG = dict(C=281.0, gL=30.0, EL=-70.6, VT=-50.4, DeltaT=2.0, tauw=144.0, a=4.0, b=80.5)
V_CUT = BG["VT"] + 5 * BG["DeltaT"]  # the spike cut of Brian's example of the paper


def adex_reference_spikes(I_pA, duration):
    """Spike times (ms) of the AdEx neuron of the paper under a constant current,
    integrated with solve_ivp from reset to reset (V = EL and w += b at V_CUT)."""
    p = BG

    def rhs(t, y):
        V, w = y
        dV = (
            -p["gL"] * (V - p["EL"])
            + p["gL"] * p["DeltaT"] * np.exp((V - p["VT"]) / p["DeltaT"])
            - w
            + I_pA
        ) / p["C"]
        return [dV, (p["a"] * (V - p["EL"]) - w) / p["tauw"]]

    def cut(t, y):
        return y[0] - V_CUT

    cut.terminal, cut.direction = True, 1
    t, y, spikes = 0.0, [p["EL"], 0.0], []
    while t < duration:
        sol = solve_ivp(rhs, (t, duration), y, events=cut, rtol=1e-10, atol=1e-10, method="LSODA")
        if not sol.t_events[0].size:
            break
        t = float(sol.t_events[0][0])
        spikes.append(t)
        y = [p["EL"], float(sol.y_events[0][0][1]) + p["b"]]
    return np.array(spikes)


def test_adex_defaults_give_the_spike_train_of_brette_gerstner_2005():
    duration, dt = 100.0, 0.005
    reference = adex_reference_spikes(1000.0, duration)  # 1 nA
    assert 4 <= reference.size <= 30, reference
    group = bp.dyn.AdEx(1, method="rk4")
    times = []
    for i in range(int(round(duration / dt))):
        group.input[:] = 1.0  # nA
        group.update(i * dt, dt)
        if bool(group.spike[0]):
            times.append(i * dt)
    times = np.array(times)
    assert times.size == reference.size, (times, reference)
    # the step in which V crosses is reported; a reset up to one step late per spike
    err = times - reference
    assert np.all(np.abs(err) <= dt * (2 + np.arange(times.size))), (err, reference)


def test_adex_rests_at_EL_with_the_paper_time_constant():
    d = defaults(bp.dyn.AdEx)
    assert d["V_rest"] == BG["EL"] and d["V_T"] == BG["VT"] and d["delta_T"] == BG["DeltaT"]
    assert math.isclose(d["tau"], BG["C"] / BG["gL"])  # 9.37 ms
    assert d["V_reset"] == BG["EL"] and d["V_th"] == V_CUT


# -- synapses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, published",
    [
        # alpha (1/(mM ms)), beta (1/ms), E (mV), transmitter pulse T (mM), duration (ms)
        (bp.dyn.AMPA, dict(alpha=1.1, beta=0.19, E=0.0, T=1.0, T_duration=1.0)),
        (bp.dyn.GABAa, dict(alpha=5.0, beta=0.18, E=-80.0, T=1.0, T_duration=1.0)),
    ],
)
def test_kinetic_synapses_have_destexhe_1994_rates(cls, published):
    got = {key: defaults(cls)[key] for key in published}
    assert got == published


def test_traub_hh_defaults_are_the_cobahh_benchmark():
    area = 20000e-8  # cm2 (20000 um2)
    per_area = dict(C=1.0e6, gL=5e-5 * 1e9, gNa=100e-3 * 1e9, gK=30e-3 * 1e9)  # pF, nS per cm2
    d = defaults(bp.dyn.TraubHH)
    for key, value in per_area.items():
        assert math.isclose(d[key], value * area), (key, d[key], value * area)
    assert (d["ENa"], d["EK"], d["EL"], d["VT"]) == (50.0, -90.0, -60.0, -63.0)
