"""Built-in neurons with a surrogate spike function (``spike_fun=``).

- the same forward pass as without one (every built-in neuron, every state Variable,
  exactly; ``spike`` then floats 0/1);
- a network of surrogate LIF groups through synapses with a delay, STP (its
  ``where(spike, ...)``, as AMPA's kinetics) and STDP (event selection of float spikes)
  gives the same spikes in the Runner on numpy (compiled) and jax as the default
  network, and its float spikes are monitored (NMDA: in the gradient test below; the
  postsynaptic LIF integrates with ``method='euler'``, the update without the fused
  exact step);
- gradients (jax): no surrogate warns (ZeroGradientWarning, naming the group); with
  one, the gradient of a one-neuron loss equals a hand-written pure-JAX LIF's, and the
  smoothed model's (``origin=True``) gradient equals its finite differences, for one
  neuron and through a network's synapses.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dyn_helpers import backend64

import brainjit as bp

bm = bp.math

N = 4
# model -> (constructor kwargs, input current scale, initial V spread), as test_neurons
MODELS = {
    "LIF": (dict(V_rest=-60.0, V_reset=-65.0, V_th=-50.0, tau=10.0, t_ref=2.0), 15.0, 5.0),
    "LIF-euler": (
        dict(V_rest=-60.0, V_reset=-65.0, V_th=-50.0, tau=10.0, method="euler"),
        15.0,
        5.0,
    ),
    "ExpIF": (dict(t_ref=1.7), 12.0, 3.0),
    "AdEx": (dict(t_ref=0.5), 1.0, 3.0),
    "Izhikevich": (dict(a=0.02, b=0.2, c=-65.0, d=8.0, t_ref=0.3), 12.0, 5.0),
    "HH": (dict(), 12.0, 2.0),
    "TraubHH": (dict(), 600.0, 2.0),
}


def run_group(name, spike_fun, steps=200, dt=0.05):
    """Every Variable of the group after each of ``steps`` eager steps."""
    kwargs, current, spread = MODELS[name]
    group = getattr(bp.dyn, name.split("-")[0])(N, spike_fun=spike_fun, **kwargs)
    group.V[:] = np.asarray(group.V) + spread * np.linspace(-1.0, 1.0, N)
    drive = np.linspace(0.5, 1.5, N) * current
    records = []
    for i in range(steps):
        group.input[:] = drive
        group.update(i * dt, dt)
        records.append({k.split(".", 1)[1]: np.array(v) for k, v in group.vars().items()})
    return group, {key: np.stack([r[key] for r in records]) for key in records[0]}


@pytest.mark.parametrize("name", MODELS)
def test_same_forward_pass_with_a_surrogate(name):
    bm.use_backend("numpy")
    plain, ref = run_group(name, None)
    group, out = run_group(name, bm.surrogate.Sigmoid(alpha=2.0))
    assert plain.spike.dtype == bool and group.spike.dtype == bm.dftype()
    assert ref["spike"].sum() > 0, f"{name}: the drive should make neurons fire"
    assert set(np.unique(out["spike"])) <= {0.0, 1.0}
    for key in ref:
        np.testing.assert_array_equal(out[key].astype(ref[key].dtype), ref[key], err_msg=key)


def test_spike_fun_checked():
    bm.use_backend("numpy")
    with pytest.raises(TypeError, match=r"LIF .*spike_fun must be a surrogate.*Sigmoid"):
        bp.dyn.LIF(2, spike_fun=lambda x: x > 0)
    # a surrogate function of bm.surrogate stands for its class with the default alpha
    assert bp.dyn.AdEx(2, spike_fun=bm.surrogate.arctan).spike_fun == bm.surrogate.Arctan()


# -- a network through every synapse --------------------------------------------------------

DT, STEPS = 0.1, 300
LIF_CELL = dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=10.0, t_ref=1.0)


def network(spike_fun):
    pre = bp.dyn.LIF(20, spike_fun=spike_fun, **LIF_CELL)
    # method='euler': LIF's update without the fused exact step (compiled on numpy too)
    post = bp.dyn.LIF(10, spike_fun=spike_fun, method="euler", **LIF_CELL)
    conn = bp.conn.FixedProb(0.5, seed=3)
    synapses = dict(
        expo=bp.dyn.Exponential(pre, post, conn, weight=0.05, output="coba", E=0.0, delay=1.0),
        stp=bp.dyn.STP(pre, post, conn, weight=0.5, tau=5.0, U=0.3, tau_d=100.0, tau_f=300.0),
        stdp=bp.dyn.STDP(pre, post, conn, weight=0.5, A_plus=0.05, A_minus=0.05, delay=0.2),
    )
    return bp.Network(pre=pre, post=post, **synapses)


MONITORS = ["pre.spike", "post.spike", "post.V", "stdp.weight", "stp.u"]


def run_network(backend, spike_fun):
    with backend64(backend):
        net = network(None if spike_fun is None else spike_fun())
        drive = np.linspace(12.0, 25.0, 20)
        runner = bp.Runner(
            net, monitors=MONITORS, inputs=[("pre.input", drive)], dt=DT, progress_bar=False
        )
        runner.run(STEPS * DT)
        if spike_fun is not None:  # float spikes: no spike events, a message says why
            with pytest.raises(TypeError, match=r"surrogate spike function.*np.nonzero"):
                runner.mon.spike_events("pre.spike")
        return {key: np.array(runner.mon[key]) for key in MONITORS}


def test_network_of_surrogate_neurons_in_the_runner():
    """numpy (compiled, forward only) and jax with a surrogate: the same as the default
    network (jax, float64)."""
    ref = run_network("jax", None)
    assert ref["pre.spike"].dtype == bool
    assert ref["pre.spike"].sum() > 20 and ref["post.spike"].sum() > 5
    for backend in ("numpy", "jax"):
        out = run_network(backend, bm.surrogate.FastSigmoid)
        for key in ("pre.spike", "post.spike"):
            assert out[key].dtype == np.float64
            np.testing.assert_array_equal(out[key], ref[key].astype(float), err_msg=key)
        for key in ("post.V", "stdp.weight", "stp.u"):
            np.testing.assert_allclose(out[key], ref[key], rtol=1e-9, atol=1e-12, err_msg=key)


# -- gradients (jax) ---------------------------------------------------------------------------


def one_neuron_loss(spike_fun, steps, v_weight=0.1):
    """``loss(current)``: one LIF neuron driven by ``current`` for ``steps`` steps through
    ``bp.training.run``; the loss weighs its spikes and (``v_weight``) its potential."""
    lif = bp.dyn.LIF(1, V_rest=0.0, V_reset=0.0, V_th=1.0, tau=5.0, spike_fun=spike_fun)

    def loss(current):
        lif.reset_state()
        out = bp.training.run(
            lif, steps, inputs=[("input", current)], monitors=["spike", "V"], dt=0.5
        )
        w = jnp.linspace(1.0, 2.0, steps)
        return jnp.sum(w * out["spike"][:, 0].value) + v_weight * jnp.sum(out["V"].value)

    return loss


def pure_lif_loss(current, steps, alpha):
    """The same LIF written in pure JAX (exact integration, differentiable reset) with
    a sigmoid surrogate of its own."""

    @jax.custom_jvp
    def spike(x):
        return (x >= 0).astype(x.dtype)

    @spike.defjvp
    def _jvp(primals, tangents):
        s = jax.nn.sigmoid(alpha * primals[0])
        return spike(primals[0]), alpha * s * (1 - s) * tangents[0]

    decay = jnp.exp(-0.5 / 5.0)
    V, total = 0.0, 0.0
    for k in range(steps):
        V = current + (V - current) * decay
        s = spike(V - 1.0)
        V = 0.0 * s + V * (1 - s)
        total = total + jnp.linspace(1.0, 2.0, steps)[k] * s + 0.1 * V
    return total


def finite_difference(f, x, h=1e-5):
    return (float(f(x + h)) - float(f(x - h))) / (2 * h)


def test_zero_gradient_through_a_neuron_without_surrogate_warns():
    with backend64("jax"):
        lif = bp.dyn.LIF(1, V_rest=0.0, V_reset=0.0, V_th=1.0, tau=5.0, name="silent")

        def loss(current):
            lif.reset_state()
            out = bp.training.run(lif, 10, inputs=[("input", current)], monitors=["spike"], dt=0.5)
            return jnp.sum(out["spike"].value.astype(float))

        with pytest.warns(bm.surrogate.ZeroGradientWarning) as record:
            g = bm.grad(loss)(3.0)
        assert float(g) == 0.0
        message = str(record[0].message)
        assert "LIF silent" in message and "spike_fun=bm.surrogate.Sigmoid()" in message
        # with a surrogate: a gradient, no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error", bm.surrogate.ZeroGradientWarning)
            g = bm.grad(one_neuron_loss(bm.surrogate.Sigmoid(), 10))(3.0)
        assert float(g) != 0.0


def test_surrogate_gradient_of_one_neuron():
    """The surrogate gradient equals the pure-JAX LIF's; the smoothed model's gradient
    equals its finite differences; for one step (a loss of the spike only) the
    surrogate's and the smoothed model's gradients are the same number."""
    with backend64("jax"):
        steps, alpha = 12, 2.0
        grad = bm.jit(bm.grad(one_neuron_loss(bm.surrogate.Sigmoid(alpha), steps)))
        smooth = one_neuron_loss(bm.surrogate.Sigmoid(alpha, origin=True), steps)
        smooth_grad, smooth = bm.jit(bm.grad(smooth)), bm.jit(smooth)
        reference = jax.jit(jax.grad(pure_lif_loss), static_argnums=(1, 2))
        for current in (1.3, 2.0, 4.0):  # one, a few and many spikes
            g = float(grad(current))
            assert g != 0.0
            np.testing.assert_allclose(g, float(reference(current, steps, alpha)), rtol=1e-12)
            fd = finite_difference(smooth, current)
            np.testing.assert_allclose(float(smooth_grad(current)), fd, rtol=1e-6)
        spike = one_neuron_loss(bm.surrogate.Sigmoid(alpha), 1, v_weight=0.0)
        smooth = one_neuron_loss(bm.surrogate.Sigmoid(alpha, origin=True), 1, v_weight=0.0)
        g = float(bm.grad(spike)(2.0))
        np.testing.assert_allclose(g, float(bm.grad(smooth)(2.0)), rtol=1e-12)
        np.testing.assert_allclose(g, finite_difference(smooth, 2.0), rtol=1e-7)


def network_loss(spike_fun):
    """``loss(current)``: 6 LIF neurons (t_ref = 0) driven by ``current`` onto 3 through
    differentiable synapses (Exponential with a delay, NMDA); the mean ``V`` of the 3."""
    cell = dict(LIF_CELL, t_ref=0.0)
    pre = bp.dyn.LIF(6, spike_fun=spike_fun, **cell)
    post = bp.dyn.LIF(3, spike_fun=spike_fun, **cell)
    conn = bp.conn.All2All()
    expo = bp.dyn.Exponential(pre, post, conn, weight=2.0, tau=3.0, delay=0.3)
    nmda = bp.dyn.NMDA(pre, post, conn, weight=0.05)
    net = bp.Network(pre=pre, post=post, expo=expo, nmda=nmda)
    scale = jnp.linspace(0.8, 1.6, 6)

    def loss(current):
        net.reset_state()
        inputs = [("pre.input", current * scale)]
        out = bp.training.run(net, 40, inputs=inputs, monitors=["post.V"], dt=DT)
        return jnp.mean(out["post.V"].value)

    return loss


def test_gradient_through_synapses_of_the_smoothed_network():
    """``origin=True`` everywhere: a smooth network; its gradient with respect to the
    input current equals finite differences. The surrogate network's gradient through
    the same synapses is finite and not 0."""
    with backend64("jax"):
        smooth = network_loss(bm.surrogate.Arctan(1.0, origin=True))
        g = float(bm.grad(smooth)(14.0))
        np.testing.assert_allclose(g, finite_difference(bm.jit(smooth), 14.0, 1e-4), rtol=1e-5)
        g = float(bm.grad(network_loss(bm.surrogate.Arctan(1.0)))(14.0))
        assert np.isfinite(g) and g != 0.0
