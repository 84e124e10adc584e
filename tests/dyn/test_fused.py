"""The fused steps of the built-in models (``bm.elementwise``: one loop over the neurons
in Numba code) against reference implementations written here with plain NumPy
arrays: the same trajectories (rtol 1e-9) and the same spikes, on both backends, the
whole run compiled by ``bp.Runner`` (JAX in float64).

The references follow the models' documented equations and integration methods:
exponential Euler (``x + dt * expm1(z) / z * f(x)`` with ``z = dt * (f(x + 1) - f(x))``,
the other variables held) for the neurons and the kinetic receptors, RK4 for the
dual-exponential synapses, the exact decay for the exponential synapse.
"""

import math

import numpy as np
import pytest
from dyn_helpers import backend64

import brainjit as bp

DT = 0.1
N = 6
STEPS = 300


def exp_euler(x, f):
    """One exponential Euler step of ``dx/dt = f(x)`` (NumPy arrays)."""
    dx = f(x)
    z = DT * (f(x + 1.0) - dx)
    z = np.copysign(np.maximum(np.abs(z), 1e-30), z)
    return x + DT * (np.expm1(z) / z) * dx


def rk4(xs, f):
    """One classical RK4 step of ``d(xs)/dt = f(xs)`` (a tuple of NumPy arrays)."""
    k1 = f(xs)
    k2 = f(tuple(x + DT * k / 2 for x, k in zip(xs, k1)))
    k3 = f(tuple(x + DT * k / 2 for x, k in zip(xs, k2)))
    k4 = f(tuple(x + DT * k for x, k in zip(xs, k3)))
    return tuple(
        x + DT * (a / 6 + b / 3 + c / 3 + d / 6) for x, a, b, c, d in zip(xs, k1, k2, k3, k4)
    )


# -- neurons ---------------------------------------------------------------------------------


def expif_reference(p, V, extra, I_ext):
    def f(V):
        exp_term = p["delta_T"] * np.exp((V - p["V_T"]) / p["delta_T"])
        return (-(V - p["V_rest"]) + exp_term + p["R"] * I_ext) / p["tau"]

    return exp_euler(V, f), {}


def adex_reference(p, V, extra, I_ext):
    w = extra["w"]

    def fV(V):
        exp_term = p["delta_T"] * np.exp((V - p["V_T"]) / p["delta_T"])
        return (-(V - p["V_rest"]) + exp_term - p["R"] * w + p["R"] * I_ext) / p["tau"]

    def fw(w):
        return (p["a"] * (V - p["V_rest"]) - w) / p["tau_w"]

    return exp_euler(V, fV), {"w": exp_euler(w, fw)}


def izhikevich_reference(p, V, extra, I_ext):
    u = extra["u"]

    def fV(V):
        return 0.04 * V * V + 5.0 * V + 140.0 - u + I_ext

    def fu(u):
        return p["a"] * (p["b"] * V - u)

    return exp_euler(V, fV), {"u": exp_euler(u, fu)}


# model -> (parameters, drive range, reference step, extra variables and their jump at a spike)
NEURONS = {
    "ExpIF": (
        dict(
            V_rest=-65.0,
            V_reset=-68.0,
            V_th=-30.0,
            V_T=-59.9,
            delta_T=3.48,
            R=1.0,
            tau=10.0,
            t_ref=1.7,
        ),
        (8.0, 16.0),
        expif_reference,
        {},
    ),  # fmt: skip
    "AdEx": (
        dict(
            V_rest=-70.6,
            V_reset=-70.6,
            V_th=-40.4,
            V_T=-50.4,
            delta_T=2.0,
            a=0.004,
            b=0.0805,
            tau=281.0 / 30.0,
            tau_w=144.0,
            R=1000.0 / 30.0,
            t_ref=0.5,
        ),
        (1.0, 1.6),
        adex_reference,
        {"w": "b"},
    ),  # fmt: skip
    "Izhikevich": (
        dict(a=0.02, b=0.2, c=-65.0, d=8.0, V_th=30.0, t_ref=0.3),
        (5.0, 15.0),
        izhikevich_reference,
        {"u": "d"},
    ),
}


