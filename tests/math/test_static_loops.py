"""``for i in range(n)`` with a static ``n`` in traced jax code: rolled, not unrolled.

References: the same function run eagerly on NumPy arrays (Python's own loop), the
same jitted function with rolling switched off (``static_loops.ROLL_ABOVE`` raised:
the loop unrolls as before), and hand-written pure JAX (``jax.grad`` of a loop).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._jax import static_loops


@pytest.fixture(autouse=True)
def _jax():
    bp.math.use_backend("jax")


def run_noting(f, *args):
    """``f(*args)`` and the notes of the static loops it traced (once each: the first
    call of a jitted function may trace twice)."""
    with static_loops.collect() as notes:
        out = f(*args)
    return out, list({str(n): n for n in notes}.values())


# -- locals: accumulators, nested loops, start/stop/step, len(x), temporaries -----------


def accumulate(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * i
    return total


def nested(x, y):
    acc = 0.0
    for i in range(10):
        row = 0.0
        for j in range(3, 40, 3):
            row = row + x[i] * y[j]
        acc = acc * 0.5 + row
    return acc


def backwards(x):
    s = 0.0
    for i in range(39, 0, -2):
        s = s * 0.5 + x[i]
    return s


def last_value(x):
    for i in range(20):
        last = x[i] * 2.0 + i  # first assigned in the loop, read after it
    return last


def in_place(x):
    arr = bp.math.zeros(12)
    for i in range(12):
        arr[i] += x[i] * 2.0
        if i % 3 == 0:  # a condition on the (traced) index: a lax.cond
            arr[i] += 1.0
    return arr


X = np.linspace(-1.0, 2.0, 40).astype(np.float32)
Y = np.cos(np.arange(40, dtype=np.float32))


@pytest.mark.parametrize(
    "func, args, loops",
    [
        (accumulate, (X[:30],), 1),
        (nested, (X, Y), 2),
        (backwards, (X,), 1),
        (last_value, (X,), 1),
        (in_place, (X,), 1),
    ],
)
def test_rolled_loops_match_python(func, args, loops):
    out, notes = run_noting(bp.math.jit(func), *map(bp.math.asarray, args))
    ref = func(*args)  # plain Python and NumPy
    np.testing.assert_allclose(np.asarray(out), ref, rtol=2e-6, atol=1e-6)
    assert notes and all(n.rolled for n in notes), [str(n) for n in notes]
    assert len(notes) == loops


def scaled(x, n):
    for _ in range(n):
        x = x * 0.999 + bp.math.sin(x) * 0.001
    return x


def test_program_size_does_not_grow_with_n():
    f = bp.math.jit(scaled, static_argnums=1)
    x = bp.math.ones(3)
    sizes = {}
    for n in (20, 10_000):
        text = str(jax.make_jaxpr(lambda v, n=n: f(v, n).value)(x.value))
        sizes[n] = len(text.splitlines())
    assert sizes[20] == sizes[10_000]
    ref = np.ones(3, np.float32)
    for _ in range(10_000):
        ref = ref * np.float32(0.999) + np.sin(ref) * np.float32(0.001)
    np.testing.assert_allclose(np.asarray(f(x, 10_000)), ref, rtol=1e-4)


def sines(x, n):
    total = 0.0  # a static accumulator: its type is known after one iteration
    for i in range(n):
        total = total + bp.math.sin(x[i % 3])
    return total


def test_the_first_iteration_runs_before_the_loop_only_when_needed():
    """A body whose carried names are all traced arrays is traced once, inside the loop;
    a static accumulator (``0.0``) makes the first iteration run before it."""
    x = bp.math.asarray(np.array([0.1, 0.2, 0.3], np.float32))
    programs, notes = {}, {}
    for func in (scaled, sines):
        f = bp.math.jit(func, static_argnums=1)
        with static_loops.collect() as found:
            programs[func] = str(jax.make_jaxpr(lambda v, f=f: f(v, 50).value)(x.value))
        notes[func] = found[0]
    assert programs[scaled].count(" sin ") == 1  # one body: inside the fori_loop
    assert notes[scaled].rolled and not notes[scaled].peeled
    assert str(notes[scaled]).endswith("50 iterations rolled into lax.fori_loop")
    assert programs[sines].count(" sin ") == 2  # the first iteration, then the loop
    assert notes[sines].rolled and notes[sines].peeled
    assert "(the first iteration runs before it, 49 in the loop)" in str(notes[sines])
    ref = sum(np.sin(np.float32([0.1, 0.2, 0.3]))[i % 3] for i in range(50))
    np.testing.assert_allclose(float(bp.math.jit(sines, static_argnums=1)(x, 50)), ref, rtol=1e-5)


def test_short_loops_stay_unrolled():
    out, notes = run_noting(bp.math.jit(scaled, static_argnums=1), bp.math.ones(2), 8)
    assert notes == []  # 8 iterations: unrolled, nothing to report
    np.testing.assert_allclose(np.asarray(out), scaled(np.ones(2, np.float32), 8), rtol=1e-6)


# -- Variables, attributes holding Variables, random draws, for_loop in the body ------


class Cell(bp.Base):
    def __init__(self):
        super().__init__()
        self.V = bp.math.Variable(bp.math.zeros(4))


class Model(bp.Base):
    def __init__(self):
        super().__init__()
        self.cell = Cell()
        self.count = bp.math.Variable(bp.math.zeros(()))
        self.draws = bp.math.Variable(bp.math.zeros(10))
        self.sums = bp.math.Variable(bp.math.zeros(10))

    def step(self, x):
        self.cell.V += x  # a child's Variable
        return self.cell.V.value

    def run(self, inp):
        for i in range(10):
            self.cell.V.value = self.cell.V * 0.9 + inp[i]
            self.count = self.count + 1.0  # an attribute holding a Variable: written into it
            self.draws[i] = bp.math.random.normal()
            self.sums[i] = bp.math.for_loop(self.step, bp.math.ones((3, 4)) * 0.1)[-1].sum()
        return self.cell.V.sum()


def run_model(seed):
    bp.math.random.seed(seed)
    model = Model()
    inp = bp.math.asarray(np.linspace(0, 1, 40, dtype=np.float32).reshape(10, 4))
    out, notes = run_noting(bp.math.jit(model.run), inp)
    return model, out, notes


def test_variables_random_and_for_loop_in_a_rolled_body():
    model, out, notes = run_model(3)
    assert [n.rolled for n in notes] == [True]
    assert float(model.count) == 10.0
    draws = np.asarray(model.draws)
    assert len(np.unique(draws)) == 10  # a fresh key per iteration
    assert 0.3 < draws.std() < 2.0
    # the reference: the same recursion in NumPy
    V = np.zeros(4, np.float32)
    inp = np.linspace(0, 1, 40, dtype=np.float32).reshape(10, 4)
    sums = []
    for i in range(10):
        V = V * np.float32(0.9) + inp[i]
        V = V + np.float32(0.3)  # three for_loop steps of 0.1
        sums.append(V.sum())
    np.testing.assert_allclose(np.asarray(model.cell.V), V, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(model.sums), sums, rtol=1e-5)
    np.testing.assert_allclose(float(out), V.sum(), rtol=1e-5)


class Noisy(bp.Base):
    def __init__(self):
        super().__init__()
        self.v = bp.math.Variable(bp.math.zeros(3))
        self.trace = bp.math.Variable(bp.math.zeros(10))

    def run(self):
        for i in range(10):
            self.v.value = self.v * 0.5 + bp.math.random.uniform(size=3)
            self.trace[i] = self.v.sum()


def run_noisy():
    bp.math.random.seed(7)
    model = Noisy()
    _, notes = run_noting(bp.math.jit(model.run))
    return np.asarray(model.trace), np.asarray(model.v), notes


def test_random_draws_of_the_rolled_loop_equal_the_unrolled_ones(monkeypatch):
    trace, v, notes = run_noisy()
    assert [n.rolled for n in notes] == [True]
    monkeypatch.setattr(static_loops, "ROLL_ABOVE", 10**9)  # unrolled, as before
    trace_unrolled, v_unrolled, notes = run_noisy()
    assert notes == []
    np.testing.assert_allclose(trace, trace_unrolled, rtol=1e-6)
    np.testing.assert_allclose(v, v_unrolled, rtol=1e-6)
    assert len(np.unique(trace)) == 10


# -- bodies that cannot roll: unrolled, with the reason --------------------------------


def python_list(x):
    weights = [0.5 * j for j in range(12)]
    s = 0.0
    for i in range(12):
        s = s + x[i] * weights[i]  # a Python list indexed by i
    return s


def appends(x):
    out = []
    for i in range(12):
        out.append(x[i] * 2.0)
    return bp.math.stack(out)


def growing(x):
    s = x[:1]
    for i in range(1, 12):
        s = bp.math.concatenate([s, x[:1] * i])  # changes shape every iteration
    return s


def counter(x):
    k = 0
    for _ in range(12):
        k += 1  # static: unrolled, k stays a Python int
    return x[:k].sum()


def breaks(x):
    s = 0.0
    for i in range(12):
        if i == 10:
            break
        s = s + x[i]
    return s


@pytest.mark.parametrize(
    "func, reason",
    [
        (python_list, "cannot run on a traced index"),
        (appends, "out.append()"),
        (growing, "'s' is float32[1] before the loop but float32[2]"),
        (counter, "'k' (read after the loop) is computed from static values only"),
        (breaks, "its body uses 'break'"),
    ],
)
def test_bodies_that_cannot_roll_unroll_with_a_reason(func, reason):
    out, notes = run_noting(bp.math.jit(func), bp.math.asarray(X))
    np.testing.assert_allclose(np.asarray(out), func(X), rtol=1e-6)
    assert len(notes) == 1 and not notes[0].rolled
    assert reason in notes[0].reason, notes[0].reason


def long_python_list(x):
    weights = [1.0] * 120
    s = 0.0
    for i in range(120):
        s = s + x[0] * weights[i]
    return s


def test_a_long_unrolled_loop_warns():
    with pytest.warns(UserWarning, match="static range of 120 iterations unrolled"):
        out = bp.math.jit(long_python_list)(bp.math.asarray(X))
    assert float(out) == pytest.approx(120 * X[0], rel=1e-5)


def test_show_code_says_what_became_of_the_loop(capsys):
    bp.math.jit(accumulate, show_code=True)(bp.math.asarray(X[:20]))
    bp.math.jit(python_list, show_code=True)(bp.math.asarray(X))
    out = capsys.readouterr().out
    assert "a for loop over a static range of 20 iterations rolled into lax.fori_loop" in out
    assert "static range of 12 iterations unrolled: the body cannot run" in out
    assert "__bj_loops.for_range" in out


# -- gradients through a rolled loop ----------------------------------------------------


class Leaky(bp.Base):
    """A leaky integrator driven through trainable weights (state: a Variable)."""

    def __init__(self, n_steps):
        super().__init__()
        self.n_steps = n_steps
        self.w = bp.math.TrainVar(bp.math.asarray(np.linspace(0.5, 1.5, 5, dtype=np.float32)))
        self.v = bp.math.Variable(bp.math.zeros(5))

    def loss(self, inp):
        total = 0.0
        for i in range(self.n_steps):
            self.v.value = self.v * 0.95 + self.w * inp[i % 7]
            total = total + bp.math.tanh(self.v).mean()
        return total / self.n_steps


def pure_loss(w, inp, n_steps, rolled):
    def step(i, carry):
        v, total = carry
        v = v * 0.95 + w * jnp.asarray(inp)[i % 7]
        return v, total + jnp.tanh(v).mean()

    carry = (jnp.zeros(5), 0.0)
    if rolled:
        carry = jax.lax.fori_loop(0, n_steps, step, carry)
    else:
        for i in range(n_steps):
            carry = step(i, carry)
    return carry[1] / n_steps


INP = np.sin(np.arange(35, dtype=np.float32)).reshape(7, 5)


@pytest.mark.parametrize("n_steps", [20, 1000])
def test_grad_through_a_rolled_loop_equals_pure_jax(n_steps):
    model = Leaky(n_steps)
    grad = bp.math.grad(model.loss, grad_vars=model.train_vars(), return_value=True)
    (grads, value), notes = run_noting(bp.math.jit(grad), bp.math.asarray(INP))
    assert [n.rolled for n in notes] == [True]
    w = jnp.asarray(model.w.value)
    reference = jax.jit(jax.value_and_grad(pure_loss), static_argnums=(2, 3))
    ref_value, ref_grad = reference(w, INP, n_steps, n_steps > 20)
    (g,) = grads.values()
    np.testing.assert_allclose(float(value), float(ref_value), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(g), np.asarray(ref_grad), rtol=1e-5, atol=1e-7)
