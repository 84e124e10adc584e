"""The Vogels-Abbott benchmarks (COBA and CUBA) through PyNN: ``brainjit.pynn`` (numpy and
jax backends) side by side with ``pyNN.nest`` and ``pyNN.brian2``, each run in its own
fresh process.

    python benchmarks/pynn_vabench.py              # every simulator found, 4000 cells, 1 s
    python benchmarks/pynn_vabench.py --only brainjit-numpy nest --no-write
    python benchmarks/pynn_vabench.py --worker brainjit-numpy COBA   # one run, JSON on stdout

The network follows PyNN's ``examples/VAbenchmarks.py`` (benchmarks 1 and 2 of Brette et
al. 2007, after Vogels & Abbott 2005): ``n`` cells, 80% excitatory and 20% inhibitory, in
two populations (``IF_cond_exp`` for COBA, ``IF_curr_exp`` for CUBA), connected by four
``FixedProbabilityConnector(0.02)`` projections with delay 0.2 ms; membrane potentials
drawn uniformly between reset and threshold; COBA adds 20 Poisson sources (100 Hz for the
first 50 ms) onto every cell with probability 0.01 and weight 0.1 uS. Spikes of every cell
and the membrane potential of two excitatory cells are recorded. The connectivity and
the initial potentials come from one ``NumpyRNG`` (seed 98765) in PyNN's common code, so
every simulator builds the same network; the Poisson sources draw from each simulator's
own generator.

What is timed (wall clock, in the child process):

- build: ``setup()`` through ``record()``: everything PyNN and the simulator do to make
  the network (PyNN's own overhead at this size);
- first run: the first ``run(tstop)`` (brainjit: the loop's code generation and
  compilation; Brian2: its code generation and compilation; NEST: its preparation);
- run: a second ``run(tstop)`` that continues the first (nothing compiled again), per
  biological second.

Statistics over the first ``tstop`` ms: the mean rates of the excitatory and inhibitory
cells and the mean coefficient of variation of the interspike intervals (cells with at
least three spikes); the rate of the second run shows that the activity sustained
itself. Every simulator single-threaded (OMP/MKL/OpenBLAS/Numba threads 1, XLA without
its Eigen thread pool, NEST 1 thread). The table goes to benchmarks/RESULTS.md (section
``pynn_vabench``) with the command line.

Peers: ``pyNN.nest`` runs with the Python of ``--nest-python`` (default
``/tmp/nestvenv``; NEST 3.10, ``spike_precision='on_grid'``), ``pyNN.brian2`` with that of
``--brian2-python`` (default: ``.venv-brian2``, else ``/tmp/venv-brian2.off``; it needs
``pip install PyNN==0.13.0 neo``). A peer whose interpreter is missing or cannot import
its PyNN backend is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMULATORS = ["brainjit-numpy", "brainjit-jax", "nest", "brian2"]

# -- the network (PyNN's VAbenchmarks.py, benchmarks 1 and 2 of Brette et al. 2007) -------

DT, DELAY = 0.1, 0.2  # ms
AREA = 20000e-8  # cm^2 (20,000 um^2)
CM = 1.0 * AREA * 1000  # nF (1 uF/cm^2)
TAU_M, V_THRESH, V_RESET, T_REFRAC = 20.0, -50.0, -60.0, 5.0
TAU_EXC, TAU_INH = 5.0, 10.0
E_REV_EXC, E_REV_INH = 0.0, -80.0
V_MEAN = -60.0  # mV, the 'mean' potential of the CUBA weights


def cell_parameters(benchmark: str) -> dict:
    """The cells' PyNN parameters of ``benchmark`` ('COBA' or 'CUBA')."""
    params = {
        "tau_m": TAU_M, "tau_syn_E": TAU_EXC, "tau_syn_I": TAU_INH,
        "v_rest": -60.0 if benchmark == "COBA" else -49.0, "v_reset": V_RESET,
        "v_thresh": V_THRESH, "cm": CM, "tau_refrac": T_REFRAC,
    }  # fmt: skip
    if benchmark == "COBA":
        params.update(e_rev_E=E_REV_EXC, e_rev_I=E_REV_INH)
    return params


