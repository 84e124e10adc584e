"""bp.math.jit on the jax backend: the tutorial's cells [16]-[28], state threading,
caching and retracing, and the errors on bad input."""

import gc
import importlib
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainjit as bp

jit_module = importlib.import_module("brainjit.math._jax.jit")


@pytest.fixture(autouse=True)
def _jax():
    bp.math.use_backend("jax")


def _is_tracer(x):
    return isinstance(getattr(x, "_value", x), jax.core.Tracer)


# -- the tutorial: JIT for functions (cells [16]-[18]) ----------------------------------------
def gelu(x):
    sqrt = bp.math.sqrt(2 / bp.math.pi)
    cdf = 0.5 * (1.0 + bp.math.tanh(sqrt * (x + 0.044715 * (x**3))))
    y = x * cdf
    return y


def gelu_numpy(x):
    x = np.asarray(x, dtype=np.float64)
    return x * 0.5 * (1.0 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def test_gelu_with_and_without_jit_equal_numpy():
    x = bp.math.random.random(1000) * 6 - 3
    gelu_jit = bp.math.jit(gelu)
    plain, jitted = gelu(x), gelu_jit(x)
    assert type(jitted) is bp.math.JaxArray
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(plain), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(jitted), gelu_numpy(x), rtol=1e-5, atol=1e-6)


# -- the tutorial: JIT for objects (cells [22]-[24]) ------------------------------------------
class LogisticRegression(bp.Base):
    def __init__(self, dimension):
        super().__init__()
        self.dimension = dimension
        self.w = bp.math.Variable(2.0 * bp.math.ones(dimension) - 1.3)

    def __call__(self, X, Y):
        u = bp.math.dot(((1.0 / (1.0 + bp.math.exp(-Y * bp.math.dot(X, self.w))) - 1.0) * Y), X)
        self.w[:] = self.w - u


def test_logistic_regression_jit_matches_numpy_reference():
    num_dim, num_points = 10, 200
    points = bp.math.random.random((num_points, num_dim)) * 0.1
    labels = bp.math.random.random(num_points) * 0.1
    lr = LogisticRegression(num_dim)
    jit_lr = bp.math.jit(lr)
    X, Y = np.asarray(points, np.float64), np.asarray(labels, np.float64)
    w = 2.0 * np.ones(num_dim) - 1.3
    for _ in range(5):
        jit_lr(points, labels)
        u = (((1.0 / (1.0 + np.exp(-Y * (X @ w)))) - 1.0) * Y) @ X
        w = w - u
        np.testing.assert_allclose(np.asarray(lr.w), w, rtol=1e-4, atol=1e-5)
    assert isinstance(lr.w, bp.math.Variable) and lr.w.dtype == jnp.float32
    assert jit_lr.num_traces == 2  # discovery + compile, then never again


def test_logistic_regression_jit_equals_plain_object():
    points = bp.math.random.random((100, 10))
    labels = bp.math.random.random(100)
    lr1, lr2 = LogisticRegression(10), LogisticRegression(10)
    jit_lr2 = bp.math.jit(lr2)
    for _ in range(3):
        lr1(points, labels)
        jit_lr2(points, labels)
    np.testing.assert_allclose(np.asarray(lr2.w), np.asarray(lr1.w), rtol=1e-5)


# -- the tutorial: Demo1, Demo2, Demo3 (cells [26]-[28]) --------------------------------------
class Demo1(bp.Base):
    def __init__(self):
        super().__init__()
        self.a = 1.0

    def update(self, b):
        self.a = b


class Demo2(bp.Base):
    def __init__(self):
        super().__init__()
        self.a = bp.math.Variable(1.0)

    def update(self, b):
        self.a = b


class Demo3(bp.Base):
    def __init__(self):
        super().__init__()
        self.a = bp.math.Variable(1.0)

    def update(self, b):
        self.a[...] = b


def test_demo1_non_variable_attribute_is_a_constant():
    d1 = Demo1()
    with pytest.warns(UserWarning, match=rf"{d1.name}\.a .*not a Variable"):
        bp.math.jit(d1.update)(2.0)
    assert d1.a == 1.0 and type(d1.a) is float


