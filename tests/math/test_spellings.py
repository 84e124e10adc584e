"""BrainPy's spellings in the compilers: ``dyn_vars=`` and ``make_loop`` / ``make_while`` /
``make_cond`` on both backends.

``dyn_vars`` carries no information in brainjit (the Variables are found by tracing or
by the rewriter), so the tests check that it is accepted wherever BrainPy takes it,
that results are the same as without it, and that a listed item that is not a
Variable is a TypeError naming it. The make_* factories are checked against the same
computation written as a plain Python loop over NumPy arrays.
"""

import numpy as np
import pytest

import brainjit as bp

bm = bp.math


class Acc(bp.Base):
    def __init__(self):
        super().__init__()
        self.total = bm.Variable(bm.zeros(2))
        self.n = bm.Variable(bm.zeros(()))

    def step(self, x):
        self.total += x
        self.n += 1.0
        return self.total.sum()

    def run(self, xs):
        return bm.for_loop(self.step, xs, dyn_vars=self.vars())

    def run_bad(self, xs):
        return bm.for_loop(self.step, xs, dyn_vars=[self.total, self.n, 3.0])


def test_dyn_vars_accepted_by_jit_and_control_flow(backend):
    acc = Acc()
    xs = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    run = bm.jit(acc.run, dyn_vars=acc.vars())
    out = np.asarray(run(bm.asarray(xs)))
    np.testing.assert_allclose(out, np.cumsum(xs.sum(1)))
    np.testing.assert_allclose(np.asarray(acc.total), xs.sum(0))
    # eager, with each spelling of the collection
    for dyn_vars in (acc.total, [acc.total, acc.n], (acc.total,), {"t": acc.total}):
        bm.for_loop(acc.step, bm.asarray(xs), dyn_vars=dyn_vars)
    np.testing.assert_allclose(np.asarray(acc.total), 5 * xs.sum(0))
    out = bm.while_loop(
        lambda i: (acc.step(bm.ones(2)), i + 1)[1],
        lambda i: i < 3,
        bm.asarray(0),
        dyn_vars=acc.vars(),
    )
    assert int(out) == 3
    np.testing.assert_allclose(np.asarray(acc.total), 5 * xs.sum(0) + 3)
    assert float(bm.cond(True, lambda: 1.0, lambda: 2.0, (), dyn_vars=[acc.n])) == 1.0
    assert float(bm.ifelse([False], [lambda: 1.0, lambda: 2.0], (), dyn_vars=acc.n)) == 2.0


@pytest.mark.parametrize("where", ["jit", "for_loop", "while_loop", "cond", "ifelse"])
def test_dyn_vars_not_a_variable_is_a_type_error(backend, where):
    acc = Acc()
    bad = {"total": acc.total, "w": np.ones(2)}
    calls = {
        "jit": lambda: bm.jit(acc.step, dyn_vars=bad),
        "for_loop": lambda: bm.for_loop(acc.step, bm.ones((2, 2)), dyn_vars=bad),
        "while_loop": lambda: bm.while_loop(lambda i: i, lambda i: False, 0, dyn_vars=bad),
        "cond": lambda: bm.cond(True, lambda: 1.0, lambda: 0.0, (), dyn_vars=bad),
        "ifelse": lambda: bm.ifelse([True], [lambda: 1.0, lambda: 0.0], (), dyn_vars=bad),
    }
    with pytest.raises(TypeError, match=rf"bp\.math\.{where}: dyn_vars\['w'\] \(ndarray\)"):
        calls[where]()
    np.testing.assert_allclose(np.asarray(acc.total), 0.0)  # nothing ran


def test_dyn_vars_in_numpy_compiled_code():
    acc = Acc()
    out = bm.jit(acc.run)(np.arange(4.0).reshape(2, 2))
    np.testing.assert_allclose(out, [1.0, 6.0])
    with pytest.raises(TypeError, match=r"dyn_vars\[2\] \(float\) is not a Variable") as info:
        bm.jit(acc.run_bad)(np.ones((2, 2)))
    assert "dyn_vars=[self.total, self.n, 3.0]" in str(info.value)  # the line


