"""``bp.JointEq``: several derivative functions integrated together as one system."""

from __future__ import annotations

from dataclasses import dataclass

from brainjit.integrators._emit import merge_signatures
from brainjit.integrators._signature import Signature, describe, name_of

__all__ = ["JointEq"]


@dataclass(frozen=True)
class _Equation:
    func: object
    signature: Signature


class JointEq:
    """Couple derivative functions into one system for ``odeint``/``sdeint``.

    Each function follows the ``f(x, ..., t, *params)`` convention with its *own*
    variables before ``t``; a parameter of one equation may be a variable of another
    (it then receives that variable's current value). The joint system's variables are
    the equations' variables in order; its parameters are the remaining parameters, in
    order of first appearance::

        def dV(V, t, m, h, n, I): ...
        def dm(m, t, V): ...
        eq = bp.JointEq(dV, dm)          # variables (V, m); parameters (h, n, I)
        step = bp.odeint(eq, method='exp_euler')
        V, m = step(V, m, t, h, n, I, dt=0.01)

    All equations of one step see the state at the same stage of the scheme (for
    exponential Euler: the state at the start of the step).
    """

    def __init__(self, *equations):
        if len(equations) == 1 and isinstance(equations[0], (list, tuple)):
            equations = tuple(equations[0])
        if not equations:
            raise ValueError("JointEq needs at least one derivative function")
        flat = []
        for eq in equations:
            if isinstance(eq, JointEq):
                flat.extend(eq.equations)
            else:
                flat.append(_Equation(eq, describe(eq, "equation")))
        variables, owner = [], {}
        for eq in flat:
            for v in eq.signature.variables:
                if v in owner:
                    raise ValueError(
                        f"JointEq: the variable {v!r} is a variable of both "
                        f"{name_of(owner[v].func)} and {name_of(eq.func)}; each variable must "
                        "belong to one equation (use it as a parameter of the others)."
                    )
                owner[v] = eq
                variables.append(v)
        self.equations: tuple[_Equation, ...] = tuple(flat)
        self.signature: Signature = merge_signatures(
            [eq.signature for eq in flat], variables, "JointEq"
        )

    @property
    def variables(self) -> tuple[str, ...]:
        return self.signature.variables

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.signature.parameters

    def __call__(self, *args, **kwargs):
        """Evaluate every equation: returns the derivatives of all variables (a tuple)."""
        names = self.signature.arguments
        if len(args) > len(names):
            raise TypeError(f"JointEq takes {len(names)} arguments {names}, got {len(args)}")
        values = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"JointEq got an unexpected argument {key!r}")
            if key in values:
                raise TypeError(f"JointEq got two values for the argument {key!r}")
            values[key] = value
        for p, default in self.signature.defaults.items():
            values.setdefault(p, default)
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"JointEq is missing the argument(s) {missing}")
        out = []
        for eq in self.equations:
            result = eq.func(*(values[a] for a in eq.signature.arguments))
            out.extend(result if len(eq.signature.variables) > 1 else (result,))
        return tuple(out)

    def __repr__(self) -> str:
        eqs = ", ".join(name_of(eq.func) for eq in self.equations)
        return f"JointEq({eqs}; variables={self.variables}, parameters={self.parameters})"
