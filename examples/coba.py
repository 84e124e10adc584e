"""COBA: the Vogels & Abbott (2005) network of conductance-based LIF neurons.

    python examples/coba.py                          # N = 4000, 1 s, numpy backend
    python examples/coba.py --backend jax --duration 5000
    BRAINJIT_BACKEND=jax python examples/coba.py       # --backend's default: the environment's
    python examples/coba.py --scale 4 --no-plot --json
    python examples/coba.py --float32                # float32 state (bp.math.set_dfloat)

4000 leaky integrate-and-fire neurons (80% excitatory, 20% inhibitory), random
connections with probability 0.02 (about 80 inputs per neuron; p = 0.02 / scale when
scaled), exponentially decaying conductances, a constant drive. Exactly the benchmark
definition (Brette et al. 2007; Brian2 gives E and I rates of about 21.7 Hz):

    dv/dt = (ge (Ee - v) + gi (Ei - v) - (v - El) + I) / taum
    dge/dt = -ge / taue        dgi/dt = -gi / taui
    taum = 20 ms, El = -60 mV, Vt = -50 mV, Vr = -60 mV, refractory 5 ms (v clamped),
    Ee = 0 mV, Ei = -80 mV, taue = 5 ms, taui = 10 ms, I = 20 mV,
    a spike adds we = 0.6 (E) or wi = 6.7 (I) to the target's ge / gi,
    v(0) ~ N(-55 mV, 5 mV), ge(0) = gi(0) = 0, no delays, dt = 0.1 ms.

Built from ``bp.dyn``: ``LIF`` groups (exact integration) and ``Exponential`` synapses
with conductance output (``g (E - V)`` into the target's input), spikes propagated
event-driven over the CSR connectivity of ``bp.conn``. ``bp.Runner`` compiles the whole
simulation loop once (Numba or XLA).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import brainjit as bp

TAUM, EL, VT, VR, TREF = 20.0, -60.0, -50.0, -60.0, 5.0
EE, EI, TAUE, TAUI = 0.0, -80.0, 5.0, 10.0
WE, WI, DRIVE = 0.6, 6.7, 20.0


def coba_network(scale=1.0, seed=42) -> bp.dyn.Network:
    """The network: E and I groups and the four projections between them."""
    num = int(4000 * scale)
    num_e = int(0.8 * num)
    V_init = np.random.default_rng(seed).normal(-55.0, 5.0, num)
    lif = dict(V_rest=EL, V_reset=VR, V_th=VT, tau=TAUM, t_ref=TREF)
    E = bp.dyn.LIF(num_e, V_initial=V_init[:num_e], **lif)
    I = bp.dyn.LIF(num - num_e, V_initial=V_init[num_e:], **lif)  # noqa: E741
    conn = lambda k: bp.conn.FixedProb(0.02 / scale, seed=seed + k)  # noqa: E731
    exc = dict(weight=WE, tau=TAUE, output="coba", E=EE)
    inh = dict(weight=WI, tau=TAUI, output="coba", E=EI)
    return bp.dyn.Network(
        E2E=bp.dyn.Exponential(E, E, conn(1), **exc),
        E2I=bp.dyn.Exponential(E, I, conn(2), **exc),
        I2E=bp.dyn.Exponential(I, E, conn(3), **inh),
        I2I=bp.dyn.Exponential(I, I, conn(4), **inh),
        E=E,
        I=I,
    )


def build(scale=1.0, seed=42, progress_bar=True):
    """COBA and its Runner (monitors: the spikes; inputs: the constant drive), on the
    active backend. Returns (net, runner)."""
    bp.math.random.seed(seed)
    net = coba_network(scale, seed)
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
        inputs=[("E.input", DRIVE), ("I.input", DRIVE)],
        dt=0.1,
        progress_bar=progress_bar,
        jit_options={"cache": True},  # numpy: a later run loads the compiled code
    )
    return net, runner


def rate_hz(spikes: np.ndarray, duration_ms: float) -> float:
    """Mean firing rate of a (time, neurons) spike array, in Hz."""
    return float(spikes.sum() / spikes.shape[1] / (duration_ms / 1000.0))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=["numpy", "jax"],
        default=bp.math.get_backend_name(),
        help="default: $BRAINJIT_BACKEND, else numpy",
    )
    parser.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    parser.add_argument("--scale", type=float, default=1.0, help="N = 4000 * scale")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-plot", action="store_true", help="do not save the raster plot")
    parser.add_argument("--plot-file", default="coba.png")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    parser.add_argument(
        "--float32", action="store_true", help="the model's state in float32 (bp.math.set_dfloat)"
    )
    args = parser.parse_args(argv)

    bp.math.use_backend(args.backend)
    if args.float32:  # the jax backend's default; float64 on numpy otherwise
        bp.math.set_dfloat(bp.math.float32)
    start = time.perf_counter()
    net, runner = build(args.scale, args.seed, not args.no_progress)
    setup = time.perf_counter() - start
    runner.run(args.duration)
    n = net.E.num + net.I.num
    rate_e = rate_hz(runner.mon["E.spike"], args.duration)
    rate_i = rate_hz(runner.mon["I.spike"], args.duration)
    per_second = runner.run_time / (args.duration / 1000.0)
    print(
        f"COBA on the {args.backend} backend ({bp.math.dftype()}): N = {n} "
        f"({net.E.num} E, {net.I.num} I), "
        f"{args.duration:g} ms, dt = 0.1 ms"
    )
    print(
        f"  network setup {setup:.2f} s, build (compile) {runner.build_time:.2f} s, "
        f"run {runner.run_time:.2f} s ({per_second:.2f} s per simulated second)"
    )
    print(f"  mean rates: E {rate_e:.2f} Hz, I {rate_i:.2f} Hz")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        shown = min(n, 400)  # the first neurons, as in the paper's figure
        spikes = np.concatenate([runner.mon["E.spike"], runner.mon["I.spike"]], axis=1)
        bp.visualize.raster_plot(
            runner.mon.ts, spikes[:, :shown], ax=ax, title=f"COBA ({args.backend})"
        )
        fig.savefig(args.plot_file, dpi=120, bbox_inches="tight")
        print(f"  raster plot saved to {args.plot_file}")
    summary = {
        "simulator": "brainjit",
        "backend": args.backend,
        "float": str(bp.math.dftype()),
        "network": "COBA",
        "N": n,
        "duration_ms": args.duration,
        "build_s": runner.build_time,
        "run_s": runner.run_time,
        "rate_E_hz": rate_e,
        "rate_I_hz": rate_i,
    }
    if args.json:
        print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
