"""Conditions on arrays in compiled code: a compile-time error with the line.

``if self.V > 0:`` on a vector ``V`` is ambiguous. NumPy and Numba raise only when the
code runs (and only for arrays of more than one element: a one-element array passes),
and on the jax backend compiled code refuses it while it is traced. So that the numpy
backend refuses it as early, and names the line, the rewriter passes every condition
of an ``if``, ``elif``, ``while`` and conditional expression (``a if c else b``),
and each operand of ``and``/``or``/``not`` in it, through :func:`truth`, which Numba
compiles to nothing for scalars and refuses while typing for arrays of one or more
dimensions (0-d arrays, scalars in NumPy's eyes, pass).

Conditions made only of compile-time constants are left as written: Numba prunes the
branch they rule out, which some code relies on.
"""

from __future__ import annotations

import ast

from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload

__all__ = ["truth", "guard_conditions", "explain"]

_PREFIX = "bp.math.jit: a condition on an array"  # how the typing error is recognised


def truth(x):
    """``x`` itself (in Python); in Numba code, refuses arrays of one or more dimensions."""
    return x


@overload(truth)
def _truth_overload(x):
    if isinstance(x, types.Array) and x.ndim > 0:
        raise TypingError(
            f"{_PREFIX} of {x.ndim} dimension(s) ({x.dtype}): `if`, `while`, `and`/`or`/"
            "`not` and `a if c else b` need a single boolean. Use (x > 0).any() or .all() "
            "to decide on the whole array, np.where(cond, a, b) (bp.math.where) for an "
            "element-wise choice, or a loop over the elements."
        )
    return lambda x: x


def _prunable(test: ast.expr) -> bool:
    """A test Numba decides on types (``x is None``, ``isinstance(x, T)``): kept."""
    if isinstance(test, ast.Compare):
        return all(isinstance(op, (ast.Is, ast.IsNot)) for op in test.ops)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
        return test.func.id in ("isinstance", "hasattr", "callable")
    return isinstance(test, ast.Constant)


def _guard(test: ast.expr, name: str) -> ast.expr:
    if isinstance(test, ast.BoolOp):
        test.values = [_guard(v, name) for v in test.values]
        return test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test.operand = _guard(test.operand, name)
        return test
    if _prunable(test):
        return test
    call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[test], keywords=[])
    return ast.copy_location(call, test)


def guard_conditions(rewriter, func: ast.FunctionDef) -> None:
    """Pass the conditions of ``func`` (rewritten) through :func:`truth`, except those
    made only of constants of its namespace (see the module docstring)."""
    namespace = rewriter.namespace
    name = None
    for node in ast.walk(func):
        if not isinstance(node, (ast.If, ast.While, ast.IfExp)):
            continue
        names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        if not any(n not in namespace or hasattr(namespace[n], "shape") for n in names):
            continue  # only constants: Numba prunes it
        if all(n.startswith("_cf_") for n in names):
            continue  # a lowered loop's own counters and flags (lower_control_flow)
        if name is None:
            name = rewriter.internal_global(truth, "_bj_truth")
        node.test = _guard(node.test, name)


def explain(numba_message: str) -> str | None:
    """The reason of a Numba error raised by :func:`truth`, else None."""
    for line in numba_message.splitlines():
        index = line.find(_PREFIX)
        if index >= 0:
            return line[index:].strip()
    return None
