"""Every distribution of ``bp.math.random`` on both backends, checked against SciPy.

The list of distributions is the numpy backend's ``bp.math.random`` (NumPy's
``RandomState`` functions plus brainjit's own), minus the few names that are not
distributions (NOT_DISTRIBUTIONS): each must have an entry in SPECS, and each must exist
on the jax backend with the same signature. Every one draws N = 100000 numbers from a
fixed seed (the tests are deterministic) on each backend and is compared with the SciPy
distribution of NumPy's definition: a Kolmogorov-Smirnov test for continuous ones, a
chi-square goodness-of-fit test for discrete ones (p > 1e-4), and the sample mean within
5 standard errors of the mean wherever the variance is finite. Multivariate ones are
checked through their marginals. Two ``RandomState(3)`` objects draw the same numbers,
then new ones (the same size, in the same test: one compile of each sampler). Under jax,
every distribution is also drawn inside one ``bp.math.jit`` function: fresh numbers on
every call, from the default key Variable.
"""

import functools
import inspect
import math
import warnings

import numpy as np
import pytest
from scipy import stats

import brainjit as bp
from brainjit.math._numpy import random as numpy_random

N = 100_000
P_MIN = 1e-4

NOT_DISTRIBUTIONS = {
    "RandomState",
    "seed",
    "get_state",
    "set_state",
    "get_bit_generator",
    "set_bit_generator",
    "test",
    "bytes",
    "permutation",
    "shuffle",
}
UNIFORM = stats.uniform()

# name -> (positional parameters, SciPy distribution, result kind: f float, i int, b bool)
SPECS = {
    "beta": ((2.0, 5.0), stats.beta(2, 5), "f"),
    "bernoulli": ((0.3,), stats.bernoulli(0.3), "b"),
    "binomial": ((10, 0.4), stats.binom(10, 0.4), "i"),
    "chisquare": ((3.0,), stats.chi2(3), "f"),
    "choice": ((5,), stats.randint(0, 5), "i"),
    "exponential": ((2.0,), stats.expon(scale=2), "f"),
    "f": ((5.0, 8.0), stats.f(5, 8), "f"),
    "gamma": ((2.5, 1.5), stats.gamma(2.5, scale=1.5), "f"),
    "geometric": ((0.3,), stats.geom(0.3), "i"),
    "gumbel": ((1.0, 2.0), stats.gumbel_r(1, 2), "f"),
    "hypergeometric": ((10, 5, 7), stats.hypergeom(15, 10, 7), "i"),
    "laplace": ((1.0, 2.0), stats.laplace(1, 2), "f"),
    "logistic": ((1.0, 2.0), stats.logistic(1, 2), "f"),
    "lognormal": ((0.5, 0.75), stats.lognorm(0.75, scale=math.exp(0.5)), "f"),
    "logseries": ((0.6,), stats.logser(0.6), "i"),
    "negative_binomial": ((3, 0.4), stats.nbinom(3, 0.4), "i"),
    "noncentral_chisquare": ((3.0, 1.5), stats.ncx2(3, 1.5), "f"),
    "noncentral_f": ((3.0, 8.0, 1.5), stats.ncf(3, 8, 1.5), "f"),
    "normal": ((1.5, 2.0), stats.norm(1.5, 2), "f"),
    "pareto": ((3.0,), stats.lomax(3), "f"),  # NumPy's pareto is Pareto II (Lomax)
    "poisson": ((3.5,), stats.poisson(3.5), "i"),
    "power": ((2.5,), stats.powerlaw(2.5), "f"),
    "rand": ((), UNIFORM, "f"),
    "randint": ((3, 10), stats.randint(3, 10), "i"),
    "randn": ((), stats.norm(), "f"),
    "random": ((), UNIFORM, "f"),
    "random_integers": ((3, 9), stats.randint(3, 10), "i"),
    "random_sample": ((), UNIFORM, "f"),
    "ranf": ((), UNIFORM, "f"),
    "rayleigh": ((2.0,), stats.rayleigh(scale=2), "f"),
    "sample": ((), UNIFORM, "f"),
    "standard_cauchy": ((), stats.cauchy(), "f"),
    "standard_exponential": ((), stats.expon(), "f"),
    "standard_gamma": ((2.5,), stats.gamma(2.5), "f"),
    "standard_normal": ((), stats.norm(), "f"),
    "standard_t": ((5.0,), stats.t(5), "f"),
    "triangular": ((-1.0, 0.5, 2.0), stats.triang(0.5, loc=-1, scale=3), "f"),
    "truncated_normal": ((-1.0, 2.0), stats.truncnorm(-1, 2), "f"),
    "uniform": ((-2.0, 3.0), stats.uniform(-2, 5), "f"),
    # von Mises around mu = 0.5: checked after shifting back to 0 (wrapped to [-pi, pi])
    "vonmises": ((0.5, 2.0), stats.vonmises(2.0), "f"),
    "wald": ((1.0, 2.0), stats.invgauss(0.5, scale=2), "f"),  # mean 1, shape 2
    "weibull": ((1.5,), stats.weibull_min(1.5), "f"),
    "zipf": ((3.0,), stats.zipf(3), "i"),
    # multivariate: checked by their own rules (MULTIVARIATE)
    "dirichlet": (([1.0, 2.0, 3.0],), None, "f"),
    "multinomial": ((10, [0.2, 0.3, 0.5]), None, "i"),
    "multivariate_normal": (([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]]), None, "f"),
}
NUMPY_NAMES = sorted(
    name
    for name, value in numpy_random.NAMESPACE.items()
    if callable(value) and name not in NOT_DISTRIBUTIONS
)
NAMES = sorted(set(NUMPY_NAMES) | set(SPECS))


