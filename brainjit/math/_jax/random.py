"""``bp.math.random`` on the jax backend.

A :class:`RandomState` is a Variable holding a JAX PRNG key; each draw splits the key
and stores one half back. Because the key is a Variable, random calls inside
``bp.math.jit`` code read it and write it like any other state, so every call of the
compiled function draws fresh numbers, and :func:`seed` makes runs reproducible.
A generator is one stream for all threads: draws from several threads at once (jitted
or not) are serialised, each number drawn once, in an order that depends on timing;
give each thread its own ``RandomState(seed)`` for streams that do not depend on it.
Signatures follow NumPy's ``RandomState``.
"""

from __future__ import annotations

import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax import _trace
from brainjit.math._jax.ndarray import JaxArray, Variable, check_dtype, unwrap, wrap

__all__ = ["RandomState", "DEFAULT", "seed"]


def _arg(x):
    """A distribution parameter as JAX takes it: JaxArrays unwrapped, lists as arrays."""
    x = unwrap(x)
    return jnp.asarray(x) if isinstance(x, (list, tuple)) else x


def _concrete(x):
    """``x`` as a NumPy array when its value is known now (not inside traced code)."""
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x)


def _size(size, *params):
    """NumPy's ``size`` rule: None means the broadcast shape of the parameters."""
    if size is None:
        return jnp.broadcast_shapes(*(jnp.shape(p) for p in params)) if params else ()
    return (size,) if isinstance(size, (int, np.integer)) else tuple(size)


def _float():
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


def _int():
    return jnp.int64 if jax.config.jax_enable_x64 else jnp.int32


