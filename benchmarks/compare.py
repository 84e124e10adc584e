"""COBA and COBAHH side by side: brainjit (both backends) and the peer simulators Brian2
(cython, cpp_standalone), NEST and BrainPy, on the same machine, alternating.

    python benchmarks/compare.py                                 # COBA + COBAHH, N = 4000
    python benchmarks/compare.py --networks coba --scales 1 4 16 --duration 1000 --repeats 3
    python benchmarks/compare.py --only brainjit-numpy brian2-cpp_standalone --no-write
    bash benchmarks/peers/setup.sh                               # installs the peers first

Every run is a fresh process that prints one JSON line (simulator, backend, network, N,
duration_ms, build_s, run_s, rate_E_hz, rate_I_hz): ``examples/coba.py`` /
``examples/cobahh.py --json`` for brainjit (run by this interpreter, with an empty
brainjit cache directory: a cold compile) and ``benchmarks/peers/*_bench.py`` for the
peers (each run by the interpreter of its virtual environment ``.venv-<peer>``, made by
``benchmarks/peers/setup.sh``, or by this interpreter where it imports the peer, as after
``pip install -e .[bench]``). Every peer compiles cold too (fresh cache / project
directory). The parent waits for each child with ``os.wait4`` and takes the child's
peak resident memory from its ``ru_maxrss`` (that child's own, the largest of it and of
its waited-for children: a compiler, a standalone binary).

Within each repeat the simulators take turns (round robin) for every network, size and
seed, so that a change in the machine's load spreads over all of them. A simulator that
is not installed is listed with a note; a run that fails or exceeds ``--timeout`` is
reported, and the others go on. The table (medians over the runs: build s, run s per
biological second, peak RSS, E and I rates with their range over seeds and repeats,
and each time and memory relative to the best peer simulator) is printed and written to
benchmarks/RESULTS.md (section ``compare``) with the versions of every simulator and
the command line. ``--threads 1`` (the default) runs every simulator single-threaded.

The networks (identical in every simulator; see ``benchmarks/peers/_common.py``):
N = 4000 scale neurons (80% E, 20% I), random connectivity with p = 0.02 / scale (about
80 inputs per neuron at every size), no delays, dt = 0.1 ms; COBA: conductance-based
LIF with a constant drive (Brian2: E and I about 21.7 Hz); COBAHH: Brian2's COBAHH
example (chaotic: Brian2's E rates span 36-42 Hz over seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "benchmarks" / "peers"
SETUP_NOTE = "not installed (bash benchmarks/peers/setup.sh)"


@dataclass
class Simulator:
    """One simulator and target: how to run it, and whether it is installed."""

    name: str  # e.g. "brian2-cython"
    module: str  # the Python module whose import says it is installed
    venv: str | None  # ".venv-brian2", or None for brainjit (this interpreter)
    is_peer: bool = True
    python: str | None = None  # the interpreter, once found
    version: str = ""
    note: str = ""  # why it is absent

    def command(self, network: str, scale: float, duration: float, seed: int, threads: int):
        common = ["--duration", str(duration), "--scale", str(scale), "--seed", str(seed)]
        if not self.is_peer:  # brainjit: the examples ("brainjit-numpy-float32")
            backend = self.name.split("-")[1]
            script = ROOT / "examples" / f"{network}.py"
            flags = ["--float32"] if self.name.endswith("-float32") else []
            return [self.python, str(script), "--backend", backend, *common] + [
                "--no-plot",
                "--no-progress",
                "--json",
                *flags,
            ]
        peer = self.name.split("-", 1)[0]
        cmd = [self.python, str(PEERS / f"{peer}_bench.py"), "--network", network, *common]
        cmd += ["--threads", str(max(threads, 1))]
        if peer == "brian2":
            cmd += ["--target", self.name.split("-", 1)[1]]
        return cmd


def simulators() -> list[Simulator]:
    return [
        Simulator("brainjit-numpy", "brainjit", None, is_peer=False),
        Simulator("brainjit-numpy-float32", "brainjit", None, is_peer=False),
        Simulator("brainjit-jax", "brainjit", None, is_peer=False),
        Simulator("brian2-cpp_standalone", "brian2", ".venv-brian2"),
        Simulator("brian2-cython", "brian2", ".venv-brian2"),
        Simulator("brainpy-jax", "brainpy", ".venv-brainpy"),
        Simulator("nest-native", "nest", ".venv-nest"),
    ]


def probe(sim: Simulator) -> None:
    """Find the simulator's interpreter and version (or the note why it is absent)."""
    candidates = []
    if sim.venv and (ROOT / sim.venv / "bin" / "python").exists():
        candidates.append(str(ROOT / sim.venv / "bin" / "python"))
    candidates.append(sys.executable)
    code = (
        "import os, sys, platform; sys.stdout = open(os.devnull, 'w'); "
        f"import {sim.module} as m; sys.stdout = sys.__stdout__; "
        "print(getattr(m, '__version__', '?'), platform.python_version())"
    )
    for python in candidates:
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=False, timeout=300
        )
        if out.returncode == 0 and out.stdout.strip():
            version, py = out.stdout.split()[-2:]
            sim.python, sim.version = python, f"{version} (Python {py})"
            return
    sim.note = SETUP_NOTE if sim.is_peer else "brainjit does not import"


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that hold every library to ``threads`` threads (0: as is)."""
    if threads <= 0:
        return {}
    n = str(threads)
    env = {k: n for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env["NUMBA_NUM_THREADS"] = n
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        env["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    return env


@dataclass
class Run:
    """One child process's outcome."""

    sim: str
    network: str
    scale: float
    seed: int
    result: dict | None = None
    error: str = ""
    peak_rss_mb: float = 0.0
    wall_s: float = 0.0
    extra: dict = field(default_factory=dict)