def draw(source, name, size):
    args = SPECS[name][0]
    func = getattr(source, name)
    if name in ("rand", "randn"):
        return func(*size)
    if name == "random_integers" and bp.math.get_backend_name() == "numpy":
        with pytest.warns(DeprecationWarning):
            return func(*args, size=size)
    return func(*args, size=size)


def test_every_numpy_distribution_has_a_spec():
    assert set(NUMPY_NAMES) == set(SPECS), set(NUMPY_NAMES) ^ set(SPECS)


@pytest.mark.parametrize("name", NAMES)
def test_same_signature_on_both_backends(name):
    assert name in SPECS, f"{name}: add it to SPECS"
    bp.math.use_backend("jax")
    on_jax = bp.math.random.RandomState(0)
    assert callable(getattr(bp.math.random, name, None)), f"{name} missing on the jax backend"
    assert callable(getattr(on_jax, name, None))
    ours = list(inspect.signature(getattr(on_jax, name)).parameters)
    want = _numpy_parameters(name)
    if want is not None:
        assert ours == want, (name, ours, want)


def _numpy_parameters(name):
    """The parameter names of NumPy's function ``name`` (None: it has no fixed list)."""
    if not hasattr(np.random, name) or name in ("rand", "randn"):
        return None  # brainjit's own (bernoulli, truncated_normal), or *dn
    func = getattr(np.random, name)
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # NumPy's C functions: the docstring's first line
        head = func.__doc__.strip().splitlines()[0]
        if "(" not in head:
            return None
        return [p.split("=")[0].strip() for p in head[head.index("(") + 1 : -1].split(",")]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return [p.name for p in params]


def _check_univariate(name, x, dist, kind):
    if name == "vonmises":
        assert ((x >= -math.pi) & (x <= math.pi)).all()
        x = np.mod(x - 0.5 + math.pi, 2 * math.pi) - math.pi
    lo, hi = dist.support()
    assert ((x >= lo) & (x <= hi)).all(), (name, x.min(), x.max())
    if kind == "f":
        p = stats.kstest(x, _vonmises_cdf() if name == "vonmises" else dist.cdf).pvalue
    else:
        values, counts = np.unique(x.astype(np.int64), return_counts=True)
        observed = dict(zip(values.tolist(), counts.tolist()))
        k = np.arange(int(lo) if np.isfinite(lo) else int(x.min()), int(x.max()) + 1)
        expected = N * dist.pmf(k)
        keep = expected >= 5
        obs = [observed.get(int(v), 0) for v in k[keep]]
        exp = list(expected[keep])
        obs.append(N - sum(obs))
        exp.append(N - sum(exp))
        if exp[-1] < 5:  # no tail bin worth testing: fold it into the last kept one
            tail_obs, tail_exp = obs.pop(), exp.pop()
            obs[-1] += tail_obs
            exp[-1] += tail_exp
        p = stats.chisquare(obs, exp).pvalue
    assert p > P_MIN, (name, p)
    mean, var = (float(m) for m in dist.stats(moments="mv"))
    if np.isfinite(var):
        assert abs(x.mean() - mean) <= 5 * math.sqrt(var / N), (name, x.mean(), mean)


@functools.cache
def _vonmises_cdf():
    """SciPy's von Mises CDF (kappa 2) on a grid of 20001 points over [-pi, pi], linearly
    interpolated: SciPy's series takes 1.4 s for 100000 points (three times a run), the
    interpolation errs by at most h^2/8 * max|pdf'| < 1e-8 (h = 2 pi / 20000,
    |pdf'| < 0.6), a millionth of the KS statistic's critical value at P_MIN (0.007)."""
    grid = np.linspace(-math.pi, math.pi, 20001)
    values = SPECS["vonmises"][1].cdf(grid)
    return lambda x: np.interp(x, grid, values)


