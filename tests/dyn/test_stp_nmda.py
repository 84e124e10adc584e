"""Tsodyks–Markram short-term plasticity (``bp.dyn.STP``) and the NMDA synapse with the
Mg²⁺ block (``bp.dyn.NMDA``), run in the Runner's compiled loop on both backends.

Independent references, written out here:

- STP: the efficacy of each spike of a regular train (20 Hz and 50 Hz; a depressing
  and a facilitating parameter set) is the closed-form recursion of Tsodyks, Pawelzik &
  Markram (1998) between spikes (``u`` and ``x`` decayed exactly over the interval),
  in NumPy; read from the model as the jump of ``g`` in the arrival step;
- NMDA: the current at clamped potentials is ``g B(V) (E - V)`` with Jahr & Stevens'
  block written out; the time course of ``g`` after one spike is SciPy's
  ``solve_ivp`` of the two ODEs;
- a small LIF network with both synapses (delays, per-synapse weights, COBA) gives the
  same records on numpy and jax (JAX in float64).

One network holds every case, so each backend compiles once (module-scoped fixture).
"""

import math

import numpy as np
import pytest
from dyn_helpers import backend64
from scipy.integrate import solve_ivp

import brainjit as bp

DT = 0.1
STEPS = 4200  # 420 ms
N_SPIKES = 8
TRAINS = {0: 20.0, 1: 50.0}  # presynaptic neuron -> rate (Hz)
FIRST = 5.0  # ms: the first spike of each train
DEP = dict(U=0.45, tau_d=750.0, tau_f=0.0, tau=5.0)  # depression only: u+ = U
FAC = dict(U=0.15, tau_d=200.0, tau_f=1500.0, tau=8.0)  # facilitating
DEP_WEIGHTS = np.array([0.7, 1.3])  # one per synapse: neuron i -> cell i
FAC_WEIGHT, FAC_DELAY = 0.9, 1.0  # ms
SINGLE, NMDA_SPIKE = 2, 2.0  # the neuron that fires once (for NMDA), when (ms)
NMDA_W, NMDA_DELAY = 0.4, 2.0  # ms
V_CLAMP = np.linspace(-100.0, 40.0, 15)  # mV: cells 2.. (cells 0 and 1 at -60 mV)
N_RANDOM, N_LIF = 30, 12  # neurons 3.. fire at random times, onto a LIF group


class Clamped(bp.dyn.NeuGroup):
    """Neurons whose V stays where it is set; each step's synaptic input is kept in
    ``I_syn`` (and ``input`` cleared), so that a monitor can read it."""

    def __init__(self, V):
        super().__init__(len(V))
        ftype = bp.math.dftype()
        self.V = bp.math.Variable(bp.math.asarray(np.asarray(V, dtype=float), dtype=ftype))
        self.input = bp.math.Variable(bp.math.zeros(self.num, dtype=ftype))
        self.I_syn = bp.math.Variable(bp.math.zeros(self.num, dtype=ftype))
        self.spike = bp.math.Variable(bp.math.zeros(self.num, dtype=bool))
        self.t_last_spike = bp.math.Variable(bp.math.zeros(self.num, dtype=ftype) - 1e7)

    def update(self, t, dt):
        self.I_syn[:] = self.input
        self.input[:] = 0.0


def csr(pairs, pre_num):
    """(indptr, indices) of the synapses ``pairs`` [(pre, post), ...], sorted by pre."""
    pairs = sorted(pairs)
    counts = np.bincount([p for p, _ in pairs], minlength=pre_num)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return indptr, np.array([q for _, q in pairs], dtype=np.int32)


def build():
    """One network with every case (one compile per backend): a spike source (neurons 0
    and 1: the regular trains; 2: one spike; 3..: random), clamped cells (0, 1: the STP
    targets; 2..: NMDA at the potentials V_CLAMP) and a LIF group."""
    rng = np.random.default_rng(7)
    ids, times = [SINGLE], [NMDA_SPIKE]
    for neuron, rate in TRAINS.items():
        ids += [neuron] * N_SPIKES
        times += list(FIRST + np.arange(N_SPIKES) * 1000.0 / rate)
    ids += list(3 + rng.integers(0, N_RANDOM, 600))
    times += list(rng.uniform(0.0, STEPS * DT, 600))
    n_pre = 3 + N_RANDOM
    source = bp.dyn.SpikeTimeGroup(n_pre, ids, times)
    cells = Clamped(np.concatenate([[-60.0, -60.0], V_CLAMP]))
    trains = csr([(0, 0), (1, 1)], n_pre)
    dep = bp.dyn.STP(source, cells, trains, weight=DEP_WEIGHTS, **DEP)
    fac = bp.dyn.STP(source, cells, trains, weight=FAC_WEIGHT, delay=FAC_DELAY, **FAC)
    to_clamp = csr([(SINGLE, 2 + k) for k in range(V_CLAMP.size)], n_pre)
    nmda = bp.dyn.NMDA(source, cells, to_clamp, weight=NMDA_W, delay=NMDA_DELAY)

    # a small LIF network: the random spikes onto LIF neurons through STP (COBA, delay,
    # per-synapse weights) and NMDA (delay)
    lif = bp.dyn.LIF(N_LIF, V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=2.0)
    dense = bp.conn.FixedProb(0.4, seed=3)(N_RANDOM, N_LIF).require("conn_mat")
    pairs = [(3 + int(i), int(j)) for i, j in zip(*np.nonzero(dense))]
    conn = csr(pairs, n_pre)
    w = rng.uniform(0.5, 1.5, len(pairs))
    stp_net = bp.dyn.STP(source, lif, conn, weight=w, output="coba", E=0.0, delay=0.5, U=0.3,
                         tau_d=100.0, tau_f=300.0, tau=5.0)  # fmt: skip
    nmda_net = bp.dyn.NMDA(source, lif, conn, weight=0.05 * w, delay=1.5, cc_Mg=1.0)
    return bp.Network(
        source=source, cells=cells, dep=dep, fac=fac, nmda=nmda, lif=lif, stp_net=stp_net,
        nmda_net=nmda_net,
    )  # fmt: skip


