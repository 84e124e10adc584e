"""BrainPy's spellings, shared by both backends: ``dyn_vars=`` and ``make_loop`` & co.

brainjit finds the Variables that compiled code, loops and branches use by tracing
(jax) or by rewriting the source (numpy), so BrainPy's ``dyn_vars=`` argument of
``jit``, ``for_loop``, ``while_loop``, ``cond`` and ``ifelse`` carries no information
here. It is accepted so that BrainPy code runs unchanged, and checked
(:func:`check_dyn_vars`): everything listed must be a Variable.

``make_loop``, ``make_while`` and ``make_cond`` are BrainPy 1.1's factories of loops
and branches over Variables; :func:`make_functions` builds them on a backend's
``for_loop``, ``while_loop`` and ``cond``.
"""

from __future__ import annotations

import numbers

from brainjit.math import _variable

__all__ = ["check_dyn_vars", "check_remat", "make_functions"]


def check_remat(remat, where: str) -> int:
    """``for_loop``'s ``remat`` as a block length: 0 (no rematerialisation), 1
    (``True``: every step checkpointed, BrainPy's ``remat=True``) or ``k`` (blocks of
    ``k`` steps checkpointed); a ValueError naming ``where`` otherwise."""
    if remat is False or remat is None:
        return 0
    if remat is True:
        return 1
    if isinstance(remat, numbers.Integral) and not isinstance(remat, bool) and remat >= 1:
        return int(remat)
    raise ValueError(
        f"{where}: remat must be False, True (checkpoint every step) or a number of steps "
        f"k >= 1 (checkpoint blocks of k steps, e.g. remat=100), got {remat!r}"
    )


def check_dyn_vars(dyn_vars, where: str) -> tuple:
    """The Variables of ``dyn_vars`` (BrainPy's argument), checked.

    Args:
        dyn_vars: ``None``, a Variable, or a list, tuple or dict of them (nested too),
            such as ``model.vars()``.
        where: the function that received it, for the message.

    Returns:
        the Variables, in order.

    Raises:
        TypeError: an item is not a Variable (its position is named).
    """
    found: list = []

    def visit(item, path: str) -> None:
        if _variable.is_variable(item):
            found.append(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                visit(value, f"{path}[{key!r}]")
        elif isinstance(item, (list, tuple)):
            for i, value in enumerate(item):
                visit(value, f"{path}[{i}]")
        else:
            kind = type(item).__name__
            hint = (
                " (an array that changes must be a bp.math.Variable: bp.math.Variable(x))"
                if hasattr(item, "shape")
                else ""
            )
            raise TypeError(
                f"{where}: dyn_vars{path} ({kind}) is not a Variable{hint}. dyn_vars takes "
                "a Variable, or a list, tuple or dict of Variables (such as model.vars()). "
                "It is optional in brainjit: the Variables the code reads and writes are "
                "found automatically."
            )

    if dyn_vars is not None:
        visit(dyn_vars, "")
    return tuple(found)


def _leaves(out_vars, where: str):
    """(Variables, rebuild(values)) for BrainPy's ``out_vars`` (a Variable, a list,
    tuple or dict of them, or None)."""
    if out_vars is None:
        return [], lambda values: None
    if _variable.is_variable(out_vars):
        return [out_vars], lambda values: values[0]
    if isinstance(out_vars, dict):
        keys = list(out_vars)
        check_dyn_vars(out_vars, f"{where} (out_vars)")
        return [out_vars[k] for k in keys], lambda values: dict(zip(keys, values))
    if isinstance(out_vars, (list, tuple)):
        check_dyn_vars(list(out_vars), f"{where} (out_vars)")
        kind = type(out_vars)
        return list(out_vars), lambda values: kind(values)
    check_dyn_vars(out_vars, f"{where} (out_vars)")  # raises: not a Variable
    raise AssertionError  # pragma: no cover


def make_functions(for_loop, while_loop, cond, wrap=lambda x: x) -> dict:
    """BrainPy 1.1's ``make_loop``, ``make_while`` and ``make_cond`` on a backend's
    ``for_loop``, ``while_loop`` and ``cond`` (see their docstrings); ``wrap`` makes
    the backend's array of each array in what a loop returns."""

    def wrap_all(x):
        if isinstance(x, (list, tuple)):
            return type(x)(wrap_all(i) for i in x)
        if isinstance(x, dict):
            return {k: wrap_all(v) for k, v in x.items()}
        return None if x is None else wrap(x)

    def make_loop(body_fun, dyn_vars=None, out_vars=None, has_return: bool = False):
        """A loop over inputs (BrainPy 1.1's ``make_loop``): ``loop(xs)`` calls
        ``body_fun(x)`` for each ``x`` along the first axis of ``xs``.

        Args:
            body_fun: ``body_fun(x)``; updates Variables in place.
            dyn_vars: the Variables the body updates (optional here, checked).
            out_vars: a Variable, or a list, tuple or dict of them, whose values after
                each step are returned, stacked along a new first axis.
            has_return: ``loop(xs)`` returns ``(out_vars' history, body results)``.

        Returns:
            ``loop(xs)``: the history of ``out_vars`` (the same structure; ``None``
            without ``out_vars``), and with ``has_return`` the stacked results too.
        """
        check_dyn_vars(dyn_vars, "bp.math.make_loop")
        leaves, rebuild = _leaves(out_vars, "bp.math.make_loop")

        def step(x):
            result = body_fun(x)
            values = [v.value for v in leaves]
            return (values, result) if has_return else values

        def loop(xs):
            out = wrap_all(for_loop(step, (xs,)))
            if has_return:
                values, results = (None, None) if out is None else out
                return rebuild(list(values or [])), results
            return rebuild(list(out or []))

        loop.__brainjit_made_by__ = "bp.math.make_loop"
        return loop

    def make_while(cond_fun, body_fun, dyn_vars=None):
        """A while loop over Variables (BrainPy 1.1's ``make_while``): ``loop(x=None)``
        runs ``body_fun(x)`` while ``cond_fun(x)`` holds; returns nothing.

        Args:
            cond_fun: ``cond_fun(x)`` -> a boolean scalar (reads Variables).
            body_fun: ``body_fun(x)``; updates Variables in place, returns nothing.
            dyn_vars: the Variables the loop updates (optional here, checked).
        """
        check_dyn_vars(dyn_vars, "bp.math.make_while")

        def loop(x=None):
            if x is None:
                while_loop(lambda: (body_fun(None), ())[1], lambda: cond_fun(None), ())
                return None

            def body(x):
                body_fun(x)
                return x

            while_loop(body, cond_fun, x)
            return None

        loop.__brainjit_made_by__ = "bp.math.make_while"
        return loop

    def make_cond(true_fun, false_fun, dyn_vars=None):
        """A branch over Variables (BrainPy 1.1's ``make_cond``): ``branch(pred, x=None)``
        returns ``true_fun(x)`` if ``pred`` else ``false_fun(x)``.

        Args:
            true_fun, false_fun: ``fun(x)``; may update Variables in place.
            dyn_vars: the Variables the branches update (optional here, checked).
        """
        check_dyn_vars(dyn_vars, "bp.math.make_cond")

        def branch(pred, x=None):
            if x is None:
                return cond(pred, lambda: true_fun(None), lambda: false_fun(None), ())
            return cond(pred, true_fun, false_fun, (x,))

        branch.__brainjit_made_by__ = "bp.math.make_cond"
        return branch

    return {"make_loop": make_loop, "make_while": make_while, "make_cond": make_cond}