def neuron_reference(name, V0, drive):
    """The model run for STEPS steps with plain NumPy arrays: V, the extra variables and
    the spikes after every step."""
    params, _, step, jumps = NEURONS[name]
    V = V0.copy()
    extra = {"w": np.zeros(N)} if name == "AdEx" else {}
    if name == "Izhikevich":
        extra["u"] = params["b"] * V
    V_reset = params.get("V_reset", params.get("c"))
    t_last = np.full(N, -1e7)
    out = {"V": [], "spike": [], **{k: [] for k in extra}}
    for i in range(STEPS):
        t = i * DT
        V_new, new = step(params, V, extra, drive)
        refractory = (t - t_last) < params["t_ref"] + 0.5 * DT
        V_new = np.where(refractory, V, V_new)
        spike = V_new >= params["V_th"]
        V = np.where(spike, V_reset, V_new)
        for key, jump in jumps.items():
            extra[key] = np.where(spike, new[key] + params[jump], new[key])
        t_last = np.where(spike, t, t_last)
        out["V"].append(V)
        out["spike"].append(spike)
        for key in extra:
            out[key].append(extra[key])
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("name", NEURONS)
def test_fused_neuron_against_numpy_reference(name):
    params, (low, high), _, jumps = NEURONS[name]
    rng = np.random.default_rng(5)
    drive = rng.uniform(low, high, N)
    spread = rng.uniform(-3.0, 3.0, N)
    reference = None
    for backend in ("numpy", "jax"):
        with backend64(backend):
            group = getattr(bp.dyn, name)(N, **params)
            V0 = np.asarray(group.V) + spread
            group.V[:] = bp.math.asarray(V0)
            if name == "Izhikevich":
                group.u[:] = bp.math.asarray(params["b"] * V0)
            if reference is None:
                reference = neuron_reference(name, V0, drive)
                assert reference["spike"].any(axis=0).all(), "every neuron should fire"
            runner = bp.Runner(
                group,
                monitors=["V", "spike", *jumps],
                inputs=[("input", bp.math.asarray(drive))],
                dt=DT,
                progress_bar=False,
            )
            runner.run(STEPS * DT)
            spikes = runner.mon["spike"]
            assert np.array_equal(spikes, reference["spike"]), f"{name} {backend}: spikes differ"
            for key in ("V", *jumps):
                np.testing.assert_allclose(
                    runner.mon[key],
                    reference[key],
                    rtol=1e-9,
                    atol=1e-9,
                    err_msg=f"{backend} {key}",
                )
            assert np.all(np.asarray(group.input) == 0.0)


# -- synapses --------------------------------------------------------------------------------

PRE, POST = 8, 5
SPIKE_RNG = np.random.default_rng(11)
SPIKE_TIMES = np.sort(SPIKE_RNG.uniform(0.0, 18.0, 40))
SPIKE_IDS = SPIKE_RNG.integers(0, PRE, 40)
POST_V = np.linspace(-70.0, -50.0, POST)
SYN_STEPS = 250


class Held(bp.dyn.NeuGroup):
    """A postsynaptic group with a fixed V; ``seen`` keeps the input of the last step."""

    def __init__(self):
        super().__init__(POST)
        self.V = bp.math.Variable(bp.math.asarray(POST_V))
        self.input = bp.math.Variable(bp.math.zeros(POST))
        self.seen = bp.math.Variable(bp.math.zeros(POST))


class Projection(bp.DynamicalSystem):
    """Spikes at given times -> the synapse -> a held group; one step in a fixed order."""

    def __init__(self, cls, kwargs, conn):
        super().__init__()
        self.pre = bp.dyn.SpikeTimeGroup(PRE, SPIKE_IDS, SPIKE_TIMES)
        self.post = Held()
        self.syn = cls(self.pre, self.post, conn, **kwargs)

    def update(self, t, dt):
        self.pre.update(t, dt)
        self.syn.update(t, dt)
        self.post.seen[:] = self.post.input
        self.post.input[:] = 0.0


