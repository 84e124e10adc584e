"""A fix to JAX, applied on import: a trace that an exception aborts frees its constants.

JAX builds a jaxpr in ``partial_eval.trace_to_jaxpr`` inside
``core.ensure_no_leaks(trace)``, a context manager that calls ``trace.invalidate()``
after the traced function has *returned*: without ``try``/``finally``, a trace left by
an exception is never invalidated (JAX 0.10.2). ``invalidate`` is what breaks a cycle
that the garbage collector cannot: every array the traced code closes over becomes a
constant of the trace, with a ``weakref.finalize`` on its tracer whose callback is a
bound method of the trace (``finalize_const``), while the trace's tables
(``frame.constid_to_tracer``, ``frame.tracing_eqns``) hold that tracer. The finalizers'
registry is a root, so the trace, its equations and every constant stay in memory for
the life of the process (``jax.clear_caches()`` cannot reach them).

``bp.math.jit`` aborts a trace on purpose on every first call (the discovery trace, which
finds the Variables the function uses, ends with an internal exception), so without this
every model compiled once kept the arrays its code reads as constants -- connectivity,
parameters, the values of the Variables it had not yet threaded -- about 2 MB for a
100-neuron network with one synapse (``benchmarks/memory.py``); an error raised by
user code inside any ``jax.jit`` leaked the same way.

:func:`apply` wraps ``core.ensure_no_leaks`` so that an exception invalidates the trace
too (what the normal exit does, before the exception goes on). Nothing can use an
aborted trace afterwards. If a later JAX renames the function, nothing is replaced.
"""

from __future__ import annotations

import contextlib

from jax._src import core

_ORIGINAL: dict = {}


@contextlib.contextmanager
def _ensure_no_leaks(trace):
    with _ORIGINAL["ensure_no_leaks"](trace):
        try:
            yield
        except BaseException:
            invalidate = getattr(trace, "invalidate", None)
            if invalidate is not None:
                invalidate()
            raise


def apply() -> None:
    """Make ``jax._src.core.ensure_no_leaks`` invalidate an aborted trace (idempotent)."""
    if _ORIGINAL or not hasattr(core, "ensure_no_leaks"):
        return
    _ORIGINAL["ensure_no_leaks"] = core.ensure_no_leaks
    core.ensure_no_leaks = _ensure_no_leaks


apply()
