"""``bp.sdeint``: Itô SDE step functions, ``dx = f(x, t) dt + g(x, t) dW``.

The noise is diagonal: every element of every variable has its own independent Wiener
process. The increments are drawn with ``bp.math.random.normal`` (the active backend's
generator; NumPy's ``np.random`` inside Numba-compiled code).
"""

from __future__ import annotations

from brainjit.integrators import _codegen, _emit, srk
from brainjit.integrators._signature import name_of

__all__ = ["sdeint", "SDE_METHODS", "set_default_sdeint", "get_default_sdeint"]

SDE_METHODS = ("euler", "milstein", "exp_euler", *srk.SRI)
ORDERS = {
    "euler": "strong 0.5, weak 1",
    "milstein": "strong 1, weak 1",
    "exp_euler": "strong 0.5; 1 for additive noise",
    "srk1w1_scalar": "strong 1.5, weak 2",
    "srk2w1_scalar": "strong 1.5, deterministic 3",
}
_default = ["euler"]


def set_default_sdeint(method: str) -> None:
    """Make ``method`` the one ``bp.sdeint`` uses when none is given (initially
    ``'euler'``)."""
    _check_method(method)
    _default[0] = method


def get_default_sdeint() -> str:
    """The method ``bp.sdeint`` uses when none is given."""
    return _default[0]


def _check_method(method) -> None:
    if method not in SDE_METHODS:
        raise ValueError(
            f"Unknown SDE method {method!r}; choose one of {', '.join(map(repr, SDE_METHODS))}"
        )


def _noise(variables) -> list[str]:
    return [
        f"    dW_{v} = bp.math.random.normal(0.0, 1.0, bp.math.shape({v})) * sqrt_dt"
        for v in variables
    ]


def _euler_body(drift: _emit.System, diffusion: _emit.System) -> list[str]:
    variables = drift.signature.variables
    lines = ["    sqrt_dt = dt ** 0.5"]
    lines += _emit.evaluate(drift, {}, {v: f"f_{v}" for v in variables})
    lines += _emit.evaluate(diffusion, {}, {v: f"g_{v}" for v in variables})
    lines += _noise(variables)
    lines += [f"    {v}_new = {v} + f_{v} * dt + g_{v} * dW_{v}" for v in variables]
    return lines


def _milstein_body(drift: _emit.System, diffusion: _emit.System) -> list[str]:
    # Derivative-free Milstein (Kloeden & Platen, eq. 11.1.5): g g' is estimated from
    # g at the supporting value x_bar = x + f dt + g sqrt(dt). Each variable is
    # perturbed alone, the other variables held at their current values, so only the
    # diagonal terms g_i dg_i/dx_i enter (exact strong order 1 for diagonal noise).
    variables = drift.signature.variables
    lines = ["    sqrt_dt = dt ** 0.5"]
    lines += _emit.evaluate(drift, {}, {v: f"f_{v}" for v in variables})
    lines += _emit.evaluate(diffusion, {}, {v: f"g_{v}" for v in variables})
    lines += _noise(variables)
    for comp in diffusion.components:
        for v in comp.variables:
            lines.append(f"    {v}_bar = {v} + f_{v} * dt + g_{v} * sqrt_dt")
            lines.append(f"    g_{v}_bar = {_emit.output(comp, {v: f'{v}_bar'}, v)}")
    for v in variables:
        lines.append(
            f"    {v}_new = {v} + f_{v} * dt + g_{v} * dW_{v} "
            f"+ (g_{v}_bar - g_{v}) * (dW_{v} * dW_{v} - dt) / (2.0 * sqrt_dt)"
        )
    return lines


def _exp_euler_body(drift: _emit.System, diffusion: _emit.System) -> list[str]:
    # The drift's exponential Euler step (exact for a linear drift with constant
    # coefficients, see bp.odeint), plus the Euler–Maruyama noise term g dW.
    from brainjit.integrators.ode import _exp_euler_body as drift_step

    variables = drift.signature.variables
    lines = ["    sqrt_dt = dt ** 0.5", *drift_step(drift)]
    lines += _emit.evaluate(diffusion, {}, {v: f"g_{v}" for v in variables})
    lines += _noise(variables)
    lines += [f"    {v}_new = {v}_new + g_{v} * dW_{v}" for v in variables]
    return lines


