"""bp.math.random on both backends: module-level functions and RandomState objects.

Every function of the issue's list is checked for shapes and dtypes, reproducibility
after ``bp.math.random.seed(s)`` (and with ``RandomState(s)``), bounds, and moments.
Moments use N = 20000 draws from fixed seeds (the tests are deterministic): the sample
mean must lie within 5 standard errors of the distribution's mean (5 * sd / sqrt(N)),
the sample variance within 10% of the distribution's variance.
"""

import math

import numba
import numpy as np
import pytest
from scipy import stats

import brainjit as bp

N = 20_000
FLOAT = {"numpy": np.float64, "jax": np.float32}
INT = {"numpy": np.int64, "jax": np.int32}

# name -> (args, kwargs without size, mean, variance, support check, result dtype kind)
_truncated = stats.truncnorm(-1.0, 2.0)
DISTRIBUTIONS = {
    "random": ((), {}, 0.5, 1 / 12, lambda x: (x >= 0) & (x < 1), "f"),
    "random_sample": ((), {}, 0.5, 1 / 12, lambda x: (x >= 0) & (x < 1), "f"),
    "randint": ((3, 10), {}, 6.0, 4.0, lambda x: (x >= 3) & (x < 10), "i"),
    "uniform": ((-2.0, 3.0), {}, 0.5, 25 / 12, lambda x: (x >= -2) & (x < 3), "f"),
    "normal": ((1.5, 2.0), {}, 1.5, 4.0, None, "f"),
    "bernoulli": ((0.3,), {}, 0.3, 0.21, None, "b"),
    "binomial": ((10, 0.4), {}, 4.0, 2.4, lambda x: (x >= 0) & (x <= 10), "i"),
    "poisson": ((3.5,), {}, 3.5, 3.5, lambda x: x >= 0, "i"),
    "exponential": ((2.0,), {}, 2.0, 4.0, lambda x: x >= 0, "f"),
    "gamma": ((2.5, 1.5), {}, 3.75, 5.625, lambda x: x > 0, "f"),
    "beta": ((2.0, 5.0), {}, 2 / 7, 10 / 392, lambda x: (x > 0) & (x < 1), "f"),
    "choice": ((5,), {}, 2.0, 2.0, lambda x: (x >= 0) & (x < 5), "i"),
    "truncated_normal": (
        (-1.0, 2.0),
        {},
        _truncated.mean(),
        _truncated.var(),
        lambda x: (x >= -1) & (x <= 2),
        "f",
    ),
    "truncated_normal_scaled": (
        (-1.0, 2.0),
        {"scale": 3.0},
        3 * _truncated.mean(),
        9 * _truncated.var(),
        lambda x: (x >= -3) & (x <= 6),
        "f",
    ),
}


def draw(source, name, size, **extra):
    args, kwargs = DISTRIBUTIONS[name][:2]
    func = getattr(source, "truncated_normal" if name.startswith("truncated") else name)
    return func(*args, **kwargs, size=size, **extra)


def sources(backend):
    """The module-level API and a RandomState object."""
    bp.math.use_backend(backend)
    return {"module": bp.math.random, "RandomState": bp.math.random.RandomState(123)}


def test_every_function_exists(backend):
    names = (
        "seed rand randn random random_sample randint uniform normal bernoulli binomial "
        "poisson exponential gamma beta choice permutation shuffle truncated_normal"
    ).split()
    for source in sources(backend).values():
        missing = [n for n in names if not callable(getattr(source, n, None))]
        assert not missing, missing
    assert isinstance(bp.math.random.RandomState, type)


