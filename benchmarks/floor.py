"""The floor of COBA and COBAHH on this CPU: what the work of one biological second costs
at the speed of its primitives, against what each backend takes.

    python benchmarks/floor.py            # prints the table, writes section 'floor'
    python benchmarks/floor.py --no-write

Work per biological second at N = 4000 (dt = 0.1 ms, 10,000 steps):

- neuron updates: N x 10,000 = 4e7;
- synaptic events: (spikes per second) x (synapses per neuron, about 80) ~ 7e6 on COBA
  (22 Hz) and ~1.3e7 on COBAHH (40 Hz);
- transcendental functions: COBAHH's exponential Euler needs about 10 per neuron update
  (six rate functions, four exponentials of the step), 4e8 per biological second; COBA's
  exact integration needs one per step, not per neuron.

Primitive speeds measured here, each in a compiled loop (medians of interleaved
repeats): a hand-written fused LIF update per neuron (Numba), an ``exp`` per element in
Numba (the C library's, scalar; and ``bp.math.exp``, brainjit's vectorisable one, which
compiled numpy-backend code uses) and in XLA (vectorised), and an event-driven synaptic
addition (the Numba kernel, also what the jax backend calls on the CPU). The floor of a
network is the sum of its work times these costs; the table sets it beside the measured
compiled step of each backend (``bp.Runner``, whole-run loop).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N, STEPS_PER_S = 4000, 10_000


def timed(fn, repeats=7, inner=200) -> float:
    """Median seconds per call."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def primitives() -> dict[str, float]:
    """Seconds per unit of each primitive."""
    import jax
    import jax.numpy as jnp
    import numba

    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, N)
    out = np.empty(N)
    x32, out32 = x.astype(np.float32), np.empty(N, np.float32)

    @numba.njit
    def nb_exp(x, out):
        for i in range(x.size):
            out[i] = np.exp(x[i])

    from brainjit.math._numpy import vmath

    @numba.njit
    def nb_vexp(x, out):
        for i in range(x.size):
            out[i] = vmath.exp(x[i])

    @numba.njit
    def nb_lif(V, I_ext, t_last, spike, t):
        decay = np.exp(-0.1 / 20.0)
        for i in range(V.size):
            V_inf = -60.0 + I_ext[i]
            v = V_inf + (V[i] - V_inf) * decay
            refractory = t - t_last[i] < 5.05
            if refractory:
                v = V[i]
            s = v >= -50.0
            spike[i] = s
            if s:
                t_last[i] = t
                v = -60.0
            V[i] = v

    V = rng.normal(-55.0, 5.0, N)
    I_ext = np.full(N, 20.0)
    t_last = np.full(N, -1e7)
    spike = np.zeros(N, bool)

    from brainjit.math._numpy.event import _bool_rows

    conn_p = 0.02
    mat = rng.random((N, N)) < conn_p
    indptr = np.concatenate([[0], np.cumsum(mat.sum(1))]).astype(np.int32)
    indices = np.nonzero(mat)[1].astype(np.int32)
    events = np.zeros(N, bool)
    events[rng.choice(N, 400, replace=False)] = True  # 400 spikes: ~32,000 events
    n_events = int(np.diff(indptr)[events].sum())
    g = np.zeros(N)

    xj = jnp.asarray(x, jnp.float32)

    @jax.jit
    def xla_exp(x):
        def body(c, _):
            return c + 1e-7 * jnp.exp(c), None

        return jax.lax.scan(body, x, None, length=100)[0]

    return {
        "exp, Numba (C library), per element": timed(lambda: nb_exp(x, out)) / N,
        "exp, Numba (bp.math.exp, vectorised), per element": timed(lambda: nb_vexp(x, out)) / N,
        "exp, Numba (bp.math.exp, vectorised, float32), per element": timed(
            lambda: nb_vexp(x32, out32)
        )
        / N,
        "exp, XLA float32 (vectorised), per element": timed(
            lambda: xla_exp(xj).block_until_ready(), inner=20
        )
        / (100 * N),
        "fused LIF update, Numba, per neuron": timed(lambda: nb_lif(V, I_ext, t_last, spike, 1.0))
        / N,
        "synaptic event, Numba kernel, per event": timed(
            lambda: _bool_rows(events, indptr, indices, 0.6, g)
        )
        / n_events,
    }


