"""STDP makes the weights bimodal: Song, Miller & Abbott (2000), Nature Neurosci. 3:919.

    python examples/stdp_song2000.py                       # 1000 inputs, 100 s, numpy backend
    python examples/stdp_song2000.py --duration 300000 --plot song2000.png
    python examples/stdp_song2000.py --backend jax --inputs 200 --duration 2000 --json

1000 independent Poisson inputs at 15 Hz drive one conductance-based integrate-and-fire
neuron through excitatory synapses with additive spike-timing-dependent plasticity.
Because depression slightly outweighs potentiation (``A_minus tau_minus = 1.05 A_plus
tau_plus``), inputs that do not help to fire the neuron lose their weight, while those
whose spikes tend to precede the neuron's gain it: the weights, uniform at first, drift
to the two bounds and the neuron's rate falls. At the default settings (100 s, seed 42,
numpy backend) the histogram of the final weights is U-shaped: 24% of the weights below
0.1 gmax, 19% above 0.9 gmax (10% each at the start), both fractions still growing; the
rate falls from 51 Hz in the first 2 s to about 20 Hz (27 Hz over the run). Brian2 gives
the same statistics (``benchmarks/song2000.py``). The model is Brian2's example "STDP"
(the common form of the paper's experiment; ``benchmarks/peers/brian2_stdp.py`` is the
same network in Brian2) with the conductance's driving force ``Ee - v`` of the paper
(Brian2's example holds it at ``Ee - vr``):

    taum dv/dt = ge (Ee - v) + (El - v)         dge/dt = -ge / taue
    taum = 10 ms, Ee = 0 mV, El = -74 mV, threshold -54 mV, reset -60 mV,
    no refractory period, taue = 5 ms, v(0) = -60 mV, dt = 0.1 ms;
    a presynaptic spike adds w to ge; w(0) uniform in [0, gmax], gmax = 0.01;
    pair-based all-to-all STDP with exponential traces (tau_plus = tau_minus = 20 ms):
    a pre spike after a post spike at lag s changes w by -A_minus exp(-s / tau_minus),
    a post spike after a pre spike by +A_plus exp(-s / tau_plus);
    A_plus = 0.01 gmax, A_minus = 1.05 A_plus; w clipped to [0, gmax].

Built from ``bp.dyn``: a ``PoissonGroup``, a ``LIF`` neuron (``R = 1``: ``input`` in mV,
the conductance ``ge`` relative to the leak conductance) and a ``bp.dyn.STDP``
projection with conductance output; ``bp.Runner`` compiles the whole loop.

Prints the final weight statistics (the fraction of weights below 0.1 gmax and above
0.9 gmax, their mean, a histogram) and the neuron's rate over time, and saves a figure
to ``--plot`` (default ``stdp_song2000.png``; ``--no-plot``: none): the neuron's rate
over time, the fractions of weights near the bounds over time, the final weights
against the input index and their histogram.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import brainjit as bp

# Brian2's example "STDP" (mV, ms; conductance relative to the leak conductance)
TAUM, EE, EL, VT, VR, TAUE = 10.0, 0.0, -74.0, -54.0, -60.0, 5.0
TAU_PRE = TAU_POST = 20.0
GMAX = 0.01  # the upper bound of the weights (w_max)
RATIO = 1.05  # A_minus tau_minus / (A_plus tau_plus): depression slightly stronger
RATE_BINS = 50  # the neuron's rate over time: this many bins


def song_network(num_inputs=1000, rate=15.0, seed=42, gmax=GMAX, a_rel=0.01, inputs=None):
    """The network: ``inputs`` (``num_inputs`` Poisson trains at ``rate`` Hz, or the group
    given), ``neuron`` (one LIF) and ``syn`` (all-to-all STDP synapses from every input
    onto the neuron, conductance-based, ``A_plus = a_rel * gmax``, ``A_minus = 1.05
    A_plus``, bounds ``[0, gmax]``). The initial weights are uniform in [0, gmax], drawn
    with ``numpy.random.default_rng(seed)``."""
    if inputs is None:
        inputs = bp.dyn.PoissonGroup(num_inputs, freqs=rate)
    neuron = bp.dyn.LIF(1, V_rest=EL, V_reset=VR, V_th=VT, tau=TAUM, V_initial=VR)
    w0 = np.random.default_rng(seed).uniform(0.0, gmax, inputs.num)
    a_plus = a_rel * gmax
    syn = bp.dyn.STDP(
        inputs,
        neuron,
        bp.conn.All2All(),
        weight=w0,
        tau=TAUE,
        output="coba",
        E=EE,
        tau_plus=TAU_PRE,
        tau_minus=TAU_POST,
        A_plus=a_plus,
        A_minus=a_plus * TAU_PRE / TAU_POST * RATIO,
        w_min=0.0,
        w_max=gmax,
    )
    return bp.dyn.Network(syn=syn, inputs=inputs, neuron=neuron)


def build(num_inputs=1000, rate=15.0, seed=42, duration=100_000.0, progress_bar=True):
    """The network and its Runner: the neuron's spikes recorded (every spike, as events)
    and the weights every ``duration / RATE_BINS`` ms. Returns ``(net, runner)``."""
    bp.math.random.seed(seed)
    net = song_network(num_inputs, rate, seed)
    every = max(1, int(round(duration / RATE_BINS / 0.1)))
    runner = bp.Runner(
        net,
        monitors=["neuron.spike", "syn.weight"],
        monitor_every=every,
        dt=0.1,
        progress_bar=progress_bar,
        jit_options={"cache": True},
    )
    return net, runner


def weight_stats(w, wmax=GMAX, bins=20) -> dict:
    """Final weight statistics (the same as ``benchmarks/peers/brian2_stdp.py``'s): the
    fraction of weights below 0.1 wmax and above 0.9 wmax, mean and standard deviation
    of w / wmax, the ``bins``-bin histogram of w / wmax over [0, 1]."""
    rel = np.asarray(w, dtype=float) / wmax
    hist, _ = np.histogram(rel, bins=bins, range=(0.0, 1.0))
    return {
        "frac_low": float(np.mean(rel < 0.1)),
        "frac_high": float(np.mean(rel > 0.9)),
        "mean_rel": float(rel.mean()),
        "std_rel": float(rel.std()),
        "hist": hist.tolist(),
    }


def rate_over_time(spike_times_ms, duration_ms, bins=RATE_BINS):
    """The neuron's rate (Hz) in ``bins`` equal bins of the run: (bin centres in s, rates)."""
    edges = np.linspace(0.0, duration_ms, bins + 1)
    counts, _ = np.histogram(spike_times_ms, bins=edges)
    width_s = (edges[1] - edges[0]) / 1000.0
    return (edges[:-1] + edges[1:]) / 2000.0, counts / width_s


def plot(path, runner, w, duration_ms, backend):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times, _ = runner.mon.spike_events("neuron.spike")
    centres, rates = rate_over_time(times, duration_ms)
    ws = np.asarray(runner.mon["syn.weight"]) / GMAX  # (records, inputs)
    fig, axes = plt.subplots(4, 1, figsize=(7, 10))
    axes[0].plot(centres, rates, "k")
    axes[0].set(xlabel="time (s)", ylabel="rate (Hz)", title=f"Song et al. 2000 ({backend})")
    record_s = np.asarray(runner.mon.ts) / 1000.0
    axes[1].plot(record_s, np.mean(ws < 0.1, axis=1), label="w < 0.1 gmax")
    axes[1].plot(record_s, np.mean(ws > 0.9, axis=1), label="w > 0.9 gmax")
    axes[1].set(xlabel="time (s)", ylabel="fraction of synapses")
    axes[1].legend(frameon=False)
    axes[2].plot(np.asarray(w) / GMAX, ".k", ms=2)
    axes[2].set(xlabel="input index", ylabel="w / gmax (end)")
    axes[3].hist(np.asarray(w) / GMAX, bins=20, range=(0.0, 1.0), color="0.4")
    axes[3].set(xlabel="w / gmax (end)", ylabel="synapses")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=["numpy", "jax"],
        default=bp.math.get_backend_name(),
        help="default: $BRAINJIT_BACKEND, else numpy",
    )
    parser.add_argument("--duration", type=float, default=100_000.0, help="ms (default 100 s)")
    parser.add_argument("--inputs", type=int, default=1000, help="number of Poisson inputs")
    parser.add_argument("--rate", type=float, default=15.0, help="input rate (Hz)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--plot", metavar="FILE", default="stdp_song2000.png", help="the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not save the figure")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args(argv)
    if args.duration <= 0:
        parser.error(f"--duration must be > 0 ms, got {args.duration}")

    bp.math.use_backend(args.backend)
    start = time.perf_counter()
    net, runner = build(args.inputs, args.rate, args.seed, args.duration, not args.no_progress)
    setup = time.perf_counter() - start
    runner.run(args.duration)
    w = np.asarray(net.syn.weight.value)
    stats = weight_stats(w)
    times, _ = runner.mon.spike_events("neuron.spike")
    rate_post = len(times) / (args.duration / 1000.0)
    _, rates = rate_over_time(times, args.duration)
    print(
        f"Song et al. (2000) on the {args.backend} backend: {args.inputs} Poisson inputs at "
        f"{args.rate:g} Hz, {args.duration / 1000:g} s, dt = 0.1 ms"
    )
    print(
        f"  setup {setup:.2f} s, build (compile) {runner.build_time:.2f} s, "
        f"run {runner.run_time:.2f} s"
    )
    print(
        f"  neuron: {rate_post:.2f} Hz over the run; first bin {rates[0]:.1f} Hz, "
        f"last bin {rates[-1]:.1f} Hz"
    )
    print(
        f"  weights: {100 * stats['frac_low']:.1f}% below 0.1 gmax, "
        f"{100 * stats['frac_high']:.1f}% above 0.9 gmax, mean {stats['mean_rel']:.3f} gmax"
    )
    print(f"  histogram of w / gmax (20 bins): {stats['hist']}")
    if not args.no_plot:
        plot(args.plot, runner, w, args.duration, args.backend)
        print(f"  figure saved to {args.plot}")
    summary = {
        "simulator": "brainjit",
        "backend": args.backend,
        "network": "song2000",
        "N": args.inputs,
        "duration_ms": args.duration,
        "build_s": runner.build_time,
        "run_s": runner.run_time,
        "rate_post_hz": rate_post,
        "rate_first_bin_hz": float(rates[0]),
        "rate_last_bin_hz": float(rates[-1]),
        "w_min": float(w.min()),
        "w_max": float(w.max()),
        **stats,
    }
    if args.json:
        print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
