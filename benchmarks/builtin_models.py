"""Run time of every built-in model of ``bp.dyn``, N = 4000, on each backend; with
``--base REV``, an earlier commit side by side (before / after).

    python benchmarks/builtin_models.py                    # this tree, both backends
    python benchmarks/builtin_models.py --base HEAD~3      # before (HEAD~3) and after
    python benchmarks/builtin_models.py --base c802a90 --after 6cbfab2   # two commits
    python benchmarks/builtin_models.py --models Izhikevich AMPA --backends numpy --no-write

The networks (dt = 0.1 ms, seed 42), the same for every model:

- a neuron model: one group of N neurons driven by a constant current, a different one
  per neuron (uniform over a range that makes most of them fire), ``V`` starting spread
  around its initial value; a ``PoissonGroup`` of N sources at 20 Hz;
- a synapse model: two LIF groups of N neurons (the COBA benchmark's cells, both
  driven, the presynaptic group firing at some 20-50 Hz) and the synapse from the first
  to the second with a fixed connection probability of 0.02 (about 80 synapses per
  neuron, as in ``examples/coba.py``). The row ``two LIF groups`` is the same network
  without the synapse: what the synapse adds is the difference.

For each backend, one process per version (this working tree or ``--after``, and with
``--base`` the earlier commit, commits checked out into a temporary ``git worktree``;
the networks are built by this file's code, from each version's ``brainjit``) builds
every network, compiles it with a first run, then waits for orders on its standard
input: the parent makes the versions run in turn, round after round, so both see the
same load of this shared machine. A round is one ``runner.run(duration)`` timed from
the outside. Medians over the rounds (and the best round: the least disturbed by other
load; the ratio compares the best), in milliseconds of wall time per biological
second; ``spikes`` says whether the two versions gave the same spikes (counted over all
rounds, the first run's included).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("numpy", "jax")
N = 4000
SEED = 42

# neuron model -> (constructor keyword arguments, range of the constant drive)
NEURONS = {
    "LIF": (dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=5.0), (8.0, 20.0)),
    "ExpIF": (dict(), (5.0, 15.0)),
    "AdEx": (dict(), (0.5, 1.5)),  # nA
    "Izhikevich": (dict(), (5.0, 15.0)),
    "HH": (dict(), (5.0, 15.0)),
    "TraubHH": (dict(), (300.0, 900.0)),  # pA
}
# synapse row -> (class name, keyword arguments)
SYNAPSES = {
    "Delta": ("Delta", dict(weight=0.5)),
    "Exponential (coba)": ("Exponential", dict(weight=0.3, tau=5.0, output="coba", E=0.0)),
    "Exponential (cuba)": ("Exponential", dict(weight=0.1, tau=5.0)),
    "DualExponential": ("DualExponential", dict(weight=0.05, output="coba", E=0.0)),
    "Alpha": ("Alpha", dict(weight=0.05, output="coba", E=0.0)),
    "AMPA": ("AMPA", dict(weight=0.01)),
    "GABAa": ("GABAa", dict(weight=0.01)),
    # Tsodyks-Markram on the COBA synapse: the cost of short-term plasticity over it
    "STP (coba)": (
        "STP",
        dict(weight=1.0, tau=5.0, output="coba", E=0.0, U=0.3, tau_d=200.0, tau_f=600.0),
    ),
    "NMDA": ("NMDA", dict(weight=0.01)),
}
OTHERS = ("PoissonGroup", "two LIF groups")
MODELS = (*NEURONS, OTHERS[0], OTHERS[1], *SYNAPSES)
LIF_CELL = NEURONS["LIF"][0]


def build(bp, model: str):
    """The network of ``model`` and its Runner (monitor: the spikes of the last group),
    on the active backend."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    bp.math.random.seed(SEED)
    if model in NEURONS:
        kwargs, (low, high) = NEURONS[model]
        group = getattr(bp.dyn, model)(N, **kwargs)
        group.V[:] = bp.math.asarray(np.asarray(group.V) + rng.uniform(-3.0, 3.0, N))
        net = bp.dyn.Network(group=group)
        inputs = [("group.input", bp.math.asarray(rng.uniform(low, high, N)))]
        monitor = "group.spike"
    elif model == "PoissonGroup":
        net = bp.dyn.Network(group=bp.dyn.PoissonGroup(N, freqs=20.0))
        inputs, monitor = [], "group.spike"
    else:
        pre = bp.dyn.LIF(N, V_initial=rng.uniform(-60.0, -50.0, N), **LIF_CELL)
        post = bp.dyn.LIF(N, V_initial=rng.uniform(-60.0, -50.0, N), **LIF_CELL)
        nodes = dict(pre=pre, post=post)
        if model in SYNAPSES:
            name, kwargs = SYNAPSES[model]
            conn = bp.conn.FixedProb(0.02, seed=SEED)
            nodes["syn"] = getattr(bp.dyn, name)(pre, post, conn, **kwargs)
        net = bp.dyn.Network(**nodes)
        inputs = [
            ("pre.input", bp.math.asarray(rng.uniform(12.0, 20.0, N))),
            ("post.input", bp.math.asarray(rng.uniform(5.0, 12.0, N))),
        ]
        monitor = "post.spike"
    runner = bp.Runner(
        net,
        monitors=[monitor],
        inputs=inputs,
        dt=0.1,
        progress_bar=False,
        jit_options={"cache": True},
    )
    return runner, monitor


