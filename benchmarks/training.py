"""Training a spiking network by surrogate gradients: brainjit (jax), BrainPy 2.x and
snnTorch (CPU), side by side: time per training step, peak memory, and the gradients.

    python benchmarks/training.py                          # the issue's size, 3 repeats
    python benchmarks/training.py --repeats 5 --iters 20
    python benchmarks/training.py --only brainjit-jax jax-pure --no-write
    python benchmarks/training.py --tiny --no-write        # a quick check of the scripts
    bash benchmarks/peers/setup.sh brainpy snntorch        # installs the peers first

The network (identical everywhere; ``benchmarks/peers/_train_common.py``): 100 input
spike trains (Bernoulli, 50 Hz, fixed seed) -> 1000 LIF neurons (tau 10 ms, dt 1 ms,
threshold 1, reset by subtraction one step late without gradient, sigmoid surrogate of
slope 4) -> 10 leaky readout units (tau 20 ms, non-spiking); cross-entropy of the
time-averaged readout; 100 steps, batch 32, float32; Adam (lr 1e-3) on both weight
matrices. The driver writes the data (inputs, labels, initial weights) as .npy files
that every framework reads, so all start from the same numbers.

Every run is a fresh process (the framework's own virtual environment: ``.venv-brainpy``,
``.venv-snntorch``, made by ``benchmarks/peers/setup.sh``; brainjit in this
interpreter), single-threaded by default (``--threads 1``: XLA without its Eigen pool,
``torch.set_num_threads(1)``). A run does ``--warmup`` untimed training steps (the
first compiles), then ``--iters`` timed ones: each is the forward pass, the backward
pass and the Adam update, until the new weights are ready. Within each repeat the
frameworks take turns (round robin), so that a change in the machine's load spreads
over all of them. Reported, over all timed steps of all repeats: the median CPU time
of a step (``time.process_time``: every thread of the process; steadier than the wall
clock on a shared machine, and the same for a single-threaded step on an idle one: the
ratios to the fastest peer use it), the median and the best wall-clock time, the first
step (compilation included), the peak resident memory of the process (``ru_maxrss``
from ``os.wait4``) and its growth from just before the first step (``training MB``:
the tape or residuals, the compiled code, the optimiser state).

The gradient check (``--no-check`` skips it): one more run of each framework in
float64 computes the loss and its gradients with respect to both weight matrices at the
initial weights; each is compared with a hand-written NumPy backpropagation through
time (``_train_common.reference``), as the largest absolute difference over the
largest absolute value. Rows:

- ``brainjit-jax``: brainjit's ``bm`` code (``benchmarks/training_brainjit.py``);
- ``jax-pure``: the same network in hand-written JAX (``lax.scan``, ``custom_jvp``,
  optax), brainjit's floor: not a peer;
- ``brainpy-jax``: BrainPy 2.x (``benchmarks/peers/brainpy_train.py``);
- ``snntorch-cpu``: snnTorch on PyTorch's CPU build (``benchmarks/peers/snntorch_train.py``).

A framework that is not installed is listed with a note; a failed run is reported and
the others go on. The table is printed and written to benchmarks/RESULTS.md (section
``training``) with the versions and the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "peers"))
import _train_common as c  # noqa: E402
from compare import last_json, run_child, thread_env  # noqa: E402

SETUP_NOTE = "not installed (bash benchmarks/peers/setup.sh brainpy snntorch)"
TINY = dict(inputs=20, hidden=50, outputs=4, steps=10, batch=4)


@dataclass
class Framework:
    """One row: how to run it, and whether it is installed."""

    name: str
    script: Path
    module: str  # whose import says it is installed
    venv: str | None  # ".venv-brainpy", or None: this interpreter
    is_peer: bool = True
    flags: tuple = ()
    python: str | None = None
    version: str = ""
    note: str = ""

    def command(self, data: str, args, grads: str | None = None) -> list[str]:
        cmd = [self.python, str(self.script), "--data", data, *self.flags]
        cmd += ["--threads", str(args.threads)]
        if grads:
            return cmd + ["--dtype", "float64", "--grads", grads]
        return cmd + ["--iters", str(args.iters), "--warmup", str(args.warmup)]


def frameworks() -> list[Framework]:
    own = BENCH / "training_brainjit.py"
    return [
        Framework("brainjit-jax", own, "brainjit", None, is_peer=False, flags=("--variant", "bm")),
        Framework("jax-pure", own, "jax", None, is_peer=False, flags=("--variant", "pure")),
        Framework("brainpy-jax", BENCH / "peers" / "brainpy_train.py", "brainpy", ".venv-brainpy"),
        Framework(
            "snntorch-cpu", BENCH / "peers" / "snntorch_train.py", "snntorch", ".venv-snntorch"
        ),
    ]


def probe(fw: Framework) -> None:
    """Find the framework's interpreter and version (or the note why it is absent)."""
    import subprocess

    candidates = []
    if fw.venv and (ROOT / fw.venv / "bin" / "python").exists():
        candidates.append(str(ROOT / fw.venv / "bin" / "python"))
    if not fw.venv:
        candidates.append(sys.executable)
    extra = (
        "; import torch; v += ' (torch ' + torch.__version__ + ')'"
        if fw.module == "snntorch"
        else ""
    )
    extra = (
        "; import jax; v += ' (jax ' + jax.__version__ + ')'"
        if fw.module in ("brainpy", "brainjit")
        else extra
    )
    code = (
        "import os, sys, platform; sys.stdout = open(os.devnull, 'w'); "
        f"import {fw.module} as m; v = getattr(m, '__version__', '?'){extra}; "
        "sys.stdout = sys.__stdout__; print(v + ', Python ' + platform.python_version())"
    )
    for python in candidates:
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=False, timeout=300
        )
        if out.returncode == 0 and out.stdout.strip():
            fw.python, fw.version = python, out.stdout.strip().splitlines()[-1]
            return
    fw.note = SETUP_NOTE if fw.is_peer else f"{fw.module} does not import"


