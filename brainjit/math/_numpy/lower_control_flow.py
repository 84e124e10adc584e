"""The structured control-flow API inside code compiled by ``bp.math.jit`` (numpy backend).

The eager functions of :mod:`control_flow` take Python functions as arguments, which
Numba cannot compile. When the rewriter (:mod:`rewrite`) resolves a call to
``bp.math.for_loop``, ``while_loop``, ``cond`` or ``ifelse`` -- however it is reached:
``bm.for_loop``, ``bp.math.cond``, an imported name -- it hands the call to
:func:`lower`, which writes it out as the plain loop or ``if`` statement it stands for::

    out = bm.for_loop(self.step, xs)

becomes (the operands and the step output go through the small ``_cf_*`` helpers
below, which Numba compiles for whatever types reach them)::

    _cf_ops = _cf_as_arrays(xs)
    _cf_check_count(_cf_ops, 1, 'bp.math.for_loop')   # step() takes one operand
    _cf_n = _cf_length(_cf_ops, 'bp.math.for_loop')
    for _cf_i in range(_cf_n):
        _cf_y = self_step(self_total, _cf_ops[0][_cf_i])
        if _cf_i == 0:
            _cf_out = _cf_stack_alloc(_cf_n, _cf_y, 'bp.math.for_loop')
        _cf_stack_set(_cf_out, _cf_i, _cf_y)
    if _cf_n == 0:
        _cf_out = _cf_stack_alloc(0, _cf_y, 'bp.math.for_loop')
    out = _cf_out

The statements are inserted before the statement that contains the call, and the call
is replaced by the name of its result. The rewriter then rewrites them like any code
the user wrote: a method or function called as the body is compiled as its own unit, a
nested ``def`` stays a closure (which Numba inlines), Variables become array arguments
updated in place. A lambda body is inlined (its parameters bound to the step's
values), so a lambda may itself contain structured control flow.

Errors are raised while rewriting where the call itself is at fault (a list of branches
that is not written out, operands that do not match the body's parameters), and by the
helpers while Numba compiles (a body that returns a dict); :func:`explain` turns those
into the message ``bp.math.jit`` reports with the offending line.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
import sys

import numba
import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload

from brainjit.math._numpy import control_flow
from brainjit.math._spellings import check_dyn_vars

__all__ = ["construct_of", "lower", "explain"]

_CONSTRUCTS = ("for_loop", "while_loop", "cond", "ifelse")
_PREFIX = "bp.math.jit cannot compile the call of "  # how helper errors are recognised


def construct_of(func) -> str | None:
    """'for_loop', 'while_loop', 'cond' or 'ifelse' when ``func`` is that function of
    either backend (a name imported while the jax backend was active is the same call)."""
    for name in _CONSTRUCTS:
        if func is getattr(control_flow, name):
            return name
    jax_cf = sys.modules.get("brainjit.math._jax.control_flow")
    if jax_cf is not None:
        for name in _CONSTRUCTS:
            if func is getattr(jax_cf, name, None):
                return name
    return None


# ----------------------------------------------------------------------------------------
# helpers the generated code calls (compiled by Numba for the types that reach them)
# ----------------------------------------------------------------------------------------


def _fail_typing(what, message: str):
    raise TypingError(f"{_PREFIX}{what.literal_value}: {message}")


def _generated(source: str, **namespace):
    """The function ``impl`` defined by ``source`` (one implementation per tuple size)."""
    exec(source, namespace)  # noqa: S102  (fixed templates, no user input)
    return namespace["impl"]


def _as_tuple(x):
    """``x`` if it is a tuple, else ``(x,)`` (the eager functions' rule for operands)."""
    return control_flow._as_tuple(x)


def _as_arrays(x):
    """The operands of a ``for_loop`` as a tuple of arrays."""
    return tuple(np.asarray(o) for o in _as_tuple(x))


# The helpers below without a body of their own are called from compiled code only:
# Numba compiles the @overload implementation that matches the argument types.


def _length(ops, what):
    """The common length of the operands of a ``for_loop``."""


def _check_count(ops, count, what):
    """Compile-time check: ``ops`` holds ``count`` values (a body's parameters)."""


def _stack_alloc(n, y, what):
    """Arrays to stack ``n`` outputs shaped like ``y`` (a tuple of arrays for a tuple)."""


def _stack_set(out, k, y):
    """Store the output ``y`` of step ``k`` (a copy: it may be a view of a Variable)."""


def _carry(like, out, what):
    """The new operands of a ``while_loop`` from the body's output ``out``."""


def _uncarry(like, values):
    """What ``while_loop`` returns: the operands, or the only one if it was not a tuple."""
    return values if isinstance(like, (tuple, list)) else values[0]


def _is_container(ty) -> bool:
    return isinstance(ty, (types.List, types.ListType, types.LiteralList))


def _is_dict(ty) -> bool:
    return isinstance(ty, (types.DictType, types.LiteralStrKeyDict))


@overload(_as_tuple)
def _as_tuple_impl(x):
    if isinstance(x, types.BaseTuple):
        return lambda x: x
    if _is_container(x):
        raise TypingError(f"{_PREFIX}it: pass the operands as a tuple, not a list ({x})")
    return lambda x: (x,)


@overload(_as_arrays)
def _as_arrays_impl(x):
    if isinstance(x, types.BaseTuple):
        items = "".join(f"np.asarray(x[{i}]), " for i in range(len(x)))
        return _generated(f"def impl(x):\n    return ({items})\n", np=np)
    if _is_container(x):
        raise TypingError(f"{_PREFIX}bp.math.for_loop: pass the operands as a tuple ({x})")
    return lambda x: (np.asarray(x),)


@overload(_length, prefer_literal=True)
def _length_impl(ops, what):
    if not isinstance(what, types.StringLiteral):
        return None  # the literal is tried first (it names the call)
    if len(ops) == 0:
        _fail_typing(what, "it needs at least one operand to loop over")
    for i, ty in enumerate(ops):
        if not isinstance(ty, types.Array) or ty.ndim == 0:
            _fail_typing(what, f"operand {i} is {ty}; it loops over arrays (their first axis)")
    checks = "".join(
        f"    if len(ops[{i}]) != n:\n"
        "        raise ValueError('for_loop: operands have different lengths')\n"
        for i in range(1, len(ops))
    )
    return _generated(f"def impl(ops, what):\n    n = len(ops[0])\n{checks}    return n\n")


@overload(_check_count, prefer_literal=True)
def _check_count_impl(ops, count, what):
    if not isinstance(count, types.IntegerLiteral):
        return None  # the literal count is tried first
    n = len(ops) if isinstance(ops, types.BaseTuple) else 1
    if n != count.literal_value:
        _fail_typing(
            what,
            f"there are {n} operands ({ops}) but the function it calls takes {count.literal_value}",
        )
    return lambda ops, count, what: None


@overload(_stack_alloc, prefer_literal=True)
def _stack_alloc_impl(n, y, what):
    if not isinstance(what, types.StringLiteral):
        return None  # the literal is tried first (it names the call)
    if isinstance(y, types.NoneType):
        return lambda n, y, what: None
    if isinstance(y, types.Array):
        return lambda n, y, what: np.empty((n,) + y.shape, y.dtype)
    if isinstance(y, (types.Number, types.Boolean)):
        dtype = numba.np.numpy_support.as_dtype(types.unliteral(y))
        return lambda n, y, what: np.empty(n, dtype)
    if isinstance(y, types.BaseTuple) and not isinstance(y, types.BaseNamedTuple):
        items = "".join(f"_stack_alloc(n, y[{i}], what), " for i in range(len(y)))
        return _generated(
            f"def impl(n, y, what):\n    return ({items})\n", _stack_alloc=_stack_alloc
        )
    kind = (
        "a dict"
        if _is_dict(y)
        else "a list"
        if _is_container(y)
        else "a named tuple"
        if isinstance(y, types.BaseNamedTuple)
        else str(y)
    )
    _fail_typing(
        what,
        f"the body returns {kind} ({y}); in compiled code the outputs stacked over the "
        "steps can be arrays, numbers, None and (nested) tuples of them",
    )


@overload(_stack_set)
def _stack_set_impl(out, k, y):
    if isinstance(y, types.NoneType):
        return lambda out, k, y: None
    if isinstance(y, types.BaseTuple):
        lines = "".join(f"    _stack_set(out[{i}], k, y[{i}])\n" for i in range(len(y)))
        return _generated(f"def impl(out, k, y):\n{lines}    return None\n", _stack_set=_stack_set)

    def impl(out, k, y):
        out[k] = y

    return impl


@overload(_carry, prefer_literal=True)
def _carry_impl(like, out, what):
    if not isinstance(what, types.StringLiteral):
        return None  # the literal is tried first (it names the call)
    if not isinstance(like, types.BaseTuple):
        return lambda like, out, what: (out,)
    if not isinstance(out, types.BaseTuple) or len(out) != len(like):
        _fail_typing(
            what,
            f"the body returns {out}, but it must return the {len(like)} operands "
            f"({like}) as a tuple",
        )
    return lambda like, out, what: out


@overload(_uncarry)
def _uncarry_impl(like, values):
    if isinstance(like, types.BaseTuple):
        return lambda like, values: values
    return lambda like, values: values[0]


_HELPERS = {
    "_cf_as_tuple": _as_tuple,
    "_cf_as_arrays": _as_arrays,
    "_cf_length": _length,
    "_cf_check_count": _check_count,
    "_cf_stack_alloc": _stack_alloc,
    "_cf_stack_set": _stack_set,
    "_cf_carry": _carry,
    "_cf_uncarry": _uncarry,
}


# ----------------------------------------------------------------------------------------
# errors Numba reports about the generated code
# ----------------------------------------------------------------------------------------

_UNIFY = re.compile(r"Cannot unify (.+?) and (.+?) for '(_cf_[a-z_]+?)(?:_\d+)?[.']")


def explain(numba_message: str) -> str | None:
    """A clear reason for a Numba error caused by lowered control flow, else None."""
    for line in numba_message.splitlines():
        index = line.find(_PREFIX)
        if index >= 0:
            return line[index:].strip()
    match = _UNIFY.search(numba_message)
    if match is not None:
        a, b, name = match.groups()
        if name in ("_cf_cond_out", "_cf_ifelse_out"):
            return (
                f"{_PREFIX}bp.math.{name[4:-4]}: the branches return different types: {a} and {b}"
            )
        if name == "_cf_w":
            return (
                f"{_PREFIX}bp.math.while_loop: the body changes the types of the operands: "
                f"{a} before, {b} after"
            )
    if "Unsupported op-code encountered: null()" in numba_message:
        return (
            "Numba cannot compile a function defined inside a nested function (a closure "
            "inside a closure); make the inner one a lambda, a method or a module function"
        )
    return None


# ----------------------------------------------------------------------------------------
# lowering
# ----------------------------------------------------------------------------------------


def _static_value(rw, expr) -> tuple[bool, object]:
    """(True, value) of an expression made of free names, attributes, containers and
    ``.vars()`` / ``.train_vars()`` calls (``dyn_vars=self.vars()``); (False, None) for
    anything else (a local name, another call): not evaluated."""
    if isinstance(expr, ast.Constant):
        return True, expr.value
    if isinstance(expr, ast.Name):
        if not rw.is_free(expr.id):
            return False, None
        found, value, _ = rw.lookup(expr.id)
        return found, value
    if isinstance(expr, ast.Attribute):
        found, value = _static_value(rw, expr.value)
        if found and hasattr(value, expr.attr):
            return True, getattr(value, expr.attr)
        return False, None
    if isinstance(expr, (ast.List, ast.Tuple)):
        items = [_static_value(rw, e) for e in expr.elts]
        if all(found for found, _ in items):
            return True, [v for _, v in items]
        return False, None
    if isinstance(expr, ast.Dict) and None not in expr.keys:
        keys = [_static_value(rw, k) for k in expr.keys]
        values = [_static_value(rw, v) for v in expr.values]
        if all(found for found, _ in keys + values):
            return True, {k: v for (_, k), (_, v) in zip(keys, values)}
        return False, None
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in ("vars", "train_vars")
        and not expr.args
        and not expr.keywords
    ):
        found, owner = _static_value(rw, expr.func.value)
        if found and hasattr(owner, "nodes"):  # a bp.Base
            return True, getattr(owner, expr.func.attr)()
    return False, None


