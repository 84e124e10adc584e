"""brainjit.pynn's synapse types against their analytic rules and NEST, on both backends.

One network per backend (:func:`build` of ``benchmarks/peers/pynn_nest_synapses.py``,
compiled once: ~10 s on numpy, ~5 s on jax) holds every case; the fixture runs it,
resets it, runs it again and stores what the tests check:

- ``STDPMechanism`` + ``SpikePairRule``: spike sources paired with cells that a strong
  static input makes fire once; each final weight is compared with PyNN's rule applied
  to the recorded spike times (all-to-all pairs, the whole delay dendritic: ``lag =
  t_post + delay - t_pre``; additive ``+-A w_max exp(-|lag|/tau)``, multiplicative
  ``A (w_max - w)`` / ``A (w - w_min)``, hard bounds after each change), with two delays
  in one projection (two groups) and a synapse clipped at ``w_max``; and with NEST's
  ``stdp_synapse`` (stored).
- ``TsodyksMarkramSynapse``: a regular presynaptic train; the jumps of the recorded
  ``gsyn_exc`` equal ``weight * u_n x_n`` of the closed-form recursion of Tsodyks, Uziel
  & Markram (2000) with ``tau_psc`` = the cell's ``tau_syn_E`` (as pyNN.nest), written
  here from the solution of the ODEs (checked against SciPy's ODE solver); and the
  trace equals NEST's ``tsodyks_synapse`` (stored).
- ``StaticSynapse``: ``get``/``set``/``save`` of weights and delays round-trip.

Tolerances: float64 on numpy (weights 1e-12 absolute, conductances 1e-9 relative),
float32 on jax (weights ~5e-3: 1e-8 absolute, a few float32 roundings of the weight;
conductances 1e-4 relative). NEST computes the same equations in float64 (potentiation
applied later, at the next presynaptic spike: the same sum), so numpy agrees with it to
rounding.
"""

import importlib.util
import pathlib

import numpy as np
import pytest
from scipy.integrate import solve_ivp

pytest.importorskip("pyNN")

import brainjit.pynn as sim  # noqa: E402
from brainjit import math as bm  # noqa: E402
from brainjit.pynn._plastic import tm_step  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "pynn_nest_synapses", ROOT / "benchmarks" / "peers" / "pynn_nest_synapses.py"
)
NET = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(NET)
NEST = dict(np.load(ROOT / "tests" / "pynn" / "data" / "nest_synapses.npz"))
DT = NET.DT


@pytest.fixture(scope="module", params=["numpy", "jax"])
def result(request, tmp_path_factory):
    sim.setup(timestep=DT, min_delay=DT, backend=request.param, rng_seed=11)
    net = NET.build(sim)
    out = {"backend": request.param}
    static = net["static"]
    out["static_before"] = static.get(["weight", "delay"], format="list")
    sim.run(NET.T_STOP)
    out.update(NET.collect(net))
    out["static_after_run"] = static.get(["weight", "delay"], format="list")
    sim.reset()
    out["add_reset"], out["mul_reset"] = NET.weights(net["add"]), NET.weights(net["mul"])
    sim.run(NET.T_STOP)
    out["add_rerun"], out["mul_rerun"] = NET.weights(net["add"]), NET.weights(net["mul"])
    # new delays after a run build the groups again (from the learned weights); reset
    # still gives the weights of the first run's start
    net["add"].set(delay=2.0)
    sim.reset()
    out["add_reset_rebuilt"] = NET.weights(net["add"])
    # set / get / save on the plastic and the static projection
    net["add"].set(weight=0.003)
    out["add_set"] = NET.weights(net["add"])
    out["tm_get"] = net["tm"].get(["weight", "U"], format="list")
    net["tm"].set(weight=np.array([[0.004, 0.003, 0.002, 0.001]]))
    out["tm_set"] = NET.weights(net["tm"])
    w = np.arange(1.0, 11.0).reshape(5, 2) * 1e-3
    static.set(weight=w)
    out["static_set"] = (w, static.get("weight", format="array"))
    path = tmp_path_factory.mktemp("prj") / f"static_{request.param}.txt"
    static.save("all", str(path), format="list")
    out["static_saved"] = (np.loadtxt(path), static.get(["weight", "delay"], format="list"))
    sim.end()
    return out


def test_reset_restores_weights_after_the_groups_are_rebuilt(result):
    assert not np.allclose(result["add_rerun"], result["add_reset"])  # the run learned
    np.testing.assert_array_equal(result["add_reset_rebuilt"], result["add_reset"])


def _tol(result):
    return 1e-12 if result["backend"] == "numpy" else 1e-8