def sdeint(f=None, g=None, method: str | None = None, dt=None, show_code: bool = False):
    """Generate the step function of the Itô SDE ``dx = f(x, t, ...) dt + g(x, t, ...) dW``.

    ``f`` (drift) and ``g`` (diffusion) follow the ``f(x, y, ..., t, *params)``
    convention with the same variables; each returns one value per variable (a tuple
    for several). The step's parameters are ``f``'s followed by those only ``g`` has.
    Either may be a :class:`~brainjit.JointEq`.

    ``f`` and ``g`` may be methods taking ``self`` first (see :func:`~brainjit.odeint`).

    Methods (``method=None``: :func:`get_default_sdeint`, initially ``'euler'``):
    ``'euler'`` (Euler–Maruyama: strong order 0.5, weak order 1); ``'milstein'``
    (derivative-free Milstein: strong order 1 for diagonal noise, i.e. when each ``g_i``
    depends on its own variable only); ``'exp_euler'`` (the drift by exponential Euler,
    as ``odeint``'s, exact for a linear drift, plus ``g dW``: strong order 0.5, 1 for
    additive noise); ``'srk1w1_scalar'`` and ``'srk2w1_scalar'`` (Rößler's SRI1 and
    SRI2 stochastic Runge–Kutta schemes: strong order 1.5 when every element is driven
    by its own scalar noise and ``g_i`` depends on its own variable only; two normal
    draws per element and step).

    Returns ``step(x, y, ..., t, *params, dt=dt)`` drawing fresh Wiener increments
    ``dW ~ N(0, dt)`` (one per element) from ``bp.math.random`` on every call.
    """
    if f is None:  # used as a decorator: @bp.sdeint(g=g, method=...)
        return lambda func: sdeint(func, g, method=method, dt=dt, show_code=show_code)
    if g is None:
        raise TypeError(
            "sdeint() needs the diffusion function g: sdeint(f, g, method=...), "
            "or as a decorator @bp.sdeint(g=g, method=...)"
        )
    method = get_default_sdeint() if method is None else method
    _check_method(method)
    dt = _emit.check_dt(dt)
    drift = _emit.system_of(f, "drift", "drift function f")
    diffusion = _emit.system_of(g, "diffusion", "diffusion function g")
    fv, gv = drift.signature.variables, diffusion.signature.variables
    if fv != gv:
        raise ValueError(
            f"sdeint(): the drift f has the variables {fv} but the diffusion g has {gv}; "
            "both must take the same state variables, in the same order, before 't'."
        )
    sig = _emit.merge_signatures([drift.signature, diffusion.signature], list(fv), "sdeint(f, g)")
    system = _emit.System(drift.components + diffusion.components, sig)
    if method in srk.SRI:
        body = srk.srk_body(drift, diffusion, srk.SRI[method])
    else:
        body = {"euler": _euler_body, "milstein": _milstein_body, "exp_euler": _exp_euler_body}[
            method
        ](drift, diffusion)
    body.append(f"    return {', '.join(f'{v}_new' for v in fv)}")
    d_lines, d_fps = _emit.describe_components(drift, "drift")
    g_lines, g_fps = _emit.describe_components(diffusion, "diffusion")
    fname = _codegen.identifier(name_of(f) if not hasattr(f, "equations") else "joint")
    step = _emit.build(
        source_body=body,
        func_name=f"{method}_sde_step",
        system_sig=sig,
        namespace=system.namespace,
        dt=dt,
        description=[f"{method} SDE step ({ORDERS[method]}) of:", *d_lines, *g_lines],
        fingerprints=d_fps + g_fps,
        stem=f"sde_{method}_{fname}",
    )
    step.method = method
    step.f = f
    step.g = g
    if show_code:
        print(step.source)
    return step