def measured_step(network: str, backend: str, float32: bool = False) -> float:
    """Seconds per compiled step of ``bp.Runner`` (whole-run loop, 300 ms after 50);
    ``float32``: the model's state in float32 (``bp.math.set_dfloat``)."""
    import importlib.util

    import brainjit as bp

    bp.math.use_backend(backend)
    bp.math.set_dfloat(bp.math.float32 if float32 else None)
    spec = importlib.util.spec_from_file_location(network, ROOT / "examples" / f"{network}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, runner = module.build(1.0, 42, progress_bar=False)
    runner.run(50.0)
    runner.run(300.0)
    return runner.run_time / 3000


GROWTH_SCALES = (1, 16)  # N = 4000 and 64,000: 16x the neurons and the synapses


def streaming_pass_ns_per_byte(n: int) -> float:
    """ns per byte moved by passes like a model's step over arrays of ``n`` float64: six
    arrays, six passes, each reading two and writing one (in place), one after another
    (the working set of a COBA step of ``n`` neurons, within a factor of 2)."""
    import numba

    @numba.njit
    def passes(a):
        for k in range(6):
            x, y = a[k], a[(k + 1) % 6]
            for i in range(x.size):
                x[i] = x[i] * 0.999 + y[i] * 1e-3

    arrays = np.random.default_rng(0).random((6, n))
    return timed(lambda: passes(arrays), inner=max(1, 400_000 // n)) / (6 * 3 * 8 * n) * 1e9


def coba_step_us(scale: float, drive: float) -> float:
    """µs per compiled step of COBA (numpy backend, float64, monitors of every spike as
    in ``examples/coba.py``) with the given constant drive; with 0, every neuron starts
    at rest and none ever fires (checked): every pass over the state runs, no synaptic
    event. (With 0 drive and the usual random start, the N = 64,000 network sustains
    its own activity at about 19 Hz.)"""
    import importlib.util

    import brainjit as bp

    bp.math.use_backend("numpy")
    bp.math.set_dfloat(None)
    spec = importlib.util.spec_from_file_location("coba", ROOT / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bp.math.random.seed(42)
    net = module.coba_network(scale, 42)
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
        inputs=[("E.input", drive), ("I.input", drive)],
        progress_bar=False,
    )
    if drive == 0.0:
        net.E.V[:] = module.EL
        net.I.V[:] = module.EL
    runner.run(50.0)
    samples = []
    for _ in range(3):
        runner.run(200.0)
        samples.append(runner.run_time / 2000 * 1e6)
        if drive == 0.0 and (runner.mon["E.spike"].any() or runner.mon["I.spike"].any()):
            raise RuntimeError("COBA at rest without drive fired")
    return statistics.median(samples)


def growth() -> list[str]:
    """Table rows: COBA's step and a streaming pass at N = 4000 and 64,000."""
    rows, cells = [], {}
    for scale in GROWTH_SCALES:
        n = int(N * scale)
        cells[scale] = (
            coba_step_us(scale, 20.0),
            coba_step_us(scale, 0.0),
            streaming_pass_ns_per_byte(n),
        )
        step, passes, stream = cells[scale]
        rows.append(f"| {n:,} | {step:.1f} | {passes:.1f} | {step - passes:.1f} | {stream:.4f} |")
        print(rows[-1], flush=True)
    lo, hi = cells[GROWTH_SCALES[0]], cells[GROWTH_SCALES[-1]]
    ratio = [high / low for high, low in zip(hi, lo)]
    events = (hi[0] - hi[1]) / (lo[0] - lo[1])
    rows.append(
        f"| x{GROWTH_SCALES[-1] // GROWTH_SCALES[0]} neurons and synapses | x{ratio[0]:.1f} "
        f"| x{ratio[1]:.1f} | x{events:.1f} | x{ratio[2]:.2f} per byte |"
    )
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    prim = primitives()
    for name, value in prim.items():
        print(f"{name}: {value * 1e9:.2f} ns")
    lif = prim["fused LIF update, Numba, per neuron"]
    exp_c = prim["exp, Numba (bp.math.exp, vectorised), per element"]
    exp_c32 = prim["exp, Numba (bp.math.exp, vectorised, float32), per element"]
    exp_x = prim["exp, XLA float32 (vectorised), per element"]
    event = prim["synaptic event, Numba kernel, per event"]
    updates = N * STEPS_PER_S
    floors = {
        "coba": updates * lif + 22.0 * N * 80 * event,
        "cobahh_numba": updates * (10 * exp_c + 2 * lif) + 40.0 * N * 80 * event,
        "cobahh_numba32": updates * (10 * exp_c32 + 2 * lif) + 40.0 * N * 80 * event,
        "cobahh_xla": updates * (10 * exp_x + 2 * lif) + 40.0 * N * 80 * event,
    }
    rows = []
    for network, label in (("coba", "COBA"), ("cobahh", "COBAHH")):
        for backend in ("numpy", "numpy-float32", "jax"):
            step = measured_step(network, backend.split("-")[0], backend.endswith("float32"))
            per_s = step * STEPS_PER_S
            if network == "coba":
                floor = floors["coba"]
            else:
                floor = floors[
                    {"numpy": "cobahh_numba", "jax": "cobahh_xla"}.get(backend, "cobahh_numba32")
                ]
            rows.append(
                f"| {label} | {backend} | {floor:.3f} | {per_s:.3f} | {floor / per_s:.0%} |"
            )
            print(rows[-1], flush=True)
    prim_table = "\n".join(f"| {k} | {v * 1e9:.2f} ns |" for k, v in prim.items())
    table = "\n".join(
        [
            "| network | backend | floor s per biological s | measured s per biological s "
            "| floor / measured |",
            "|---|---|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    growth_rows = growth()
    growth_table = "\n".join(
        [
            "| N | step µs | step µs at rest (no spike) | spikes' share µs "
            "| streaming pass ns per byte |",
            "|---|---:|---:|---:|---:|",
            *growth_rows,
        ]
    )
    print(growth_table)
    if args.no_write:
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _results import machine, write_section

    doc = __doc__.split("Work per biological second", 1)[1]
    write_section(
        "floor",
        f"""## The floor: work per biological second against the primitives (`benchmarks/floor.py`)

Command: `python benchmarks/floor.py` — {time.strftime("%Y-%m-%d")}, {machine()}.

Work per biological second{doc}
| primitive | cost |
|---|---:|
{prim_table}

{table}

COBA's floor is the fused per-neuron update plus the synaptic events; the numpy
backend's step adds the passes that cannot be fused (the input and reset of each
group, one kernel call and one elementwise loop per projection, the monitors). COBAHH is
bound by its transcendental functions: about 10 per neuron update, at the speed of
brainjit's vectorised ``exp`` in Numba code, float64 or float32 (the C library's scalar
one, shown for comparison, is about 5x slower) and at XLA's vectorised float32 speed on
the jax backend. ``numpy-float32`` is the numpy backend with the models' state in
float32 (``bp.math.set_dfloat(bp.math.float32)``, as the jax backend computes).

### COBA from N = 4000 to 64,000 (numpy backend, float64)

The step (``bp.Runner``, monitors of every spike), the same network at rest without
drive (no neuron ever fires: every pass over the state and the monitors, no synaptic
event) and a streaming primitive (six passes over six arrays of N float64, each reading
two and writing one: a working set like the step's):

{growth_table}

The work of a step grows 16x (neurons, and synaptic events at the same rate). The
passes over the state grow about linearly (x12-15 over this session's runs), as the
streaming primitive says they should (its cost per byte at the two sizes is equal
within this machine's noise: x0.8-1.4 over the runs). What grows faster is the spikes'
share, the
event propagation: about 700 synaptic events per step at N = 4000, 11,000 at 64,000,
and each costs more at 64,000 (the share grows more than the 16x events: the table's
last row). There the rows of the spiking neurons'
targets are scattered over 20 MB of CSR indices (1.3 MB at N = 4000), so each row
starts with a miss to memory, and the targets are spread over arrays larger than the
core's caches. The kernels prefetch each spiking neuron's row four rows before they
add it (`brainjit/math/_numpy/event.py`), which cut the propagation's time at
N = 64,000 by about a quarter; the targets' misses remain.
""",
    )
    print("\nwritten to benchmarks/RESULTS.md (section 'floor')")


if __name__ == "__main__":
    main()