def run_child(cmd: list[str], env: dict, timeout: float) -> tuple[int, float, float, str, str]:
    """Run ``cmd`` to the end (or kill it after ``timeout`` s); return (exit status, peak
    RSS MB of that child from ``os.wait4``, wall s, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, start_new_session=True)
        status = usage = None
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
        proc.returncode = -9 if status is None else os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, usage.ru_maxrss / 1024.0, wall, out.read(), err.read()


def last_json(text: str) -> dict | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def one_run(sim: Simulator, network: str, scale: float, seed: int, args) -> Run:
    run = Run(sim.name, network, scale, seed)
    with tempfile.TemporaryDirectory(prefix="compare-") as cache:
        env = {**os.environ, **thread_env(args.threads), "BRAINJIT_CACHE_DIR": cache}
        env["PYTHONPATH"] = str(ROOT) if not sim.is_peer else ""
        cmd = sim.command(network, scale, args.duration, seed, args.threads)
        try:
            code, rss, wall, out, err = run_child(cmd, env, args.timeout)
        except OSError as error:
            run.error = f"could not start: {error}"
            return run
    run.peak_rss_mb, run.wall_s = rss, wall
    result = last_json(out)
    if code == -9:
        run.error = f"timed out after {args.timeout:g} s"
    elif result and "skipped" in result:
        run.error = result["skipped"]
    elif code != 0 or not result or "run_s" not in result:
        tail = (err.strip() or out.strip()).splitlines()[-3:]
        run.error = f"exit status {code}: " + " | ".join(t.strip() for t in tail)[:300]
    else:
        run.result = result
    return run


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def ratio(row: dict, best: dict, key: str) -> str:
    """``row[key]`` relative to the best peer's."""
    return f"{row[key] / best[key]:.2f}" if best[key] else "-"


