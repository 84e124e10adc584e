"""Issue 18 (jax backend): a ``bp.math.jit`` function called inside other transformations
(bp.math control flow, jit and grad; plain jax.jit, jax.grad, jax.vmap), and in-place
writes into JaxArrays that are not Variables inside compiled loops, branches and grad."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._jax.jit import JitStateError

bm = bp.math


@pytest.fixture(autouse=True)
def _jax():
    bm.use_backend("jax")


def _is_tracer(x):
    return isinstance(getattr(x, "_value", x), jax.core.Tracer)


def _double(x):
    return x * 2.0


# -- bug 1: a jitted function inside other transformations ------------------------------------
def test_jitted_function_inside_for_loop():
    step = bm.jit(_double)
    out = bm.for_loop(step, bm.arange(3.0))
    np.testing.assert_allclose(np.asarray(out), 2.0 * np.arange(3.0))
    # and still callable on its own afterwards (the top-level program)
    np.testing.assert_allclose(np.asarray(step(bm.ones(2))), [2.0, 2.0])


def test_jitted_function_writing_a_variable_inside_for_loop():
    acc = bm.Variable(bm.zeros(2))

    def add(x):
        acc.value = acc.value + x
        return acc.value.sum()

    step = bm.jit(add)
    xs = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    out = bm.for_loop(step, bm.asarray(xs))
    # the same computation in NumPy
    np.testing.assert_allclose(np.asarray(acc), xs.sum(0))
    np.testing.assert_allclose(np.asarray(out), np.cumsum(xs, 0).sum(1))
    assert not _is_tracer(acc)
    step(bm.ones(2))  # the top-level call after the nested one
    np.testing.assert_allclose(np.asarray(acc), xs.sum(0) + 1.0)


def test_jitted_function_inside_while_loop_and_cond():
    count = bm.Variable(bm.zeros((), dtype=bm.int32))

    @bm.jit
    def inc(x):
        count.value += 1
        return x + 1.0

    out = bm.jit(lambda x: bm.while_loop(inc, lambda x: x < 5.0, x))(bm.asarray(0.0))
    assert float(out) == 5.0 and int(count) == 5

    @bm.jit
    def pick(x):
        return bm.cond(x > 0, inc, lambda y: y - 1.0, x)

    assert float(pick(bm.asarray(2.0))) == 3.0 and int(count) == 6
    assert float(pick(bm.asarray(-2.0))) == -3.0 and int(count) == 6
    assert float(bm.ifelse([bm.asarray(True)], [inc, _double], 1.0)) == 2.0
    assert int(count) == 7


def test_jitted_function_inside_another_jit_and_grad():
    w = bm.TrainVar(bm.asarray([1.0, 2.0, 3.0]))
    calls = bm.Variable(bm.zeros((), dtype=bm.int32))

    @bm.jit
    def predict(x):
        calls.value += 1
        return (w * x).sum()

    outer = bm.jit(lambda x: predict(x) * 2.0)
    assert float(outer(bm.ones(3))) == 12.0 and int(calls) == 1
    grads = bm.grad(lambda x: predict(x) ** 2, grad_vars=w)(bm.asarray([1.0, 0.0, 2.0]))
    # d/dw (w . x)^2 = 2 (w . x) x
    x = np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(np.asarray(grads), 2 * (np.array([1.0, 2.0, 3.0]) @ x) * x)
    assert int(calls) == 2 and not _is_tracer(calls) and not _is_tracer(w)


@pytest.mark.parametrize("wrap", [jnp.asarray, bm.asarray], ids=["jax.Array", "JaxArray"])
def test_jitted_function_inside_jax_jit_grad_vmap(wrap):
    scale = bm.Variable(bm.asarray(3.0))  # read only
    f = bm.jit(lambda x: x * scale)
    x = np.arange(4.0, dtype=np.float32)
    out = jax.jit(f)(wrap(x))
    np.testing.assert_allclose(np.asarray(out), 3.0 * x)
    out = jax.vmap(f)(wrap(x))
    np.testing.assert_allclose(np.asarray(out), 3.0 * x)
    g = jax.grad(lambda y: f(y).value.sum())(wrap(x))
    np.testing.assert_allclose(np.asarray(g), np.full(4, 3.0))
    g = jax.jit(jax.grad(lambda y: (f(y) ** 2).value.sum()))(wrap(x))
    np.testing.assert_allclose(np.asarray(g), 18.0 * x)
    assert not _is_tracer(scale) and float(scale) == 3.0
    np.testing.assert_allclose(np.asarray(f(wrap(x))), 3.0 * x)  # top level again


def test_jitted_function_writing_variables_inside_jax_transformations():
    count = bm.Variable(bm.zeros((), dtype=bm.int32))
    last = bm.Variable(bm.zeros(()))

    @bm.jit
    def counted(x):
        count.value += 1  # does not depend on the traced argument
        return x * 2.0

    @bm.jit
    def remember(x):
        last.value = x.sum()  # depends on it
        return x

    # a value JAX computes concretely can be stored (vmap of unbatched state, grad)
    np.testing.assert_allclose(np.asarray(jax.vmap(counted)(jnp.arange(3.0))), [0, 2, 4])
    jax.grad(lambda x: counted(x).value)(1.0)
    assert int(count) == 2 and not _is_tracer(count)
    # a traced one cannot: a clear error, and the Variable keeps its value
    for transform in (jax.jit, jax.vmap, lambda f: jax.grad(lambda x: f(x).value.sum())):
        with pytest.raises(JitStateError) as err:
            transform(remember)(jnp.arange(3.0))
        assert "Variable" in str(err.value) and "jax.jit" in str(err.value)
        assert float(last) == 0.0 and not _is_tracer(last)
    with pytest.raises(ValueError, match="inside a JAX transformation"):
        jax.jit(counted)(jnp.arange(3.0))
    assert int(count) == 2 and not _is_tracer(count)
    remember(jnp.arange(3.0))  # and at the top level it works
    assert float(last) == 3.0


# -- bug 2: in-place writes into JaxArrays that are not Variables -------------------------------
def _assert_untouched(arr, expected):
    assert not _is_tracer(arr)
    np.testing.assert_array_equal(np.asarray(arr), expected)
    np.testing.assert_array_equal(np.asarray(arr + 1), np.asarray(expected) + 1)  # usable


def _refused(where):
    return pytest.raises(
        JitStateError, match=rf"{where}.*a JaxArray of shape \(3,\) \(float32\).*Variable"
    )


def test_eager_for_loop_writing_a_plain_array_is_refused_and_undone():
    buf = bm.zeros(3)

    def body(i):
        buf[0] = i
        return i

    with _refused("bp.math.for_loop"):
        bm.for_loop(body, bm.arange(3.0))
    _assert_untouched(buf, np.zeros(3))

    def augmented(i):
        buf.value += i  # the same through .value
        return i

    with _refused("bp.math.for_loop"):
        bm.for_loop(augmented, bm.arange(3.0))
    _assert_untouched(buf, np.zeros(3))
    # as a Variable, the loop carries it: the NumPy reference
    var = bm.Variable(bm.zeros(3))

    def var_body(i):
        var[0] = var[0] + i
        return i

    bm.for_loop(var_body, bm.arange(3.0))
    np.testing.assert_allclose(np.asarray(var), [3.0, 0.0, 0.0])


def test_compiled_while_loop_cond_ifelse_writing_a_plain_array_are_refused():
    buf = bm.ones(3)

    def body(x):
        buf[1] = x
        return x + 1.0

    with _refused("bp.math.while_loop"):
        bm.jit(lambda x: bm.while_loop(body, lambda x: x < 3.0, x))(bm.asarray(0.0))
    _assert_untouched(buf, np.ones(3))
    with _refused("bp.math.cond"):
        bm.jit(lambda x: bm.cond(x > 0, body, lambda x: x, x))(bm.asarray(1.0))
    _assert_untouched(buf, np.ones(3))
    with _refused("bp.math.ifelse"):
        bm.jit(lambda x: bm.ifelse([x > 0, x < -1], [body, _double, _double], x))(bm.asarray(1.0))
    _assert_untouched(buf, np.ones(3))
    # inside an eager for_loop too (the branches of a traced condition)
    with _refused("bp.math.cond"):
        bm.for_loop(lambda x: bm.cond(x > 0, body, lambda x: x, x), bm.arange(2.0))
    _assert_untouched(buf, np.ones(3))


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "vector_grad"])
def test_grad_writing_a_plain_array_is_refused_and_undone(name):
    transform = getattr(bm, name)
    buf = bm.zeros(3)

    def loss(x):
        buf[2] = x
        return x * x

    with _refused(rf"bp.math.{name}"):
        transform(loss)(bm.asarray(2.0))
    _assert_untouched(buf, np.zeros(3))


def test_temporary_arrays_written_inside_are_fine():
    """Arrays made inside a body or a differentiated function are its own: no error."""

    def loss(x):
        tmp = bm.zeros(3)  # concrete under grad (JAX computes it eagerly)
        tmp[0] = x
        tmp[1] = 2.0 * x
        return (tmp * tmp).sum()

    np.testing.assert_allclose(float(bm.grad(loss)(bm.asarray(1.5))), 2 * 1.5 + 8 * 1.5)

    def body(x):
        tmp = bm.zeros(2)
        tmp[1] = x
        return tmp

    out = bm.for_loop(body, bm.arange(3.0))
    np.testing.assert_allclose(np.asarray(out), [[0, 0], [0, 1], [0, 2]])


def test_jit_local_array_written_in_a_loop_inside_jit_is_refused():
    """An array made in jitted code and written by a compiled loop's body would keep the
    loop's tracer (the loop cannot carry it): refused, as for outside arrays."""

    @bm.jit
    def f(xs):
        buf = bm.zeros(3)

        def body(x):
            buf[0] = x
            return buf.sum()

        return bm.for_loop(body, xs)

    with _refused("bp.math.for_loop"):
        f(bm.arange(3.0))