def stdp_reference(pre_times, t_post, delay, w0, rule, params):
    """PyNN's pair rule on one synapse, all-to-all: the events in the order they reach the
    synapse (presynaptic spikes at emission, postsynaptic ones ``delay`` later); at a
    postsynaptic spike potentiation by every earlier presynaptic spike, at a presynaptic
    spike depression by every earlier postsynaptic spike; clipped to [0, W_MAX] after
    each; a presynaptic and a postsynaptic spike at the same time do not pair (NEST).
    ``rule``: 'additive' or 'multiplicative'. Returns the final weight."""
    posts = np.asarray(t_post, dtype=float) + delay
    events = sorted([(t, "pre") for t in pre_times] + [(t, "post") for t in posts])
    w = w0
    for t, kind in events:
        if kind == "post":
            lag = t - np.array([s for s in pre_times if s < t])
            k = np.exp(-lag / params["tau_plus"]).sum()
            scale = NET.W_MAX if rule == "additive" else NET.W_MAX - w
            w = w + params["A_plus"] * scale * k
        else:
            lag = np.array([s for s in posts if s < t]) - t
            k = np.exp(lag / params["tau_minus"]).sum()
            scale = NET.W_MAX if rule == "additive" else w
            w = w - params["A_minus"] * scale * k
        w = min(max(w, 0.0), NET.W_MAX)
    return w


def _expected(result, key):
    if key == "add":
        trains, delays, w0, params = NET.ADD_TRAINS, NET.ADD_DELAYS, NET.ADD_W0, NET.ADD
        t_post, rule = result["t_post"][0], "additive"
    else:
        trains, w0, params = NET.MUL_TRAINS, NET.MUL_W0, NET.MUL
        delays, t_post, rule = [NET.MUL_DELAY] * len(trains), result["t_post"][1], "multiplicative"
    out = []
    for train, d, w in zip(trains, delays, w0):
        pre = list(train) + [NET.T_LATE]
        out.append(stdp_reference(pre, t_post, d, w, rule, params))
    return np.array(out)


@pytest.mark.parametrize("key", ["add", "mul"])
def test_stdp_pairs(result, key):
    for t in result["t_post"]:  # one postsynaptic spike, ~1 ms after the driver's
        assert t.size == 1 and NET.T_DRIVE + 1.0 < t[0] < NET.T_DRIVE + 3.0
    expected = _expected(result, key)
    np.testing.assert_allclose(result[key], expected, rtol=0, atol=_tol(result))
    w0 = NET.ADD_W0 if key == "add" else NET.MUL_W0
    assert np.all(np.abs(result[key] - w0) > 1e-6)  # every synapse changed
    if key == "add":  # the ninth synapse went through w_max (clipped), then depressed
        clipped = stdp_reference([NET.T_LATE], result["t_post"][0], NET.ADD_DELAYS[8],
                                 NET.W_MAX, "additive", NET.ADD)  # fmt: skip
        assert result[key][8] == pytest.approx(clipped, abs=_tol(result))
        # the last arrives with the postsynaptic spike (lag 0): only the late depression
        assert result["t_post"][0][0] + NET.ADD_DELAYS[-1] == pytest.approx(NET.ADD_TRAINS[-1][0])
        late = stdp_reference([NET.T_LATE], result["t_post"][0], NET.ADD_DELAYS[-1],
                              NET.ADD_W0[-1], "additive", NET.ADD)  # fmt: skip
        assert result[key][-1] == pytest.approx(late, abs=_tol(result))