def test_demo2_assigning_a_variable_attribute_persists(capsys):
    d2 = Demo2()
    update = bp.math.jit(d2.update, show_code=True)
    update(2.0)
    assert isinstance(d2.a, bp.math.Variable)
    assert float(d2.a) == 2.0 and d2.a.dtype == jnp.float32
    out = capsys.readouterr().out
    assert "traced program" in out and f"{d2.name}.a" in out and "lambda" in out
    update(3.0)  # a weakly typed Python float written back: no retrace
    assert float(d2.a) == 3.0
    assert update.num_traces == 2  # the first call traces twice, then never again


def test_demo3_in_place_update_persists():
    d3 = Demo3()
    bp.math.jit(d3.update)(2.0)
    assert isinstance(d3.a, bp.math.Variable)
    assert float(d3.a) == 2.0


# -- random numbers ----------------------------------------------------------------------
def test_random_numbers_fresh_each_call_and_reproducible_after_seed():
    @bp.math.jit
    def draw():
        return bp.math.random.random(5)

    a, b = np.asarray(draw()), np.asarray(draw())
    assert not np.allclose(a, b)
    bp.math.random.seed(123)
    first = [np.asarray(draw()) for _ in range(3)]
    bp.math.random.seed(123)
    second = [np.asarray(draw()) for _ in range(3)]
    np.testing.assert_array_equal(np.stack(first), np.stack(second))
    # the same numbers as without jit
    bp.math.random.seed(123)
    plain = np.asarray(bp.math.random.random(5))
    np.testing.assert_array_equal(first[0], plain)
    assert draw.num_traces == 2


def test_random_state_attribute_threads_its_key():
    class Noisy(bp.Base):
        def __init__(self):
            super().__init__()
            self.rng = bp.math.random.RandomState(7)
            self.x = bp.math.Variable(bp.math.zeros(3))

        def update(self):
            self.x += self.rng.normal(size=3)

    n1, n2 = Noisy(), Noisy()
    f = bp.math.jit(n1.update)
    for _ in range(4):
        f()
        n2.update()
    np.testing.assert_allclose(np.asarray(n1.x), np.asarray(n2.x), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(n1.rng.value), np.asarray(n2.rng.value))


# -- object trees, sharing, containers, nesting -----------------------------------------------
class Leaf(bp.Base):
    def __init__(self, n, scale):
        super().__init__()
        self.scale = scale
        self.v = bp.math.Variable(bp.math.ones(n))

    def update(self, inp):
        self.v.value = self.v * self.scale + inp
        return self.v.sum()


class Tree(bp.Base):
    def __init__(self):
        super().__init__()
        self.left = Leaf(3, 0.5)
        self.layers = [Leaf(3, 2.0), Leaf(3, -1.0)]
        self.by_name = {"a": Leaf(3, 3.0)}
        self.total = bp.math.Variable(bp.math.zeros(()))

    def update(self, inp):
        s = self.left.update(inp)
        for layer in self.layers:
            s = s + layer.update(inp)
        s = s + self.by_name["a"].update(inp)
        self.total += s
        return s


def test_nested_objects_lists_and_dicts():
    t1, t2 = Tree(), Tree()
    f = bp.math.jit(t2.update)
    inp = bp.math.arange(3.0)
    for _ in range(3):
        expected = t1.update(inp)
        got = f(inp)
        np.testing.assert_allclose(float(got), float(expected), rtol=1e-6)
    for (_, v1), (k2, v2) in zip(t1.vars().items(), t2.vars().items()):
        np.testing.assert_allclose(np.asarray(v2), np.asarray(v1), rtol=1e-6, err_msg=k2)
    assert len(f.variables["written"]) == 5


def test_shared_variable_is_threaded_once():
    shared = bp.math.Variable(bp.math.zeros(2))

    class User(bp.Base):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def update(self):
            self.v += 1.0

    class Pair(bp.Base):
        def __init__(self):
            super().__init__()
            self.a, self.b = User(shared), User(shared)

        def update(self):
            self.a.update()
            self.b.update()

    pair = Pair()
    f = bp.math.jit(pair.update)
    f()
    f()
    np.testing.assert_array_equal(np.asarray(shared), [4.0, 4.0])
    assert f.variables["written"] == [shared]


