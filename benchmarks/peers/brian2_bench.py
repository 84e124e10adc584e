"""COBA and COBAHH in Brian2 (cython runtime or cpp_standalone), for benchmarks/compare.py.

    .venv-brian2/bin/python benchmarks/peers/brian2_bench.py --target cython --network coba
    .venv-brian2/bin/python benchmarks/peers/brian2_bench.py --target cpp_standalone \\
        --network cobahh --scale 4 --duration 1000 --seed 1

The models follow Brian2's COBAHH example and the COBA benchmark with the parameters of
issue 7 (see ``_common.py``): one ``NeuronGroup`` of N neurons (E the first 80%),
exponential Euler, dt = 0.1 ms, two ``Synapses`` (from E and from I onto all, ``on_pre``
adds the weight to ge or gi, ``connect(p=0.02 / scale)``, no delays), a ``SpikeMonitor``
that only counts. The initial state is brainjit's (same seed, same values).

Timing (every compilation cold: a fresh cache or project directory per process):

- cython: ``build_s`` = network construction (connectivity included) + ``run(0 ms)``,
  which generates and compiles every code object, + the preparation of
  ``run(duration)`` (it loads the compiled objects again); ``run_s`` = its time loop
  (from the report callback's first call, at the loop's start, to the return).
- cpp_standalone: ``build_s`` = everything up to the end of ``device.build`` (code
  generation, compilation, the binary's set-up: connectivity, initial state) minus the
  binary's own measured simulation time, which is ``run_s`` (``device._last_run_time``).

Single-threaded by default (``--threads 1``: no OpenMP in the standalone code).
Prints one JSON line last; exits with status 3 and a note if Brian2 is not installed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

TARGETS = ["cython", "cpp_standalone"]


def build_network(b2, network: str, scale: float, seed: int):
    """The network's objects (in the magic network) and its spike counter."""
    ms, mV, nS, pF = b2.ms, b2.mV, b2.nS, b2.pF
    num, num_e, p = c.sizes(scale)
    if network == "coba":
        k = c.COBA
        ns = {
            "taum": k["taum"] * ms, "El": k["El"] * mV, "Vt": k["Vt"] * mV, "Vr": k["Vr"] * mV,
            "Ee": k["Ee"] * mV, "Ei": k["Ei"] * mV, "taue": k["taue"] * ms,
            "taui": k["taui"] * ms, "I": k["I"] * mV, "we": k["we"], "wi": k["wi"],
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
        init = c.coba_init(num, seed)
        group.v = init["v"] * mV
        group.ge = init["ge"]
        group.gi = init["gi"]
    else:
        k = c.COBAHH
        ns = {
            "Cm": k["Cm"] * pF, "gl": k["gl"] * nS, "g_na": k["g_na"] * nS,
            "g_kd": k["g_kd"] * nS, "El": k["El"] * mV, "EK": k["EK"] * mV,
            "ENa": k["ENa"] * mV, "VT": k["VT"] * mV, "taue": k["taue"] * ms,
            "taui": k["taui"] * ms, "Ee": k["Ee"] * mV, "Ei": k["Ei"] * mV,
            "we": k["we"] * nS, "wi": k["wi"] * nS, "Vspike": k["Vspike"] * mV,
        }  # fmt: skip
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v)
                 - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m) - beta_m*m : 1
        dn/dt = alpha_n*(1-n) - beta_n*n : 1
        dh/dt = alpha_h*(1-h) - beta_h*h : 1
        dge/dt = -ge*(1./taue) : siemens
        dgi/dt = -gi*(1./taui) : siemens
        alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
        beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """
        group = b2.NeuronGroup(
            num,
            eqs,
            threshold="v>Vspike",
            refractory=k["tref"] * ms,  # for the threshold only: v is not clamped
            method="exponential_euler",
            namespace=ns,
        )
        init = c.cobahh_init(num, seed)
        group.v = init["v"] * mV
        group.ge = init["ge"] * nS
        group.gi = init["gi"] * nS
        group.m = group.n = group.h = 0
    exc = b2.Synapses(group[:num_e], group, on_pre="ge += we", namespace=ns)
    inh = b2.Synapses(group[num_e:], group, on_pre="gi += wi", namespace=ns)
    exc.connect(p=p)
    inh.connect(p=p)
    counter = b2.SpikeMonitor(group, record=False)
    return b2.Network(group, exc, inh, counter), counter, num, num_e


def main(argv=None) -> dict:
    args = c.parser(__doc__.splitlines()[0], TARGETS).parse_args(argv)
    try:
        import brian2 as b2
    except ImportError as error:
        c.skip(
            "brian2",
            args.target,
            args.network,
            f"Brian2 is not installed ({error}); run benchmarks/peers/setup.sh",
        )
    workdir = tempfile.mkdtemp(prefix="brian2-bench-")
    try:
        start = time.perf_counter()
        b2.prefs.codegen.target = "cython" if args.target == "cython" else "numpy"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
        b2.defaultclock.dt = c.DT * b2.ms
        b2.seed(args.seed)  # Brian2's own random numbers (the connectivity)
        if args.target == "cpp_standalone":
            b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
            b2.prefs.devices.cpp_standalone.openmp_threads = (
                0 if args.threads <= 1 else args.threads
            )
        net, counter, num, num_e = build_network(b2, args.network, args.scale, args.seed)
        duration = args.duration * b2.ms
        if args.target == "cython":
            net.run(0 * b2.ms)  # generates and compiles every code object
            loop_start = []  # the report callback's first call: the time loop starts

            def report(elapsed, completed, t_start, total):
                if not loop_start:
                    loop_start.append(time.perf_counter())

            net.run(duration, report=report, report_period=1e9 * b2.second)
            end = time.perf_counter()
            run_s = end - loop_start[0]
            build_s = end - start - run_s  # with run(duration)'s own preparation
        else:
            net.run(duration)
            b2.device.build(directory=workdir, compile=True, run=True, debug=False)
            run_s = float(b2.device._last_run_time)
            build_s = time.perf_counter() - start - run_s
        counts = counter.count[:]
        rate_e = c.rate_hz(counts[:num_e].sum(), num_e, args.duration)
        rate_i = c.rate_hz(counts[num_e:].sum(), num - num_e, args.duration)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return c.emit(
        "brian2",
        args.target,
        args.network,
        num,
        args.duration,
        build_s,
        run_s,
        rate_e,
        rate_i,
        version=b2.__version__,
    )


if __name__ == "__main__":
    main()
