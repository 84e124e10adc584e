"""COBA (N = 4000) with STDP on the excitatory-to-excitatory synapses: brainjit (both
backends) side by side with Brian2 (cpp_standalone, optionally cython), each with the
plastic and the static network, so that the cost of the plastic synapses shows.

    python benchmarks/coba_stdp.py                                  # 1 s, every simulator
    python benchmarks/coba_stdp.py --duration 2000 --repeats 3
    python benchmarks/coba_stdp.py --only brainjit-numpy brian2-cpp_standalone --no-write
    bash benchmarks/peers/setup.sh brian2                           # Brian2 first

The network is ``examples/coba.py`` (``benchmarks/peers/_common.py``: 80% E / 20% I,
p = 0.02 / scale, conductance-based LIF, dt = 0.1 ms) whose E->E projection is a
``bp.dyn.STDP`` (Brian2: a ``Synapses`` with the same rule): additive all-to-all
pair-based STDP with exponential traces, tau_plus = tau_minus = 20 ms, weights from
we = 0.6 in [0, wmax = 2 we], A_plus = 0.01 wmax, A_minus = 1.05 A_plus, exponential
conductance (taue = 5 ms) as the static synapses. The static network ("static") is COBA
itself, four ``Exponential`` projections (Brian2: four ``Synapses``); the E->E
connectivity of the two brainjit networks is the same (same seed).

Every run is a fresh process with an empty ``BRAINJIT_CACHE_DIR`` (the model's code
generated and compiled afresh by Numba or XLA; the library's own Numba kernels load
from their cache) and Brian2's C++ project built afresh; run time excludes building
(brainjit: ``runner.run_time``; Brian2 cpp_standalone: the binary's own simulation
time). Within each repeat the simulators take turns. The table (medians over
``--repeats``) gives run time per biological second, build time, the E and I rates,
the mean E->E weight at the end, the plastic/static ratio of each simulator, and
brainjit's plastic run time relative to Brian2 cpp_standalone's (the issue's target: at
most 0.5). Written to benchmarks/RESULTS.md (section ``coba_stdp``) with the command
line.
"""

from __future__ import annotations

import argparse
import importlib.util
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
PEERS = ROOT / "benchmarks" / "peers"
SIMULATORS = ["brainjit-numpy", "brainjit-jax", "brian2-cpp_standalone", "brian2-cython"]
DEFAULT = ["brainjit-numpy", "brainjit-jax", "brian2-cpp_standalone"]
# STDP on E->E (as benchmarks/peers/brian2_stdp.py's COBA_STDP)
WMAX_REL, A_REL, RATIO, TAU_PLUS, TAU_MINUS = 2.0, 0.01, 1.05, 20.0, 20.0


def load_coba():
    spec = importlib.util.spec_from_file_location("coba_example", ROOT / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stdp_network(coba, scale: float, seed: int):
    """``examples/coba.py``'s network with its E2E projection a ``bp.dyn.STDP``."""
    import brainjit as bp

    net = coba.coba_network(scale, seed)
    wmax = WMAX_REL * coba.WE
    a_plus = A_REL * wmax
    static = net.E2E
    E2E = bp.dyn.STDP(
        net.E,
        net.E,
        (static.indptr, static.indices),  # the static network's connectivity
        weight=coba.WE,
        tau=coba.TAUE,
        output="coba",
        E=coba.EE,
        tau_plus=TAU_PLUS,
        tau_minus=TAU_MINUS,
        A_plus=a_plus,
        A_minus=a_plus * TAU_PLUS / TAU_MINUS * RATIO,
        w_min=0.0,
        w_max=wmax,
    )
    return bp.dyn.Network(E2E=E2E, E2I=net.E2I, I2E=net.I2E, I2I=net.I2I, E=net.E, I=net.I)


def worker(backend: str, plastic: bool, duration: float, scale: float, seed: int) -> dict:
    """One brainjit run in this process: the JSON line of the run."""
    import numpy as np

    import brainjit as bp

    coba = load_coba()
    bp.math.use_backend(backend)
    bp.math.random.seed(seed)
    net = stdp_network(coba, scale, seed) if plastic else coba.coba_network(scale, seed)
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
        inputs=[("E.input", coba.DRIVE), ("I.input", coba.DRIVE)],
        dt=0.1,
        progress_bar=False,
    )
    runner.run(duration)
    out = {
        "simulator": "brainjit",
        "backend": backend,
        "network": "coba_stdp" if plastic else "coba_static",
        "N": net.E.num + net.I.num,
        "duration_ms": duration,
        "build_s": runner.build_time,
        "run_s": runner.run_time,
        "rate_E_hz": coba.rate_hz(runner.mon["E.spike"], duration),
        "rate_I_hz": coba.rate_hz(runner.mon["I.spike"], duration),
        "num_ee_synapses": int(net.E2E.num_synapses),
    }
    if plastic:
        out["mean_w_ee"] = float(np.mean(np.asarray(net.E2E.weight.value)))
    return out


def brian2_python() -> str | None:
    """The interpreter that imports Brian2: .venv-brian2's, else this one, else None."""
    for python in (ROOT / ".venv-brian2" / "bin" / "python", Path(sys.executable)):
        if python.exists():
            ok = subprocess.run([str(python), "-c", "import brian2"], capture_output=True)
            if ok.returncode == 0:
                return str(python)
    return None


