"""What Numba-compiled code sees of ``bp.math`` on the numpy backend.

Compiled code must call NumPy's own functions, which Numba compiles natively. This
module builds *views*: module objects shaped like ``brainjit``, ``brainjit.math``,
``brainjit.math.random`` ... whose attributes are the NumPy functions (or Numba-compiled
equivalents) behind our thin wrappers. The jit machinery substitutes them for the real
modules in the globals of the functions it compiles.
"""

from __future__ import annotations

import types

import numba
import numpy as np
from numba.extending import overload

from brainjit.math._numpy import random as _random


@numba.njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


def seed_numba(seed: int) -> None:
    """Seed the generator Numba-compiled code draws from."""
    _seed(int(seed))


@overload(_random.bernoulli)
def _bernoulli_impl(p=0.5, size=None):
    if isinstance(size, (numba.types.NoneType, numba.types.Omitted)) or size is None:

        def impl(p=0.5, size=None):
            return np.random.random() < p

    else:

        def impl(p=0.5, size=None):
            return np.random.random(size) < p

    return impl


@overload(_random.truncated_normal)
def _truncated_normal_impl(lower, upper, size=None, scale=None):
    def draw(lower, upper):
        while True:
            x = np.random.standard_normal()
            if lower <= x <= upper:
                return x

    draw = numba.njit(draw)
    scalar = isinstance(size, (numba.types.NoneType, numba.types.Omitted)) or size is None
    unscaled = isinstance(scale, (numba.types.NoneType, numba.types.Omitted)) or scale is None

    if scalar:

        def impl(lower, upper, size=None, scale=None):
            x = draw(lower, upper)
            return x if unscaled else x * scale

    else:

        def impl(lower, upper, size=None, scale=None):
            out = np.empty(size)
            flat = out.reshape(-1)
            for i in range(flat.size):
                flat[i] = draw(lower, upper)
            return out if unscaled else out * scale

    return impl


def numpy_equivalent(obj):
    """The object compiled code should use in place of ``obj`` (NumPy's own function)."""
    return getattr(obj, "__wrapped__", obj)


def view_of(module: types.ModuleType, name: str | None = None) -> types.ModuleType:
    """A module whose attributes are the Numba-compilable equivalents of ``module``'s."""
    view = types.ModuleType(name or module.__name__)
    for key, value in vars(module).items():
        if key.startswith("__"):
            continue
        if key == "random" and isinstance(value, types.ModuleType):
            view.random = random_view()
        elif isinstance(value, types.ModuleType):
            view.__dict__[key] = view_of(value)
        else:
            view.__dict__[key] = numpy_equivalent(value)
    return view


def random_view() -> types.ModuleType:
    """``bp.math.random`` as compiled code sees it: Numba's ``np.random`` functions."""
    view = types.ModuleType("brainjit.math.random")
    for key in _random.NAMESPACE:
        if hasattr(np.random, key):
            view.__dict__[key] = getattr(np.random, key)
    view.bernoulli = _random.bernoulli  # compiled through the overloads above
    view.truncated_normal = _random.truncated_normal
    view.seed = np.random.seed
    return view
