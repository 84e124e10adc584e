"""bp.math.vmap / pmap on the jax backend: Variables batched or broadcast, writes per
lane, the random key split per lane; against a Python loop over the lanes and jax.vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp

bm = bp.math


@pytest.fixture(autouse=True)
def _jax():
    bm.use_backend("jax")


class Cell(bp.Base):
    """A leaky unit with noise: ``h`` per lane (batched), ``w`` shared (broadcast)."""

    def __init__(self, lanes):
        super().__init__()
        self.w = bm.Variable(jnp.asarray([1.0, -2.0, 0.5]))
        self.h = bm.Variable(jnp.arange(lanes * 3.0).reshape(lanes, 3) / 10)
        self.n = bm.Variable(jnp.zeros(lanes, jnp.int32))

    def step(self, x, scale):
        self.h.value = 0.5 * self.h + x * self.w * scale + bm.random.normal(size=3)
        self.n += 1
        return self.h.sum()


def _loop_reference(cell, xs, scale, key):
    """The same step lane by lane in Python: lane i draws from fold_in(split(key)[1], i)
    (the documented lane keys); returns (outputs, h, n, the key after the call)."""
    sub = jax.random.split(key)[1]
    h0, n0 = np.asarray(cell.h), np.asarray(cell.n)
    outs, hs = [], []
    for i in range(xs.shape[0]):
        k = jax.random.fold_in(sub, i)
        noise = jax.random.normal(jax.random.split(k)[1], (3,))
        h = 0.5 * h0[i] + np.asarray(xs[i]) * np.asarray(cell.w) * scale + np.asarray(noise)
        hs.append(h)
        outs.append(h.sum())
    return np.asarray(outs), np.stack(hs), n0 + 1, jax.random.split(key)[0]


@pytest.fixture(scope="module")
def lanes4():
    bm.use_backend("jax")
    cell = Cell(4)
    f = bm.vmap(cell.step, in_axes=(0, None), batch_vars=[cell.h, cell.n])
    return cell, f, bm.jit(f)


@pytest.mark.parametrize("jitted", [False, True])
def test_vmap_matches_a_loop_over_lanes(lanes4, jitted):
    cell, f, jf = lanes4
    xs = jnp.arange(12.0).reshape(4, 3) / 7
    for _ in range(2):  # twice: the second call draws new numbers, from the moved key
        key = bm.random.DEFAULT.value
        e_out, e_h, e_n, e_key = _loop_reference(cell, xs, 2.0, key)
        out = (jf if jitted else f)(xs, 2.0)
        assert type(out) is bm.JaxArray and out.shape == (4,)
        np.testing.assert_allclose(out, e_out, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(cell.h, e_h, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(cell.n, e_n)
        np.testing.assert_array_equal(bm.random.DEFAULT.value, e_key)
    noise = np.asarray(cell.h) - 0.5 * e_h  # not the same across lanes
    assert len({round(float(v), 5) for v in noise[:, 0]}) == 4
    assert not any(isinstance(v._value, jax.core.Tracer) for v in cell.vars().values())


def test_vmap_of_a_jitted_method_and_of_an_object():
    cell = Cell(3)
    xs = jnp.ones((3, 3))
    step = bm.jit(cell.step)
    h0 = np.asarray(cell.h)
    key = bm.random.DEFAULT.value
    e_out, e_h, _, _ = _loop_reference(cell, xs, 1.0, key)
    state = {k: v for k, v in cell.vars().items() if not k.endswith(".w")}  # h and n
    out = bm.vmap(step, in_axes=(0, None), batch_vars=state)(xs, 1.0)
    np.testing.assert_allclose(out, e_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(cell.h, e_h, rtol=1e-5, atol=1e-5)
    assert not np.allclose(cell.h, h0)

    class Scaled(bp.Base):  # a callable object, no state written
        def __init__(self):
            super().__init__()
            self.k = bm.Variable(jnp.asarray(3.0))

        def __call__(self, x):
            return x * self.k

    obj = Scaled()
    np.testing.assert_allclose(bm.vmap(obj)(jnp.arange(4.0)), jnp.arange(4.0) * 3.0)


def test_vmap_in_and_out_axes_match_jax_vmap():
    a, b = jnp.arange(24.0).reshape(2, 3, 4), jnp.arange(4.0)

    def f(x, y):
        return x @ y, {"t": x.T}

    got = bm.vmap(f, in_axes=(1, None), out_axes=(0, 1))(a, b)
    expected = jax.vmap(f, in_axes=(1, None), out_axes=(0, 1))(a, b)
    for g, e in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(g, e)
    got = bm.vmap(lambda x, y=None: x * y)(a, y=jnp.ones(2))  # keyword arguments: axis 0
    np.testing.assert_allclose(got, jax.vmap(lambda x, y: x * y, in_axes=(0, 0))(a, jnp.ones(2)))
    psum = bm.vmap(lambda x: x / jax.lax.psum(x, "i"), axis_name="i")(jnp.arange(1.0, 4.0))
    np.testing.assert_allclose(psum, np.arange(1.0, 4.0) / 6.0, rtol=1e-6)
    draws = bm.vmap(lambda: bm.random.uniform(), axis_size=5)()
    assert draws.shape == (5,) and len(set(np.asarray(draws).tolist())) == 5


def test_vmap_inside_grad_and_nested_vmap():
    w = bm.TrainVar(jnp.asarray([1.0, 2.0, 3.0]))
    xs = jnp.arange(12.0).reshape(4, 3) / 10

    def loss(xs):
        return bm.vmap(lambda x: bm.sin(x * w).sum() ** 2)(xs).sum()

    g = bm.grad(loss, grad_vars=w)(xs)
    pure = lambda w_: jax.vmap(lambda x: jnp.sin(x * w_).sum() ** 2)(xs).sum()  # noqa: E731
    np.testing.assert_allclose(g, jax.grad(pure)(w.value), rtol=1e-5)
    # per-example gradients: vmap of grad
    per = bm.vmap(bm.grad(lambda x: bm.sin(x * w).sum() ** 2, grad_vars=w))(xs)
    pure1 = lambda w_, x: jnp.sin(x * w_).sum() ** 2  # noqa: E731
    np.testing.assert_allclose(per, jax.vmap(jax.grad(pure1), (None, 0))(w.value, xs), rtol=1e-5)
    v = bm.Variable(jnp.arange(6.0).reshape(2, 3))  # 2 outer lanes of 3 inner lanes
    v0 = np.asarray(v)

    def inner(x):
        v.value = v + x
        return v * 2

    outer = bm.vmap(lambda row: bm.vmap(inner, batch_vars=v)(row), batch_vars=v)
    xs = jnp.arange(6.0).reshape(2, 3) ** 2
    np.testing.assert_allclose(outer(xs), 2 * (v0 + np.asarray(xs)))
    np.testing.assert_allclose(v, v0 + np.asarray(xs))
    with pytest.raises(ValueError, match="broadcast"):  # v is shared by the outer lanes
        bm.vmap(lambda a: bm.vmap(inner, batch_vars=v)(a), in_axes=None, axis_size=2)(xs)

    def body(i):  # a compiled loop inside a lane carries the lane's state
        v.value = v + i

    def lane(x):
        bm.for_loop(body, x)
        return v.sum()

    v0 = np.asarray(v)
    np.testing.assert_allclose(bm.vmap(lane, batch_vars=v)(xs), (v0 + xs.sum(1)[:, None]).sum(1))


def test_vmap_errors():
    cell = Cell(4)
    with pytest.raises(ValueError) as info:  # JitStateError
        bm.vmap(cell.step, in_axes=(0, None), batch_vars=cell.h)(jnp.ones((4, 3)), 1.0)
    assert "Cell" in str(info.value) and ".n" in str(info.value)
    assert "broadcast" in str(info.value) and "batch_vars" in str(info.value)
    assert not isinstance(cell.h._value, jax.core.Tracer)
    np.testing.assert_array_equal(cell.n, np.zeros(4))  # nothing stored
    with pytest.raises(ValueError, match="disagree on the number of lanes"):
        bm.vmap(cell.step, in_axes=(0, None), batch_vars=[cell.h, cell.n])(jnp.ones((5, 3)), 1)
    with pytest.raises(ValueError, match=r"in_axes=\(0, 0\) does not match the 1"):
        bm.vmap(lambda x: x, in_axes=(0, 0))(jnp.ones(3))
    with pytest.raises(ValueError, match="axis_size"):
        bm.vmap(lambda: 1.0)()
    with pytest.raises(
        TypeError, match=r"batch_vars=\.\.\.\) takes Variables.*bp\.math\.Variable\(x\)"
    ):
        bm.vmap(lambda x: x, batch_vars=[jnp.ones(3)])
    arr = bm.zeros(3)

    def writes_array(x):
        arr[0] = x
        return x

    with pytest.raises(ValueError, match="not a Variable"):
        bm.vmap(writes_array)(jnp.ones(2))
    np.testing.assert_array_equal(arr, np.zeros(3))

    def writes_argument(a):
        a += 1.0
        return a

    arg = bm.Variable(jnp.zeros((2, 3)))
    with pytest.raises(ValueError, match="Variable passed to it as an argument"):
        bm.vmap(writes_argument)(arg)
    np.testing.assert_array_equal(arg, np.zeros((2, 3)))


def test_pmap_on_the_available_devices():
    h = bm.Variable(jnp.zeros((1, 3)))

    def step(x):
        h.value = h + x
        return h.sum()

    n = jax.local_device_count()
    out = bm.pmap(step, batch_vars=h)(jnp.ones((1, 3)))
    np.testing.assert_allclose(out, [3.0])
    np.testing.assert_allclose(h, np.ones((1, 3)))
    jitted = bm.jit(bm.pmap(step, batch_vars=h))  # compiled once, with the caller
    for expected in (2.0, 3.0):
        np.testing.assert_allclose(jitted(jnp.ones((1, 3))), [3.0 * expected])
        np.testing.assert_allclose(h, np.full((1, 3), expected))
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
        bm.pmap(lambda x: x)(jnp.ones((n + 1, 2)))
