"""STDP networks in Brian2 (cython runtime or cpp_standalone), for
``examples/stdp_song2000.py --compare-brian2`` and ``benchmarks/coba_stdp.py``.

    .venv-brian2/bin/python benchmarks/peers/brian2_stdp.py --network song2000 --duration 100000
    .venv-brian2/bin/python benchmarks/peers/brian2_stdp.py --network coba_stdp \\
        --target cpp_standalone --duration 1000
    .venv-brian2/bin/python benchmarks/peers/brian2_stdp.py --network coba_stdp --no-stdp

song2000
    Song, Miller & Abbott (2000) as in Brian2's example "STDP" (``examples/synapses/STDP.py``):
    ``--inputs`` (1000) Poisson inputs at ``--rate`` (15 Hz) onto one conductance-based
    integrate-and-fire neuron, ``taum dv/dt = ge (Ee - v) + El - v``, ``dge/dt = -ge/taue``;
    taum = 10 ms, Ee = 0 mV, El = -74 mV, threshold -54 mV, reset -60 mV, no refractory
    period, taue = 5 ms, v(0) = reset (the example writes the driving force ``Ee - vr``;
    here it is ``Ee - v``, the paper's conductance-based neuron); additive all-to-all
    STDP with hard bounds:
    ``on_pre: ge += w; Apre += dApre; w = clip(w + Apost, 0, gmax)``,
    ``on_post: Apost += dApost; w = clip(w + Apre, 0, gmax)``, traces decaying with
    taupre = taupost = 20 ms, gmax = 0.01, dApre = 0.01 gmax, dApost = -1.05 dApre;
    w(0) uniform in [0, gmax] (``numpy.random.default_rng(seed)``, as brainjit's example).
    Exponential Euler (exact for v with ge held over a step), dt = 0.1 ms.

coba_stdp
    COBA (``_common.py``) with the same STDP rule on the E->E synapses (others static):
    E->E weights start at we = 0.6, wmax = 2 we, dApre = 0.01 wmax,
    dApost = -1.05 dApre, taupre = taupost = 20 ms. ``--no-stdp``: the static COBA network
    with its four projections (E->E, E->I, I->E, I->I) written as separate Synapses.

Timing as ``brian2_bench.py`` (cold compilation; cpp_standalone's ``run_s`` is the
binary's own simulation time). Prints one JSON line last, with the final weight
statistics (song2000: the fraction of weights below 0.1 gmax and above 0.9 gmax, the
mean, the 20-bin histogram of w / gmax; coba_stdp: the mean E->E weight); exits with
status 3 and a note if Brian2 is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402
import numpy as np  # noqa: E402

TARGETS = ["cython", "cpp_standalone"]

# Song, Miller & Abbott (2000) as in Brian2's example (mV, ms)
SONG = dict(
    taum=10.0, Ee=0.0, El=-74.0, vt=-54.0, vr=-60.0, taue=5.0,
    taupre=20.0, taupost=20.0, gmax=0.01, dApre_rel=0.01, ratio=1.05,
)  # fmt: skip
# STDP on COBA's E->E synapses (weights relative to the leak conductance)
COBA_STDP = dict(wmax_rel=2.0, dApre_rel=0.01, ratio=1.05, taupre=20.0, taupost=20.0)

STDP_MODEL = """w : 1
dApre/dt = -Apre / taupre : 1 (event-driven)
dApost/dt = -Apost / taupost : 1 (event-driven)"""
ON_POST = """Apost += dApost
w = clip(w + Apre, 0, wmax)"""


def weight_stats(w: np.ndarray, wmax: float, bins: int = 20) -> dict:
    """Statistics of final weights in [0, wmax]: fractions near 0 and near wmax, mean and
    standard deviation relative to wmax, the histogram of w / wmax (``bins`` bins)."""
    rel = np.asarray(w, dtype=float) / wmax
    hist, _ = np.histogram(rel, bins=bins, range=(0.0, 1.0))
    return {
        "frac_low": float(np.mean(rel < 0.1)),
        "frac_high": float(np.mean(rel > 0.9)),
        "mean_rel": float(rel.mean()),
        "std_rel": float(rel.std()),
        "hist": hist.tolist(),
    }


def build_song(b2, args):
    ms, mV = b2.ms, b2.mV
    k = SONG
    ns = {
        "taum": k["taum"] * ms, "Ee": k["Ee"] * mV, "El": k["El"] * mV, "vt": k["vt"] * mV,
        "vr": k["vr"] * mV, "taue": k["taue"] * ms, "taupre": k["taupre"] * ms,
        "taupost": k["taupost"] * ms, "wmax": k["gmax"],
        "dApre": k["dApre_rel"] * k["gmax"],
        "dApost": -k["dApre_rel"] * k["gmax"] * k["taupre"] / k["taupost"] * k["ratio"],
    }  # fmt: skip
    inputs = b2.PoissonGroup(args.inputs, rates=args.rate * b2.Hz)
    neuron = b2.NeuronGroup(
        1,
        "dv/dt = (ge * (Ee - v) + El - v) / taum : volt\ndge/dt = -ge / taue : 1",
        threshold="v > vt",
        reset="v = vr",
        method="exponential_euler",
        namespace=ns,
    )
    neuron.v = k["vr"] * mV
    syn = b2.Synapses(
        inputs,
        neuron,
        STDP_MODEL,
        on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, wmax)",
        on_post=ON_POST,
        namespace=ns,
    )
    syn.connect()
    syn.w = np.random.default_rng(args.seed).uniform(0.0, k["gmax"], args.inputs)
    post = b2.SpikeMonitor(neuron)
    net = b2.Network(inputs, neuron, syn, post)

    def results():
        spikes = np.asarray(post.t / ms)
        return {
            "N": args.inputs,
            "rate_post_hz": len(spikes) / (args.duration / 1000.0),
            "post_spike_times_ms": spikes.tolist() if args.spike_times else None,
            **weight_stats(np.asarray(syn.w[:]), k["gmax"]),
        }

    return net, results


def build_coba_stdp(b2, args):
    ms, mV = b2.ms, b2.mV
    num, num_e, p = c.sizes(args.scale)
    k, s = c.COBA, COBA_STDP
    wmax = s["wmax_rel"] * k["we"]
    ns = {
        "taum": k["taum"] * ms, "El": k["El"] * mV, "Vt": k["Vt"] * mV, "Vr": k["Vr"] * mV,
        "Ee": k["Ee"] * mV, "Ei": k["Ei"] * mV, "taue": k["taue"] * ms,
        "taui": k["taui"] * ms, "I": k["I"] * mV, "we": k["we"], "wi": k["wi"],
        "taupre": s["taupre"] * ms, "taupost": s["taupost"] * ms, "wmax": wmax,
        "dApre": s["dApre_rel"] * wmax,
        "dApost": -s["dApre_rel"] * wmax * s["taupre"] / s["taupost"] * s["ratio"],
    }  # fmt: skip
    eqs = """
    dv/dt = (ge*(Ee-v) + gi*(Ei-v) - (v-El) + I)/taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    group = b2.NeuronGroup(
        num,
        eqs,
        threshold="v>Vt",
        reset="v=Vr",
        refractory=k["tref"] * ms,
        method="exponential_euler",
        namespace=ns,
    )
    init = c.coba_init(num, args.seed)
    group.v = init["v"] * mV
    group.ge = init["ge"]
    group.gi = init["gi"]
    E, I = group[:num_e], group[num_e:]  # noqa: E741
    if args.no_stdp:
        ee = b2.Synapses(E, E, on_pre="ge += we", namespace=ns)
    else:
        ee = b2.Synapses(
            E,
            E,
            STDP_MODEL,
            on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, wmax)",
            on_post=ON_POST,
            namespace=ns,
        )
    ei = b2.Synapses(E, I, on_pre="ge += we", namespace=ns)
    ie = b2.Synapses(I, E, on_pre="gi += wi", namespace=ns)
    ii = b2.Synapses(I, I, on_pre="gi += wi", namespace=ns)
    for syn in (ee, ei, ie, ii):
        syn.connect(p=p)
    if not args.no_stdp:
        ee.w = k["we"]
    counter = b2.SpikeMonitor(group, record=False)
    net = b2.Network(group, ee, ei, ie, ii, counter)

    def results():
        counts = np.asarray(counter.count[:])
        out = {
            "N": num,
            "rate_E_hz": c.rate_hz(counts[:num_e].sum(), num_e, args.duration),
            "rate_I_hz": c.rate_hz(counts[num_e:].sum(), num - num_e, args.duration),
            "num_ee_synapses": int(len(ee)),
        }
        if not args.no_stdp:
            out["mean_w_ee"] = float(np.mean(ee.w[:]))
        return out

    return net, results


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", choices=TARGETS, default=TARGETS[0])
    p.add_argument("--network", choices=["song2000", "coba_stdp"], default="song2000")
    p.add_argument("--scale", type=float, default=1.0, help="coba_stdp: N = 4000 * scale")
    p.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1, help="threads of the simulator")
    p.add_argument("--inputs", type=int, default=1000, help="song2000: Poisson inputs")
    p.add_argument("--rate", type=float, default=15.0, help="song2000: input rate (Hz)")
    p.add_argument("--no-stdp", action="store_true", help="coba_stdp: static E->E synapses")
    p.add_argument("--spike-times", action="store_true", help="song2000: list post spikes")
    args = p.parse_args(argv)
    label = args.network if not args.no_stdp else "coba_static"
    try:
        import brian2 as b2
    except ImportError as error:
        c.skip(
            "brian2",
            args.target,
            label,
            f"Brian2 is not installed ({error}); run benchmarks/peers/setup.sh brian2",
        )
    workdir = tempfile.mkdtemp(prefix="brian2-stdp-")
    try:
        start = time.perf_counter()
        b2.prefs.codegen.target = "cython" if args.target == "cython" else "numpy"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
        b2.defaultclock.dt = c.DT * b2.ms
        b2.seed(args.seed)
        if args.target == "cpp_standalone":
            b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
            b2.prefs.devices.cpp_standalone.openmp_threads = (
                0 if args.threads <= 1 else args.threads
            )
        build = build_song if args.network == "song2000" else build_coba_stdp
        net, results = build(b2, args)
        duration = args.duration * b2.ms
        if args.target == "cython":
            net.run(0 * b2.ms)  # generates and compiles every code object
            loop_start = []

            def report(elapsed, completed, t_start, total):
                if not loop_start:
                    loop_start.append(time.perf_counter())

            net.run(duration, report=report, report_period=1e9 * b2.second)
            end = time.perf_counter()
            run_s = end - loop_start[0]
            build_s = end - start - run_s
        else:
            net.run(duration)
            b2.device.build(directory=workdir, compile=True, run=True, debug=False)
            run_s = float(b2.device._last_run_time)
            build_s = time.perf_counter() - start - run_s
        out = results()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    line = {
        "simulator": "brian2",
        "backend": args.target,
        "network": label,
        "duration_ms": args.duration,
        "build_s": build_s,
        "run_s": run_s,
        "peak_rss_mb": c.peak_rss_mb(),
        "version": b2.__version__,
        **{key: value for key, value in out.items() if value is not None},
    }
    sys.stdout.flush()
    print(json.dumps(line), flush=True)
    return line


if __name__ == "__main__":
    main()
