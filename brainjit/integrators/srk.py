"""Strong order-1.5 stochastic Runge–Kutta schemes (Rößler's SRI family) for Itô SDEs
``dx = f(x, t) dt + g(x, t) dW`` with scalar noise (one Wiener process per element, as
everywhere in ``bp.sdeint``: each element of each variable gets its own).

One step (Rößler 2010, eq. (6.1) for one Wiener process), with four stages::

    H0_i = x + dt sum_j A0_ij f_j + I10 / dt sum_j B0_ij g_j
    H1_i = x + dt sum_j A1_ij f_j + sqrt(dt) sum_j B1_ij g_j
    f_i = f(H0_i, t + c0_i dt),  g_i = g(H1_i, t + c1_i dt)
    x_new = x + dt sum_i alpha_i f_i
              + sum_i (b1_i I1 + b2_i I11 / sqrt(dt) + b3_i I10 / dt + b4_i I111 / dt) g_i

with the iterated Itô integrals ``I1 = dW``, ``I11 = (dW^2 - dt) / 2``,
``I111 = (dW^3 - 3 dt dW) / 6`` and ``I10 = dt (dW + dV / sqrt(3)) / 2`` (``dV`` a
second, independent N(0, dt) draw).

References: A. Rößler, "Runge–Kutta methods for the strong approximation of solutions of
stochastic differential equations", SIAM J. Numer. Anal. 48 (2010) 922–952 (SRI1 and
SRI2 of its tables; the coefficients as DifferentialEquations.jl's SRIW1 and SRIW2 and
BrainPy's ``srk1w1_scalar`` / ``srk2w1_scalar``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F

from brainjit.integrators import _emit

__all__ = ["SRI", "srk_body"]


@dataclass(frozen=True)
class SRITableau:
    c0: tuple
    c1: tuple
    A0: tuple  # rows; row i has i entries
    A1: tuple
    B0: tuple
    B1: tuple
    alpha: tuple
    beta1: tuple
    beta2: tuple
    beta3: tuple
    beta4: tuple


_0 = F(0)
SRI = {
    # SRI1 (SRIW1): strong order 1.5, weak order 2 (deterministic order 2).
    "srk1w1_scalar": SRITableau(
        c0=(_0, F(3, 4), _0, _0),
        c1=(_0, F(1, 4), F(1), F(1, 4)),
        A0=((), (F(3, 4),), (_0, _0), (_0, _0, _0)),
        A1=((), (F(1, 4),), (F(1), _0), (_0, _0, F(1, 4))),
        B0=((), (F(3, 2),), (_0, _0), (_0, _0, _0)),
        B1=((), (F(1, 2),), (F(-1), _0), (F(-5), F(3), F(1, 2))),
        alpha=(F(1, 3), F(2, 3), _0, _0),
        beta1=(F(-1), F(4, 3), F(2, 3), _0),
        beta2=(F(-1), F(4, 3), F(-1, 3), _0),
        beta3=(F(2), F(-4, 3), F(-2, 3), _0),
        beta4=(F(-2), F(5, 3), F(-2, 3), F(1)),
    ),
    # SRI2 (SRIW2): strong order 1.5, deterministic order 3.
    "srk2w1_scalar": SRITableau(
        c0=(_0, F(1), F(1, 2), _0),
        c1=(_0, F(1, 4), F(1), F(1, 4)),
        A0=((), (F(1),), (F(1, 4), F(1, 4)), (_0, _0, _0)),
        A1=((), (F(1, 4),), (F(1), _0), (_0, _0, F(1, 4))),
        B0=((), (_0,), (F(1), F(1, 2)), (_0, _0, _0)),
        B1=((), (F(-1, 2),), (F(1), _0), (F(2), F(-1), F(1, 2))),
        alpha=(F(1, 6), F(1, 6), F(2, 3), _0),
        beta1=(F(-1), F(4, 3), F(2, 3), _0),
        beta2=(F(1), F(-4, 3), F(1, 3), _0),
        beta3=(F(2), F(-4, 3), F(-2, 3), _0),
        beta4=(F(-2), F(5, 3), F(-2, 3), F(1)),
    ),
}


def _paren(expr: str) -> str:
    return f"({expr})" if " " in expr else expr


def _stage_point(v, row_a, row_b, f_names, g_names, noise) -> str | None:
    """``x + dt * (...) + noise * (...)``, or None when the point is ``x`` itself."""
    drift = _emit.lincomb([(a, f_names[j]) for j, a in enumerate(row_a)])
    diff = _emit.lincomb([(b, g_names[j]) for j, b in enumerate(row_b)])
    terms = [v]
    if drift != "0.0":
        terms.append(f"dt * {_paren(drift)}")
    if diff != "0.0":
        terms.append(f"{noise} * {_paren(diff)}")
    return None if len(terms) == 1 else " + ".join(terms)


def srk_body(drift: _emit.System, diffusion: _emit.System, tab: SRITableau) -> list[str]:
    """The lines of one SRI step (names ``<v>_new``)."""
    variables = drift.signature.variables
    lines = ["    sqrt_dt = dt ** 0.5"]
    for v in variables:
        lines += [
            f"    I1_{v} = bp.math.random.normal(0.0, 1.0, bp.math.shape({v})) * sqrt_dt",
            f"    dV_{v} = bp.math.random.normal(0.0, 1.0, bp.math.shape({v})) * sqrt_dt",
            f"    I10_{v} = 0.5 * dt * (I1_{v} + dV_{v} / 3.0 ** 0.5)",
            f"    I11_{v} = 0.5 * (I1_{v} * I1_{v} - dt)",
            f"    I111_{v} = (I1_{v} * I1_{v} * I1_{v} - 3.0 * dt * I1_{v}) / 6.0",
        ]
    stages = len(tab.alpha)
    f_used = {i for i in range(stages) if tab.alpha[i] != 0}
    f_used |= {j for rows in (tab.A0, tab.A1) for row in rows for j, a in enumerate(row) if a != 0}
    g_used = set(range(stages))
    f_names = {v: [f"f{i + 1}_{v}" for i in range(stages)] for v in variables}
    g_names = {v: [f"g{i + 1}_{v}" for i in range(stages)] for v in variables}
    for i in range(stages):
        for which, system, rows_a, rows_b, c, noise, names in (
            ("f", drift, tab.A0, tab.B0, tab.c0, "(I10_{v} / dt)", f_names),
            ("g", diffusion, tab.A1, tab.B1, tab.c1, "sqrt_dt", g_names),
        ):
            if i not in (f_used if which == "f" else g_used):
                continue
            env = {}
            for v in variables:
                point = _stage_point(
                    v, rows_a[i], rows_b[i], f_names[v], g_names[v], noise.format(v=v)
                )
                if point is not None:
                    lines.append(f"    H{which}{i + 1}_{v} = {point}")
                    env[v] = f"H{which}{i + 1}_{v}"
            if c[i] != 0:
                lines.append(f"    t{which}{i + 1} = t + {_emit.coef_term(c[i], 'dt')}")
                env["t"] = f"t{which}{i + 1}"
            if not env and i > 0 and 0 in (f_used if which == "f" else g_used):
                for v in variables:  # the same point as stage 1: its value
                    lines.append(f"    {names[v][i]} = {names[v][0]}")
                continue
            lines += _emit.evaluate(system, env, {v: names[v][i] for v in variables})
    for v in variables:
        det = _emit.lincomb([(a, f_names[v][i]) for i, a in enumerate(tab.alpha)])
        noise_terms = []
        for i in range(stages):
            weight = _emit.lincomb(
                [
                    (tab.beta1[i], f"I1_{v}"),
                    (tab.beta2[i], f"I11_{v} / sqrt_dt"),
                    (tab.beta3[i], f"I10_{v} / dt"),
                    (tab.beta4[i], f"I111_{v} / dt"),
                ]
            )
            if weight != "0.0":
                noise_terms.append(f"({weight}) * {g_names[v][i]}")
        lines.append(f"    {v}_new = {v} + dt * {_paren(det)} + {' + '.join(noise_terms)}")
    return lines