def run(fw: Framework, data: str, args, grads: str | None = None) -> tuple[dict | None, str, float]:
    """Run ``fw`` once as a child: (its JSON line or None, the error, its peak RSS MB)."""
    env = {**os.environ, **thread_env(args.threads)}
    env["PYTHONPATH"] = str(ROOT) if not fw.is_peer else ""
    code, rss, _, out, err = run_child(fw.command(data, args, grads), env, args.timeout)
    result = last_json(out)
    if code == -9:
        return None, f"timed out after {args.timeout:g} s", rss
    if result and "skipped" in result:
        return None, result["skipped"], rss
    if code != 0 or (grads is None and (not result or "step_s" not in result)):
        tail = (err.strip() or out.strip()).splitlines()[-3:]
        return None, f"exit status {code}: " + " | ".join(t.strip() for t in tail)[:300], rss
    return result, "", rss


def check_gradients(fws: list[Framework], data: str, args) -> dict[str, dict]:
    """Each framework's float64 loss and gradients against the NumPy reference."""
    ref = c.reference(c.load_data(data, "float64"))
    report = {}
    with tempfile.TemporaryDirectory(prefix="training-grads-") as folder:
        for fw in fws:
            path = os.path.join(folder, f"{fw.name}.npz")
            _, error, _ = run(fw, data, args, grads=path)
            if error or not os.path.exists(path):
                report[fw.name] = {"error": error or "no gradients written"}
                continue
            got = np.load(path)
            rel = {
                k: float(np.abs(got[k] - ref[k]).max() / np.abs(ref[k]).max())
                for k in ("g_in", "g_out")
            }
            rel["loss"] = float(abs(got["loss"] - ref["loss"]) / abs(ref["loss"]))
            rel["spikes_equal"] = bool(got["spikes"] == ref["spikes"])
            report[fw.name] = rel
            print(f"gradients {fw.name}: {json.dumps(rel)}", flush=True)
    return report