class Counter(bp.Base):
    def __init__(self):
        super().__init__()
        self.n = bp.math.Variable(bp.math.zeros((), dtype=jnp.int32))
        self.x = bp.math.Variable(bp.math.zeros(3))
        self.step = bp.math.jit(self._step)
        self.run = bp.math.jit(self._run)

    def _step(self, d):
        self.n += 1
        self.x += d
        return self.x.sum()

    def _run(self, d, k):
        total = 0.0
        for _ in range(k):
            total = total + self.step(d)
        return total


def test_jitted_method_calling_jitted_method():
    c = Counter()
    d = bp.math.ones(3)
    c.step(d)  # the inner one compiled alone first
    assert int(c.n) == 1
    run = bp.math.jit(c._run, static_argnums=1)
    total = run(d, 3)
    assert int(c.n) == 4
    np.testing.assert_allclose(np.asarray(c.x), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(float(total), 2 * 3 + 3 * 3 + 4 * 3)
    c.step(d)  # the inner one still works alone, on the updated state
    assert int(c.n) == 5 and float(c.x[0]) == 5.0
    assert not any(_is_tracer(v) for v in c.vars().values())


def test_jit_decorator_on_methods_in_a_class_body():
    class Acc(bp.Base):
        def __init__(self, start):
            super().__init__()
            self.x = bp.math.Variable(bp.math.full(2, float(start)))

        @bp.math.jit
        def add(self, y):
            self.x += y
            return self.x * 1

        @bp.math.jit
        def twice(self, y):
            self.add(y)
            return self.add(y)

    a, b = Acc(0), Acc(10)
    np.testing.assert_array_equal(np.asarray(a.add(1.0)), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(b.twice(2.0)), [14.0, 14.0])
    np.testing.assert_array_equal(np.asarray(a.twice(1.0)), [3.0, 3.0])
    assert a.add is a.add  # the bound jitted method is cached on the instance
    np.testing.assert_array_equal(np.asarray(b.x), [14.0, 14.0])


_GLOBAL = {}


def _bump_global(x):
    _GLOBAL["v"].value = _GLOBAL["v"] + x
    return _GLOBAL["v"] * 2


def test_closures_and_module_globals():
    _GLOBAL["v"] = bp.math.Variable(bp.math.zeros(2))
    f = bp.math.jit(_bump_global)
    f(1.0)
    out = f(bp.math.ones(2))
    np.testing.assert_array_equal(np.asarray(_GLOBAL["v"]), [2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(out), [4.0, 4.0])

    hidden = bp.math.Variable(bp.math.ones(()))

    def closure(x):
        hidden.value = hidden * x
        return hidden + 0

    g = bp.math.jit(closure)
    g(2.0)
    g(3.0)
    assert float(hidden) == 6.0


def test_variable_replaced_between_calls_is_read_afresh():
    v = bp.math.Variable(bp.math.zeros(3))
    f = bp.math.jit(lambda: v * 2)
    np.testing.assert_array_equal(np.asarray(f()), [0, 0, 0])
    v.value = bp.math.arange(3.0)  # changed outside jit: seen by the next call
    np.testing.assert_array_equal(np.asarray(f()), [0, 2, 4])
    assert f.variables == {"written": [], "read": [v]}


# -- arguments and outputs --------------------------------------------------------------------
def test_accepts_jaxarray_variable_jax_and_numpy_arrays_returns_jaxarray():
    f = bp.math.jit(lambda x, y: (x + y, {"p": x * y, "n": 3.0}))
    x32 = np.arange(3, dtype=np.float32)
    for x in (bp.math.arange(3.0), bp.math.Variable(bp.math.arange(3.0)), jnp.arange(3.0), x32):
        s, d = f(x, np.ones(3, np.float32))
        assert type(s) is bp.math.JaxArray and type(d["p"]) is bp.math.JaxArray
        assert type(d["n"]) is bp.math.JaxArray and float(d["n"]) == 3.0
        np.testing.assert_array_equal(np.asarray(s), [1.0, 2.0, 3.0])
    # JaxArray, jax and NumPy arrays of one shape/dtype share one compiled program; no
    # Variables are used, so no second trace; a Variable argument is another pytree type
    assert f.num_traces == 2


def test_variable_argument_written_in_place_persists():
    def inc(v, by):
        v += by
        return v.sum()

    f = bp.math.jit(inc)
    v = bp.math.Variable(bp.math.zeros(2))
    f(v, 1.0)
    out = f(v, 2.0)
    np.testing.assert_array_equal(np.asarray(v), [3.0, 3.0])
    assert float(out) == 6.0
    w = bp.math.Variable(bp.math.ones(2))
    f(w, 1.0)  # another Variable through the same program
    np.testing.assert_array_equal(np.asarray(w), [2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(v), [3.0, 3.0])


def test_returning_a_variable_returns_its_value():
    v = bp.math.Variable(bp.math.ones(2))

    def f():
        v.value = v * 3
        return v

    out = bp.math.jit(f)()
    assert type(out) is bp.math.JaxArray
    np.testing.assert_array_equal(np.asarray(out), [3.0, 3.0])
    np.testing.assert_array_equal(np.asarray(v), [3.0, 3.0])


def test_static_arguments_and_keywords():
    calls = []

    def power(x, n, *, mode="sum"):
        calls.append(n)
        y = x**n
        return y.sum() if mode == "sum" else y.max()

    f = bp.math.jit(power, static_argnums=1, static_argnames="mode")
    x = bp.math.arange(4.0)
    assert float(f(x, 2)) == 14.0
    assert float(f(x, 2)) == 14.0
    assert float(f(x, 3)) == 36.0
    assert float(f(x, 3, mode="max")) == 27.0
    assert float(f(x, n=2)) == 14.0  # static by position, passed by name
    assert calls == [2, 3, 3, 2]  # one trace per new static value (no Variables here)


def test_retrace_only_on_new_shapes_dtypes_or_static_values():
    v = bp.math.Variable(bp.math.zeros(()))
    traces = []

    def f(x, k):
        traces.append(1)
        v.value = v + x.sum() * k
        return x * k

    g = bp.math.jit(f, static_argnums=1)
    g(bp.math.ones(3), 1)
    assert len(traces) == 2  # the first call: find the Variables, then compile
    for _ in range(5):
        g(bp.math.ones(3), 1)
        g(np.ones(3, np.float32), 1)
    assert len(traces) == 2
    g(bp.math.ones(4), 1)  # new shape
    assert len(traces) == 3
    g(bp.math.ones(4, dtype=jnp.int32), 1)  # new dtype
    assert len(traces) == 4
    g(bp.math.ones(4), 2)  # new static value
    assert len(traces) == 5
    g(bp.math.ones(3), 1)
    g(bp.math.ones(4), 2)
    assert len(traces) == 5 and g.num_traces == 5
    assert float(v) == 3 * 11 + 4 + 4 + 8 + 3 + 8


def test_jitting_the_same_target_twice_reuses_the_program():
    lr = LogisticRegression(4)
    X, Y = bp.math.ones((3, 4)), bp.math.ones(3)
    bp.math.jit(lr)(X, Y)
    again = bp.math.jit(lr)
    again(X, Y)
    assert again.num_traces == 2
    d = Demo3()
    bp.math.jit(d.update)(1.0)
    assert bp.math.jit(d.update)._core is bp.math.jit(d.update)._core
    assert bp.math.jit(d.update, static_argnums=0)._core is not bp.math.jit(d.update)._core


def test_donate_written_state():
    lr = LogisticRegression(10)
    ref = LogisticRegression(10)
    f = bp.math.jit(lr, donate=True)
    X, Y = bp.math.random.random((50, 10)) * 0.1, bp.math.random.random(50) * 0.1
    for _ in range(3):
        f(X, Y)
        ref(X, Y)
    np.testing.assert_allclose(np.asarray(lr.w), np.asarray(ref.w), rtol=1e-5)


def test_numba_options_are_accepted_for_shared_code():
    lr = LogisticRegression(3)
    bp.math.jit(lr, parallel=True, fastmath=True)(bp.math.ones((2, 3)), bp.math.ones(2))
    with pytest.raises(TypeError, match="unexpected keyword argument.*paralel"):
        bp.math.jit(lr, paralel=True)


# -- caches and memory ----------------------------------------------------------------------
def test_memory_does_not_grow_when_jitting_new_objects_in_a_loop():
    X, Y = bp.math.ones((4, 3)), bp.math.ones(4)
    gc.collect()
    registry_before = len(jit_module._REGISTRY)
    models, variables, cores = [], [], []
    for _ in range(25):
        lr = LogisticRegression(3)
        f = bp.math.jit(lr)
        f(X, Y)
        g = bp.math.jit(lr.__call__)
        g(X, Y)
        models.append(weakref.ref(lr))
        variables.append(weakref.ref(lr.w))
        cores.append(weakref.ref(f._core))
        del lr, f, g
    gc.collect()
    assert sum(r() is not None for r in models) == 0
    assert sum(r() is not None for r in variables) == 0
    assert sum(r() is not None for r in cores) == 0
    assert len(jit_module._REGISTRY) <= registry_before


def test_clear_cache_retraces():
    traces = []

    def f(x):
        traces.append(1)
        return x + 1

    g = bp.math.jit(f)
    g(1.0)
    g(1.0)
    assert len(traces) == 1
    bp.math.clear_cache()
    assert len(jit_module._REGISTRY) == 0
    g(1.0)
    assert len(traces) == 2
    assert bp.math.jit(f)._core is not g._core  # the registry was emptied


# -- errors and safety ----------------------------------------------------------------------
def test_python_if_on_traced_value_names_the_value_and_the_control_flow_api():
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError) as info:
        bp.math.jit(f, auto_control_flow=False)(1.0)
    msg = str(info.value)
    assert "argument x" in msg and "if x > 0" in msg
    for api in ("bp.math.cond", "bp.math.ifelse", "bp.math.for_loop", "bp.math.while_loop"):
        assert api in msg


def test_python_if_on_a_variable_names_the_line():
    class Gate(bp.Base):
        def __init__(self):
            super().__init__()
            self.v = bp.math.Variable(bp.math.zeros(()))

        def update(self):
            if self.v > 0:
                self.v += 1

    g = Gate()
    with pytest.raises(TypeError, match=r"if self\.v > 0.*bp\.math\.cond"):
        bp.math.jit(g.update, auto_control_flow=False)()
    assert not _is_tracer(g.v) and float(g.v) == 0.0
    # converted (the default), the same method compiles and behaves as in Python
    update = bp.math.jit(g.update)
    update()
    assert float(g.v) == 0.0
    g.v.value = bp.math.asarray(0.5)
    update()
    assert float(g.v) == 1.5


def test_writing_a_variable_with_another_shape_raises_at_trace_time():
    class Bad(bp.Base):
        def __init__(self):
            super().__init__()
            self.v = bp.math.Variable(bp.math.zeros(3))

        def update(self, x):
            self.v.value = x

    b = Bad()
    f = bp.math.jit(b.update)
    with pytest.raises(ValueError, match=rf"'{b.name}\.v' has shape \(3,\)"):
        f(bp.math.ones(4))
    assert not _is_tracer(b.v)
    f(bp.math.ones(3))
    np.testing.assert_array_equal(np.asarray(b.v), [1.0, 1.0, 1.0])


def test_variables_restored_after_an_exception():
    class Fails(bp.Base):
        def __init__(self):
            super().__init__()
            self.a = bp.math.Variable(bp.math.ones(2))
            self.b = bp.math.Variable(bp.math.ones(2))

        def update(self, x, fail):
            self.a.value = self.a + x
            self.b.value = self.b * x
            bp.math.random.random(2)
            if fail:
                raise RuntimeError("boom")
            return self.a

    obj = Fails()
    f = bp.math.jit(obj.update, static_argnums=1)
    for _ in range(2):  # the discovery trace, then a trace with the Variables known
        key_before = np.asarray(bp.math.random.DEFAULT.value)
        with pytest.raises(RuntimeError, match="boom"):
            f(bp.math.ones(2), True)
        np.testing.assert_array_equal(np.asarray(obj.a), [1.0, 1.0])
        np.testing.assert_array_equal(np.asarray(obj.b), [1.0, 1.0])
        np.testing.assert_array_equal(np.asarray(bp.math.random.DEFAULT.value), key_before)
        assert not any(_is_tracer(v) for v in (obj.a, obj.b, bp.math.random.DEFAULT))
        f(bp.math.ones(2), False)  # works, and now the Variables are known
        np.testing.assert_array_equal(np.asarray(obj.a), [2.0, 2.0])
        obj.a.value = bp.math.ones(2)


def test_exception_in_nested_jitted_call_restores_outer_state():
    c = Counter()

    def outer(d):
        c.step(d)
        raise KeyError("inner done")

    with pytest.raises(KeyError):
        bp.math.jit(outer)(bp.math.ones(3))
    assert int(c.n) == 0 and not _is_tracer(c.n) and not _is_tracer(c.x)


def test_no_tracer_leaks_into_attributes_or_plain_arrays():
    class Leaky(bp.Base):
        def __init__(self):
            super().__init__()
            self.buf = bp.math.zeros(3)  # a plain JaxArray, not a Variable
            self.cache = None

        def update(self, x):
            self.buf[0] = x  # in place into a non-Variable array
            self.cache = x * 2  # a new attribute value
            self.extra = x  # a new attribute
            return self.buf.sum()

    obj = Leaky()
    with pytest.warns(UserWarning) as record:
        out = bp.math.jit(obj.update)(5.0)
    assert float(out) == 5.0
    assert not _is_tracer(obj.buf) and float(obj.buf[0]) == 0.0
    assert obj.cache is None and not hasattr(obj, "extra")
    text = " ".join(str(w.message) for w in record)
    assert f"{obj.name}.cache" in text and f"{obj.name}.extra" in text and "JaxArray" in text


def test_variables_created_inside_jitted_code():
    def local_use(x):
        tmp = bp.math.Variable(bp.math.zeros(3))  # a local temporary: fine
        tmp += x
        return tmp * 2

    np.testing.assert_array_equal(np.asarray(bp.math.jit(local_use)(1.0)), [2.0, 2.0, 2.0])

    class Lazy(bp.Base):
        def update(self, x):
            if not hasattr(self, "h"):
                self.h = bp.math.Variable(bp.math.zeros(3))
            self.h += x
            return self.h.sum()

    lazy = Lazy()
    with pytest.raises(ValueError, match=rf"'{lazy.name}\.h'.*created inside the jitted code"):
        bp.math.jit(lazy.update)(1.0)
    assert not hasattr(lazy, "h")
    lazy.update(1.0)  # created outside jit (a first eager call): then it works
    assert float(bp.math.jit(lazy.update)(1.0)) == 6.0

    stash = []

    def escapes(x):
        v = bp.math.Variable(bp.math.ones(2))
        stash.append(v)
        return x

    with pytest.raises(ValueError, match="created inside the jitted code"):
        bp.math.jit(escapes)(1.0)
    assert not _is_tracer(stash[0])


def test_jit_of_a_non_callable_says_what_to_do():
    class NoCall(bp.Base):
        pass

    with pytest.raises(TypeError, match=r"not callable.*bp\.math\.jit\(obj\.update\)"):
        bp.math.jit(NoCall())


def test_replacing_a_variable_or_child_outside_jit_is_noticed():
    class Gain(bp.Base):
        def __init__(self):
            super().__init__()
            self.gain = 2.0
            self.y = bp.math.Variable(bp.math.ones(2))
            self.child = Leaf(2, 1.0)

        def __call__(self):
            self.y.value = self.gain * self.y + self.child.update(0.0)

    g = Gain()
    step = bp.math.jit(g)
    step()  # y = 2 * 1 + 2
    np.testing.assert_array_equal(np.asarray(g.y), [4.0, 4.0])
    g.y = bp.math.Variable(bp.math.zeros(2))  # a new Variable: used by the next call
    step()
    np.testing.assert_array_equal(np.asarray(g.y), [2.0, 2.0])
    g.child = Leaf(2, 0.0)  # a new child object: too
    step()
    np.testing.assert_array_equal(np.asarray(g.y), [4.0 + 0.0, 4.0])
    g.gain = 10.0  # a constant: only after recompile()
    step()
    np.testing.assert_array_equal(np.asarray(g.y), [8.0, 8.0])
    step.recompile()
    step()
    np.testing.assert_array_equal(np.asarray(g.y), [80.0, 80.0])


def test_many_variables():  # beyond the generated hot path's unrolled size
    vs = [
        bp.math.Variable(bp.math.full(2, float(i))) for i in range(jit_module._DISPATCH_UNROLL + 6)
    ]
    consts = [bp.math.Variable(bp.math.ones(2)) for _ in range(3)]

    @bp.math.jit
    def step():
        for v in vs:
            v += consts[0] + consts[1] + consts[2]

    step()
    step()
    np.testing.assert_array_equal(np.asarray(vs[-1]), [len(vs) - 1 + 6.0] * 2)
    assert len(step.variables["written"]) == len(vs) and len(step.variables["read"]) == 3


def test_the_suggested_control_flow_api_works_inside_jit():
    class Gate(bp.Base):
        def __init__(self):
            super().__init__()
            self.v = bp.math.Variable(bp.math.zeros(()))
            self.total = bp.math.Variable(bp.math.zeros(()))

        def update(self, x):
            bp.math.cond(x > 0, lambda: self.v.__iadd__(x), lambda: self.v.__isub__(1.0))

        def accumulate(self, xs):
            def body(x):
                self.total.value = self.total + x

            bp.math.for_loop(body, xs)

    g = Gate()
    update = bp.math.jit(g.update)
    update(2.0)
    update(-5.0)
    update(0.5)
    assert float(g.v) == 1.5
    bp.math.jit(g.accumulate)(bp.math.arange(4.0))
    assert float(g.total) == 6.0


def test_time_loops_compile_without_copies_of_the_state():
    """XLA's region analysis (``COMPILER_OPTIONS``) removes the copies XLA's CPU
    compiler makes otherwise of state that a step reads and then overwrites (a neuron
    update: V read by several outputs, the input cleared at the end); the same values."""

    class Neurons(bp.Base):
        def __init__(self):
            super().__init__()
            self.V = bp.math.Variable(bp.math.linspace(0.0, 2.0, 64))
            self.input = bp.math.Variable(bp.math.zeros(64))
            self.t_last = bp.math.Variable(bp.math.zeros(64) - 1e7)
            self.spike = bp.math.Variable(bp.math.zeros(64, dtype=bool))

        def run(self, n):
            for i in range(n):
                self.input += 0.3
                V = self.V + (self.input - self.V) * 0.1
                spike = V > 1.0
                self.spike.value = spike
                self.t_last.value = bp.math.where(spike, i * 0.1, self.t_last)
                self.V.value = bp.math.where(spike, 0.0, V)
                self.input.value = bp.math.zeros_like(self.input)

    def compiled(options):
        model = Neurons()
        before = jit_module.COMPILER_OPTIONS
        jit_module.COMPILER_OPTIONS = options
        try:
            f = bp.math.jit(model.run)
            f(50)
            core = f._core
            values = [v._value for v in core.state]
            text = core.jitted.lower(*values, 50).compile().as_text()
        finally:
            jit_module.COMPILER_OPTIONS = before
        return text.count(" copy("), np.asarray(model.V.value), np.asarray(model.t_last.value)

    plain = compiled({})
    region = compiled(jit_module.COMPILER_OPTIONS)
    assert region[0] < plain[0]
    np.testing.assert_array_equal(region[1], plain[1])
    np.testing.assert_array_equal(region[2], plain[2])
