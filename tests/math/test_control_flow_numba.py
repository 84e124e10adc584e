"""The structured control-flow API inside ``bp.math.jit`` on the numpy backend (Numba).

Every construct runs the same code three ways -- eagerly with NumPy, compiled by Numba,
compiled by JAX -- and the results and the Variables' final values must agree (NumPy
and Numba exactly, JAX to float32 precision). Numba compiles are slow, so each test
compiles a few functions only.
"""

import contextlib
import functools
import io

import numpy as np
import pytest

import brainjit as bp
from brainjit.math import cond as imported_cond
from brainjit.math import while_loop as imported_while_loop
from brainjit.math._numpy.jit import JitCompileError

bm = bp.math

MODES = ("eager", "numba", "jax")


def _to_numpy(tree):
    if tree is None:
        return None
    if isinstance(tree, (tuple, list)):
        return tuple(_to_numpy(t) for t in tree)
    return np.asarray(tree)


def run_modes(build, *args):
    """{mode: (output, state)} for ``build() -> (function, state getter)`` run eagerly
    with NumPy, under ``bp.math.jit`` with Numba, and under ``bp.math.jit`` with JAX.
    Each mode builds fresh objects and calls the function twice (state carries over)."""
    results = {}
    for mode in MODES:
        with bm.backend("jax" if mode == "jax" else "numpy"):
            fn, state = build()
            if mode != "eager":
                fn = bm.jit(fn)
            fn(*args)
            out = fn(*args)
            results[mode] = (_to_numpy(out), _to_numpy(state()))
    return results


def assert_agree(results):
    eager = results["eager"]
    for mode, rtol in (("numba", 1e-12), ("jax", 2e-5)):
        _assert_tree_close(results[mode], eager, rtol, mode)


def _assert_tree_close(got, expected, rtol, mode):
    if expected is None:
        assert got is None, f"{mode}: expected None, got {got!r}"
        return
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), f"{mode}: {got!r}"
        for g, e in zip(got, expected):
            _assert_tree_close(g, e, rtol, mode)
        return
    assert got.shape == expected.shape, f"{mode}: shape {got.shape} != {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-6, err_msg=mode)


class Acc(bp.Base):
    """State updated in place by loop bodies and branches."""

    def __init__(self):
        super().__init__()
        self.total = bm.Variable(bm.zeros(3))
        self.count = bm.Variable(bm.zeros((), dtype="int32"))

    def step(self, x):
        self.total += x
        self.count += 1
        return self.total * 2.0

    def run(self, xs):
        return bm.for_loop(self.step, xs)

    def state(self):
        return self.total.value, self.count.value


def test_for_loop_method_body_stacks_outputs_and_updates_persist():
    xs = np.arange(12.0).reshape(4, 3)

    def build():
        acc = Acc()
        return acc.run, acc.state

    results = run_modes(build, xs)
    assert_agree(results)
    out, (total, count) = results["numba"]
    # the second call continues from the first call's state
    np.testing.assert_allclose(out, 2.0 * (np.cumsum(xs, axis=0) + xs.sum(0)))
    np.testing.assert_allclose(total, 2 * xs.sum(0))
    assert int(count) == 8


def _tuple_body_and_scalar(kind):
    """for_loop bodies returning a tuple (array, number), a number, or nothing."""

    def build():
        acc = Acc()

        def run(xs):
            def body(x):  # a nested def updating Variables of an object it closes over
                acc.total += x
                acc.count += 1
                if kind == "tuple":
                    return acc.total * 1.0, x.sum()
                if kind == "scalar":
                    return x[0] * 2.0

            return bm.for_loop(body, xs)

        return run, acc.state

    return build


