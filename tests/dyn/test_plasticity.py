"""Plastic synapses (bp.dyn.PlasticSynapse, STDP, TripletSTDP) against independent
references, on both backends, inside the Runner's compiled loop.

One network per backend, compiled once (module-scoped fixture), holds every case: the
same presynaptic and postsynaptic spike trains (``SpikeTimeGroup``s, spikes at exact
steps) drive, one to one, STDP (additive all-to-all; nearest-spike with a delay and
hard bounds; multiplicative), triplet STDP and a rule written in the test with the
base class's hooks; and random spike trains drive 10 LIF neurons through STDP (the
comparison of the backends). Few distinct synapses, so that Numba compiles little.
The reference is an event-by-event computation in plain Python with
the traces in closed form (sums of exponentials over the earlier spikes, not the
per-step decay of the implementation): exact spike pairs at several lags, triplets,
random trains. The jax backend runs in float64 so that the two backends can also be
compared with each other to rounding error.
"""

import math

import numpy as np
import pytest
from dyn_helpers import backend64

import brainjit as bp

DT = 0.1
STEPS = 1200
EVERY = 5  # monitor_every of the weight monitor
T0 = 20.0  # ms: the first spike of the pair patterns
LAGS = [-40.0, -12.5, -3.0, -0.5, 0.0, 0.4, 3.0, 12.5, 40.0]  # ms: t_post - t_pre
DELAY = 1.5  # ms
N_IN = 50  # the random trains onto LIF neurons
LIF_PARAMS = dict(V_rest=-65.0, V_reset=-65.0, V_th=-50.0, tau=10.0, t_ref=2.0, V_initial=-65.0)


def _patterns():
    """(pre spike times, post spike times) in ms of each neuron pair, on the grid."""
    out = [([T0 + 40.0], [T0 + 40.0 + lag]) for lag in LAGS]
    t = T0
    out += [
        ([t, t + 10.0], [t + 20.0]),  # pre pre post
        ([t + 20.0], [t, t + 10.0]),  # post post pre
        ([t], [t + 10.0, t + 20.0]),  # pre post post
        ([t + 5.0], [t, t + 25.0]),  # post pre post
    ]
    rng = np.random.default_rng(7)
    for _ in range(6):  # random trains, 4-8 spikes each, distinct steps
        pre = np.sort(rng.choice(np.arange(100, 1000), rng.integers(4, 9), replace=False))
        post = np.sort(rng.choice(np.arange(100, 1000), rng.integers(4, 9), replace=False))
        out.append((list(pre * DT), list(post * DT)))
    return out


PATTERNS = _patterns()
N = len(PATTERNS)


def _to_group(trains):
    ids = np.concatenate([np.full(len(ts), i) for i, ts in enumerate(trains)])
    times = np.concatenate([np.asarray(ts, float) for ts in trains])
    return ids, times


class Target(bp.dyn.SpikeTimeGroup):
    """A postsynaptic group that fires at given times and takes (and clears) an input."""

    def __init__(self, size, indices, times):
        super().__init__(size, indices, times)
        self.V = bp.math.Variable(bp.math.zeros(self.num))
        self.input = bp.math.Variable(bp.math.zeros(self.num))

    def update(self, t, dt):
        super().update(t, dt)
        self.input[:] = 0.0


class Hebb(bp.dyn.PlasticSynapse):
    """A rule of one's own (the one in docs/plasticity.md): on a postsynaptic spike
    ``w += eta * x`` (``x`` a trace of the presynaptic spikes, ``tau_x`` ms); on the
    arrival of a presynaptic spike ``w -= decay * w``."""

    def __init__(self, pre, post, conn, eta=0.01, decay=0.002, tau_x=30.0, **kwargs):
        super().__init__(pre, post, conn, **kwargs)
        self.eta, self.decay, self.tau_x = eta, decay, tau_x
        self.x = bp.math.Variable(bp.math.zeros(pre.num))

    def on_step(self, t, dt):
        self.x.value = self.x * bp.math.exp(-dt / self.tau_x)

    def on_pre(self, spikes, w, pre, post, t, dt):
        self.x.value = self.x + spikes
        return w - self.decay * w

    def on_post(self, spikes, w, pre, post, t, dt):
        return w + self.eta * self.x[pre]