class RandomState(Variable):
    """A JAX random generator with NumPy's ``RandomState`` methods.

    >>> rs = RandomState(42)
    >>> rs.normal(0., 2., size=(2, 5))    # doctest: +SKIP
    """

    __slots__ = ()

    def __init__(self, seed: int | None = None):
        super().__init__(self._key(seed))

    @staticmethod
    def _key(seed):
        if seed is None:
            seed = np.random.SeedSequence().entropy % (2**32)
        return jax.random.PRNGKey(int(seed))

    def seed(self, seed: int | None = None) -> None:
        """Reseed the generator (outside jitted code)."""
        self.value = self._key(seed)

    def split_key(self):
        """A fresh key for one draw; the generator moves on.

        Thread-safe: the key is read and written back as one step (under the lock of
        jitted calls), so threads drawing from one generator never draw the same
        numbers; which thread gets which numbers depends on their timing."""
        with _trace.LOCK:
            key, sub = jax.random.split(self.value)
            self.value = key
        return sub

    # -- continuous ---------------------------------------------------------------
    def random(self, size=None):
        """Uniform floats in [0, 1)."""
        return wrap(jax.random.uniform(self.split_key(), _size(size), dtype=_float()))

    random_sample = random
    ranf = random
    sample = random

    def rand(self, *dn):
        """Uniform floats in [0, 1) of shape ``dn``."""
        return self.random(dn)

    def randn(self, *dn):
        """Standard normal floats of shape ``dn``."""
        return self.standard_normal(dn)

    def standard_normal(self, size=None):
        """Standard normal floats."""
        return wrap(jax.random.normal(self.split_key(), _size(size), dtype=_float()))

    def uniform(self, low=0.0, high=1.0, size=None):
        """Uniform floats in [low, high)."""
        low, high = _arg(low), _arg(high)
        shape = _size(size, low, high)
        u = jax.random.uniform(self.split_key(), shape, dtype=_float())
        return wrap(low + (high - low) * u)

    def normal(self, loc=0.0, scale=1.0, size=None):
        """Normal floats with mean ``loc`` and standard deviation ``scale``."""
        loc, scale = _arg(loc), _arg(scale)
        shape = _size(size, loc, scale)
        return wrap(loc + scale * jax.random.normal(self.split_key(), shape, dtype=_float()))

    def exponential(self, scale=1.0, size=None):
        """Exponential floats with mean ``scale``."""
        scale = _arg(scale)
        shape = _size(size, scale)
        return wrap(scale * jax.random.exponential(self.split_key(), shape, dtype=_float()))

    def standard_exponential(self, size=None):
        """Exponential floats with mean 1."""
        return self.exponential(1.0, size)

    def gamma(self, shape, scale=1.0, size=None):
        """Gamma floats with shape ``shape`` and scale ``scale``."""
        shape_, scale = _arg(shape), _arg(scale)
        out = _size(size, shape_, scale)
        return wrap(scale * jax.random.gamma(self.split_key(), shape_, out, dtype=_float()))

    def standard_gamma(self, shape, size=None):
        """Gamma floats with scale 1."""
        return self.gamma(shape, 1.0, size)

    def beta(self, a, b, size=None):
        """Beta floats."""
        a, b = _arg(a), _arg(b)
        return wrap(jax.random.beta(self.split_key(), a, b, _size(size, a, b), dtype=_float()))

    def truncated_normal(self, lower, upper, size=None, scale=None):
        """Standard normals restricted to ``[lower, upper]`` (then times ``scale``)."""
        lower, upper = _arg(lower), _arg(upper)
        lo, hi = _concrete(lower), _concrete(upper)
        if lo is not None and hi is not None and np.any(lo >= hi):
            raise ValueError(f"truncated_normal: need lower < upper, got {lo} and {hi}")
        shape = _size(size, lower, upper)
        out = jax.random.truncated_normal(self.split_key(), lower, upper, shape, dtype=_float())
        return wrap(out if scale is None else out * _arg(scale))

    # -- discrete -----------------------------------------------------------------
    def randint(self, low, high=None, size=None, dtype=None):
        """Integers in [low, high) (or [0, low) when ``high`` is None)."""
        check_dtype("random.randint", dtype)
        low, high = _arg(low), _arg(high)
        if high is None:
            low, high = 0, low
        if (
            isinstance(low, (int, np.integer))
            and isinstance(high, (int, np.integer))
            and low >= high
        ):
            raise ValueError(f"randint: need low < high, got low={low}, high={high}")
        shape = _size(size, low, high)
        return wrap(jax.random.randint(self.split_key(), shape, low, high, dtype=dtype or _int()))

    def random_integers(self, low, high=None, size=None):
        """Integers in [low, high] (inclusive)."""
        if high is None:
            low, high = 1, low
        return self.randint(low, _arg(high) + 1, size)

    def bernoulli(self, p=0.5, size=None):
        """Booleans that are True with probability ``p``."""
        p = _arg(p)
        known = _concrete(p)
        if known is not None and np.any((known < 0) | (known > 1)):
            raise ValueError(f"bernoulli: p must lie in [0, 1], got {known}")
        return wrap(jax.random.bernoulli(self.split_key(), p, _size(size, p)))

    def binomial(self, n, p, size=None):
        """Number of successes in ``n`` trials of probability ``p``."""
        n, p = _arg(n), _arg(p)
        shape = _size(size, n, p)
        out = jax.random.binomial(self.split_key(), n, p, shape, dtype=_float())
        return wrap(out.astype(_int()))

    def poisson(self, lam=1.0, size=None):
        """Poisson counts with rate ``lam``."""
        lam = _arg(lam)
        shape = _size(size, lam)
        return wrap(jax.random.poisson(self.split_key(), lam, shape, dtype=_int()))

    def geometric(self, p, size=None):
        """Number of trials until the first success."""
        p = _arg(p)
        return wrap(jax.random.geometric(self.split_key(), p, _size(size, p), dtype=_int()))

    # -- NumPy's other distributions ------------------------------------------------
    # jax.random's sampler where it has one with NumPy's definition; otherwise NumPy's
    # own transformation or algorithm (numpy/random/src/distributions/distributions.c),
    # vectorised: rejection samplers loop (lax.while_loop) until every element is taken.
    def _draw(self, sampler, size, *params):
        """``sampler(key, shape)`` with the shape from ``size`` and the parameters."""
        return sampler(self.split_key(), _size(size, *params))

    def _floats(self, size, *params):
        """The parameters as floats broadcast to the result shape, and that shape."""
        shape = _size(size, *params)
        return shape, [jnp.broadcast_to(jnp.asarray(p, _float()), shape) for p in params]

    def standard_cauchy(self, size=None):
        """Cauchy floats with mode 0 and scale 1."""
        return wrap(jax.random.cauchy(self.split_key(), _size(size), dtype=_float()))

    def standard_t(self, df, size=None):
        """Student's t floats with ``df`` degrees of freedom."""
        df = _arg(df)
        return wrap(jax.random.t(self.split_key(), df, _size(size, df), dtype=_float()))

    def chisquare(self, df, size=None):
        """Chi-square floats with ``df`` degrees of freedom."""
        df = _arg(df)
        return wrap(jax.random.chisquare(self.split_key(), df, _size(size, df), dtype=_float()))

    def f(self, dfnum, dfden, size=None):
        """F (Fisher-Snedecor) floats."""
        dfnum, dfden = _arg(dfnum), _arg(dfden)
        shape = _size(size, dfnum, dfden)
        return wrap(jax.random.f(self.split_key(), dfnum, dfden, shape, dtype=_float()))

    def noncentral_chisquare(self, df, nonc, size=None):
        """Noncentral chi-square floats: a chi-square with ``df + 2 * Poisson(nonc / 2)``
        degrees of freedom."""
        df, nonc = _arg(df), _arg(nonc)
        shape, (df, nonc) = self._floats(size, df, nonc)
        i = jax.random.poisson(self.split_key(), nonc / 2, shape).astype(_float())
        return wrap(2 * jax.random.gamma(self.split_key(), df / 2 + i, shape, dtype=_float()))

    def noncentral_f(self, dfnum, dfden, nonc, size=None):
        """Noncentral F floats: (noncentral chi-square / dfnum) / (chi-square / dfden)."""
        dfnum, dfden, nonc = _arg(dfnum), _arg(dfden), _arg(nonc)
        shape, (dfnum, dfden, nonc) = self._floats(size, dfnum, dfden, nonc)
        t = unwrap(self.noncentral_chisquare(dfnum, nonc, shape))
        d = 2 * jax.random.gamma(self.split_key(), dfden / 2, shape, dtype=_float())
        return wrap((t * dfden) / (d * dfnum))

    def gumbel(self, loc=0.0, scale=1.0, size=None):
        """Gumbel (extreme value type I) floats."""
        loc, scale = _arg(loc), _arg(scale)
        g = jax.random.gumbel(self.split_key(), _size(size, loc, scale), dtype=_float())
        return wrap(loc + scale * g)

    def laplace(self, loc=0.0, scale=1.0, size=None):
        """Laplace (double exponential) floats."""
        loc, scale = _arg(loc), _arg(scale)
        x = jax.random.laplace(self.split_key(), _size(size, loc, scale), dtype=_float())
        return wrap(loc + scale * x)

    def logistic(self, loc=0.0, scale=1.0, size=None):
        """Logistic floats."""
        loc, scale = _arg(loc), _arg(scale)
        x = jax.random.logistic(self.split_key(), _size(size, loc, scale), dtype=_float())
        return wrap(loc + scale * x)

    def lognormal(self, mean=0.0, sigma=1.0, size=None):
        """Floats whose logarithm is normal with mean ``mean`` and sd ``sigma``."""
        mean, sigma = _arg(mean), _arg(sigma)
        z = jax.random.normal(self.split_key(), _size(size, mean, sigma), dtype=_float())
        return wrap(jnp.exp(mean + sigma * z))

    def pareto(self, a, size=None):
        """Pareto II (Lomax) floats with shape ``a`` (NumPy's: ``exp(E / a) - 1``, E
        standard exponential; add 1 and multiply by ``m`` for the classical Pareto)."""
        a = _arg(a)
        e = jax.random.exponential(self.split_key(), _size(size, a), dtype=_float())
        return wrap(jnp.expm1(e / a))

    def power(self, a, size=None):
        """Power-function floats in [0, 1] with density ``a * x**(a - 1)``."""
        a = _arg(a)
        e = jax.random.exponential(self.split_key(), _size(size, a), dtype=_float())
        return wrap((-jnp.expm1(-e)) ** (1.0 / a))

    def rayleigh(self, scale=1.0, size=None):
        """Rayleigh floats."""
        scale = _arg(scale)
        shape = _size(size, scale)
        return wrap(jax.random.rayleigh(self.split_key(), scale, shape, dtype=_float()))

    def weibull(self, a, size=None):
        """Weibull floats with shape ``a`` and scale 1 (``E ** (1 / a)``; 0 for a = 0)."""
        a = _arg(a)
        shape, (a,) = self._floats(size, a)
        e = jax.random.exponential(self.split_key(), shape, dtype=_float())
        return wrap(jnp.where(a == 0, 0.0, e ** (1.0 / jnp.where(a == 0, 1.0, a))))

    def wald(self, mean, scale, size=None):
        """Wald (inverse Gaussian) floats with mean ``mean`` and shape ``scale``."""
        mean, scale = _arg(mean), _arg(scale)
        shape, (mean, scale) = self._floats(size, mean, scale)
        y = jax.random.normal(self.split_key(), shape, dtype=_float())
        y = mean * y * y
        # NumPy's mean + mean/(2 scale) * (y - sqrt(4 scale y + y^2)), without cancellation
        x = mean - mean / (2 * scale) * (4 * scale * y) / (y + jnp.sqrt(4 * scale * y + y * y))
        u = jax.random.uniform(self.split_key(), shape, dtype=_float())
        return wrap(jnp.where(u <= mean / (mean + x), x, mean * mean / x))

    def triangular(self, left, mode, right, size=None):
        """Floats of the triangular distribution on [left, right] with peak ``mode``."""
        left, mode, right = _arg(left), _arg(mode), _arg(right)
        lo, mo, hi = _concrete(left), _concrete(mode), _concrete(right)
        if lo is not None and mo is not None and hi is not None:
            if np.any(lo > mo) or np.any(mo > hi) or np.any(lo == hi):
                raise ValueError("triangular: need left <= mode <= right and left < right")
        shape = _size(size, left, mode, right)
        out = jax.random.triangular(self.split_key(), left, mode, right, shape, dtype=_float())
        return wrap(out)

    def vonmises(self, mu, kappa, size=None):
        """von Mises floats in [-pi, pi] with mode ``mu`` and concentration ``kappa``
        (NumPy's Best-Fisher rejection sampler)."""
        mu, kappa = _arg(mu), _arg(kappa)
        shape, (mu, kappa) = self._floats(size, mu, kappa)
        return wrap(_vonmises(self.split_key(), mu, kappa))

    def dirichlet(self, alpha, size=None):
        """Dirichlet vectors: shape ``size + (len(alpha),)``."""
        alpha = jnp.asarray(_arg(alpha), _float())
        shape = () if size is None else _size(size)
        return wrap(jax.random.dirichlet(self.split_key(), alpha, shape, dtype=_float()))

    def multivariate_normal(self, mean, cov, size=None, check_valid="warn", tol=1e-8):
        """Multivariate normal vectors: shape ``size + (len(mean),)``. ``cov`` must be
        symmetric positive semi-definite (checked as NumPy does, when it is known)."""
        mean, cov = jnp.asarray(_arg(mean), _float()), jnp.asarray(_arg(cov), _float())
        if check_valid not in ("warn", "raise", "ignore"):
            raise ValueError("check_valid must equal 'warn', 'raise', or 'ignore'")
        known = _concrete(cov)
        if known is not None and check_valid != "ignore":
            known = known.astype(np.float64)
            _, s, vt = np.linalg.svd(known)
            psd = np.allclose(vt.T @ (s[:, None] * vt), known, rtol=tol, atol=np.sqrt(tol))
            if not psd:
                message = "covariance is not symmetric positive-semidefinite."
                if check_valid == "raise":
                    raise ValueError(message)
                import warnings

                warnings.warn(message, RuntimeWarning, stacklevel=2)
        shape = () if size is None else _size(size)
        out = jax.random.multivariate_normal(
            self.split_key(), mean, cov, shape, dtype=_float(), method="svd"
        )
        return wrap(out)

    # discrete
    def negative_binomial(self, n, p, size=None):
        """Failures before the ``n``-th success in trials of probability ``p`` (a
        Poisson whose rate is Gamma(n, (1 - p) / p))."""
        n, p = _arg(n), _arg(p)
        shape, (n, p) = self._floats(size, n, p)
        lam = jax.random.gamma(self.split_key(), n, shape, dtype=_float()) * (1 - p) / p
        return wrap(jax.random.poisson(self.split_key(), lam, shape, dtype=_int()))

    def logseries(self, p, size=None):
        """Logarithmic-series counts (>= 1) with parameter ``p`` (Kemp's sampler)."""
        p = _arg(p)
        shape, (p,) = self._floats(size, p)
        k1, k2 = jax.random.split(self.split_key())
        v = jax.random.uniform(k1, shape, dtype=_float())
        u = jax.random.uniform(k2, shape, dtype=_float())
        q = -jnp.expm1(jnp.log1p(-p) * u)
        many = jnp.floor(1 + jnp.log(v) / jnp.log(q))
        out = jnp.where(v >= p, 1.0, jnp.where(v <= q * q, jnp.maximum(many, 1.0), 1.0))
        out = jnp.where((v < p) & (v > q * q) & (v < q), 2.0, out)
        return wrap(out.astype(_int()))

    def zipf(self, a, size=None):
        """Zipf counts (>= 1) with exponent ``a > 1`` (NumPy's rejection sampler; draws
        beyond the integer range are rejected)."""
        a = _arg(a)
        shape, (a,) = self._floats(size, a)
        return wrap(_zipf(self.split_key(), a, _int()))

    def hypergeometric(self, ngood, nbad, nsample, size=None):
        """Good items among ``nsample`` drawn without replacement from ``ngood`` good
        and ``nbad`` bad ones (drawn one by one: cost grows with ``nsample``)."""
        ngood, nbad, nsample = _arg(ngood), _arg(nbad), _arg(nsample)
        known = [_concrete(x) for x in (ngood, nbad, nsample)]
        if all(k is not None for k in known):
            g, b, n = known
            if np.any(g < 0) or np.any(b < 0) or np.any(n < 0):
                raise ValueError("hypergeometric: ngood, nbad and nsample must be >= 0")
            if np.any(n > g + b):
                raise ValueError("hypergeometric: need nsample <= ngood + nbad")
        shape, (good, bad, n) = self._floats(size, ngood, nbad, nsample)
        return wrap(_hypergeometric(self.split_key(), good, bad, n, _int()))

    def multinomial(self, n, pvals, size=None):
        """Counts of ``n`` trials over ``len(pvals)`` outcomes: shape ``size +
        (len(pvals),)``; the last outcome takes the probability the others leave."""
        n = _arg(n)
        pvals = jnp.asarray(_arg(pvals), _float())
        p = jnp.concatenate([pvals[:-1], jnp.maximum(1 - jnp.sum(pvals[:-1]), 0)[None]])
        shape = (() if size is None else _size(size)) + p.shape
        out = _multinomial(self.split_key(), n, p, shape, _float())
        return wrap(out.astype(_int()))

    # -- bytes and state --------------------------------------------------------------
    def bytes(self, length):
        """``length`` random bytes (outside jitted code)."""
        out = jax.random.randint(self.split_key(), (int(length),), 0, 256, dtype=jnp.int32)
        return np.asarray(out).astype(np.uint8).tobytes()

    def get_state(self):
        """The generator's key (a NumPy array), for :meth:`set_state`."""
        return np.array(self.value)

    def set_state(self, state) -> None:
        """Restore a key returned by :meth:`get_state`."""
        self.value = jnp.asarray(state, dtype=jnp.asarray(self.value).dtype)

    # -- permutations ---------------------------------------------------------------
    def choice(self, a, size=None, replace=True, p=None):
        """A random sample from ``a`` (an array, or ``arange(a)`` for an int)."""
        a, p = _arg(a), _arg(p)
        shape = () if size is None else _size(size)
        return wrap(jax.random.choice(self.split_key(), a, shape, replace=replace, p=p))

    def permutation(self, x):
        """A permuted copy of ``x`` (or of ``arange(x)`` for an int)."""
        return wrap(jax.random.permutation(self.split_key(), _arg(x)))

    def shuffle(self, x, axis=0) -> None:
        """Shuffle the JaxArray ``x`` in place along ``axis``."""
        if not isinstance(x, JaxArray):
            raise TypeError(
                f"shuffle() shuffles a JaxArray in place; got {type(x).__name__} "
                "(use permutation() for a shuffled copy)"
            )
        x.value = jax.random.permutation(self.split_key(), x.value, axis=axis, independent=False)

    def __repr__(self) -> str:
        return f"RandomState(key={np.asarray(self._value).tolist()})"