@pytest.mark.parametrize("kind", ["tuple", "scalar", "none"])
def test_for_loop_output_structures(kind):
    xs = np.arange(6.0).reshape(2, 3) + 1.0
    results = run_modes(_tuple_body_and_scalar(kind), xs)
    assert_agree(results)
    out, (total, count) = results["numba"]
    if kind == "tuple":
        assert isinstance(out, tuple) and out[0].shape == (2, 3) and out[1].shape == (2,)
    elif kind == "scalar":
        np.testing.assert_allclose(out, xs[:, 0] * 2.0)
    else:
        assert out is None
    np.testing.assert_allclose(total, 2 * xs.sum(0))
    assert int(count) == 4


def test_for_loop_two_operands_reverse_lambda_and_module_variable():
    a = np.arange(5.0)
    b = np.arange(5.0) * 10

    def build():
        seen = bm.Variable(bm.zeros(()))

        def body(x, y):
            seen.value = seen.value * 0.5 + x + y
            return seen.value

        def run(a, b):
            ys = bm.for_loop(body, (a, b), reverse=True)
            # a lambda body, inlined: reads the Variable the first loop wrote
            zs = bp.math.for_loop(lambda x: x + seen.value, a)
            return ys, zs

        return run, lambda: seen.value

    results = run_modes(build, a, b)
    assert_agree(results)
    (ys, zs), seen = results["numba"]
    ref, s = [], 0.0
    for x, y in zip(a[::-1], b[::-1]):
        s = s * 0.5 + x + y
        ref.append(s)
    first = ref[-1]
    ref, s = [], first
    for x, y in zip(a[::-1], b[::-1]):
        s = s * 0.5 + x + y
        ref.append(s)
    np.testing.assert_allclose(ys, ref[::-1])
    np.testing.assert_allclose(zs, a + s)
    np.testing.assert_allclose(seen, s)


def test_for_loop_operands_of_different_lengths():
    def run(a, b):
        return bm.for_loop(lambda x, y: x + y, (a, b))

    with pytest.raises(ValueError, match="operands have different lengths"):
        run(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="operands have different lengths"):
        bm.jit(run)(np.zeros(3), np.zeros(4))


def _while_builder():
    acc = Acc()

    def body(i, x):
        acc.total += 1.0
        return i + 1, x * 2.0

    def run(limit):
        # a lambda test, a nested-def body, operands written out
        i, x = bm.while_loop(body, lambda i, x: i < limit, (0, 1.0))
        # one operand that is not a tuple: the body gets it alone and returns it alone
        y = bm.while_loop(lambda v: v * 3.0, lambda v: v < 100.0, x)
        return i, x, y

    return run, acc.state


def test_while_loop_carries_operands_and_variables():
    results = run_modes(_while_builder, 7)
    assert_agree(results)
    (i, x, y), (total, count) = results["numba"]
    assert int(i) == 7 and float(x) == 2.0**7 and float(y) == 128.0
    np.testing.assert_allclose(total, [14.0] * 3)  # two calls of 7 steps


def test_cond_and_ifelse_branches_update_different_variables():
    def build():
        acc = Acc()

        def positive(x):
            acc.total.value = acc.total * 0.0 + x
            return x * 2.0

        def negative(x):
            acc.count.value = acc.count + 5
            return x * 0.0 - 1.0

        def run(x):
            a = bm.cond(x > 0, positive, negative, (x,))
            b = bp.math.ifelse(
                [x > 2.0, x > 0.0],
                [lambda v: v * 100.0, lambda v: v * 10.0, lambda v: acc.total[0] + v],
                (x,),
            )
            return a, b

        return run, acc.state

    for x in (5.0, 1.0, -3.0):
        results = run_modes(build, x)
        assert_agree(results)
        (a, b), (total, count) = results["numba"]
        assert float(a) == (2 * x if x > 0 else -1.0)
        assert float(b) == (x * 100 if x > 2 else x * 10 if x > 0 else x)
        if x > 0:  # the branch that did not run left the other Variable alone
            np.testing.assert_allclose(total, [x] * 3)
            assert int(count) == 0
        else:
            np.testing.assert_allclose(total, [0.0] * 3)
            assert int(count) == 10


