"""COBA and COBAHH in NEST 3.x, for benchmarks/compare.py.

    .venv-nest/bin/python benchmarks/peers/nest_bench.py --network coba
    .venv-nest/bin/python benchmarks/peers/nest_bench.py --network cobahh --scale 4

NEST's built-in models with the parameters of ``_common.py`` (NEST units: mV, ms, nS,
pF, pA), resolution 0.1 ms, ``pairwise_bernoulli`` connectivity with p = 0.02 / scale
(autapses allowed, as in the other simulators), every delay the resolution (0.1 ms,
NEST's minimum; the other simulators' "no delay" also acts on the next step):

- COBA: ``iaf_cond_exp`` with C_m = 200 pF and g_L = 10 nS (taum = 20 ms), so that the
  conductances in units of the leak conductance become we = 0.6 g_L = 6 nS,
  wi = 6.7 g_L = 67 nS and the drive I = 20 mV becomes I_e = 200 pA; V_reset = -60,
  t_ref = 5 ms (v clamped), v(0) from the shared initial state, g_ex = g_in = 0.
  NEST integrates it with an adaptive Runge-Kutta (GSL) solver.
- COBAHH: ``hh_cond_exp_traub``, which is this benchmark's neuron (Traub & Miles,
  V_T = -63 mV, g_Na = 20 uS, g_K = 6 uS, g_L = 10 nS, C_m = 200 pF), t_ref = 3 ms,
  Act_m = Act_n = Inact_h = 0. Two differences NEST imposes: its ``g_ex`` and ``g_in``
  cannot be set, so the initial conductances arrive as one input spike per neuron
  (weights ge(0) and -gi(0)) at 0.2 ms, the earliest delivery; and it emits a spike at
  the peak of an action potential above V_T + 30 mV rather than at the -20 mV crossing.

``build_s``: kernel set-up, creation, connection and ``nest.Prepare()``; ``run_s``:
``nest.Run(duration)``. Single-threaded by default (``--threads 1``). Prints one JSON
line last; exits with status 3 and a note if NEST is not installed.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402


def quiet(nest) -> None:
    """Only NEST's errors on the console."""
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:  # NEST < 3.9
        nest.set_verbosity("M_ERROR")


def build_network(nest, network: str, scale: float, seed: int):
    """Create and connect the network; returns (neurons, spike recorder, N, N_E)."""
    num, num_e, p = c.sizes(scale)
    if network == "coba":
        k = c.COBA
        gl = 10.0  # nS: the leak conductance that the dimensionless weights scale
        init = c.coba_init(num, seed)
        neurons = nest.Create(
            "iaf_cond_exp",
            num,
            params={
                "C_m": k["taum"] * gl, "g_L": gl, "E_L": k["El"], "V_th": k["Vt"],
                "V_reset": k["Vr"], "t_ref": k["tref"], "E_ex": k["Ee"], "E_in": k["Ei"],
                "tau_syn_ex": k["taue"], "tau_syn_in": k["taui"], "I_e": k["I"] * gl,
            },
        )  # fmt: skip
        neurons.set(V_m=list(init["v"]), g_ex=0.0, g_in=0.0)
        we, wi = k["we"] * gl, k["wi"] * gl
    else:
        k = c.COBAHH
        init = c.cobahh_init(num, seed)
        neurons = nest.Create(
            "hh_cond_exp_traub",
            num,
            params={
                "C_m": k["Cm"], "g_L": k["gl"], "g_Na": k["g_na"], "g_K": k["g_kd"],
                "E_L": k["El"], "E_K": k["EK"], "E_Na": k["ENa"], "V_T": k["VT"],
                "E_ex": k["Ee"], "E_in": k["Ei"], "tau_syn_ex": k["taue"],
                "tau_syn_in": k["taui"], "t_ref": k["tref"], "I_e": 0.0,
            },
        )  # fmt: skip
        neurons.set(V_m=list(init["v"]), Act_m=0.0, Act_n=0.0, Inact_h=0.0)
        we, wi = k["we"], k["wi"]
        # the initial conductances: one spike per neuron at the first step, weighted
        kick = nest.Create("spike_generator", num, params={"spike_times": [c.DT]})
        for g0, sign in ((init["ge"], 1.0), (init["gi"], -1.0)):
            weights = list(sign * g0)  # > 0: into g_ex, < 0: into g_in
            nest.Connect(kick, neurons, "one_to_one", {"weight": weights, "delay": c.DT})
    exc, inh = neurons[:num_e], neurons[num_e:]
    rule = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True}
    nest.Connect(exc, neurons, rule, {"weight": we, "delay": c.DT})
    nest.Connect(inh, neurons, rule, {"weight": -wi, "delay": c.DT})  # < 0: into g_in
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    return neurons, recorder, num, num_e


def main(argv=None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        import nest
    except ImportError as error:
        c.skip(
            "nest",
            "native",
            args.network,
            f"NEST is not installed ({error}); run benchmarks/peers/setup.sh",
        )
    quiet(nest)
    start = time.perf_counter()
    nest.ResetKernel()
    quiet(nest)
    nest.SetKernelStatus(
        {
            "resolution": c.DT,
            "local_num_threads": max(1, args.threads),
            "rng_seed": args.seed + 1,  # NEST needs a seed >= 1
            "print_time": False,
        }
    )
    neurons, recorder, num, num_e = build_network(nest, args.network, args.scale, args.seed)
    nest.Prepare()
    build_s = time.perf_counter() - start
    t0 = time.perf_counter()
    nest.Run(args.duration)
    run_s = time.perf_counter() - t0
    nest.Cleanup()
    senders = recorder.get("events")["senders"]
    first = neurons[0].global_id
    index = senders - first
    spikes_e = int((index < num_e).sum())
    spikes_i = int(len(index) - spikes_e)
    return c.emit(
        "nest",
        "native",
        args.network,
        num,
        args.duration,
        build_s,
        run_s,
        c.rate_hz(spikes_e, num_e, args.duration),
        c.rate_hz(spikes_i, num - num_e, args.duration),
        version=nest.__version__,
        threads=max(1, args.threads),
    )


if __name__ == "__main__":
    main()
