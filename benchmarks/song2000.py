"""Song, Miller & Abbott (2000) in brainjit and in Brian2: the final weight statistics
side by side (they must agree statistically, not spike by spike) and the run times.

    python benchmarks/song2000.py                                  # 100 s, seeds 1 2
    python benchmarks/song2000.py --duration 20000 --seeds 1 2 3 4 --no-write
    python benchmarks/song2000.py --only brainjit-numpy brian2-cpp_standalone
    bash benchmarks/peers/setup.sh brian2                          # Brian2 first

brainjit runs ``examples/stdp_song2000.py --json`` (numpy and jax backends), Brian2
``benchmarks/peers/brian2_stdp.py --network song2000`` (cpp_standalone, optionally
cython): the same network (Brian2's example "STDP" with the driving force Ee - v: 1000
Poisson inputs at 15 Hz, additive all-to-all STDP, gmax = 0.01, one conductance-based
integrate-and-fire neuron, dt = 0.1 ms), the same initial weights for a seed
(``numpy.random.default_rng(seed)``), each simulator's own Poisson spikes. Every run is
a fresh process with an empty ``BRAINJIT_CACHE_DIR`` (the library's own Numba kernels
load from their cache), Brian2's C++ project built afresh; run time excludes building.

For each simulator the table gives, over the seeds, the mean (and standard deviation)
of: the fraction of weights below 0.1 gmax and above 0.9 gmax, the mean of w / gmax,
the neuron's rate over the run; the median run and build times; and the histogram of
w / gmax (20 bins, summed over seeds). Written to benchmarks/RESULTS.md (section
``song2000``) with the command line.
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
SIMULATORS = ["brainjit-numpy", "brainjit-jax", "brian2-cpp_standalone", "brian2-cython"]
DEFAULT = ["brainjit-numpy", "brainjit-jax", "brian2-cpp_standalone"]
STATS = [("frac_low", "w < 0.1 gmax"), ("frac_high", "w > 0.9 gmax"), ("mean_rel", "mean w/gmax")]


def brian2_python() -> str | None:
    """The interpreter that imports Brian2: .venv-brian2's, else this one, else None."""
    for python in (ROOT / ".venv-brian2" / "bin" / "python", Path(sys.executable)):
        if python.exists():
            ok = subprocess.run([str(python), "-c", "import brian2"], capture_output=True)
            if ok.returncode == 0:
                return str(python)
    return None


def run_one(sim: str, seed: int, args, b2_python: str | None) -> dict:
    common = ["--duration", str(args.duration), "--seed", str(seed)]
    if sim.startswith("brainjit"):
        backend = sim.split("-")[1]
        script = ROOT / "examples" / "stdp_song2000.py"
        cmd = [sys.executable, str(script), "--backend", backend, "--no-progress"]
        cmd += ["--no-plot", "--json", *common]
    else:
        target = sim.split("-", 1)[1]
        script = ROOT / "benchmarks" / "peers" / "brian2_stdp.py"
        cmd = [b2_python, str(script), "--network", "song2000", "--target", target, *common]
    with tempfile.TemporaryDirectory(prefix="brainjit-song2000-") as cache:
        env = {**os.environ, "BRAINJIT_CACHE_DIR": cache, "MPLBACKEND": "Agg"}
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{sim} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    result["seed"] = seed
    print(json.dumps(result), flush=True)
    return result


def mean_sd(values) -> str:
    values = list(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def table(results: dict[str, list[dict]], args) -> str:
    head = " | ".join(label for _, label in STATS)
    lines = [
        f"| simulator | seeds | {head} | neuron's rate Hz | run s | build s "
        "| histogram of w / gmax (20 bins, summed over seeds) |",
        "|---|---|" + "---|" * len(STATS) + "---|---|---|---|",
    ]
    for sim, rows in results.items():
        stats = " | ".join(mean_sd(r[key] for r in rows) for key, _ in STATS)
        hist = [sum(col) for col in zip(*(r["hist"] for r in rows))]
        run = statistics.median(r["run_s"] for r in rows)
        build = statistics.median(r["build_s"] for r in rows)
        rate = mean_sd(r["rate_post_hz"] for r in rows)
        lines.append(
            f"| {sim} | {len(rows)} | {stats} | {rate} | {run:.1f} | {build:.1f} "
            f"| {' '.join(map(str, hist))} |"
        )
    return "\n".join(lines)


def reading(results: dict[str, list[dict]]) -> str:
    """The table in words: for each brainjit backend, how far each statistic's mean lies
    from Brian2 cpp_standalone's, in units of the larger standard deviation over seeds."""
    ref = results.get("brian2-cpp_standalone")
    if not ref or len(ref) < 2:
        return ""
    keys = STATS + [("rate_post_hz", "rate")]
    parts = []
    for sim, rows in results.items():
        if not sim.startswith("brainjit") or len(rows) < 2:
            continue
        gaps = []
        for key, label in keys:
            a, b = [r[key] for r in rows], [r[key] for r in ref]
            sd = max(statistics.stdev(a), statistics.stdev(b))
            diff = statistics.mean(a) - statistics.mean(b)
            gaps.append(f"{label} {diff:+.3f} ({diff / sd:+.1f} sd)" if sd > 0 else label)
        parts.append(f"{sim} minus Brian2: " + ", ".join(gaps) + ".")
    return "Reading (difference of the means over seeds): " + " ".join(parts)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SIMULATORS, default=DEFAULT)
    parser.add_argument("--duration", type=float, default=100_000.0, help="ms (default 100 s)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--timeout", type=float, default=3600.0, help="s per run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)

    b2_python = brian2_python()
    notes = []
    if b2_python is None:
        skipped = [s for s in args.only if s.startswith("brian2")]
        if skipped:
            notes.append(
                f"{', '.join(skipped)}: not installed (bash benchmarks/peers/setup.sh brian2)"
            )
        args.only = [s for s in args.only if not s.startswith("brian2")]
    loads = [load_average()]
    results: dict[str, list[dict]] = {sim: [] for sim in args.only}
    for seed in args.seeds:  # the simulators take turns
        for sim in args.only:
            results[sim].append(run_one(sim, seed, args, b2_python))
        loads.append(load_average())
    text = table(results, args) + "\n\n" + reading(results)
    print()
    print(text)
    for note in notes:
        print(note)
    if args.no_write:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _results import machine, write_section

    versions = sorted({r["version"] for rows in results.values() for r in rows if "version" in r})
    command = "python benchmarks/song2000.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    note_text = "".join(f"\n{note}." for note in notes)
    write_section(
        "song2000",
        f"""## STDP: Song, Miller & Abbott (2000), brainjit and Brian2 side by side

`{command.strip()}` — {machine()}; Brian2 {", ".join(versions) or "absent"}; load
average (1, 5, 15 min) before and after each seed: {" / ".join(loads)}.
`examples/stdp_song2000.py` and `benchmarks/peers/brian2_stdp.py`: 1000 Poisson inputs
at 15 Hz, additive all-to-all STDP (gmax = 0.01, A_plus = 0.01 gmax, A_minus = 1.05
A_plus, tau = 20 ms), {args.duration / 1000:g} s of biological time, dt = 0.1 ms, seeds
{" ".join(map(str, args.seeds))} (the same initial weights per seed; each simulator's
own Poisson spikes); fresh processes (empty brainjit cache, Brian2's project built
afresh); Numba and Brian2 single-threaded, XLA with its default threads. Statistics:
mean ± standard deviation over the seeds.{note_text}

{text}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'song2000')")


if __name__ == "__main__":
    main()
