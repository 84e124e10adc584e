"""Control flow that carries state, on the numpy backend.

On NumPy arrays a Variable updated in place simply keeps its update, so the structured
API is ordinary Python control flow; it exists so that the same model code runs on
both backends (on the jax backend these functions build ``lax`` primitives).
"""

from __future__ import annotations

import numpy as np

from brainjit.math._numpy.ops import to_ndarray
from brainjit.math._spellings import check_dyn_vars, check_remat, make_functions

__all__ = ["for_loop", "while_loop", "cond", "ifelse", "make_loop", "make_while", "make_cond"]


def _as_tuple(operands) -> tuple:
    return tuple(operands) if isinstance(operands, (tuple, list)) else (operands,)


def _snapshot(out):
    """A copy of a step's output (it may be a view of a Variable the next step changes)."""
    if out is None:
        return None
    if isinstance(out, (tuple, list)):
        return type(out)(_snapshot(o) for o in out)
    if isinstance(out, dict):
        return {k: _snapshot(v) for k, v in out.items()}
    return np.array(out, copy=True)


def _stack(outputs: list):
    if not outputs or outputs[0] is None:
        return None
    first = outputs[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([o[i] for o in outputs]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([o[k] for o in outputs]) for k in first}
    return to_ndarray(np.stack(outputs))


def for_loop(
    body_fun, operands, reverse: bool = False, unroll: int = 1, remat=False, dyn_vars=None
):
    """Run ``body_fun(*xs)`` for each slice ``xs`` of ``operands`` along axis 0.

    ``operands`` is an array or a tuple of arrays of the same length. Variables that
    the body updates in place keep their updates. The body's return values are
    stacked along a new leading axis and returned (``None`` if it returns nothing).
    ``unroll`` only matters on the jax backend. ``remat`` (``False``, ``True`` or a
    number of steps ``k``: rematerialisation for gradients, see the jax backend's
    ``for_loop``) is checked and ignored: this backend computes no gradients, so
    nothing is kept for a backward pass, and the same code runs on both backends.
    ``dyn_vars`` (BrainPy's spelling: the Variables the body updates) is optional; what
    it lists must be Variables.
    """
    check_dyn_vars(dyn_vars, "bp.math.for_loop")
    check_remat(remat, "bp.math.for_loop")
    ops = [np.asarray(o) for o in _as_tuple(operands)]
    lengths = {len(o) for o in ops}
    if len(lengths) != 1:
        raise ValueError(f"for_loop: operands have different lengths {sorted(lengths)}")
    steps = range(lengths.pop())
    order = reversed(steps) if reverse else steps
    outputs = [_snapshot(body_fun(*(o[i] for o in ops))) for i in order]
    if reverse:
        outputs.reverse()
    return _stack(outputs)


def while_loop(body_fun, cond_fun, operands, dyn_vars=None):
    """``while cond_fun(*operands): operands = body_fun(*operands)``; returns operands.

    ``dyn_vars`` (BrainPy's spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.while_loop")
    single = not isinstance(operands, (tuple, list))
    values = _as_tuple(operands)
    while cond_fun(*values):
        out = body_fun(*values)
        values = (out,) if single else _as_tuple(out)
    return values[0] if single else values


def cond(pred, true_fun, false_fun, operands=(), dyn_vars=None):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    ``dyn_vars`` (BrainPy's spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.cond")
    return _ifelse([pred], [true_fun, false_fun], operands)


def ifelse(conditions, branches, operands=(), dyn_vars=None):
    """The first branch whose condition holds (the last branch if none does).

    ``dyn_vars`` (BrainPy's spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.ifelse")
    return _ifelse(conditions, branches, operands)


def _ifelse(conditions, branches, operands):
    conditions = list(_as_tuple(conditions))
    branches = list(branches)
    if len(conditions) != len(branches) - 1:
        raise ValueError(
            f"ifelse: {len(branches)} branches need {len(branches) - 1} conditions, "
            f"got {len(conditions)}"
        )
    args = _as_tuple(operands)
    for c, branch in zip(conditions, branches):
        if c:
            return branch(*args)
    return branches[-1](*args)


_MADE = make_functions(for_loop, while_loop, cond, to_ndarray)
make_loop = _MADE["make_loop"]
make_while = _MADE["make_while"]
make_cond = _MADE["make_cond"]