def run_one(sim: str, plastic: bool, args, b2_python: str | None) -> dict:
    """One fresh process (empty caches) for ``sim``; its JSON line as a dict."""
    common = [
        "--duration",
        str(args.duration),
        "--scale",
        str(args.scale),
        "--seed",
        str(args.seed),
    ]
    with tempfile.TemporaryDirectory(prefix="brainjit-coba-stdp-") as cache:
        env = {**os.environ, "BRAINJIT_CACHE_DIR": cache}
        if sim.startswith("brainjit"):
            backend = sim.split("-")[1]
            cmd = [sys.executable, __file__, "--worker", backend, *common]
            cmd += [] if plastic else ["--static"]
        else:
            target = sim.split("-", 1)[1]
            cmd = [b2_python, str(PEERS / "brian2_stdp.py"), "--network", "coba_stdp"]
            cmd += ["--target", target, *common] + ([] if plastic else ["--no-stdp"])
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{sim} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    print(json.dumps(result), flush=True)
    return result


def table(results: dict, args) -> str:
    seconds = args.duration / 1000.0

    def med(sim, plastic, key):
        rows = results.get((sim, plastic), [])
        values = [r[key] for r in rows if key in r]
        return statistics.median(values) if values else None

    def spread(sim, plastic):
        runs = [r["run_s"] / seconds for r in results.get((sim, plastic), [])]
        return f"{min(runs):.3f}-{max(runs):.3f}"

    b2 = med("brian2-cpp_standalone", True, "run_s")
    lines = [
        "| simulator | E->E | run s per biological s (min-max) | build s | rate E Hz | rate I Hz "
        "| mean E->E w at the end | plastic / static run time | plastic run time / Brian2 "
        "cpp_standalone's |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sim in args.only:
        for plastic in (True, False):
            run = med(sim, plastic, "run_s")
            if run is None:
                continue
            static = med(sim, False, "run_s")
            cost = f"{run / static:.2f}" if plastic and static else "-"
            vs = f"{run / b2:.2f}x" if plastic and b2 else "-"
            mean_w = med(sim, plastic, "mean_w_ee")
            lines.append(
                f"| {sim} | {'STDP' if plastic else 'static'} | {run / seconds:.3f} "
                f"({spread(sim, plastic)}) "
                f"| {med(sim, plastic, 'build_s'):.1f} | {med(sim, plastic, 'rate_E_hz'):.2f} "
                f"| {med(sim, plastic, 'rate_I_hz'):.2f} "
                f"| {'-' if mean_w is None else f'{mean_w:.4f}'} | {cost} | {vs} |"
            )
    return "\n".join(lines)


def reading(results: dict, args) -> str:
    """The table in words: each simulator's extra run time for its plastic synapses,
    and brainjit's plastic run time against Brian2 cpp_standalone's (the target)."""
    seconds = args.duration / 1000.0

    def med(sim, plastic):
        rows = results.get((sim, plastic), [])
        return statistics.median(r["run_s"] for r in rows) / seconds if rows else None

    b2 = med("brian2-cpp_standalone", True)
    parts = []
    for sim in args.only:
        plastic, static = med(sim, True), med(sim, False)
        if plastic is None or static is None:
            continue
        text = (
            f"{sim}: the plastic E->E synapses add {plastic - static:.3f} s per "
            f"biological s to the static network ({plastic / static:.2f}x)"
        )
        if sim.startswith("brainjit") and b2:
            verdict = "met" if plastic / b2 <= 0.5 else "missed"
            text += (
                f"; {plastic / b2:.2f}x Brian2 cpp_standalone's plastic run time "
                f"(target <= 0.5x: {verdict})"
            )
        parts.append(text + ".")
    return "Reading (medians): " + " ".join(parts) if parts else ""


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SIMULATORS, default=DEFAULT)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    parser.add_argument("--scale", type=float, default=1.0, help="N = 4000 * scale")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=1, help="fresh processes per run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="s per run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--worker", metavar="BACKEND", help=argparse.SUPPRESS)
    parser.add_argument("--static", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args.worker, not args.static, args.duration, args.scale, args.seed)
        print(json.dumps(result))
        return

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
    results: dict = {}
    for _ in range(args.repeats):  # the simulators take turns
        for sim in args.only:
            for plastic in (True, False):
                results.setdefault((sim, plastic), []).append(
                    run_one(sim, plastic, args, b2_python)
                )
        loads.append(load_average())
    text = table(results, args) + "\n\n" + reading(results, args)
    n = next(iter(results.values()))[0]["N"]
    syn = next(r for rows in results.values() for r in rows if "num_ee_synapses" in r)
    print()
    print(text)
    for note in notes:
        print(note)
    if args.no_write:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _results import machine, write_section

    versions = sorted({r["version"] for rows in results.values() for r in rows if "version" in r})
    command = "python benchmarks/coba_stdp.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    note_text = "".join(f"\n{note}." for note in notes)
    write_section(
        "coba_stdp",
        f"""## COBA with STDP on E->E, N = {n}, side by side with Brian2 (dt = 0.1 ms)

`{command.strip()}` — {machine()}; Brian2 {", ".join(versions) or "absent"}; load
average (1, 5, 15 min) before and after each repeat: {" / ".join(loads)}. Median of
{args.repeats} fresh process(es) per row (empty brainjit cache, Brian2's project built
afresh), {args.duration:g} ms of biological time; Numba and Brian2 single-threaded, XLA
with its default threads. The E->E projection ({syn["num_ee_synapses"]}
synapses in brainjit's draw) carries additive all-to-all STDP (tau_plus = tau_minus =
20 ms, w from 0.6 in [0, 1.2], A_plus = 0.012, A_minus = 1.05 A_plus); "static" is
COBA itself. Run time excludes building (Brian2 cpp_standalone: the binary's own
simulation time).{note_text}

{text}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'coba_stdp')")


if __name__ == "__main__":
    main()
