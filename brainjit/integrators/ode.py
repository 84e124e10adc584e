"""``bp.odeint``: ODE step functions generated from derivative functions.

Each scheme is written once, as a source template filled with the names of the
variables and parameters, and the result is a plain function
``step(x, y, ..., t, *params, dt=0.1)`` returning the new state (a tuple when there
are several variables). Explicit Runge–Kutta schemes share one template driven by
their Butcher tableau; exponential Euler has its own.
"""

from __future__ import annotations

from fractions import Fraction as F

from brainjit.integrators import _codegen, _emit
from brainjit.integrators._signature import name_of

__all__ = ["odeint", "ODE_METHODS", "TABLEAUS"]

# Butcher tableaus (A rows, b weights, c nodes) of the explicit Runge–Kutta schemes.
TABLEAUS = {
    "euler": ([[]], [F(1)], [F(0)]),
    "midpoint": ([[], [F(1, 2)]], [F(0), F(1)], [F(0), F(1, 2)]),
    "heun": ([[], [F(1)]], [F(1, 2), F(1, 2)], [F(0), F(1)]),
    # Ralston's second-order method: the smallest error bound of the 2-stage schemes.
    "rk2": ([[], [F(2, 3)]], [F(1, 4), F(3, 4)], [F(0), F(2, 3)]),
    "rk3": ([[], [F(1, 2)], [F(-1), F(2)]], [F(1, 6), F(2, 3), F(1, 6)], [F(0), F(1, 2), F(1)]),
    "rk4": (
        [[], [F(1, 2)], [F(0), F(1, 2)], [F(0), F(0), F(1)]],
        [F(1, 6), F(1, 3), F(1, 3), F(1, 6)],
        [F(0), F(1, 2), F(1, 2), F(1)],
    ),
}
ORDERS = {"euler": 1, "midpoint": 2, "heun": 2, "rk2": 2, "rk3": 3, "rk4": 4, "exp_euler": 1}
ODE_METHODS = (*TABLEAUS, "exp_euler")


def _paren(expr: str) -> str:
    return f"({expr})" if " " in expr else expr


def _rk_body(system: _emit.System, tableau) -> list[str]:
    A, b, c = tableau
    variables = system.signature.variables
    lines = []
    for s in range(len(b)):
        if s == 0:
            env = {}
        else:
            env = {}
            for v in variables:
                inc = _emit.lincomb([(A[s][j], f"d{v}_k{j + 1}") for j in range(s)])
                lines.append(f"    {v}_{s + 1} = {v} + dt * {_paren(inc)}")
                env[v] = f"{v}_{s + 1}"
            if c[s] != 0:
                lines.append(f"    t_{s + 1} = t + {_emit.coef_term(c[s], 'dt')}")
                env["t"] = f"t_{s + 1}"
        lines += _emit.evaluate(system, env, {v: f"d{v}_k{s + 1}" for v in variables})
    for v in variables:
        inc = _emit.lincomb([(b[j], f"d{v}_k{j + 1}") for j in range(len(b))])
        lines.append(f"    {v}_new = {v} + dt * {_paren(inc)}")
    return lines


def _exp_euler_body(system: _emit.System) -> list[str]:
    # For dx/dt = A x + B (A, B independent of x, other variables held at their current
    # values): x(t + dt) = x + expm1(A dt) / A * (A x + B), exactly. A is read off the
    # derivative function as f(x + 1) - f(x), exact when f is linear in x. The factor
    # phi(z) = expm1(z) / z (z = A dt) tends to 1 as z -> 0; |z| is raised to at least
    # 1e-30 (sign kept), where phi is 1 to rounding, so z == 0 never divides 0 by 0.
    # (Ufuncs only: np.where is costly to compile in Numba.)
    variables = system.signature.variables
    lines = _emit.evaluate(system, {}, {v: f"d{v}" for v in variables})
    for comp in system.components:
        for v in comp.variables:
            shifted = _emit.output(comp, {v: f"{v} + 1.0"}, v)
            lines.append(f"    A_{v} = {shifted} - d{v}")
    for v in variables:
        lines += [
            f"    z_{v} = dt * A_{v}",
            f"    z_{v} = bp.math.copysign(bp.math.maximum(bp.math.abs(z_{v}), 1e-30), z_{v})",
            f"    {v}_new = {v} + dt * (bp.math.expm1(z_{v}) / z_{v}) * d{v}",
        ]
    return lines


def _return(variables) -> str:
    return f"    return {', '.join(f'{v}_new' for v in variables)}"


def odeint(f=None, method: str = "euler", dt=None, show_code: bool = False):
    """Generate the step function of the ODE ``dx/dt = f(x, ..., t, *params)``.

    ``f(x, y, ..., t, *params)``: the arguments before ``t`` are the state variables,
    those after it the parameters; it returns the derivative (a tuple of them for
    several variables). ``f`` may be a :class:`~brainjit.JointEq`.

    Methods: ``'euler'`` (order 1), ``'midpoint'``, ``'heun'``, ``'rk2'`` (Ralston)
    (order 2), ``'rk3'`` (order 3), ``'rk4'`` (order 4) and ``'exp_euler'``, exponential
    Euler for equations linear in their own variable (exact when the coefficients are
    constant; order 1 in general).

    Returns a plain function ``step(x, y, ..., t, *params, dt=dt)`` (``dt`` defaults to
    0.1) giving the state at ``t + dt`` (a tuple for several variables). It uses only
    ``bp.math`` operations: it runs on both backends, under ``jax.jit`` and inside
    Numba-compiled code. Usable as a decorator: ``@bp.odeint`` or
    ``@bp.odeint(method='rk4')``.
    """
    if f is None:
        return lambda func: odeint(func, method=method, dt=dt, show_code=show_code)
    if isinstance(f, str):
        raise TypeError(
            f"odeint() got the string {f!r} as the derivative function; "
            f"did you mean odeint(method={f!r})?"
        )
    if method not in ODE_METHODS:
        raise ValueError(
            f"Unknown ODE method {method!r}; choose one of {', '.join(map(repr, ODE_METHODS))}"
        )
    dt = _emit.check_dt(dt)
    system = _emit.system_of(f, "derivative", "derivative function")
    if method == "exp_euler":
        body = _exp_euler_body(system)
    else:
        body = _rk_body(system, TABLEAUS[method])
    body.append(_return(system.signature.variables))
    description, fingerprints = _emit.describe_components(system, "derivative function")
    fname = _codegen.identifier(name_of(f) if not hasattr(f, "equations") else "joint")
    step = _emit.build(
        source_body=body,
        func_name=f"{method}_step",
        system_sig=system.signature,
        namespace=system.namespace,
        dt=dt,
        description=[f"{method} step (order {ORDERS[method]}) of:", *description],
        fingerprints=fingerprints,
        stem=f"ode_{method}_{fname}",
    )
    step.method = method
    step.f = f
    if show_code:
        print(step.source)
    return step
