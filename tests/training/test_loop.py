"""bp.training.run / run_trials: a differentiable run over time, and over trials (jax).

References: jax.grad of a hand-written pure-JAX version of the same network, the
Runner's forward pass, single runs for the batch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp

bm = bp.math

N_IN, N, T, DT = 4, 5, 20, 0.5


@pytest.fixture(autouse=True)
def _jax():
    bm.use_backend("jax")


@jax.custom_jvp
def spike_fn(x):
    return (x >= 0).astype(x.dtype)


@spike_fn.defjvp
def _spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike_fn(x), dx / (1.0 + 4.0 * jnp.abs(x)) ** 2  # fast sigmoid


class Net(bp.DynamicalSystem):
    """N_IN inputs -> N LIF neurons with a surrogate spike; noise optional."""

    def __init__(self, trials=None, noise=0.0):
        super().__init__()
        shape = (N,) if trials is None else (trials, N)
        rng = np.random.default_rng(1)
        self.W = bm.TrainVar(jnp.asarray(rng.normal(0.8, 0.4, (N_IN, N)), jnp.float32))
        self.tau = bm.TrainVar(jnp.full(N, 8.0))
        self.noise = noise
        self.V = bm.Variable(jnp.zeros(shape))
        self.spike = bm.Variable(jnp.zeros(shape))
        self.x = bm.Variable(jnp.zeros(shape[:-1] + (N_IN,)))

    def update(self, t, dt):
        V = self.V + dt / self.tau * (-self.V + 10.0 * (self.x @ self.W))
        if self.noise:
            V = V + self.noise * bm.random.normal(size=V.shape)
        s = spike_fn(V - 1.0)
        self.spike.value = s
        self.V.value = V * (1.0 - s)
        self.x.value = jnp.zeros(self.x.shape)


def pure_run(W, tau, xs, V0=None):
    def step(V, x):
        V = V + DT / tau * (-V + 10.0 * (x @ W))
        s = spike_fn(V - 1.0)
        return V * (1.0 - s), (s, V * (1.0 - s))

    _, (spikes, Vs) = jax.lax.scan(step, jnp.zeros(N) if V0 is None else V0, xs)
    return spikes, Vs


XS = np.random.default_rng(0).uniform(0.0, 0.6, (T, N_IN)).astype(np.float32)
TARGET = np.linspace(0.1, 0.5, N).astype(np.float32)


@pytest.fixture(scope="module")
def net_and_grad():
    bm.use_backend("jax")
    net = Net()

    def loss(xs):
        net.reset_state()
        out = bp.training.run(net, inputs=[("x", xs, "iter")], monitors=["spike"], dt=DT)
        return jnp.mean((out["spike"].value.mean(0) - TARGET) ** 2)

    grad = bm.jit(bm.grad(loss, grad_vars=net.train_vars(), argnums=0, return_value=True))
    return net, grad


def test_bptt_gradients_equal_pure_jax(net_and_grad):
    net, grad = net_and_grad
    (var_grads, x_grad), value = grad(jnp.asarray(XS))

    def pure_loss(W, tau, xs):
        spikes, _ = pure_run(W, tau, xs)
        return jnp.mean((spikes.mean(0) - TARGET) ** 2)

    ref_value, ref = jax.jit(jax.value_and_grad(pure_loss, argnums=(0, 1, 2)))(
        net.W.value, net.tau.value, jnp.asarray(XS)
    )
    np.testing.assert_allclose(value, ref_value, rtol=1e-6)
    np.testing.assert_allclose(var_grads[f"{net.name}.W"], ref[0], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(var_grads[f"{net.name}.tau"], ref[1], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(x_grad, ref[2], rtol=1e-5, atol=1e-8)
    assert np.abs(np.asarray(ref[0])).max() > 1e-4  # the surrogate makes it nonzero


def test_forward_equals_runner_and_pure(net_and_grad):
    net, _ = net_and_grad
    net.reset_state()
    out = bm.jit(lambda xs: bp.training.run(net, inputs=[("x", xs, "iter")], monitors=["V"]))(
        jnp.asarray(XS)
    )  # dt default 0.1: a different dt than the gradient test
    net.reset_state()
    runner = bp.Runner(net, monitors=["V"], inputs=[("x", XS, "iter")], dt=0.1, progress_bar=False)
    runner.run(T * 0.1)
    np.testing.assert_allclose(out["V"], runner.mon["V"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out["ts"], runner.mon.ts, rtol=1e-6)
    np.testing.assert_allclose(out["V"][-1], net.V, rtol=1e-6)  # the state kept its last value


def test_input_kinds_and_ops():
    class Acc(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.a = bm.Variable(jnp.zeros(3))
            self.b = bm.Variable(jnp.ones(3))
            self.out = bm.Variable(jnp.zeros(3))

        def update(self, t, dt):
            self.out.value = self.out + self.a * self.b + t

    acc = Acc()
    drive = jnp.arange(6.0).reshape(2, 3)
    out = bp.training.run(
        acc,
        n_steps=2,
        inputs=[
            ("a", drive, "iter", "="),
            ("b", 2.0, "fix", "*"),
            ("a", lambda i, t: i + t, "func", "-"),
        ],
        monitors={"o": ("out", [0, 2])},
        dt=0.5,
        t0=1.0,
    )
    # by hand: step i at t = 1 + 0.5 i; a = drive[i] - (i + t); b doubles every step
    expect, o = [], np.zeros(3)
    b = np.ones(3)
    for i in range(2):
        t = 1.0 + 0.5 * i
        b = b * 2
        o = o + (np.asarray(drive[i]) - (i + t)) * b + t
        expect.append(o[[0, 2]])
    np.testing.assert_allclose(out["o"], np.stack(expect), rtol=1e-6)
    np.testing.assert_allclose(out["ts"], [1.0, 1.5])


def test_trainvar_as_input_gets_gradient():
    class Leak(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.V = bm.Variable(jnp.zeros(2))

        def update(self, t, dt):
            self.V.value = 0.5 * self.V

    leak = Leak()
    current = bm.TrainVar(jnp.asarray([1.0, 2.0]))

    def loss():
        leak.reset_state()
        return bp.training.run(leak, 3, inputs=[("V", current)], monitors=["V"])["V"].sum()

    g = bm.grad(loss, grad_vars=current)()
    # V_k = 0.5 (V_{k-1} + c): V1 = .5c, V2 = .75c, V3 = .875c -> d sum / dc = 2.125
    np.testing.assert_allclose(g, [2.125, 2.125], rtol=1e-6)


def test_batch_of_trials_equals_single_runs():
    B = 3
    batch = Net(trials=B, noise=0.05)
    xs = np.random.default_rng(2).uniform(0.0, 0.6, (B, T, N_IN)).astype(np.float32)
    bm.random.seed(7)
    key = bm.random.DEFAULT.value
    run = bm.jit(
        lambda xs: bp.training.run_trials(
            batch, inputs=[("x", xs, "iter")], monitors=["V", "spike"], dt=DT
        )
    )
    out = run(jnp.asarray(xs))
    assert out["V"].shape == (B, T, N)
    np.testing.assert_array_equal(bm.random.DEFAULT.value, jax.random.split(key)[0])
    single = Net(noise=0.05)
    run_one = bm.jit(
        lambda x: bp.training.run(single, inputs=[("x", x, "iter")], monitors=["V"], dt=DT)
    )
    for k in range(B):
        single.reset_state()
        bm.random.DEFAULT.value = jax.random.fold_in(jax.random.split(key)[1], k)
        ref = run_one(jnp.asarray(xs[k]))
        np.testing.assert_allclose(out["V"][k], ref["V"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(batch.V[k], single.V, rtol=1e-5, atol=1e-6)
    assert not np.allclose(out["V"][0], out["V"][1])  # own inputs and noise per trial


def test_batch_gradient_is_sum_of_trial_gradients():
    B = 2
    batch = Net(trials=B)
    xs = np.random.default_rng(3).uniform(0.0, 0.6, (B, T, N_IN)).astype(np.float32)

    def loss(xs):
        batch.reset_state()
        out = bp.training.run_trials(batch, inputs=[("x", xs, "iter")], monitors=["spike"], dt=DT)
        return jnp.sum((out["spike"].value.mean(1) - TARGET) ** 2)

    grads = bm.jit(bm.grad(loss, grad_vars=batch.train_vars()))(jnp.asarray(xs))

    def pure_loss(W, tau):
        return sum(
            jnp.sum((pure_run(W, tau, jnp.asarray(xs[k]))[0].mean(0) - TARGET) ** 2)
            for k in range(B)
        )

    ref = jax.jit(jax.grad(pure_loss, argnums=(0, 1)))(batch.W.value, batch.tau.value)
    np.testing.assert_allclose(grads[f"{batch.name}.W"], ref[0], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(grads[f"{batch.name}.tau"], ref[1], rtol=1e-5, atol=1e-9)


def test_errors():
    net = Net()
    with pytest.raises(ValueError, match=r"bp.training.run: unknown monitor target 'U'"):
        bp.training.run(net, 3, monitors=["U"])
    with pytest.raises(ValueError, match="give n_steps"):
        bp.training.run(net, monitors=["V"])
    with pytest.raises(ValueError, match="has 20 steps on its time axis, the run 5"):
        bp.training.run(net, 5, inputs=[("x", XS, "iter")])
    with pytest.raises(ValueError, match="does not broadcast"):
        bp.training.run(net, 3, inputs=[("x", jnp.ones(7))])
    with pytest.raises(TypeError, match="function f"):
        bp.training.run(net, 3, inputs=[("x", 1.0, "func")])
    with pytest.raises(ValueError, match="leading trial axis of 3"):
        bp.training.run_trials(Net(trials=2), 3, n_trials=3)
    with pytest.raises(ValueError, match="2 trials on its first axis, the state 3"):
        bp.training.run_trials(Net(trials=3), inputs=[("x", jnp.ones((2, 4, N_IN)), "iter")])
    bm.use_backend("numpy")
    with pytest.raises(NotImplementedError, match=r"use_backend\('jax'\)"):
        bp.training.run(bp.dyn.LIF(2), 3)