def child(root: str, backend: str, models: list[str]) -> None:
    """A benchmark process: build ``models`` from ``root``'s brainjit, then run orders
    ``MODEL DURATION`` read from stdin, answering ``[seconds, spikes]``."""
    sys.path.insert(0, root)
    import brainjit as bp

    if not bp.__file__.startswith(root):
        raise RuntimeError(f"imported {bp.__file__}, not brainjit from {root}")
    bp.math.use_backend(backend)
    runners = {}
    for model in models:
        if model in SYNAPSES and not hasattr(bp.dyn, SYNAPSES[model][0]):
            runners[model] = None  # a model this version does not have: no time
            continue
        runner, monitor = build(bp, model)
        runner.run(20.0)  # compiles
        runners[model] = runner, monitor, int(runner.mon[monitor].sum())
    print("READY", flush=True)
    for line in sys.stdin:
        model, duration = line.rsplit(maxsplit=1)
        if runners[model] is None:
            print(json.dumps([float("nan"), 0]), flush=True)
            continue
        runner, monitor, first = runners[model]
        start = time.perf_counter()
        runner.run(float(duration))
        seconds = time.perf_counter() - start
        print(json.dumps([seconds, first + int(runner.mon[monitor].sum())]), flush=True)


def start(root: Path, backend: str, models: list[str]) -> subprocess.Popen:
    env = dict(os.environ, BRAINJIT_CACHE_DIR=tempfile.mkdtemp(prefix="brainjit-bm-"))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(root), backend, json.dumps(models)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        raise RuntimeError(f"the benchmark process of {root} ({backend}) failed to start")
    return proc


def timed(proc: subprocess.Popen, model: str, duration: float) -> tuple[float, int]:
    proc.stdin.write(f"{model} {duration}\n")
    proc.stdin.flush()
    seconds, spikes = json.loads(proc.stdout.readline())
    return seconds, spikes


def short_rev(rev: str) -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"not a revision: {rev!r}")
    return out.stdout.strip()


def measure(args, versions: dict[str, Path]) -> list[dict]:
    """Rows of medians (ms per biological second) per model, backend and version."""
    rows = []
    for backend in args.backends:
        procs = {v: start(root, backend, args.models) for v, root in versions.items()}
        try:
            for model in args.models:
                samples = {v: [] for v in procs}
                spikes = {v: 0 for v in procs}
                for _ in range(args.rounds):
                    for version, proc in procs.items():
                        seconds, count = timed(proc, model, args.duration)
                        samples[version].append(seconds / args.duration * 1e6)
                        spikes[version] = count
                row = {"model": model, "backend": backend, "spikes": spikes}
                row.update({v: statistics.median(s) for v, s in samples.items()})
                row.update({f"{v} min": min(s) for v, s in samples.items()})
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            for proc in procs.values():
                proc.stdin.close()
                proc.wait(timeout=60)
    return rows


def table(rows: list[dict], labels: dict[str, str]) -> str:
    versions = list(labels)
    head = "| model | backend | " + " | ".join(f"{labels[v]} best / median" for v in versions)
    rule = "|---|---|" + "---:|" * len(versions)
    if len(versions) == 2:
        head += " | after / before (best) | spikes |"
        rule += "---:|---|"
    else:
        head += " | spikes |"
        rule += "---:|"
    lines = [head, rule]
    for row in rows:
        cells = [row["model"], row["backend"]]
        cells += [f"{row[f'{v} min']:.0f} / {row[v]:.0f}" for v in versions]
        if len(versions) == 2:
            a, b = versions
            cells.append(f"{row[f'{b} min'] / row[f'{a} min']:.2f}")
            same = row["spikes"][a] == row["spikes"][b]
            cells.append("same" if same else f"{row['spikes'][a]} vs {row['spikes'][b]}")
        else:
            cells.append(str(row["spikes"][versions[0]]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1], argv[2], json.loads(argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="an earlier commit to compare with (before)")
    parser.add_argument("--after", help="a later commit (default: this working tree)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=200.0, help="ms per round")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)

    versions: dict[str, Path] = {}
    labels: dict[str, str] = {}
    trees = []

    def worktree(rev: str) -> Path:
        trees.append(Path(tempfile.mkdtemp(prefix="brainjit-bm-")) / rev)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(trees[-1]), rev], cwd=ROOT, check=True
        )
        return trees[-1]

    try:
        if args.base:
            base = short_rev(args.base)
            versions["before"], labels["before"] = worktree(base), f"before ({base})"
        if args.after:
            after = short_rev(args.after)
            versions["after"], labels["after"] = worktree(after), f"after ({after})"
        else:
            versions["after"] = ROOT
            labels["after"] = f"{'after ' if args.base else ''}({short_rev('HEAD')} + working tree)"
        rows = measure(args, versions)
    finally:
        for path in trees:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT)
    text = table(rows, labels)
    print()
    print(text)
    if args.no_write:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _results import machine, write_section

    command = "python benchmarks/builtin_models.py " + shlex.join(argv)
    doc = __doc__.split("The networks", 1)[1].split("For each backend", 1)[0]
    write_section(
        "builtin_models",
        f"""## Built-in models, N = {N}, before and after (`benchmarks/builtin_models.py`)

Command: `{command.strip()}` — {time.strftime("%Y-%m-%d")}, {machine()}; {args.rounds}
rounds of {args.duration:g} ms per model, the versions in turn; milliseconds of wall
time per biological second, best round / median. The machine is shared (2 cores,
other jobs running; 1-minute load average {os.getloadavg()[0]:.1f} at the end): a median
can move by 2x from one run to the next (see the unchanged models: LIF, HH, TraubHH,
PoissonGroup, two LIF groups, Exponential (coba)); the best rounds are steadier.

The networks{doc.rstrip()}

{text}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'builtin_models')")


if __name__ == "__main__":
    main()
