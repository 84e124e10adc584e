"""Decision making: the reduced two-variable model of Wong & Wang (2006), many trials.

    python examples/decision_making.py                   # 100 trials, coherence 6.4%
    python examples/decision_making.py --backend jax --coherence 25.6 --scale 10
    BRAINJIT_BACKEND=jax python examples/decision_making.py  # --backend from the environment

Two populations, A and B, each described by its NMDA gating variable S. They excite
themselves and inhibit each other; a stimulus of motion coherence c' drives A a little
more than B, and noise decides the rest. Per population i (j the other one):

    dS_i/dt = -S_i / tau_S + (1 - S_i) gamma H(x_i)
    x_i = J_N S_i - J_cross S_j + I_0 + J_ext mu_0 (1 +- c'/100) + I_noise,i
    H(x) = (a x - b) / (1 - exp(-d (a x - b)))            (the firing rate, Hz)
    tau_AMPA dI_noise/dt = -I_noise + eta(t) sqrt(tau_AMPA) sigma   (white noise eta)

with tau_S = 100 ms, gamma = 0.641, J_N = 0.2609 nA, J_cross = 0.0497 nA,
I_0 = 0.3255 nA, J_ext = 5.2e-4 nA/Hz, mu_0 = 30 Hz, a = 270 Hz/nA, b = 108 Hz,
d = 0.154 s, tau_AMPA = 2 ms, sigma = 0.02 nA. The stimulus is on from 100 ms to the
end. A trial's decision is the first population whose rate reaches 15 Hz.

Every trial is one element of the arrays: ``--scale 1`` runs 100 trials in one network
(N = 2 x trials populations). ``bp.sdeint`` integrates the noise (Euler-Maruyama),
``bp.odeint`` the gating variables; ``bp.Runner`` compiles the whole loop once.
With ``--json`` the last line is a JSON summary in which ``rate_E_hz`` and
``rate_I_hz`` are the mean rates of populations A and B over the stimulus period.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import brainjit as bp

TAU_S, GAMMA = 100.0, 0.641 / 1000.0  # ms; gamma per ms and Hz
J_N, J_CROSS, I_0 = 0.2609, 0.0497, 0.3255  # nA
J_EXT, MU_0 = 5.2e-4, 30.0  # nA/Hz, Hz
A, B, D = 270.0, 108.0, 0.154  # Hz/nA, Hz, s
TAU_AMPA, SIGMA = 2.0, 0.02  # ms, nA
STIM_ON, THRESHOLD = 100.0, 15.0  # ms, Hz


def rate(x):
    """H(x): the population's firing rate (Hz) for an input current x (nA)."""
    y = A * x - B
    return y / (1.0 - bp.math.exp(-D * y))


def dS(S, t, x):
    return -S / TAU_S + (1.0 - S) * GAMMA * rate(x)


def noise_drift(noise, t):
    return -noise / TAU_AMPA


def noise_diffusion(noise, t):
    return SIGMA / np.sqrt(TAU_AMPA)


class DecisionMaking(bp.Base):
    """Many independent trials of the two-population model (one per array element)."""

    def __init__(self, trials, coherence, name=None):
        super().__init__(name=name)
        self.trials = trials
        self.coherence = coherence
        self.S1 = bp.math.Variable(bp.math.full(trials, 0.1))
        self.S2 = bp.math.Variable(bp.math.full(trials, 0.1))
        self.noise1 = bp.math.Variable(bp.math.zeros(trials))
        self.noise2 = bp.math.Variable(bp.math.zeros(trials))
        self.r1 = bp.math.Variable(bp.math.zeros(trials))
        self.r2 = bp.math.Variable(bp.math.zeros(trials))
        self.int_S = bp.odeint(dS, method="exp_euler")
        self.int_noise = bp.sdeint(noise_drift, noise_diffusion, method="euler")

    def update(self, t, dt):
        stimulus = J_EXT * MU_0 * (t >= STIM_ON)
        x1 = J_N * self.S1 - J_CROSS * self.S2 + I_0 + self.noise1
        x2 = J_N * self.S2 - J_CROSS * self.S1 + I_0 + self.noise2
        x1 = x1 + stimulus * (1.0 + self.coherence / 100.0)
        x2 = x2 + stimulus * (1.0 - self.coherence / 100.0)
        self.S1.value = self.int_S(self.S1, t, x1, dt=dt)
        self.S2.value = self.int_S(self.S2, t, x2, dt=dt)
        self.noise1.value = self.int_noise(self.noise1, t, dt=dt)
        self.noise2.value = self.int_noise(self.noise2, t, dt=dt)
        self.r1.value = rate(x1)
        self.r2.value = rate(x2)


