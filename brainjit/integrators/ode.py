"""``bp.odeint``: ODE step functions generated from derivative functions.

Each scheme is written once, as a source template filled with the names of the
variables and parameters, and the result is a plain function
``step(x, y, ..., t, *params, dt=0.1)`` returning the new state (a tuple when there
are several variables). Explicit Runge–Kutta schemes share one template driven by
their Butcher tableau; exponential Euler has its own.
"""

from __future__ import annotations

from brainjit.integrators import _codegen, _emit
from brainjit.integrators._signature import name_of
from brainjit.integrators.tableaus import EMBEDDED, ERROR_ORDERS, ORDERS, TABLEAUS

__all__ = [
    "odeint",
    "ODE_METHODS",
    "ADAPTIVE_METHODS",
    "TABLEAUS",
    "set_default_odeint",
    "get_default_odeint",
]

ODE_METHODS = (*TABLEAUS, "exp_euler", *EMBEDDED)
ADAPTIVE_METHODS = tuple(EMBEDDED)
DEFAULT_TOL = 0.1  # BrainPy's default tolerance of the adaptive methods
_default = ["euler"]


def set_default_odeint(method: str) -> None:
    """Make ``method`` the one ``bp.odeint`` uses when none is given (initially
    ``'euler'``)."""
    _check_method(method)
    _default[0] = method


def get_default_odeint() -> str:
    """The method ``bp.odeint`` uses when none is given."""
    return _default[0]


def _check_method(method) -> None:
    if method not in ODE_METHODS:
        raise ValueError(
            f"Unknown ODE method {method!r}; choose one of {', '.join(map(repr, ODE_METHODS))}"
        )


def _paren(expr: str) -> str:
    return f"({expr})" if " " in expr else expr


def _needed_stages(A, weights) -> set[int]:
    """The stages that the weight vectors use, directly or through later stages (the
    last stage of Dormand–Prince only serves the error estimate)."""
    needed = {j for w in weights for j, coef in enumerate(w) if coef != 0}
    for s in range(len(A) - 1, 0, -1):
        if s in needed:
            needed |= {j for j, coef in enumerate(A[s]) if coef != 0}
    return needed


def _rk_body(system: _emit.System, tableau, adaptive: bool = False) -> list[str]:
    A, b, c = tableau[0], tableau[1], tableau[-1]
    weights = [b, [hi - lo for hi, lo in zip(b, tableau[2])]] if adaptive else [b]
    needed = _needed_stages(A, weights)
    variables = system.signature.variables
    lines = []
    for s in range(len(b)):
        if s not in needed:
            continue
        env = {}
        if s > 0:
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


def _adaptive_lines(variables, tableau, error_order: int, tol: float) -> list[str]:
    # The local error estimate e = dt * sum((b - b_low) k) of each variable, its largest
    # magnitude over all elements and variables, and the next step size from the
    # standard controller dt * 0.9 (tol / error)^(1 / (q + 1)), q the embedded order,
    # limited to [0.2 dt, 5 dt]. (An error of 0 is raised to 1e-300: the factor is 5.)
    A, b, b_low, c = tableau
    lines, errors = [], []
    for v in variables:
        inc = _emit.lincomb([(b[j] - b_low[j], f"d{v}_k{j + 1}") for j in range(len(b))])
        lines.append(f"    {v}_err = bp.math.max(bp.math.abs(dt * {_paren(inc)}))")
        errors.append(f"{v}_err")
    error = errors[0]
    for other in errors[1:]:
        error = f"bp.math.maximum({error}, {other})"
    lines += [
        f"    error = bp.math.maximum({error}, 1e-300)",
        f"    factor = 0.9 * ({tol!r} / error) ** {1.0 / (error_order + 1)!r}",
        "    dt_new = dt * bp.math.minimum(5.0, bp.math.maximum(0.2, factor))",
    ]
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


def _return(variables, extra=()) -> str:
    return f"    return {', '.join([*(f'{v}_new' for v in variables), *extra])}"


