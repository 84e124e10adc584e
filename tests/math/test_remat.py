"""``bp.math.for_loop(..., remat=...)``: rematerialisation (``jax.checkpoint``) per step
or per block of ``k`` steps, and its pass-through in ``bp.training.run`` /
``run_trials``.

References: the plain loop's values and gradients (float64, to rounding), and the
program: checkpointed blocks are nested scans."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp

bm = bp.math
N_STEPS = 23  # divisible by none of the block lengths below but 1 and 23


@pytest.fixture
def x64():
    bm.use_backend("jax")
    with jax.enable_x64(True):
        yield


def make_loop():
    V = bm.Variable(jnp.zeros(3))
    w = bm.TrainVar(jnp.asarray([0.5, 1.0, 1.5]))
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(N_STEPS, 3)))

    def body(i, x):
        V.value = jnp.tanh(V.value * w.value + x)
        return V.value * i, jnp.sum(x)

    def loss(remat, reverse):
        V.value = jnp.zeros(3)
        ys, zs = bm.for_loop(body, (jnp.arange(N_STEPS * 1.0), xs), remat=remat, reverse=reverse)
        return jnp.sum(ys**2) + jnp.sum(jnp.cumsum(zs) * ys[:, 0]) + jnp.sum(V.value)

    return loss, w, V


@pytest.mark.parametrize("reverse", [False, True])
def test_values_and_gradients_equal_the_plain_loop(x64, reverse):
    loss, w, V = make_loop()

    def grad(remat):
        return bm.grad(lambda: loss(remat, reverse), grad_vars=[w], return_value=True)()

    (ref,), value = grad(False)
    final = np.asarray(V.value)
    # per step, blocks with a remainder, one block, a block longer than the loop
    for remat in (True, 5, N_STEPS, 100) if not reverse else (True, 5):
        (g,), v = grad(remat)
        np.testing.assert_allclose(v, value, rtol=1e-13, err_msg=f"remat={remat}")
        np.testing.assert_allclose(g, ref, rtol=1e-12, err_msg=f"remat={remat}")
        np.testing.assert_allclose(V.value, final, rtol=1e-13)  # the carry written back


def test_blocks_are_checkpointed_nested_scans(x64):
    w = bm.TrainVar(jnp.ones(3))
    xs = jnp.ones((N_STEPS, 3))

    def program(remat):
        loop = lambda x: jnp.sum(bm.for_loop(lambda x: jnp.sin(x) * w.value, x, remat=remat))  # noqa: E731
        return str(jax.make_jaxpr(jax.grad(loop))(xs))

    plain, per_step, blocks = program(False), program(True), program(5)
    assert "checkpoint" not in plain and "remat" not in plain
    assert "checkpoint" in per_step or "remat" in per_step
    # 4 blocks of 5 in an outer scan, the remainder of 3 on its own: both checkpointed
    assert blocks.count("scan[") > plain.count("scan[")
    assert "length=4" in blocks and "length=5" in blocks and "length=3" in blocks


def test_bad_remat_is_an_error_on_both_backends():
    for backend in ("numpy", "jax"):
        bm.use_backend(backend)
        for bad in (0, -2, 2.5, "5"):
            with pytest.raises(ValueError, match=r"for_loop: remat must be False, True .* k >= 1"):
                bm.for_loop(lambda x: x, bm.arange(3), remat=bad)


def test_numpy_backend_ignores_remat():
    """No gradients on numpy, so nothing to rematerialise: the same loop, eagerly and
    in compiled code."""
    bm.use_backend("numpy")
    V = bm.Variable(bm.zeros(2))

    def body(x):
        V.value = V.value * 0.5 + x
        return V.value

    def run(remat):
        V.value = bm.zeros(2)
        return np.asarray(bm.for_loop(body, bm.ones((7, 2)), remat=remat))

    ref = run(False)
    np.testing.assert_array_equal(run(3), ref)

    class Model(bp.Base):
        def __init__(self):
            super().__init__()
            self.V = bm.Variable(bm.zeros(2))

        def body(self, x):
            self.V.value = self.V.value * 0.5 + x
            return self.V.value

        def run(self, xs):
            return bm.for_loop(self.body, xs, remat=3)

    model = Model()
    np.testing.assert_array_equal(bm.jit(model.run)(np.ones((7, 2))), ref)


class LIFNet(bp.DynamicalSystem):
    """An input layer onto LIF neurons with a surrogate spike function."""

    def __init__(self, n_in=4, n=6, trials=None):
        super().__init__()
        shape = (n,) if trials is None else (trials, n)
        rng = np.random.default_rng(1)
        self.W = bm.TrainVar(jnp.asarray(rng.normal(0.8, 0.4, (n_in, n))))
        self.x = bm.Variable(jnp.zeros(shape[:-1] + (n_in,)))
        self.V = bm.Variable(jnp.zeros(shape))
        self.spike = bm.Variable(jnp.zeros(shape))
        self.spike_fun = bm.surrogate.Sigmoid(4.0)

    def update(self, t, dt):
        V = self.V + dt / 5.0 * (-self.V + 3.0 * (self.x @ self.W))
        spike = self.spike_fun(V - 1.0)
        self.spike.value = spike
        self.V.value = V * (1.0 - spike)


def test_training_run_and_run_trials_pass_remat_through(x64):
    drive = jnp.asarray(np.random.default_rng(2).uniform(0, 1, (3, 30, 4)))
    single, batch = LIFNet(), LIFNet(trials=3)
    spec = dict(monitors=["spike", "V"], dt=0.5)

    def loss(remat):
        single.reset_state()
        out = bp.training.run(single, inputs=[("x", drive[0], "iter", "=")], remat=remat, **spec)
        return jnp.mean(out["spike"].value) + jnp.mean(out["V"].value)

    def batch_loss(remat):
        batch.reset_state()
        inputs = [("x", drive, "iter", "=")]
        out = bp.training.run_trials(batch, inputs=inputs, remat=remat, **spec)
        return jnp.mean(out["spike"].value) + jnp.mean(out["V"].value)

    for model, f in ((single, loss), (batch, batch_loss)):

        def grad(remat, f=f, model=model):
            return bm.grad(lambda: f(remat), grad_vars=model.train_vars(), return_value=True)()

        ref, value = grad(False)
        g, v = grad(7)  # blocks of 7 steps, the last one of 2
        np.testing.assert_allclose(v, value, rtol=1e-13)
        for key in ref:
            assert np.any(np.asarray(ref[key]) != 0)
            np.testing.assert_allclose(g[key], ref[key], rtol=1e-11, atol=1e-15)