def table(runs: list[Run], sims: list[Simulator], args) -> str:
    """One markdown table per network and size."""
    seconds = args.duration / 1000.0
    med = statistics.median
    blocks = []
    for network in args.networks:
        for scale in args.scales:
            n = int(4000 * scale)
            rows = {}
            for sim in sims:
                ok = [
                    r.result
                    for r in runs
                    if r.sim == sim.name and r.network == network and r.scale == scale and r.result
                ]
                rss = [
                    r.peak_rss_mb
                    for r in runs
                    if r.sim == sim.name and r.network == network and r.scale == scale and r.result
                ]
                errors = [
                    r.error
                    for r in runs
                    if r.sim == sim.name and r.network == network and r.scale == scale and r.error
                ]
                rows[sim.name] = (ok, rss, errors)
            summary = {}
            for name, (ok, rss, _) in rows.items():
                if ok:
                    summary[name] = {
                        "build": med(r["build_s"] for r in ok),
                        "run": med(r["run_s"] for r in ok) / seconds,
                        "rss": med(rss),
                        "e": [r["rate_E_hz"] for r in ok],
                        "i": [r["rate_I_hz"] for r in ok],
                        "runs": len(ok),
                    }
            peers = [s.name for s in sims if s.is_peer and s.name in summary]
            best = {
                key: min(summary[p][key] for p in peers) if peers else None
                for key in ("build", "run", "rss")
            }
            lines = [
                f"### {network.upper()}, N = {n:,} (p = {0.02 / scale:g}), {args.duration:g} ms",
                "",
                "| simulator | build s | run s per biological s | peak RSS MB "
                "| rate E Hz | rate I Hz | run / fastest peer | build / fastest peer "
                "| RSS / smallest peer | runs |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for sim in sims:
                ok, _, errors = rows[sim.name]
                if sim.note:
                    lines.append(f"| {sim.name} | {sim.note} |||||||||")
                    continue
                if not ok:
                    note = errors[0] if errors else "not run"
                    lines.append(f"| {sim.name} | failed: {note.replace('|', '/')} |||||||||")
                    continue
                s = summary[sim.name]

                def rate(values):
                    text = fmt(med(values))
                    if len(values) > 1:
                        text += f" ({min(values):.1f}-{max(values):.1f})"
                    return text

                failed = f", {len(errors)} failed" if errors else ""
                lines.append(
                    f"| {sim.name} | {fmt(s['build'], 1)} | {fmt(s['run'])} | {s['rss']:.0f} "
                    f"| {rate(s['e'])} | {rate(s['i'])} | {ratio(s, best, 'run')} "
                    f"| {ratio(s, best, 'build')} | {ratio(s, best, 'rss')} | {s['runs']}{failed} |"
                )
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def versions(sims: list[Simulator]) -> str:
    lines = []
    seen = set()
    for sim in sims:
        key = sim.name.split("-", 1)[0]
        if key in seen:
            continue
        seen.add(key)
        where = ""
        if sim.python and sim.is_peer:
            venv = Path(sim.python).parents[1]
            where = f", `{venv.name}`" if venv.parent == ROOT else ", this environment"
        lines.append(f"- {key}: {sim.version + where if sim.version else sim.note}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [s.name for s in simulators()]
    parser.add_argument("--networks", nargs="+", choices=["coba", "cobahh"], default=None)
    parser.add_argument(
        "--scales", nargs="+", type=float, default=[1.0], help="N = 4000 * scale (1 4 16)"
    )
    parser.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    parser.add_argument("--repeats", type=int, default=1, help="runs per simulator and seed")
    parser.add_argument("--seeds", nargs="+", type=int, default=[42])
    parser.add_argument("--only", nargs="+", choices=names, help="run only these simulators")
    parser.add_argument("--skip", nargs="+", choices=names, default=[], help="leave these out")
    parser.add_argument("--threads", type=int, default=1, help="threads per simulator (0: as is)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="s per run")
    parser.add_argument("--jsonl", help="also append every run's JSON line to this file")
    parser.add_argument(
        "--section", default="compare", help="the RESULTS.md section to write (one per table)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    args.networks = args.networks or ["coba", "cobahh"]

    sims = [
        s
        for s in simulators()
        if (not args.only or s.name in args.only) and s.name not in args.skip
    ]
    for sim in sims:
        probe(sim)
        print(f"{sim.name}: {sim.version or sim.note}", flush=True)
    runnable = [s for s in sims if not s.note]

    runs: list[Run] = []
    for repeat in range(args.repeats):
        for network in args.networks:
            for scale in args.scales:
                for seed in args.seeds:
                    for sim in runnable:  # round robin
                        run = one_run(sim, network, scale, seed, args)
                        runs.append(run)
                        line = dict(run.result or {}, simulator_key=sim.name)
                        line.update(seed=seed, repeat=repeat, peak_rss_mb=run.peak_rss_mb)
                        if run.error:
                            line.update(network=network.upper(), scale=scale, error=run.error)
                        text = json.dumps(line)
                        print(text, flush=True)
                        if args.jsonl:
                            with open(args.jsonl, "a") as f:
                                f.write(text + "\n")

    text = table(runs, sims, args)
    print()
    print(text)
    if args.no_write:
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _results import machine, write_section

    command = "python benchmarks/compare.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    threads = (
        "every simulator single-threaded (OMP/MKL/OpenBLAS/Numba threads 1, XLA without "
        "its Eigen thread pool, NEST 1 thread, Brian2 standalone without OpenMP)"
        if args.threads == 1
        else f"threads: {args.threads if args.threads > 0 else 'library defaults'}"
    )
    write_section(
        args.section,
        f"""## COBA and COBAHH: brainjit, Brian2, BrainPy, NEST (`benchmarks/compare.py`)

`{command.strip()}` — {time.strftime("%Y-%m-%d")}, {machine()}.
Seeds {" ".join(map(str, args.seeds))}, {args.repeats} repeat(s), {threads}. Each run a
fresh process, the simulators in turn (round robin) within each repeat; every compile
cold. Build: everything before the time loop (network, connectivity, code generation
and compilation); run: the time loop only, per second of biological time; peak RSS:
the child's `ru_maxrss` (`os.wait4`), compilers and standalone binaries included.
Medians over the runs; the rates' range over seeds and repeats in brackets. Ratios:
to the best peer (Brian2, BrainPy, NEST) in that column. Models, parameters and
initial states identical (`benchmarks/peers/_common.py`); NEST's COBAHH neuron
(`hh_cond_exp_traub`) takes its initial conductances as an input at 0.2 ms and
detects spikes at the action potential's peak. BrainPy and brainjit's jax backend run
in float32 (their default); brainjit's numpy backend in float64 (its default) and in
float32 (`brainjit-numpy-float32`: `bp.math.set_dfloat(bp.math.float32)`).

Versions:
{versions(sims)}

{text}
""",
    )
    print(f"\nwritten to benchmarks/RESULTS.md (section {args.section!r})")


if __name__ == "__main__":
    main()