def lower(rw, node: ast.Call, kind: str) -> ast.expr:
    """Write the call ``node`` of ``bp.math.<kind>`` out as statements.

    ``rw`` is the rewriter of the function being compiled. The statements (already
    rewritten) are handed to ``rw.hoist``; the returned expression (the name of the
    result) replaces the call.
    """
    return _Lowering(rw, node, kind).run()


class _Lowering:
    def __init__(self, rw, node: ast.Call, kind: str):
        self.rw = rw
        self.node = node
        self.kind = kind
        self.what = f"bp.math.{kind}"
        self.stmts: list[ast.stmt] = []

    # -- small tools ------------------------------------------------------------------------
    def fail(self, message: str, node=None):
        self.rw.fail(node or self.node, f"{self.what}: {message}")

    def temp(self, base: str) -> str:
        name = self.rw.fresh(base)
        self.rw.locals.add(name)
        return name

    def helper(self, name: str) -> ast.Name:
        return ast.Name(id=self.rw.internal_global(_HELPERS[name], name), ctx=ast.Load())

    def call_helper(self, name: str, *args) -> ast.Call:
        return ast.Call(func=self.helper(name), args=list(args), keywords=[])

    def assign(self, name: str, value: ast.expr, into: list | None = None) -> None:
        stmt = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)
        (self.stmts if into is None else into).append(stmt)

    def where(self) -> ast.Constant:
        return ast.Constant(self.what)

    # -- the call's arguments -----------------------------------------------------------------
    def arguments(self) -> dict:
        node = self.node
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            self.fail("*args and **kwargs cannot be used in this call in compiled code")
        signature = inspect.signature(getattr(control_flow, self.kind))
        try:
            bound = signature.bind(*node.args, **{k.arg: k.value for k in node.keywords})
        except TypeError as exc:
            self.fail(str(exc))
        arguments = dict(bound.arguments)
        dyn_vars = arguments.pop("dyn_vars", None)
        if dyn_vars is not None:  # BrainPy's spelling: not needed, checked where it can be
            found, value = _static_value(self.rw, dyn_vars)
            if found:
                try:
                    check_dyn_vars(value, self.what)
                except TypeError as exc:
                    self.fail(str(exc).removeprefix(f"{self.what}: "), dyn_vars)
        return arguments

    def operands(self, expr, as_arrays: bool = False) -> tuple[ast.expr, int | None]:
        """(the operand tuple as an expression, its size if written out in the call)."""
        if expr is None:
            return ast.Tuple(elts=[], ctx=ast.Load()), 0
        literal = isinstance(expr, (ast.Tuple, ast.List)) and not any(
            isinstance(e, ast.Starred) for e in expr.elts
        )
        if literal:
            expr = ast.Tuple(elts=list(expr.elts), ctx=ast.Load())
        helper = "_cf_as_arrays" if as_arrays else "_cf_as_tuple"
        size = len(expr.elts) if literal else None
        if literal and not as_arrays:
            return expr, size
        return self.call_helper(helper, expr), size

    def count(self, functions: list, size: int | None, ops_name: str) -> int:
        """How many operands each function is called with, checked against them."""
        arities = [(f, _Callable(self, f).arity()) for f in functions]
        if size is not None:
            for f, arity in arities:
                if arity is not None and not arity[0] <= size <= arity[1]:
                    self.fail(
                        f"{ast.unparse(f)} takes {_arity_text(arity)}, but there are {size} "
                        "operand(s)",
                        f,
                    )
            return size
        exact = {a[0] for _, a in arities if a is not None and a[0] == a[1]}
        if len(exact) != 1:
            self.fail(
                "cannot tell how many operands the functions take; write the operands out "
                "as a tuple in the call, e.g. (x, y)"
            )
        count = exact.pop()
        check = self.call_helper(
            "_cf_check_count",
            ast.Name(id=ops_name, ctx=ast.Load()),
            ast.Constant(count),
            self.where(),
        )
        self.stmts.append(ast.Expr(value=check))
        return count

    def invoke(self, func_expr, args: list[ast.expr], into: list | None) -> ast.expr:
        """The expression that calls ``func_expr(*args)`` (a lambda is inlined)."""
        return _Callable(self, func_expr).call(args, into)

    # -- the constructs -------------------------------------------------------------------------
    def run(self) -> ast.expr:
        rw = self.rw
        if rw.cf_guard:
            self.fail(
                f"it cannot be compiled inside {rw.cf_guard[-1]}: the loop or condition "
                "becomes statements that run before the statement containing the call. "
                "Assign its result to a variable in a statement of its own"
            )
        self.args = self.arguments()
        result = getattr(self, f"lower_{self.kind}")()
        for stmt in self.stmts:
            _locate(stmt, self.node)
        rw.hoist(self.stmts)
        return ast.copy_location(ast.Name(id=result, ctx=ast.Load()), self.node)

    def lower_for_loop(self) -> str:
        a = self.args
        ops_expr, size = self.operands(a["operands"], as_arrays=True)
        ops = self.temp("_cf_ops")
        self.assign(ops, ops_expr)
        count = self.count([a["body_fun"]], size, ops)
        n, i, k, y, out = (self.temp(b) for b in ("_cf_n", "_cf_i", "_cf_k", "_cf_y", "_cf_out"))
        self.assign(n, self.call_helper("_cf_length", _load(ops), self.where()))
        reverse = a.get("reverse")
        body: list[ast.stmt] = []
        step = _load(i)
        if not (reverse is None or isinstance(reverse, ast.Constant) and not reverse.value):
            backwards = ast.BinOp(
                left=ast.BinOp(left=_load(n), op=ast.Sub(), right=ast.Constant(1)),
                op=ast.Sub(),
                right=_load(i),
            )
            if isinstance(reverse, ast.Constant):  # reverse=True
                self.assign(k, backwards, body)
            else:
                flag = self.temp("_cf_reverse")
                self.assign(flag, ast.Call(_load("bool"), [reverse], []))
                self.assign(k, ast.IfExp(test=_load(flag), body=backwards, orelse=_load(i)), body)
            step = _load(k)
        args = [_subscript(_subscript(_load(ops), ast.Constant(j)), step) for j in range(count)]
        self.assign(y, self.invoke(a["body_fun"], args, body), body)
        first = []
        self.assign(
            out, self.call_helper("_cf_stack_alloc", _load(n), _load(y), self.where()), first
        )
        body.append(
            ast.If(
                test=ast.Compare(left=_load(i), ops=[ast.Eq()], comparators=[ast.Constant(0)]),
                body=first,
                orelse=[],
            )
        )
        body.append(ast.Expr(self.call_helper("_cf_stack_set", _load(out), step, _load(y))))
        self.stmts.append(
            ast.For(
                target=ast.Name(id=i, ctx=ast.Store()),
                iter=ast.Call(_load("range"), [_load(n)], []),
                body=body,
                orelse=[],
            )
        )
        # no step ran: empty arrays of the right number of dimensions (the output's
        # shape is unknown; Numba knows its type)
        empty = []
        self.assign(
            out,
            self.call_helper("_cf_stack_alloc", ast.Constant(0), _load(y), self.where()),
            empty,
        )
        self.stmts.append(
            ast.If(
                test=ast.Compare(left=_load(n), ops=[ast.Eq()], comparators=[ast.Constant(0)]),
                body=empty,
                orelse=[],
            )
        )
        return out

    def lower_while_loop(self) -> str:
        a = self.args
        given = a["operands"]
        literal = isinstance(given, (ast.Tuple, ast.List))
        like = self.temp("_cf_operands")
        self.assign(like, ast.Tuple(elts=list(given.elts), ctx=ast.Load()) if literal else given)
        w = self.temp("_cf_w")
        self.assign(
            w, self.call_helper("_cf_as_tuple", _load(like)) if not literal else _load(like)
        )
        size = len(given.elts) if literal else None
        count = self.count([a["body_fun"], a["cond_fun"]], size, w)
        args = [_subscript(_load(w), ast.Constant(j)) for j in range(count)]
        # a lambda test is inlined with its parameters replaced by ``_cf_w[j]`` (no
        # statements can run before each test)
        test = self.invoke(a["cond_fun"], args, None)
        body: list[ast.stmt] = []
        out = self.invoke(a["body_fun"], copy.deepcopy(args), body)
        self.assign(w, self.call_helper("_cf_carry", _load(like), out, self.where()), body)
        self.stmts.append(ast.While(test=test, body=body, orelse=[]))
        if literal:
            return w
        result = self.temp("_cf_result")
        self.assign(result, self.call_helper("_cf_uncarry", _load(like), _load(w)))
        return result

    def lower_cond(self) -> str:
        a = self.args
        return self.branches([a["pred"]], [a["true_fun"], a["false_fun"]], a.get("operands"))

    def lower_ifelse(self) -> str:
        a = self.args
        branches = a["branches"]
        if not isinstance(branches, (ast.List, ast.Tuple)) or any(
            isinstance(e, ast.Starred) for e in branches.elts
        ):
            self.fail(
                "in compiled code the branches must be written out in the call as a list or "
                "tuple of functions, e.g. [f, g, h]",
                branches,
            )
        branches = list(branches.elts)
        conditions = a["conditions"]
        needed = len(branches) - 1
        if isinstance(conditions, (ast.List, ast.Tuple)) and not any(
            isinstance(e, ast.Starred) for e in conditions.elts
        ):
            conds = list(conditions.elts)
            if len(conds) != needed:
                self.fail(
                    f"ifelse: {len(branches)} branches need {needed} conditions, got {len(conds)}"
                )
        else:
            name = self.temp("_cf_conditions")
            self.assign(name, self.call_helper("_cf_as_tuple", conditions))
            check = self.call_helper(
                "_cf_check_count", _load(name), ast.Constant(needed), self.where()
            )
            self.stmts.append(ast.Expr(check))
            conds = [_subscript(_load(name), ast.Constant(j)) for j in range(needed)]
        return self.branches(conds, branches, a.get("operands"))

    def branches(self, conditions: list, branches: list, operands) -> str:
        # the conditions are evaluated first, then the operands, as in the eager call
        tests = []
        for c in conditions:
            name = self.temp("_cf_pred")
            self.assign(name, c)
            tests.append(_load(name))
        ops_expr, size = self.operands(operands)
        ops = self.temp("_cf_ops")
        if size != 0:
            self.assign(ops, ops_expr)
        count = self.count(branches, size, ops)
        out = self.temp(f"_cf_{self.kind}_out")  # named in explain()
        blocks = []
        for branch in branches:
            block: list[ast.stmt] = []
            args = [_subscript(_load(ops), ast.Constant(j)) for j in range(count)]
            self.assign(out, self.invoke(branch, args, block), block)
            blocks.append(block)
        chain = blocks[-1]
        for test, block in zip(reversed(tests), reversed(blocks[:-1])):
            chain = [ast.If(test=test, body=block, orelse=chain)]
        self.stmts.extend(chain)
        return out