def weights(benchmark: str) -> tuple[float, float]:
    """Excitatory and inhibitory weights: uS for COBA (4 and 51 nS), nA for CUBA (0.27 and
    4.5 nS times the driving force at -60 mV)."""
    if benchmark == "COBA":
        return 4.0e-3, 51.0e-3
    return 1e-3 * 0.27 * (E_REV_EXC - V_MEAN), 1e-3 * 4.5 * (E_REV_INH - V_MEAN)


def build_network(sim, benchmark: str, n: int = 4000, pconn: float = 0.02, seed: int = 98765):
    """Build the VA network with the PyNN module ``sim`` (``setup`` already called).
    Returns ``(exc, inh, projections)``."""
    from pyNN.random import NumpyRNG, RandomDistribution

    if benchmark not in ("COBA", "CUBA"):
        raise ValueError(f"benchmark must be 'COBA' or 'CUBA', got {benchmark!r}")
    n_exc = int(round(n * 4.0 / 5.0))
    celltype = sim.IF_cond_exp if benchmark == "COBA" else sim.IF_curr_exp
    params = cell_parameters(benchmark)
    exc = sim.Population(n_exc, celltype(**params), label="Excitatory_Cells")
    inh = sim.Population(n - n_exc, celltype(**params), label="Inhibitory_Cells")
    rng = NumpyRNG(seed=seed, parallel_safe=True)
    v_init = RandomDistribution("uniform", low=V_RESET, high=V_THRESH, rng=rng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    connector = sim.FixedProbabilityConnector(pconn, rng=rng)
    w_exc, w_inh = weights(benchmark)
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=DELAY)
    prj = {
        "e2e": sim.Projection(exc, exc, connector, exc_syn, receptor_type="excitatory"),
        "e2i": sim.Projection(exc, inh, connector, exc_syn, receptor_type="excitatory"),
        "i2e": sim.Projection(inh, exc, connector, inh_syn, receptor_type="inhibitory"),
        "i2i": sim.Projection(inh, inh, connector, inh_syn, receptor_type="inhibitory"),
    }
    if benchmark == "COBA":
        stim = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0))
        ext_conn = sim.FixedProbabilityConnector(0.01, rng=rng)
        ext_syn = sim.StaticSynapse(weight=0.1)
        prj["ext2e"] = sim.Projection(stim, exc, ext_conn, ext_syn, receptor_type="excitatory")
        prj["ext2i"] = sim.Projection(stim, inh, ext_conn, ext_syn, receptor_type="excitatory")
    exc.record("spikes")
    inh.record("spikes")
    exc[0, 1].record("v")
    return exc, inh, prj


def spike_statistics(population, t_start: float, t_stop: float) -> tuple[float, float]:
    """Mean rate (Hz) of ``population`` in ``[t_start, t_stop)`` ms and mean CV of the
    interspike intervals of its cells with at least three spikes there (nan if none)."""
    import numpy as np

    segment = population.get_data("spikes", clear=False).segments[-1]
    count, cvs = 0, []
    for train in segment.spiketrains:
        times = np.asarray(train.rescale("ms").magnitude)
        times = times[(times >= t_start) & (times < t_stop)]
        count += times.size
        if times.size >= 3:
            isi = np.diff(times)
            cvs.append(isi.std() / isi.mean())
    rate = count / len(segment.spiketrains) / ((t_stop - t_start) / 1000.0)
    return float(rate), float(np.mean(cvs)) if cvs else float("nan")


def setup_arguments(name: str, seed: int) -> tuple[str, dict]:
    """The PyNN module of simulator ``name`` and its ``setup()`` arguments."""
    common = {"timestep": DT, "min_delay": DELAY, "max_delay": 1.0}
    if name.startswith("brainjit-"):
        return "brainjit.pynn", {**common, "backend": name.split("-", 1)[1], "rng_seed": seed}
    if name == "nest":
        return "pyNN.nest", {
            **common, "threads": 1, "spike_precision": "on_grid", "rng_seed": seed
        }  # fmt: skip
    if name == "brian2":
        return "pyNN.brian2", common
    raise ValueError(f"unknown simulator {name!r}")


