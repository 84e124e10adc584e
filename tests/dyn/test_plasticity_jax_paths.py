"""The two paths of a plastic synapse's step on the jax backend (``_Side`` in
``bp.dyn.plasticity``, its minimum size lowered): when at most ``cap`` neurons of a side
fired the hooks see the synapses of those rows only (a padded table), otherwise (a
burst) every synapse. A random CSR between two groups that fire at given times, with
steps of a few spikes and steps where every neuron fires, on both sides: the weights
after the run equal the numpy backend's (which visits exactly the synapses of the
neurons that fired) to rounding error, for additive and multiplicative STDP and a rule
with a delay.
"""

import numpy as np
import pytest
from dyn_helpers import backend64

import brainjit as bp
from brainjit.dyn import plasticity

DT = 0.1
N_PRE, N_POST, P, STEPS = 300, 200, 0.08, 400
BURSTS = (100, 250, 251)  # steps at which every neuron of both groups fires


class Target(bp.dyn.SpikeTimeGroup):
    """A postsynaptic group that fires at given times and takes (and clears) an input."""

    def __init__(self, size, indices, times):
        super().__init__(size, indices, times)
        self.V = bp.math.Variable(bp.math.zeros(self.num))
        self.input = bp.math.Variable(bp.math.zeros(self.num))

    def update(self, t, dt):
        super().update(t, dt)
        self.input[:] = 0.0


def spike_times(num, rate_hz, seed):
    """(ids, times): Poisson spikes (a few per step) plus every neuron at BURSTS."""
    rng = np.random.default_rng(seed)
    steps, ids = np.nonzero(rng.random((STEPS, num)) < rate_hz * DT / 1000.0)
    burst_steps = np.repeat(np.array(BURSTS), num)
    burst_ids = np.tile(np.arange(num), len(BURSTS))
    steps = np.concatenate([steps, burst_steps])
    ids = np.concatenate([ids, burst_ids])
    keep = np.unique(np.stack([ids, steps]), axis=1)  # one spike per neuron and step
    return keep[0], keep[1] * DT


PRE = spike_times(N_PRE, 60.0, 1)
POST = spike_times(N_POST, 60.0, 2)
CSR = np.random.default_rng(3).random((N_PRE, N_POST)) < P
W0 = 0.2 + 0.6 * np.random.default_rng(4).random(int(CSR.sum()))
RULES = {
    "additive": dict(A_plus=0.02, A_minus=0.021),
    "multiplicative": dict(A_plus=0.05, A_minus=0.05, weight_dependence="multiplicative"),
    "delay": dict(A_plus=0.02, A_minus=0.021, delay=0.5, nearest=True),
}


def run(backend):
    # a small network: take the padded-table path below its usual minimum size too
    with backend64(backend), pytest.MonkeyPatch.context() as patch:
        patch.setattr(plasticity._Side, "min_synapses", 0)
        pre, post = bp.dyn.SpikeTimeGroup(N_PRE, *PRE), Target(N_POST, *POST)
        syns = {
            name: bp.dyn.STDP(pre, post, CSR, weight=W0, tau=None, **kw)
            for name, kw in RULES.items()
        }
        net = bp.dyn.Network(**syns, pre=pre, post=post)
        runner = bp.Runner(net, monitors=["post.spike"], dt=DT, progress_bar=False)
        runner.run(STEPS * DT)
        sides = {n: (s.pre_side, s.post_side) for n, s in syns.items() if backend == "jax"}
        weights = {n: np.asarray(s.weight.value, dtype=float) for n, s in syns.items()}
    return weights, sides


@pytest.fixture(scope="module")
def results():
    return run("numpy"), run("jax")


def test_the_run_takes_both_paths_on_both_sides(results):
    _, (_, sides) = results
    for pre_side, post_side in sides.values():
        for side, (_ids, times), num in ((pre_side, PRE, N_PRE), (post_side, POST, N_POST)):
            assert side.sparse and side.cap * side.table.shape[1] < side.nnz
            counts = np.bincount(np.rint(times / DT).astype(int), minlength=STEPS)
            assert np.sum((counts > 0) & (counts <= side.cap)) > 50  # the rows that fired
            assert np.sum(counts > side.cap) >= len(BURSTS)  # every synapse
            assert counts.max() == num


@pytest.mark.parametrize("rule", list(RULES))
def test_jax_paths_give_the_numpy_weights(results, rule):
    (expected, _), (weights, _) = results
    assert np.abs(expected[rule] - W0).max() > 0.05  # the rule changed the weights
    np.testing.assert_allclose(weights[rule], expected[rule], rtol=1e-12, atol=1e-14)


def test_small_projections_take_every_synapse():
    """Below ``min_synapses`` synapses the padded table is not built (one path)."""
    indptr = np.concatenate([[0], np.cumsum(CSR.sum(axis=1))])
    indices = np.nonzero(CSR)[1]
    side = plasticity._Side(indptr, None, indices, N_PRE)
    assert indices.size < plasticity._Side.min_synapses and not side.sparse
