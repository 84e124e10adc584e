"""COBAHH: a network of 4000 Hodgkin-Huxley neurons with conductance synapses.

    python examples/cobahh.py                        # N = 4000, 1 s, numpy backend
    python examples/cobahh.py --backend jax --duration 5000
    python examples/cobahh.py --scale 4 --no-plot --json

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
its rate depends on the seed (Brian2: E rates of 36-42 Hz across seeds). Integrated
with exponential Euler (``bp.odeint``), spikes propagated event-driven; ``bp.Runner``
compiles the whole loop once.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import brainjit as bp

AREA = 20000e-8  # cm^2
CM = 1.0 * AREA * 1e6  # 200 pF
GL = 5e-5 * AREA * 1e9  # 10 nS
G_NA = 100e-3 * AREA * 1e9  # 20000 nS
G_KD = 30e-3 * AREA * 1e9  # 6000 nS
EL, EK, ENA, VT = -60.0, -90.0, 50.0, -63.0
EE, EI, TAUE, TAUI = 0.0, -80.0, 5.0, 10.0
WE, WI = 6.0, 67.0  # nS
V_SPIKE, TREF = -20.0, 3.0


def inv_exprel(x):
    """x / (exp(x) - 1), continuous at x = 0 (Brian2's 1 / exprel(x))."""
    safe = bp.math.where(bp.math.abs(x) < 1e-6, 1.0, x)
    return bp.math.where(bp.math.abs(x) < 1e-6, 1.0 - 0.5 * x, safe / bp.math.expm1(safe))


def dV(V, t, m, h, n, ge, gi):
    I_na = G_NA * m * m * m * h * (V - ENA)
    I_kd = G_KD * n * n * n * n * (V - EK)
    return (GL * (EL - V) + ge * (EE - V) + gi * (EI - V) - I_na - I_kd) / CM


def dm(m, t, V):
    alpha = 0.32 * 4.0 * inv_exprel((13.0 - V + VT) / 4.0)
    beta = 0.28 * 5.0 * inv_exprel((V - VT - 40.0) / 5.0)
    return alpha * (1.0 - m) - beta * m


def dh(h, t, V):
    alpha = 0.128 * bp.math.exp((17.0 - V + VT) / 18.0)
    beta = 4.0 / (1.0 + bp.math.exp((40.0 - V + VT) / 5.0))
    return alpha * (1.0 - h) - beta * h


def dn(n, t, V):
    alpha = 0.032 * 5.0 * inv_exprel((15.0 - V + VT) / 5.0)
    beta = 0.5 * bp.math.exp((10.0 - V + VT) / 40.0)
    return alpha * (1.0 - n) - beta * n


def dge(ge, t):
    return -ge / TAUE


def dgi(gi, t):
    return -gi / TAUI


class HHNeurons(bp.Base):
    """Hodgkin-Huxley neurons (Traub & Miles) with exponential conductances."""

    def __init__(self, num, V_init, ge_init, gi_init, name=None):
        super().__init__(name=name)
        self.num = num
        self.V = bp.math.Variable(bp.math.asarray(V_init))
        self.m = bp.math.Variable(bp.math.zeros(num))
        self.h = bp.math.Variable(bp.math.zeros(num))
        self.n = bp.math.Variable(bp.math.zeros(num))
        self.ge = bp.math.Variable(bp.math.asarray(ge_init))
        self.gi = bp.math.Variable(bp.math.asarray(gi_init))
        self.spike = bp.math.Variable(bp.math.zeros(num, dtype=bool))
        self.t_last_spike = bp.math.Variable(bp.math.full(num, -1e7))
        self.integral = bp.odeint(bp.JointEq(dV, dm, dh, dn, dge, dgi), method="exp_euler")

    def update(self, t, dt):
        V, m, h, n, ge, gi = self.integral(
            self.V, self.m, self.h, self.n, self.ge, self.gi, t, dt=dt
        )
        # a spike: v above -20 mV, not within TREF of the last one (as Brian2 counts)
        refractory = (t - self.t_last_spike) < TREF - 0.5 * dt
        spike = bp.math.logical_and(V > V_SPIKE, bp.math.logical_not(refractory))
        self.spike.value = spike
        self.t_last_spike.value = bp.math.where(spike, t, self.t_last_spike)
        self.V.value = V
        self.m.value = m
        self.h.value = h
        self.n.value = n
        self.ge.value = ge
        self.gi.value = gi


class ExcitatorySynapses(bp.Base):
    """On a presynaptic spike, add ``weight`` to the target's ``ge``."""

    def __init__(self, pre, post, conn, weight):
        super().__init__()
        self.pre, self.post, self.weight = pre, post, weight
        conn = conn(pre.num, post.num)
        self.indptr, self.indices = conn.indptr, conn.indices

    def update(self, t, dt):
        self.post.ge += bp.math.event_matvec(
            self.pre.spike, self.indptr, self.indices, self.weight, self.post.num
        )


class InhibitorySynapses(ExcitatorySynapses):
    """On a presynaptic spike, add ``weight`` to the target's ``gi``."""

    def update(self, t, dt):
        self.post.gi += bp.math.event_matvec(
            self.pre.spike, self.indptr, self.indices, self.weight, self.post.num
        )


class COBAHH(bp.Base):
    """The network: E and I groups and the four projections between them."""

    def __init__(self, scale=1.0, seed=42):
        super().__init__()
        num = int(4000 * scale)
        num_e = int(0.8 * num)
        rng = np.random.default_rng(seed)
        V_init = EL + (rng.standard_normal(num) * 5.0 - 5.0)
        ge_init = (rng.standard_normal(num) * 1.5 + 4.0) * 10.0
        gi_init = (rng.standard_normal(num) * 12.0 + 20.0) * 10.0
        e, i = slice(0, num_e), slice(num_e, num)
        self.E = HHNeurons(num_e, V_init[e], ge_init[e], gi_init[e])
        self.I = HHNeurons(num - num_e, V_init[i], ge_init[i], gi_init[i])
        prob = 0.02 / scale
        conn = lambda k: bp.conn.FixedProb(prob, seed=seed + k)  # noqa: E731
        self.synapses = [
            ExcitatorySynapses(self.E, self.E, conn(1), WE),
            ExcitatorySynapses(self.E, self.I, conn(2), WE),
            InhibitorySynapses(self.I, self.E, conn(3), WI),
            InhibitorySynapses(self.I, self.I, conn(4), WI),
        ]

    def update(self, t, dt):
        for syn in self.synapses:  # spikes of the previous step arrive first
            syn.update(t, dt)
        self.E.update(t, dt)
        self.I.update(t, dt)


def build(scale=1.0, seed=42, progress_bar=True):
    """COBAHH and its Runner (monitors: the spikes), on the active backend. Returns
    (net, runner)."""
    bp.math.random.seed(seed)
    net = COBAHH(scale, seed)
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
    parser.add_argument("--backend", choices=["numpy", "jax"], default="numpy")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    parser.add_argument("--scale", type=float, default=1.0, help="N = 4000 * scale")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-plot", action="store_true", help="do not save the raster plot")
    parser.add_argument("--plot-file", default="cobahh.png")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args(argv)

    bp.math.use_backend(args.backend)
    start = time.perf_counter()
    net, runner = build(args.scale, args.seed, not args.no_progress)
    setup = time.perf_counter() - start
    runner.run(args.duration)
    n = net.E.num + net.I.num
    rate_e = rate_hz(runner.mon["E.spike"], args.duration)
    rate_i = rate_hz(runner.mon["I.spike"], args.duration)
    per_second = runner.run_time / (args.duration / 1000.0)
    print(
        f"COBAHH on the {args.backend} backend: N = {n} ({net.E.num} E, {net.I.num} I), "
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
