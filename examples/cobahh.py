"""COBAHH: a network of 4000 Hodgkin-Huxley neurons with conductance synapses.

    python examples/cobahh.py                        # N = 4000, 1 s, numpy backend
    python examples/cobahh.py --backend jax --duration 5000
    BRAINJIT_BACKEND=jax python examples/cobahh.py       # --backend's default: the environment's
    python examples/cobahh.py --scale 4 --no-plot --json
    python examples/cobahh.py --float32              # float32 state: about twice as fast

Brian2's COBAHH example (Brette et al. 2007, benchmark 3), exactly: 80% excitatory,
20% inhibitory, random connections with probability 0.02 (p = 0.02 / scale when
scaled: about 80 inputs per neuron), no external drive, dt = 0.1 ms:

    C dv/dt = gl (El - v) + ge (Ee - v) + gi (Ei - v)
              - g_na m^3 h (v - ENa) - g_kd n^4 (v - EK)
    dx/dt = alpha_x (1 - x) - beta_x x   for x = m, h, n  (Traub & Miles kinetics, VT)
    dge/dt = -ge / taue        dgi/dt = -gi / taui
    area 20000 um^2: C = 200 pF, gl = 10 nS, g_na = 20 uS, g_kd = 6 uS,
    El = -60 mV, EK = -90 mV, ENa = 50 mV, VT = -63 mV, taue = 5 ms, taui = 10 ms,
    Ee = 0 mV, Ei = -80 mV, we = 6 nS, wi = 67 nS; a spike when v crosses -20 mV
    (3 ms refractory for counting), v(0) = El + (5 randn - 5) mV,
    ge(0) = (1.5 randn + 4) 10 nS, gi(0) = (12 randn + 20) 10 nS, m = n = h = 0.

Units: mV, ms, nS, pF (then dv/dt is in mV/ms). Without drive the network is chaotic:
its rate depends on the seed (Brian2: E rates of 36-42 Hz across seeds). Built from
``bp.dyn``: ``TraubHH`` groups (the Traub-Miles neuron of this benchmark, exponential
Euler) and ``Exponential`` synapses with conductance output; spikes are counted when
v crosses -20 mV upwards. ``bp.Runner`` compiles the whole loop once.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import brainjit as bp

EL = -60.0  # mV (TraubHH's other parameters default to this benchmark's)
EE, EI, TAUE, TAUI = 0.0, -80.0, 5.0, 10.0
WE, WI = 6.0, 67.0  # nS


def cobahh_network(scale=1.0, seed=42) -> bp.dyn.Network:
    """The network: E and I groups and the four projections between them, with the
    benchmark's random initial state."""
    num = int(4000 * scale)
    num_e = int(0.8 * num)
    rng = np.random.default_rng(seed)
    V_init = EL + (rng.standard_normal(num) * 5.0 - 5.0)
    ge_init = (rng.standard_normal(num) * 1.5 + 4.0) * 10.0
    gi_init = (rng.standard_normal(num) * 12.0 + 20.0) * 10.0
    E = bp.dyn.TraubHH(num_e, EL=EL)
    I = bp.dyn.TraubHH(num - num_e, EL=EL)  # noqa: E741
    conn = lambda k: bp.conn.FixedProb(0.02 / scale, seed=seed + k)  # noqa: E731
    exc = dict(weight=WE, tau=TAUE, output="coba", E=EE)
    inh = dict(weight=WI, tau=TAUI, output="coba", E=EI)
    net = bp.dyn.Network(
        E2E=bp.dyn.Exponential(E, E, conn(1), **exc),
        E2I=bp.dyn.Exponential(E, I, conn(2), **exc),
        I2E=bp.dyn.Exponential(I, E, conn(3), **inh),
        I2I=bp.dyn.Exponential(I, I, conn(4), **inh),
        E=E,
        I=I,
    )
    e, i = slice(0, num_e), slice(num_e, num)
    for group, part in ((E, e), (I, i)):
        group.V.value = bp.math.asarray(V_init[part], dtype=group.V.dtype)
        for gate in (group.m, group.h, group.n):  # m = h = n = 0
            gate.value = bp.math.zeros_like(gate)
    # a neuron's ge (gi) is the sum of the g of the synapses onto it from E (from I)
    net.E2E.g.value = bp.math.asarray(ge_init[e], dtype=net.E2E.g.dtype)
    net.E2I.g.value = bp.math.asarray(ge_init[i], dtype=net.E2I.g.dtype)
    net.I2E.g.value = bp.math.asarray(gi_init[e], dtype=net.I2E.g.dtype)
    net.I2I.g.value = bp.math.asarray(gi_init[i], dtype=net.I2I.g.dtype)
    return net


def build(scale=1.0, seed=42, progress_bar=True):
    """COBAHH and its Runner (monitors: the spikes), on the active backend. Returns
    (net, runner)."""
    bp.math.random.seed(seed)
    net = cobahh_network(scale, seed)
    runner = bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
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
    parser.add_argument("--plot-file", default="cobahh.png")
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
        f"COBAHH on the {args.backend} backend ({bp.math.dftype()}): N = {n} "
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
            runner.mon.ts, spikes[:, :shown], ax=ax, title=f"COBAHH ({args.backend})"
        )
        fig.savefig(args.plot_file, dpi=120, bbox_inches="tight")
        print(f"  raster plot saved to {args.plot_file}")
    summary = {
        "simulator": "brainjit",
        "backend": args.backend,
        "float": str(bp.math.dftype()),
        "network": "COBAHH",
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
