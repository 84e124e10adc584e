"""Native Python control flow in jitted code: a source transformation (jax backend).

JAX traces a function by running it on abstract values, so a Python ``if x > 0:``,
``while x < 10:`` or ``for i in range(n)`` on a traced value cannot run. This module
rewrites a function's source so that each ``if``/``for``/``while`` statement becomes a
call into :mod:`brainjit.math._jax.control_flow`, which decides *when the code runs*:
on concrete values it keeps plain Python semantics (Python unrolls the loop, takes one
branch), on traced values it builds ``lax.cond`` / ``lax.fori_loop`` / ``lax.scan`` /
``lax.while_loop``, threading the local variables the statement assigns (and the
JaxArrays and Variables it updates in place) through the structured primitive.

The rewrite is in the style of TensorFlow's AutoGraph: each statement body becomes a
nested function that receives the assigned names as a tuple and returns them::

    if x > 0:                          def __bj_if_true_1(__bj_state):
        y = x * 2                          (y,) = __bj_state
    else:                                  y = x * 2
        y = -x                             return (y,)
                                       def __bj_if_false_1(__bj_state): ...
                                       (y,) = __bj.if_stmt(x > 0, __bj_if_true_1,
                                                           __bj_if_false_1, (y,), ...)

Statements that ``return``, ``break`` or ``continue`` out of their body are kept as
Python; their condition or iterable is checked, and a traced one raises an error that
names the line. Calls inside converted code go through ``__bj.call`` so the functions
and methods they reach are converted too.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import types
import weakref

from brainjit._pyast import parse as parse_source

__all__ = ["convert", "converted_source", "ConversionError"]

RUNTIME = "__bj"
LOOPS = "__bj_loops"  # the runtime of loops over static ranges (.static_loops)


class ConversionError(Exception):
    """The source of a function could not be converted."""


# -- static analysis -----------------------------------------------------------------


def _target_names(target: ast.AST, out: list[str]) -> None:
    """Names that an assignment target binds or updates in place (``a``, ``a[i]``)."""
    if isinstance(target, ast.Name):
        out.append(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _target_names(elt, out)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, out)
    elif isinstance(target, ast.Subscript):
        base = target.value
        while isinstance(base, ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name):  # arr[i] = ... updates the array ``arr`` in place
            out.append(base.id)


class _Assigned(ast.NodeVisitor):
    """Names assigned (or updated in place) by statements, not looking into nested defs."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_Assign(self, node):
        for t in node.targets:
            _target_names(t, self.names)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        _target_names(node.target, self.names)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            _target_names(node.target, self.names)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        _target_names(node.target, self.names)
        self.generic_visit(node)

    def visit_For(self, node):
        _target_names(node.target, self.names)
        self.generic_visit(node)

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                _target_names(item.optional_vars, self.names)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if not node.name.startswith(RUNTIME):
            self.names.append(node.name)  # a def binds its name; its body is its own scope

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.names.append(node.name)

    def visit_Lambda(self, node):
        pass

    def visit_Import(self, node):
        for alias in node.names:
            self.names.append((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import


def assigned_names(stmts: list[ast.stmt]) -> list[str]:
    """The names the statements assign, in first-assignment order, without duplicates."""
    visitor = _Assigned()
    for stmt in stmts:
        visitor.visit(stmt)
    return [n for n in dict.fromkeys(visitor.names) if not n.startswith(RUNTIME)]


class _Escapes(ast.NodeVisitor):
    """Does a statement body leave it early (return; break/continue of *this* loop)?"""

    def __init__(self, loop: bool) -> None:
        self.loop = loop  # inside the loop statement itself: break/continue count
        self.found: str | None = None
        self.depth = 0  # nesting depth of inner loops

    def _note(self, what: str) -> None:
        self.found = self.found or what

    def visit_Return(self, node):
        self._note("return")

    def visit_Yield(self, node):
        self._note("yield")

    visit_YieldFrom = visit_Yield

    def visit_Break(self, node):
        if self.depth == 0:
            self._note("break")

    def visit_Continue(self, node):
        if self.depth == 0:
            self._note("continue")

    def _inner_loop(self, node):
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1
        for child in node.orelse:
            self.visit(child)

    visit_For = _inner_loop
    visit_While = _inner_loop

    def visit_FunctionDef(self, node):
        pass

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef


def escape_of(stmts: list[ast.stmt], loop: bool) -> str | None:
    """'return', 'break', 'continue' or 'yield' if the body leaves early, else None."""
    visitor = _Escapes(loop)
    for stmt in stmts:
        visitor.visit(stmt)
    return visitor.found


class _Loads(ast.NodeVisitor):
    """Every ``Name`` node that reads a variable, nested functions included."""

    def __init__(self) -> None:
        self.loads: list[ast.Name] = []

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.loads.append(node)


def _mutators(stmts: list[ast.stmt]) -> str | None:
    """The first call of a container-mutating method (``x.append(...)``) in ``stmts``."""
    from brainjit.math._jax.static_loops import MUTATORS

    for stmt in stmts:
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATORS
            ):
                return ast.unparse(node.func)
    return None


def _annotate_loops(fdef: ast.AST) -> None:
    """Give every ``for`` statement of ``fdef`` what its static-range runtime needs:
    ``_bj_outside``, the names read anywhere in the function outside the loop, and
    ``_bj_blocker``, why its body cannot be rolled (a Python container mutated) or None.
    """
    visitor = _Loads()
    visitor.visit(fdef)
    for node in ast.walk(fdef):
        if not isinstance(node, ast.For):
            continue
        inside = {id(n) for n in ast.walk(node) if isinstance(n, ast.Name)}
        node._bj_outside = sorted({n.id for n in visitor.loads if id(n) not in inside})
        call = _mutators(node.body)
        node._bj_blocker = (
            f"the body calls {call}(), a Python side effect that a rolled loop would run "
            "once (with traced values)"
            if call
            else None
        )


# -- the transformer -----------------------------------------------------------------


def _rt(attr: str) -> ast.Attribute:
    return ast.Attribute(value=ast.Name(id=RUNTIME, ctx=ast.Load()), attr=attr, ctx=ast.Load())


def _loops(attr: str) -> ast.Attribute:
    return ast.Attribute(value=ast.Name(id=LOOPS, ctx=ast.Load()), attr=attr, ctx=ast.Load())


def _names_tuple(names: list[str], ctx) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Name(id=n, ctx=ctx()) for n in names], ctx=ctx())


