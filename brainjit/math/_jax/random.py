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
    return draw


NAMESPACE = {name: _bind(name) for name in _METHODS}
NAMESPACE.update(RandomState=RandomState, DEFAULT=DEFAULT, seed=seed)