def worker(name: str, benchmark: str, n: int, tstop: float, seed: int) -> dict:
    """One simulator, one benchmark, in this process: the timings and statistics."""
    import importlib

    module, kwargs = setup_arguments(name, seed)
    t0 = time.perf_counter()
    sim = importlib.import_module(module)
    if module == "brainjit.pynn":  # start the backend (jax: its devices) with the import
        import numpy as np

        from brainjit import math as bm

        with bm.backend(kwargs["backend"]):
            np.asarray(bm.zeros(4) + 1.0)
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.setup(**kwargs)
    exc, inh, prj = build_network(sim, benchmark, n=n)
    t_build = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.run(tstop)
    t_first = time.perf_counter() - t0
    rate_e, cv_e = spike_statistics(exc, 0.0, tstop)
    rate_i, cv_i = spike_statistics(inh, 0.0, tstop)

    t0, c0 = time.perf_counter(), time.process_time()
    sim.run(tstop)
    t_run, c_run = time.perf_counter() - t0, time.process_time() - c0
    rate_e2, _ = spike_statistics(exc, tstop, 2 * tstop)
    rate_i2, _ = spike_statistics(inh, tstop, 2 * tstop)
    synapses = {key: int(p.size()) for key, p in prj.items()}
    sim.end()
    return {
        "simulator": name, "benchmark": benchmark, "n": n, "tstop": tstop,
        "import_s": t_import, "build_s": t_build, "first_run_s": t_first,
        "run_s_per_bio_s": t_run / (tstop / 1000.0),
        "run_cpu_s_per_bio_s": c_run / (tstop / 1000.0),
        "rate_e": rate_e, "rate_i": rate_i, "cv_e": cv_e, "cv_i": cv_i,
        "rate_e_second_run": rate_e2, "rate_i_second_run": rate_i2,
        "synapses": synapses,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": [round(x, 1) for x in os.getloadavg()],
    }  # fmt: skip


# -- the driver: one fresh process per simulator and benchmark -----------------------------


def thread_env() -> dict:
    env = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env["NUMBA_NUM_THREADS"] = "1"
    flags = os.environ.get("XLA_FLAGS", "")
    env["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    return env


def interpreter(name: str, args) -> tuple[str | None, str]:
    """The Python that runs simulator ``name``, or None and why not."""
    if name.startswith("brainjit-"):
        return sys.executable, ""
    if name == "nest":
        candidates = [Path(args.nest_python)]
    else:
        candidates = [Path(args.brian2_python)] if args.brian2_python else []
        candidates += [ROOT / ".venv-brian2/bin/python", Path("/tmp/venv-brian2.off/bin/python")]
    module = setup_arguments(name, 0)[0]
    for python in candidates:
        if not python.exists():
            continue
        probe = subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True, text=True, timeout=300
        )
        if probe.returncode == 0:
            return str(python), ""
        why = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import failed"
        return None, f"{python} cannot import {module} ({why})"
    return None, f"no interpreter with {module} (looked for {', '.join(map(str, candidates))})"


def versions(python: str, name: str) -> str:
    code = {
        "nest": "import nest, pyNN; print('NEST', nest.__version__, '/ PyNN', pyNN.__version__)",
        "brian2": "import brian2, pyNN; print('Brian2', brian2.__version__, '/ PyNN', "
        "pyNN.__version__)",
    }.get(name, "import brainjit, pyNN; print('brainjit', brainjit.__version__, '/ PyNN', "
         "pyNN.__version__)")  # fmt: skip
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else "?"


