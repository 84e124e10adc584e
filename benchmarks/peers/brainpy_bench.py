"""COBA and COBAHH in BrainPy 2.x (JAX, CPU), for benchmarks/compare.py.

    .venv-brainpy/bin/python benchmarks/peers/brainpy_bench.py --network coba
    .venv-brainpy/bin/python benchmarks/peers/brainpy_bench.py --network cobahh --scale 4

The models (parameters in ``_common.py``), written as BrainPy's own E/I-network
examples write them: one neuron group of N (E the first 80%), two align-post
projections ``HalfProjAlignPostMg`` (event-driven ``EventCSRLinear`` over
``bp.conn.FixedProb(0.02 / scale)`` connectivity, ``Expon`` synapses, ``COBA`` output
g (E - v)), no delays, dt = 0.1 ms, BrainPy's default float32:

- COBA: ``bp.dyn.LifRef`` (exponential Euler, v clamped while refractory), the drive
  I = 20 mV as the update's input;
- COBAHH: a ``bp.dyn.NeuDyn`` with Brian2's COBAHH equations (Traub & Miles rate
  functions, exponential Euler ``exp_auto``), a spike when v crosses -20 mV upwards.

The initial state is brainjit's (same seed, same values). The time loop is one jitted
``bm.while_loop`` whose step count is an argument, so that ``build_s`` (construction +
tracing and XLA compilation, by a call with 0 steps) and ``run_s`` (the call with all
the steps, until its results are ready) are separate. Spikes are counted per neuron in
the loop. Single-threaded XLA by default (``--threads 1``). Prints one JSON line last;
exits with status 3 and a note if BrainPy is not installed.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402


def cobahh_neuron(bp, bm, k):
    """A ``NeuDyn`` class with the COBAHH neuron of Brian2's example (mV, ms, nS, pF)."""
    import jax.numpy as jnp

    def inv_exprel(x):  # x / (exp(x) - 1), safe at x = 0
        small = jnp.abs(x) < 1e-4
        safe = jnp.where(small, 1.0, x)
        return jnp.where(small, 1.0 - x / 2.0, safe / jnp.expm1(safe))

    class COBAHH(bp.dyn.NeuDyn):
        def __init__(self, size, v0):
            super().__init__(size)
            self.V = bm.Variable(bm.asarray(v0, dtype=bm.float_))
            self.m = bm.Variable(bm.zeros(self.num))
            self.h = bm.Variable(bm.zeros(self.num))
            self.n = bm.Variable(bm.zeros(self.num))
            self.spike = bm.Variable(bm.zeros(self.num, dtype=bool))
            self.integral = bp.odeint(
                bp.JointEq(self.dV, self.dm, self.dh, self.dn), method="exp_auto"
            )

        def dm(self, m, t, V):
            u = V - k["VT"]
            alpha = 0.32 * 4.0 * inv_exprel((13.0 - u) / 4.0)
            beta = 0.28 * 5.0 * inv_exprel((u - 40.0) / 5.0)
            return alpha * (1.0 - m) - beta * m

        def dh(self, h, t, V):
            u = V - k["VT"]
            alpha = 0.128 * jnp.exp((17.0 - u) / 18.0)
            beta = 4.0 / (1.0 + jnp.exp((40.0 - u) / 5.0))
            return alpha * (1.0 - h) - beta * h

        def dn(self, n, t, V):
            u = V - k["VT"]
            alpha = 0.032 * 5.0 * inv_exprel((15.0 - u) / 5.0)
            beta = 0.5 * jnp.exp((10.0 - u) / 40.0)
            return alpha * (1.0 - n) - beta * n

        def dV(self, V, t, m, h, n, inp):
            i_na = k["g_na"] * m**3 * h * (V - k["ENa"])
            i_k = k["g_kd"] * n**4 * (V - k["EK"])
            return (k["gl"] * (k["El"] - V) - i_na - i_k + inp) / k["Cm"]

        def update(self, x=None):
            t = bp.share["t"]
            x = 0.0 if x is None else x
            x = self.sum_current_inputs(self.V.value, init=x)  # the COBA g (E - v)
            V, m, h, n = self.integral(self.V.value, self.m.value, self.h.value, self.n.value, t, x)
            self.spike.value = (self.V.value < k["Vspike"]) & (V >= k["Vspike"])
            self.V.value, self.m.value, self.h.value, self.n.value = V, m, h, n
            return self.spike.value

    return COBAHH