def _check_multivariate(name, x):
    if name == "dirichlet":
        alpha = np.array([1.0, 2.0, 3.0])
        assert x.shape == (N, 3)
        np.testing.assert_allclose(x.sum(1), 1, rtol=1e-5)
        for i, a in enumerate(alpha):
            assert stats.kstest(x[:, i], stats.beta(a, alpha.sum() - a).cdf).pvalue > P_MIN
    elif name == "multinomial":
        assert x.shape == (N, 3)
        assert (x.sum(1) == 10).all()
        for i, p in enumerate([0.2, 0.3, 0.5]):
            _check_univariate(name, x[:, i], stats.binom(10, p), "i")
    else:
        mean, cov = np.array([0.0, 1.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
        assert x.shape == (N, 2)
        for i in range(2):
            marginal = stats.norm(mean[i], math.sqrt(cov[i, i]))
            assert stats.kstest(x[:, i], marginal.cdf).pvalue > P_MIN
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.03)


@pytest.mark.parametrize("name", NAMES)
def test_distribution_matches_scipy(backend, name):
    assert name in SPECS, f"{name}: add it to SPECS"
    bp.math.use_backend(backend)
    assert callable(getattr(bp.math.random, name, None)), f"{name} missing on {backend}"
    bp.math.random.seed(20241202)
    x = draw(bp.math.random, name, (N,))
    assert isinstance(x, bp.math.ndarray)
    kind = SPECS[name][2]
    assert x.dtype.kind == kind, (name, x.dtype)
    a = np.asarray(x, np.float64)
    if SPECS[name][1] is None:
        _check_multivariate(name, a)
    else:
        assert a.shape == (N,)
        _check_univariate(name, a, SPECS[name][1], kind)
    # RandomState objects draw reproducibly, in this test: under pytest -n the compiled
    # samplers (jax.random compiles once per shape: the same size) serve both checks
    a, b = bp.math.random.RandomState(3), bp.math.random.RandomState(3)
    x, y = np.asarray(draw(a, name, (N,))), np.asarray(draw(b, name, (N,)))
    np.testing.assert_array_equal(x, y)
    assert x.shape[0] == N
    assert not np.array_equal(x, np.asarray(draw(a, name, (N,))))


SIZE_NONE_CALLS = {  # call -> the shape NumPy gives it
    "gumbel()": ((), lambda r: r.gumbel()),
    "laplace(zeros(3))": ((3,), lambda r: r.laplace(np.zeros(3))),
    "wald([1, 2], 1)": ((2,), lambda r: r.wald([1.0, 2.0], 1.0)),
    "vonmises(0, [[1], [2]])": ((2, 1), lambda r: r.vonmises(0.0, [[1.0], [2.0]])),
    "dirichlet([1, 1])": ((2,), lambda r: r.dirichlet([1.0, 1.0])),
    "multinomial(5, [.5, .5])": ((2,), lambda r: r.multinomial(5, [0.5, 0.5])),
    "multivariate_normal(.., 3)": ((3, 2), lambda r: r.multivariate_normal([0, 0.0], np.eye(2), 3)),
    "hypergeometric([5, 6], 5, 3)": ((2,), lambda r: r.hypergeometric([5, 6], 5, 3)),
}


def _traced_shape(call):
    """The shape of ``call(RandomState(0))`` on the jax backend, from tracing the call
    (``jax.eval_shape``: the same Python code as an eager call, no XLA compile; eager
    calls at these shapes compiled a sampler each, 10 s of CPU)."""
    import jax

    from brainjit.math._jax.ndarray import unwrap

    return jax.eval_shape(lambda: unwrap(call(bp.math.random.RandomState(0)))).shape


def test_size_none_gives_the_parameters_shape(backend):
    r = bp.math.use_backend(backend) or bp.math.random
    assert np.shape(r.gumbel()) == ()  # one eager call of the module-level function
    for label, (want, call) in SIZE_NONE_CALLS.items():
        if backend == "numpy":
            assert np.shape(call(r)) == want, label
            assert np.shape(call(r.RandomState(0))) == want, label
        else:
            assert _traced_shape(call) == want, label


def test_bytes_and_state(backend):
    r = bp.math.use_backend(backend) or bp.math.random
    assert isinstance(r.bytes(7), bytes) and len(r.bytes(7)) == 7
    r.seed(1)
    state = r.get_state()
    first = np.asarray(r.gumbel(size=4))
    r.set_state(state)
    np.testing.assert_array_equal(first, np.asarray(r.gumbel(size=4)))


def _check_fresh_in_jit(names):
    bp.math.use_backend("jax")

    def all_of_them():
        return {name: draw(bp.math.random, name, (16,)) for name in names}

    f = bp.math.jit(all_of_them)
    bp.math.random.seed(0)
    first = f()
    second = f()
    for name in names:
        a, b = np.asarray(first[name]), np.asarray(second[name])
        assert a.shape[0] == 16 and a.shape == b.shape, name
        assert a.dtype.kind == SPECS[name][2], name
        assert not np.array_equal(a, b), name  # the key Variable moved on
    bp.math.random.seed(0)
    again = f()
    for name in names:
        np.testing.assert_array_equal(np.asarray(first[name]), np.asarray(again[name]))


# jax.random's gamma-based samplers take seconds each to compile (all of them: 20 s of
# the suite): brainjit's own samplers, and one gamma-based one, are drawn inside jit
OWN_SAMPLERS = (
    "gumbel laplace logistic lognormal pareto power weibull wald vonmises logseries "
    "zipf hypergeometric noncentral_f multivariate_normal standard_cauchy triangular "
    "uniform normal randint truncated_normal"
).split()


def test_jax_draws_inside_jit_are_fresh_on_every_call():
    """brainjit's own samplers drawn inside one jitted function: fresh on every call,
    the same again after seeding."""
    _check_fresh_in_jit(OWN_SAMPLERS)


def test_jax_hypergeometric_and_multivariate_normal_checks():
    bp.math.use_backend("jax")
    with pytest.raises(ValueError, match="nsample"):
        bp.math.random.hypergeometric(2, 3, 7)
    bad = [[1.0, 2.0], [2.0, 1.0]]
    with pytest.raises(ValueError, match="positive-semidefinite"):
        bp.math.random.multivariate_normal([0.0, 0.0], bad, check_valid="raise")
    with pytest.warns(RuntimeWarning, match="positive-semidefinite"):
        bp.math.random.multivariate_normal([0.0, 0.0], bad)


# --------------------------------------------------------------- numpy backend, compiled

ALPHA = np.array([1.0, 2.0, 3.0])
PVALS = np.array([0.2, 0.3, 0.5])
MEAN = np.array([0.0, 1.0])
COV = np.array([[1.0, 0.5], [0.5, 2.0]])


def _all_compiled(n):
    """Every distribution in SPECS (sorted by name), as Numba-compiled code draws it."""
    r = bp.math.random
    return (
        r.bernoulli(0.3, n),
        r.beta(2.0, 5.0, n),
        r.binomial(10, 0.4, n),
        r.chisquare(3.0, n),
        r.choice(5, n),
        r.dirichlet(ALPHA, n),
        r.exponential(2.0, n),
        r.f(5.0, 8.0, n),
        r.gamma(2.5, 1.5, n),
        r.geometric(0.3, n),
        r.gumbel(1.0, 2.0, n),
        r.hypergeometric(10, 5, 7, n),
        r.laplace(1.0, 2.0, n),
        r.logistic(1.0, 2.0, n),
        r.lognormal(0.5, 0.75, n),
        r.logseries(0.6, n),
        r.multinomial(10, PVALS, n),
        r.multivariate_normal(MEAN, COV, n),
        r.negative_binomial(3, 0.4, n),
        r.noncentral_chisquare(3.0, 1.5, n),
        r.noncentral_f(3.0, 8.0, 1.5, n),
        r.normal(1.5, 2.0, n),
        r.pareto(3.0, n),
        r.poisson(3.5, n),
        r.power(2.5, n),
        r.rand(n),
        r.randint(3, 10, n),
        r.randn(n),
        r.random(n),
        r.random_integers(3, 9, n),
        r.random_sample(n),
        r.ranf(n),
        r.rayleigh(2.0, n),
        r.sample(n),
        r.standard_cauchy(n),
        r.standard_exponential(n),
        r.standard_gamma(2.5, n),
        r.standard_normal(n),
        r.standard_t(5.0, n),
        r.triangular(-1.0, 0.5, 2.0, n),
        r.truncated_normal(-1.0, 2.0, n),
        r.uniform(-2.0, 3.0, n),
        r.vonmises(0.5, 2.0, n),
        r.wald(1.0, 2.0, n),
        r.weibull(1.5, n),
        r.zipf(3.0, n),
    )


def test_numpy_compiled_draws_match_scipy():
    bp.math.use_backend("numpy")
    f = bp.math.jit(_all_compiled)
    bp.math.random.seed(20241202)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # random_integers
        draws = f(N)
    assert len(draws) == len(SPECS)
    for name, x in zip(sorted(SPECS), draws):
        args, dist, kind = SPECS[name]
        a = np.asarray(x, np.float64)
        assert np.asarray(x).dtype.kind == kind, (name, np.asarray(x).dtype)
        if dist is None:
            _check_multivariate(name, a)
        else:
            _check_univariate(name, a, dist, kind)