def test_make_loop_against_python_loop(backend):
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(5, 3)).astype(np.float32)
    a = bm.Variable(bm.zeros(3))
    b = bm.Variable(bm.ones(3))

    def body(x):
        a.value = a * 0.5 + x
        b.value = b + a
        return a.sum()

    loop = bm.make_loop(body, dyn_vars=[a, b], out_vars={"a": a, "b": b}, has_return=True)
    hist, results = loop(bm.asarray(xs))
    # the plain Python loop
    ea, eb, ha, hb, rs = np.zeros(3), np.ones(3), [], [], []
    for x in xs:
        ea = ea * 0.5 + x
        eb = eb + ea
        ha.append(ea)
        hb.append(eb)
        rs.append(ea.sum())
    np.testing.assert_allclose(np.asarray(hist["a"]), ha, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(hist["b"]), hb, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(results), rs, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(a), ea, rtol=1e-5)
    # a single out Variable: its history; none: None
    single = bm.make_loop(body, dyn_vars=[a, b], out_vars=a)(bm.asarray(xs[:2]))
    assert np.asarray(single).shape == (2, 3)
    assert bm.make_loop(body, dyn_vars=[a, b])(bm.asarray(xs[:2])) is None
    with pytest.raises(TypeError, match=r"out_vars"):
        bm.make_loop(body, dyn_vars=[a], out_vars=[a, 1.0])


def test_make_while_and_make_cond_against_python(backend):
    a = bm.Variable(bm.zeros(1))
    step = bm.Variable(bm.ones(1))

    def cond_f(x):
        return a[0] < 10.0

    def body_f(x):
        a.value = a + step

    loop = bm.make_while(cond_f, body_f, dyn_vars=[a])
    assert loop() is None
    np.testing.assert_allclose(np.asarray(a), [10.0])
    # with an input x: the body receives it
    c = bm.Variable(bm.zeros(2))
    bm.make_while(lambda x: c[0] < 7.0, lambda x: c.__iadd__(x), dyn_vars=c)(bm.asarray([2.0, 1.0]))
    np.testing.assert_allclose(np.asarray(c), [8.0, 4.0])  # python: 0,2,4,6,8 / 0..4

    d = bm.Variable(bm.zeros(2))
    e = bm.Variable(bm.ones(2))

    def true_f(x):
        d.value = d + x
        return d.sum()

    def false_f(x):
        e.value = e - x
        return e.sum()

    branch = bm.make_cond(true_f, false_f, dyn_vars=[d, e])
    assert float(branch(True, bm.asarray([1.0, 2.0]))) == 3.0
    assert float(branch(False, bm.asarray([1.0, 1.0]))) == 0.0
    np.testing.assert_allclose(np.asarray(d), [1.0, 2.0])
    np.testing.assert_allclose(np.asarray(e), [0.0, 0.0])
    # BrainPy 1.1's form without an input
    g = bm.Variable(bm.zeros(2))

    def inc(x):
        g.value = g + 1.0

    no_x = bm.make_cond(inc, lambda x: None, dyn_vars=[g])
    no_x(True)
    np.testing.assert_allclose(np.asarray(g), [1.0, 1.0])


def test_make_loop_inside_jit_on_jax():
    bm.use_backend("jax")
    v = bm.Variable(bm.zeros(2))

    def body(x):
        v.value = v + x

    loop = bm.make_loop(body, dyn_vars=[v], out_vars=v)
    run = bm.jit(lambda xs: loop(xs))
    xs = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(np.asarray(run(bm.asarray(xs))), np.cumsum(xs, 0))
    np.testing.assert_allclose(np.asarray(v), xs.sum(0))


def test_make_loop_inside_numpy_compiled_code_is_a_clear_error():
    a = bm.Variable(np.zeros(2))

    def body(x):
        a.value = a + x

    loop = bm.make_loop(body, dyn_vars=[a], out_vars=a)

    def run(xs):
        return loop(xs)

    with pytest.raises(TypeError, match=r"made by bp\.math\.make_loop cannot run in compiled"):
        bm.jit(run)(np.ones((3, 2)))
    np.testing.assert_allclose(run(np.ones((3, 2)))[:, 0], [1.0, 2.0, 3.0])  # eager: works
