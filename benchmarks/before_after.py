"""COBA and COBAHH run time of this checkout against an earlier commit, side by side.

    python benchmarks/before_after.py --base 2860199          # writes section 'before_after'
    python benchmarks/before_after.py --base HEAD~5 --no-write --networks coba
    python benchmarks/before_after.py --base 2860199 --after HEAD   # two commits

Without ``--after``, "after" is this working tree as it is (uncommitted edits included).

The earlier commit is checked out into a temporary ``git worktree``. For each backend,
one process per version builds ``examples/coba.py``'s and ``examples/cobahh.py``'s
network (each version its own example files, N = 4000, seed 42, compiled by a first
run) and then waits for orders on its standard input: the parent makes the two
processes run in turn, round after round (A, B, A, B, ...), so both versions see the
same load of this shared machine. Each round is one ``runner.run(duration)`` timed from
the outside (``time.perf_counter`` around the call: whatever a run adds per call, such
as the checks made once per run, is counted). Medians over the rounds; the ratio
compares the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("coba", "cobahh")
BACKENDS = ("numpy", "jax")

CHILD = r"""
import importlib.util, json, sys, time
root = sys.argv[1]
sys.path.insert(0, root)
import brainjit as bp
bp.math.use_backend(sys.argv[2])
runners = {}
for network in sys.argv[3].split(","):
    spec = importlib.util.spec_from_file_location(network, f"{root}/examples/{network}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, runner = module.build(1, 42, progress_bar=False)
    runner.run(20.0)  # compiles
    runners[network] = runner
print("READY", bp.__file__, flush=True)
for line in sys.stdin:
    network, duration = line.split()
    start = time.perf_counter()
    runners[network].run(float(duration))
    print(json.dumps(time.perf_counter() - start), flush=True)
"""


def start(root: Path, backend: str, networks: list[str]) -> subprocess.Popen:
    env = dict(os.environ, BRAINJIT_CACHE_DIR=tempfile.mkdtemp(prefix="brainjit-ba-"))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), backend, ",".join(networks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        raise RuntimeError(f"the benchmark process of {root} failed to start")
    return proc


def timed(proc: subprocess.Popen, network: str, duration: float) -> float:
    proc.stdin.write(f"{network} {duration}\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--after", help="a later commit (default: this working tree)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--duration", type=float, default=200.0, help="ms per round")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    base = subprocess.run(
        ["git", "rev-parse", "--short", args.base], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    head = subprocess.run(
        ["git", "rev-parse", "--short", args.after or "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    trees = []
    for rev in (base, head) if args.after else (base,):
        trees.append(Path(tempfile.mkdtemp(prefix="brainjit-ba-")) / rev)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(trees[-1]), rev], cwd=ROOT, check=True
        )
    tree = trees[0]
    after_tree = trees[1] if args.after else ROOT
    if not args.after:
        head += " + working tree"
    header = [
        f"| network | backend | before ({base}) ms per s | after ({head}) ms per s "
        "| after / before |",
        "|---|---|---:|---:|---:|",
    ]
    rows = []
    try:
        for backend in args.backends:
            procs = {"before": start(tree, backend, args.networks)}
            procs["after"] = start(after_tree, backend, args.networks)
            try:
                for network in args.networks:
                    samples = {"before": [], "after": []}
                    for _ in range(args.rounds):
                        for version, proc in procs.items():
                            seconds = timed(proc, network, args.duration)
                            samples[version].append(seconds / args.duration * 1e6)  # ms/s
                    med = {k: statistics.median(v) for k, v in samples.items()}
                    rows.append(
                        f"| {network.upper()} | {backend} | {med['before']:.0f} "
                        f"| {med['after']:.0f} | {med['after'] / med['before']:.2f} |"
                    )
                    print(rows[-1], flush=True)
            finally:
                for proc in procs.values():
                    proc.stdin.close()
                    proc.wait(timeout=60)
    finally:
        for path in trees:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT)
    table = "\n".join(header + rows)
    print(table)
    if args.no_write:
        return
    from _results import machine, write_section

    command = "python benchmarks/before_after.py" + (" " + " ".join(argv) if argv else "")
    doc = __doc__.split("The earlier commit", 1)[1]
    write_section(
        "before_after",
        f"""## Run time before and after a change (`benchmarks/before_after.py`)

Command: `{command}` — {time.strftime("%Y-%m-%d")}, {machine()}; {args.rounds} rounds of
{args.duration:g} ms; milliseconds of wall time per biological second (median).

The earlier commit{doc}
{table}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'before_after')")


if __name__ == "__main__":
    main(sys.argv[1:])
