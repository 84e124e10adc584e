"""Reading a derivative function's signature: ``f(x, y, ..., t, *params)``.

The arguments before ``t`` are the state variables, the arguments after it the
parameters (BrainPy's convention). Parameter defaults are kept. A first argument named
``self`` is the *receiver* of a method (``def integral(self, V, t, I)``): it is neither
a variable nor a parameter, and the generated step function takes it first too, so that
it binds to the instance like any method.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

__all__ = ["Signature", "describe", "name_of"]

RESERVED = ("dt", "bp")
RECEIVERS = ("self",)


@dataclass(frozen=True)
class Signature:
    """The argument names of a derivative function."""

    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    defaults: dict = field(default_factory=dict)  # parameter name -> default value
    receiver: str | None = None  # 'self' for a method, else None

    @property
    def arguments(self) -> tuple[str, ...]:
        """All arguments in call order: the receiver, variables, ``t``, parameters."""
        head = (self.receiver,) if self.receiver else ()
        return (*head, *self.variables, "t", *self.parameters)


def name_of(func) -> str:
    """A readable name for error messages: ``module.qualname`` or the repr."""
    func = getattr(func, "py_func", func)
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if qualname is None:
        return repr(func)
    return qualname


def describe(func, role: str = "derivative function") -> Signature:
    """The :class:`Signature` of ``func``; a clear error if it does not follow the
    ``f(x, ..., t, *params)`` convention."""
    from brainjit.integrators.joint import JointEq  # a JointEq knows its own signature

    if isinstance(func, JointEq):
        return func.signature
    if not callable(func):
        raise TypeError(f"The {role} must be a callable, got {type(func).__name__} {func!r}")
    target = getattr(func, "py_func", func)  # a numba dispatcher: its Python function
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError) as error:
        raise TypeError(f"Cannot read the signature of the {role} {name_of(func)}") from error
    names, defaults = [], {}
    for p in sig.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise ValueError(
                f"The {role} {name_of(func)}{sig} has the argument {p}: only plain "
                "positional arguments are supported, as in f(x, y, t, a, b)."
            )
        names.append(p.name)
        if p.default is not p.empty:
            defaults[p.name] = p.default
    if "t" not in names:
        raise ValueError(
            f"The {role} {name_of(func)}{sig} has no argument named 't'. Write it as "
            "f(x, y, ..., t, *params): the state variables first, then the time t, then "
            "the parameters."
        )
    receiver = names[0] if names[0] in RECEIVERS else None
    k = names.index("t")
    variables, parameters = tuple(names[1 if receiver else 0 : k]), tuple(names[k + 1 :])
    if not variables:
        raise ValueError(
            f"The {role} {name_of(func)}{sig} has no state variable: the arguments "
            "before 't' are the variables, e.g. f(V, t, I)."
        )
    for name in names:
        if name in RESERVED:
            raise ValueError(
                f"The {role} {name_of(func)}{sig} uses the argument name {name!r}, which "
                f"the generated step function reserves ({', '.join(RESERVED)}); rename it."
            )
    defaults = {k: v for k, v in defaults.items() if k in parameters}
    return Signature(variables, parameters, defaults, receiver)