def decisions(ts, r1, r2):
    """(choice, decision time) per trial: 1 or 2, the first population to reach the
    threshold after the stimulus onset (0 and NaN: no decision)."""
    after = ts >= STIM_ON
    first = lambda r: np.where(  # noqa: E731
        (r[after] >= THRESHOLD).any(0), (r[after] >= THRESHOLD).argmax(0), np.inf
    )
    k1, k2 = first(r1), first(r2)
    choice = np.where(k1 < k2, 1, np.where(k2 < k1, 2, 0))
    k = np.minimum(k1, k2)
    times = np.where(np.isfinite(k), ts[after][np.minimum(k, after.sum() - 1).astype(int)], np.nan)
    return choice, times - STIM_ON


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=["numpy", "jax"],
        default=bp.math.get_backend_name(),
        help="default: $BRAINJIT_BACKEND, else numpy",
    )
    parser.add_argument("--duration", type=float, default=1500.0, help="ms per trial")
    parser.add_argument("--scale", type=float, default=1.0, help="trials = 100 * scale")
    parser.add_argument("--coherence", type=float, default=6.4, help="motion coherence, %%")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-plot", action="store_true", help="do not save the plot")
    parser.add_argument("--plot-file", default="decision_making.png")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args(argv)

    bp.math.use_backend(args.backend)
    bp.math.random.seed(args.seed)
    trials = max(1, int(round(100 * args.scale)))
    model = DecisionMaking(trials, args.coherence)
    runner = bp.Runner(
        model,
        monitors=["r1", "r2"],
        dt=0.1,
        monitor_every=10,  # one record per ms is plenty for rates
        progress_bar=not args.no_progress,
        jit_options={"cache": True},  # numpy: a later run loads the compiled code
    )
    start = time.perf_counter()
    runner.run(args.duration)
    total = time.perf_counter() - start
    ts, r1, r2 = runner.mon.ts, runner.mon["r1"], runner.mon["r2"]
    choice, times = decisions(ts, r1, r2)
    stim = ts >= STIM_ON
    rate_a, rate_b = float(r1[stim].mean()), float(r2[stim].mean())
    print(
        f"Decision making (Wong & Wang 2006) on the {args.backend} backend: {trials} "
        f"trials, coherence {args.coherence:g}%, {args.duration:g} ms, dt = 0.1 ms"
    )
    print(
        f"  build (compile) {runner.build_time:.2f} s, run {runner.run_time:.2f} s "
        f"(total {total:.2f} s)"
    )
    decided = choice > 0
    print(
        f"  decided: {decided.mean():.0%} of trials; chose A: {(choice == 1).mean():.0%}, "
        f"B: {(choice == 2).mean():.0%}"
    )
    if decided.any():
        print(f"  mean decision time {np.nanmean(times):.0f} ms after the stimulus onset")
    print(f"  mean rates during the stimulus: A {rate_a:.2f} Hz, B {rate_b:.2f} Hz")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        shown = list(range(min(trials, 5)))
        bp.visualize.line_plot(ts, r1, ax=ax, indices=shown, alpha=0.7, color="tab:red")
        bp.visualize.line_plot(
            ts, r2, ax=ax, indices=shown, alpha=0.7, color="tab:blue", ylabel="rate (Hz)"
        )
        ax.legend(ax.lines[:: len(ax.lines) // 2][:2], ["A", "B"])
        ax.axhline(THRESHOLD, color="gray", linestyle="--")
        ax.set_title(f"Populations A and B in {len(shown)} trials, coherence {args.coherence:g}%")
        fig.savefig(args.plot_file, dpi=120, bbox_inches="tight")
        print(f"  plot saved to {args.plot_file}")
    summary = {
        "simulator": "brainjit",
        "backend": args.backend,
        "network": "decision_making",
        "N": 2 * trials,
        "duration_ms": args.duration,
        "build_s": runner.build_time,
        "run_s": runner.run_time,
        "rate_E_hz": rate_a,
        "rate_I_hz": rate_b,
        "chose_A": float((choice == 1).mean()),
        "decision_time_ms": float(np.nanmean(times)) if decided.any() else None,
    }
    if args.json:
        print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
