"""brainjit.pynn's synapse types against their analytic rules, on both backends.

One network per backend (compiled once, ~8 s on numpy) holds every case; the fixture
runs it, resets it, runs it again and stores what the tests check:

- ``STDPMechanism`` + ``SpikePairRule``: spike sources paired with one postsynaptic cell
  that a strong static input makes fire once; each synapse's weight change is compared
  with PyNN's rule on the recorded spike times (all-to-all pairs, the whole delay
  dendritic: ``lag = t_post + delay - t_pre``; additive ``+-A w_max exp(-|lag|/tau)``,
  multiplicative ``A (w_max - w)`` / ``A (w - w_min)``), with two delays in one
  projection (two groups) and a synapse clipped at ``w_max``.
- ``TsodyksMarkramSynapse``: a regular presynaptic train; the jumps of the recorded
  ``gsyn_exc`` equal ``weight * u_n x_n`` of the closed-form recursion of Tsodyks, Uziel
  & Markram (2000) with ``tau_psc`` = the cell's ``tau_syn_E`` (as pyNN.nest), written
  here from the solution of the ODEs (and checked against SciPy's ODE solver).
- ``StaticSynapse``: ``get``/``set``/``save`` of weights and delays round-trip.

Tolerances: float64 on numpy (1e-9 relative), float32 on jax (weights ~5e-3 with
changes ~1e-4: 1e-8 absolute on a change; conductance jumps 1e-4 relative).
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import brainjit.pynn as sim
from brainjit import math as bm
from brainjit.pynn._plastic import tm_step

DT = 0.1
T_DRIVE = 49.0  # the driver's spike; the postsynaptic cell fires ~1 ms later
W_MAX = 0.01

# additive STDP: per presynaptic source its spike times and its delay (ms)
ADD_TRAINS = [[30.0], [43.5], [48.2], [51.0], [52.5], [57.7], [66.0], [38.0, 44.0], [45.0]]
ADD_DELAYS = [1.0, 2.5, 1.0, 2.5, 1.0, 2.5, 1.0, 2.5, 1.0]
ADD_W0 = [0.005] * 8 + [0.00998]
ADD = dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012)
# multiplicative STDP: one spike per source, delay 1.5 ms
MUL_TRAINS = [[40.0], [49.5], [53.0], [62.0]]
MUL_W0 = [0.002, 0.004, 0.006, 0.008]
MUL = dict(tau_plus=15.0, tau_minus=25.0, A_plus=0.05, A_minus=0.06)
MUL_DELAY = 1.5
# Tsodyks-Markram: a regular train, two synapse types, cells with different tau_syn_E
TM_TIMES = np.arange(10.0, 90.0, 10.0)
TM_DELAY = 1.5
TM_WEIGHT = 0.01
TM_PARAMS = dict(U=0.2, tau_rec=100.0, tau_facil=40.0)
TM_TAU_SYN = [2.0, 30.0, 100.0]  # tau_psc of each cell; 100: tau_psc == tau_rec
T_STOP = 120.0


def _build():
    """Few nodes (each one costs compilation time): one population of spike sources
    (driver, additive, multiplicative, TM), the STDP cell, the TM cells."""
    trains = [[T_DRIVE]] + ADD_TRAINS + MUL_TRAINS + [TM_TIMES]
    sources = sim.Population(len(trains), sim.SpikeSourceArray(spike_times=trains))
    n_add, n_mul = len(ADD_TRAINS), len(MUL_TRAINS)
    drv_mul = sources[[0] + list(range(1 + n_add, 1 + n_add + n_mul))]
    pre_a = sources[1 : 1 + n_add]
    pre_m = sources[1 + n_add : 1 + n_add + n_mul]
    tm_src = sources[len(trains) - 1 :]
    # one population: cell 0 the STDP cell, the others the TM targets (tau_syn_E each)
    cells = sim.Population(
        1 + len(TM_TAU_SYN),
        sim.IF_cond_exp(tau_refrac=[50.0] + [0.1] * len(TM_TAU_SYN), tau_syn_E=[5.0] + TM_TAU_SYN),
    )
    cells.record(["spikes", "gsyn_exc"])
    cell, tm_cells = cells[0:1], cells[1:]
    net = {"cell": cell}
    # static: the driver (1 uS, fires the cell ~1 ms later) and small weights from the
    # multiplicative sources
    weights = np.array([[1.0], [0.001], [0.002], [0.003], [0.004]])
    net["static"] = sim.Projection(
        drv_mul, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=weights, delay=1.0)
    )
    conns = [(i, 0, w, d) for i, (w, d) in enumerate(zip(ADD_W0, ADD_DELAYS))]
    stdp_a = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**ADD),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX),
    )
    net["add"] = sim.Projection(pre_a, cell, sim.FromListConnector(conns), stdp_a)
    stdp_m = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**MUL),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=W_MAX),
        weight=np.array(MUL_W0)[:, None],
        delay=MUL_DELAY,
    )
    net["mul"] = sim.Projection(pre_m, cell, sim.AllToAllConnector(), stdp_m)
    net["cells"] = cells
    syn = sim.TsodyksMarkramSynapse(weight=TM_WEIGHT, delay=TM_DELAY, **TM_PARAMS)
    sim.Projection(tm_src, tm_cells, sim.AllToAllConnector(), syn)
    return net


def _weights(prj):
    return np.array(prj.get("weight", format="list", with_address=False), dtype=float)


@pytest.fixture(scope="module", params=["numpy", "jax"])
def result(request, tmp_path_factory):
    sim.setup(timestep=DT, backend=request.param)
    net = _build()
    out = {"backend": request.param}
    static = net["static"]
    out["static_before"] = static.get(["weight", "delay"], format="list")
    sim.run(T_STOP)
    seg = net["cells"].get_data().segments[0]
    out["t_post"] = np.asarray(seg.spiketrains[0].magnitude)
    for key in ("add", "mul"):
        out[key] = _weights(net[key])
    sig = seg.filter(name="gsyn_exc")[0]
    out["tm"] = (np.asarray(sig.times.magnitude), np.asarray(sig.magnitude)[:, 1:])
    out["static_after_run"] = static.get(["weight", "delay"], format="list")
    sim.reset()
    out["add_reset"], out["mul_reset"] = _weights(net["add"]), _weights(net["mul"])
    sim.run(T_STOP)
    out["add_rerun"], out["mul_rerun"] = _weights(net["add"]), _weights(net["mul"])
    # set / get / save on the plastic and the static projection
    net["add"].set(weight=0.003)
    out["add_set"] = _weights(net["add"])
    w = np.arange(1.0, 6.0).reshape(5, 1) * 1e-3
    static.set(weight=w)
    out["static_set"] = (w, static.get("weight", format="array"))
    path = tmp_path_factory.mktemp("prj") / f"static_{request.param}.txt"
    static.save("all", str(path), format="list")
    out["static_saved"] = (np.loadtxt(path), static.get(["weight", "delay"], format="list"))
    sim.end()
    return out


def _tol(result):
    return 1e-12 if result["backend"] == "numpy" else 1e-8


def test_stdp_additive_pairs(result):
    t_post = result["t_post"]
    assert t_post.size == 1 and T_DRIVE + 1.0 < t_post[0] < T_DRIVE + 3.0
    expected = []
    for train, d, w0 in zip(ADD_TRAINS, ADD_DELAYS, ADD_W0):
        lag = t_post[0] + d - np.asarray(train)
        assert np.all(np.abs(lag) > DT / 2)  # no pair in one step (a convention apart)
        dw = np.where(
            lag > 0,
            ADD["A_plus"] * W_MAX * np.exp(-lag / ADD["tau_plus"]),
            -ADD["A_minus"] * W_MAX * np.exp(lag / ADD["tau_minus"]),
        ).sum()
        expected.append(np.clip(w0 + dw, 0.0, W_MAX))
    expected = np.array(expected)
    np.testing.assert_allclose(result["add"], expected, rtol=0, atol=_tol(result))
    assert result["add"][-1] == pytest.approx(W_MAX, abs=_tol(result))  # clipped at w_max
    changed = np.abs(np.asarray(result["add"]) - ADD_W0)
    assert np.all(changed[:-1] > 1e-6)  # every pair did something


def test_stdp_multiplicative_pairs(result):
    t_post = result["t_post"][0]
    lag = t_post + MUL_DELAY - np.array(MUL_TRAINS)[:, 0]
    w0 = np.array(MUL_W0)
    potentiate = MUL["A_plus"] * (W_MAX - w0) * np.exp(-lag / MUL["tau_plus"])
    depress = -MUL["A_minus"] * w0 * np.exp(lag / MUL["tau_minus"])
    expected = w0 + np.where(lag > 0, potentiate, depress)
    assert np.any(lag > 0) and np.any(lag < 0)
    np.testing.assert_allclose(result["mul"], expected, rtol=0, atol=_tol(result))


def test_plastic_weights_reset_and_rerun(result):
    np.testing.assert_allclose(result["add_reset"], ADD_W0, rtol=1e-6)
    np.testing.assert_allclose(result["mul_reset"], MUL_W0, rtol=1e-6)
    np.testing.assert_allclose(result["add_rerun"], result["add"], rtol=0, atol=_tol(result))
    np.testing.assert_allclose(result["mul_rerun"], result["mul"], rtol=0, atol=_tol(result))
    np.testing.assert_allclose(result["add_set"], 0.003, rtol=1e-6)


def tm_release_reference(intervals, U, tau_rec, tau_facil, tau_psc):
    """``u_n x_n`` (the fraction released) at each spike of a train with the given
    intervals before each spike (the first: a rested synapse), from the solution of
    dy/dt = -y/tau_psc, dz/dt = y/tau_psc - z/tau_rec, x = 1 - y - z."""
    u = y = z = 0.0
    out = []
    for h in intervals:
        if h is not None:
            e_r, e_p = np.exp(-h / tau_rec), np.exp(-h / tau_psc)
            # tau_rec / (tau_psc - tau_rec) (e_p - e_r), stable near tau_psc == tau_rec
            a = h * (tau_psc - tau_rec) / (tau_psc * tau_rec)
            ratio = 1.0 if a == 0 else np.expm1(a) / a
            z = z * e_r + y * (h / tau_psc) * e_r * ratio
            y = y * e_p
            u = u * np.exp(-h / tau_facil) if tau_facil > 0 else 0.0
        u = u + U * (1.0 - u)
        x = 1.0 - y - z
        out.append(u * x)
        y += u * x
    return np.array(out)


def test_tm_reference_matches_ode():
    """The closed form used as reference equals SciPy's integration of the ODEs."""
    U, tau_rec, tau_psc, h = 0.5, 100.0, 30.0, 10.0
    r = tm_release_reference([None, h, h], U, tau_rec, 0.0, tau_psc)
    y0 = [r[0], 0.0]  # y, z after the first release
    sol = solve_ivp(
        lambda t, s: [-s[0] / tau_psc, s[0] / tau_psc - s[1] / tau_rec],
        (0, h), y0, rtol=1e-10, atol=1e-12,
    )  # fmt: skip
    y, z = sol.y[:, -1]
    assert U * (1.0 - y - z) == pytest.approx(r[1], rel=1e-8)


