"""Memory of many models built and run in one process (issue 17, point 8).

    python benchmarks/memory.py                  # both backends, 200 models; writes 'memory'
    python benchmarks/memory.py --no-write --backends jax --models 60

Each backend runs in a fresh process of its own, which builds a small network again and
again -- a LIF group of 100 neurons with an Exponential synapse onto itself
(``FixedProb(0.1)``) and a constant input, run by a ``bp.Runner`` for 20 ms with a spike
monitor -- and drops it before building the next. With ``--vary`` (the default) every
model differs from the others in a constant (the synapse's time constant), so each one
compiled code of its own (a cache that keeps the code of dead models grows by a
compiled program per model) until float constants became arguments of the numpy
backend's compiled code: there they now share one program. The resident set size
(RSS, from ``/proc/self/statm``) is read after every model (after ``gc.collect()``);
the table gives it after the first 20
models and after all of them, the growth per model after the first 20, and the RSS
before and after ``bp.math.clear_cache()`` at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
WARMUP = 20  # models before the growth is measured (first compiles, allocator pools)


def rss_mb() -> float:
    """The resident set size of this process, in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def build_and_run(index: int, vary: bool = True, duration: float = 20.0) -> int:
    """Build one small network (a different constant per ``index`` when ``vary``), run it,
    return its spike count. Nothing of it is kept."""
    import brainjit as bp

    tau = 5.0 + 0.01 * index if vary else 5.0
    neurons = bp.dyn.LIF(100, V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0)
    syn = bp.dyn.Exponential(
        neurons, neurons, bp.conn.FixedProb(0.1, seed=index), weight=0.5, tau=tau
    )
    net = bp.dyn.Network(syn=syn, neurons=neurons)
    runner = bp.Runner(
        net,
        monitors=["neurons.spike"],
        inputs=[("neurons.input", 20.0)],
        dt=0.1,
        progress_bar=False,
    )
    runner.run(duration)
    return int(runner.mon["neurons.spike"].sum())


def measure(backend: str, models: int, vary: bool = True) -> dict:
    """RSS (MB) after each of ``models`` models, and around ``clear_cache`` (this process)."""
    import brainjit as bp

    bp.math.use_backend(backend)
    rss, times = [], []
    start = time.perf_counter()
    for i in range(models):
        build_and_run(i, vary)
        gc.collect()
        rss.append(rss_mb())
        times.append(time.perf_counter() - start)
    before = rss_mb()
    clear = getattr(bp.math, "clear_cache", None)
    if clear is not None:
        clear()
    gc.collect()
    after = rss_mb() if clear is not None else None
    return {"rss": rss, "times": times, "clear_before": before, "clear_after": after}


def child(backend: str, models: int, vary: bool) -> dict:
    """:func:`measure` in a fresh process."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["NUMBA_NUM_THREADS"] = "1"
    env.setdefault("JAX_PLATFORMS", "cpu")
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); import memory; "
        f"print('RESULT', json.dumps(memory.measure({backend!r}, {models}, {vary})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"the {backend} worker failed ({out.returncode})")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def summary(result: dict) -> dict:
    rss = result["rss"]
    n = len(rss)
    first = WARMUP if n > WARMUP else max(1, n // 3)
    per_model = (rss[-1] - rss[first - 1]) / max(1, n - first)
    return {
        "first": first,
        "rss_first": rss[first - 1],
        "rss_last": rss[-1],
        "growth": rss[-1] - rss[first - 1],
        "per_model": per_model,
        "clear_before": result["clear_before"],
        "clear_after": result["clear_after"],
        "seconds": result["times"][-1],
    }


def table(results: dict, models: int) -> str:
    lines = [
        f"| backend | RSS after {WARMUP} models | RSS after {models} | growth after the first "
        f"{WARMUP} | per model | before / after `clear_cache()` | wall time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        s = summary(result)
        after = "n/a" if s["clear_after"] is None else f"{s['clear_after']:.0f}"
        lines.append(
            f"| {backend} | {s['rss_first']:.0f} MB | {s['rss_last']:.0f} MB | "
            f"{s['growth']:+.1f} MB | {s['per_model'] * 1024:+.0f} kB | "
            f"{s['clear_before']:.0f} / {after} MB | {s['seconds']:.0f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--same", action="store_true", help="the same constants in every model")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--json", help="also write the raw RSS series to this file")
    args = parser.parse_args()
    results = {}
    for backend in args.backends:
        results[backend] = child(backend, args.models, not args.same)
        print(table({backend: results[backend]}, args.models).splitlines()[-1], flush=True)
    text = table(results, args.models)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    if not args.no_write:
        sys.path.insert(0, str(ROOT))
        import _results

        command = "python benchmarks/memory.py " + " ".join(sys.argv[1:])
        _results.write_section(
            "memory",
            f"## Memory of many models in one process (`benchmarks/memory.py`)\n\n"
            f"Command: `{command.strip()}`  \nMachine: {_results.machine()}.\n\n{text}\n",
        )


if __name__ == "__main__":
    main()
