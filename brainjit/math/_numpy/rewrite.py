"""The AST rewriter behind ``bp.math.jit`` on the numpy backend.

A method (or a function) is turned into a plain function that Numba compiles:

- attribute chains that start at ``self`` -- or at any parameter bound to an object at
  compile time, or at a module global holding an object -- are resolved on the live
  objects while rewriting (``self.syn.pre.V``, ``self.groups[0].V``,
  ``self.layers['out'].w``);
- a chain that reaches a Variable or any other ndarray becomes an *argument* of the
  generated function (named after its path: ``self_syn_pre_V``); the wrapper passes the
  Variable's plain base array, which the compiled code updates in place. One Variable
  reached by several paths is one argument;
- ``self.V = expr`` on a Variable becomes the in-place write ``self_V[...] = expr`` and
  ``self.V += expr`` updates in place; assigning to an attribute that is not a
  Variable only rebinds a local name inside the call (a warning names it);
- any other value reached (numbers, strings, tuples, NumPy functions) is a constant of
  the generated function's namespace, except floats reached through objects
  (``self.tau``): those become arguments after the arrays, with their values frozen in
  the wrapper (:class:`ScalarParam`, :func:`_hidden_scalars`), so that objects differing
  only in them share one compiled function;
- a call of another method of ``self`` or of a child object, of a callable object, or of
  a Python function is compiled recursively as its own generated function, called with
  the arrays it needs; an object passed to a function binds that parameter at compile
  time;
- a ``for`` loop over a list, tuple or dict of objects (or arrays) is unrolled;
- brainjit modules and ``bp.math`` functions are replaced by their NumPy equivalents
  (:mod:`numba_view`);
- a call of ``bp.math.for_loop``/``while_loop``/``cond``/``ifelse`` is written out as
  the loop or ``if`` statement it stands for (:mod:`lower_control_flow`), inserted
  before the statement that contains the call.

Each generated function is a :class:`Unit`; :mod:`jit` writes units to files, compiles
them and builds the wrapper that passes the current arrays.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import functools
import hashlib
import inspect
import keyword
import re
import textwrap
import types
import warnings
from dataclasses import dataclass, field

import numba
import numpy as np

from brainjit import _cache
from brainjit._pyast import parse as parse_source
from brainjit.math import _elementwise
from brainjit.math._numpy import inline, lower_control_flow, numba_view, truth
from brainjit.math._numpy import store as stores

__all__ = [
    "ConstantAttributeWarning",
    "JitCompileError",
    "SourceNotFoundError",
    "Unit",
    "build_unit",
]

_VERSION = "4"  # bump when the generated code changes for the same input


class JitCompileError(TypeError):
    """``bp.math.jit`` could not turn a function or method into compiled code."""


class SourceNotFoundError(JitCompileError):
    """The Python source of a function or method is not available (a builtin, a lambda
    typed at an interactive prompt, code created by ``exec``)."""


class ConstantAttributeWarning(UserWarning):
    """A compiled method assigns to an attribute that is not a Variable (a constant)."""


_warned: set[tuple] = set()


def _warn_constant_assignment(owner, cls_name: str, attr: str, where: str) -> None:
    """Warn once per class and attribute."""
    kind = type(owner)
    key = (kind.__module__, kind.__qualname__, attr) if owner is not None else (cls_name, attr)
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"{where} assigns to {cls_name}.{attr}, which is not a bp.math.Variable: in compiled "
        f"code {attr!r} is a constant, so the assignment only lasts until the call returns "
        f"and {cls_name}.{attr} keeps its value. Store the state in a Variable "
        f"(self.{attr} = bp.math.Variable(...)) to update it.",
        ConstantAttributeWarning,
        stacklevel=_user_stacklevel(),
    )


def _user_stacklevel() -> int:
    """The stacklevel of the first frame outside brainjit (the user's jit call)."""
    import sys

    frame, level = sys._getframe(1), 1
    package = __name__.rsplit(".", 3)[0]  # 'brainjit'
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module == package or module.startswith(package + ".")):
            return level
        frame, level = frame.f_back, level + 1
    return 1


# ----------------------------------------------------------------------------------------
# paths: how an array or object is reached from a unit's roots
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Path:
    """``root`` then ``steps``: how a value is reached.

    root: ('bound', param_name) -- an object bound to a parameter at compile time
          ('global', globals_dict, name) -- a module global
          ('cell', cell, name) -- a closure cell
    steps: ('attr', name) / ('item', key) pairs.
    """

    root: tuple
    steps: tuple = ()

    def extend(self, *steps) -> Path:
        return Path(self.root, self.steps + tuple(steps))

    def rebase(self, prefix: Path) -> Path:
        """This path (rooted at a bound parameter) seen from the caller's ``prefix``."""
        return Path(prefix.root, prefix.steps + self.steps)

    def key(self) -> tuple:
        root = self.root
        ident = (root[0], root[1]) if root[0] == "bound" else (root[0], id(root[1]), root[2])
        return (ident, self.steps)

    def display(self) -> str:
        root = self.root
        head = root[1] if root[0] == "bound" else root[2]
        return ".".join([head] + [str(s[1]) for s in self.steps])

    def identifier(self) -> str:
        root = self.root
        parts = [root[1] if root[0] == "bound" else root[2]]
        parts += [
            "call" if step[1] == "__call__" else str(step[1])
            for step in self.steps
            if step[1] not in ("__self__", "py_func")
        ]
        name = re.sub(r"\W", "_", "_".join(parts))
        if not name or name[0].isdigit():
            name = f"v_{name}"
        return name

    def resolve(self, bound: dict):
        root = self.root
        if root[0] == "bound":
            value = bound[root[1]]
        elif root[0] == "global":
            value = root[1][root[2]]
        else:
            value = root[1].cell_contents
        for kind, key in self.steps:
            value = getattr(value, key) if kind == "attr" else value[key]
        return value


@dataclass(eq=False)
class ArrayParam:
    """An array argument of a generated function."""

    name: str
    array: np.ndarray  # the Variable / ndarray as found (kept alive; identity matters)
    path: Path

    @property
    def base(self) -> np.ndarray:
        """The plain ndarray the compiled code receives."""
        return self.array.view(np.ndarray) if type(self.array) is not np.ndarray else self.array


@dataclass(eq=False)
class ScalarParam:
    """A float constant passed as an argument of a generated function (after the
    arrays) instead of written into its namespace: objects that differ only in such a
    constant share one compiled function. Its value is the one found when the code was
    generated (``recompile()`` takes a new one), as for a constant in the namespace."""

    name: str
    value: object  # float, np.float64 or np.float32
    path: Path


@dataclass(eq=False)
class Unit:
    """One generated function."""

    label: str  # 'LIF.update' / 'gelu': how messages name it
    func_name: str  # the def's name in the generated file
    source: str  # the def, as printed by show_code
    params: list[ArrayParam]  # array parameters, first in the signature
    signature: inspect.Signature  # the explicit parameters (bound ones removed)
    namespace: dict  # the generated module's globals (constants, callees, modules)
    callees: list[Unit]
    key: str  # digest of everything the compiled code depends on
    origin: tuple[str, int]  # original file, first line
    line_map: dict[int, int] = field(default_factory=dict)  # generated -> original line
    header_lines: int = 0
    scalars: list[ScalarParam] = field(default_factory=list)  # after params, before the rest
    dispatcher: object = None
    file: str | None = None

    def file_stem(self) -> str:
        return f"{self.func_name}_{self.key[:20]}"

    def file_text(self) -> tuple[str, int]:
        """The module file's text and the number of header lines before the source.

        Only what the digest covers goes in (no object names, no origin): objects and
        processes that share the file write exactly the same text, so it is never
        rewritten and Numba's on-disk cache of it stays valid."""
        header = f"# Generated by bp.math.jit (key {self.key[:20]}); do not edit.\n"
        return header + self.source + "\n", header.count("\n")

    def all_units(self) -> list[Unit]:
        """This unit and every unit it calls, callees first, each once."""
        out: list[Unit] = []
        seen: set[int] = set()

        def visit(unit):
            if id(unit) in seen:
                return
            seen.add(id(unit))
            for callee in unit.callees:
                visit(callee)
            out.append(unit)

        visit(self)
        return out


# ----------------------------------------------------------------------------------------
# classifying values
# ----------------------------------------------------------------------------------------

_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)


def _is_base(value) -> bool:
    from brainjit.base import Base

    return isinstance(value, Base)


def _is_jit_wrapper(value) -> bool:
    return callable(value) and getattr(value, "__brainjit_jit__", None) is not None


def _python_call(value):
    """The Python ``__call__`` function of a callable object, or None."""
    for klass in type(value).__mro__:
        if "__call__" in vars(klass):
            call = vars(klass)["__call__"]
            return call if isinstance(call, types.FunctionType) else None
    return None


