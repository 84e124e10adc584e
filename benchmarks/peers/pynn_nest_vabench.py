"""NEST's statistics of the small Vogels-Abbott networks that
``tests/pynn/test_examples_pynn.py`` runs through ``brainjit.pynn``: stored in
``tests/pynn/data/nest_vabench_small.npz`` (the tests compare against it; NEST is not
needed in CI).

    /tmp/nestvenv/bin/python benchmarks/peers/pynn_nest_vabench.py    # NEST 3.10 + PyNN 0.13

The networks are ``benchmarks/pynn_vabench.py``'s ``build_network`` (PyNN's
``examples/VAbenchmarks.py``) with 400 cells and p = 0.2 (80 inputs per cell, as the
benchmark's 4000 cells with p = 0.02), 200 ms, dt = 0.1 ms, NEST on the grid
(``spike_precision='on_grid'``), one thread. The connectivity and the initial potentials
come from PyNN's NumpyRNG (seed 98765), so brainjit builds the same network.

Stored: the sizes of the E->E, E->I, I->E and I->I projections; CUBA (no random input:
deterministic) the spike count of every cell, excitatory then inhibitory; COBA (its 20
Poisson sources draw from the simulator's generator) the mean rates and ISI CVs of the
excitatory and inhibitory cells for ``SEEDS`` seeds of NEST's generator, so that the
tests know the spread that the Poisson input alone makes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import pynn_vabench as vb  # noqa: E402

N, TSTOP = 400, 200.0
PCONN = 0.02 * 4000 / N
SEEDS = range(1, 21)
OUT = ROOT / "tests" / "pynn" / "data" / "nest_vabench_small.npz"


def run(benchmark: str, seed: int):
    import pyNN.nest as sim

    sim.setup(**vb.setup_arguments("nest", seed)[1])
    exc, inh, prj = vb.build_network(sim, benchmark, n=N, pconn=PCONN)
    sizes = np.array([prj[key].size() for key in ("e2e", "e2i", "i2e", "i2i")])
    sim.run(TSTOP)
    stats = vb.spike_statistics(exc, 0.0, TSTOP) + vb.spike_statistics(inh, 0.0, TSTOP)
    counts = np.concatenate(
        [[len(st) for st in pop.get_data("spikes").segments[0].spiketrains] for pop in (exc, inh)]
    )
    sim.end()
    return np.array(stats), counts, sizes


def main() -> None:
    import nest

    _, cuba_counts, sizes = run("CUBA", 1)
    coba = np.array([run("COBA", seed)[0] for seed in SEEDS])  # rate E, CV E, rate I, CV I
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        OUT,
        n=N,
        pconn=PCONN,
        tstop=TSTOP,
        sizes=sizes,
        cuba_counts=cuba_counts,
        coba_stats=coba,
        coba_seeds=np.array(list(SEEDS)),
        nest_version=nest.__version__,
    )
    print(f"CUBA: {cuba_counts.sum()} spikes; COBA over {len(SEEDS)} seeds:")
    for name, col in zip(("rate E", "CV E", "rate I", "CV I"), coba.T):
        print(f"  {name}: mean {col.mean():.3f}, sd {col.std(ddof=1):.3f}, "
              f"range {col.min():.3f}-{col.max():.3f}")  # fmt: skip
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