def synapse_reference(cls, kwargs, dense, pre_spikes):
    """Per step: the synapse's state variable(s) and the input it gives the post group,
    from the recorded presynaptic spikes, with NumPy and the dense weight matrix."""
    coba = kwargs.get("output", "coba" if cls in (bp.dyn.AMPA, bp.dyn.GABAa) else "cuba") == "coba"
    E = kwargs.get("E", -80.0 if cls is bp.dyn.GABAa else 0.0)
    out = lambda g: g * (E - POST_V) if coba else g  # noqa: E731
    records = {"syn.g": [], "post.seen": []}
    g = np.zeros(POST if cls is not bp.dyn.AMPA and cls is not bp.dyn.GABAa else PRE)
    h = np.zeros(POST)
    t_arrival = np.full(PRE, -1e7)
    for i, fired in enumerate(pre_spikes):
        t, arriving = i * DT, fired @ dense
        if cls is bp.dyn.Delta:
            g = arriving
            seen = out(arriving / DT)
        elif cls is bp.dyn.Exponential:
            g = g * math.exp(-DT / kwargs["tau"]) + arriving
            seen = out(g)
        elif cls in (bp.dyn.DualExponential, bp.dyn.Alpha):
            if cls is bp.dyn.Alpha:
                td = tr = kwargs["tau"]
                scale = math.e / td
            else:
                td, tr = kwargs["tau_decay"], kwargs["tau_rise"]
                tau = td * tr / (td - tr)
                peak = tau * math.log(td / tr)
                scale = 1.0 / (tau * (math.exp(-peak / td) - math.exp(-peak / tr)))
            g, h = rk4((g, h), lambda s, td=td, tr=tr: (-s[0] / td + s[1], -s[1] / tr))
            h = h + scale * arriving
            seen = out(g)
        else:  # kinetic receptors: g per presynaptic neuron
            alpha, beta = kwargs["alpha"], kwargs["beta"]
            t_arrival = np.where(fired, t, t_arrival)
            T = ((t - t_arrival) < 1.0 - 0.5 * DT) * 1.0
            g = exp_euler(g, lambda g, T=T, a=alpha, b=beta: a * T * (1.0 - g) - b * g)
            seen = out(g @ dense)
        records["syn.g"].append(g)
        records["post.seen"].append(seen)
    return {k: np.array(v) for k, v in records.items()}


SYNAPSES = {
    "Delta-coba": (bp.dyn.Delta, dict(weight=0.8, output="coba", E=-75.0)),
    "Exponential-cuba": (bp.dyn.Exponential, dict(weight=0.7, tau=4.0)),
    "DualExponential-cuba": (bp.dyn.DualExponential, dict(weight=1.3, tau_decay=6.0, tau_rise=1.5)),
    "Alpha-coba": (bp.dyn.Alpha, dict(weight=0.3, tau=3.0, output="coba", E=-70.0)),
    "AMPA": (bp.dyn.AMPA, dict(weight="hetero", alpha=1.1, beta=0.19)),
    "GABAa-cuba": (bp.dyn.GABAa, dict(weight=0.4, alpha=5.0, beta=0.18, output="cuba")),
}


@pytest.mark.parametrize("variant", SYNAPSES)
def test_fused_synapse_against_numpy_reference(variant):
    cls, kwargs = SYNAPSES[variant]
    conn = bp.conn.FixedProb(0.6, seed=3)(PRE, POST)
    kwargs = dict(kwargs)
    if kwargs["weight"] == "hetero":  # one weight per synapse (a Variable)
        kwargs["weight"] = np.random.default_rng(2).uniform(0.2, 1.0, conn.num_synapses)
    weights = np.broadcast_to(kwargs["weight"], (conn.num_synapses,))
    dense = np.zeros((PRE, POST))
    dense[conn.pre_ids, conn.indices] = weights
    reference = None
    for backend in ("numpy", "jax"):
        with backend64(backend):
            net = Projection(cls, kwargs, conn)
            state = ["syn.g"] if hasattr(net.syn, "g") else []  # Delta: no state
            monitors = ["pre.spike", "post.seen", *state]
            runner = bp.Runner(net, monitors=monitors, dt=DT, progress_bar=False)
            runner.run(SYN_STEPS * DT)
            if reference is None:
                assert runner.mon["pre.spike"].sum() >= 30
                reference = synapse_reference(cls, kwargs, dense, runner.mon["pre.spike"])
                reference["pre.spike"] = runner.mon["pre.spike"]
            assert np.array_equal(runner.mon["pre.spike"], reference["pre.spike"])
            for key in ("post.seen", *state):
                np.testing.assert_allclose(
                    runner.mon[key],
                    reference[key],
                    rtol=1e-9,
                    atol=1e-12,
                    err_msg=f"{variant} {backend} {key}",
                )
            assert np.abs(reference["post.seen"]).max() > 0.01
