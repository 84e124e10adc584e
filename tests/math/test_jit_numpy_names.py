"""bp.math.jit on the numpy backend: ``bp.math`` functions however they are reached
(issue 18.3), and ``if`` on constant attributes (issue 18.4).

The same code run without jit (on a twin object) is the reference.
"""

import warnings

import numpy as np
import pytest
from brainjit.math.linalg import norm
from brainjit.math.random import normal, uniform

import brainjit as bp
import brainjit.math as bm2
from brainjit import math as m
from brainjit.math import exp, linalg
from brainjit.math import exp as e

bm = bp.math


pytestmark = pytest.mark.usefixtures("private_cache_dir")


# ---------------------------------------------------------------------------------------
# 18.3: bp.math functions reached by name
# ---------------------------------------------------------------------------------------


def by_name(x):
    return exp(x)


def by_alias(x):
    return e(x) + 1.0


def by_module_alias(x):
    return bm2.exp(x) * m.tanh(x)


def by_local_name(x):
    f = bm.exp
    return f(x)


def by_linalg_name(x):
    return norm(x) + linalg.norm(x)


def nested_call(x):
    return by_name(x) + exp(-x)


@pytest.mark.parametrize(
    "func", [by_name, by_alias, by_module_alias, by_local_name, by_linalg_name, nested_call]
)
def test_bp_math_function_reached_by_name_compiles(func):
    x = np.linspace(-1.0, 1.0, 5)
    expected = func(x)
    np.testing.assert_allclose(bm.jit(func)(x), expected, rtol=1e-12)


def test_a_name_maps_to_numpy_as_the_attribute_does(capsys):
    bm.jit(by_name, show_code=True)(np.ones(2))
    out = capsys.readouterr().out
    assert out.count("The recompiled function") == 2  # no callee: bp.math's wrapper


def by_random_name(n):
    return normal(0.0, 1.0, n) + uniform(0.0, 1.0, n)


def by_random_attribute(n):
    return bm.random.normal(0.0, 1.0, n) + bm.random.uniform(0.0, 1.0, n)


def test_random_functions_by_name_draw_as_by_attribute():
    f, g = bm.jit(by_random_name), bm.jit(by_random_attribute)
    bm.random.seed(3)
    a = f(4)
    bm.random.seed(3)
    b = g(4)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4,) and not np.array_equal(a, f(4))  # fresh draws


def test_submodules_are_importable_on_the_active_backend():
    assert normal is bm.random.normal and norm is bm.linalg.norm


class Neuron(bp.Base):
    def __init__(self):
        super().__init__()
        self.V = bm.Variable(np.linspace(-1.0, 1.0, 4))
        self.f = bm.exp  # a bp.math function held by an object
        self.fs = (bm.tanh, bm.sin)

    def update(self, x):
        self.V.value = exp(self.V) * 0.5 + e(x)
        self.V += self.f(x) + bm2.sqrt(np.abs(x)) + self.fs[0](x) + self.fs[1](x)
        return norm(self.V)


def test_bp_math_functions_by_name_in_methods():
    obj, twin = Neuron(), Neuron()
    x = np.linspace(0.0, 1.0, 4)
    expected = twin.update(x)
    f = bm.jit(obj.update)
    np.testing.assert_allclose(f(x), expected, rtol=1e-12)
    np.testing.assert_allclose(obj.V, twin.V, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# 18.4: if on a constant attribute
# ---------------------------------------------------------------------------------------


class Post(bp.Base):
    def __init__(self):
        super().__init__()
        self.input = bm.Variable(np.zeros(3))
        self.count = 0.0  # a constant, assigned in compiled code
        self.V = bm.Variable(np.zeros(3))


class Syn(bp.Base):
    def __init__(self, flag, mode=0):
        super().__init__()
        self.flag = flag
        self.mode = mode
        self.post = Post()
        self.g = bm.Variable(np.array([1.0, 2.0, 3.0]))
        self.w = 0.5

    def plain(self):
        if self.flag:
            self.post.input += self.g

    def negated(self):
        if not self.flag:
            self.post.input.value = self.post.input + self.g * self.w

    def chained(self):
        if self.mode == 0:
            self.post.input += self.w
        elif self.mode == 1:
            self.post.input[:] = self.g * 3
        else:
            self.post.input.value += 2 * self.g

    def nested(self):
        if self.flag:
            if self.mode:
                self.post.input += self.g
            else:
                self.post.V -= self.g
        else:
            x = self.g * 2
            self.post.input -= x

    def constant_counter(self):
        # the error of issue 18.4: "'self_post_count' is not defined"
        if self.flag:
            self.post.count += self.w

    def constant_counter_read(self):
        if self.flag:
            self.post.count += self.w
        else:
            self.post.count -= 1.0
        self.post.V += self.post.count

    def alias_before(self):
        post = self.post
        if self.flag:
            post.input += self.g
        elif self.mode:
            post.V += self.g


@pytest.mark.parametrize(
    "method",
    [
        "plain",
        "negated",
        "chained",
        "nested",
        "constant_counter",
        "constant_counter_read",
        "alias_before",
    ],
)
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_if_on_constant_attribute(method, flag, mode):
    obj, twin = Syn(flag, mode), Syn(flag, mode)
    constant = "count" in method
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # assigning self.post.count: a warning, by design
        f = bm.jit(getattr(obj, method))
        f()
        f()
        for _ in range(1 if constant else 2):
            getattr(twin, method)()
    if constant:  # the assignment lasts one compiled call: as one eager call, twice
        np.testing.assert_allclose(obj.post.V, 2 * twin.post.V)
        assert obj.post.count == 0.0
    else:
        np.testing.assert_allclose(obj.post.input, twin.post.input)
        np.testing.assert_allclose(obj.post.V, twin.post.V)


class SynAlias(Syn):
    def alias_in_branch(self):
        if self.flag:
            post = self.post
            post.input += self.g
        elif self.mode:
            p = self.post
            if self.mode == 2:
                q = p
                q.V -= self.g
            p.V += self.w
        else:
            self.post.input -= self.w


@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_alias_bound_in_a_branch(flag, mode):
    obj, twin = SynAlias(flag, mode), SynAlias(flag, mode)
    twin.alias_in_branch()
    bm.jit(obj.alias_in_branch)()
    np.testing.assert_allclose(obj.post.input, twin.post.input)
    np.testing.assert_allclose(obj.post.V, twin.post.V)


class Short(bp.Base):
    """Methods named like the wrapper's locals."""

    def __init__(self):
        super().__init__()
        self.V = bm.Variable(np.zeros(2))

    def e(self, x):
        self.V += x
        return self.V * 2

    def r(self, x):
        return self.e(x) + 1


def test_methods_named_like_the_wrappers_locals():
    obj, twin = Short(), Short()
    np.testing.assert_allclose(bm.jit(obj.e)(1.0), twin.e(1.0))
    np.testing.assert_allclose(bm.jit(obj.r)(1.0), twin.r(1.0))
    np.testing.assert_allclose(obj.V, twin.V)
