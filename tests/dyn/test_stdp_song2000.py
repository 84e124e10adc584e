"""The network of examples/stdp_song2000.py (Song, Miller & Abbott 2000: Poisson inputs,
additive STDP, one conductance-based LIF neuron) against a hand-written NumPy simulation
of the same equations, driven by the same input spikes.

The inputs are a ``SpikeTimeGroup`` replaying one Poisson draw (the same on both
backends). The reference follows the step order documented in ``bp.dyn.plasticity``
and ``bp.dyn.Network``: synapses first (transmit with the weights before this step's
changes, decay the traces, depress on arriving presynaptic spikes, potentiate on the
neuron's spikes of the previous step, clip), then the inputs, then the neuron (exact
step with the input held). Large amplitudes (``a_rel``) so that weights reach both
bounds within the short run. Both backends must give the reference's neuron spikes
exactly and its weights to rounding error (jax in float64).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from dyn_helpers import backend64

import brainjit as bp

ROOT = Path(__file__).resolve().parents[2]
DT = 0.1
STEPS = 2000  # 200 ms
NUM_INPUTS, RATE, GMAX, A_REL, SEED = 100, 25.0, 0.12, 0.2, 3


def load_example():
    spec = importlib.util.spec_from_file_location(
        "stdp_song2000", ROOT / "examples" / "stdp_song2000.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


song = load_example()


def input_spikes():
    """One Poisson draw: a (steps, inputs) boolean array, spike in step k at t = k dt."""
    rng = np.random.default_rng(SEED + 100)
    return rng.random((STEPS, NUM_INPUTS)) < RATE * DT / 1000.0


def reference(spikes):
    """NumPy simulation of the example's equations: (neuron's spike steps, final w)."""
    w = np.random.default_rng(SEED).uniform(0.0, GMAX, NUM_INPUTS)
    a_plus = A_REL * GMAX
    a_minus = a_plus * song.TAU_PRE / song.TAU_POST * song.RATIO
    decay_g, decay_m = np.exp(-DT / song.TAUE), np.exp(-DT / song.TAUM)
    decay_pre, decay_post = np.exp(-DT / song.TAU_PRE), np.exp(-DT / song.TAU_POST)
    g = 0.0
    V = song.VR
    x_pre, x_post = np.zeros(NUM_INPUTS), 0.0
    pre_prev, post_prev = np.zeros(NUM_INPUTS, bool), False
    post_steps = []
    for k in range(STEPS):
        # the synapses: transmit, decay the traces, then the spikes' weight changes
        g = g * decay_g + w[pre_prev].sum()
        current = g * (song.EE - V)
        x_pre *= decay_pre
        x_post *= decay_post
        w[pre_prev] = np.clip(w[pre_prev] - a_minus * x_post, 0.0, GMAX)
        x_pre[pre_prev] += 1.0
        if post_prev:
            w = np.clip(w + a_plus * x_pre, 0.0, GMAX)
            x_post += 1.0
        # the inputs, then the neuron (exact step, no refractory period)
        V_inf = song.EL + current
        V = V_inf + (V - V_inf) * decay_m
        post = V >= song.VT
        if post:
            V = song.VR
            post_steps.append(k)
        pre_prev, post_prev = spikes[k], post
    return np.array(post_steps), w


def simulate(spikes):
    """The example's network with the inputs replayed: (neuron's spike steps, final w)."""
    steps, ids = np.nonzero(spikes)
    inputs = bp.dyn.SpikeTimeGroup(NUM_INPUTS, ids, steps * DT)
    net = song.song_network(seed=SEED, gmax=GMAX, a_rel=A_REL, inputs=inputs)
    runner = bp.Runner(net, monitors=["neuron.spike"], dt=DT, progress_bar=False)
    runner.run(STEPS * DT)
    times, _ = runner.mon.spike_events("neuron.spike")
    return np.rint(times / DT).astype(int), np.asarray(net.syn.weight.value, dtype=float)


@pytest.fixture(scope="module")
def expected():
    spikes = input_spikes()
    return spikes, *reference(spikes)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_song_network_equals_numpy_reference(backend, expected):
    spikes, ref_steps, ref_w = expected
    # the run exercises what it should: the neuron fires, weights reach both bounds
    assert len(ref_steps) >= 10
    assert np.any(ref_w == 0.0) and np.any(ref_w == GMAX)
    with backend64(backend):
        steps, w = simulate(spikes)
    np.testing.assert_array_equal(steps, ref_steps)
    np.testing.assert_allclose(w, ref_w, rtol=0, atol=1e-12 * GMAX)


def test_weight_stats_match_numpy_histogram():
    w = np.array([0.0, 0.0005, 0.001, 0.005, 0.0095, 0.01])
    stats = song.weight_stats(w, wmax=0.01, bins=10)
    assert stats["frac_low"] == pytest.approx(2 / 6)  # below 0.1 gmax
    assert stats["frac_high"] == pytest.approx(2 / 6)  # above 0.9 gmax
    assert stats["mean_rel"] == pytest.approx(w.mean() / 0.01)
    assert stats["hist"] == np.histogram(w / 0.01, bins=10, range=(0, 1))[0].tolist()
    centres, rates = song.rate_over_time(np.array([1.0, 2.0, 600.0]), 1000.0, bins=2)
    np.testing.assert_allclose(centres, [0.25, 0.75])
    np.testing.assert_allclose(rates, [4.0, 2.0])  # 2 spikes in 0.5 s, 1 in 0.5 s
