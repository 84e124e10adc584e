"""Synapse models: conductance traces against the analytic response to one spike, delays,
CUBA/COBA outputs, per-synapse weights against a dense reference, the same updates on
both backends eagerly and compiled, and clear errors for bad connectivity/parameters.

Cross-backend comparisons run JAX in float64 (``jax.enable_x64`` inside the test):
rtol 1e-9, identical spikes. Analytic comparisons run eagerly on each backend in its
default precision (JAX: float32, rtol 1e-5).
"""

import math

import numpy as np
import pytest
from dyn_helpers import Clamp, Source, assert_same_records, backend64, run

import brainjit as bp

DT = 0.1


def tol(backend):
    return 1e-5 if backend == "jax" else 1e-12


def one_spike_trace(syn_cls, steps=80, spike_step=3, record="g", **kwargs):
    """One presynaptic neuron fires once (pre.spike set in step ``spike_step``); returns
    the synapse's ``record`` Variable (or the post input) after every step."""
    pre, post = Source(1), Clamp(1, V=-60.0)
    syn = syn_cls(pre, post, bp.conn.All2All(), **kwargs)
    out = []
    for i in range(steps):
        pre.spike[:] = i == spike_step
        syn.update(i * DT, DT)
        if record == "input":
            out.append(float(np.asarray(post.input)[0]))
        else:
            out.append(float(np.asarray(getattr(syn, record))[0]))
        post.update(i * DT, DT)  # clears the input
    return np.array(out)


def test_exponential_trace_is_analytic(backend):
    w, tau = 0.7, 5.0
    g = one_spike_trace(bp.dyn.Exponential, weight=w, tau=tau)
    s = (np.arange(g.size) - 3) * DT  # time since the step the spike arrived in
    expected = np.where(s >= 0, w * np.exp(-np.maximum(s, 0) / tau), 0.0)
    np.testing.assert_allclose(g, expected, rtol=tol(backend), atol=1e-12)


def test_dual_exponential_and_alpha_traces_are_analytic(backend):
    w, td, tr = 0.8, 6.0, 1.5
    g = one_spike_trace(bp.dyn.DualExponential, steps=200, weight=w, tau_decay=td, tau_rise=tr)
    s = np.maximum((np.arange(g.size) - 3) * DT, 0.0)
    shape = np.exp(-s / td) - np.exp(-s / tr)
    t_peak = td * tr / (td - tr) * math.log(td / tr)
    expected = w * shape / (math.exp(-t_peak / td) - math.exp(-t_peak / tr))
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)  # RK4 at dt = 0.1
    assert abs(g.max() - w) < 1e-3 * w  # the peak is the weight

    tau = 4.0
    g = one_spike_trace(bp.dyn.Alpha, steps=200, weight=w, tau=tau)
    expected = w * (s / tau) * np.exp(1 - s / tau)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)
    assert abs(g.max() - w) < 1e-3 * w and abs(np.argmax(g) - 3 - tau / DT) <= 1


@pytest.mark.parametrize("cls", [bp.dyn.AMPA, bp.dyn.GABAa])
def test_kinetic_receptor_trace_is_analytic(backend, cls):
    syn = cls(Source(1), Clamp(1), bp.conn.All2All())
    alpha, beta, T, duration = syn.alpha, syn.beta, syn.T, syn.T_duration
    g = one_spike_trace(cls, steps=100)
    pulse = int(round(duration / DT))  # steps with transmitter
    rate = alpha * T + beta
    g_inf = alpha * T / rate
    n = np.arange(g.size) - 3  # steps since arrival (the arrival step is n = 0)
    during = g_inf * (1 - np.exp(-rate * (n + 1) * DT))
    peak = g_inf * (1 - math.exp(-rate * pulse * DT))
    after = peak * np.exp(-beta * (n + 1 - pulse) * DT)
    expected = np.where(n < 0, 0.0, np.where(n < pulse, during, after))
    np.testing.assert_allclose(g, expected, rtol=tol(backend), atol=1e-12)


def test_delta_delivers_weight_over_one_step(backend):
    current = one_spike_trace(bp.dyn.Delta, record="input", weight=2.0)
    expected = np.zeros_like(current)
    expected[3] = 2.0 / DT
    np.testing.assert_allclose(current, expected, rtol=tol(backend))


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (bp.dyn.Exponential, dict(tau=5.0)),
        (bp.dyn.DualExponential, dict(tau_decay=5.0, tau_rise=1.0)),
        (bp.dyn.AMPA, dict()),
        (bp.dyn.Delta, dict()),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_delay_shifts_the_response(backend, cls, kwargs):
    delay = 1.5  # ms: 15 steps
    record = "input"
    plain = one_spike_trace(cls, steps=120, record=record, **kwargs)
    delayed = one_spike_trace(cls, steps=120, record=record, delay=delay, **kwargs)
    shift = int(round(delay / DT))
    assert np.all(delayed[: 3 + shift] == 0.0)
    np.testing.assert_allclose(delayed[shift:], plain[:-shift], rtol=tol(backend), atol=1e-12)
    assert np.abs(plain).max() > 0