def _const_tuple(names: list[str]) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load())


def _state_def(name: str, params: list[str], names: list[str], body: list[ast.stmt], ret):
    """``def name(*params): (names...) = params[0]; body; return ret``."""
    stmts: list[ast.stmt] = []
    if names:
        stmts.append(
            ast.Assign(
                targets=[_names_tuple(names, ast.Store)],
                value=ast.Name(id=params[0], ctx=ast.Load()),
            )
        )
    stmts.extend(body)
    stmts.append(ast.Return(value=ret))
    return ast.FunctionDef(
        name=name,
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in params],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=stmts,
        decorator_list=[],
        returns=None,
        type_params=[],
    )


def _undefined_guards(names: list[str]) -> list[ast.stmt]:
    """``try: a  except NameError: a = __bj.UNDEFINED`` for each name."""
    guards = []
    for n in names:
        guards.append(
            ast.Try(
                body=[ast.Expr(value=ast.Name(id=n, ctx=ast.Load()))],
                handlers=[
                    ast.ExceptHandler(
                        type=ast.Name(id="NameError", ctx=ast.Load()),
                        name=None,
                        body=[
                            ast.Assign(
                                targets=[ast.Name(id=n, ctx=ast.Store())],
                                value=_rt("UNDEFINED"),
                            )
                        ],
                    )
                ],
                orelse=[],
                finalbody=[],
            )
        )
    return guards


def _call(func: ast.expr, args: list[ast.expr], keywords=()) -> ast.Call:
    return ast.Call(func=func, args=args, keywords=list(keywords))


class _LogicConverter(ast.NodeTransformer):
    """``a and b``, ``a or b``, ``not a`` in a condition: lazy, and array-aware."""

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        result = node.values[0]
        for value in node.values[1:]:
            thunk = ast.Lambda(
                args=ast.arguments(
                    posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                ),
                body=value,
            )
            result = _call(_rt(fn), [result, thunk])
        return ast.copy_location(result, node)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(_call(_rt("not_"), [node.operand]), node)
        return node


def _logic(test: ast.expr) -> ast.expr:
    return _LogicConverter().visit(test)