@pytest.mark.parametrize("key", ["add", "mul"])
def test_stdp_against_nest(result, key):
    np.testing.assert_allclose(result["t_post"], NEST["t_post"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result[key], NEST[key], rtol=0, atol=_tol(result))


def test_plastic_weights_reset_and_rerun(result):
    np.testing.assert_allclose(result["add_reset"], NET.ADD_W0, rtol=1e-6)
    np.testing.assert_allclose(result["mul_reset"], NET.MUL_W0, rtol=1e-6)
    np.testing.assert_allclose(result["add_rerun"], result["add"], rtol=0, atol=_tol(result))
    np.testing.assert_allclose(result["mul_rerun"], result["mul"], rtol=0, atol=_tol(result))
    np.testing.assert_allclose(result["add_set"], 0.003, rtol=1e-6)


def test_tsodyks_markram_get_set(result):
    """Weights (kept in the group by row) and U per connection, in creation order."""
    got = np.array(result["tm_get"], dtype=float)
    np.testing.assert_array_equal(got[:, :2], [[0, j] for j in range(len(NET.TM_U))])
    np.testing.assert_allclose(got[:, 2], NET.TM_WEIGHTS, rtol=1e-6)
    np.testing.assert_allclose(got[:, 3], NET.TM_U, rtol=1e-6)
    np.testing.assert_allclose(result["tm_set"], [0.004, 0.003, 0.002, 0.001], rtol=1e-6)


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
    times, g = result["tm_times"], result["tm_gsyn"]
    rtol = 1e-9 if result["backend"] == "numpy" else 1e-4
    TM_TIMES, TM_PARAMS = NET.TM_TIMES, NET.TM_PARAMS
    intervals = [None] + list(np.diff(TM_TIMES))
    for j, (tau, U, w) in enumerate(zip(NET.TM_TAU_SYN, NET.TM_U, NET.TM_WEIGHTS)):
        jumps = g[1:, j] - g[:-1, j] * np.exp(-DT / tau)
        at = np.nonzero(jumps > 1e-7)[0]
        # one jump per spike, when it arrives (stamp + delay)
        np.testing.assert_allclose(times[at + 1], TM_TIMES + NET.TM_DELAY, atol=DT / 2)
        expected = w * tm_release_reference(intervals, U, tau_psc=tau, **TM_PARAMS)
        np.testing.assert_allclose(jumps[at], expected, rtol=rtol)
    # cells 0 and 2 differ only in tau_psc (and weight), which changes the recovery; 0
    # and 3 share their state (a row), with their own weights
    w = NET.TM_WEIGHTS
    assert not np.allclose(g[:, 0] / w[0], g[:, 2] / w[2], rtol=1e-3)
    # float32 on jax: the two traces round apart by ~1e-6 over 1200 decays (measured
    # 1.1e-6 where XLA contracts fewer multiply-adds), float64 on numpy
    rtol = 1e-9 if result["backend"] == "numpy" else 1e-5
    np.testing.assert_allclose(g[:, 0] / w[0], g[:, 3] / w[3], rtol=rtol)


def test_tsodyks_markram_against_nest(result):
    """gsyn_exc equals NEST's (tsodyks_synapse), but for the cell with tau_psc ==
    tau_rec: NEST's propagator divides by their difference (it records 0 there)."""
    keep = [0, 1, 3]
    ours, nest = result["tm_gsyn"][:, keep], NEST["tm_gsyn"][:, keep]
    assert np.all(NEST["tm_gsyn"][:, 2] == 0.0) and nest.max() > 1e-3
    rtol = 1e-9 if result["backend"] == "numpy" else 1e-5
    np.testing.assert_allclose(ours, nest, rtol=0, atol=rtol * nest.max())


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


def _transmitted(gsyn, weight=0.001, tau_syn=5.0):
    """The weight arriving in each step where one did (a conductance jump), in units of
    ``weight``, per cell."""
    jumps = (gsyn[1:] - gsyn[:-1] * np.exp(-DT / tau_syn)) / weight
    return [jumps[jumps[:, c] > 1e-4, c] for c in range(gsyn.shape[1])]


@pytest.mark.parametrize("source", ["brainjit", "nest"])
def test_simple_stochastic_synapse(result, source):
    """Cell 6: 50 synapses with p = 0.5 per spike; cell 7: 5 with p = 1 and 5 with p = 0.
    Each spike transmits a whole number of weights; over the 8 spikes the count is
    Binomial(400, 0.5): within 4 standard deviations (10) of 200 (the seed fixes it).
    NEST's bernoulli_synapse is held to the same (its own random numbers)."""
    gsyn = result["stoch_gsyn"] if source == "brainjit" else NEST["stoch_gsyn"]
    half, sure = _transmitted(gsyn)
    n = len(NET.TM_TIMES)
    assert half.size == n and sure.size == n  # every spike transmitted something
    tol = 1e-9 if result["backend"] == "numpy" or source == "nest" else 1e-4
    np.testing.assert_allclose(half, np.round(half), rtol=0, atol=tol * 50)
    np.testing.assert_allclose(sure, 5.0, rtol=tol)  # p = 1 all, p = 0 none
    assert abs(np.round(half).sum() - 200) < 40
    assert np.unique(np.round(half)).size > 1  # random, not a fixed fraction


def test_static_get_set_save(result):
    before, after = result["static_before"], result["static_after_run"]
    assert len(before) == len(NET.STATIC)  # a run leaves static weights alone
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
    stdp = sim.STDPMechanism(rule, sim.AdditiveWeightDependence(), weight=0.5)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    fraction = prj.get(["dendritic_delay_fraction", "tau_plus"], format="list", with_address=False)
    assert fraction == [(1.0, 20.0), (1.0, 20.0)]
    with pytest.raises(NotImplementedError, match="dendritic_delay_fraction is fixed"):
        prj.set(dendritic_delay_fraction=0.5)
    prj.set(tau_plus=np.array([[10.0], [20.0]]))
    with pytest.raises(NotImplementedError, match="one value of 'tau_plus'"):
        sim.run(1.0)
    sim.end()
