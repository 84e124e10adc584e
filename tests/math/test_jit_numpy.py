"""bp.math.jit on the numpy backend (Numba): the tutorial's cells [16]-[28] and beyond.

NumPy (or the same method run without jit on a twin object) is the oracle everywhere.
Numba compiles are slow: objects are small and compiled ones are reused where a test
only reads them.
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import brainjit as bp
from brainjit.math._numpy.jit import ConstantAttributeWarning, JitCompileError, SourceNotFoundError

pytestmark = pytest.mark.usefixtures("private_cache_dir")


# ---------------------------------------------------------------------------------------
# the tutorial: JIT for functions, cells [16]-[21]
# ---------------------------------------------------------------------------------------


def gelu(x):
    sqrt = bp.math.sqrt(2 / bp.math.pi)
    cdf = 0.5 * (1.0 + bp.math.tanh(sqrt * (x + 0.044715 * (x**3))))
    y = x * cdf
    return y


def gelu_numpy(x):
    return x * 0.5 * (1.0 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def test_gelu_without_and_with_jit_equal_numpy():
    x = bp.math.random.random(1000)
    expected = gelu_numpy(np.asarray(x))
    np.testing.assert_allclose(gelu(x), expected, rtol=1e-12)
    gelu_jit = bp.math.jit(gelu)
    out = gelu_jit(x)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert isinstance(out, bp.math.ndarray)  # results are bp.math arrays
    assert gelu_jit.dispatcher.signatures  # it really went through Numba
    np.testing.assert_allclose(gelu_jit(np.linspace(-3, 3, 7)), gelu_numpy(np.linspace(-3, 3, 7)))


def test_lambda():
    double_plus_one = bp.math.jit(lambda x: 2 * x + 1)
    assert double_plus_one(np.ones(2)).tolist() == [3.0, 3.0]


def test_jit_as_decorator_and_options():
    @bp.math.jit
    def double(x):
        return 2 * x

    @bp.math.jit(fastmath=True, nogil=True)
    def triple(x):
        return 3 * x

    assert double(np.ones(2)).tolist() == [2.0, 2.0]
    assert triple(np.ones(2)).tolist() == [3.0, 3.0]
    assert triple.dispatcher.targetoptions["fastmath"]
    with pytest.raises(TypeError, match="invalid Numba option"):
        bp.math.jit(gelu, not_an_option=True)


# ---------------------------------------------------------------------------------------
# the tutorial: JIT for objects, cells [22]-[25]
# ---------------------------------------------------------------------------------------


class LogisticRegression(bp.Base):
    def __init__(self, dimension):
        super().__init__()
        # parameters
        self.dimension = dimension
        # variables
        self.w = bp.math.Variable(2.0 * bp.math.ones(dimension) - 1.3)

    def __call__(self, X, Y):
        u = bp.math.dot(((1.0 / (1.0 + bp.math.exp(-Y * bp.math.dot(X, self.w))) - 1.0) * Y), X)
        self.w[:] = self.w - u


def logistic_regression_numpy(X, Y, dimension, iterations):
    w = 2.0 * np.ones(dimension) - 1.3
    for _ in range(iterations):
        u = np.dot(((1.0 / (1.0 + np.exp(-Y * np.dot(X, w))) - 1.0) * Y), X)
        w = w - u
    return w


@pytest.mark.parametrize("mode", ["no jit", "jit", "jit parallel"])
def test_logistic_regression(mode):
    num_dim, num_points, num_iter = 10, 500, 4
    bp.math.random.seed(0)
    points = bp.math.random.random((num_points, num_dim))
    labels = bp.math.random.random(num_points)
    lr = LogisticRegression(num_dim)
    if mode == "no jit":
        f = lr
    else:
        f = bp.math.jit(lr, parallel=mode == "jit parallel")
    for _ in range(num_iter):
        f(points, labels)
    expected = logistic_regression_numpy(np.asarray(points), np.asarray(labels), num_dim, num_iter)
    np.testing.assert_allclose(lr.w, expected, rtol=1e-9)
    assert isinstance(lr.w, bp.math.Variable)
    if mode == "jit parallel":
        assert f.dispatcher.targetoptions["parallel"]


# ---------------------------------------------------------------------------------------
# the tutorial: mechanism of JIT in the numpy backend, cells [26]-[28]
# ---------------------------------------------------------------------------------------


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


def test_demo1_constant_attribute_keeps_its_value_and_warns(capsys):
    d1 = Demo1()
    with pytest.warns(ConstantAttributeWarning, match=r"Demo1\.a.*not a bp\.math\.Variable"):
        f = bp.math.jit(d1.update)
    f(2.0)
    print(d1.a)
    assert capsys.readouterr().out == "1.0\n"
    with warnings.catch_warnings():  # once per class and attribute
        warnings.simplefilter("error")
        bp.math.jit(Demo1().update)


def test_demo2_show_code_and_the_update_persists(capsys):
    d2 = Demo2()
    f = bp.math.jit(d2.update, show_code=True)
    out = capsys.readouterr().out
    assert out.count("The recompiled function:") == 2
    assert out.count("The namespace of the above function:") == 2
    assert "def update(self_a, b):\n    assign(self_a, b, 'self_a')" in out
    assert "def new_update(b):" in out and "update(self_a, b)" in out
    assert "'self_a': array(1.)" in out and "'update': CPUDispatcher" in out
    f(2.0)
    assert d2.a == 2.0 and isinstance(d2.a, bp.math.Variable)
    f(3)  # an int into a float Variable
    assert d2.a == 3.0
    d2.update(4.0)  # without jit, Base writes into the Variable too
    assert d2.a == 4.0


def test_demo3_in_place_update():
    d3 = Demo3()
    bp.math.jit(d3.update)(2.0)
    assert repr(d3.a) == "Variable(2.)"


# ---------------------------------------------------------------------------------------
# object trees
# ---------------------------------------------------------------------------------------


def _relu(x):
    return np.maximum(x, 0.0)


def _kick(group, amount):
    """A module-level function taking an object: the object is bound at compile time."""
    group.V += amount


class Group(bp.Base):
    def __init__(self, n, tau=10.0):
        super().__init__()
        self.tau = tau
        self.V = bp.math.Variable(np.linspace(0.0, 1.0, n))
        self.spike = bp.math.Variable(np.zeros(n, dtype=bool))
        self.count = bp.math.Variable(np.zeros(n, dtype=np.int64))
        self.t = bp.math.Variable(0.0)

    def integrate(self, current, dt):
        self.V += dt * (-self.V + current) / self.tau

    def update(self, current, dt=0.5):
        self.integrate(current, dt)  # a helper method of self
        self.spike[:] = self.V > 1.0
        self.count += self.spike  # int Variable += bool array
        self.V = np.where(self.spike, 0.0, self.V)  # Variable assignment: in place
        self.V = _relu(self.V)  # a plain Python function, compiled recursively
        self.t += dt  # 0-d Variable


class Synapse(bp.Base):
    def __init__(self, pre, post):
        super().__init__()
        self.pre, self.post = pre, post
        self.g = bp.math.Variable(np.zeros(1))

    def update(self):
        self.g[0] = self.g[0] * 0.9 + self.pre.spike.sum()
        _kick(self.post, self.g[0] * 0.01)


class Network(bp.Base):
    def __init__(self):
        super().__init__()
        self.groups = [Group(4), Group(4, tau=5.0)]
        self.synapses = {"ab": Synapse(self.groups[0], self.groups[1])}

    def __call__(self, current):
        for group in self.groups:  # unrolled
            group.update(current)
        for _name, syn in self.synapses.items():  # unrolled
            syn.update()
        pre = self.synapses["ab"].pre  # an alias of a child
        pre.V[0] += 0.001
        return self.synapses["ab"].post.V.sum()  # three levels deep


def _assert_same_state(a, b):
    for (k1, v1), (k2, v2) in zip(a.vars().items(), b.vars().items()):
        assert k1.split(".", 1)[1] == k2.split(".", 1)[1]
        assert v1.dtype == v2.dtype
        np.testing.assert_allclose(v1, v2, rtol=1e-12, err_msg=k1)


@pytest.fixture(scope="module")
def networks():
    """A network run without jit and its twin run with jit, side by side."""
    plain, compiled = Network(), Network()
    step = bp.math.jit(compiled)
    results = []
    for i in range(25):
        current = 1.5 + 0.1 * i
        results.append((plain(current), step(current)))
    return plain, compiled, step, results


def test_network_of_lists_and_dicts_of_children(networks):
    plain, compiled, step, results = networks
    _assert_same_state(plain, compiled)
    for expected, got in results:
        assert got == pytest.approx(expected, rel=1e-12)
    assert compiled.groups[1].count.sum() > 0  # spikes happened, synapses drove the group
    assert compiled.groups[0].t == pytest.approx(12.5)


def test_nested_three_levels_and_helpers_are_separate_compiled_functions(networks):
    _, compiled, step, _ = networks
    labels = [u.label for u in step.units]
    assert any(label.startswith("Group.integrate") for label in labels)
    assert any(label.startswith("_kick (group=") for label in labels)
    assert any(label.startswith("_relu") for label in labels)
    top = step.units[-1]
    assert top.label.startswith("Network.__call__")
    names = [p.name for p in top.params]
    assert "self_groups_0_V" in names and "self_synapses_ab_g" in names
    # a Variable reached by two paths (groups[0] and synapses['ab'].pre) is one argument
    assert len(names) == len({id(p.array) for p in top.params}) == len(compiled.vars())


def test_identical_objects_share_compiled_code():
    a, b = Group(3), Group(3)
    fa, fb = bp.math.jit(a.update), bp.math.jit(b.update)
    assert fa.dispatcher is fb.dispatcher  # one file, one compile
    fa(2.0)
    assert np.all(b.V == np.linspace(0.0, 1.0, 3))  # but each updates its own Variables
    fb(2.0)
    fb(2.0)
    assert b.t == 1.0 and a.t == 0.5
    c = Group(3, tau=2.0)  # another float constant: an argument, the same code
    fc = bp.math.jit(c.update)
    assert fc.dispatcher is fa.dispatcher
    fc(2.0)  # with its own tau
    np.testing.assert_allclose(c.V, [0.5, 0.875, 0.0])
    d = Group(3, tau=2)  # an int constant stays a literal: other code
    assert bp.math.jit(d.update).dispatcher is not fa.dispatcher


def test_compiled_once_per_argument_types():
    g = Group(3, tau=7)  # an int constant no other test uses: a dispatcher of its own
    f = bp.math.jit(g.update)
    f(1.0)
    f(2.0)
    assert len(f.dispatcher.signatures) == 1
    f(np.float32(1.0))
    f(np.ones(3))
    assert len(f.dispatcher.signatures) == 3


class Shared(bp.Base):
    def __init__(self, v):
        super().__init__()
        self.v = v

    def bump(self, k):
        self.v += k


class TwoOwners(bp.Base):
    def __init__(self):
        super().__init__()
        v = bp.math.Variable(np.zeros(2))
        self.a, self.b = Shared(v), Shared(v)

    def update(self):
        self.a.bump(1.0)
        self.b.bump(10.0)
        return self.a.v[0] + self.b.v[1]


def test_one_variable_shared_by_two_objects():
    obj = TwoOwners()
    f = bp.math.jit(obj.update)
    assert f() == 22.0  # both updates land in the one Variable, and each sees the other's
    assert obj.a.v.tolist() == [11.0, 11.0] and obj.b.v is obj.a.v
    assert len(f.units[-1].params) == 1


class Child(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(np.zeros(2))

    def update(self, k):
        self.x += k


class Base2(bp.Base):
    def __init__(self):
        super().__init__()
        self.y = bp.math.Variable(np.zeros(2))

    def update(self, k):
        self.y -= k


class Derived(Base2):
    def __init__(self):
        super().__init__()
        self.children = {"first": Child(), "second": Child()}
        self.scale = [1.0, 2.0]  # a list of numbers: a constant tuple

    def update(self, k):
        super().update(k)
        for i, (_name, child) in enumerate(self.children.items()):
            child.update(k * self.scale[i])


def test_super_dicts_enumerate_and_constant_lists():
    obj, twin = Derived(), Derived()
    f = bp.math.jit(obj.update)
    f(1.0)
    f(2.0)
    twin.update(1.0)
    twin.update(2.0)
    _assert_same_state(twin, obj)
    assert obj.children["second"].x.tolist() == [6.0, 6.0]


# ---------------------------------------------------------------------------------------
# Variables of every kind
# ---------------------------------------------------------------------------------------


class Kinds(bp.Base):
    def __init__(self):
        super().__init__()
        self.t = bp.math.Variable(0.0)  # 0-d float
        self.n = bp.math.Variable(0)  # 0-d int
        self.on = bp.math.Variable(False)  # 0-d bool
        self.i = bp.math.Variable(np.arange(4))  # int array
        self.mask = bp.math.Variable(np.zeros(4, dtype=bool))  # bool array
        self.f32 = bp.math.Variable(np.zeros(2, dtype=np.float32))

    def update(self, dt):
        self.t += dt
        self.n += 1
        if self.t > 0.25:  # a 0-d Variable reads as a number
            self.on = True
        self.i += 1.7  # float into an int Variable: cast back, as bp.math.ndarray does
        self.i //= 1
        self.mask[:] = self.i % 2 == 0
        self.mask |= self.i > 4
        self.f32 += dt
        return self.t * 2 + self.n.value


def test_zero_d_integer_and_boolean_variables():
    obj, twin = Kinds(), Kinds()
    f = bp.math.jit(obj.update)
    for _ in range(3):
        got, expected = f(0.1), twin.update(0.1)
        assert got == pytest.approx(expected)
    _assert_same_state(twin, obj)
    assert obj.n == 3 and obj.n.dtype == np.int64
    assert bool(obj.on) and obj.i.dtype == np.int64
    assert obj.i.tolist() == [3, 4, 5, 6]  # +1.7 truncated: +1 per call


# ---------------------------------------------------------------------------------------
# random numbers inside compiled methods
# ---------------------------------------------------------------------------------------


class Noisy(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(np.zeros(5))
        self.spikes = bp.math.Variable(np.zeros(5, dtype=bool))

    def update(self):
        self.x[:] = bp.math.random.normal(0.0, 1.0, self.x.shape)
        self.spikes[:] = bp.math.random.bernoulli(0.5, self.x.shape)
        return bp.math.random.random()


def test_random_numbers_are_fresh_and_reproducible_after_seed():
    obj = Noisy()
    f = bp.math.jit(obj.update)
    bp.math.random.seed(42)
    r1 = f()
    x1 = obj.x.copy()
    r2 = f()
    x2 = obj.x.copy()
    assert r1 != r2 and not np.allclose(x1, x2)  # fresh numbers on every call
    bp.math.random.seed(42)
    assert f() == r1 and np.array_equal(obj.x, x1)  # reproducible after seeding
    assert f() == r2 and np.array_equal(obj.x, x2)
    assert 0.5 < np.std(np.concatenate([x1, x2])) < 2.0


# ---------------------------------------------------------------------------------------
# functions with global Variables; constants; replaced state
# ---------------------------------------------------------------------------------------

counter = bp.math.Variable(np.zeros(3))
weights = np.array([1.0, 2.0, 3.0])  # a plain global array: passed as an argument too


def accumulate(k):
    counter.value += k * weights
    return counter.sum()


def test_function_updating_a_global_variable():
    f = bp.math.jit(accumulate)
    assert f(1.0) == 6.0
    assert f(2.0) == 18.0
    assert counter.tolist() == [3.0, 6.0, 9.0]
    assert sorted(p.name for p in f.units[-1].params) == ["counter", "weights"]


class Scaled(bp.Base):
    def __init__(self):
        super().__init__()
        self.scale = 2.0
        self.x = bp.math.Variable(np.ones(2))

    def __call__(self):
        self.x[:] = self.scale * self.x


def test_constants_are_frozen_until_recompile():
    obj = Scaled()
    f = bp.math.jit(obj)
    f()
    obj.scale = 3.0
    f()  # still the compiled constant
    assert obj.x.tolist() == [4.0, 4.0]
    f.recompile()
    f()
    assert obj.x.tolist() == [12.0, 12.0]


def test_replaced_variable_is_picked_up():
    obj = Scaled()
    f = bp.math.jit(obj)
    old = obj.x
    obj.x = bp.math.Variable(np.full(2, 5.0))  # replaces the Variable (Base semantics)
    f()
    assert obj.x.tolist() == [10.0, 10.0] and old.tolist() == [1.0, 1.0]
    obj.x = np.array([1.0, 1.0])  # a plain value is written into the Variable
    f()
    assert obj.x.tolist() == [2.0, 2.0]


def test_closures_len_of_children_and_errors_raised_by_compiled_code():
    offset = 5.0  # a closure variable: a constant
    calls = bp.math.Variable(0)  # a Variable in a closure: state

    class Layer(bp.Base):
        def __init__(self):
            super().__init__()
            self.out = bp.math.Variable(np.zeros(2))
            self.units = [Child(), Child(), Child()]

        def update(self, k):
            if k < 0:
                raise ValueError("k must be >= 0")
            self.out[:] = k * len(self.units) + offset
            calls.value += 1

    layer = Layer()
    f = bp.math.jit(layer.update)
    f(1.0)
    assert layer.out.tolist() == [8.0, 8.0] and calls == 1
    f(0.0)
    assert layer.out.tolist() == [5.0, 5.0] and calls == 2
    with pytest.raises(ValueError, match="k must be >= 0"):  # not a compile error
        f(-1.0)


class PlainArrays(bp.Base):
    def __init__(self):
        super().__init__()
        self.buf = np.zeros(3)  # a plain array: passed as an argument, not state
        self.V = bp.math.Variable(np.zeros(3))

    def update(self):
        self.buf += 1.0  # in place, as in Python
        self.buf[0] = 10.0  # in place
        self.V.value = self.buf * 2  # .value = writes into the Variable
        self.buf = np.ones(3)  # rebinding: only for the rest of this call
        return self.buf.sum()


class UsesJitted(bp.Base):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.step = bp.math.jit(inner.update)  # a jitted method, called from compiled code

    def __call__(self):
        return self.step() + 1.0


def test_plain_array_attributes_and_jitted_methods_called_from_compiled_code():
    obj, twin = PlainArrays(), PlainArrays()
    with pytest.warns(ConstantAttributeWarning, match=r"PlainArrays\.buf"):
        f = bp.math.jit(UsesJitted(obj))
    assert f() == 4.0
    assert twin.update() == 3.0  # without jit
    assert obj.V.tolist() == twin.V.tolist() == [20.0, 2.0, 2.0]
    assert obj.buf.tolist() == [10.0, 1.0, 1.0]  # compiled: the rebinding did not persist
    assert twin.buf.tolist() == [1.0, 1.0, 1.0]  # (in Python it does: hence the warning)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------


class NotCompilable:
    pass


class Broken(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(np.zeros(2))

    def helper(self):
        thing = NotCompilable()
        self.x += 1
        return thing

    def update(self):
        self.helper()


def test_numba_failure_names_class_method_line_and_shows_code():
    f = bp.math.jit(Broken().update)
    with pytest.raises(JitCompileError) as info:
        f()
    message = str(info.value)
    assert "Broken.helper" in message and "called from Broken.update" in message
    assert "thing = NotCompilable()" in message  # the offending line ...
    assert f'File "{__file__}", line' in message  # ... in the original file
    assert "def helper(self_x):" in message and "def update(self_x):" in message
    assert "NotCompilable" in message.splitlines()[1]  # Numba's reason up front


class UsesSelfAsValue(bp.Base):
    def update(self):
        return len(self)


def test_bad_input():
    with pytest.raises(TypeError, match="expects a function, a method or an object"):
        bp.math.jit(3)
    with pytest.raises(TypeError, match="pass one of its methods"):
        bp.math.jit(bp.Base())
    with pytest.raises(TypeError, match="built in"):
        bp.math.jit(len)
    with pytest.raises(TypeError, match="bp.math function"):
        bp.math.jit(bp.math.sin)
    first, _second = (lambda x: x + 1), (lambda x: x + 2)
    with pytest.raises(SourceNotFoundError, match="lambda"):
        bp.math.jit(first)  # two lambdas on one line: which source is it?
    namespace = {}
    exec("def made_by_exec(x):\n    return x + 1\n", namespace)
    with pytest.raises(SourceNotFoundError, match="made_by_exec.*source is not available"):
        bp.math.jit(namespace["made_by_exec"])
    with pytest.raises(JitCompileError, match=r"UsesSelfAsValue\.update.*not use it as a value"):
        bp.math.jit(UsesSelfAsValue().update)


# ---------------------------------------------------------------------------------------
# the on-disk cache across processes
# ---------------------------------------------------------------------------------------

_CACHE_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import brainjit as bp

    class Neuron(bp.Base):
        def __init__(self, n):
            super().__init__()
            self.V = bp.math.Variable(np.zeros(n))
            self.tau = 10.0

        def step(self, current):
            self.V += (-self.V + current) / self.tau

        def __call__(self, current):
            self.step(current)
            return self.V.sum()

    others = [Neuron(1) for _ in range(int(sys.argv[1]))]  # other object names
    f = bp.math.jit(Neuron(5), cache=True)
    result = f(1.0)
    units = f.units
    hits = sum(sum(u.dispatcher.stats.cache_hits.values()) for u in units)
    misses = sum(sum(u.dispatcher.stats.cache_misses.values()) for u in units)
    print(result, hits, misses)
    """
)


def test_on_disk_cache_is_reused_by_a_second_process(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(_CACHE_SCRIPT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(bp.__file__)))
    import fast_compile  # at the default levels: Numba does not cache some -O0 code

    env = {
        **fast_compile.as_users_run(os.environ),
        "BRAINJIT_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    runs = []
    for others in ("0", "3"):  # the second process names its objects differently
        proc = subprocess.run(
            [sys.executable, str(script), others],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.split())
    (r1, hits1, misses1), (r2, hits2, misses2) = runs
    assert float(r1) == float(r2) == pytest.approx(0.5)
    assert hits1 == "0" and int(misses1) >= 1  # the first process compiles ...
    assert int(hits2) >= 1 and misses2 == "0"  # ... the second loads the compiled code
    generated = list((tmp_path / "cache").rglob("*.py"))
    assert len(generated) == 2  # Neuron.__call__ and Neuron.step, one file each