def build_network(bp, bm, network: str, scale: float, seed: int):
    """The network (a ``DynSysGroup`` whose ``update`` returns the spikes) and its
    external drive."""
    num, num_e, p = c.sizes(scale)
    if network == "coba":
        k = c.COBA
        init = c.coba_init(num, seed)
        neuron = bp.dyn.LifRef(
            num, V_rest=k["El"], V_th=k["Vt"], V_reset=k["Vr"], tau=k["taum"], tau_ref=k["tref"]
        )
        neuron.V.value = bm.asarray(init["v"], dtype=bm.float_)
        drive = k["I"]
    else:
        k = c.COBAHH
        init = c.cobahh_init(num, seed)
        neuron = cobahh_neuron(bp, bm, k)(num, init["v"])
        drive = 0.0

    class EINet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            self.N = neuron
            conn = lambda pre, s: bp.conn.FixedProb(p, pre=pre, post=num, seed=seed + s)  # noqa: E731
            self.E = bp.dyn.HalfProjAlignPostMg(
                comm=bp.dnn.EventCSRLinear(conn(num_e, 1), k["we"]),
                syn=bp.dyn.Expon.desc(size=num, tau=k["taue"]),
                out=bp.dyn.COBA.desc(E=k["Ee"]),
                post=self.N,
            )
            self.I = bp.dyn.HalfProjAlignPostMg(
                comm=bp.dnn.EventCSRLinear(conn(num - num_e, 2), k["wi"]),
                syn=bp.dyn.Expon.desc(size=num, tau=k["taui"]),
                out=bp.dyn.COBA.desc(E=k["Ei"]),
                post=self.N,
            )

        def update(self, inp):
            spikes = self.N.spike.value  # the last step's spikes (no delays)
            self.E(spikes[:num_e])
            self.I(spikes[num_e:])
            return self.N(inp)

    net = EINet()
    if network == "cobahh":  # the initial conductances: the synapses' g (nS)
        net.E.syn.g.value = bm.asarray(init["ge"], dtype=bm.float_)
        net.I.syn.g.value = bm.asarray(init["gi"], dtype=bm.float_)
    return net, drive, num, num_e


def main(argv=None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    if args.threads <= 1:  # before jax starts
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    try:
        import brainpy as bp
        import brainpy.math as bm
        import jax
        import jax.numpy as jnp
    except ImportError as error:
        c.skip(
            "brainpy",
            "jax",
            args.network,
            f"BrainPy is not installed ({error}); run benchmarks/peers/setup.sh",
        )
    start = time.perf_counter()
    bm.set_platform("cpu")
    bm.set_dt(c.DT)
    bm.random.seed(args.seed)
    net, drive, num, num_e = build_network(bp, bm, args.network, args.scale, args.seed)
    counts = bm.Variable(bm.zeros(num, dtype=jnp.int32))

    def body(i):
        spikes = net.step_run(i, drive)
        counts.value += bm.as_jax(spikes).astype(jnp.int32)
        return (i + 1,)

    @bm.jit
    def simulate(steps):
        return bm.while_loop(body, lambda i: i < steps, operands=(jnp.asarray(0, jnp.int32),))

    jax.block_until_ready(simulate(jnp.asarray(0, jnp.int32)))  # traces and compiles
    jax.block_until_ready(counts.value)
    build_s = time.perf_counter() - start
    steps = int(round(args.duration / c.DT))
    t0 = time.perf_counter()
    jax.block_until_ready(simulate(jnp.asarray(steps, jnp.int32)))
    counted = jax.device_get(bm.as_jax(counts.value))
    run_s = time.perf_counter() - t0
    return c.emit(
        "brainpy",
        "jax",
        args.network,
        num,
        args.duration,
        build_s,
        run_s,
        c.rate_hz(counted[:num_e].sum(), num_e, args.duration),
        c.rate_hz(counted[num_e:].sum(), num - num_e, args.duration),
        version=bp.__version__,
        jax_version=jax.__version__,
        device=jax.default_backend(),
        dtype=str(jnp.dtype(bm.float_)),
    )


if __name__ == "__main__":
    main()