# -- rejection and counting samplers, compiled once per shape and dtype (their loops
# are slow to trace); inside bp.math.jit they become part of the caller's program.


@jax.jit
def _vonmises(key, mu, kappa):
    shape, dtype = kappa.shape, kappa.dtype
    key, loop_key = jax.random.split(key)
    safe = jnp.where(kappa < 1e-8, 1.0, kappa)
    r = 1 + jnp.sqrt(1 + 4 * safe * safe)
    rho = 2 * safe / (r + jnp.sqrt(2 * r))  # (r - sqrt(2r)) / (2 kappa), stably
    s = jnp.where(safe < 1e-5, 1 / safe + safe, (1 + rho * rho) / (2 * rho))

    def step(state):
        key, w, todo = state
        key, k1, k2 = jax.random.split(key, 3)
        z = jnp.cos(jnp.pi * jax.random.uniform(k1, shape, dtype=dtype))
        w_new = (1 + s * z) / (s + z)
        y = safe * (s - w_new)
        v = jax.random.uniform(k2, shape, dtype=dtype)
        ok = (y * (2 - y) - v >= 0) | (jnp.log(y / v) + 1 - y >= 0)
        take = todo & ok
        return key, jnp.where(take, w_new, w), todo & ~take

    start = (loop_key, jnp.zeros(shape, dtype), jnp.ones(shape, bool))
    _, w, _ = jax.lax.while_loop(lambda st: jnp.any(st[2]), step, start)
    k1, k2 = jax.random.split(key)
    u = jax.random.uniform(k1, shape, dtype=dtype)
    angle = jnp.where(u < 0.5, -1.0, 1.0) * jnp.arccos(jnp.clip(w, -1.0, 1.0))
    uniform = jnp.pi * (2 * u - 1)
    normal = jnp.sqrt(1 / safe) * jax.random.normal(k2, shape, dtype=dtype)
    x = jnp.where(kappa < 1e-8, uniform, jnp.where(kappa > 1e6, normal, angle)) + mu
    wrapped = jnp.fmod(jnp.abs(x) + jnp.pi, 2 * jnp.pi) - jnp.pi  # into [-pi, pi]
    return jnp.where(x < 0, -wrapped, wrapped)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _multinomial(key, n, p, shape, dtype):
    """``jax.random.multinomial`` compiled once per shape (called eagerly, its scan
    is traced and compiled again at every call: ~2 s each)."""
    return jax.random.multinomial(key, n, p, shape=shape, dtype=dtype)


