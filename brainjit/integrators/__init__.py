"""``bp.odeint``, ``bp.sdeint`` and ``bp.JointEq``: step functions generated from
derivative functions.

A derivative function ``f(x, y, ..., t, *params)`` takes the state variables, then the
time ``t``, then the parameters, and returns the derivative(s). The integrators turn it
into a plain function ``step(x, y, ..., t, *params, dt=0.1)`` that returns the state
one step later, written with ``bp.math`` operations only, so that it runs eagerly on
both backends, can be traced by JAX and compiled by Numba. A method
``f(self, x, ..., t, *params)`` gives a step function that takes ``self`` first and
binds to the instance. See ``docs/integrators.md``.
"""

from brainjit.integrators.joint import JointEq
from brainjit.integrators.ode import (
    ADAPTIVE_METHODS,
    ODE_METHODS,
    get_default_odeint,
    odeint,
    set_default_odeint,
)
from brainjit.integrators.sde import SDE_METHODS, get_default_sdeint, sdeint, set_default_sdeint

__all__ = [
    "ADAPTIVE_METHODS",
    "JointEq",
    "ODE_METHODS",
    "SDE_METHODS",
    "get_default_odeint",
    "get_default_sdeint",
    "odeint",
    "sdeint",
    "set_default_odeint",
    "set_default_sdeint",
]
