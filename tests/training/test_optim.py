"""bp.training.Optax: optax on a model's TrainVars, its state in Variables (jax backend).

Reference: the same optax transformation on the pure pytree of parameters."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainjit as bp

bm = bp.math


@pytest.fixture(autouse=True)
def _jax():
    bm.use_backend("jax")


X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
Y = np.asarray([[0.5, -1.0], [1.0, 0.0], [0.0, 2.0], [-0.5, 0.3]], np.float32)
W0 = np.asarray([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.2]], np.float32)


def pure_loss(params, x, y):
    return jnp.mean((jnp.tanh(x @ params["W"] + params["b"]) - y) ** 2)


class Layer(bp.Base):
    def __init__(self):
        super().__init__()
        self.W = bm.TrainVar(jnp.asarray(W0))
        self.b = bm.TrainVar(jnp.zeros(2))
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))  # state, not trained

    def loss(self, x, y):
        self.calls += 1
        return pure_loss({"W": self.W.value, "b": self.b.value}, x, y)


def reference(tx, steps, jit):
    params = {"W": jnp.asarray(W0), "b": jnp.zeros(2)}
    state = tx.init(params)

    def step(params, state):
        grads = jax.grad(pure_loss)(params, X, Y)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    step = jax.jit(step) if jit else step
    for _ in range(steps):
        params, state = step(params, state)
    return params, state


TXS = {
    "adam": lambda: optax.adam(0.05),
    "chain-schedule": lambda: optax.chain(
        optax.clip_by_global_norm(0.1),
        optax.sgd(optax.exponential_decay(0.3, transition_steps=2, decay_rate=0.5), momentum=0.9),
    ),
}


@pytest.mark.parametrize("name, jit", [("adam", True), ("chain-schedule", True), ("adam", False)])
def test_steps_equal_plain_optax(name, jit):
    layer = Layer()
    opt = bp.training.Optax(TXS[name](), layer.train_vars())
    grad = bm.grad(layer.loss, grad_vars=layer.train_vars())

    def step(x, y):
        opt.update(grad(x, y))

    step = bm.jit(step) if jit else step
    steps = 5 if jit else 2  # eager: every operation dispatched alone (slow)
    for _ in range(steps):
        step(X, Y)
    params, state = reference(TXS[name](), steps, jit)
    np.testing.assert_array_equal(layer.W, params["W"])
    np.testing.assert_array_equal(layer.b, params["b"])
    for mine, ref in zip(jax.tree_util.tree_leaves(opt.state), jax.tree_util.tree_leaves(state)):
        np.testing.assert_array_equal(mine, ref)
    assert int(layer.calls) == steps  # the model's own state moved on too
    assert not np.array_equal(layer.W, W0)


def test_state_is_variables_and_threaded_by_jit():
    layer = Layer()
    opt = bp.training.Optax(optax.adam(0.05), layer.train_vars())
    leaves = jax.tree_util.tree_leaves(opt.state)
    assert len(opt.states) == len(leaves) and all(isinstance(s, bm.Variable) for s in opt.states)
    assert set(opt.vars()) == {f"{opt.name}.states.{i}" for i in range(len(leaves))}
    step = bm.jit(lambda: opt.update(bm.grad(layer.loss, grad_vars=layer.train_vars())(X, Y)))
    step()
    step()
    assert int(opt.state[0].count) == 2  # adam's step count, carried between calls


def test_list_and_single_variable():
    layer = Layer()
    opt = bp.training.Optax(optax.sgd(0.5), [layer.W, layer.b])
    grads = bm.grad(layer.loss, grad_vars=[layer.W, layer.b])(X, Y)
    ref = jax.grad(pure_loss)({"W": jnp.asarray(W0), "b": jnp.zeros(2)}, X, Y)
    opt.update(grads)
    np.testing.assert_allclose(layer.W, W0 - 0.5 * np.asarray(ref["W"]), rtol=1e-6)
    one = bp.training.Optax(optax.sgd(1.0), layer.b)
    before = np.asarray(layer.b)
    one.update(jnp.ones(2))
    np.testing.assert_allclose(layer.b, before - 1.0)


def test_errors():
    layer = Layer()
    with pytest.raises(TypeError, match="GradientTransformation"):
        bp.training.Optax("adam", layer.train_vars())
    with pytest.raises(ValueError, match="empty"):
        bp.training.Optax(optax.adam(1e-3), {})
    with pytest.raises(ValueError, match="second time"):
        bp.training.Optax(optax.adam(1e-3), [layer.W, layer.W])
    with pytest.raises(TypeError, match="floating-point"):
        bp.training.Optax(optax.adam(1e-3), [layer.calls])
    with pytest.raises(TypeError, match="not a bp.math.Variable"):
        bp.training.Optax(optax.adam(1e-3), [jnp.zeros(2)])
    opt = bp.training.Optax(optax.adam(1e-3), layer.train_vars())
    with pytest.raises(ValueError, match="structure"):
        opt.update([jnp.zeros((3, 2)), jnp.zeros(2)])
    grads = {k: jnp.zeros(3) for k in layer.train_vars()}
    with pytest.raises(ValueError, match="shape"):
        opt.update(grads)
    np.testing.assert_array_equal(layer.W, W0)  # nothing written


def test_numpy_backend_points_to_jax():
    bm.use_backend("numpy")

    class P(bp.Base):
        def __init__(self):
            super().__init__()
            self.w = bm.TrainVar(bm.zeros(2))

    with pytest.raises(NotImplementedError, match=r"use_backend\('jax'\)"):
        bp.training.Optax(optax.adam(1e-3), P().train_vars())
