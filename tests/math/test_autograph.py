"""Native Python control flow in jitted code (jax backend), against NumPy run eagerly.

Functions are written once with plain ``for``/``while``/``if``; under ``bp.math.jit``
on the jax backend they are converted into lax control flow where their values are
traced. The oracle is the same function run eagerly on NumPy arrays.
"""

import numpy as np
import pytest

import brainjit as bp
from brainjit.math._jax import autograph, control_flow


@pytest.fixture(autouse=True)
def _jax():
    bp.math.use_backend("jax")


def tutorial_loop():
    arr = bp.math.zeros(5)
    for i in range(arr.shape[0]):
        arr[i] += 2.0
        if i % 2 == 0:
            arr[i] += 1.0
    return arr


def test_tutorial_example():
    out = np.asarray(bp.math.jit(tutorial_loop)())
    with bp.math.backend("numpy"):
        ref = np.asarray(tutorial_loop())
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out, [3.0, 2.0, 3.0, 2.0, 3.0])


def masked_sum(x, n):
    s = 0.0
    for i in range(n):
        if x[i] > 0:
            s = s + x[i]
        else:
            s = s - 1.0
    return s


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_for_over_traced_range_with_traced_condition(n):
    x = np.array([1.0, -2.0, 3.0, 4.0, -1.0, 0.5, 2.0], dtype=np.float32)
    f = bp.math.jit(masked_sum)
    assert float(f(bp.math.asarray(x), n)) == pytest.approx(masked_sum(x, n))
    assert f.num_traces <= 2 * 1 + 0 or n  # one program for every n (n is traced)


def test_traced_range_is_one_program_for_every_bound():
    f = bp.math.jit(masked_sum)
    x = bp.math.asarray(np.ones(8, dtype=np.float32))
    for n in range(5):
        assert float(f(x, n)) == n
    assert f.num_traces == 2  # the first call traces twice, then no retrace


def range_with_start_and_step(x, a, b):
    total = 0.0
    for i in range(a, b, 2):
        total = total + x[i] * i
    return total


def test_range_start_stop_step():
    x = np.arange(10, dtype=np.float32)
    f = bp.math.jit(range_with_start_and_step)
    assert float(f(bp.math.asarray(x), 1, 8)) == range_with_start_and_step(x, 1, 8)


def collatz_steps(n):
    steps = 0
    while n != 1 and steps < 1000:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 6, 27])
def test_while_with_traced_condition_and_boolean_operators(n):
    f = bp.math.jit(collatz_steps)
    assert int(f(bp.math.asarray(n))) == collatz_steps(n)


def piecewise(x):
    if x.sum() > 0:
        y = x * 2
    elif x.sum() > -5:
        y = x
    else:
        y = -x
    return y


@pytest.mark.parametrize("value", [1.0, -1.0, -10.0])
def test_if_elif_else_on_traced_values(value):
    x = np.full(2, value, dtype=np.float32)
    out = np.asarray(bp.math.jit(piecewise)(bp.math.asarray(x)))
    np.testing.assert_allclose(out, piecewise(x))


def row_maxima(m):
    best = bp.math.zeros(m.shape[1])
    for row in m:
        for j in range(row.shape[0]):
            if row[j] > best[j]:
                best[j] = row[j]
    return best


def test_nested_loops_over_a_traced_array():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(6, 4)).astype(np.float32)
    out = np.asarray(bp.math.jit(row_maxima)(bp.math.asarray(m)))
    np.testing.assert_allclose(out, np.maximum(m.max(0), 0.0))


class LIF(bp.Base):
    """A small neuron model whose run loop is native Python."""

    def __init__(self, n):
        super().__init__()
        self.V = bp.math.Variable(bp.math.zeros(n))
        self.spikes = bp.math.Variable(bp.math.zeros(n))

    def step(self, current):
        self.V += (-self.V + current) * 0.1
        fired = self.V > 1.0
        self.V.value = bp.math.where(fired, 0.0, self.V)
        self.spikes += fired

    def run(self, current, n_steps):
        for _ in range(n_steps):
            self.step(current)
            if self.spikes.sum() > 50:
                self.V *= 0.5
        return self.spikes.value


def test_time_loop_of_a_neuron_model_matches_numpy():
    current = np.array([0.5, 1.5, 3.0, 5.0], dtype=np.float32)
    jax_model = LIF(4)
    run = bp.math.jit(jax_model.run)
    out = np.asarray(run(bp.math.asarray(current), 60))
    with bp.math.backend("numpy"):
        ref_model = LIF(4)
        ref = np.asarray(ref_model.run(current.astype(np.float64), 60))
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(np.asarray(jax_model.V), np.asarray(ref_model.V), atol=1e-5)
    # the state persists: a second run continues
    out2 = np.asarray(run(bp.math.asarray(current), 60))
    with bp.math.backend("numpy"):
        ref2 = np.asarray(ref_model.run(current.astype(np.float64), 60))
    np.testing.assert_array_equal(out2, ref2)