@pytest.mark.parametrize("kind", ["module", "RandomState"])
@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_moments_bounds_and_dtype(backend, kind, name):
    source = sources(backend)[kind]
    bp.math.random.seed(20240901)
    x = draw(source, name, (N,))
    mean, var, support, dtype_kind = DISTRIBUTIONS[name][2:]
    assert isinstance(x, bp.math.ndarray) and x.shape == (N,)
    want_dtype = {"f": FLOAT, "i": INT}.get(dtype_kind, {backend: np.bool_})[backend]
    assert x.dtype == want_dtype, (name, x.dtype)
    a = np.asarray(x, dtype=np.float64)
    if support is not None:
        assert support(a).all(), name
    assert abs(a.mean() - mean) <= 5 * math.sqrt(var / N), (name, a.mean(), mean)
    assert abs(a.var() - var) <= 0.1 * var, (name, a.var(), var)


def test_standard_shapes_and_moments(backend):
    r = sources(backend)["module"]
    r.seed(7)
    u = r.rand(200, 100)
    z = r.randn(200, 100)
    for x in (u, z):
        assert isinstance(x, bp.math.ndarray) and x.shape == (200, 100)
        assert x.dtype == FLOAT[backend]
    u, z = np.asarray(u, np.float64), np.asarray(z, np.float64)
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) <= 5 * math.sqrt(1 / 12 / N)
    assert abs(z.mean()) <= 5 / math.sqrt(N) and abs(z.var() - 1) <= 0.1
    assert np.shape(r.rand()) == () and np.shape(r.randn()) == ()


def test_size_argument(backend):
    r = sources(backend)["module"]
    # one test: under jax each sampler compiles once per shape, (2, 3) serves two sizes
    for size, shape in [(None, ()), (3, (3,)), ((2, 3), (2, 3)), ([2, 3], (2, 3))]:
        for name in ("random", "normal", "randint", "bernoulli", "choice"):
            x = draw(r, name, size)
            assert np.shape(x) == shape, (name, size)


def test_parameters_broadcast_like_numpy(backend):
    r = sources(backend)["module"]
    x = r.normal(bp.math.zeros(3), bp.math.array([[1.0], [2.0]]))
    assert x.shape == (2, 3)
    y = r.uniform([0.0, 10.0], [1.0, 11.0], size=(5, 2))
    y = np.asarray(y)
    assert ((y[:, 0] >= 0) & (y[:, 0] < 1)).all() and ((y[:, 1] >= 10) & (y[:, 1] < 11)).all()


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_seed_makes_draws_reproducible(backend, name):
    r = sources(backend)["module"]
    # the size of test_moments_bounds_and_dtype: jax.random compiles once per shape
    r.seed(42)
    a = np.asarray(draw(r, name, (N,)))
    b = np.asarray(draw(r, name, (N,)))
    r.seed(42)
    again = np.asarray(draw(r, name, (N,)))
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, b)  # the generator moves on
    r.seed(43)
    assert not np.array_equal(a, np.asarray(draw(r, name, (N,))))


def test_random_state_objects_are_reproducible_and_independent(backend):
    RandomState = sources(backend)["module"].RandomState
    # all draws of 8 numbers: under jax each sampler compiles once per shape
    a, b = RandomState(5), RandomState(5)
    np.testing.assert_array_equal(np.asarray(a.normal(size=8)), np.asarray(b.normal(size=8)))
    bp.math.random.seed(1)
    first = np.asarray(bp.math.random.random(8))
    bp.math.random.seed(1)
    RandomState(9).random(8)  # another generator does not disturb the global one
    np.testing.assert_array_equal(first, np.asarray(bp.math.random.random(8)))
    a.seed(11)
    b.seed(11)
    np.testing.assert_array_equal(
        np.asarray(a.randint(0, 100, 8)), np.asarray(b.randint(0, 100, 8))
    )
    assert not np.array_equal(
        np.asarray(RandomState(1).random(8)), np.asarray(RandomState(2).random(8))
    )


def test_randint_forms_and_dtype(backend):
    r = sources(backend)["module"]
    r.seed(0)
    x = np.asarray(r.randint(4, size=1000))  # [0, 4)
    assert set(np.unique(x)) == {0, 1, 2, 3}
    assert np.shape(r.randint(5)) == ()
    assert r.randint(0, 5, 10, dtype="int32").dtype == np.int32
    with pytest.raises(ValueError):
        r.randint(5, 3)


