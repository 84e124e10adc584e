"""PyNN's VAbenchmarks example (``benchmarks/pynn_vabench.py``) through ``brainjit.pynn``,
small: 400 cells, p = 0.2 (80 inputs per cell, as 4000 cells with p = 0.02), 200 ms.
COBA on the numpy backend and CUBA on jax (each backend and each cell type once: a
numpy compilation of both networks alone would cost about 15 s of CPU).

References: NEST 3.10 through pyNN.nest on the same networks (the connectivity and the
initial potentials come from PyNN's NumpyRNG, so every simulator builds the same one),
stored by ``benchmarks/peers/pynn_nest_vabench.py`` in ``data/nest_vabench_small.npz``:

- the projections' sizes: equal (the same connector draws);
- CUBA has no random input, its cells fire (``v_rest`` above threshold) and interact
  through exponential currents integrated exactly, as NEST's ``iaf_psc_exp``: the spike
  count of every cell equals NEST's (at most 1% of the cells off by one: float32 on jax,
  a spike on the other side of a step boundary);
- COBA is driven at first by 20 Poisson sources that draw from each simulator's own
  generator, so only its statistics can agree: the mean rates and ISI CVs lie within
  3.5 standard deviations of NEST's mean over 20 seeds of its generator (the spread of
  the Poisson input alone), and the network neither falls silent nor runs away.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import brainjit.pynn as sim

ROOT = Path(__file__).resolve().parents[2]
DATA = np.load(Path(__file__).parent / "data" / "nest_vabench_small.npz")
N, TSTOP, PCONN = int(DATA["n"]), float(DATA["tstop"]), float(DATA["pconn"])
CASES = {"COBA": "numpy", "CUBA": "jax"}  # benchmark: backend


def _load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "pynn_vabench", ROOT / "benchmarks" / "pynn_vabench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vb = _load_benchmark()


def _counts(*populations) -> np.ndarray:
    return np.concatenate(
        [[len(st) for st in p.get_data("spikes").segments[0].spiketrains] for p in populations]
    )


@pytest.fixture(scope="module")
def results():
    """Each case's statistics, spike counts and projection sizes (run once per module)."""
    out = {}
    for bench, backend in CASES.items():
        sim.setup(**vb.setup_arguments(f"brainjit-{backend}", 7)[1])
        exc, inh, prj = vb.build_network(sim, bench, n=N, pconn=PCONN)
        sim.run(TSTOP)
        stats = vb.spike_statistics(exc, 0.0, TSTOP) + vb.spike_statistics(inh, 0.0, TSTOP)
        sizes = [prj[key].size() for key in ("e2e", "e2i", "i2e", "i2i")]
        out[bench] = (np.array(stats), _counts(exc, inh), np.array(sizes))
        sim.end()
    return out


@pytest.mark.parametrize("bench", list(CASES))
def test_same_network_as_nest(results, bench):
    np.testing.assert_array_equal(results[bench][2], DATA["sizes"])


def test_cuba_spike_counts_equal_nest(results):
    counts = results["CUBA"][1]
    nest = DATA["cuba_counts"]
    assert nest.sum() > N  # the reference fires: most cells more than once
    off = np.abs(counts - nest)
    assert off.max() <= 1
    assert np.count_nonzero(off) <= 0.01 * N


def test_coba_statistics_in_nest_spread(results):
    stats = results["COBA"][0]  # rate E, CV E, rate I, CV I
    ref = DATA["coba_stats"]
    mean, sd = ref.mean(axis=0), ref.std(axis=0, ddof=1)
    z = (stats - mean) / sd
    assert np.all(np.abs(z) <= 3.5), (stats, mean, sd)
    assert 1.0 < stats[0] < 50.0 and 1.0 < stats[2] < 50.0  # neither silent nor runaway


def test_delay_groups_reproduce_connections():
    """The synapse groups (one CSR per delay, built by one sort) hold exactly the
    projection's connections: (pre, post, weight, delay) as a multiset."""
    from pyNN.random import NumpyRNG, RandomDistribution

    sim.setup(timestep=0.1, min_delay=0.1, backend="numpy")
    rng = NumpyRNG(seed=3)
    a = sim.Population(30, sim.IF_curr_exp())
    b = sim.Population(20, sim.IF_curr_exp())
    syn = sim.StaticSynapse(
        weight=RandomDistribution("uniform", (0.1, 1.0), rng=rng),
        delay=RandomDistribution("uniform", (0.1, 0.6), rng=rng),
    )
    prj = sim.Projection(a, b, sim.FixedProbabilityConnector(0.3, rng=rng), syn)
    expected = sorted(
        (int(i), int(j), round(w, 12), round(d, 9))
        for i, j, w, d in prj.get(["weight", "delay"], format="list")
    )
    got = []
    for node in prj._brainjit_nodes():
        indptr, indices = np.asarray(node.indptr), np.asarray(node.indices)
        pre = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
        # within a row the targets are in ascending order (CSR order)
        for row in range(indptr.size - 1):
            assert np.all(np.diff(indices[indptr[row] : indptr[row + 1]]) >= 0)
        weight = np.asarray(node.weight.value)
        delay = node.delay_steps * 0.1
        got += [(int(i), int(j), round(float(w), 12), round(delay, 9))
                for i, j, w in zip(pre, indices, weight)]  # fmt: skip
    sim.end()
    assert len(expected) > 100
    assert sorted(got) == expected