def _is_object(value) -> bool:
    """Objects whose attributes the rewriter walks (Base instances, plain objects)."""
    if _is_base(value):
        return True
    if isinstance(
        value,
        (type, types.ModuleType, types.FunctionType, types.MethodType, np.ndarray)
        + _SCALARS
        + (list, tuple, dict, set, frozenset),
    ):
        return False
    if isinstance(value, numba.core.dispatcher.Dispatcher) or _is_jit_wrapper(value):
        return False
    module = type(value).__module__.split(".")[0]
    if module in ("builtins", "numpy", "numba", "jax", "jaxlib"):
        return False
    if _bp_math_equivalent(value) is not None:  # bp.math.exp: a function, not an object
        return False
    return hasattr(value, "__dict__")


def _compiled_elsewhere(value) -> bool:
    """A user's function that Numba compiles by itself (an ``@njit`` dispatcher, a
    ``bp.math.elementwise`` function, an ``@overload``-ed or ``register_jitable``
    function), not one of brainjit's, NumPy's or Numba's."""
    if getattr(value, "__brainjit_elementwise__", None) is not None:
        return True
    func = value.py_func if isinstance(value, numba.core.dispatcher.Dispatcher) else value
    if not isinstance(func, types.FunctionType):
        return False
    return (func.__module__ or "").split(".")[0] not in ("brainjit", "numpy", "numba")


def _bp_math_equivalent(value):
    """What compiled code calls for ``value`` when it is one of ``bp.math``'s functions
    (``bp.math.exp``, ``bp.math.random.normal``, ``bp.math.linalg.norm`` ... however the
    code reached it: by identity, not by spelling): the NumPy function or Numba-compiled
    equivalent that ``bp.math.<name>`` gives; None for anything else."""
    if isinstance(value, types.ModuleType):
        return None
    mapped = numba_view.compiled_equivalent(value)
    return None if mapped is value else mapped


def _is_scalar_container(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, _SCALARS) or _is_scalar_container(v) for v in value)
    return False


def _as_tuple(value):
    return tuple(_as_tuple(v) if isinstance(v, (list, tuple)) else v for v in value)


@functools.cache
def _backend_digest() -> str:
    """A digest of the code that compiled code is built from besides the user's (this
    backend's modules, ``bp.math.elementwise``, the Numba options): Numba's on-disk
    cache of a function is not reused once it changes."""
    from pathlib import Path

    here = Path(__file__).parent
    files = sorted(here.glob("*.py")) + [here.parent / n for n in ("_elementwise.py", "_numba.py")]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _describe(value, callee_keys: dict[int, str]) -> str:
    """A text that changes whenever ``value`` would compile differently (for digests)."""
    if id(value) in callee_keys:
        return f"unit:{callee_keys[id(value)]}"
    if getattr(value, "__brainjit_elementwise__", None) is not None:
        # its loop runs the kernel's code
        key = _elementwise.kernel_key(value.__brainjit_elementwise__)
        return f"elementwise:{key}:{value.__brainjit_aliases__!r}"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, np.generic):
        return f"np:{value.dtype.str}:{value!r}"
    if isinstance(value, tuple):
        return "tuple:(" + ",".join(_describe(v, callee_keys) for v in value) + ")"
    if isinstance(value, np.dtype):
        return f"dtype:{value.str}"
    if isinstance(value, numba.core.dispatcher.Dispatcher):
        # its code, and that of every function it calls (Numba compiles them into it)
        func = value.py_func
        closure = "" if func.__closure__ is None else f"@{id(value)}"
        digest = _cache.function_digest(value)
        return f"dispatcher:{func.__module__}.{func.__qualname__}:{digest}{closure}"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    module = getattr(value, "__module__", None)
    if name and module and isinstance(value, (type, types.BuiltinFunctionType, np.ufunc)):
        return f"obj:{module}.{name}"
    if isinstance(value, types.FunctionType):  # @overload-ed, register_jitable ...
        return f"func:{module}.{name}:{_cache.function_digest(value)}"
    text = repr(value)
    if " at 0x" in text or len(text) > 2000:
        return f"id:{type(value).__name__}:{id(value)}"  # not shareable across processes
    return f"repr:{type(value).__name__}:{text}"


# ----------------------------------------------------------------------------------------
# source
# ----------------------------------------------------------------------------------------


def _source_of(func: types.FunctionType, label: str) -> tuple[ast.FunctionDef, str, int]:
    """The parsed definition of ``func``, its file and its first line."""
    try:
        lines, first = inspect.getsourcelines(func)
        filename = inspect.getsourcefile(func) or func.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise SourceNotFoundError(
            f"bp.math.jit cannot compile {label}: its Python source is not available "
            f"({exc}). Functions typed at an interactive prompt, created by exec() or "
            "built in have no source file; define it in a module or a notebook cell."
        ) from None
    text = textwrap.dedent("".join(lines))
    try:
        tree = parse_source(text)
    except SyntaxError:
        tree = None
    if func.__name__ == "<lambda>":
        lambdas = []
        if tree is not None:
            lambdas = [
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.Lambda)
                and n.lineno + first - 1 == func.__code__.co_firstlineno
            ]
        if len(lambdas) != 1:
            raise SourceNotFoundError(
                f"bp.math.jit cannot compile {label}: the source of this lambda cannot be "
                "told apart from the code around it; define it with def."
            )
        lam = lambdas[0]
        node = ast.FunctionDef(
            name="lambda_",
            args=lam.args,
            body=[ast.copy_location(ast.Return(value=lam.body), lam.body)],
            decorator_list=[],
            returns=None,
            type_params=[],
        )
        ast.copy_location(node, lam)
        return node, filename, first
    if tree is None or not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        if tree is not None and tree.body and isinstance(tree.body[0], ast.AsyncFunctionDef):
            raise JitCompileError(f"bp.math.jit cannot compile {label}: it is an async function")
        raise SourceNotFoundError(
            f"bp.math.jit cannot compile {label}: its source could not be parsed as a "
            "function definition."
        )
    return tree.body[0], filename, first


# ----------------------------------------------------------------------------------------
# scopes
# ----------------------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _arg_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _local_names(func: ast.FunctionDef | ast.Lambda) -> set[str]:
    """Names local to ``func``'s own scope (parameters and everything it binds)."""
    names = set(_arg_names(func.args))
    declared_global: set[str] = set()
    body = func.body if isinstance(func.body, list) else [func.body]

    def visit(node, in_comprehension=False):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared_global.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if not in_comprehension:
                names.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        if isinstance(node, _SCOPES):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                for dec in node.decorator_list:
                    visit(dec, in_comprehension)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, in_comprehension or isinstance(node, _COMPREHENSIONS))

    for stmt in body:
        visit(stmt)
    return names - declared_global


class _NameSubstituter(ast.NodeTransformer):
    """Replace loads of names by expressions (loop variables of unrolled loops, aliases)."""

    def __init__(self, mapping: dict[str, ast.expr]):
        self.mapping = mapping

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.mapping:
            return ast.copy_location(copy.deepcopy(self.mapping[node.id]), node)
        return node

    def _scoped(self, node):
        shadowed = _local_names(node) if isinstance(node, (ast.FunctionDef, ast.Lambda)) else set()
        saved = self.mapping
        self.mapping = {k: v for k, v in saved.items() if k not in shadowed}
        self.generic_visit(node)
        self.mapping = saved
        return node

    visit_FunctionDef = visit_Lambda = _scoped


# ----------------------------------------------------------------------------------------
# the rewriter
# ----------------------------------------------------------------------------------------


class Context:
    """State shared by the units of one ``jit`` call."""

    def __init__(self, options: dict):
        self.options = options
        self.units: dict[tuple, Unit] = {}
        self.stack: list[tuple] = []


def _chain(node):
    """(root Name, [chain nodes from the root's parent up to ``node``]) or (None, None).

    A chain is a Name followed by attribute accesses and subscripts by constant int or
    str keys: ``self.groups[0].V``.
    """
    nodes = []
    while True:
        if isinstance(node, ast.Attribute):
            nodes.append(node)
            node = node.value
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, (int, str))
            and not isinstance(node.slice.value, bool)
        ):
            nodes.append(node)
            node = node.value
        elif isinstance(node, ast.Name):
            return node, nodes[::-1]
        else:
            return None, None


def _step(node) -> tuple:
    return ("attr", node.attr) if isinstance(node, ast.Attribute) else ("item", node.slice.value)


def _rebuild(base: ast.expr, nodes: list, ctx=None) -> ast.expr:
    """Re-attach the chain ``nodes`` (attribute/subscript nodes) on top of ``base``."""
    expr = base
    for i, node in enumerate(nodes):
        last = i == len(nodes) - 1
        new = copy.copy(node)
        new.value = expr
        new.ctx = ctx if (last and ctx is not None) else ast.Load()
        expr = new
    return expr


def _name(ident: str, ctx=None, like=None) -> ast.Name:
    node = ast.Name(id=ident, ctx=ctx or ast.Load())
    return ast.copy_location(node, like) if like is not None else node


_ELLIPSIS_INDEX = ast.Constant(value=Ellipsis)
_EMPTY_INDEX = ast.Tuple(elts=[], ctx=ast.Load())


