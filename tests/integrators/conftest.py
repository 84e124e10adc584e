"""Helpers for the integrator tests: 64-bit JAX, Numba compilation of step functions."""

import types

import numba
import pytest

import brainjit
import brainjit as bp


@pytest.fixture
def x64():
    """A context manager: JAX computes in float64 inside it (scoped, restored on exit)."""
    import jax

    manager = getattr(jax, "enable_x64", None)
    if manager is None:  # older JAX
        from jax.experimental import enable_x64 as manager
    return lambda: manager(True)


def _bp_view():
    """``brainjit`` as Numba-compiled code sees it: bp.math names are NumPy's own."""
    from brainjit.math._backend import load
    from brainjit.math._numpy import numba_view

    math = types.ModuleType("brainjit.math")
    for key, value in load("numpy").NAMESPACE.items():
        if not isinstance(value, types.ModuleType):
            math.__dict__[key] = numba_view.numpy_equivalent(value)
    math.random = numba_view.random_view()
    view = types.ModuleType("brainjit")
    view.math = math
    return view


def njit_tree(func, memo=None):
    """``numba.njit`` ``func`` after compiling, the same way, every plain Python function
    it reads from its globals, and mapping ``brainjit``/``bp.math`` to NumPy: what the
    jit machinery's recursive compilation does for functions called from compiled code.
    """
    memo = {} if memo is None else memo
    func = getattr(func, "py_func", func)
    if func in memo:
        return memo[func]
    view = _bp_view()
    namespace = dict(func.__globals__)
    for name in func.__code__.co_names:
        value = namespace.get(name)
        if value is brainjit:
            namespace[name] = view
        elif value is bp.math:
            namespace[name] = view.math
        elif isinstance(value, types.FunctionType) or hasattr(value, "py_func"):
            namespace[name] = njit_tree(value, memo)
    clone = types.FunctionType(
        func.__code__, namespace, func.__name__, func.__defaults__, func.__closure__
    )
    memo[func] = numba.njit(clone)
    return memo[func]


@pytest.fixture
def compile_tree():
    return njit_tree