def odeint(
    f=None,
    method: str | None = None,
    dt=None,
    show_code: bool = False,
    adaptive: bool = False,
    tol: float | None = None,
):
    """Generate the step function of the ODE ``dx/dt = f(x, ..., t, *params)``.

    ``f(x, y, ..., t, *params)``: the arguments before ``t`` are the state variables,
    those after it the parameters; it returns the derivative (a tuple of them for
    several variables). ``f`` may be a :class:`~brainjit.JointEq`, or a method
    ``f(self, x, ..., t, *params)``: the step function then takes ``self`` first too
    and, as a class attribute (``@bp.odeint`` on a method), binds to the instance.

    Methods (``method=None``: :func:`get_default_odeint`, initially ``'euler'``):

    - explicit Runge–Kutta: ``'euler'`` (order 1); ``'midpoint'``, ``'heun'``,
      ``'rk2'`` = ``'ralston2'`` (order 2); ``'rk3'``, ``'heun3'``, ``'ralston3'``,
      ``'ssprk3'`` (order 3); ``'rk4'``, ``'rk4_38rule'``, ``'ralston4'`` (order 4);
    - ``'exp_euler'``: exponential Euler for equations linear in their own variable
      (exact when the coefficients are constant; order 1 in general);
    - embedded pairs, usable with ``adaptive=True``: ``'heun_euler'`` (2(1)), ``'bs'``
      (Bogacki–Shampine 3(2)), ``'rkf45'`` (Fehlberg), ``'ck'`` (Cash–Karp) and
      ``'rkdp'`` (Dormand–Prince) (5(4)). Without ``adaptive`` they are fixed-step
      schemes of the higher order.

    Returns a plain function ``step(x, y, ..., t, *params, dt=dt)`` (``dt`` defaults to
    0.1) giving the state at ``t + dt`` (a tuple for several variables). With
    ``adaptive=True`` it returns the new state followed by the next step size,
    ``(x, y, ..., dt_new)``, from the local error estimate (its largest magnitude over
    all elements and variables) and the absolute tolerance ``tol`` (default 0.1, as
    BrainPy); a step is always accepted (BrainPy's semantics), so start from a modest
    ``dt``. The step uses only ``bp.math`` operations: it runs on both backends, under
    ``jax.jit`` and inside Numba-compiled code. Usable as a decorator: ``@bp.odeint`` or
    ``@bp.odeint(method='rk4')``.
    """
    if f is None:
        return lambda func: odeint(
            func, method=method, dt=dt, show_code=show_code, adaptive=adaptive, tol=tol
        )
    if isinstance(f, str):
        raise TypeError(
            f"odeint() got the string {f!r} as the derivative function; "
            f"did you mean odeint(method={f!r})?"
        )
    method = get_default_odeint() if method is None else method
    _check_method(method)
    if adaptive and method not in ADAPTIVE_METHODS:
        raise ValueError(
            f"odeint(method={method!r}, adaptive=True): {method!r} has no error estimate; "
            f"use one of the embedded pairs {', '.join(map(repr, ADAPTIVE_METHODS))}"
        )
    if tol is not None and not adaptive:
        raise ValueError("odeint(tol=...) only applies with adaptive=True")
    tol = DEFAULT_TOL if tol is None else _check_tol(tol)
    dt = _emit.check_dt(dt)
    system = _emit.system_of(f, "derivative", "derivative function")
    variables = system.signature.variables
    if method == "exp_euler":
        body = _exp_euler_body(system)
    elif method in EMBEDDED:
        body = _rk_body(system, EMBEDDED[method], adaptive)
        if adaptive:
            body += _adaptive_lines(variables, EMBEDDED[method], ERROR_ORDERS[method], tol)
    else:
        body = _rk_body(system, TABLEAUS[method])
    body.append(_return(variables, ("dt_new",) if adaptive else ()))
    kind = f"adaptive {method} step (tol {tol!r})" if adaptive else f"{method} step"
    description, fingerprints = _emit.describe_components(system, "derivative function")
    fname = _codegen.identifier(name_of(f) if not hasattr(f, "equations") else "joint")
    step = _emit.build(
        source_body=body,
        func_name=f"{method}_step",
        system_sig=system.signature,
        namespace=system.namespace,
        dt=dt,
        description=[f"{kind} (order {ORDERS[method]}) of:", *description],
        fingerprints=fingerprints,
        stem=f"ode_{method}{'_adaptive' if adaptive else ''}_{fname}",
    )
    step.method = method
    step.adaptive = bool(adaptive)
    step.tol = tol if adaptive else None
    step.f = f
    if show_code:
        print(step.source)
    return step


def _check_tol(tol) -> float:
    try:
        value = float(tol)
    except (TypeError, ValueError):
        raise TypeError(
            f"tol must be a positive number, got {type(tol).__name__} {tol!r}"
        ) from None
    if not value > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    return value