class _Rewriter(ast.NodeTransformer):
    def __init__(self, ctx: Context, func, tree: ast.FunctionDef, bound: dict, label: str):
        self.ctx = ctx
        self.func = func
        self.tree = tree
        self.bound = bound  # parameter name -> object bound at compile time
        self.label = label
        self.origin = (inspect.getsourcefile(func) or func.__code__.co_filename, 1)
        self.locals = _local_names(tree) - set(bound)
        self.shadow: list[set[str]] = []
        self.params: dict[int, ArrayParam] = {}  # id(array) -> param
        self.namespace: dict[str, object] = {}
        self.callees: list[Unit] = []
        self.callee_names: dict[int, str] = {}
        self.used_names: set[str] = self._all_names(tree)
        self.local_attrs: dict[tuple, str] = {}  # assigned constant attributes -> local name
        self.local_paths: dict[tuple, Path] = {}
        self.constant_names: dict[tuple, str] = {}
        # constants that may become arguments (see _hidden_scalars): name -> path
        self.scalar_candidates: dict[str, Path] = {}
        self.array_context = False
        self.first_line = 1
        self.hoisted: list[ast.stmt] = []  # statements to insert before the current one
        self.cf_guard: list[str] = []  # expressions where statements cannot be inserted
        self.internal_names: dict[int, str] = {}

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _all_names(tree) -> set[str]:
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        # the function's own name (and nested ones): a helper by that name would replace it
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        names |= {
            a.arg
            for n in ast.walk(tree)
            if isinstance(n, ast.arguments)
            for a in n.posonlyargs + n.args + n.kwonlyargs
        }
        return names

    def fail(self, node, message: str):
        line = getattr(node, "lineno", None)
        where = ""
        if line is not None:
            lineno = line + self.first_line - 1
            try:
                text = inspect.getsourcelines(self.func)[0][line - 1].rstrip()
            except (OSError, TypeError, IndexError):
                text = ""
            where = (
                f'\n  File "{self.origin[0]}", line {lineno}, in {self.label}\n    {text.strip()}'
            )
        raise JitCompileError(f"bp.math.jit cannot compile {self.label}: {message}{where}")

    def fresh(self, base: str) -> str:
        name = base
        if keyword.iskeyword(name) or hasattr(builtins, name):
            name = f"{name}_"
        i = 1
        while name in self.used_names:
            name = f"{base}_{i}"
            i += 1
        self.used_names.add(name)
        return name

    def is_free(self, name: str) -> bool:
        if any(name in s for s in self.shadow):
            return False
        return name in self.bound or name not in self.locals

    def lookup(self, name: str):
        """(found, value, Path) for a free or bound name."""
        if name in self.bound:
            return True, self.bound[name], Path(("bound", name))
        code = self.func.__code__
        if name in code.co_freevars:
            cell = self.func.__closure__[code.co_freevars.index(name)]
            try:
                return True, cell.cell_contents, Path(("cell", cell, name))
            except ValueError:
                return False, None, None
        g = self.func.__globals__
        if name in g:
            return True, g[name], Path(("global", g, name))
        return False, None, None

    def internal_global(self, value, hint: str) -> str:
        """A name in the generated namespace for ``value`` (a helper of the generated
        code), which the user's code cannot shadow."""
        name = self.internal_names.get(id(value))
        if name is None:
            name = self.fresh(hint)
            self.locals.add(name)  # never resolved as one of the user's globals
            self.namespace[name] = value
            self.internal_names[id(value)] = name
        return name

    # -- statements inserted before the current one ---------------------------------------
    def visit(self, node):
        if not isinstance(node, ast.stmt):
            return super().visit(node)
        saved, self.hoisted = self.hoisted, []
        try:
            result = super().visit(node)
        finally:
            hoisted, self.hoisted = self.hoisted, saved
        if not hoisted:
            return result
        if isinstance(node, ast.Expr) and isinstance(result, ast.Expr):
            if isinstance(result.value, ast.Name):  # the value of a call made for its effect
                return hoisted
        return hoisted + (
            [] if result is None else result if isinstance(result, list) else [result]
        )

    def hoist(self, statements: list[ast.stmt]) -> None:
        """Rewrite ``statements`` and insert them before the statement being rewritten."""
        for stmt in statements:
            result = self.visit(stmt)
            if result is not None:
                self.hoisted.extend(result if isinstance(result, list) else [result])

    @contextlib.contextmanager
    def no_hoisting(self, where: str):
        """Inside ``where`` (a lambda, a comprehension ...) no statement can be inserted."""
        self.cf_guard.append(where)
        try:
            yield
        finally:
            self.cf_guard.pop()

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        with self.no_hoisting("a conditional expression (a if c else b)"):
            node.body = self.visit(node.body)
            node.orelse = self.visit(node.orelse)
        return node

    def visit_BoolOp(self, node):
        first, *rest = node.values
        values = [self.visit(first)]
        with self.no_hoisting(f"the operand of {type(node.op).__name__.lower()} after the first"):
            values += [self.visit(v) for v in rest]
        node.values = values
        return node

    def visit_While(self, node):
        with self.no_hoisting("the test of a while statement"):
            node.test = self.visit(node.test)
        for field_name in ("body", "orelse"):
            block = []
            for stmt in getattr(node, field_name):
                result = self.visit(stmt)
                if result is not None:
                    block.extend(result if isinstance(result, list) else [result])
            setattr(node, field_name, block)
        if not node.body:
            node.body = [ast.copy_location(ast.Pass(), node)]
        return node

    def param_for(self, array: np.ndarray, path: Path) -> str:
        param = self.params.get(id(array))
        if param is None:
            taken = {p.name for p in self.params.values()} | set(self.namespace)
            if path.root[0] != "bound" and not path.steps and path.root[2] not in taken:
                name = path.root[2]  # a global array keeps its own name
            else:
                name = self.fresh(path.identifier())
            param = ArrayParam(name, array, path)
            self.params[id(array)] = param
        return param.name

    def constant(self, value, path: Path | None, hint: str) -> str:
        """Put ``value`` in the namespace; return its name."""
        value = numba_view.compiled_equivalent(value)
        if isinstance(value, list) and _is_scalar_container(value):
            value = _as_tuple(value)
        if path is not None and path.key() in self.constant_names:
            return self.constant_names[path.key()]
        name = self.fresh(path.identifier() if path else hint)
        self.namespace[name] = value
        if path is not None:
            self.constant_names[path.key()] = name
            if _is_hidden_scalar(value):
                self.scalar_candidates[name] = path
        return name

    def walk(self, root_value, root_path: Path, steps: list) -> tuple[object, int, Path]:
        """Follow ``steps`` from ``root_value`` through objects, modules and containers.

        Stops at the first value that is not walked into (an array, a constant, a
        function ...). Returns (value, number of steps taken, its path).
        """
        value, path = root_value, root_path
        for i, (kind, key) in enumerate(steps):
            if isinstance(value, np.ndarray):
                return value, i, path
            if kind == "attr" and (isinstance(value, types.ModuleType) or _is_object(value)):
                try:
                    value = getattr(value, key)
                except AttributeError:
                    return _Missing(value, key), i, path
            elif kind == "item" and isinstance(value, (list, tuple, dict)):
                try:
                    value = value[key]
                except (KeyError, IndexError):
                    return _Missing(value, key), i, path
            else:
                return value, i, path
            path = path.extend((kind, key))
        return value, len(steps), path

    # -- scopes -------------------------------------------------------------------------
    def _nested_scope(self, node):
        self.shadow.append(_local_names(node))
        try:
            self.generic_visit(node)
        finally:
            self.shadow.pop()
        return node

    def visit_Lambda(self, node):
        with self.no_hoisting("a lambda (outside a control-flow call)"):
            return self._nested_scope(node)

    def visit_FunctionDef(self, node):
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        saved, self.cf_guard = self.cf_guard, []  # its body has statements of its own
        try:
            return self._nested_scope(node)
        finally:
            self.cf_guard = saved

    def _comprehension(self, node):
        targets = {
            n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)
        }
        self.shadow.append(targets)
        try:
            with self.no_hoisting("a comprehension"):
                self.generic_visit(node)
        finally:
            self.shadow.pop()
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    # -- loads --------------------------------------------------------------------------
    def visit_Name(self, node):
        if not isinstance(node.ctx, ast.Load) or not self.is_free(node.id):
            return node
        return self.load_chain(node, node, [])

    def visit_Attribute(self, node):
        return self._chain_or_generic(node)

    def visit_Subscript(self, node):
        return self._chain_or_generic(node)

    def _chain_or_generic(self, node):
        root, nodes = _chain(node)
        if root is not None and self.is_free(root.id) and isinstance(node.ctx, ast.Load):
            return self.load_chain(node, root, nodes)
        # the base of an attribute access or a subscript is used as an array
        saved = self.array_context
        self.array_context = isinstance(node.value, (ast.Name, ast.Attribute, ast.Subscript))
        node.value = self.visit(node.value)
        self.array_context = saved
        if isinstance(node, ast.Subscript):
            node.slice = self.visit(node.slice)
        return node

    def load_chain(self, node, root: ast.Name, nodes: list):
        """The rewritten expression for the chain ``root.nodes`` read as a value."""
        found, value, path = self.lookup(root.id)
        if not found:
            return self._generic_chain(node)
        steps = [_step(n) for n in nodes]
        as_array = self.array_context
        self.array_context = False
        if isinstance(value, types.ModuleType):
            return self._module_chain(node, root, nodes, value, path)
        end, taken, end_path = self.walk(value, path, steps)
        rest = nodes[taken:]
        if isinstance(end, _Missing):
            kind = "attr" if isinstance(rest[0], ast.Attribute) else "item"
            key = end_path.extend((kind, end.key)).key()
            if key in self.local_attrs and len(rest) == 1:  # assigned earlier in the method
                return _name(self.local_attrs[key], like=node)
            self.fail(node, f"{_what(end.owner)} has no attribute or item {end.key!r}")
        key = end_path.key()
        if key in self.local_attrs and not rest:
            return _name(self.local_attrs[key], like=node)
        if isinstance(end, np.ndarray):
            name = self.param_for(end, end_path)
            if rest and isinstance(rest[0], ast.Attribute) and rest[0].attr == "value":
                rest = rest[1:]
            expr = _name(name, like=node)
            if not rest and end.ndim == 0 and not as_array:
                return ast.copy_location(
                    ast.Subscript(value=expr, slice=copy.copy(_EMPTY_INDEX), ctx=ast.Load()), node
                )
            return self._finish(expr, rest, node)
        mapped = _bp_math_equivalent(end)
        if mapped is not None:  # exp after `from brainjit.math import exp`, self.f = bm.exp
            return self._finish(self.bp_math_function(mapped, end_path, node), rest, node)
        if rest:  # something that is not walked into, followed by more accesses
            if (
                _is_object(end)
                or isinstance(end, (list, dict, tuple))
                and not _is_scalar_container(end)
            ):
                self.fail(node, f"cannot access {ast.unparse(rest[0])!r} on {_what(end)}")
        if isinstance(end, types.MethodType) and _is_object(end.__self__):
            self.fail(node, f"the method {end_path.display()} can only be called here")
        if (
            _is_object(end)
            or isinstance(end, dict)
            or (isinstance(end, (list, tuple)) and not _is_scalar_container(end))
        ):
            self.fail(
                node,
                f"{end_path.display()} is {_what(end)}; compiled code can use its attributes, "
                "call it, pass it to a function, or iterate over it in a for statement, but "
                "not use it as a value",
            )
        if (
            isinstance(end, types.FunctionType)
            and not numba_view.known_to_numba(end)
            or (_is_jit_wrapper(end))
        ):
            unit = self.callee_unit(node, end, {}, end_path)
            return self._finish(_name(self.callee_name(unit, end_path), like=node), rest, node)
        if not nodes and path.root[0] != "bound":
            # a global or closure name keeps its own name
            mapped = numba_view.compiled_equivalent(value)
            if isinstance(mapped, list) and _is_scalar_container(mapped):
                mapped = _as_tuple(mapped)
            if self.namespace.setdefault(root.id, mapped) is mapped:
                return node
        name = self.constant(end, end_path, end_path.identifier())
        return self._finish(_name(name, like=node), rest, node)

    def _finish(self, base, rest, node):
        if not rest:
            return base
        expr = _rebuild(base, rest)
        # subscripts/attributes after the resolved prefix may contain chains themselves
        for sub in _iter_chain_nodes(expr):
            if isinstance(sub, ast.Subscript):
                sub.slice = self.visit(sub.slice)
        return ast.copy_location(expr, node)

    def _generic_chain(self, node):
        if isinstance(node, ast.Name):
            return node
        saved, self.array_context = self.array_context, True
        node.value = self.visit(node.value)
        self.array_context = saved
        return node

    def _module_chain(self, node, root, nodes, module, path):
        """A chain that starts at a module (``bp.math.exp``, ``np.random.normal``)."""
        steps = [_step(n) for n in nodes]
        view = numba_view.compiled_equivalent(module)
        end, taken, end_path = self.walk(view, path, steps)
        rest = nodes[taken:]
        if isinstance(end, _Missing):
            self.fail(node, f"{_what(end.owner)} has no attribute {end.key!r}")
        needs_rewrite = (
            isinstance(end, np.ndarray)
            or _is_object(end)
            or _is_jit_wrapper(end)
            or (isinstance(end, types.MethodType) and _is_object(end.__self__))
            or (isinstance(end, types.FunctionType) and not numba_view.known_to_numba(end))
        )
        if not needs_rewrite:
            home = numba_view.numpy_path(end) if view is not module else None
            if home is not None:
                # bp.math.exp -> np.exp: NumPy's own name, which Numba's parallel
                # transformations recognise
                parts = home.split(".")
                expr = _name(self.numpy_name(), like=node)
                for attr in parts[1:]:
                    expr = ast.Attribute(value=expr, attr=attr, ctx=ast.Load())
                return self._finish(ast.copy_location(expr, node), rest, node)
            if view is module and _compiled_elsewhere(end):
                # module.f(...) with f a user's @njit or elementwise function: f by a
                # name of its own, so that the digest covers its code (and an
                # elementwise function's loop is generated before cached code needs it)
                name = self.constant(end, end_path, end_path.identifier())
                return self._finish(_name(name, like=node), rest, node)
            current = self.namespace.setdefault(root.id, view)
            if current is not view:
                self.fail(node, f"the name {root.id!r} refers to two different modules")
            return node
        if isinstance(end, np.ndarray):
            return self._finish(_name(self.param_for(end, end_path), like=node), rest, node)
        if isinstance(end, types.FunctionType) or _is_jit_wrapper(end):
            unit = self.callee_unit(node, end, {}, end_path)
            return self._finish(_name(self.callee_name(unit, end_path), like=node), rest, node)
        self.fail(node, f"{end_path.display()} is {_what(end)} and cannot be used as a value here")

    def bp_math_function(self, mapped, path: Path, node) -> ast.expr:
        """The expression for a ``bp.math`` function reached by a name or through an
        object rather than as ``bp.math.<name>``: what the attribute path gives for the
        same object (``mapped``, from :func:`_bp_math_equivalent`), NumPy's own name
        where it has one."""
        home = numba_view.numpy_path(mapped)
        if home is None:
            return _name(self.constant(mapped, path, path.identifier()), like=node)
        expr = _name(self.numpy_name(), like=node)
        for attr in home.split(".")[1:]:
            expr = ast.Attribute(value=expr, attr=attr, ctx=ast.Load())
        return ast.copy_location(expr, node)

    def numpy_name(self) -> str:
        """The name of the numpy module in the generated code ('np' when free)."""
        for name in ("np", "numpy"):
            if self.namespace.get(name) is np:
                return name
            if name in self.locals or name in self.namespace:
                continue
            found, value, _ = self.lookup(name)
            if not found or value is np:
                self.namespace[name] = np
                return name
        name = self.fresh("np")
        self.namespace[name] = np
        return name

    # -- calls --------------------------------------------------------------------------
    def visit_Call(self, node):
        size = self.container_len(node)
        if size is not None:
            return ast.copy_location(ast.Constant(size), node)
        target = self.call_target(node.func)
        if target is None:
            return self.alias_outputs(self.generic_visit(node))
        func, bound, self_path, path = target
        construct = lower_control_flow.construct_of(func)
        if construct is not None:  # bp.math.for_loop & co: written out as plain Python
            return lower_control_flow.lower(self, node, construct)
        made_by = getattr(func, "__brainjit_made_by__", None)
        if made_by is not None:  # bp.math.make_loop & co (BrainPy 1.1): Python only
            self.fail(
                node,
                f"a function made by {made_by} cannot run in compiled code on the numpy "
                "backend; call it outside bp.math.jit (it runs the loop in Python), or write "
                "bp.math.for_loop / while_loop / cond, which compile here",
            )
        # arguments that are objects bind the callee's parameters at compile time
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None
        object_args: dict[str, tuple] = {}
        args, keywords = list(node.args), list(node.keywords)
        if (
            signature is not None
            and not any(isinstance(a, ast.Starred) for a in args)
            and all(k.arg is not None for k in keywords)
        ):
            params = list(signature.parameters.values())
            offset = 1 if bound else 0
            positional = [
                p for p in params[offset:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            keep_args = []
            for i, arg in enumerate(args):
                obj = self.object_argument(arg)
                if obj is not None and i < len(positional):
                    object_args[positional[i].name] = obj
                else:
                    keep_args.append(arg)
            keep_kw = []
            for kw in keywords:
                obj = self.object_argument(kw.value)
                if obj is not None:
                    object_args[kw.arg] = obj
                else:
                    keep_kw.append(kw)
            args, keywords = keep_args, keep_kw
        bound = dict(bound)
        bound_paths = {}
        if self_path is not None:
            bound_paths[next(iter(bound))] = self_path
        for name, (obj, obj_path) in object_args.items():
            bound[name] = obj
            bound_paths[name] = obj_path
        unit = self.callee_unit(node, func, bound, path, bound_paths)
        new_args = []
        for param in unit.params:
            root = param.path.root
            if root[0] == "bound":
                caller_path = param.path.rebase(bound_paths[root[1]])
            else:
                caller_path = param.path
            new_args.append(_name(self.param_for(param.array, caller_path)))
        for scalar in unit.scalars:  # the callee's float constants, passed on
            root = scalar.path.root
            if root[0] == "bound":
                caller_path = scalar.path.rebase(bound_paths[root[1]])
            else:
                caller_path = scalar.path
            name = self.constant(scalar.value, caller_path, caller_path.identifier())
            new_args.append(_name(name))
        node.func = _name(self.callee_name(unit, path), like=node.func)
        node.args = new_args + [self.visit(a) for a in args]
        node.keywords = [self.visit(k) for k in keywords]
        return node

    def alias_outputs(self, node):
        """A call of a ``bp.math.elementwise`` function whose ``out=(...)`` names arrays
        that are also its arguments (``f(V, I, out=(V, ...))``) calls its variant that
        knows it (:func:`brainjit.math._elementwise.with_aliases`: a vectorised loop)."""
        func = self.namespace.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if getattr(func, "__brainjit_elementwise__", None) is None:
            return node
        out = next((k.value for k in node.keywords if k.arg == "out"), None)
        if not isinstance(out, ast.Tuple) or any(isinstance(a, ast.Starred) for a in node.args):
            return node
        params = list(inspect.signature(func.__brainjit_elementwise__).parameters)
        passed = dict(zip(params, node.args))
        passed.update({k.arg: k.value for k in node.keywords if k.arg in params})
        names = {p: a.id for p, a in passed.items() if isinstance(a, ast.Name)}
        aliases = []
        for k, target in enumerate(out.elts):
            if isinstance(target, ast.Name):
                param = next((p for p, n in names.items() if n == target.id), None)
                if param is not None:
                    aliases.append((k, param))
        if not aliases:
            return node
        variant = _elementwise.with_aliases(func, tuple(aliases))
        node.func = _name(self.internal_global(variant, f"{func.__name__}_aliased"), like=node.func)
        return node

    def container_len(self, node) -> int | None:
        """``len(self.children)``: the length of a list/tuple/dict of objects, a constant."""
        if not (
            isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and len(node.args) == 1
            and not node.keywords
            and self.is_free("len")
            and not self.lookup("len")[0]
        ):
            return None
        root, nodes = _chain(node.args[0])
        if root is None or not self.is_free(root.id):
            return None
        found, value, path = self.lookup(root.id)
        if not found or isinstance(value, types.ModuleType):
            return None
        end, taken, _ = self.walk(value, path, [_step(n) for n in nodes])
        if taken == len(nodes) and isinstance(end, (list, tuple, dict)):
            return len(end)
        return None

    def object_argument(self, arg):
        """(object, path) when the call argument ``arg`` is an object, else None."""
        root, nodes = _chain(arg)
        if root is None or not self.is_free(root.id):
            return None
        found, value, path = self.lookup(root.id)
        if not found or isinstance(value, types.ModuleType):
            return None
        end, taken, end_path = self.walk(value, path, [_step(n) for n in nodes])
        if taken == len(nodes) and _is_object(end):
            return end, end_path
        return None

    def call_target(self, func_node):
        """(function, bound, self path, path) when the call must be compiled as a unit."""
        # super().method(...)
        if (
            isinstance(func_node, ast.Attribute)
            and isinstance(func_node.value, ast.Call)
            and isinstance(func_node.value.func, ast.Name)
            and func_node.value.func.id == "super"
            and not func_node.value.args
        ):
            return self.super_target(func_node)
        root, nodes = _chain(func_node)
        if root is None or not self.is_free(root.id):
            return None
        found, value, path = self.lookup(root.id)
        if not found:
            return None
        if isinstance(value, types.ModuleType):
            value = numba_view.compiled_equivalent(value)
        end, taken, end_path = self.walk(value, path, [_step(n) for n in nodes])
        if taken != len(nodes):
            return None
        if _is_jit_wrapper(end):
            end = end.__brainjit_jit__.target
            end_path = end_path.extend(("attr", "py_func"))
        if isinstance(end, types.MethodType):
            owner = end.__self__
            if not (_is_object(owner) or isinstance(owner, type)):
                return None
            if isinstance(owner, type):
                self.fail(func_node, "class methods are not supported in compiled code")
            func = end.__func__
            if not isinstance(func, types.FunctionType):
                return None
            parent = Path(end_path.root, end_path.steps[:-1])
            try:
                is_parent = bool(end_path.steps) and parent.resolve(self.bound) is owner
            except Exception:  # noqa: BLE001
                is_parent = False
            owner_path = parent if is_parent else end_path.extend(("attr", "__self__"))
            first = _first_param(func, self.label)
            return func, {first: owner}, owner_path, end_path
        if _is_object(end):
            call = _python_call(end)
            if call is None:
                self.fail(func_node, f"{end_path.display()} ({_what(end)}) is not callable")
            first = _first_param(call, self.label)
            return call, {first: end}, end_path, end_path.extend(("attr", "__call__"))
        if (
            isinstance(end, types.FunctionType)
            and not numba_view.known_to_numba(end)
            and _bp_math_equivalent(end) is None  # bp.math's wrappers: their NumPy function
        ):
            return end, {}, None, end_path
        return None

    def super_target(self, func_node):
        self_name = next(iter(self.bound), None)
        if self_name is None:
            self.fail(func_node, "super() is only supported in methods")
        obj = self.bound[self_name]
        owner = None
        for klass in type(obj).__mro__:
            if any(
                getattr(v, "__code__", None) is self.func.__code__ for v in vars(klass).values()
            ):
                owner = klass
                break
        if owner is None:
            self.fail(func_node, "cannot find the class that defines this method for super()")
        method = getattr(super(owner, obj), func_node.attr)
        if not isinstance(method, types.MethodType):
            self.fail(func_node, f"super().{func_node.attr} is not a method")
        func = method.__func__
        first = _first_param(func, self.label)
        self_path = Path(("bound", self_name))
        return func, {first: obj}, self_path, self_path.extend(("attr", func_node.attr))

    def callee_unit(self, node, func, bound: dict, path: Path, bound_paths=None) -> Unit:
        if _is_jit_wrapper(func):
            target = func.__brainjit_jit__.target
            if isinstance(target, types.MethodType):
                func, owner = target.__func__, target.__self__
                bound = {_first_param(func, self.label): owner}
            else:
                func = target
        try:
            return build_unit(self.ctx, func, bound, _label(func, bound))
        except SourceNotFoundError as exc:
            self.fail(node, f"it calls {path.display()}, but: {exc}")

    def callee_name(self, unit: Unit, path: Path) -> str:
        name = self.callee_names.get(id(unit))
        if name is None:
            if path.root[0] != "bound" and not path.steps and path.root[2] not in self.namespace:
                name = path.root[2]  # a global function keeps its name
            else:
                name = self.fresh(path.identifier())
            self.callee_names[id(unit)] = name
            self.namespace[name] = unit
            self.callees.append(unit)
        return name

    # -- stores -------------------------------------------------------------------------
    def store_target(self, target, stmt):
        """The rewritten assignment target."""
        if isinstance(target, (ast.Tuple, ast.List)):
            target.elts = [self.store_target(t, stmt) for t in target.elts]
            return target
        if isinstance(target, ast.Starred):
            target.value = self.store_target(target.value, stmt)
            return target
        if isinstance(target, ast.Name):
            return target
        root, nodes = _chain(target)
        if root is None or not self.is_free(root.id):
            return self.visit(target)
        kind, info = self.classify_store(target, root, nodes)
        if kind == "variable":
            whole = ast.Subscript(
                value=_name(info), slice=copy.copy(_ELLIPSIS_INDEX), ctx=ast.Store()
            )
            whole.brainjit_assign = True  # v.value = x: checked as eager code checks it
            return ast.copy_location(whole, target)
        if kind == "local":
            return _name(info, ast.Store(), like=target)
        return info  # an already rewritten subscript/attribute of an array

    def classify_store(self, target, root, nodes, dry=False, augmented=False):
        """('variable', param) | ('local', name) | ('expr', rewritten target).

        ``dry``: only reserve local names for assigned constants (the pre-pass).
        ``augmented``: the target of ``+=`` & co, which update any array in place."""
        found, value, path = self.lookup(root.id)
        if not found or isinstance(value, types.ModuleType):
            self.fail(target, f"cannot assign to {ast.unparse(target)} in compiled code")
        steps = [_step(n) for n in nodes]
        end, taken, end_path = self.walk(value, path, steps)
        rest = nodes[taken:]
        if isinstance(end, np.ndarray):
            if rest and isinstance(rest[0], ast.Attribute) and rest[0].attr == "value":
                rest = rest[1:]
            if dry and (rest or _is_variable(end) or augmented):
                return "expr", None
            name = self.param_for(end, end_path)
            if not rest:
                if _is_variable(end) or augmented:
                    return "variable", name
                # a plain ndarray attribute: rebinding it only rebinds the parameter
                return "local", self.local_attribute(end_path, local_name=name)
            expr = _rebuild(_name(name), rest, ast.Store())
            for sub in _iter_chain_nodes(expr):
                if isinstance(sub, ast.Subscript):
                    sub.slice = self.visit(sub.slice)
            return "expr", ast.copy_location(expr, target)
        missing = isinstance(end, _Missing)
        if len(rest) == 1 and isinstance(rest[0], ast.Attribute) and (missing or _is_object(end)):
            owner = end.owner if missing else end
            attr_path = end_path.extend(("attr", rest[0].attr))
            return "local", self.local_attribute(attr_path, owner=owner)
        if not rest and not missing and not _is_object(end) and end_path.steps:
            return "local", self.local_attribute(end_path)
        self.fail(target, f"cannot assign to {ast.unparse(target)} in compiled code")

    def local_attribute(self, path: Path, owner=None, local_name=None) -> str:
        """The local name that stands for an attribute that is not a Variable but is
        assigned in this function (the assignment lasts until the call returns)."""
        key = path.key()
        name = self.local_attrs.get(key)
        if name is None:
            name = local_name or self.fresh(path.identifier())
            self.local_attrs[key] = name
            self.local_paths[key] = path
            if owner is None:
                try:
                    owner = Path(path.root, path.steps[:-1]).resolve(self.bound)
                except Exception:  # noqa: BLE001
                    owner = None
            attr = str(path.steps[-1][1]) if path.steps else path.display()
            cls_name = type(owner).__name__ if owner is not None else path.display()
            _warn_constant_assignment(owner, cls_name, attr, f"The compiled {self.label}")
        return name

    def reserve_assigned_attributes(self, body) -> None:
        """Before rewriting: every attribute that is not a Variable but is assigned in the
        function gets its local name, so that reads before and after the assignment
        agree."""
        targets = []
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, ast.Assign):
                targets.extend((t, False) for t in node.targets)
            elif isinstance(node, ast.AnnAssign):
                targets.append((node.target, False))
            elif isinstance(node, ast.AugAssign):
                targets.append((node.target, True))
        while targets:
            target, augmented = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend((t, augmented) for t in target.elts)
                continue
            if isinstance(target, ast.Starred):
                targets.append((target.value, augmented))
                continue
            if not isinstance(target, ast.Attribute):
                continue
            root, nodes = _chain(target)
            if root is None or not self.is_free(root.id):
                continue
            try:
                self.classify_store(copy.deepcopy(target), root, nodes, True, augmented)
            except JitCompileError:
                continue

    def visit_Assign(self, node):
        node.value = self.visit(node.value)
        node.targets = [self.store_target(t, node) for t in node.targets]
        if len(node.targets) == 1:
            stored = self.array_store(node.targets[0], node.value, node)
            if stored is not None:
                return stored
        return self.checked_unpacking(node)

    def checked_unpacking(self, node):
        """``a.value, b = x, y`` and ``a.value = b.value = x``: each whole-Variable target
        becomes a local name, then ``assign``-ed (checked as eager code checks it) in
        the order Python assigns the targets."""
        writes = []

        def replace(target):
            if isinstance(target, (ast.Tuple, ast.List)):
                target.elts = [replace(t) for t in target.elts]
            elif isinstance(target, ast.Starred):
                target.value = replace(target.value)
            elif getattr(target, "brainjit_assign", False):
                local = self.fresh(f"{target.value.id}_new")
                writes.append((target, local))
                return ast.copy_location(_name(local, ast.Store()), target)
            return target

        node.targets = [replace(t) for t in node.targets]
        if not writes:
            return node
        out = [node]
        for target, local in writes:
            call = self.array_store(target, _name(local), node)
            out.append(call)
        return out

    def array_store(self, target, value, node):
        """``param[index] = value`` into an array argument (a Variable, a monitor's
        buffer) as the call ``store(param, index, value)`` (:mod:`store`: a plain copy
        loop where Numba's store is slow); None for any other target."""
        if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
            return None
        if target.value.id not in {p.name for p in self.params.values()}:
            return None
        index = target.slice
        if getattr(target, "brainjit_assign", False):
            name = target.value.id
            func, args = stores.assign, [_name(name), value, ast.Constant(name)]
        elif isinstance(index, ast.Constant) and index.value is Ellipsis:
            func, args = stores.store_all, [_name(target.value.id), value]
        elif any(isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(index)):
            return None  # Numba takes '...' only as written
        else:
            func, args = stores.store, [_name(target.value.id), self.index_expression(index), value]
        call = ast.Call(
            func=_name(self.internal_global(func, func.__name__)), args=args, keywords=[]
        )
        return ast.copy_location(ast.Expr(value=call), node)

    def index_expression(self, index):
        """A subscript's index as an expression (``a:b`` becomes ``slice(a, b, None)``)."""
        if isinstance(index, ast.Tuple):
            return ast.Tuple(elts=[self.index_expression(e) for e in index.elts], ctx=ast.Load())
        if isinstance(index, ast.Slice):
            parts = [index.lower, index.upper, index.step]
            return ast.Call(
                func=_name(self.internal_global(slice, "slice")),
                args=[ast.Constant(None) if p is None else p for p in parts],
                keywords=[],
            )
        return index

    def visit_AnnAssign(self, node):
        value = self.visit(node.value) if node.value is not None else None
        if value is None:
            return None
        target = self.store_target(node.target, node)
        return ast.copy_location(ast.Assign(targets=[target], value=value), node)

    def visit_AugAssign(self, node):
        node.value = self.visit(node.value)
        target = node.target
        root, nodes = _chain(target)
        if root is None or not self.is_free(root.id):
            node.target = self.visit(target) if not isinstance(target, ast.Name) else target
            if isinstance(node.target, ast.Subscript):
                node.target.ctx = ast.Store()
                return self.item_augmented(node)
            return node
        kind, info = self.classify_store(target, root, nodes, augmented=True)
        if kind == "variable":
            # an array operand must broadcast to the Variable (Numba does not check)
            checks = self.inplace_check(node, stores.check_inplace, [_name(info)])
            array = next(p.array for p in self.params.values() if p.name == info)
            if array.dtype.kind in "fc" and not self.shadow:
                # Numba updates float arrays in place natively (not in a nested function,
                # where ``name += x`` would make the name local to it)
                node.target = _name(info, ast.Store(), like=target)
                return [*checks, node]
            # integer and boolean Variables: cast the result back, as bp.math.ndarray does
            read = _name(info)
            new_value = ast.BinOp(left=read, op=node.op, right=node.value)
            store = ast.Subscript(
                value=_name(info), slice=copy.copy(_ELLIPSIS_INDEX), ctx=ast.Store()
            )
            return [*checks, ast.copy_location(ast.Assign(targets=[store], value=new_value), node)]
        if kind == "local":
            node.target = _name(info, ast.Store(), like=target)
            return node
        node.target = info
        return self.item_augmented(node)

    def inplace_check(self, node, func, args) -> list:
        """The statements that check the operand of the augmented assignment ``node``
        before it runs: ``func(*args, x)``, ``x`` the operand (``node.value`` becomes a
        local name holding it, unless it is a name already); none for a number."""
        value = node.value
        if isinstance(value, ast.Constant) or (
            isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant)
        ):
            return []
        checks = []
        if not isinstance(value, ast.Name):
            local = self.fresh("operand")
            checks.append(
                ast.copy_location(
                    ast.Assign(targets=[_name(local, ast.Store())], value=value), node
                )
            )
            node.value = _name(local)
        call = ast.Call(
            func=_name(self.internal_global(func, func.__name__)),
            args=[*args, _name(node.value.id)],
            keywords=[],
        )
        checks.append(ast.copy_location(ast.Expr(value=call), node))
        return checks

    def item_augmented(self, node):
        """``a[index] += x`` with ``a`` an array argument: preceded by
        ``check_inplace_at(a, index, x)``, which checks that an array ``x`` broadcasts
        to ``a[index]`` (Numba does not check, and reads past the end of a shorter x);
        for an integer or boolean ``a`` (a Variable, a ``bp.math`` array) the statement becomes
        ``a[index] = a[index] + x`` (cast back, as eager code does: Numba cannot update
        an integer view with floats in place)."""
        target = node.target
        params = {p.name: p for p in self.params.values()}
        if not (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id in params
        ) or any(
            isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(target.slice)
        ):
            return node
        name = target.value.id
        index = self.index_expression(copy.deepcopy(target.slice))
        checks = self.inplace_check(node, stores.check_inplace_at, [_name(name), index])
        array = params[name].array
        if array.dtype.kind in "fc" or type(array) is np.ndarray:
            return [*checks, node]  # (NumPy's own arrays refuse the cast eagerly)
        read = copy.deepcopy(target)
        read.ctx = ast.Load()
        new_value = ast.BinOp(left=read, op=node.op, right=node.value)
        assign = ast.copy_location(ast.Assign(targets=[target], value=new_value), node)
        return [*checks, self.array_store(target, new_value, assign) or assign]

    def visit_Delete(self, node):
        for target in node.targets:
            root, _ = _chain(target)
            if root is not None and self.is_free(root.id) and not isinstance(target, ast.Name):
                self.fail(node, f"cannot delete {ast.unparse(target)} in compiled code")
        return self.generic_visit(node)

    # -- loops over containers of objects -----------------------------------------------
    def visit_For(self, node):
        items = self.unroll_items(node.iter)
        if items is None:
            return self.generic_visit(node)
        for sub in _walk_same_loop(node.body):
            if isinstance(sub, (ast.Break, ast.Continue)):
                self.fail(
                    sub,
                    "break and continue are not supported in a for loop over "
                    "objects (the loop is unrolled at compile time)",
                )
        out: list[ast.stmt] = []
        for item in items:
            mapping = _bind_target(node.target, item)
            if mapping is None:
                self.fail(node, "cannot unpack the items of this loop")
            body = [_NameSubstituter(mapping).visit(copy.deepcopy(s)) for s in node.body]
            for stmt in body:
                result = self.visit(stmt)
                if result is None:
                    continue
                out.extend(result if isinstance(result, list) else [result])
        for stmt in node.orelse:
            result = self.visit(stmt)
            if result is not None:
                out.extend(result if isinstance(result, list) else [result])
        if not out:
            out.append(ast.copy_location(ast.Pass(), node))
        return out

    def unroll_items(self, it) -> list[ast.expr] | None:
        """The items of a compile-time container the loop iterates over, as expressions."""
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not it.keywords:
            name = it.func.id
            if name in ("enumerate", "zip") and self.is_free(name) and name not in self.bound:
                found, value, _ = self.lookup(name)
                if found or getattr(builtins, name, None) is not None:
                    parts = [self.unroll_items(a) for a in it.args]
                    if parts and all(p is not None for p in parts):
                        if name == "enumerate" and len(parts) == 1:
                            return [
                                ast.Tuple(elts=[ast.Constant(i), x], ctx=ast.Load())
                                for i, x in enumerate(parts[0])
                            ]
                        if name == "zip":
                            return [ast.Tuple(elts=list(xs), ctx=ast.Load()) for xs in zip(*parts)]
                    return None
        method = None
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr in ("values", "items", "keys")
            and not it.args
        ):
            method, it = it.func.attr, it.func.value
        root, nodes = _chain(it)
        if root is None or not self.is_free(root.id):
            return None
        found, value, path = self.lookup(root.id)
        if not found or isinstance(value, types.ModuleType):
            return None
        end, taken, _ = self.walk(value, path, [_step(n) for n in nodes])
        if taken != len(nodes):
            return None
        if isinstance(end, dict):
            keys = list(end)
            if not all(isinstance(k, (int, str)) and not isinstance(k, bool) for k in keys):
                self.fail(it, "only dicts with int or str keys can be iterated in compiled code")
            item = lambda k: ast.Subscript(
                value=copy.deepcopy(it), slice=ast.Constant(k), ctx=ast.Load()
            )  # noqa: E731
            if method == "values":
                return [item(k) for k in keys]
            if method == "items":
                return [ast.Tuple(elts=[ast.Constant(k), item(k)], ctx=ast.Load()) for k in keys]
            return [ast.Constant(k) for k in keys]
        if method is None and isinstance(end, (list, tuple)) and not end:
            return []  # an empty container of children: the loop disappears
        if method is None and isinstance(end, (list, tuple)) and not _is_scalar_container(end):
            return [
                ast.Subscript(value=copy.deepcopy(it), slice=ast.Constant(i), ctx=ast.Load())
                for i in range(len(end))
            ]
        return None

    # -- aliases: ``pre = self.pre`` ----------------------------------------------------
    def substitute_aliases(self, body: list, stores=None, outer=None) -> list:
        """Drop ``pre = self.pre`` (a name bound once to an object) and write
        ``self.pre`` where ``pre`` is read; also in the branches of an ``if`` (``if
        self.flag: post = self.post ...``), where an alias holds for that branch."""
        if stores is None:
            stores = {}
            for node in ast.walk(ast.Module(body=body, type_ignores=[])):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    stores[node.id] = stores.get(node.id, 0) + 1
        aliases: dict[str, ast.expr] = dict(outer or {})
        new_body = []
        for stmt in body:
            if isinstance(stmt, ast.If):
                if aliases:
                    stmt.test = _NameSubstituter(aliases).visit(stmt.test)
                stmt.body = self.substitute_aliases(stmt.body, stores, aliases) or [
                    ast.copy_location(ast.Pass(), stmt)
                ]
                stmt.orelse = self.substitute_aliases(stmt.orelse, stores, aliases)
                new_body.append(stmt)
                continue
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and stores.get(stmt.targets[0].id) == 1
            ):
                value = _NameSubstituter(aliases).visit(copy.deepcopy(stmt.value))
                root, nodes = _chain(value)
                if root is not None and self.is_free(root.id):
                    found, obj, path = self.lookup(root.id)
                    if found and not isinstance(obj, types.ModuleType):
                        end, taken, _ = self.walk(obj, path, [_step(n) for n in nodes])
                        if taken == len(nodes) and (
                            _is_object(end)
                            or isinstance(end, dict)
                            or isinstance(end, (list, tuple))
                            and not _is_scalar_container(end)
                        ):
                            aliases[stmt.targets[0].id] = value
                            self.locals.discard(stmt.targets[0].id)
                            continue
            new_body.append(_NameSubstituter(aliases).visit(stmt) if aliases else stmt)
        return new_body

    # -- the whole function ---------------------------------------------------------
    def rewrite(self) -> ast.FunctionDef:
        tree = self.tree
        body = self.substitute_aliases(tree.body)
        self.reserve_assigned_attributes(body)
        new_body: list[ast.stmt] = []
        for stmt in body:
            result = self.visit(stmt)
            if result is None:
                continue
            new_body.extend(result if isinstance(result, list) else [result])
        # attributes assigned and read in this function start from their constant value
        prologue = []
        param_names = {p.name for p in self.params.values()}
        # ``x += y`` reads ``x`` too (its target is a Store): ``self.count += 1`` on a
        # constant attribute needs the initial value, even when nothing else reads it
        loaded = {
            n.id
            for s in new_body
            for n in ast.walk(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        } | {
            n.target.id
            for s in new_body
            for n in ast.walk(s)
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
        }
        for key, local in self.local_attrs.items():
            if local in param_names or local not in loaded:
                continue
            try:
                value = self.local_paths[key].resolve(self.bound)
            except Exception:  # noqa: BLE001  (no initial value: a new attribute)
                continue
            init = self.constant(value, None, f"{local}_init")
            stmt = ast.Assign(targets=[_name(local, ast.Store())], value=_name(init))
            prologue.append(ast.copy_location(stmt, tree.body[0]))
        tree.body = prologue + new_body or [ast.Pass()]
        return tree


class _Missing:
    def __init__(self, owner, key):
        self.owner, self.key = owner, key


def _what(value) -> str:
    if _is_base(value):
        return f"the {type(value).__name__} object {value.name!r}"
    if isinstance(value, types.ModuleType):
        return f"the module {value.__name__!r}"
    return f"a {type(value).__name__}"


def _is_variable(value) -> bool:
    from brainjit.math import _variable

    return _variable.is_variable(value)


def _iter_chain_nodes(expr):
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        yield expr
        expr = expr.value


def _walk_same_loop(body):
    """Nodes of ``body`` that belong to this loop (not to nested loops or functions)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.For, ast.While, ast.AsyncFor) + _SCOPES):
                # the else clause of a nested loop belongs to ours
                if isinstance(child, (ast.For, ast.While)):
                    stack.extend(child.orelse)
                continue
            stack.append(child)


def _bind_target(target, item) -> dict | None:
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(item, ast.Tuple):
            if len(item.elts) != len(target.elts):
                return None
            out = {}
            for t, x in zip(target.elts, item.elts):
                sub = _bind_target(t, x)
                if sub is None:
                    return None
                out.update(sub)
            return out
        out = {}
        for i, t in enumerate(target.elts):
            sub = _bind_target(
                t, ast.Subscript(value=copy.deepcopy(item), slice=ast.Constant(i), ctx=ast.Load())
            )
            if sub is None:
                return None
            out.update(sub)
        return out
    return None


def _first_param(func, label) -> str:
    code = func.__code__
    if code.co_argcount + code.co_posonlyargcount == 0 and not code.co_flags & inspect.CO_VARARGS:
        raise JitCompileError(
            f"bp.math.jit cannot compile {label}: {func.__qualname__} takes no self"
        )
    return code.co_varnames[0]


def _label(func, bound: dict) -> str:
    """How messages name a unit: 'LIF.update (of LIF0)', 'drive (group=LIF0)', 'gelu'."""

    def name_of(obj):
        return obj.name if _is_base(obj) else type(obj).__name__

    if bound:
        first = func.__code__.co_varnames[0] if func.__code__.co_argcount else None
        owner = bound.get(first)
        is_method = owner is not None and any(
            getattr(v, "__code__", None) is func.__code__
            for klass in type(owner).__mro__
            for v in vars(klass).values()
        )
        if is_method:
            others = {k: v for k, v in bound.items() if k != first}
            extra = "".join(f", {k}={name_of(v)}" for k, v in others.items())
            return f"{type(owner).__name__}.{func.__name__} (of {name_of(owner)}{extra})"
        args = ", ".join(f"{k}={name_of(v)}" for k, v in bound.items())
        return f"{func.__qualname__} ({args})"
    return func.__qualname__


# ----------------------------------------------------------------------------------------
# units
# ----------------------------------------------------------------------------------------


def build_unit(ctx: Context, func: types.FunctionType, bound: dict, label: str) -> Unit:
    """Rewrite ``func`` with the parameters in ``bound`` bound to objects."""
    memo = (func, tuple(sorted((k, id(v)) for k, v in bound.items())))
    unit = ctx.units.get(memo)
    if unit is not None:
        return unit
    if memo in ctx.stack:
        raise JitCompileError(
            f"bp.math.jit cannot compile {label}: it calls itself, directly or through "
            "other functions; recursion is not supported"
        )
    ctx.stack.append(memo)
    try:
        unit = _build(ctx, func, bound, label)
    finally:
        ctx.stack.pop()
    ctx.units[memo] = unit
    return unit


def _build(ctx: Context, func, bound: dict, label: str) -> Unit:
    tree, filename, first = _source_of(func, label)
    original = copy.deepcopy(tree)
    rewriter = _Rewriter(ctx, func, tree, bound, label)
    rewriter.origin = (filename, first)
    rewriter.first_line = first
    new = rewriter.rewrite()
    inline.inline_dispatchers(rewriter, new)
    truth.guard_conditions(rewriter, new)  # `if` on an array: refused while typing
    # the signature: array parameters first, then the explicit ones (bound ones removed)
    args = new.args
    for group in ("posonlyargs", "args", "kwonlyargs"):
        setattr(args, group, [a for a in getattr(args, group) if a.arg not in bound])
    n_pos = len(args.posonlyargs) + len(args.args)
    defaults = list(func.__defaults__ or ())
    # defaults of removed (bound) parameters are dropped from the right place
    all_pos = [a.arg for a in original.args.posonlyargs + original.args.args]
    default_names = all_pos[len(all_pos) - len(defaults) :] if defaults else []
    kept_defaults = [
        (name, value) for name, value in zip(default_names, defaults) if name not in bound
    ]
    new_defaults = []
    for name, value in kept_defaults:
        const = rewriter.constant(value, None, f"default_{name}")
        new_defaults.append(_name(const))
    args.defaults = new_defaults[-n_pos:] if n_pos else []
    kw_defaults = []
    for a, d in zip(original.args.kwonlyargs, original.args.kw_defaults):
        if a.arg in bound:
            continue
        if d is None:
            kw_defaults.append(None)
        else:
            value = (func.__kwdefaults__ or {})[a.arg]
            kw_defaults.append(_name(rewriter.constant(value, None, f"default_{a.arg}")))
    args.kw_defaults = kw_defaults
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    params = list(rewriter.params.values())
    if ctx.options.get("float_literals") == "float32":
        _float32_literals(rewriter, new)
    scalars = _hidden_scalars(rewriter, new)
    array_args = [ast.arg(arg=p.name) for p in params] + [ast.arg(arg=s.name) for s in scalars]
    if args.posonlyargs:
        args.posonlyargs = array_args + args.posonlyargs
    else:
        args.args = array_args + args.args
    new.decorator_list = []
    new.returns = None
    new.name = re.sub(r"\W", "_", func.__name__) if func.__name__ != "<lambda>" else "lambda_"
    if hasattr(new, "type_params"):
        new.type_params = []
    module = ast.Module(body=[new], type_ignores=[])
    ast.fix_missing_locations(module)
    source = ast.unparse(module)
    signature = _explicit_signature(func, bound)
    # the namespace: callee units are recorded by key and replaced by their dispatchers
    callee_keys = {id(u): u.key for u in rewriter.callees}
    layout = [
        f"brainjit-jit v{_VERSION} {_backend_digest()}",
        source,
        repr(sorted((k, repr(v)) for k, v in ctx.options.items())),
    ]
    for name in sorted(rewriter.namespace):
        layout.append(f"{name}={_describe(rewriter.namespace[name], callee_keys)}")
    key = hashlib.sha256("\n".join(layout).encode()).hexdigest()
    unit = Unit(
        label=label,
        func_name=new.name,
        source=source,
        params=params,
        signature=signature,
        namespace=rewriter.namespace,
        callees=rewriter.callees,
        key=key,
        origin=(filename, first),
        scalars=scalars,
    )
    unit.line_map = _line_map(new, source, first)
    return unit


def _is_hidden_scalar(value) -> bool:
    """A constant passed as an argument instead of compiled in: a float (Python, NumPy
    float64 or float32). Other constants stay compile-time literals: ints and bools may
    be shapes, loop bounds, tuple indices, axes or flags that Numba needs as literals."""
    return type(value) in (float, np.float64, np.float32)


def _literal_uses(func: ast.FunctionDef) -> set[str]:
    """The names ``func`` uses where a constant must stay a literal: in tests (Numba
    prunes the branches that a literal condition rules out; with an argument it types
    both), comprehensions, subscripts, nested functions and lambdas, and as targets."""
    out: set[str] = set()

    def names(node):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    for node in ast.walk(func):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            out |= names(node.test)
        elif isinstance(node, ast.comprehension):
            out |= names(node)
        elif isinstance(node, ast.Subscript):
            out |= names(node.slice)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not func:
            out |= names(node)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out |= set(node.names)
    return out


def _hidden_scalars(rewriter, func: ast.FunctionDef) -> list[ScalarParam]:
    """Take the float constants reached through objects (``self.tau``) out of the
    namespace: they become arguments after the arrays (:class:`ScalarParam`), so that the
    generated code, its digest and its compiled function do not depend on their values
    (a parameter sweep compiles once). Those used where a literal matters
    (:func:`_literal_uses`) stay in the namespace."""
    literal = _literal_uses(func)
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
    out = []
    for name, path in rewriter.scalar_candidates.items():
        if name not in rewriter.namespace or name not in used or name in literal:
            continue
        value = rewriter.namespace[name]
        if not _is_hidden_scalar(value):
            continue
        del rewriter.namespace[name]
        out.append(ScalarParam(name, value, path))
    return out


class _Float32Literals(ast.NodeTransformer):
    def __init__(self, name: str):
        self.name = name

    def visit_Constant(self, node):
        if type(node.value) is not float:
            return node
        call = ast.Call(ast.Name(self.name, ast.Load()), [node], [])
        return ast.copy_location(call, node)


def _float32_literals(rewriter, func: ast.FunctionDef) -> None:
    """``float_literals='float32'``: the float literals and float constants of ``func``
    become float32 (``0.5`` -> ``float32(0.5)``), as Python floats next to float32
    arrays are under NumPy 2 and JAX; Numba would type them float64 and compute in
    float64."""
    for name, value in list(rewriter.namespace.items()):
        if type(value) is float:
            rewriter.namespace[name] = np.float32(value)
    name = rewriter.fresh("float32")
    rewriter.namespace[name] = np.float32
    _Float32Literals(name).visit(func)


def _explicit_signature(func, bound) -> inspect.Signature:
    sig = inspect.signature(func)
    return sig.replace(parameters=[p for n, p in sig.parameters.items() if n not in bound])


def _line_map(tree: ast.FunctionDef, source: str, first: int) -> dict[int, int]:
    """Generated line -> original file line, pairing statements of the rewritten tree with
    those of its unparsed-and-reparsed text (same structure, new line numbers)."""
    try:
        reparsed = parse_source(source).body[0]
    except SyntaxError:
        return {}
    old = [n for n in ast.walk(tree) if isinstance(n, (ast.stmt, ast.expr))]
    new = [n for n in ast.walk(reparsed) if isinstance(n, (ast.stmt, ast.expr))]
    out: dict[int, int] = {}
    if len(old) != len(new):
        old = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        new = [n for n in ast.walk(reparsed) if isinstance(n, ast.stmt)]
        if len(old) != len(new):
            return out
    for a, b in zip(old, new):
        line = getattr(a, "lineno", None)
        if line is not None and b.lineno not in out:
            out[b.lineno] = line + first - 1
    return out
