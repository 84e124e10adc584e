"""Time to build connectivity (CSR) with bp.conn, from 4,000 to 100,000 neurons.

    .venv/bin/python benchmarks/conn_build.py            # print the table
    .venv/bin/python benchmarks/conn_build.py --write    # and update benchmarks/RESULTS.md

Each case is built ``--repeat`` times (median reported) with a fixed seed; the peak
memory of one build is measured separately with tracemalloc (NumPy reports its
allocations to it). Only the "## Connectivity build" section of RESULTS.md is touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import brainjit as bp  # noqa: E402

CASES = [
    ("FixedProb(p=0.02)", 4_000, lambda: bp.conn.FixedProb(0.02, seed=1)),
    ("FixedProb(p=0.02)", 16_000, lambda: bp.conn.FixedProb(0.02, seed=1)),
    ("FixedProb(p=0.001)", 100_000, lambda: bp.conn.FixedProb(0.001, seed=1)),
    (
        "FixedProb(p=0.001, include_self=False)",
        100_000,
        lambda: bp.conn.FixedProb(0.001, include_self=False, seed=1),
    ),
    ("FixedPostNum(100)", 100_000, lambda: bp.conn.FixedPostNum(100, seed=1)),
    ("FixedPreNum(100)", 100_000, lambda: bp.conn.FixedPreNum(100, seed=1)),
]
SECTION = "## Connectivity build"


class _RowLoopBaseline:
    """Reference only: the per-neuron loop a naive builder runs (one Bernoulli row per
    presynaptic neuron, N random numbers each): O(N^2) work."""

    def __init__(self, prob, seed):
        self.prob, self.seed = prob, seed

    def __call__(self, pre, post):
        rng = np.random.default_rng(self.seed)
        rows = [np.nonzero(rng.random(post) < self.prob)[0] for _ in range(pre)]
        self.indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
        self.indices = np.concatenate(rows).astype(np.int32)
        self.num_synapses = int(self.indptr[-1])
        return self


BASELINES = [
    ("baseline: Python loop over rows (p=0.02)", 4_000, lambda: _RowLoopBaseline(0.02, 1)),
    ("baseline: Python loop over rows (p=0.02)", 16_000, lambda: _RowLoopBaseline(0.02, 1)),
]


def measure(make, n, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn = make()(n, n)
        times.append(time.perf_counter() - start)
    synapses = conn.num_synapses
    del conn
    tracemalloc.start()
    conn = make()(n, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result_bytes = conn.indptr.nbytes + conn.indices.nbytes
    return statistics.median(times), min(times), synapses, peak, result_bytes


def table(rows) -> str:
    lines = [
        "| builder | N (pre = post) | synapses | build time, median (min) "
        "| peak memory | CSR size |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, n, (med, best, syn, peak, size) in rows:
        lines.append(
            f"| {name} | {n:,} | {syn:,} | {med:.3f} s ({best:.3f} s) | "
            f"{peak / 2**20:,.0f} MiB | {size / 2**20:,.0f} MiB |"
        )
    return "\n".join(lines)


def _extrapolate(rows) -> float:
    """The row-loop baseline's time at N = 100,000, from its largest measured N."""
    name, n, (med, *_rest) = [r for r in rows if r[0].startswith("baseline")][-1]
    return med * (100_000 / n) ** 2


def write_section(text: str, path: Path) -> None:
    """Replace (or append) our section of RESULTS.md, leaving the others alone."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = old.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = "\n".join(lines[:start] + text.rstrip("\n").splitlines() + lines[end:]) + "\n"
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    bp.conn.FixedProb(0.1, seed=0)(100, 100)  # warm up imports
    rows = []
    for name, n, make in CASES + BASELINES:
        rows.append((name, n, measure(make, n, args.repeat)))
        med, best, syn, peak, size = rows[-1][2]
        print(
            f"{name:40s} N={n:>7,}  {syn:>12,} synapses  {med:7.3f} s  peak {peak / 2**20:6.0f} MiB"
        )
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    text = "\n".join(
        [
            SECTION,
            "",
            "Command: `.venv/bin/python benchmarks/conn_build.py --write` "
            f"(median of {args.repeat} builds, fixed seed; {machine}; single-threaded NumPy, "
            "shared machine).",
            "",
            table(rows),
            "",
            "Peak memory is the largest NumPy allocation total during one build "
            "(tracemalloc), CSR size the final `indptr` + `indices` (int32). The baseline "
            "(a Python loop drawing one Bernoulli row per neuron) grows as N^2: at 100,000 "
            f"neurons it would take about {_extrapolate(rows):.0f} s (extrapolated, not run).",
            "",
        ]
    )
    print()
    print(table(rows))
    if args.write:
        write_section(text, Path(__file__).resolve().parent / "RESULTS.md")
        print("\nwrote the section to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
