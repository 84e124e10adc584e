"""The cost of spike events: COBA's run time with spike monitors that lose no spike
(``mon.spike_events``, records OR-accumulated over ``monitor_every`` steps) against the
bit records they replace (spikes sampled every ``monitor_every`` steps, 8 per byte).

    python benchmarks/spike_events.py                  # N = 4000 and 64,000, both backends
    python benchmarks/spike_events.py --sizes 4000 --backends numpy --repeats 3 --no-write

One fresh process per backend and size (``--worker``) builds ``examples/coba.py``'s
network once (seed 42) and four Runners on it, monitoring ``E.spike`` and ``I.spike``:
``monitor_every`` 1 and 10, each with spike events (the Runner as it is) and without
(``Runner._spike_events = False``: the boolean monitors sampled like the others, as
before spike events). All four are compiled first; then round after round each runs
``duration`` ms in turn (the Runners share the network: it runs on, its rates
stationary), so that the variants see the same load of this shared machine (every
other round in the reverse order). A run is
timed from the outside (``time.perf_counter`` around ``runner.run``); the time spent
turning chunks into events and records on the host (``SpikeRecorder.add``) is timed too,
and so is one ``mon.spike_events`` call per monitor after the run. Medians over the
rounds; the ratio is the median of the rounds' ratios (events / bits, same round).
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
EVERY = (1, 10)
VARIANTS = ("bits", "events")


def load_example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("coba_example", ROOT / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def worker(backend: str, n: int, duration: float, repeats: int) -> dict:
    import numpy as np

    import brainjit as bp
    from brainjit.running import _spikes

    coba = load_example()
    bp.math.use_backend(backend)
    bp.math.random.seed(42)
    net = coba.coba_network(n / 4000, 42)

    class BitsRunner(bp.Runner):
        _spike_events = False  # spikes sampled every monitor_every steps (thinned)

    host = {}  # per monitor: seconds per step of each SpikeRecorder.add call
    add = _spikes.SpikeRecorder.add

    def timed_add(self, rows, k0):
        start = time.perf_counter()
        out = add(self, rows, k0)
        host.setdefault(id(self), []).append((time.perf_counter() - start) / len(rows))
        return out

    _spikes.SpikeRecorder.add = timed_add
    runners = {}
    for every in EVERY:
        for variant in VARIANTS:
            cls = BitsRunner if variant == "bits" else bp.Runner
            runners[every, variant] = cls(
                net,
                monitors=["E.spike", "I.spike"],
                inputs=[("E.input", coba.DRIVE), ("I.input", coba.DRIVE)],
                monitor_every=every,
                progress_bar=False,
            )
    for runner in runners.values():  # compile (for the chunks of the timed runs)
        runner.run(duration)
    steps = int(round(duration / 0.1))
    rows = {key: [] for key in runners}
    for round_ in range(repeats):  # every other round in the reverse order
        order = list(runners.items())
        for key, runner in order if round_ % 2 == 0 else order[::-1]:
            host.clear()
            start = time.perf_counter()
            mon = runner.run(duration)
            wall = time.perf_counter() - start
            # the host's part: per monitor the median over chunks (a busy machine puts
            # another job's time slice into a few calls), summed over the monitors
            per_step = sum(statistics.median(calls) for calls in host.values())
            row = {"us_per_step": wall / steps * 1e6, "host_us_per_step": per_step * 1e6}
            row["recorded"] = int(sum(np.bitwise_count(mon.bits(m)).sum() for m in mon))
            if key[1] == "events":
                start = time.perf_counter()
                events = sum(len(mon.spike_events(m)[0]) for m in mon)
                row["events_call_ms"] = (time.perf_counter() - start) * 1e3
                row["events"] = events
            rows[key].append(row)
    return {
        "backend": backend,
        "N": net.E.num + net.I.num,
        "duration_ms": duration,
        "rows": {f"{every},{variant}": r for (every, variant), r in rows.items()},
    }


def run_worker(backend: str, n: int, args) -> dict:
    duration = args.duration if args.duration else (1000.0 if n <= 8000 else 200.0)
    with tempfile.TemporaryDirectory(prefix="brainjit-bench-") as cache:
        env = {**os.environ, "BRAINJIT_CACHE_DIR": cache}
        cmd = [sys.executable, __file__, "--worker", backend, "--sizes", str(n)]
        cmd += ["--duration", str(duration), "--repeats", str(args.repeats)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"worker {backend} N={n} failed:\n{out.stdout}\n{out.stderr}")
    line = out.stdout.strip().splitlines()[-1]
    print(line[:200], "...", flush=True)
    return json.loads(line)


def table(results: list[dict]) -> str:
    med = statistics.median
    lines = [
        "| N | backend | monitor_every | bits µs/step | events µs/step | events / bits "
        "| of which host µs/step | spike_events() ms | spikes in records (bits) "
        "| spikes in records (events) | spike events |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        for every in EVERY:
            bits = res["rows"][f"{every},bits"]
            events = res["rows"][f"{every},events"]
            ratio = med(e["us_per_step"] / b["us_per_step"] for b, e in zip(bits, events))
            lines.append(
                f"| {res['N']:,} | {res['backend']} | {every} "
                f"| {med(r['us_per_step'] for r in bits):.1f} "
                f"| {med(r['us_per_step'] for r in events):.1f} | {ratio:.3f} "
                f"| {med(r['host_us_per_step'] for r in events):.2f} "
                f"| {med(r['events_call_ms'] for r in events):.1f} "
                f"| {med(r['recorded'] for r in bits):,.0f} "
                f"| {med(r['recorded'] for r in events):,.0f} "
                f"| {med(r['events'] for r in events):,.0f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[4000, 64000])
    parser.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    parser.add_argument(
        "--duration", type=float, default=0.0, help="ms per run (default: 1000, 200 at N > 8000)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="rounds (variants in turn)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--note", default="", help="a sentence added to the section (e.g. the machine's load)"
    )
    parser.add_argument("--worker", metavar="BACKEND", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args.worker, args.sizes[0], args.duration, args.repeats)
        print(json.dumps(result))
        return

    results = [run_worker(b, n, args) for n in args.sizes for b in args.backends]
    text = table(results)
    print()
    print(text)
    if args.no_write:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _results import machine, write_section

    command = "python benchmarks/spike_events.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    durations = ", ".join(
        f"{r['duration_ms']:g} ms at N = {r['N']:,}" for r in results[:: len(args.backends)]
    )
    write_section(
        "spike_events",
        f"""## Spike events against sampled bit records (`benchmarks/spike_events.py`)

`{command.strip()}` — {machine()}. {args.note}

COBA (dt = 0.1 ms), monitors `E.spike` and `I.spike`. *bits*: the spike monitors as
before spike events (sampled every `monitor_every` steps, 8 per byte; at 10, spikes
between records are lost). *events*: as now (written at every step, turned into spike
events and records OR-accumulated since the previous record on the host after each
chunk). Four Runners on one network per backend and size, run in turn for
{args.repeats} rounds ({durations} per run; every other round in the reverse order);
medians, the ratio being the median of the
rounds' ratios. *host*: the part of *events* spent in `SpikeRecorder.add` (inside the
run time; per monitor the median over the chunks, summed over the monitors).
*spike_events()*: one call per monitor after a run (concatenating the
chunks' events, times from steps). Spikes in records: the `True`s of `mon['E.spike']`
and `mon['I.spike']` (*bits* at `monitor_every` 10 lose about 9 in 10 of them); spike
events: their number.

{text}
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'spike_events')")


if __name__ == "__main__":
    main()
