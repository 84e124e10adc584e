"""The structured control-flow API (for_loop, while_loop, cond, ifelse) on both backends.

Each construct runs eagerly and (on the jax backend) inside ``bp.math.jit``; the oracle
is the same computation written as a plain NumPy loop.
"""

import numpy as np
import pytest

import brainjit as bp


class Acc(bp.Base):
    """State updated in place by loop bodies and branches."""

    def __init__(self):
        super().__init__()
        self.total = bp.math.Variable(bp.math.zeros(3))
        self.count = bp.math.Variable(bp.math.zeros((), dtype="int32"))

    def step(self, x):
        self.total += x
        self.count += 1
        return self.total * 2.0

    def run(self, xs):
        return bp.math.for_loop(self.step, xs)


def _maybe_jit(fn, backend):
    return bp.math.jit(fn) if backend == "jax" else fn


def test_for_loop_updates_variables_and_stacks_outputs(backend):
    xs = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    acc = Acc()
    run = _maybe_jit(acc.run, backend)
    out = np.asarray(run(bp.math.asarray(xs)))
    expected = 2.0 * np.cumsum(xs, axis=0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(acc.total), xs.sum(0), rtol=1e-6)
    assert int(acc.count) == 4
    # a second call continues from the updated state
    out2 = np.asarray(run(bp.math.asarray(xs)))
    np.testing.assert_allclose(out2, expected + 2.0 * xs.sum(0), rtol=1e-6)
    assert int(acc.count) == 8


def test_for_loop_several_operands_and_reverse(backend):
    a = np.arange(5.0, dtype=np.float32)
    b = np.arange(5.0, dtype=np.float32) * 10
    seen = bp.math.Variable(bp.math.zeros(()))

    def body(x, y):
        seen.value = seen.value * 0.5 + x + y
        return seen.value

    def run(a, b):
        return bp.math.for_loop(body, (a, b), reverse=True)

    out = np.asarray(_maybe_jit(run, backend)(bp.math.asarray(a), bp.math.asarray(b)))
    ref, s = [], 0.0
    for x, y in zip(a[::-1], b[::-1]):
        s = s * 0.5 + x + y
        ref.append(s)
    np.testing.assert_allclose(out, ref[::-1], rtol=1e-6)
    np.testing.assert_allclose(float(seen), s, rtol=1e-6)


def test_while_loop_with_variable(backend):
    acc = Acc()

    def body(i, x):
        acc.total += 1.0
        return i + 1, x * 2.0

    def run(limit):
        return bp.math.while_loop(body, lambda i, x: i < limit, (0, 1.0))

    i, x = _maybe_jit(run, backend)(7)
    assert int(i) == 7 and float(x) == 2.0**7
    np.testing.assert_allclose(np.asarray(acc.total), [7.0, 7.0, 7.0])


@pytest.mark.parametrize("x", [2.0, -3.0])
def test_cond_branches_update_different_variables(backend, x):
    acc = Acc()

    def run(x):
        def positive():
            acc.total.value = acc.total * 0.0 + x
            return x * 2.0

        def negative():
            acc.count.value = acc.count + 5
            return x * 0.0 - 1.0

        return bp.math.cond(x > 0, positive, negative)

    out = float(_maybe_jit(run, backend)(x))
    if x > 0:
        assert out == 2 * x
        np.testing.assert_allclose(np.asarray(acc.total), [x] * 3)
        assert int(acc.count) == 0  # the branch that did not write it passed it through
    else:
        assert out == -1.0
        np.testing.assert_allclose(np.asarray(acc.total), [0.0] * 3)
        assert int(acc.count) == 5


@pytest.mark.parametrize("x", [5.0, 1.0, -1.0])
def test_ifelse_first_true_condition_wins(backend, x):
    def run(x):
        return bp.math.ifelse(
            [x > 2.0, x > 0.0],
            [lambda v: v * 100.0, lambda v: v * 10.0, lambda v: v],
            (x,),
        )

    expected = x * 100 if x > 2 else (x * 10 if x > 0 else x)
    assert float(_maybe_jit(run, backend)(x)) == pytest.approx(expected)


def test_ifelse_needs_one_condition_less_than_branches(backend):
    with pytest.raises(ValueError, match="3 branches need 2 conditions"):
        bp.math.ifelse([True], [lambda: 1, lambda: 2, lambda: 3])


def test_cond_branches_with_different_types_name_both():
    bp.math.use_backend("jax")

    def run(x):
        return bp.math.cond(x > 0, lambda: bp.math.zeros(2), lambda: bp.math.zeros(3))

    with pytest.raises(ValueError, match=r"float32\[2\].*float32\[3\]"):
        bp.math.jit(run)(1.0)


def test_random_draws_inside_for_loop_are_fresh_each_step():
    bp.math.use_backend("jax")
    bp.math.random.seed(3)

    def run(xs):
        return bp.math.for_loop(lambda x: bp.math.random.random() + x, xs)

    f = bp.math.jit(run)
    a = np.asarray(f(bp.math.zeros(4)))
    b = np.asarray(f(bp.math.zeros(4)))
    assert len(set(a.tolist())) == 4 and not np.allclose(a, b)
    bp.math.random.seed(3)
    np.testing.assert_allclose(np.asarray(f(bp.math.zeros(4))), a)


def test_gradient_through_for_loop():
    bp.math.use_backend("jax")

    def loss(w, xs):
        state = bp.math.Variable(bp.math.zeros(()))

        def body(x):
            state.value = state.value * w + x
            return state.value

        bp.math.for_loop(body, xs)
        return state.value

    xs = bp.math.asarray(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    # state = (1*w + 2)*w + 3 = w^2 + 2w + 3, d/dw = 2w + 2
    g = bp.math.grad(loss)(1.5, xs)
    assert float(g) == pytest.approx(2 * 1.5 + 2, rel=1e-5)