def test_coba_output_uses_reversal_potential(backend):
    w, E, V = 0.5, -80.0, -55.0
    pre, post = Source(1), Clamp(1, V=V)
    cuba = bp.dyn.Exponential(pre, post, bp.conn.All2All(), weight=w, tau=5.0)
    pre.spike[:] = True
    cuba.update(0.0, DT)
    np.testing.assert_allclose(float(post.input[0]), w, rtol=tol(backend))
    post.input[:] = 0.0
    coba = bp.dyn.Exponential(pre, post, bp.conn.All2All(), weight=w, tau=5.0, output="coba", E=E)
    coba.update(0.0, DT)
    np.testing.assert_allclose(float(post.input[0]), w * (E - V), rtol=tol(backend))


def test_per_synapse_weights_against_dense_reference(backend):
    pre, post = Source(30), Clamp(20)
    conn = bp.conn.FixedProb(0.3, seed=4)(30, 20)
    weights = np.random.default_rng(1).uniform(0, 1, conn.num_synapses)
    syn = bp.dyn.Exponential(pre, post, conn, weight=weights, tau=5.0)
    assert bp.math.is_variable(syn.weight)
    dense = np.zeros((30, 20))
    dense[conn.pre_ids, conn.indices] = weights
    rng = np.random.default_rng(2)
    g = np.zeros(20)
    for i in range(20):
        fired = rng.random(30) < 0.2
        pre.spike[:] = fired
        syn.update(i * DT, DT)
        g = g * math.exp(-DT / 5.0) + fired @ dense
        np.testing.assert_allclose(np.asarray(syn.g), g, rtol=tol(backend) * 10, atol=1e-12)
    # synapses add into input: two projections onto one group sum
    post.input[:] = 0.0
    other = bp.dyn.Exponential(pre, post, conn, weight=1.0, tau=5.0)
    syn.update(2.0, DT)
    other.update(2.0, DT)
    np.testing.assert_allclose(
        np.asarray(post.input), np.asarray(syn.g) + np.asarray(other.g), rtol=tol(backend)
    )


# -- the same on both backends, eagerly and compiled ---------------------------------------

SPIKE_IDS = [0, 3, 1, 5, 0, 2, 7, 4, 6, 1, 3]
SPIKE_TIMES = [0.5, 0.5, 1.2, 2.0, 3.3, 3.3, 4.0, 5.1, 6.0, 7.7, 0.53]

VARIANTS = {
    "Delta-cuba": (bp.dyn.Delta, dict(weight=3.0)),
    "Delta-coba-hetero-delay": (bp.dyn.Delta, dict(weight="hetero", output="coba", delay=0.5)),
    "Exponential-cuba-hetero": (bp.dyn.Exponential, dict(weight="hetero", tau=4.0)),
    "Exponential-coba-delay": (bp.dyn.Exponential, dict(weight=0.4, output="coba", delay=1.0)),
    "DualExponential-cuba": (bp.dyn.DualExponential, dict(weight=2.0, tau_decay=4.0)),
    "DualExponential-coba-hetero": (bp.dyn.DualExponential, dict(weight="hetero", output="coba")),
    "Alpha-coba-delay": (bp.dyn.Alpha, dict(weight=0.3, output="coba", E=-70.0, delay=0.3)),
    "AMPA-coba-hetero": (bp.dyn.AMPA, dict(weight="hetero")),
    "GABAa-cuba-delay": (bp.dyn.GABAa, dict(weight=-5.0, output="cuba", delay=0.7)),
}


def build_projection(cls, kwargs):
    pre = bp.dyn.SpikeTimeGroup(8, SPIKE_IDS, SPIKE_TIMES)
    post = bp.dyn.LIF(6, V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=10.0, t_ref=1.0)
    post.V[:] = bp.math.asarray(np.linspace(-60.0, -52.0, 6))
    conn = bp.conn.FixedProb(0.5, seed=11)(8, 6)
    kwargs = dict(kwargs)
    if kwargs.get("weight") == "hetero":
        kwargs["weight"] = np.random.default_rng(3).uniform(0.5, 1.5, conn.num_synapses)
    syn = cls(pre, post, conn, **kwargs)
    return bp.Network(pre=pre, post=post, syn=syn)


