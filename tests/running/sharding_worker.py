"""Runs COBA partitioned over simulated CPU devices, in its own process (test helper).

    python sharding_worker.py single OUT.npz --devices 4
    python sharding_worker.py distributed OUT.npz --devices 2 --process-id 0 \
        --num-processes 2 --port 12345

``single``: one process with ``--devices`` simulated CPU devices runs the same small
COBA network unpartitioned and on 1, 2, ... devices (each count that divides
``--devices``), and saves every run's spikes; it also records the messages of the bad
inputs (groups the devices do not divide).

``distributed``: one of ``--num-processes`` processes of a ``jax.distributed`` run on
localhost, each with ``--devices`` devices; the network is partitioned over the devices
of all processes and process 0 saves the spikes.

The XLA flags must be set before JAX starts, and ``jax.distributed.initialize`` must run
before JAX computes anything, hence a process of its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# x86: no fused multiply-adds, which XLA contracts differently in differently partitioned
# programs (last bits of V; see docs/scaling.md); elsewhere only the spikes are compared
NO_FMA = platform.machine().lower() in ("x86_64", "amd64")
SCALE, DURATION, SEED = 0.1, 40.0, 42  # 400 neurons (320 E, 80 I), 2 runs of 200 steps


def load_coba():
    spec = importlib.util.spec_from_file_location("coba_example", ROOT / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_coba(devices):
    """The spikes of COBA (E and I) run on ``devices`` (None: not partitioned)."""
    import numpy as np

    import brainjit as bp

    coba = load_coba()
    bp.math.random.seed(SEED)
    net = coba.coba_network(SCALE, SEED)
    steps = int(round(DURATION / 2 / 0.1))
    jitter = np.random.default_rng(SEED).normal(0.0, 1.0, (steps, net.I.num))
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike", ("E.V", [0, 5, 300])],
        inputs=[
            ("E.input", coba.DRIVE),
            ("I.input", coba.DRIVE),
            ("I.input", jitter, "iter"),  # fed per chunk: placed by the Runner too
        ],
        progress_bar=False,
        devices=devices,
    )
    runner.run(DURATION / 2)
    first = {k: runner.mon[k].copy() for k in ("E.spike", "I.spike", "E.V")}
    runner.run(DURATION / 2)  # a second run continues on the same devices
    return {k: np.concatenate([first[k], runner.mon[k]]) for k in first}


def propagations(count: int) -> dict:
    """``event_matvec`` unpartitioned and partitioned over 2, 4 ... devices (jit), for
    few and many spikes (sparse and dense paths), numeric events, scalar and
    per-synapse weights."""
    import jax
    import numpy as np

    import brainjit as bp
    from brainjit.math._jax import sharding

    rng = np.random.default_rng(SEED)
    pre_num, post_num = 240, 160
    conn = bp.conn.FixedProb(0.1, seed=SEED)(pre_num, post_num)
    weights = rng.random(conn.indices.size).astype(np.float32)
    cases = {}
    for fired in (3, 120):
        spikes = np.zeros(pre_num, bool)
        spikes[rng.choice(pre_num, fired, replace=False)] = True
        cases[f"bool{fired}"] = spikes
    cases["float"] = rng.random(pre_num).astype(np.float32)

    def all_cases(cases, w):  # every case in one program (one compilation)
        return {
            f"ev_{name}_{kind}": bp.math.event_matvec(
                events, conn.indptr, conn.indices, weight, post_num
            ).value
            for name, events in cases.items()
            for kind, weight in (("scalar", 0.5), ("hetero", w))
        }

    out = {f"{k}_none": np.asarray(v) for k, v in jax.jit(all_cases)(cases, weights).items()}
    for n in (d for d in range(1, count + 1) if count % d == 0):
        part = sharding.Partition.of_devices(jax.devices()[:n])
        placed = {name: part.put(events, 0) for name, events in cases.items()}
        with sharding.activate(part):
            values = jax.jit(all_cases)(placed, part.put(weights))
        out.update({f"{k}_{n}": np.asarray(v) for k, v in values.items()})
    return out


def single(out: str, count: int) -> None:
    import jax
    import numpy as np

    import brainjit as bp

    bp.math.use_backend("jax")
    assert len(jax.devices()) == count, jax.devices()
    results = {f"none_{k}": v for k, v in run_coba(None).items()}
    for n in (d for d in range(1, count + 1) if count % d == 0):
        for key, value in run_coba(jax.devices()[:n]).items():
            results[f"{n}_{key}"] = value
    results.update(propagations(count))
    errors = {}
    group = bp.dyn.LIF(10)  # 10 neurons: not a multiple of 4
    try:
        bp.Runner(group, monitors=["spike"], devices=jax.devices()[:count])
    except ValueError as error:
        errors["indivisible"] = str(error)
    np.savez(out, **results)
    Path(out).with_suffix(".json").write_text(json.dumps(errors))


def distributed(out: str, count: int, process_id: int, num_processes: int, port: int) -> None:
    import jax

    jax.distributed.initialize(
        coordinator_address=f"localhost:{port}",
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=60,
    )
    import numpy as np

    import brainjit as bp

    bp.math.use_backend("jax")
    assert jax.process_count() == num_processes
    assert len(jax.local_devices()) == count
    assert len(jax.devices()) == count * num_processes
    spikes = run_coba(jax.devices())
    if process_id == 0:
        np.savez(out, **spikes)
    jax.distributed.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["single", "distributed"])
    parser.add_argument("out")
    parser.add_argument("--devices", type=int, required=True, help="CPU devices per process")
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--num-processes", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    flags = [
        os.environ.get("XLA_FLAGS", ""),
        f"--xla_force_host_platform_device_count={args.devices}",
    ]
    if NO_FMA:
        flags.append("--xla_cpu_max_isa=AVX")
    os.environ["XLA_FLAGS"] = " ".join(flags)
    os.environ["JAX_PLATFORMS"] = "cpu"
    if args.mode == "single":
        single(args.out, args.devices)
    else:
        distributed(args.out, args.devices, args.process_id, args.num_processes, args.port)


if __name__ == "__main__":
    main()
