"""Generated functions that only call others are written into their callers.

Numba compiles every function that compiled code calls as a library of its own and links
its code into each caller, where LLVM optimises it and emits its machine code once more.
Each level of calls therefore costs a cold build its whole subtree again: about a second
for ``Network.update`` in the COBA network, whose body only calls each node's ``update``.

A *dispatcher* is a generated function whose body is nothing but calls of other
generated functions, with names and constants as arguments, and which returns nothing.
It has no code of its own worth a level: :func:`inline_dispatchers` replaces each
statement that calls one by its calls, its parameters replaced by the caller's
arguments (evaluated once, in order, before the calls) and the objects it refers to
(the functions it calls, constants) added to the caller's globals. The calls keep the
line of the statement they replace, so tracebacks point at it.
"""

from __future__ import annotations

import ast
import copy

from brainjit._pyast import parse as parse_source


def dispatcher_body(unit) -> tuple[ast.FunctionDef, list[ast.Expr]] | None:
    """``unit``'s definition and its call statements, if it is a dispatcher."""
    from brainjit.math._numpy.rewrite import Unit

    cached = getattr(unit, "_dispatcher_body", False)
    if cached is not False:
        return cached
    result = None
    tree = parse_source(unit.source).body[0]
    a = tree.args
    if not (a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg):
        calls = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Pass) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            ):
                continue  # a docstring
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and isinstance(unit.namespace.get(call.func.id), Unit)
                and all(isinstance(x, (ast.Name, ast.Constant)) for x in call.args)
                and all(
                    k.arg is not None and isinstance(k.value, (ast.Name, ast.Constant))
                    for k in call.keywords
                )
            ):
                calls = None
                break
            calls.append(stmt)
        if calls is not None:
            result = (tree, calls)
    unit._dispatcher_body = result
    return result


def _bind(tree: ast.FunctionDef, call: ast.Call) -> dict[str, tuple[str, ast.expr]] | None:
    """The dispatcher's parameter -> ``('arg', the caller's expression)`` or
    ``('default', the name of its default among the dispatcher's globals)``."""
    params = [p.arg for p in tree.args.args]
    if len(call.args) > len(params) or any(isinstance(x, ast.Starred) for x in call.args):
        return None
    bound = {p: ("arg", x) for p, x in zip(params, call.args)}
    for k in call.keywords:
        if k.arg is None or k.arg not in params or k.arg in bound:
            return None
        bound[k.arg] = ("arg", k.value)
    defaults = dict(zip(params[len(params) - len(tree.args.defaults) :], tree.args.defaults))
    for p in params:
        if p not in bound:
            if p not in defaults:
                return None
            bound[p] = ("default", defaults[p])
    return {p: bound[p] for p in params}  # in the order of the parameters


class _Inliner(ast.NodeTransformer):
    def __init__(self, rewriter, root: ast.FunctionDef):
        self.rewriter = rewriter
        self.root = root  # the caller; functions nested in it are left alone
        self.changed = False

    def adopt(self, unit, name: str) -> str:
        """The caller's name for the dispatcher's global ``name``."""
        from brainjit.math._numpy.rewrite import Unit

        rw = self.rewriter
        value = unit.namespace[name]
        if isinstance(value, Unit):
            own = rw.callee_names.get(id(value))
            if own is None:
                own = rw.fresh(name)
                rw.callee_names[id(value)] = own
                rw.namespace[own] = value
                rw.callees.append(value)
            return own
        own = rw.fresh(name)
        rw.namespace[own] = value
        return own

    def visit_FunctionDef(self, node):
        if node is self.root:
            self.generic_visit(node)
        return node  # nested functions are left alone

    def visit_Expr(self, node):
        from brainjit.math._numpy.rewrite import Unit

        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return node
        unit = self.rewriter.namespace.get(call.func.id)
        if not isinstance(unit, Unit):
            return node
        body = dispatcher_body(unit)
        if body is None:
            return node
        tree, calls = body
        bound = _bind(tree, call)
        if bound is None:
            return node
        out: list[ast.stmt] = []
        names: dict[str, ast.expr] = {}
        adopted: dict[str, str] = {}
        for param, (kind, expr) in bound.items():
            if kind == "default":
                names[param] = self.substitute(unit, expr, {}, adopted)
            elif isinstance(expr, (ast.Name, ast.Constant)):
                names[param] = expr
            else:  # evaluated once, in order, before the calls
                tmp = self.rewriter.fresh(f"{param}_arg")
                out.append(ast.Assign([ast.Name(tmp, ast.Store())], expr))
                names[param] = ast.Name(tmp, ast.Load())
        for stmt in calls:
            new = copy.deepcopy(stmt)
            c = new.value
            c.args = [self.substitute(unit, x, names, adopted) for x in c.args]
            for k in c.keywords:
                k.value = self.substitute(unit, k.value, names, adopted)
            c.func = self.substitute(unit, c.func, {}, adopted)
            out.append(new)
        for stmt in out:
            for n in ast.walk(stmt):
                ast.copy_location(n, node)
        self.changed = True
        return out

    def substitute(self, unit, expr, names, adopted):
        """``expr`` (a name or constant of the dispatcher) in the caller: a parameter's
        argument, or the caller's name for one of the dispatcher's globals."""
        if isinstance(expr, ast.Name):
            if expr.id in names:
                return copy.deepcopy(names[expr.id])
            if expr.id in unit.namespace:
                if expr.id not in adopted:
                    adopted[expr.id] = self.adopt(unit, expr.id)
                return ast.Name(adopted[expr.id], ast.Load())
        return expr


def inline_dispatchers(rewriter, func: ast.FunctionDef) -> None:
    """Write the dispatchers ``func`` calls into it (in place), and forget those it no
    longer calls (they are then never compiled)."""
    from brainjit.math._numpy.rewrite import Unit

    inliner = _Inliner(rewriter, func)
    inliner.visit(func)
    if not inliner.changed:
        return
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
    for name in [k for k, v in rewriter.namespace.items() if isinstance(v, Unit)]:
        if name not in used:
            unit = rewriter.namespace.pop(name)
            rewriter.callee_names.pop(id(unit), None)
            if not any(u is unit for u in rewriter.namespace.values()):
                rewriter.callees[:] = [u for u in rewriter.callees if u is not unit]