def test_tsodyks_markram_train(result):
    times, g = result["tm"]
    rtol = 1e-9 if result["backend"] == "numpy" else 1e-4
    intervals = [None] + list(np.diff(TM_TIMES))
    for j, tau in enumerate(TM_TAU_SYN):
        jumps = g[1:, j] - g[:-1, j] * np.exp(-DT / tau)
        at = np.nonzero(jumps > 1e-7)[0]
        # one jump per spike, when it arrives (stamp + delay)
        np.testing.assert_allclose(times[at + 1], TM_TIMES + TM_DELAY, atol=DT / 2)
        expected = TM_WEIGHT * tm_release_reference(intervals, tau_psc=tau, **TM_PARAMS)
        np.testing.assert_allclose(jumps[at], expected, rtol=rtol)
    # the cells differ only in tau_psc, which changes the recovery
    assert not np.allclose(jumps[at], TM_WEIGHT * tm_release_reference(
        intervals, tau_psc=TM_TAU_SYN[0], **TM_PARAMS), rtol=1e-3)  # fmt: skip


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize(
    "params",
    [dict(U=0.5, tau_rec=800.0, tau_facil=0.0), dict(U=0.04, tau_rec=100.0, tau_facil=1000.0)],
)
def test_tm_step_kernel(backend, params):
    """The step kernel over irregular trains, depressing (tau_facil = 0: u = U at each
    spike) and facilitating (the parameters of PyNN's tsodyksmarkram.py), with tau_psc
    below, near and equal to tau_rec, against the reference."""
    spike_steps, dt = np.array([0, 10, 20, 45, 50, 110]), 1.0  # any dt: exact propagators
    taus = np.array([1.2, 799.99, 800.0])
    with bm.backend(backend):
        u, x, y = np.zeros(3), np.ones(3), np.zeros(3)
        released = []
        for step in range(spike_steps[-1] + 1):
            spike = np.full(3, step in spike_steps)
            u, x, y, r = (
                np.asarray(a, dtype=float)
                for a in tm_step(spike, u, x, y, taus, dt, params["U"], params["tau_rec"],
                                 params["tau_facil"])
            )  # fmt: skip
            if spike[0]:
                released.append(r)
    got = np.array(released)
    intervals = [None] + list(np.diff(spike_steps) * dt)
    rtol = 1e-9 if backend == "numpy" else 2e-4
    for j, tau in enumerate(taus):
        expected = tm_release_reference(intervals, tau_psc=tau, **params)
        np.testing.assert_allclose(got[:, j], expected, rtol=rtol)


