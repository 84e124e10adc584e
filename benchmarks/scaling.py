"""COBA partitioned over several devices: strong and weak scaling, and what the spike
exchange costs per step.

    python benchmarks/scaling.py                      # 4 simulated CPU devices
    python benchmarks/scaling.py --cpu-devices 8 --duration 500
    python benchmarks/scaling.py --no-write           # print only

On a machine with accelerators (GPUs), JAX's devices are used as they are (the device
kind is printed); otherwise ``--cpu-devices`` simulated CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count``), which share the machine's
cores: simulated devices show the partitioning and its communication, not a speed-up
beyond the cores there are.

For each device count ``D`` (1, 2, 4, ... up to the devices there are), on the jax
backend with ``bp.Runner(..., devices=jax.devices()[:D])``:

- **strong scaling**: the same network (``N = 4000 * --scale``) on ``D`` devices;
- **weak scaling**: ``N = 4000 * --weak-scale * D`` neurons, the same number per device;
- **exchange**: the bytes every device receives per step (the spikes of the presynaptic
  group of every projection, one bool per neuron, all-gathered), and the time of those
  all-gathers alone: a compiled loop of the same all-gathers (``shard_map`` +
  ``lax.all_gather`` of the E and I spike vectors, four per step like the four
  projections) -- so the step without the exchange is about the step minus that.

Times are per simulated step (ms), the median of ``--repeats`` runs after the compiled
first run. Results go into benchmarks/RESULTS.md (section ``scaling``) with the command.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_example():
    spec = importlib.util.spec_from_file_location("coba_example", ROOT / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def device_counts(available: int) -> list[int]:
    counts, d = [], 1
    while d <= available:
        counts.append(d)
        d *= 2
    return counts


def time_coba(coba, scale: float, devices, duration: float, repeats: int) -> dict:
    """ms per step of COBA at ``N = 4000 * scale`` partitioned over ``devices``."""
    import brainjit as bp

    bp.math.random.seed(1)
    net = coba.coba_network(scale, 1)
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
        inputs=[("E.input", coba.DRIVE), ("I.input", coba.DRIVE)],
        progress_bar=False,
        devices=devices,
    )
    runner.run(duration)  # compiles, and a first run
    steps = runner.mon["E.spike"].shape[0]
    times = []
    for _ in range(repeats):
        runner.run(duration)
        times.append(runner.run_time / steps * 1e3)
    syns = [node for node in net.nodes().values() if isinstance(node, bp.dyn.TwoEndConn)]
    return {
        "N": net.E.num + net.I.num,
        "num_e": net.E.num,
        "num_i": net.I.num,
        "ms_per_step": statistics.median(times),
        "build_s": runner.build_time,
        "exchange_bytes": sum(syn.pre.num for syn in syns),  # one bool per pre neuron
        "rate_hz": float(runner.mon["E.spike"].mean() / 0.1e-3),
    }


def time_exchange(num_e: int, num_i: int, devices, steps: int, repeats: int) -> float:
    """ms per step of the spike all-gathers alone (four per step: E, E, I, I)."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    from brainjit.math._jax.sharding import Partition

    part = Partition.of_devices(devices)
    axes = part.axes

    def gather(e, i):
        outs = [jax.lax.all_gather(x, axes, tiled=True) for x in (e, e, i, i)]
        return sum(o.sum(dtype=jnp.int32) for o in outs)  # keeps every gather alive

    shard = NamedSharding(part.mesh, P(axes))
    gathered = jax.shard_map(
        gather, mesh=part.mesh, in_specs=(P(axes), P(axes)), out_specs=P(), check_vma=False
    )

    @jax.jit
    def loop(e, i):
        def body(k, carry):
            e, i, acc = carry
            total = gathered(e, i)
            return jnp.roll(e, 1), jnp.roll(i, 1), acc + total

        return jax.lax.fori_loop(0, steps, body, (e, i, jnp.int32(0)))[2]

    e = jax.device_put(jnp.arange(num_e) % 3 == 0, shard)
    i = jax.device_put(jnp.arange(num_i) % 3 == 0, shard)
    loop(e, i).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        loop(e, i).block_until_ready()
        times.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(times)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-devices", type=int, default=4, help="simulated CPU devices")
    parser.add_argument("--duration", type=float, default=200.0, help="ms per timed run")
    parser.add_argument("--scale", type=float, default=1.0, help="strong: N = 4000 * scale")
    parser.add_argument("--weak-scale", type=float, default=0.25, help="weak: per device")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    flag = f"--xla_force_host_platform_device_count={args.cpu_devices}"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()

    import jax

    import brainjit as bp

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _results import machine, write_section

    bp.math.use_backend("jax")
    coba = load_example()
    devices = jax.devices()
    kind = f"{len(devices)} x {devices[0].device_kind} ({devices[0].platform})"
    print(f"devices: {kind}")
    steps = int(round(args.duration / 0.1))
    rows = []
    for mode, scale_of in (
        ("strong", lambda d: args.scale),
        ("weak", lambda d: args.weak_scale * d),
    ):
        base = None
        for d in device_counts(len(devices)):
            r = time_coba(coba, scale_of(d), devices[:d], args.duration, args.repeats)
            x = time_exchange(r["num_e"], r["num_i"], devices[:d], steps, args.repeats)
            base = base or r["ms_per_step"]
            if mode == "strong":
                efficiency = base / (r["ms_per_step"] * d)
            else:
                efficiency = base / r["ms_per_step"]
            row = (
                f"| {mode} | {d} | {r['N']} | {r['N'] // d} | {r['ms_per_step']:.4f} | "
                f"{efficiency:.2f} | {r['exchange_bytes']} | {x:.4f} | "
                f"{max(r['ms_per_step'] - x, 0.0):.4f} | {r['build_s']:.1f} | "
                f"{r['rate_hz']:.1f} |"
            )
            print(row, flush=True)
            rows.append(row)
    header = (
        "| scaling | devices | N | N per device | ms / step | efficiency | "
        "bytes all-gathered / step / device | exchange alone ms / step | "
        "step without exchange (ms, about) | build s | E rate Hz |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    command = "python benchmarks/scaling.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    text = "\n".join(
        [
            "## Scaling: COBA partitioned over devices (`bp.Runner(..., devices=...)`)",
            "",
            f"`{command.strip()}` on {machine()}; devices: {kind}. "
            f"{args.duration:g} ms runs (dt = 0.1 ms), median of {args.repeats}.",
            "",
            header,
            *rows,
            "",
            "Efficiency: strong `t(1) / (D t(D))`, weak `t(1) / t(D)`. The exchange is the "
            "spike all-gather of event-driven propagation (one bool per presynaptic neuron "
            "per projection, received by every device), timed alone in a compiled loop of "
            "the same all-gathers; the step without it is the difference. Simulated CPU "
            "devices share the same cores (and their all-gathers are memory copies): they "
            "show the partitioning and its overhead, not a speed-up beyond the cores there "
            "are; on GPUs the same script measures the real thing.",
        ]
    )
    if not args.no_write:
        write_section("scaling", text)
        print("written to benchmarks/RESULTS.md (section scaling)")
    return text


if __name__ == "__main__":
    main()