class Inner(bp.Base):
    def __init__(self):
        super().__init__()
        self.hits = bm.Variable(bm.zeros(()))

    def clip(self, v):  # a method whose body uses cond: compiled as its own function
        return bm.cond(v > 3.0, self.high, lambda u: u, (v,))

    def high(self, v):
        self.hits += 1.0
        return v * 0.0 + 3.0


class Outer(bp.Base):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.rows = bm.Variable(bm.zeros(()))

    def row(self, r):
        self.rows += 1.0
        return bm.for_loop(self.inner.clip, r)

    def run(self, xs):
        clipped = bm.for_loop(self.row, xs)  # loop -> method -> loop -> method -> cond
        doubled = bm.for_loop(lambda r: bm.for_loop(lambda v: v * 2.0, r), xs)  # lambdas
        return clipped, doubled

    def state(self):
        return self.rows.value, self.inner.hits.value


def test_nested_loops_through_methods_and_lambdas():
    xs = np.arange(8.0).reshape(2, 4)

    def build():
        outer = Outer()
        return outer.run, outer.state

    results = run_modes(build, xs)
    assert_agree(results)
    (clipped, doubled), (rows, hits) = results["numba"]
    np.testing.assert_allclose(clipped, np.minimum(xs, 3.0))
    np.testing.assert_allclose(doubled, 2 * xs)
    assert float(rows) == 4 and float(hits) == 2 * (xs > 3).sum()


class LIF(bp.Base):
    """A leaky integrate-and-fire group written by hand, run over time with for_loop."""

    def __init__(self, n, tau=10.0, v_th=1.0, dt=0.1):
        super().__init__()
        self.tau, self.v_th, self.dt = tau, v_th, dt
        self.V = bm.Variable(bm.zeros(n))
        self.spike = bm.Variable(bm.zeros(n, dtype=bool))
        self.count = bm.Variable(bm.zeros(n))

    def update(self, current):
        self.V += self.dt * (current - self.V) / self.tau
        self.spike.value = self.V >= self.v_th
        self.V.value = bm.where(self.spike, 0.0, self.V)
        self.count += self.spike
        return self.V.value, self.spike.value

    def run(self, currents):
        return bm.for_loop(self.update, currents)

    def state(self):
        return self.V.value, self.count.value


def test_lif_over_time_steps():
    steps, n = 400, 4
    currents = np.tile(np.array([0.5, 1.05, 1.5, 3.0]), (steps, 1))

    def build():
        lif = LIF(n)
        return lif.run, lif.state

    results = run_modes(build, currents)
    (vs, spikes), (v, count) = results["numba"]
    # the oracle: the same model as a NumPy loop (two runs of `steps`)
    ref_v, ref_count, ref_vs = np.zeros(n), np.zeros(n), []
    for _ in range(2):
        ref_vs = []
        for i in range(steps):
            ref_v = ref_v + 0.1 * (currents[i] - ref_v) / 10.0
            fired = ref_v >= 1.0
            ref_v = np.where(fired, 0.0, ref_v)
            ref_count += fired
            ref_vs.append(ref_v)
    np.testing.assert_allclose(vs, ref_vs, rtol=1e-12)
    np.testing.assert_allclose(v, ref_v, rtol=1e-12)
    np.testing.assert_array_equal(count, ref_count)
    assert spikes.dtype == bool and spikes.shape == (steps, n)
    assert count[0] == 0 and count[3] > count[2] > count[1] > 0
    eager = results["eager"]
    np.testing.assert_array_equal(vs, eager[0][0])
    np.testing.assert_array_equal(count, eager[1][1])
    # float32 on the jax backend: spike counts equal, potentials close
    np.testing.assert_array_equal(results["jax"][1][1], count)
    np.testing.assert_allclose(results["jax"][0][0], vs, atol=1e-4)


