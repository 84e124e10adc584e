"""Shared pieces of the generated step functions.

A system of equations is a list of :class:`Component` functions, each returning the
derivatives of some of the variables (a plain derivative function is one component; a
:class:`~brainjit.integrators.JointEq` has one per equation). The schemes in ``ode.py``
and ``sde.py`` write their source with :func:`call`, then :func:`build` checks it, writes
it to a module file and imports it. The generated code uses only arithmetic and
``bp.math`` functions, so it runs eagerly on both backends, traces under JAX and
compiles with Numba once ``bp`` is mapped to NumPy.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction

from brainjit._pyast import parse as parse_source
from brainjit.integrators import _codegen
from brainjit.integrators._signature import Signature, describe, name_of

__all__ = ["Component", "System", "system_of", "call", "coef_term", "build"]

DEFAULT_DT = 0.1


@dataclass(frozen=True)
class Component:
    """One user function of a system, as the generated code calls it."""

    global_name: str  # its name in the generated module's globals
    func: object  # the user's function
    variables: tuple[str, ...]  # the variables whose derivatives it returns, in order
    arguments: tuple[str, ...]  # the names it is called with: its variables, 't', params


@dataclass(frozen=True)
class System:
    """A set of components over common variables and parameters."""

    components: tuple[Component, ...]
    signature: Signature

    @property
    def namespace(self) -> dict:
        return {c.global_name: c.func for c in self.components}


def merge_signatures(signatures, variables, who: str) -> Signature:
    """Variables given; parameters: the ordered union of the parameters of all
    ``signatures`` that are not variables. A parameter keeps a default when every
    function taking it gives it one (the same one), and when all the parameters after it
    have defaults too (Python's rule for a signature)."""
    params, defaults, required = [], {}, set()
    for sig in signatures:
        for p in sig.parameters:
            if p in variables:
                continue
            if p not in params:
                params.append(p)
            if p not in sig.defaults:
                required.add(p)
            elif p in defaults and not _same(defaults[p], sig.defaults[p]):
                raise ValueError(
                    f"{who}: the parameter {p!r} has two different defaults, "
                    f"{defaults[p]!r} and {sig.defaults[p]!r}"
                )
            else:
                defaults[p] = sig.defaults[p]
    kept = {}
    for p in reversed(params):
        if p in required or p not in defaults:
            break
        kept[p] = defaults[p]
    receiver = next((s.receiver for s in signatures if s.receiver), None)
    return Signature(
        tuple(variables), tuple(params), {p: kept[p] for p in params if p in kept}, receiver
    )


def _same(a, b) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # arrays: ambiguous truth value
        return a is b


def system_of(f, prefix: str, role: str) -> System:
    """The components of ``f`` (a function or a JointEq), named ``prefix``, ``prefix0``..."""
    from brainjit.integrators.joint import JointEq

    if isinstance(f, JointEq):
        components = tuple(
            Component(f"{prefix}{i}", eq.func, eq.signature.variables, eq.signature.arguments)
            for i, eq in enumerate(f.equations)
        )
        return System(components, f.signature)
    sig = describe(f, role)
    return System((Component(prefix, f, sig.variables, sig.arguments),), sig)


def call(component: Component, env: dict) -> str:
    """The call expression of ``component`` with the names in ``env`` replaced."""
    args = ", ".join(env.get(a, a) for a in component.arguments)
    return f"{component.global_name}({args})"


def output(component: Component, env: dict, variable: str) -> str:
    """The expression of ``component``'s derivative of ``variable`` under ``env``."""
    expr = call(component, env)
    if len(component.variables) == 1:
        return expr
    return f"{expr}[{component.variables.index(variable)}]"


def evaluate(system: System, env: dict, names: dict, indent: str = "    ") -> list[str]:
    """Lines assigning the derivative of each variable ``v`` to ``names[v]``."""
    lines = []
    for comp in system.components:
        targets = ", ".join(names[v] for v in comp.variables)
        lines.append(f"{indent}{targets} = {call(comp, env)}")
    return lines


def coef_term(coef: Fraction, name: str) -> str:
    """``coef * name`` written simply (``name``, ``name / 6``, ``2 * name`` ...); a float
    coefficient (an irrational one) is written out in full."""
    if not isinstance(coef, Fraction):
        return f"{float(coef)!r} * {name}"
    if coef == 1:
        return name
    if coef.numerator == 1:
        return f"{name} / {coef.denominator}"
    if coef.denominator == 1:
        return f"{coef.numerator} * {name}"
    return f"{float(coef)!r} * {name}"


def lincomb(terms) -> str:
    """``c1 * a + c2 * b ...`` for the non-zero coefficients of ``terms`` [(c, name)]."""
    parts = [coef_term(c, n) for c, n in terms if c != 0]
    return " + ".join(parts) if parts else "0.0"


def _literal(value):
    """Source text for a default value when it is a plain literal, else None."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if type(value) is int:
        return repr(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    return None


def check_dt(dt) -> float:
    """The default time step: ``dt`` validated (a positive finite number) or 0.1."""
    if dt is None:
        return DEFAULT_DT
    try:
        if isinstance(dt, (str, bytes, bool)):
            raise TypeError
        value = float(dt)
    except (TypeError, ValueError):
        raise TypeError(f"dt must be a positive number, got {type(dt).__name__} {dt!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    return value


def header(func_name: str, sig: Signature, dt: float) -> tuple[str, dict]:
    """``def name(x, y, t, a, b=1.0, dt=0.1):`` (``self`` first for a method) and the
    globals its defaults need."""
    args, namespace = list(sig.arguments[: sig.arguments.index("t") + 1]), {}
    for p in sig.parameters:
        if p in sig.defaults:
            text = _literal(sig.defaults[p])
            if text is None:
                text = f"_default_{p}"
                namespace[text] = sig.defaults[p]
            args.append(f"{p}={text}")
        else:
            args.append(p)
    args.append(f"dt={dt!r}")
    return f"def {func_name}({', '.join(args)}):", namespace


def _stored_names(source: str) -> set[str]:
    tree = parse_source(source)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def build(
    *,
    source_body: list[str],
    func_name: str,
    system_sig: Signature,
    namespace: dict,
    dt: float,
    description: list[str],
    fingerprints: list[str],
    stem: str,
):
    """Assemble, check, write and import a step function; returns the function."""
    head, defaults_ns = header(func_name, system_sig, dt)
    comments = [f"# {line}" for line in description]
    source = "\n".join(
        [
            '"""Generated by brainjit.integrators; do not edit (regenerated on demand)."""',
            *comments,
            *(f"# fingerprint {fp}" for fp in fingerprints),
            "",
            "import brainjit as bp",
            "",
            "",
            head,
            *source_body,
            "",
        ]
    )
    reserved = _stored_names(source) | set(namespace) | set(defaults_ns) | {"bp"}
    clash = sorted(set(system_sig.arguments) & reserved)
    if clash:
        raise ValueError(
            f"The argument name(s) {', '.join(map(repr, clash))} clash with names the "
            f"generated {func_name} uses internally; rename them."
        )
    module = _codegen.load_module(source, stem, {**namespace, **defaults_ns})
    step = getattr(module, func_name)
    step.source = source
    step.variables = system_sig.variables
    step.parameters = system_sig.parameters
    step.dt = dt
    step.__brainjit_integrator__ = True  # found by Base.ints()
    return step


def describe_components(system: System, role: str) -> tuple[list[str], list[str]]:
    """Comment lines naming each component, and their fingerprints."""
    lines, fps = [], []
    for comp in system.components:
        func = comp.func
        module = getattr(getattr(func, "py_func", func), "__module__", "?")
        lines.append(f"{comp.global_name} = {module}.{name_of(func)} ({role})")
        fps.append(f"{comp.global_name}: {_codegen.fingerprint(func)}")
    return lines, fps