MONITORS = [
    "source.spike", "dep.g", "dep.u", "dep.x", "fac.g", "fac.u", "fac.x", "nmda.g",
    "nmda.x", "cells.I_syn", "lif.V", "lif.spike", "stp_net.g", "stp_net.u", "nmda_net.g",
]  # fmt: skip


@pytest.fixture(scope="module")
def records():
    out = {}
    for backend in ("numpy", "jax"):
        with backend64(backend):
            net = build()
            runner = bp.Runner(net, monitors=MONITORS, dt=DT, progress_bar=False)
            runner.run(STEPS * DT)
            out[backend] = {key: np.array(runner.mon[key]) for key in MONITORS}
    return out


def tm_recursion(n, interval, U, tau_d, tau_f):
    """Tsodyks-Markram for ``n`` spikes ``interval`` ms apart, from rest (u = 0, x = 1):
    the efficacies ``u+ x-`` and the values just after each spike."""
    u, x = 0.0, 1.0
    efficacy, u_after, x_after = [], [], []
    for k in range(n):
        if k:
            u *= math.exp(-interval / tau_f) if tau_f > 0 else 0.0
            x = 1.0 - (1.0 - x) * math.exp(-interval / tau_d)
        u = u + U * (1.0 - u)  # u jumps first
        efficacy.append(u * x)  # the release uses the new u and the old x
        x = x - u * x
        u_after.append(u)
        x_after.append(x)
    return np.array(efficacy), np.array(u_after), np.array(x_after)


def jumps(g, tau):
    """The increment of ``g`` in each step, beyond its exponential decay."""
    previous = np.concatenate([np.zeros((1,) + g.shape[1:]), g[:-1]])
    return g - previous * math.exp(-DT / tau)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("name", ["dep", "fac"])
def test_tsodyks_markram_train_follows_the_recursion(records, backend, name):
    rec = records[backend]
    params = DEP if name == "dep" else FAC
    delay_steps = int(round(FAC_DELAY / DT)) if name == "fac" else 0
    inc = jumps(rec[f"{name}.g"], params["tau"])
    for neuron, rate in TRAINS.items():
        fired = np.flatnonzero(rec["source.spike"][:, neuron])
        assert fired.size == N_SPIKES and np.all(np.diff(fired) == round(1000.0 / rate / DT))
        arrival = fired + 1 + delay_steps  # one step to the synapse, then the delay
        interval = 1000.0 / rate
        efficacy, u_after, x_after = tm_recursion(N_SPIKES, interval, params["U"],
                                                  params["tau_d"], params["tau_f"])  # fmt: skip
        weight = DEP_WEIGHTS[neuron] if name == "dep" else FAC_WEIGHT
        np.testing.assert_allclose(inc[arrival, neuron], weight * efficacy, rtol=1e-9)
        quiet = np.ones(STEPS, bool)
        quiet[arrival] = False
        assert np.abs(inc[quiet, neuron]).max() < 1e-12  # nothing else arrives
        np.testing.assert_allclose(rec[f"{name}.u"][arrival, neuron], u_after, rtol=1e-9)
        np.testing.assert_allclose(rec[f"{name}.x"][arrival, neuron], x_after, rtol=1e-9)
        # the regime of the parameter set: later spikes weaker (dep) or stronger (fac)
        assert (efficacy[-1] < 0.5 * efficacy[0]) if name == "dep" else (efficacy[2] > efficacy[0])