def polynomial(w, xs):
    y = 0.0
    for x in xs:  # a traced array: lax.scan
        if w > 0:  # a traced condition: lax.cond
            y = y * w + x
        else:
            y = y * 2.0
    return y


def test_gradients_flow_through_converted_loops_and_conditions():
    xs = bp.math.asarray(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    grad = bp.math.grad(polynomial)
    # y = w^2 + 2w + 3 on the positive branch: dy/dw = 2w + 2; zero on the other
    assert float(grad(1.5, xs)) == pytest.approx(2 * 1.5 + 2, rel=1e-5)
    assert float(grad(-1.5, xs)) == 0.0
    assert float(bp.math.jit(grad)(2.0, xs)) == pytest.approx(2 * 2.0 + 2, rel=1e-5)


def power(w, n):
    y = 1.0
    for _ in range(n):
        y = y * w
    return y


def test_gradient_through_a_loop_with_a_static_bound():
    # JAX's reverse mode needs static loop bounds: mark the bound static
    g = bp.math.jit(bp.math.grad(power), static_argnums=1)
    assert float(g(2.0, 3)) == pytest.approx(3 * 2.0**2, rel=1e-5)


def loop_with_break(x, n):
    total = 0.0
    for i in range(n):
        if i > 3:
            break
        total = total + x[i]
    return total


def test_break_in_a_traced_loop_names_the_line():
    f = bp.math.jit(loop_with_break)
    with pytest.raises(
        control_flow.ControlFlowError, match=r"test_autograph.py, line \d+.*'break'"
    ):
        f(bp.math.ones(5), 5)
    # with a static bound Python runs the loop as written
    g = bp.math.jit(loop_with_break, static_argnums=1)
    assert float(g(bp.math.ones(6), 6)) == 4.0


def early_return(x):
    if x > 0:
        return x * 2
    return -x


def test_return_in_a_traced_condition_names_the_line():
    with pytest.raises(control_flow.ControlFlowError, match="'return'"):
        bp.math.jit(early_return)(1.0)


def different_shapes(x):
    if x > 0:
        y = bp.math.zeros(2)
    else:
        y = bp.math.zeros(3)
    return y


def test_branches_with_different_shapes_name_both():
    with pytest.raises(control_flow.ControlFlowError, match=r"'y'.*float32\[2\].*float32\[3\]"):
        bp.math.jit(different_shapes)(1.0)


def shrinking(x, n):
    for _ in range(n):
        x = x[1:]
    return x


def test_traced_loop_changing_a_shape_names_the_variable():
    with pytest.raises(control_flow.ControlFlowError, match=r"'x' is float32\[4\] before the loop"):
        bp.math.jit(shrinking)(bp.math.ones(4), 2)


class Grower(bp.Base):
    def __init__(self):
        super().__init__()
        self.h = bp.math.Variable(bp.math.zeros(3))

    def run(self, n):
        for _ in range(n):
            self.h.value = bp.math.zeros(4)


def test_traced_loop_changing_a_variable_shape_names_it():
    g = Grower()
    with pytest.raises(ValueError, match=r"Grower\d+\.h"):
        bp.math.jit(g.run)(2)
    assert np.asarray(g.h).shape == (3,)


def one_branch_only(x):
    if x > 0:
        y = x
    return y  # noqa: F821


def test_name_assigned_in_one_branch_only():
    with pytest.raises(control_flow.ControlFlowError, match="'y' is assigned in only one branch"):
        bp.math.jit(one_branch_only)(1.0)


def test_static_values_keep_python_semantics():
    calls = []

    def f(x):
        for i in range(3):  # static: unrolled by Python, one side effect per iteration
            calls.append(i)
            x = x + i
        if len(calls) > 1:  # a Python bool: plain Python
            x = x * 10
        return x

    assert float(bp.math.jit(f)(1.0)) == (1 + 0 + 1 + 2) * 10
    assert calls[:3] == [0, 1, 2]


def test_conversion_can_be_switched_off():
    f = bp.math.jit(masked_sum, auto_control_flow=False)
    with pytest.raises(TypeError, match="bp.math.cond"):
        f(bp.math.ones(3), 3)


def test_show_code_prints_the_converted_source(capsys):
    bp.math.jit(masked_sum, show_code=True)(bp.math.ones(3), 2)
    out = capsys.readouterr().out
    assert "__bj_loops.for_range" in out and "__bj.if_stmt" in out


def test_converted_source_keeps_functions_without_control_flow_intact():
    def plain(x):
        return x * 2 + 1

    assert float(autograph.convert(plain)(3.0)) == 7.0