STDP_CASES = {  # the rule's parameters (also those of the reference)
    "add": dict(A_plus=0.01, A_minus=0.012, tau_plus=17.0, tau_minus=34.0),
    "nearest_delay_bounds": dict(
        A_plus=0.01,
        A_minus=0.012,
        tau_plus=17.0,
        tau_minus=34.0,
        nearest=True,
        delay=DELAY,
        w_min=0.49,
        w_max=0.508,
    ),  # fmt: skip
    "mult": dict(
        A_plus=0.05,
        A_minus=0.04,
        weight=0.3,
        w_min=0.1,
        w_max=0.9,
        weight_dependence="multiplicative",
    ),  # fmt: skip
}
# the synapse of every case: exponential and conductance-based (shared compiled code)
SYNAPSE = dict(tau=5.0, output="coba", E=0.0)
TRIPLET = dict(A2_plus=5e-3, A3_plus=6.2e-3, A2_minus=7e-3, A3_minus=2.3e-3, delay=1.0)


def _build():
    pre_ids, pre_times = _to_group([p for p, _ in PATTERNS])
    post_ids, post_times = _to_group([q for _, q in PATTERNS])
    pre = bp.dyn.SpikeTimeGroup(N, pre_ids, pre_times)
    post = Target(N, post_ids, post_times)
    syns = {}
    for key, kw in STDP_CASES.items():
        syns[key] = bp.dyn.STDP(pre, post, bp.conn.One2One(), **SYNAPSE, **kw)
    syns["triplet"] = bp.dyn.TripletSTDP(pre, post, bp.conn.One2One(), **SYNAPSE, **TRIPLET)
    syns["hebb"] = Hebb(pre, post, bp.conn.One2One(), weight=0.5, delay=0.3, **SYNAPSE)
    # random trains (distinct steps per neuron) onto 10 LIF neurons through a random CSR
    rng = np.random.default_rng(3)
    flat = rng.choice(N_IN * (STEPS - 1), size=800, replace=False)
    inputs = bp.dyn.SpikeTimeGroup(N_IN, flat % N_IN, (flat // N_IN) * DT)
    lif = bp.dyn.LIF(10, **LIF_PARAMS)
    conn = bp.conn.FixedProb(0.5, seed=11)
    syns["lif_stdp"] = bp.dyn.STDP(inputs, lif, conn, **SYNAPSE, **STDP_CASES["add"])
    # transmission: STDP that does not change its weights onto a copy of the LIF group,
    # a static Exponential synapse (same weights, tau, output) onto another
    lifs = [bp.dyn.LIF(10, **LIF_PARAMS) for _ in range(2)]
    frozen = dict(STDP_CASES["add"], A_plus=0.0, A_minus=0.0)
    conn = bp.conn.FixedProb(0.5, seed=11)
    syns["frozen"] = bp.dyn.STDP(inputs, lifs[0], conn, **SYNAPSE, **frozen)
    conn = bp.conn.FixedProb(0.5, seed=11)
    static = bp.dyn.Exponential(inputs, lifs[1], conn, weight=0.5, **SYNAPSE)
    net = bp.Network(syns, static, pre=pre, post=post, inputs=inputs, lif=lif, lif_frozen=lifs[0],
                     lif_static=lifs[1])  # fmt: skip
    input_trains = [list(np.sort(flat[flat % N_IN == i] // N_IN) * DT) for i in range(N_IN)]
    return net, syns, input_trains


def _run(backend):
    net, syns, input_trains = _build()
    monitors = {"w": ("add.weight", [0, 4, 8, 12]), "spikes": "lif.spike",
                "V_frozen": "lif_frozen.V", "V_static": "lif_static.V"}  # fmt: skip
    runner = bp.Runner(net, monitors=monitors, monitor_every=EVERY, dt=DT, progress_bar=False)
    runner.run(STEPS * DT)
    weights = {key: np.asarray(s.weight, dtype=float).copy() for key, s in syns.items()}
    mon = {k: np.asarray(v).copy() for k, v in runner.mon.items()}
    csr = {key: (np.asarray(s.indptr), np.asarray(s.indices)) for key, s in syns.items()}
    spikes = runner.mon.spike_events("spikes")
    ts = np.asarray(runner.mon.ts).copy()
    return dict(weights=weights, mon=mon, ts=ts, csr=csr, lif_spikes=spikes, inputs=input_trains)


_RESULTS: dict = {}


def _results(backend):
    """The run on ``backend`` (jax: float64), compiled and run once per module."""
    if backend not in _RESULTS:
        with backend64(backend):
            _RESULTS[backend] = _run(backend)
    return _RESULTS[backend]


@pytest.fixture(scope="module", params=["numpy", "jax"])
def result(request):
    return request.param, _results(request.param)


# -- the reference: events in order, traces in closed form ------------------------------
def _steps(times, shift):
    """The step in which the synapse handles each spike: emitted in step round(t / dt),
    seen by the synapse in the next step, ``shift`` steps later still (the delay)."""
    return sorted(int(round(t / DT)) + 1 + shift for t in times)


def _trace(steps, s, tau, nearest, inclusive):
    before = [k for k in steps if (k <= s if inclusive else k < s)]
    if not before:
        return 0.0
    if nearest:
        return math.exp(-(s - before[-1]) * DT / tau)
    return sum(math.exp(-(s - k) * DT / tau) for k in before)


def ref_stdp(pre_times, post_times, *, weight=0.5, tau_plus=20.0, tau_minus=20.0,
             A_plus=0.005, A_minus=0.00525, w_min=0.0, w_max=1.0, nearest=False,
             weight_dependence="additive", delay=0.0, upto=None):  # fmt: skip
    """The weight after every event handled up to step ``upto`` (default: all)."""
    mult = weight_dependence == "multiplicative"
    pre = _steps(pre_times, int(round(delay / DT)))
    post = _steps(post_times, 0)
    w = weight
    for s in sorted(set(pre) | set(post)):
        if upto is not None and s > upto:
            break
        if s in pre:  # depression with the postsynaptic spikes before this step
            y = _trace(post, s, tau_minus, nearest, inclusive=False)
            w = min(max(w - A_minus * y * ((w - w_min) if mult else 1.0), w_min), w_max)
        if s in post:  # potentiation with the presynaptic arrivals up to this step
            x = _trace(pre, s, tau_plus, nearest, inclusive=True)
            w = min(max(w + A_plus * x * ((w_max - w) if mult else 1.0), w_min), w_max)
    return w


def ref_triplet(pre_times, post_times, *, weight=0.5, tau_plus=16.8, tau_x=101.0,
                tau_minus=33.7, tau_y=125.0, A2_plus=5e-10, A3_plus=6.2e-3, A2_minus=7e-3,
                A3_minus=0.0, w_min=0.0, w_max=1.0, delay=0.0):  # fmt: skip
    pre = _steps(pre_times, int(round(delay / DT)))
    post = _steps(post_times, 0)
    w = weight
    for s in sorted(set(pre) | set(post)):
        if s in pre:
            o1 = _trace(post, s, tau_minus, False, inclusive=False)
            r2 = _trace(pre, s, tau_x, False, inclusive=False)
            w = min(max(w - o1 * (A2_minus + A3_minus * r2), w_min), w_max)
        if s in post:
            r1 = _trace(pre, s, tau_plus, False, inclusive=True)
            o2 = _trace(post, s, tau_y, False, inclusive=False)
            w = min(max(w + r1 * (A2_plus + A3_plus * o2), w_min), w_max)
    return w


def ref_hebb(pre_times, post_times, weight=0.5, eta=0.01, decay=0.002, tau_x=30.0, delay=0.3):
    pre = _steps(pre_times, int(round(delay / DT)))
    post = _steps(post_times, 0)
    w = weight
    for s in sorted(set(pre) | set(post)):
        if s in pre:
            w -= decay * w
        if s in post:
            w += eta * _trace(pre, s, tau_x, False, inclusive=True)
    return w


TOL = dict(rtol=0, atol=1e-12)  # both backends in float64: rounding error only


# -- the tests --------------------------------------------------------------------------
W_LO, W_HI = 0.49, 0.508  # the hard bounds of "nearest_delay_bounds"


def _bounded(dw):
    """The change of a weight 0.5 by ``dw`` within [W_LO, W_HI]."""
    return np.clip(0.5 + np.asarray(dw), W_LO, W_HI) - 0.5


def test_pair_at_each_lag_is_the_analytic_window(result):
    backend, res = result
    for key, delay in (("add", 0.0), ("nearest_delay_bounds", DELAY)):
        dw = res["weights"][key][: len(LAGS)] - 0.5
        lag = np.array(LAGS) - delay  # lag = t_post - (t_pre + delay)
        expected = np.where(lag >= 0, 0.01 * np.exp(-lag / 17.0), -0.012 * np.exp(lag / 34.0))
        if key != "add":
            expected = _bounded(expected)
        np.testing.assert_allclose(dw, expected, err_msg=f"{backend} {key}", **TOL)
    # the same step counts as pre before post: potentiation by A_plus exactly
    assert res["weights"]["add"][LAGS.index(0.0)] == pytest.approx(0.51, abs=1e-14)


def test_hard_bounds_stop_the_weight_exactly(result):
    backend, res = result
    w = res["weights"]["nearest_delay_bounds"]
    # lags 0 and 0.4 ms arrive 1.1-1.5 ms after the post spike: -0.0115 > 0.01 -> w_min;
    # lag 3 ms (1.5 after the arrival): +0.0092 > 0.008 -> w_max
    assert w[LAGS.index(0.0)] == W_LO and w[LAGS.index(0.4)] == W_LO
    assert w[LAGS.index(3.0)] == W_HI
    assert w.min() >= W_LO and w.max() <= W_HI


def test_nearest_and_all_to_all_on_triplets_of_spikes(result):
    backend, res = result
    tp, tm, ap, am, d = 17.0, 34.0, 0.01, 0.012, DELAY
    k = len(LAGS)
    e = math.exp
    all_to_all = [  # no delay
        ap * (e(-10 / tp) + e(-20 / tp)),  # pre pre post: both pre spikes
        -am * (e(-10 / tm) + e(-20 / tm)),  # post post pre: both post spikes
        ap * (e(-10 / tp) + e(-20 / tp)),  # pre post post
        -am * e(-5 / tm) + ap * e(-20 / tp),  # post pre post
    ]
    b = _bounded
    nearest = [  # the presynaptic spikes arrive DELAY ms later; each step within bounds
        b(ap * e(-(10 - d) / tp)),  # only the nearest pre spike
        b(-am * e(-(10 + d) / tm)),  # only the nearest post spike
        b(b(ap * e(-(10 - d) / tp)) + ap * e(-(20 - d) / tp)),  # post: no reset of x_pre
        b(b(-am * e(-(5 + d) / tm)) + ap * e(-(20 - d) / tp)),
    ]
    assert nearest[2] == W_HI - 0.5  # the second potentiation stops at w_max
    got_all = res["weights"]["add"][k : k + 4] - 0.5
    got_near = res["weights"]["nearest_delay_bounds"][k : k + 4] - 0.5
    np.testing.assert_allclose(got_all, all_to_all, **TOL)
    np.testing.assert_allclose(got_near, nearest, **TOL)


@pytest.mark.parametrize("key", list(STDP_CASES))
def test_stdp_matches_the_event_reference_on_every_train(result, key):
    backend, res = result
    kw = STDP_CASES[key]
    expected = [ref_stdp(p, q, **kw) for p, q in PATTERNS]
    np.testing.assert_allclose(res["weights"][key], expected, err_msg=f"{backend} {key}",
                               **TOL)  # fmt: skip


def test_multiplicative_pairs_are_soft_bounded(result):
    backend, res = result
    w = res["weights"]["mult"][: len(LAGS)]
    lag = np.array(LAGS)
    # soft bounds: potentiation in proportion to w_max - w, depression to w - w_min
    pot = 0.05 * (0.9 - 0.3) * np.exp(-lag / 20.0)
    dep = -0.04 * (0.3 - 0.1) * np.exp(lag / 20.0)
    np.testing.assert_allclose(w - 0.3, np.where(lag >= 0, pot, dep), **TOL)


def test_triplet_matches_the_event_reference(result):
    backend, res = result
    expected = [ref_triplet(p, q, **TRIPLET) for p, q in PATTERNS]
    np.testing.assert_allclose(res["weights"]["triplet"], expected, **TOL)


def test_triplet_pairs_and_pre_post_post_are_analytic(result):
    backend, res = result
    a2p, a3p, a2m, tp, tm, ty = 5e-3, 6.2e-3, 7e-3, 16.8, 33.7, 125.0
    # a single pair (presynaptic arrival 1 ms after the spike): the pair terms only
    lag = np.array(LAGS) - 1.0
    expected = np.where(lag >= 0, a2p * np.exp(-lag / tp), -a2m * np.exp(lag / tm))
    got = res["weights"]["triplet"][: len(LAGS)] - 0.5
    np.testing.assert_allclose(got, expected, **TOL)
    # pre at t (arriving 1 ms later), post at t+10 and t+20: lags 9 and 19 ms
    got = res["weights"]["triplet"][len(LAGS) + 2] - 0.5
    expected = a2p * math.exp(-9 / tp) + math.exp(-19 / tp) * (a2p + a3p * math.exp(-10 / ty))
    assert got == pytest.approx(expected, abs=1e-14)


def test_a_rule_of_ones_own(result):
    backend, res = result
    expected = [ref_hebb(p, q) for p, q in PATTERNS]
    np.testing.assert_allclose(res["weights"]["hebb"], expected, **TOL)
    # a single pair: each arrival (0.3 ms after the spike) scales w by 1 - decay, and a
    # post spike after it adds eta exp(-lag / tau_x)
    lag = np.array(LAGS) - 0.3
    expected = -0.5 * 0.002 + np.where(lag >= 0, 0.01 * np.exp(-lag / 30.0), 0.0)
    np.testing.assert_allclose(res["weights"]["hebb"][: len(LAGS)] - 0.5, expected,
                               **TOL)  # fmt: skip


def test_weights_are_monitored_every_k_steps(result):
    backend, res = result
    w, ts = res["mon"]["w"], res["ts"]
    assert w.shape == (STEPS // EVERY, 4)
    np.testing.assert_allclose(ts, np.arange(0, STEPS, EVERY) * DT, atol=1e-9)
    for col, i in enumerate([0, 4, 8, 12]):
        p, q = PATTERNS[i]
        kw = STDP_CASES["add"]
        expected = [ref_stdp(p, q, upto=int(round(t / DT)), **kw) for t in ts]
        np.testing.assert_allclose(w[:, col], expected, **TOL)
    np.testing.assert_array_equal(w[-1], res["weights"]["add"][[0, 4, 8, 12]])


def test_stdp_on_a_random_csr_onto_lif_neurons(result):
    """Many synapses per neuron on both sides (the event-driven selection on the CSR and
    its transpose), postsynaptic spikes from LIF neurons driven by the plastic synapses
    (their conductances): every synapse's weight equals the reference on its spike
    trains (the LIF spikes as recorded)."""
    backend, res = result
    indptr, indices = res["csr"]["lif_stdp"]
    t_post, i_post = res["lif_spikes"]
    assert t_post.size > 20 and np.unique(i_post).size > 5  # the LIF neurons fire
    assert np.diff(indptr).mean() > 3 and np.bincount(indices).min() > 10
    expected = [
        ref_stdp(res["inputs"][i], list(t_post[i_post == j]), **STDP_CASES["add"])
        for i in range(N_IN)
        for j in indices[indptr[i] : indptr[i + 1]]
    ]
    np.testing.assert_allclose(res["weights"]["lif_stdp"], expected, **TOL)
    assert np.abs(res["weights"]["lif_stdp"] - 0.5).max() > 1e-3  # the rule did something


def test_transmission_is_a_static_synapses(result):
    """A plastic synapse transmits as the static synapse of the same kind: STDP whose
    amplitudes are 0 and bp.dyn.Exponential drive two LIF groups to the same voltages."""
    backend, res = result
    V, V_static = res["mon"]["V_frozen"], res["mon"]["V_static"]
    assert np.ptp(V_static) > 10.0  # driven to threshold
    np.testing.assert_array_equal(V, V_static)
    np.testing.assert_array_equal(res["weights"]["frozen"], 0.5)


def test_both_backends_give_the_same_weights():
    a, b = _results("numpy"), _results("jax")
    assert a["mon"]["spikes"].sum() > 20  # the LIF neurons fire
    np.testing.assert_array_equal(a["mon"]["spikes"], b["mon"]["spikes"])
    assert np.abs(a["weights"]["lif_stdp"] - 0.5).max() > 1e-3  # the rule did something
    for key in a["weights"]:
        np.testing.assert_allclose(a["weights"][key], b["weights"][key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "cls, kwargs, error, match",
    [
        (bp.dyn.STDP, dict(w_min=0.5, w_max=0.5), ValueError, r"w_min \(0.5\) must be smaller"),
        (bp.dyn.STDP, dict(weight=1.5), ValueError, r"initial weights must lie in \[w_min"),
        (bp.dyn.STDP, dict(weight_dependence="soft"), ValueError, "'additive' or 'multiplicative'"),
        (bp.dyn.STDP, dict(nearest=1), TypeError, "nearest must be True or False"),
        (bp.dyn.STDP, dict(tau_plus=0.0), ValueError, "tau_plus"),
        (bp.dyn.STDP, dict(A_minus=-0.1), ValueError, "A_minus"),
        (bp.dyn.STDP, dict(tau=-1.0), ValueError, "tau"),
        (bp.dyn.TripletSTDP, dict(tau_y=-5.0), ValueError, "tau_y"),
        (bp.dyn.TripletSTDP, dict(A3_plus=-1.0), ValueError, "A3_plus"),
        (bp.dyn.TripletSTDP, dict(w_max=0.2), ValueError, r"initial weights must lie"),
    ],
)
def test_bad_parameters_are_clear_errors(cls, kwargs, error, match):
    pre = bp.dyn.SpikeTimeGroup(2, [0], [1.0])
    post = Target(2, [1], [2.0])
    with pytest.raises(error, match=match):
        cls(pre, post, bp.conn.All2All(), **kwargs)


def test_post_without_spikes_is_a_clear_error():
    pre = bp.dyn.SpikeTimeGroup(2, [0], [1.0])
    post = bp.dyn.SpikeTimeGroup(2, [0], [1.0])
    post.V = bp.math.Variable(bp.math.zeros(2))
    post.input = bp.math.Variable(bp.math.zeros(2))
    del post.spike
    with pytest.raises(ValueError, match="has no spike Variable"):
        Hebb(pre, post, bp.conn.All2All())