class _Converter(ast.NodeTransformer):
    def __init__(self, filename: str) -> None:
        self.counter = 0
        self.filename = filename

    def _fresh(self, kind: str) -> str:
        self.counter += 1
        return f"{RUNTIME}_{kind}_{self.counter}"

    def _where(self, node: ast.AST) -> ast.Constant:
        return ast.Constant(f"{self.filename}, line {getattr(node, 'lineno', '?')}")

    # calls: convert what they reach -------------------------------------------------
    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("super", "locals", "globals"):
            return node
        return _call(_rt("call"), [node.func, *node.args], node.keywords)

    # if ------------------------------------------------------------------------------
    def visit_If(self, node: ast.If):
        self.generic_visit(node)
        node.test = _logic(node.test)
        escape = escape_of(node.body + node.orelse, loop=False)
        if escape:
            guard = [node.test, self._where(node), ast.Constant(escape)]
            node.test = _call(_rt("python_test"), guard)
            return node
        names = assigned_names(node.body + node.orelse)
        true_name, false_name = self._fresh("if_true"), self._fresh("if_false")
        state, ret = "__bj_state", _names_tuple(names, ast.Load)
        true_def = _state_def(true_name, [state], names, node.body, ret)
        false_def = _state_def(false_name, [state], names, node.orelse or [ast.Pass()], ret)
        call = _call(
            _rt("if_stmt"),
            [
                node.test,
                ast.Name(id=true_name, ctx=ast.Load()),
                ast.Name(id=false_name, ctx=ast.Load()),
                _names_tuple(names, ast.Load),
                _const_tuple(names),
                self._where(node),
            ],
        )
        out = [*_undefined_guards(names), true_def, false_def]
        out.append(ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call))
        return [ast.copy_location(s, node) for s in out]

    # for -----------------------------------------------------------------------------
    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        iterable = node.iter
        is_range = _is_call_of(iterable, "range")
        if is_range:  # range(n) with a traced n: see control_flow.range_
            iterable = _call(_rt("range_"), iterable.args[1:], iterable.keywords)
        escape = escape_of(node.body, loop=True)
        if escape or node.orelse:
            where = [iterable, self._where(node), ast.Constant(escape or "for-else")]
            run = _loops("python_range") if is_range else _rt("python_iter")
            node.iter = _call(run, where)
            return node
        target_names: list[str] = []
        _target_names(node.target, target_names)
        names = [n for n in assigned_names(node.body) if n not in target_names]
        body_name = self._fresh("for_body")
        state, item = "__bj_state", "__bj_item"
        bind_item = ast.Assign(targets=[node.target], value=ast.Name(id=item, ctx=ast.Load()))
        body = [bind_item, *node.body]
        body_def = _state_def(body_name, [state, item], names, body, _names_tuple(names, ast.Load))
        args = [
            iterable,
            ast.Name(id=body_name, ctx=ast.Load()),
            _names_tuple(names, ast.Load),
            _const_tuple(names),
            self._where(node),
        ]
        if is_range:  # a static range may roll (static_loops.for_range)
            outside = [n for n in getattr(node, "_bj_outside", names) if n in names]
            blocker = getattr(node, "_bj_blocker", None)
            keywords = [
                ast.keyword(arg="outside", value=_const_tuple(outside)),
                ast.keyword(arg="blocker", value=ast.Constant(blocker)),
            ]
            call = _call(_loops("for_range"), args, keywords)
        else:
            call = _call(_rt("for_stmt"), args)
        out = [*_undefined_guards(names), body_def]
        out.append(ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call))
        return [ast.copy_location(s, node) for s in out]

    # while ---------------------------------------------------------------------------
    def visit_While(self, node: ast.While):
        self.generic_visit(node)
        node.test = _logic(node.test)
        escape = escape_of(node.body, loop=True)
        if escape or node.orelse:
            node.test = _call(
                _rt("python_test"),
                [node.test, self._where(node), ast.Constant(escape or "while-else")],
            )
            return node
        names = assigned_names(node.body)
        test_name, body_name = self._fresh("while_test"), self._fresh("while_body")
        state = "__bj_state"
        test_def = _state_def(test_name, [state], names, [], node.test)
        body_def = _state_def(body_name, [state], names, node.body, _names_tuple(names, ast.Load))
        call = _call(
            _rt("while_stmt"),
            [
                ast.Name(id=test_name, ctx=ast.Load()),
                ast.Name(id=body_name, ctx=ast.Load()),
                _names_tuple(names, ast.Load),
                _const_tuple(names),
                self._where(node),
            ],
        )
        out = [*_undefined_guards(names), test_def, body_def]
        out.append(ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call))
        return [ast.copy_location(s, node) for s in out]


def _is_call_of(node: ast.AST, name: str) -> bool:
    """Is ``node`` the call ``name(...)`` (already rewritten to ``__bj.call(name, ...)``)?"""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "call"
        and bool(node.args)
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == name
    )


# -- converting functions ------------------------------------------------------------

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _source_tree(func) -> tuple[ast.Module, ast.FunctionDef, str]:
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as err:
        raise ConversionError(
            f"Cannot read the source of {func.__qualname__!r} to convert its control flow "
            f"({err}). Define it in a file, or switch conversion off "
            "(bp.math.jit(..., auto_control_flow=False))."
        ) from None
    source = textwrap.dedent(source)
    tree = parse_source(source)
    fdef = tree.body[0]
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ConversionError(f"{func.__qualname__!r} is not defined by a def statement")
    return tree, fdef, source