def test_imported_names_zero_steps_and_show_code():
    gate = bm.Variable(bm.zeros(()))

    def run(x, xs):
        def opened():
            gate.value = 1.0 + gate.value

        imported_cond(x > 0, opened, lambda: None)  # called for its effect
        n = imported_while_loop(lambda k: k + 1, lambda k: k < 10, 0)
        return n, bm.for_loop(lambda v: v * gate.value, xs)

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        f = bm.jit(run, show_code=True)
    shown = buffer.getvalue()
    assert "for _cf_i in range(_cf_n):" in shown and "while _cf_w[0] < 10:" in shown
    assert "if _cf_pred:" in shown and "_cf_cond_out = opened()" in shown
    n, ys = f(1.0, np.arange(3.0))
    assert int(n) == 10 and float(gate) == 1.0
    np.testing.assert_allclose(ys, np.arange(3.0))
    n, ys = f(-1.0, np.arange(3.0))
    assert float(gate) == 1.0
    # no steps: an empty stack with the output's number of dimensions (eagerly, the
    # body never runs and the result is None)
    n, ys = f(1.0, np.zeros(0))
    assert ys.shape == (0,) and float(gate) == 2.0


def _error(fn, *args):
    with pytest.raises(JitCompileError) as info:
        bm.jit(fn)(*args)
    return str(info.value)


def test_errors_name_the_call_and_line():
    def dict_body(xs):
        return bm.for_loop(lambda x: {"x": x}, xs)

    message = _error(dict_body, np.zeros(3))
    assert "bp.math.for_loop: the body returns a dict" in message.splitlines()[1]
    assert 'offending line: File "' in message
    assert 'return bm.for_loop(lambda x: {"x": x}, xs)' in message

    def mismatched(x):
        return bm.cond(x > 0, lambda: bm.zeros(2), lambda: 1.0)

    message = _error(mismatched, 1.0)
    assert "bp.math.cond: the branches return different types" in message.splitlines()[1]
    assert "return bm.cond(x > 0, lambda: bm.zeros(2), lambda: 1.0)" in message

    branches = (lambda: 1.0, lambda: 2.0)

    def not_written_out(x):
        return bm.ifelse([x > 0], branches)

    with pytest.raises(TypeError, match=r"branches must be written out(.|\n)*line \d+"):
        bm.jit(not_written_out)(1.0)

    def in_while_test(x):
        while bm.cond(x > 0, lambda: False, lambda: False):
            x = x - 1.0
        return x

    with pytest.raises(TypeError, match="cannot be compiled inside the test of a while"):
        bm.jit(in_while_test)(1.0)

    def wrong_count(xs):
        return bm.for_loop(lambda a, b: a + b, (xs,))

    with pytest.raises(TypeError, match="takes 2 arguments, but there are 1 operand"):
        bm.jit(wrong_count)(np.zeros(3))


class Scale(bp.Base):
    """A callable object used as a loop body."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor
        self.calls = bm.Variable(bm.zeros(()))

    def __call__(self, x):
        self.calls += 1.0
        return x * self.factor


def _offset(x):
    return x + 1.0


def test_call_forms_keywords_objects_and_statement_positions():
    xs = np.arange(4.0)

    def build(backwards):
        scale = Scale(3.0)
        offset = bm.jit(_offset)  # a jitted function as a body

        def run(xs):
            a = bm.for_loop(body_fun=scale, operands=xs, reverse=backwards)  # a constant
            b = bm.for_loop(offset, operands=(xs,))
            total = xs.sum() * 0.0
            for v in bm.for_loop(lambda x: x * x, xs):  # the iterable of a for statement
                total = total + v
            if total < 0.0:
                c = total
            elif bm.cond(total > 10.0, lambda: True, lambda: False):  # an elif test
                c = total * 2.0
            else:
                c = -total
            return a, b, c

        return run, lambda: scale.calls.value

    for backwards in (True, False):
        results = run_modes(functools.partial(build, backwards), xs)
        assert_agree(results)
        (a, b, c), calls = results["numba"]
        np.testing.assert_allclose(a, 3.0 * xs)
        np.testing.assert_allclose(b, xs + 1.0)
        assert float(c) == 28.0 and float(calls) == 8.0