def drive(net, i):
    net.post.input += 8.0


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_on_both_backends_eager_and_compiled(variant):
    cls, kwargs = VARIANTS[variant]
    results = {}
    for backend in ("numpy", "jax"):
        for jit in (False, True):
            with backend64(backend):
                net = build_projection(cls, kwargs)
                results[backend, jit] = run(net, 100, jit=jit, drive=drive)
    reference = results["numpy", False]
    # 11 spike times, two of neuron 3 in one step
    assert sum(r["pre.spike"].sum() for r in reference) == 10
    assert any(np.any(r["post.V"] != reference[0]["post.V"]) for r in reference)
    for key, records in results.items():
        assert_same_records(reference, records, rtol=1e-9, what=f"{variant} {key}")


# -- bad connectivity and parameters --------------------------------------------------------


def test_mismatched_connection_sizes_name_both_groups():
    E, I = bp.dyn.LIF(10, name="Exc"), bp.dyn.LIF(4, name="Inh")  # noqa: E741
    conn = bp.conn.FixedProb(0.5, seed=1)(10, 10)
    with pytest.raises(ValueError, match=r"from Exc \(10 neurons\) to Inh \(4 neurons\)"):
        bp.dyn.Exponential(E, I, conn)
    with pytest.raises(ValueError, match="built for 10 pre and 10 post neurons"):
        bp.dyn.Exponential(E, I, conn)
    with pytest.raises(ValueError, match=r"indptr must have pre_num \+ 1 = 5 entries"):
        bp.dyn.Delta(I, E, (np.arange(4), np.arange(3)))
    with pytest.raises(ValueError, match=r"indices must be post ids in \[0, 10\)"):
        bp.dyn.Delta(I, E, (np.array([0, 1, 1, 1, 1]), np.array([12])))
    with pytest.raises(ValueError, match=r"must have shape \(10, 4\)"):
        bp.dyn.Delta(E, I, np.ones((4, 10), bool))
    with pytest.raises(TypeError, match="conn must be a bp.conn connector"):
        bp.dyn.Delta(E, I, "all")
    with pytest.raises(TypeError, match="pre must be a NeuGroup"):
        bp.dyn.Delta(np.zeros(3), I, bp.conn.All2All())
    # an unbuilt connector is built for the two groups; a CSR pair and a matrix work too
    syn = bp.dyn.Delta(E, I, bp.conn.All2All())
    assert syn.num_synapses == 40 and syn.conn.pre_num == 10
    syn = bp.dyn.Delta(I, E, (np.array([0, 2, 2, 3, 3]), np.array([1, 7, 0])))
    assert syn.num_synapses == 3 and syn.conn is None
    syn = bp.dyn.Delta(E, I, np.eye(10, 4, dtype=bool))
    assert syn.num_synapses == 4


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda E: bp.dyn.Exponential(E, E, bp.conn.All2All(), tau=0.0), "tau must be > 0"),
        (
            lambda E: bp.dyn.DualExponential(E, E, bp.conn.All2All(), tau_decay=1.0, tau_rise=2.0),
            "tau_rise .* must be smaller than tau_decay",
        ),
        (lambda E: bp.dyn.Delta(E, E, bp.conn.All2All(), output="volt"), "'cuba' or 'coba'"),
        (lambda E: bp.dyn.Delta(E, E, bp.conn.All2All(), weight=np.ones(3)), "one value per"),
        (lambda E: bp.dyn.Delta(E, E, bp.conn.All2All(), weight=np.nan), "finite"),
        (lambda E: bp.dyn.Delta(E, E, bp.conn.All2All(), delay=-1.0), "delay must be"),
        (lambda E: bp.dyn.Delta(E, E, bp.conn.All2All(), dt=0.0), "dt must be"),
        (lambda E: bp.dyn.AMPA(E, E, bp.conn.All2All(), T_duration=0.0), "T_duration must be"),
        (
            lambda E: bp.dyn.Exponential(Source(3), Source(3), bp.conn.All2All(), output="coba"),
            "needs a membrane potential V",
        ),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make(bp.dyn.LIF(3))


def test_delay_buffer():
    delay = bp.dyn.Delay(2, delay=0.3, dt=0.1, dtype=float)
    assert delay.steps == 3
    outs = [np.asarray(delay.push(np.array([i, -i], dtype=float))).tolist() for i in range(1, 7)]
    assert outs == [[0, 0], [0, 0], [0, 0], [1, -1], [2, -2], [3, -3]]
    none = bp.dyn.Delay(2, delay=0.04, dt=0.1)
    x = np.array([True, False])
    assert none.steps == 0 and none.push(x) is x