class _Unsupported(ast.NodeVisitor):
    """Constructs whose scoping the statement-to-function rewrite would change."""

    def __init__(self) -> None:
        self.found: str | None = None

    def visit_Global(self, node):
        self.found = self.found or "a global statement"

    def visit_Nonlocal(self, node):
        self.found = self.found or "a nonlocal statement"

    def visit_Yield(self, node):
        self.found = self.found or "yield (a generator)"

    visit_YieldFrom = visit_Yield

    def visit_Await(self, node):
        self.found = self.found or "await"


def _transform(func) -> tuple[ast.Module, str]:
    tree, fdef, _ = _source_tree(func)
    if isinstance(fdef, ast.AsyncFunctionDef):
        raise ConversionError(f"{func.__qualname__!r} is a coroutine")
    check = _Unsupported()
    check.visit(fdef)
    if check.found:
        raise ConversionError(f"{func.__qualname__!r} uses {check.found}")
    filename = inspect.getsourcefile(func) or "<unknown>"
    fdef.decorator_list = []
    first_line = func.__code__.co_firstlineno
    ast.increment_lineno(tree, first_line - 1)
    _annotate_loops(fdef)
    _Converter(filename).generic_visit(fdef)
    # the converted function is built by a factory taking the original's free variables
    freevars = list(func.__code__.co_freevars)
    factory = ast.FunctionDef(
        name="__bj_factory",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=v) for v in freevars],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[fdef, ast.Return(value=ast.Name(id=fdef.name, ctx=ast.Load()))],
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    return module, ast.unparse(fdef)


def convert(func):
    """The function with its native control flow converted (cached per function).

    Bound methods are converted through their function and bound again.
    """
    if isinstance(func, types.MethodType):
        return types.MethodType(convert(func.__func__), func.__self__)
    if not isinstance(func, types.FunctionType):
        return func
    cached = _cache.get(func)
    if cached is not None:
        return cached
    from brainjit.math._jax import control_flow, static_loops

    module, _ = _transform(func)
    # compiled under the original file name (tracebacks show the user's lines) and run in
    # the function's own module globals, where the runtime is reachable as ``__bj``
    code = compile(module, inspect.getsourcefile(func) or "<converted>", "exec")
    func.__globals__.setdefault(RUNTIME, control_flow)
    func.__globals__.setdefault(LOOPS, static_loops)
    scope: dict = {}
    exec(code, func.__globals__, scope)  # noqa: S102  (our own generated code)
    cells = [c.cell_contents for c in (func.__closure__ or ())]
    new = scope["__bj_factory"](*cells)
    new.__defaults__ = func.__defaults__
    new.__kwdefaults__ = func.__kwdefaults__
    functools.update_wrapper(new, func)
    new.__wrapped__ = func
    new.__bj_converted__ = True
    _cache[func] = new
    return new


# library code is called as it is; only user code (models, helpers) is converted
_LIBRARIES = (
    "builtins",
    "jax",
    "jaxlib",
    "numpy",
    "numba",
    "scipy",
    "brainjit.math",
    "functools",
    "itertools",
    "operator",
    "math",
    "typing",
    "collections",
    "abc",
    "contextlib",
)


def _is_user_code(func) -> bool:
    module = getattr(func, "__module__", None) or ""
    root = module.split(".")[0]
    return not (
        getattr(func, "__bj_converted__", False)
        or any(module == lib or module.startswith(lib + ".") for lib in _LIBRARIES)
        or root in _LIBRARIES
    )


def convert_callable(func):
    """What converted code calls in place of ``func``: its converted version if it is
    a user function, method or callable object whose source can be read, else ``func``.
    """
    try:
        if isinstance(func, types.FunctionType):
            return convert(func) if _is_user_code(func) else func
        if isinstance(func, types.MethodType):
            inner = func.__func__
            if isinstance(inner, types.FunctionType) and _is_user_code(inner):
                return types.MethodType(convert(inner), func.__self__)
            return func
        if isinstance(func, type) or not callable(func):
            return func
        call = type(func).__dict__.get("__call__") or getattr(type(func), "__call__", None)  # noqa: B004
        if isinstance(call, types.FunctionType) and _is_user_code(call):
            return types.MethodType(convert(call), func)
    except ConversionError:
        pass  # source unavailable: the function runs as written
    return func


def converted_source(func) -> str:
    """The converted source of ``func`` (what ``show_code=True`` prints)."""
    if isinstance(func, types.MethodType):
        func = func.__func__
    return _transform(func)[1]
