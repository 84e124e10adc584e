"""``bp.math.random`` on the numpy backend.

Module-level functions draw from NumPy's global generator (``numpy.random``), which is
also what Numba-compiled code draws from (Numba keeps its own copy of that generator;
:func:`seed` seeds both). ``RandomState(seed)`` objects hold an independent NumPy
``RandomState`` and offer the same methods.

Threads. NumPy's global generator is one for the whole process (eager draws from any
thread share it). Numba's is one *per thread* (a thread that never was seeded starts
from OS entropy), so :func:`seed` also decides what compiled code draws in each thread:

- ``seed(s)`` seeds the generator of the calling thread;
- a thread that has not called ``seed`` itself restarts from ``s`` (the latest seed
  given in any thread) the next time it enters compiled code (a ``bp.math.jit``
  function, a ``bp.Runner`` run) after that call. A run in a worker thread after
  ``seed(s)`` therefore draws exactly what the same run draws in the main thread right
  after ``seed(s)``, every time, also in a long-lived (pool) thread that drew before;
- a thread that has called ``seed`` itself keeps the stream of its own seed (other
  threads' seeds do not restart it). Two threads that should draw different numbers
  call ``seed`` with different seeds each (two unseeded threads that start after one
  ``seed(s)`` draw the same numbers).

``seed()`` without a seed reseeds NumPy's generator from entropy and leaves the
compiled code's generators alone. The threads of Numba's ``parallel=True`` loops have
generators of their own, which ``seed`` does not reach.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from brainjit.math._numpy.ops import to_ndarray, wrap

__all__ = [
    "RandomState",
    "seed",
    "bernoulli",
    "truncated_normal",
]


def _bernoulli(source, p, size):
    p = np.asarray(p)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"bernoulli: p must lie in [0, 1], got {p}")
    return to_ndarray(source.random_sample(size if size is not None else p.shape) < p)


def _truncated_normal(source, lower, upper, size, scale):
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    if np.any(lower >= upper):
        raise ValueError(f"truncated_normal: need lower < upper, got {lower} and {upper}")
    shape = np.broadcast_shapes(lower.shape, upper.shape) if size is None else size
    lo = np.broadcast_to(lower, shape)
    hi = np.broadcast_to(upper, shape)
    erf = np.vectorize(math.erf)
    mass = 0.5 * (erf(hi / math.sqrt(2)) - erf(lo / math.sqrt(2)))
    if np.any(mass < 1e-6):
        raise ValueError(
            "truncated_normal: the interval holds less than 1e-6 of the normal's mass; "
            "shift and rescale the distribution instead"
        )
    out = np.empty(shape)
    todo = np.ones(shape, dtype=bool)
    while todo.any():  # rejection sampling: accept draws that fall inside [lower, upper]
        draw = source.standard_normal(shape)
        ok = todo & (draw >= lo) & (draw <= hi)
        out[ok] = draw[ok]
        todo &= ~ok
    if scale is not None:
        out = out * scale
    return to_ndarray(out) if out.ndim else out[()]


class RandomState:
    """An independent random generator with NumPy's ``RandomState`` methods.

    >>> rs = RandomState(42)
    >>> rs.normal(0., 1., size=3)    # doctest: +SKIP
    """

    def __init__(self, seed: int | None = None):
        self._rng = np.random.RandomState(seed)

    def seed(self, seed: int | None = None) -> None:
        """Reseed this generator."""
        self._rng.seed(seed)

    def bernoulli(self, p=0.5, size=None):
        """Draw booleans that are True with probability ``p``."""
        return _bernoulli(self._rng, p, size)

    def truncated_normal(self, lower, upper, size=None, scale=None):
        """Draw standard normals restricted to ``[lower, upper]`` (then times ``scale``)."""
        return _truncated_normal(self._rng, lower, upper, size, scale)

    def ranf(self, size=None):
        """Uniform floats in [0, 1) (NumPy's module-level alias of ``random_sample``)."""
        return to_ndarray(self._rng.random_sample(size))

    sample = ranf

    def __getattr__(self, name):
        method = getattr(self._rng, name)  # AttributeError for unknown names
        return wrap(method) if callable(method) else method


class _ThreadSeed(threading.local):
    generation = 0  # the seed generation this thread's Numba generator follows
    own = False  # the thread called seed() itself: it keeps its own stream


#: [generation, seed]: the generation counts the ``seed(s)`` calls (0: none yet); the
#: jit wrappers compare it with the thread's on every call (:func:`sync_thread`).
SEED = [0, None]
THREAD = _ThreadSeed()
_SEED_LOCK = threading.Lock()


def seed(seed: int | None = None) -> None:
    """Seed NumPy's global generator and the one Numba-compiled code draws from in this
    thread; threads that never called ``seed`` restart from ``seed`` when they next
    enter compiled code (see the module docstring)."""
    np.random.seed(seed)
    if seed is not None:
        from brainjit.math._numpy import numba_view

        seed = int(seed)
        numba_view.seed_numba(seed)
        with _SEED_LOCK:
            SEED[:] = [SEED[0] + 1, seed]
            THREAD.generation = SEED[0]
        THREAD.own = True


def sync_thread() -> None:
    """Called on entry to compiled code when ``THREAD.generation != SEED[0]``: restart
    this thread's Numba generator from the latest seed (unless it seeded itself)."""
    with _SEED_LOCK:
        generation, value = SEED
    if not THREAD.own:
        from brainjit.math._numpy import numba_view

        numba_view.seed_numba(value)
    THREAD.generation = generation


def bernoulli(p=0.5, size=None):
    """Draw booleans that are True with probability ``p``."""
    return _bernoulli(np.random, p, size)


def truncated_normal(lower, upper, size=None, scale=None):
    """Draw standard normals restricted to ``[lower, upper]`` (then times ``scale``)."""
    return _truncated_normal(np.random, lower, upper, size, scale)


NAMESPACE = {
    name: wrap(getattr(np.random, name))
    for name in dir(np.random)
    if not name.startswith("_")
    and callable(getattr(np.random, name))
    and not isinstance(getattr(np.random, name), type)
    and name not in ("seed", "set_state", "get_state", "default_rng", "test")  # test: pytest's
}
NAMESPACE.update(
    seed=seed,
    bernoulli=bernoulli,
    truncated_normal=truncated_normal,
    RandomState=RandomState,
    get_state=np.random.get_state,
    set_state=np.random.set_state,
)