def run_child(python: str, name: str, benchmark: str, args) -> dict:
    cmd = [python, str(Path(__file__).resolve()), "--worker", name, benchmark]
    cmd += ["--n", str(args.n), "--tstop", str(args.tstop), "--seed", str(args.seed)]
    env = {**os.environ, **thread_env()}
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=args.timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"simulator": name, "benchmark": benchmark, "error": f"timeout {args.timeout} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"simulator": name, "benchmark": benchmark, "error": " | ".join(tail)}
    return json.loads(lines[-1])


def fmt(x, spec=".2f") -> str:
    return "-" if x is None or x != x else format(x, spec)


def table(results: list, benchmark: str) -> str:
    rows = [r for r in results if r["benchmark"] == benchmark and "error" not in r]
    peers = [r["run_s_per_bio_s"] for r in rows if not r["simulator"].startswith("brainjit")]
    best = min(peers) if peers else None
    lines = [
        "| simulator | build s | first run s | run s per biological s | run CPU s "
        "| run / fastest peer "
        "| build / run | rate E Hz | rate I Hz | CV E | CV I | rate E, I Hz (2nd run) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        run = r["run_s_per_bio_s"]
        ratio = fmt(run / best) if best else "-"
        lines.append(
            f"| {r['simulator']}{' (earlier run)' if r.get('reused') else ''} | "
            f"{fmt(r['build_s'])} | {fmt(r['first_run_s'])} | "
            f"{fmt(run, '.3f')} | {fmt(r.get('run_cpu_s_per_bio_s'), '.3f')} | {ratio} | "
            f"{fmt(r['build_s'] / run)} | {fmt(r['rate_e'])} | "
            f"{fmt(r['rate_i'])} | {fmt(r['cv_e'])} | {fmt(r['cv_i'])} | "
            f"{fmt(r['rate_e_second_run'])}, {fmt(r['rate_i_second_run'])} |"
        )
    for r in results:
        if r["benchmark"] == benchmark and "error" in r:
            lines.append(f"| {r['simulator']} | failed: {r['error']} |" + " |" * 10)
    return "\n".join(lines)


def reading(results: list, benchmark: str) -> str:
    """One sentence per brainjit row: run time against the fastest peer, build against
    run time, and how far the rates are from the peers'."""
    rows = [r for r in results if r["benchmark"] == benchmark and "error" not in r]
    peers = [r for r in rows if not r["simulator"].startswith("brainjit")]
    if not peers:
        return ""
    best = min(peers, key=lambda r: r["run_s_per_bio_s"])
    lo = min(min(r["rate_e"], r["rate_i"]) for r in peers)
    hi = max(max(r["rate_e"], r["rate_i"]) for r in peers)
    out = []
    for r in rows:
        if not r["simulator"].startswith("brainjit"):
            continue
        ratio = r["run_s_per_bio_s"] / best["run_s_per_bio_s"]
        met = "met" if ratio <= 0.5 else "missed"
        cpu = r.get("run_cpu_s_per_bio_s"), best.get("run_cpu_s_per_bio_s")
        cpu_ratio = f" (CPU time: {cpu[0] / cpu[1]:.2f}x)" if None not in cpu else ""
        build = r["build_s"] / r["run_s_per_bio_s"]
        out.append(
            f"{r['simulator']}: run {ratio:.2f}x {best['simulator']}'s{cpu_ratio} "
            f"(target <= 0.5: {met}); "
            f"build {build:.2f}x its run time per biological s "
            f"({'met' if build <= 1 else 'missed'}), {r['build_s'] / r['first_run_s']:.2f}x "
            f"its first run; rates E/I {r['rate_e']:.2f}/{r['rate_i']:.2f} Hz against the "
            f"peers' {lo:.2f}-{hi:.2f} Hz."
        )
    return f"Reading ({benchmark}): " + " ".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("SIMULATOR", "BENCHMARK"))
    parser.add_argument("--only", nargs="+", choices=SIMULATORS, default=SIMULATORS)
    parser.add_argument("--benchmarks", nargs="+", choices=["COBA", "CUBA"],
                        default=["COBA", "CUBA"])  # fmt: skip
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--tstop", type=float, default=1000.0)
    parser.add_argument("--seed", type=int, default=42, help="the simulators' own generators")
    parser.add_argument("--nest-python", default="/tmp/nestvenv/bin/python")
    parser.add_argument("--brian2-python", default=None)
    parser.add_argument("--timeout", type=float, default=1200.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--jsonl", help="append every result to this file")
    parser.add_argument(
        "--reuse", help="a --jsonl file of an earlier run: its rows stand in for the "
        "simulators not in --only (marked in the table)"
    )  # fmt: skip
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args.worker[0], args.worker[1], args.n, args.tstop, args.seed)
        print(json.dumps(result))
        return

    pythons, notes, results = {}, [], []
    for name in args.only:
        python, why = interpreter(name, args)
        if python is None:
            notes.append(f"{name} skipped: {why}")
            print(notes[-1], flush=True)
        else:
            pythons[name] = python
    for benchmark in args.benchmarks:
        for name, python in pythons.items():
            result = run_child(python, name, benchmark, args)
            results.append(result)
            print(json.dumps(result), flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps(result) + "\n")
    if args.reuse:
        reused = {}
        for line in Path(args.reuse).read_text().splitlines():
            old = json.loads(line)
            if old["simulator"] not in args.only and old["benchmark"] in args.benchmarks:
                old["reused"] = True
                results.append(old)
                when = f"{old.get('when', '?')}, load {old.get('load', '?')}"
                reused.setdefault(old["simulator"], []).append(f"{old['benchmark']} {when}")
        for name, runs in reused.items():
            notes.append(f"{name}: rows of an earlier run ({args.reuse}: {'; '.join(runs)})")
            python, _ = interpreter(name, args)
            if python:
                pythons[name] = python

    sections = []
    for benchmark in args.benchmarks:
        text = table(results, benchmark)
        print(f"\n{benchmark}, N = {args.n}, {args.tstop:g} ms\n{text}")
        sections.append(
            f"### {benchmark}, N = {args.n:,}, {args.tstop:g} ms\n\n{text}\n\n"
            + reading(results, benchmark)
        )
    if args.no_write:
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _results import machine, write_section

    command = "python " + " ".join(
        shlex.quote(a) for a in ["benchmarks/pynn_vabench.py", *(argv or sys.argv[1:])]
    )
    load = os.getloadavg()
    header = (
        "## The Vogels-Abbott benchmarks through PyNN: brainjit.pynn, pyNN.nest, pyNN.brian2\n\n"
        f"`{command}` — {time.strftime('%Y-%m-%d')}, {machine()}; load average before "
        f"(1, 5, 15 min) {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.\n\n"
        "PyNN's `examples/VAbenchmarks.py` network (4 projections p = 0.02, delay 0.2 ms, "
        "COBA with 20 Poisson sources for the first 50 ms), the same connectivity and "
        "initial potentials in every simulator (PyNN's NumpyRNG, seed 98765). Each row a "
        "fresh process, single-threaded. Build: `setup()` through `record()`; first run: "
        "the first `run(tstop)` (compilation included); run: a second `run(tstop)` "
        "continuing the first. Rates and CVs (mean over cells with >= 3 spikes) over the "
        "first run; the last column the rates of the second run. Run CPU s: the process's CPU "
        "time of the second run per biological s (less sensitive to other load on the "
        "machine than the wall clock). build / run: PyNN's "
        "construction against the run time per biological second (target <= 1); run / "
        "fastest peer: against the fastest of NEST and Brian2 (target <= 0.5).\n\n"
        "Versions: "
        + "; ".join(f"{name}: {versions(py, name)}" for name, py in pythons.items())
        + (" (Brian2 through PyNN: runtime code generation)" if "brian2" in pythons else "")
        + "\n\n"
        + "".join(f"- {note}\n" for note in notes)
    )
    write_section("pynn_vabench", header + "\n" + "\n\n".join(sections))


if __name__ == "__main__":
    main()
