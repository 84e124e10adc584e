"""How brainjit's run time grows with the network: COBA and COBAHH at N = 4000, 16,000
and 64,000 (p = 0.02 / scale: about 80 synapses per neuron at every size, so the
synapses grow as the neurons), measured side by side in one process.

    python benchmarks/growth.py                 # all variants; writes section 'growth'
    python benchmarks/growth.py --no-write --variants numpy --networks coba

Single runs of a large network on this shared machine vary by 20-30%, and the ratio of
two sizes measured minutes apart (``compare.py --scales``) carries both errors. Here
each variant (backend and float width) runs in a process of its own, which builds the
network at the three sizes (``examples/coba.py`` and ``examples/cobahh.py``, monitors of
every spike, compiled once each) and then runs them in turn, round after round, each
run about the same wall time. Medians over the rounds; the ratios compare medians of
the same rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALES = (1, 4, 16)
VARIANTS = ("numpy", "numpy-float32", "jax")
NETWORKS = ("coba", "cobahh")
ROUNDS = 30
WALL_PER_RUN = 0.25  # seconds of wall time per run and size (runs of whole steps)


def measure(network: str, variant: str, rounds: int) -> dict:
    """µs per step at each size, per round (in this process)."""
    import brainjit as bp

    bp.math.use_backend(variant.split("-")[0])
    bp.math.set_dfloat(bp.math.float32 if variant.endswith("float32") else None)
    spec = importlib.util.spec_from_file_location(network, ROOT / "examples" / f"{network}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    runners, durations = {}, {}
    for scale in SCALES:
        _, runner = module.build(scale, 42, progress_bar=False)
        runner.run(20.0)  # compiles; a first stretch of activity
        runner.run(10.0)
        per_step = runner.run_time / 100
        durations[scale] = max(1.0, round(WALL_PER_RUN / per_step / 10))  # ms
        runners[scale] = runner
    samples = {scale: [] for scale in SCALES}
    for _ in range(rounds):
        for scale, runner in runners.items():
            runner.run(durations[scale])
            samples[scale].append(runner.run_time / (durations[scale] * 10) * 1e6)
    return samples


def child(network: str, variant: str, rounds: int) -> dict:
    """Run :func:`measure` in a fresh process (backends and float widths are global)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["NUMBA_NUM_THREADS"] = "1"
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import growth; "
        f"print('RESULT', json.dumps(growth.measure({network!r}, {variant!r}, {rounds})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return {int(k): v for k, v in json.loads(line[len("RESULT ") :]).items()}


def row(network: str, variant: str, samples: dict) -> str:
    med = {scale: statistics.median(v) for scale, v in samples.items()}
    lo, hi = min(SCALES), max(SCALES)
    cells = " | ".join(f"{med[s]:.1f}" for s in SCALES)
    steps = " | ".join(f"x{med[b] / med[a]:.1f}" for a, b in zip(SCALES, SCALES[1:]))
    per_round = [b / a / (hi / lo) for a, b in zip(samples[lo], samples[hi])]
    q1, _, q3 = statistics.quantiles(per_round, n=4)
    return (
        f"| {network.upper()} | {variant} | {cells} | {steps} | x{med[hi] / med[lo]:.1f} "
        f"| {med[hi] / med[lo] / (hi / lo):.2f} ({q1:.2f}-{q3:.2f}) |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    sizes = " | ".join(f"N = {4000 * s:,} µs" for s in SCALES)
    pairs = " | ".join(f"{4000 * a:,} -> {4000 * b:,}" for a, b in zip(SCALES, SCALES[1:]))
    header = [
        f"| network | variant | {sizes} | {pairs} | 4,000 -> 64,000 "
        "| per synapse: 64,000 / 4,000 (rounds' middle half) |",
        "|---|---|" + "---:|" * (2 * len(SCALES) + 1),
    ]
    rows = []
    for network in args.networks:
        for variant in args.variants:
            rows.append(row(network, variant, child(network, variant, args.rounds)))
            print(rows[-1], flush=True)
    table = "\n".join(header + rows)
    print(table)
    if args.no_write:
        return
    from _results import machine, write_section

    command = "python benchmarks/growth.py" + (" " + " ".join(argv) if argv else "")
    doc = __doc__.split("Single runs", 1)[1]
    write_section(
        "growth",
        f"""## Growth with the network's size (`benchmarks/growth.py`)

Command: `{command}` — {time.strftime("%Y-%m-%d")}, {machine()}; {args.rounds} rounds.

Single runs{doc}
Microseconds per step (median), the growth from one size to the next (4x the neurons
and the synapses), and the time per synapse at N = 64,000 against N = 4000 (1.00:
linear in the synapses; below 1: less than linear), with the middle half of the same
ratio taken round by round (the spread this machine's noise gives it).

{table}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'growth')")


if __name__ == "__main__":
    main(sys.argv[1:])