def test_static_get_set_save(result):
    before, after = result["static_before"], result["static_after_run"]
    assert len(before) == 5  # a run leaves static weights alone (float32 on jax)
    np.testing.assert_allclose(np.array(after), np.array(before), rtol=1e-6)
    w, got = result["static_set"]
    connected = ~np.isnan(got)
    assert connected.sum() == len(before)
    np.testing.assert_allclose(got[connected], w[connected], rtol=1e-6)
    saved, listed = result["static_saved"]
    saved = np.atleast_2d(saved)
    np.testing.assert_allclose(saved[:, 2:], np.array(listed)[:, 2:], rtol=1e-6)
    np.testing.assert_array_equal(saved[:, :2], np.array(listed)[:, :2])


def test_unsupported_raise_clear_errors():
    sim.setup(timestep=DT)
    rule = sim.SpikePairRule()
    with pytest.raises(NotImplementedError, match="dendritic_delay_fraction"):
        sim.STDPMechanism(rule, sim.AdditiveWeightDependence(), dendritic_delay_fraction=0.0)
    with pytest.raises(NotImplementedError, match="not run GutigWeightDependence"):
        sim.GutigWeightDependence()
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    post = sim.Population(1, sim.IF_curr_exp())
    tm = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, weight=0.01)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), tm)
    prj.set(U=np.array([[0.2], [0.4]]))
    with pytest.raises(NotImplementedError, match="one value of 'U'"):
        sim.run(1.0)
    sim.end()