def mg_block(V, mg=1.2):
    """Jahr & Stevens (1990): the unblocked fraction at V (mV), [Mg2+] in mM."""
    return 1.0 / (1.0 + mg / 3.57 * np.exp(-0.062 * V))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_nmda_current_voltage_curve_is_the_mg_block(records, backend):
    rec = records[backend]
    g = rec["nmda.g"][:, SINGLE]
    current = rec["cells.I_syn"][:, 2:]
    assert g.max() > 0.1
    expected = NMDA_W * g[:, None] * mg_block(V_CLAMP) * (0.0 - V_CLAMP)
    np.testing.assert_allclose(current, expected, rtol=1e-9, atol=1e-13)
    # the curve's shape: no current at E = 0, inward below it, largest near -25 mV
    peak = np.argmax(g)
    iv = current[peak]
    at_zero = np.isclose(V_CLAMP, 0.0)
    assert at_zero.sum() == 1 and abs(iv[at_zero][0]) < 1e-12
    assert np.all(iv[V_CLAMP < 0] > 0) and np.all(iv[V_CLAMP > 0] < 0)
    assert -40.0 < V_CLAMP[np.argmax(iv)] < -10.0
    assert abs(mg_block(math.log(1.2 / 3.57) / 0.062) - 0.5) < 1e-12  # half block


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_nmda_time_course_matches_solve_ivp(records, backend):
    rec = records[backend]
    syn = bp.dyn.NMDA(bp.dyn.LIF(1), bp.dyn.LIF(1), bp.conn.All2All())
    tau_decay, tau_rise, a = syn.tau_decay, syn.tau_rise, syn.a
    fired = np.flatnonzero(rec["source.spike"][:, SINGLE])
    assert fired.tolist() == [round(NMDA_SPIKE / DT)]
    arrival = fired[0] + 1 + round(NMDA_DELAY / DT)
    g, x = rec["nmda.g"][:, SINGLE], rec["nmda.x"][:, SINGLE]
    assert np.all(g[: arrival + 1] == 0.0) and np.all(x[:arrival] == 0.0) and x[arrival] == 1.0

    def rhs(t, y):
        g, x = y
        return [-g / tau_decay + a * x * (1.0 - g), -x / tau_rise]

    s = (np.arange(arrival, STEPS) - arrival) * DT
    ref = solve_ivp(rhs, (0.0, s[-1]), [0.0, 1.0], t_eval=s, method="DOP853", rtol=1e-11,
                    atol=1e-14).y  # fmt: skip
    # RK4 at dt = 0.1 ms
    np.testing.assert_allclose(g[arrival:], ref[0], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(x[arrival:], ref[1], rtol=1e-6, atol=1e-9)
    assert 5.0 < (np.argmax(g) - arrival) * DT < 30.0  # rises in ms, decays in 100s of ms


def test_numpy_and_jax_agree_on_a_network(records):
    a, b = records["numpy"], records["jax"]
    assert a["lif.spike"].sum() > 10 and a["stp_net.u"].max() > 0.3
    assert np.array_equal(a["lif.spike"], b["lif.spike"])
    for key in MONITORS:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-10, err_msg=key)


# -- eagerly, in each backend's default precision -------------------------------------------


def test_depression_only_and_eager_steps(backend):
    """tau_f = 0: u+ = U at every spike (no facilitation); eager updates, float32 on JAX."""
    pre = bp.dyn.SpikeTimeGroup(1, [0, 0, 0, 0], [0.0, 2.0, 4.0, 6.0])
    post = Clamped([-60.0])
    syn = bp.dyn.STP(pre, post, bp.conn.All2All(), U=0.5, tau_d=10.0, tau_f=0.0, tau=3.0,
                     weight=2.0, dt=0.5)  # fmt: skip
    g = []
    for i in range(16):
        syn.update(i * 0.5, 0.5)
        pre.update(i * 0.5, 0.5)
        g.append(float(np.asarray(syn.g)[0]))
    g = np.array(g)
    inc = g - np.concatenate([[0.0], g[:-1]]) * math.exp(-0.5 / 3.0)
    efficacy, u_after, _ = tm_recursion(4, 2.0, 0.5, 10.0, 0.0)
    assert np.all(u_after == 0.5)
    expected = np.zeros(16)
    expected[[1, 5, 9, 13]] = 2.0 * efficacy
    rtol = 1e-5 if backend == "jax" else 1e-12
    np.testing.assert_allclose(inc, expected, rtol=rtol, atol=1e-5 if backend == "jax" else 1e-13)


@pytest.mark.parametrize(
    "cls, kwargs, error, match",
    [
        (bp.dyn.STP, dict(U=1.5), ValueError, r"STP STP\d+: U must be in \(0, 1\]"),
        (bp.dyn.STP, dict(U=0.0), ValueError, "U must be > 0"),
        (bp.dyn.STP, dict(tau_f=-1.0), ValueError, "tau_f must be >= 0"),
        (bp.dyn.STP, dict(tau_d=0.0), ValueError, "tau_d must be > 0"),
        (bp.dyn.STP, dict(U=np.ones(3)), TypeError, "U must be one number"),
        (bp.dyn.NMDA, dict(output="cuba"), ValueError, "must be 'coba'"),
        (bp.dyn.NMDA, dict(cc_Mg=-1.0), ValueError, "cc_Mg must be >= 0"),
        (bp.dyn.NMDA, dict(tau_rise=0.0), ValueError, "tau_rise must be > 0"),
        (bp.dyn.NMDA, dict(beta=0.0), ValueError, "beta must be > 0"),
    ],
)
def test_bad_parameters(cls, kwargs, error, match):
    cells = bp.dyn.LIF(3)
    with pytest.raises(error, match=match):
        cls(cells, cells, bp.conn.All2All(), **kwargs)