def test_plain_array_restored_when_the_body_raises_and_in_a_loop_condition():
    buf = bm.zeros(3)

    def body(i):
        buf[0] = i
        raise KeyError("from the body")

    with pytest.raises(KeyError, match="from the body"):
        bm.for_loop(body, bm.arange(3.0))
    _assert_untouched(buf, np.zeros(3))

    def test(x):
        buf[1] = x  # in the condition of a compiled while loop
        return x < 3.0

    with _refused("bp.math.while_loop"):
        bm.jit(lambda x: bm.while_loop(lambda x: x + 1.0, test, x))(bm.asarray(0.0))
    _assert_untouched(buf, np.zeros(3))


def test_native_loop_writing_a_plain_attribute_array_is_refused():
    class Model(bp.Base):
        def __init__(self):
            super().__init__()
            self.buf = bm.zeros(3)  # not a Variable
            self.total = bm.Variable(bm.zeros(3))

        def update(self, n):
            for i in range(n):  # a traced bound: a compiled loop
                self.buf[0] = i
            return n

        def accumulate(self, n):
            for i in range(n):
                self.total[0] += i
            return n

    model = Model()
    with _refused(r"test_nested_jit.py, line \d+"):  # where the loop is
        bm.jit(model.update)(bm.asarray(3))
    _assert_untouched(model.buf, np.zeros(3))
    bm.jit(model.accumulate)(bm.asarray(4))
    np.testing.assert_allclose(np.asarray(model.total), [6.0, 0.0, 0.0])


def test_temporary_array_under_grad_inside_jit():
    w = bm.TrainVar(bm.asarray([1.0, -2.0]))

    def loss():
        tmp = bm.zeros(2)
        tmp[0] = w[0] * 3.0
        tmp[1] = w[1]
        return (tmp**2).sum()

    g = bm.jit(lambda: bm.grad(loss, grad_vars=w)())()
    # d/dw (9 w0^2 + w1^2) = (18 w0, 2 w1)
    np.testing.assert_allclose(np.asarray(g), [18.0, -4.0])