@functools.partial(jax.jit, static_argnums=2)
def _zipf(key, a, int_dtype):
    shape, dtype = a.shape, a.dtype
    am1 = a - 1
    b = 2.0**am1
    top = float(jnp.iinfo(int_dtype).max)

    def step(state):
        key, x, todo = state
        key, k1, k2 = jax.random.split(key, 3)
        u = 1 - jax.random.uniform(k1, shape, dtype=dtype)
        v = jax.random.uniform(k2, shape, dtype=dtype)
        new = jnp.floor(u ** (-1 / am1))
        fine = (new >= 1) & (new < top)
        safe = jnp.where(fine, new, 1.0)
        t = (1 + 1 / safe) ** am1
        ok = fine & (v * safe * (t - 1) / (b - 1) <= t / b)
        take = todo & ok
        return key, jnp.where(take, safe, x), todo & ~take

    start = (key, jnp.ones(shape, dtype), jnp.ones(shape, bool))
    _, x, _ = jax.lax.while_loop(lambda st: jnp.any(st[2]), step, start)
    return x.astype(int_dtype)


@functools.partial(jax.jit, static_argnums=4)
def _hypergeometric(key, good, bad, n, int_dtype):
    shape, dtype = good.shape, good.dtype
    total = good + bad
    flip = n > total / 2  # draw the smaller of nsample and total - nsample
    draws = jnp.where(flip, total - n, n)

    def step(i, state):
        key, good_left, total_left, count = state
        key, sub = jax.random.split(key)
        u = jax.random.uniform(sub, shape, dtype=dtype)
        active = i < draws
        hit = ((u * total_left < good_left) & active).astype(dtype)
        return key, good_left - hit, total_left - active.astype(dtype), count + hit

    start = (key, good, total, jnp.zeros(shape, dtype))
    steps = jnp.max(draws, initial=0).astype(int_dtype)
    count = jax.lax.fori_loop(0, steps, step, start)[3]
    return jnp.where(flip, good - count, count).astype(int_dtype)


DEFAULT = RandomState(np.random.SeedSequence().entropy % (2**32))


def seed(seed: int | None = None) -> None:
    """Seed the default generator (what the module-level functions draw from)."""
    DEFAULT.seed(seed)


_METHODS = [
    name
    for name in dir(RandomState)
    if not name.startswith("_")
    and callable(getattr(RandomState, name))
    and name not in dir(Variable)
    and name != "seed"
]


def _bind(name):
    method = getattr(RandomState, name)

    def draw(*args, **kwargs):
        return method(DEFAULT, *args, **kwargs)

    draw.__name__ = name
    draw.__doc__ = method.__doc__
    parameters = list(inspect.signature(method).parameters.values())[1:]  # less self
    draw.__signature__ = inspect.Signature(parameters)
    return draw


NAMESPACE = {name: _bind(name) for name in _METHODS}
NAMESPACE.update(RandomState=RandomState, DEFAULT=DEFAULT, seed=seed)