def table(
    results: dict, rss: dict, errors: dict, grads: dict, fws: list[Framework]
) -> tuple[str, dict]:
    """The Markdown table, and each framework's summary (CPU / wall ms per step, ...)."""
    med = statistics.median
    summary = {}
    for fw in fws:
        runs = results.get(fw.name, [])
        if runs:
            steps = [s for r in runs for s in r["step_s"]]
            summary[fw.name] = {
                "cpu": med(t for r in runs for t in r["cpu_s"]) * 1e3,
                "median": med(steps) * 1e3,
                "best": min(steps) * 1e3,
                "first": med(r["first_s"] for r in runs),
                "rss": med(rss[fw.name]),
                "train_rss": med(r["peak_rss_mb"] - r["rss_before_mb"] for r in runs),
                "loss": (runs[0]["losses"][0], runs[0]["losses"][-1]),
                "runs": len(runs),
                "steps": len(steps),
            }
    peers = [fw.name for fw in fws if fw.is_peer and fw.name in summary]
    best = {
        key: min(summary[p][key] for p in peers) if peers else None
        for key in ("cpu", "median", "rss")
    }

    def ratio(s, key):
        return f"{s[key] / best[key]:.2f}" if best[key] else "-"

    lines = [
        "| framework | CPU ms per step | wall ms per step | best wall ms | first step s "
        "| peak RSS MB | training MB | CPU / fastest peer | wall / fastest peer "
        "| RSS / smallest peer | loss first -> last | grad W_in rel. err. "
        "| grad W_out rel. err. | steps |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for fw in fws:
        g = grads.get(fw.name, {})
        if "error" in g:
            g_text = f"failed: {g['error'][:80].replace('|', '/')} |"
        elif g:
            flip = "" if g["spikes_equal"] else " (spike counts differ)"
            g_text = f"{g['g_in']:.1e}{flip} | {g['g_out']:.1e}"
        else:
            g_text = "- | -"
        if fw.note:
            lines.append(f"| {fw.name} | {fw.note} |||||||||||||")
            continue
        if fw.name not in summary:
            note = (errors.get(fw.name) or ["not run"])[0].replace("|", "/")
            lines.append(f"| {fw.name} | failed: {note} |||||||||| {g_text} | |")
            continue
        s = summary[fw.name]
        failed = f", {len(errors[fw.name])} failed" if errors.get(fw.name) else ""
        lines.append(
            f"| {fw.name} | {s['cpu']:.1f} | {s['median']:.1f} | {s['best']:.1f} "
            f"| {s['first']:.2f} | {s['rss']:.0f} | {s['train_rss']:.0f} | {ratio(s, 'cpu')} "
            f"| {ratio(s, 'median')} | {ratio(s, 'rss')} "
            f"| {s['loss'][0]:.4f} -> {s['loss'][1]:.4f} | {g_text} "
            f"| {s['steps']} in {s['runs']} runs{failed} |"
        )
    return "\n".join(lines), summary


def reading(summary: dict, fws: list[Framework]) -> str:
    """What the table says about brainjit, in words (for RESULTS.md)."""
    own = summary.get("brainjit-jax")
    peers = [f.name for f in fws if f.is_peer and f.name in summary]
    if not own or not peers:
        return "Reading: brainjit-jax or every peer is missing from this run."
    fastest = min(peers, key=lambda name: summary[name]["cpu"])
    text = (
        f"Reading: brainjit-jax takes {own['cpu'] / summary[fastest]['cpu']:.2f}x the CPU "
        f"time per step of the fastest peer ({fastest})"
    )
    if "jax-pure" in summary:
        text += f" and {own['cpu'] / summary['jax-pure']['cpu']:.2f}x that of hand-written JAX"
    return text + (
        ". brainjit-jax, jax-pure and brainpy-jax trace the same network to the same kind "
        "of XLA program (one `lax.scan` over the steps and its transpose; BrainPy with its "
        "own jax version), so a training step costs what XLA's compiled loop costs, and "
        "brainjit adds no work inside it: its overhead is the Python dispatch of one "
        "`bm.jit` call, a fraction of a millisecond (compare the rows at `--tiny`). "
        "On this shared machine, differences of a few percent among these three rows are "
        "noise (they change sign from run to run). snnTorch runs PyTorch's eager "
        "autograd: every time step's operations are separate calls, forward and backward."
    )


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [f.name for f in frameworks()]
    parser.add_argument("--repeats", type=int, default=3, help="runs per framework")
    parser.add_argument("--iters", type=int, default=10, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=1, help="threads (0: library defaults)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=names, help="run only these")
    parser.add_argument("--skip", nargs="+", choices=names, default=[], help="leave these out")
    parser.add_argument("--no-check", action="store_true", help="skip the gradient check")
    parser.add_argument("--tiny", action="store_true", help="a tiny network (a quick check)")
    parser.add_argument("--timeout", type=float, default=900.0, help="s per run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    size = {**c.SIZE, **(TINY if args.tiny else {})}

    fws = [f for f in frameworks() if (not args.only or f.name in args.only)]
    fws = [f for f in fws if f.name not in args.skip]
    for fw in fws:
        probe(fw)
        print(f"{fw.name}: {fw.version or fw.note}", flush=True)
    runnable = [f for f in fws if not f.note]

    results: dict[str, list] = {f.name: [] for f in fws}
    rss: dict[str, list] = {f.name: [] for f in fws}
    errors: dict[str, list] = {f.name: [] for f in fws}
    with tempfile.TemporaryDirectory(prefix="training-data-") as folder:
        data = str(c.make_data(folder, seed=args.seed, **size))
        grads = {} if args.no_check else check_gradients(runnable, data, args)
        for repeat in range(args.repeats):
            for fw in runnable:  # round robin
                result, error, peak = run(fw, data, args)
                if error:
                    errors[fw.name].append(error)
                    print(json.dumps({"framework": fw.name, "error": error}), flush=True)
                    continue
                results[fw.name].append(result)
                rss[fw.name].append(peak)
                wall = " ".join(f"{t * 1e3:.0f}" for t in result["step_s"])
                cpu = " ".join(f"{t * 1e3:.0f}" for t in result["cpu_s"])
                print(f"{fw.name} repeat {repeat}: wall ms {wall}; CPU ms {cpu}", flush=True)

    text, summary = table(results, rss, errors, grads, fws)
    print()
    print(text)
    if args.no_write:
        return text
    from _results import machine, write_section

    command = "python benchmarks/training.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    threads = (
        "single-threaded (XLA without its Eigen pool, torch.set_num_threads(1))"
        if args.threads == 1
        else f"threads: {args.threads if args.threads > 0 else 'library defaults'}"
    )
    versions = "\n".join(f"- {f.name}: {f.version or f.note}" for f in fws)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    def wrap(paragraph: str) -> str:
        return textwrap.fill(paragraph, 88, break_on_hyphens=False)

    header = (
        f"`{command.strip()}` — {time.strftime('%Y-%m-%d')}, {machine()}, load average at "
        f"the end {load}. {size['inputs']} inputs -> {size['hidden']} LIF -> "
        f"{size['outputs']} leaky readouts, {size['steps']} steps of 1 ms, batch "
        f"{size['batch']}, float32, sigmoid surrogate, cross-entropy, Adam; {threads}. One "
        f"training step = forward + backward + Adam update. {args.repeats} fresh "
        f"process(es) per framework, round robin, each {args.warmup} untimed + "
        f"{args.iters} timed steps; medians over all timed steps of the CPU time of the "
        "process (`time.process_time`, steady under load) and of the wall clock, and the "
        "best wall-clock step. Peak RSS: the child's `ru_maxrss`; training MB: its growth "
        "from just before the first step (compilation included). Ratios: to the best peer "
        "(BrainPy, snnTorch) in that column. Gradients: float64 at the initial weights, "
        "max |difference| / max |value| against a hand-written NumPy BPTT (snnTorch's "
        "spikes are float32 even in float64, so its backward pass carries float32 "
        "rounding)."
    )
    write_section(
        "training",
        "## Training a spiking network: brainjit, BrainPy, snnTorch "
        "(`benchmarks/training.py`)\n\n"
        f"{wrap(header)}\n\nVersions:\n{versions}\n\n{text}\n\n{wrap(reading(summary, fws))}\n",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'training')")
    return text


if __name__ == "__main__":
    main()