def test_choice_forms(backend):
    r = sources(backend)["module"]
    r.seed(3)
    items = bp.math.array([10, 20, 30, 40])
    x = np.asarray(r.choice(items, 500))
    assert set(np.unique(x)) == {10, 20, 30, 40}
    y = np.asarray(r.choice([1, 2, 3], 3, replace=False))
    assert sorted(y.tolist()) == [1, 2, 3]
    z = np.asarray(r.choice(3, N, p=[0.2, 0.5, 0.3]))
    mean, var = 0.5 + 0.6, 0.5 + 1.2 - 1.1**2
    assert abs(z.mean() - mean) <= 5 * math.sqrt(var / N)
    assert np.shape(r.choice(5)) == ()


def test_permutation(backend):
    r = sources(backend)["module"]
    r.seed(4)
    p = r.permutation(10)
    assert isinstance(p, bp.math.ndarray) and p.dtype.kind == "i"
    assert sorted(np.asarray(p).tolist()) == list(range(10))
    x = bp.math.arange(20.0)
    q = r.permutation(x)
    assert sorted(np.asarray(q).tolist()) == list(range(20))
    assert not np.array_equal(np.asarray(q), np.arange(20.0))
    np.testing.assert_array_equal(np.asarray(x), np.arange(20.0))  # a copy
    rows = r.permutation(bp.math.arange(12).reshape(4, 3))
    assert sorted(np.asarray(rows)[:, 0].tolist()) == [0, 3, 6, 9]
    np.testing.assert_array_equal(np.asarray(rows) % 3, np.tile([0, 1, 2], (4, 1)))


def test_shuffle_is_in_place(backend):
    for source in sources(backend).values():
        source.seed(8)
        x = bp.math.arange(30)
        ident = id(x)
        assert source.shuffle(x) is None
        assert id(x) == ident and x.shape == (30,) and x.dtype.kind == "i"
        values = np.asarray(x)
        assert sorted(values.tolist()) == list(range(30))
        assert not np.array_equal(values, np.arange(30))
        m = bp.math.arange(12).reshape(4, 3)
        source.shuffle(m)  # along the first axis: rows stay whole
        rows = np.asarray(m)
        np.testing.assert_array_equal(rows % 3, np.tile([0, 1, 2], (4, 1)))
        assert sorted(rows[:, 0].tolist()) == [0, 3, 6, 9]


def test_shuffle_of_a_variable_keeps_it(backend):
    v = bp.math.Variable(bp.math.arange(10.0))
    bp.math.random.seed(2)
    bp.math.random.shuffle(v)
    assert bp.math.is_variable(v) and sorted(np.asarray(v).tolist()) == list(range(10))


def test_bernoulli_checks_p_on_numpy():
    with pytest.raises(ValueError, match="p must lie in"):
        bp.math.random.bernoulli(1.5, 3)


def test_truncated_normal_needs_lower_below_upper():
    with pytest.raises(ValueError, match="lower < upper"):
        bp.math.random.truncated_normal(1.0, -1.0, 3)


def test_numpy_seed_reaches_numba_compiled_code():
    @numba.njit
    def draws(n):
        return np.random.random(n)

    bp.math.random.seed(77)
    a = draws(5)
    bp.math.random.seed(77)
    b = draws(5)
    np.testing.assert_array_equal(a, b)
    bp.math.random.seed(78)
    assert not np.array_equal(a, draws(5))


def test_jax_key_lives_in_a_variable():
    bp.math.use_backend("jax")
    key = bp.math.random.DEFAULT
    assert bp.math.is_variable(key)
    assert bp.math.is_variable(bp.math.random.RandomState(0))
    bp.math.random.seed(5)
    before = np.asarray(key.value).copy()
    bp.math.random.normal(size=2)
    after = np.asarray(key.value)
    assert not np.array_equal(before, after)  # each draw moves the key on
    bp.math.random.seed(5)
    np.testing.assert_array_equal(np.asarray(key.value), before)
