"""``bp.odeint``, ``bp.sdeint`` and ``bp.JointEq``: step functions generated from
derivative functions.

A derivative function ``f(x, y, ..., t, *params)`` takes the state variables, then the
time ``t``, then the parameters, and returns the derivative(s). The integrators turn it
into a plain function ``step(x, y, ..., t, *params, dt=0.1)`` that returns the state
one step later, written with ``bp.math`` operations only, so that it runs eagerly on
both backends, can be traced by JAX and compiled by Numba. See ``docs/integrators.md``.
"""

from brainjit.integrators.joint import JointEq
from brainjit.integrators.ode import ODE_METHODS, odeint
from brainjit.integrators.sde import SDE_METHODS, sdeint

__all__ = ["JointEq", "ODE_METHODS", "SDE_METHODS", "odeint", "sdeint"]