class _Callable:
    """A body or branch given to a control-flow call: a lambda (inlined), or anything
    else that is called (a nested def, a method, a function, a callable object)."""

    def __init__(self, lowering: _Lowering, expr: ast.expr):
        self.lowering = lowering
        self.expr = expr

    def arity(self) -> tuple[int, float] | None:
        """(fewest, most) positional arguments it takes, or None if unknown."""
        expr, rw = self.expr, self.lowering.rw
        if isinstance(expr, ast.Lambda):
            return _ast_arity(expr.args)
        if isinstance(expr, ast.Name) and not rw.is_free(expr.id):
            defs = [
                n.args if isinstance(n, ast.FunctionDef) else n.value.args
                for n in ast.walk(rw.tree)
                if isinstance(n, ast.FunctionDef)
                and n.name == expr.id
                or isinstance(n, ast.Assign)
                and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)
                and n.targets[0].id == expr.id
                and isinstance(n.value, ast.Lambda)
            ]
            return _ast_arity(defs[0]) if len(defs) == 1 else None
        try:
            target = rw.call_target(expr)
        except Exception:  # noqa: BLE001  (reported when the call itself is rewritten)
            return None
        if target is None:
            return None
        func, bound = target[0], target[1]
        try:
            params = [p for n, p in inspect.signature(func).parameters.items() if n not in bound]
        except (TypeError, ValueError):
            return None
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            return None
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in positional if p.default is inspect.Parameter.empty]
        return len(required), len(positional)

    def call(self, args: list[ast.expr], into: list | None) -> ast.expr:
        expr = self.expr
        if not isinstance(expr, ast.Lambda):
            return ast.Call(func=copy.deepcopy(expr), args=args, keywords=[])
        from brainjit.math._numpy.rewrite import _NameSubstituter

        lam = expr.args
        if lam.vararg or lam.kwarg or lam.kwonlyargs:
            self.lowering.fail("a lambda with *args, **kwargs or keyword-only parameters", expr)
        params = [p.arg for p in lam.posonlyargs + lam.args]
        defaults = dict(zip(params[len(params) - len(lam.defaults) :], lam.defaults))
        mapping = {}
        for j, param in enumerate(params):
            value = args[j] if j < len(args) else copy.deepcopy(defaults[param])
            if into is None or isinstance(value, ast.Name):
                mapping[param] = value  # (into is None: the test of a while loop)
            else:
                name = self.lowering.temp(param)
                self.lowering.assign(name, value, into)
                mapping[param] = _load(name)
        body = copy.deepcopy(expr.body)
        return _NameSubstituter(mapping).visit(body)


def _ast_arity(args: ast.arguments) -> tuple[int, float] | None:
    if args.vararg:
        return None
    positional = args.posonlyargs + args.args
    return len(positional) - len(args.defaults), len(positional)


def _arity_text(arity) -> str:
    low, high = arity
    n = f"{low}" if low == high else f"{low} to {high}"
    return f"{n} argument{'s' if high != 1 else ''}"


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _subscript(value: ast.expr, index: ast.expr) -> ast.Subscript:
    return ast.Subscript(value=value, slice=index, ctx=ast.Load())


def _locate(tree: ast.AST, like: ast.AST) -> None:
    """Give every generated node without a position the position of the call."""
    for sub in ast.walk(tree):
        if isinstance(sub, (ast.stmt, ast.expr)) and getattr(sub, "lineno", None) is None:
            ast.copy_location(sub, like)
