"""``bp.math.jit`` on the jax backend: trace-and-thread over Variables.

The first call for an abstract signature (shapes and dtypes of the arguments, values of
the static ones) traces the target with :func:`jax.jit` while a
:class:`~brainjit.math._jax._trace.StateTrace` listens to every ``Variable.value`` read
and write, however the Variable is reached (``self``, a child object, a closure, a
module global such as the default random generator). The compiled function is pure:

    traced(*written_values, *read_only_values, *args, **kwargs)
        -> (*new_written_values[, output[, written_argument_variables]])

and the wrapper passes the Variables' current values in and stores the new ones back.
A Variable the trace meets for the first time is not an input yet (its value was baked
in): the trace then records it, gives every Variable its value back and starts again
with the larger input list (``_Restructure``), so the first call traces twice and later
signatures once. Everything the trace did to state is undone at its end, also when it
raises: a tracer never stays in a Variable; non-Variable attributes are compile-time
constants and keep their values (with a warning). The hot path is a small function
generated per state layout (``_dispatcher``): the Variables' values as positional
arguments of one call into jax.jit's C++ dispatch, then one store per written Variable.

Called while JAX traces (inside another jit, ``grad``, a compiled loop or branch, or
JAX's own ``jax.jit``/``jax.grad``/``jax.vmap``: JAX's current trace, not only
brainjit's trace stack, decides), the program is a nested ``jax.jit`` without XLA
compiler options (JAX takes them at the top level only). A new value of a Variable is
then stored only if an enclosing brainjit trace carries it out (its JAX trace made it)
or JAX computed it concretely; otherwise it is refused (``JitStateError``), so that a
foreign transformation's tracer never stays in a Variable.

Compiled programs are cached per target (the function, or the object and the method)
and options, keyed by weak references: jitting ``obj.update`` twice reuses the program,
and objects that die take their programs with them. :func:`clear_cache` forgets all.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import operator
import os
import re
import sys
import traceback
import types
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.base import Base
from brainjit.math._jax import _trace, autograph, numpy_dispatch, static_loops
from brainjit.math._jax import random as _random
from brainjit.math._jax.ndarray import JaxArray, Variable, _new
from brainjit.math._spellings import check_dyn_vars

__all__ = ["jit", "clear_cache", "JitFunction", "JitControlFlowError", "JitStateError"]

_ACTIVE = _trace.ACTIVE  # [listeners on all threads' trace stacks], never rebound
_get_value = operator.attrgetter("_value")
_MAX_ROUNDS = 16  # discovery rounds before giving up (the Variables keep changing)
_STATE = "_bj_s"  # name prefix of the state inputs of the traced function


# XLA options of every program: in a compiled time loop (``bp.Runner``) each step reads a
# population's state and writes the new values into the same buffers. By default XLA's
# CPU compiler copies much of that state every step (COBA, N = 64,000: potentials,
# inputs and spike times of both groups, about 1.3 MB) so that old values outlive their
# last reader; its region analysis orders the readers first and drops the copies (GPUs
# use it by default). Same results, bit for bit (tests/math/test_jit_jax.py); COBA at
# N = 4000 about 11% faster per step on the CPU, the same compile time.
COMPILER_OPTIONS = {"xla_cpu_copy_insertion_use_region_analysis": True}


class JitControlFlowError(TypeError):
    """Python control flow (``if``, ``while``, ``bool()`` ...) on a traced value."""


JitStateError = _trace.JitStateError  # a Variable used in a way that cannot be compiled


class _Restructure(Exception):  # noqa: N818  (control flow, never seen by users)
    """Raised out of a trace that met new Variables: trace again with more inputs."""

    def __init__(self, core) -> None:
        super().__init__("the traced function touched new Variables")
        self.core = core


# -- helpers --------------------------------------------------------------------------------
def _is_array(x) -> bool:
    return isinstance(x, JaxArray)


def _input_leaf(x):
    return _new(JaxArray, x) if isinstance(x, jax.Array) else x


def _output_leaf(x):
    if isinstance(x, JaxArray):
        return _new(JaxArray, x.value)  # a Variable returned is a read of its value
    if isinstance(x, jax.Array):
        return _new(JaxArray, x)
    if isinstance(x, (bool, int, float, complex, np.generic, np.ndarray)):
        return _new(JaxArray, jnp.asarray(x))
    return x


def _state_value(var):
    """The value to store back into ``var``: never weakly typed (no retrace next call)."""
    x = var._value
    aval = getattr(x, "aval", None)
    if aval is not None and getattr(aval, "weak_type", False):
        x = jax.lax.convert_element_type(x, aval.dtype)
    return x


def describe(var, shape: bool = True) -> str:
    """How messages name a Variable: its path (or type), dtype and shape."""
    name = getattr(var, "_name", None)
    if var is _random.DEFAULT:
        text = "bp.math.random.DEFAULT"
    elif name:
        text = f"{type(var).__name__} {name!r}"
    else:
        text = f"{type(var).__name__} at {id(var):#x}"
    if not shape:
        return text
    value = var._value
    return f"{text} ({value.dtype}{list(value.shape)})"


# frames that are not the user's code: JAX, NumPy, brainjit.math, contextlib
_SKIP_FRAMES = tuple(
    os.path.dirname(path) + os.sep
    for path in (jax.__file__, np.__file__, os.path.dirname(__file__))
) + (os.path.join(os.path.dirname(functools.__file__), "contextlib.py"),)


def _user_line(tb) -> str:
    """' at file:line: `code`' for the innermost frame of user code in ``tb``."""
    for frame in reversed(traceback.extract_tb(tb)):
        if not frame.filename.startswith(_SKIP_FRAMES):
            code = f": `{frame.line.strip()}`" if frame.line else ""
            return f" at {frame.filename}:{frame.lineno}{code}"
    return ""


def _user_stacklevel() -> int:
    """The ``stacklevel`` of warnings.warn that points at the caller's code."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP_FRAMES):
        frame, level = frame.f_back, level + 1
    return level


def _control_flow_error(err, where: str, state: list) -> JitControlFlowError:
    """A clear error for a ConcretizationTypeError raised while tracing ``where``."""
    text = str(err)
    first = text.split("\n", 1)[0].strip()
    found = re.search(r"depends on the values? of (the arguments? .+?)\.(?:\n|$)", text)
    depends = ""
    if found:

        def name(match):
            i = int(match.group(1))
            return describe(state[i]) if i < len(state) else match.group(0)

        depends = re.sub(rf"{_STATE}(\d+)(?:\[\d+\])?", name, found.group(1))
        depends = f" The value depends on {depends}."
    return JitControlFlowError(
        f"{where}: Python control flow on a traced value"
        f"{_user_line(err.__traceback__)}. {first}{depends} Inside jitted code arrays are "
        "abstract (their values are not known while the function is compiled), so `if`, "
        "`while`, `and`/`or`, bool(), int() or float() cannot decide on them. Use "
        "bp.math.cond / bp.math.ifelse for branches and bp.math.for_loop / "
        "bp.math.while_loop for loops (bp.math.where for element-wise choices), or make the "
        "value a compile-time constant with static_argnums / static_argnames. (With "
        "auto_control_flow=True, the default, `if`/`for`/`while` statements are converted "
        "automatically; conditional expressions `a if c else b`, bool()/int()/float() calls "
        "and code whose source cannot be read are not.)"
    )


# -- the compiled program of one target ----------------------------------------------------
class _Core:
    """One target's compiled program and the Variables it threads (shared by wrappers)."""

    def __init__(self, owner, func, name, signature, options) -> None:
        try:
            self._owner = weakref.ref(owner)
        except TypeError:  # not weakly referenceable: hold it
            self._owner = lambda: owner
        self.func = func  # None: call the owner itself; else func(owner, ...)
        self.name = name
        self.signature = signature
        (
            self.static_argnums,
            self.static_argnames,
            self.donate,
            self.show_code,
            self.auto_control_flow,
        ) = options
        self.num_traces = 0
        self.warned: set[str] = set()
        self.last_reads: list = []
        self.last_writes: list = []
        self.last_loops: list = []  # static_loops.LoopNote of the last trace
        self.reset()
        _ALL_CORES.add(self)

    # the state lists ------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the compiled program and the Variables (the next call traces again)."""
        self._set_state([], [])

    def _set_state(self, wvars: list, rvars: list) -> None:
        self.wvars = wvars  # written (inputs and outputs)
        self.rvars = rvars  # only read (inputs)
        self.state = wvars + rvars
        self.nw = len(wvars)
        self.known = {id(v) for v in self.state}
        self.known_written = {id(v) for v in wvars}
        self._build()

    def _build(self) -> None:
        n = len(self.state)
        core_ref = weakref.ref(self)

        def traced(*flat, **kwargs):
            return core_ref()._trace(flat, kwargs)

        traced.__name__ = traced.__qualname__ = self.name
        if self.signature is not None:
            params = [
                inspect.Parameter(f"{_STATE}{i}", inspect.Parameter.POSITIONAL_ONLY)
                for i in range(n)
            ]
            try:
                traced.__signature__ = inspect.Signature(
                    params + list(self.signature.parameters.values())
                )
            except (ValueError, TypeError):
                pass
        static = tuple(i + n if i >= 0 else i for i in self.static_argnums)
        options = dict(
            static_argnums=static,
            static_argnames=self.static_argnames,
            donate_argnums=tuple(range(self.nw)) if self.donate else (),
        )
        self.jitted = jax.jit(traced, compiler_options=COMPILER_OPTIONS, **options)
        self.jitted_nested = jax.jit(traced, **options)  # (jax: options at the top only)
        current = getattr(self, "_current", None)
        if current is not None:  # a thread waiting in the old hot path takes the slow one
            current[0] = False
        self._current = [True]
        self.dispatch = _dispatcher(self)

    # tracing --------------------------------------------------------------------------
    def _trace(self, flat, kwargs):
        """The body that jax.jit traces: thread the state through the target."""
        self.num_traces += 1
        state = self.state
        stack = contextlib.ExitStack()
        trace = _trace.StateTrace()
        for var in state:
            trace.adopt(var)
        _trace.push(trace)
        try:
            for var, value in zip(state, flat):
                var._value = value
            args = jax.tree_util.tree_map(_input_leaf, flat[len(state) :], is_leaf=_is_array)
            kwargs = jax.tree_util.tree_map(_input_leaf, kwargs, is_leaf=_is_array)
            arg_vars = []
            leaves = jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_array)
            for i, leaf in enumerate(leaves):
                if isinstance(leaf, Variable):
                    _trace.mark_local(leaf)
                    arg_vars.append((i, leaf, leaf._value))
            del leaves
            owner = self._owner()
            if owner is None:
                raise ReferenceError(f"bp.math.jit({self.name}): the object has been deleted")
            try:
                loops = stack.enter_context(static_loops.collect())  # for show_code
                if self.func is None:
                    target = owner
                    if self.auto_control_flow:
                        target = autograph.convert_callable(owner)
                    out = target(*args, **kwargs)
                else:
                    func = self.func
                    if self.auto_control_flow:
                        func = autograph.convert_callable(func)
                    out = func(owner, *args, **kwargs)
            except (
                jax.errors.ConcretizationTypeError,
                jax.errors.TracerIntegerConversionError,
            ) as err:
                raise _control_flow_error(err, f"bp.math.jit({self.name})", self.state) from None
            except jax.errors.TracerArrayConversionError as err:
                raise numpy_dispatch.conversion_error(err, f"bp.math.jit({self.name})") from None
            del owner, args, kwargs
            out = jax.tree_util.tree_map(_output_leaf, out, is_leaf=_is_array)
            escaped = trace.escaped()
            if escaped:
                raise self._escape_error(escaped)
            new_w, new_r = trace.new_state(self.known, self.known_written)
            if new_w or new_r:
                moved = {id(v) for v in new_w}
                rvars = [v for v in self.rvars if id(v) not in moved]
                self._set_state(self.wvars + new_w, rvars + new_r)
                raise _Restructure(self)
            new_values = tuple(_state_value(var) for var in self.wvars)
            arg_writes = {i: _state_value(v) for i, v, before in arg_vars if v._value is not before}
            self.last_reads = list(trace.reads.values())
            self.last_writes = list(trace.written.values())
            self.last_loops = loops
        finally:
            stack.close()
            _trace.pop(trace)
            reverted = trace.restore()
        if reverted:
            self._warn_constants(reverted)
        if arg_writes:
            return (*new_values, out, arg_writes)
        if out is not None:
            return (*new_values, out)
        return new_values

    def _escape_error(self, escaped) -> JitStateError:
        with jax.ensure_compile_time_eval():
            for var in escaped:  # no tracer may stay in it
                var._value = jnp.zeros(var._value.shape, var._value.dtype)
        names = ", ".join(describe(v) for v in escaped)
        return JitStateError(
            f"bp.math.jit({self.name}): {names} was created inside the jitted code and is "
            "still referenced after it (stored as an attribute, in a container or a "
            "global). A Variable is state that lives across calls: create it outside "
            "jitted code (for example in __init__, or by calling the method once without "
            "jit) and only read or write it inside. (Its value was reset to zeros.)"
        )

    def _warn_constants(self, reverted) -> None:
        for what in reverted:
            if what in self.warned:
                continue
            self.warned.add(what)
            warnings.warn(
                f"bp.math.jit({self.name}): {what} was assigned inside jitted code; it is "
                "not a Variable, so it is a compile-time constant and keeps its value "
                "after the call. Make it a bp.math.Variable to keep state across calls.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )

    # calling --------------------------------------------------------------------------
    def call(self, args, kwargs):
        """The general path: first calls, nested calls (inside another trace), show_code.

        Holds the jit lock: a trace puts tracers into Variables that other threads must
        not see, and another thread's call waits for this one's values to be stored."""
        with _trace.LOCK:
            return self._call(args, kwargs)

    def _call(self, args, kwargs):
        # staged: inside a JAX transformation (jax.jit/grad/vmap, lax control flow, a
        # brainjit trace), where jax.jit takes no compiler options; nested: inside a
        # brainjit trace, which must hear of the reads and writes
        staged = _trace.jax_tracing()
        nested = bool(_trace.stack())
        args = [a._value if type(a) is JaxArray else a for a in args]
        kwargs = {k: a._value if type(a) is JaxArray else a for k, a in kwargs.items()}
        traces_before = self.num_traces
        for _ in range(_MAX_ROUNDS):
            if nested:  # tell the enclosing traces what is read
                values = [var.value for var in self.state]
            else:
                values = [var._value for var in self.state]
            try:
                jitted = self.jitted_nested if staged else self.jitted
                res = jitted(*values, *args, **kwargs)
                break
            except _Restructure as err:
                if err.core is not self:
                    raise
        else:
            raise JitStateError(
                f"bp.math.jit({self.name}): the set of Variables the function uses keeps "
                f"changing between traces ({_MAX_ROUNDS} rounds)."
            )
        wvars = self.wvars
        extra = len(res) - self.nw
        if staged:
            self._check_storable(res, extra == 2 and res[-1], args, kwargs)
        if nested:
            for var, value in zip(wvars, res):
                var.value = value  # tell the enclosing traces what is written
        else:
            for var, value in zip(wvars, res):
                var._value = value
        if self.show_code and self.num_traces != traces_before:
            self.print_code(args, kwargs)
        if extra == 0:
            return None
        if extra == 2:
            _write_arguments(res[-1], args, kwargs)
            return res[-2]
        return res[-1]

    def _check_storable(self, res, arg_writes, args, kwargs) -> None:
        """Refuse new values that no enclosing trace carries out (a call inside a JAX
        transformation that brainjit does not control: jax.jit, jax.grad, jax.vmap):
        stored, their tracers would stay in the Variables after it."""
        bad = [var for var, value in zip(self.wvars, res) if not _trace.storable(value)]
        if arg_writes:
            leaves = jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_array)
            bad += [leaves[i] for i, v in arg_writes.items() if not _trace.storable(v)]
        if bad:
            names = ", ".join(describe(v) for v in bad)
            raise JitStateError(
                f"bp.math.jit({self.name}) writes {names}, but it is called inside a JAX "
                "transformation that brainjit does not control (jax.jit, jax.grad, "
                "jax.vmap, jax.lax control flow ...): the new value is traced there and "
                "cannot be stored in the Variable after it (the Variable keeps its value). "
                "Use bp.math.jit, bp.math.grad, bp.math.for_loop / while_loop / cond for "
                "the enclosing transformation (they carry Variables), or call the function "
                "outside it. Reading Variables there is fine."
            )

    def print_code(self, args, kwargs) -> None:
        """Print the traced program (jaxpr) and the Variables it reads and writes."""
        values = [var._value for var in self.state]
        jaxpr = self.jitted.trace(*values, *args, **kwargs).jaxpr
        debug = getattr(jaxpr.jaxpr, "debug_info", None)
        names = list(getattr(debug, "arg_names", None) or ())
        legend = []
        for i, invar in enumerate(jaxpr.jaxpr.invars):
            if i < len(self.state):
                what = describe(self.state[i], shape=False)
            else:
                what = f"argument {names[i]}" if i < len(names) and names[i] else "argument"
            legend.append(f"    {i}. {what}: {invar.aval.str_short()}")
        print(f"The traced program of {self.name} (bp.math.jit, jax backend):")
        print("  inputs, in order:")
        print("\n".join(legend) if legend else "    (none)")
        print("  Variables read:    " + (", ".join(map(describe, self.last_reads)) or "(none)"))
        print("  Variables written: " + (", ".join(map(describe, self.last_writes)) or "(none)"))
        print(jaxpr)
        if self.last_loops:
            print("  loops over static ranges (auto_control_flow):")
            print("\n".join(f"    {note}" for note in dict.fromkeys(map(str, self.last_loops))))
        if self.auto_control_flow:
            source = self._converted_source()
            if source:
                print("  its source with native control flow converted (auto_control_flow):")
                print(source)

    def _converted_source(self) -> str | None:
        target = self.func
        if target is None:
            owner = self._owner()
            target = owner if isinstance(owner, types.FunctionType) else type(owner).__call__
        try:
            return autograph.converted_source(target)
        except (autograph.ConversionError, TypeError):
            return None


def _write_arguments(arg_writes, args, kwargs) -> None:
    """Store the new values of Variables passed as arguments (and written)."""
    leaves = jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_array)
    for i, value in arg_writes.items():
        leaves[i].value = value


_DISPATCH_TEMPLATE = """
def dispatch(*args, **kwargs):
    if _ACTIVE[0] or _SHOW or _TRACE_REF.value is not _EVAL_TRACE:
        return _call()(args, kwargs)
    if args:
        args = [a._value if type(a) is _JaxArray else a for a in args]
    if kwargs:
        kwargs = {{k: a._value if type(a) is _JaxArray else a for k, a in kwargs.items()}}
    with _LOCK:  # values in, call, values back: one step across threads
        if not _current[0]:  # the layout changed while this thread waited
            return _call()(args, kwargs)
        try:
            res = _jitted({inputs}*args, **kwargs)
        except _Restructure:
            return _call()(args, kwargs)
        {stores}
    extra = len(res) - {nw}
    if extra == 1:
        return res[{nw}]
    if extra == 0:
        return None
    _write_arguments(res[-1], args, kwargs)
    return res[-2]
"""
_DISPATCH_UNROLL = 64  # state lists up to this size get a loop-free hot path


def _dispatcher(core):
    """The hot path of ``core``'s current state layout.

    The values of the Variables go into jax.jit's C++ dispatch as positional arguments
    and the new values come back in a tuple. For up to ``_DISPATCH_UNROLL`` Variables
    the function is generated for the layout (``s0._value, s1._value, ...`` and one
    store per written Variable: no loops, no packing; the technique of
    ``collections.namedtuple``), which halves the Python overhead of a call. The
    generated code refers to ``core`` only weakly (the slow path).
    """
    n, nw = len(core.state), core.nw
    env = {
        "_ACTIVE": _ACTIVE,
        "_TRACE_REF": _trace._TRACE_REF,
        "_EVAL_TRACE": _trace.EVAL_TRACE,
        "_LOCK": _trace.LOCK,
        "_SHOW": core.show_code,
        "_current": core._current,
        "_call": weakref.WeakMethod(core.call),
        "_JaxArray": JaxArray,
        "_Restructure": _Restructure,
        "_jitted": core.jitted,
        "_write_arguments": _write_arguments,
        "_get": _get_value,
        "_state": core.state,
        "_wvars": core.wvars,
    }
    if n <= _DISPATCH_UNROLL:
        env.update({f"s{i}": var for i, var in enumerate(core.state)})
        inputs = "".join(f"s{i}._value, " for i in range(n))
        stores = "\n        ".join(f"s{i}._value = res[{i}]" for i in range(nw)) or "pass"
    else:
        inputs = "*map(_get, _state), "
        stores = "for var, value in zip(_wvars, res):\n            var._value = value"
    exec(_DISPATCH_TEMPLATE.format(inputs=inputs, stores=stores, nw=nw), env)
    return env["dispatch"]


# -- the user-facing wrapper -----------------------------------------------------------------
class JitFunction:
    """A jitted function, method or object: call it as the original.

    ``num_traces`` counts the traces so far (the first call traces twice: once to find
    the Variables, once with them as inputs).
    """

    def __init__(self, target, core, options: dict) -> None:
        self._target = target  # keeps the object alive while the wrapper is used
        self._core = core
        self._options = options
        functools.update_wrapper(self, target, updated=())

    @property
    def num_traces(self) -> int:
        """How many times the target has been traced."""
        return self._core.num_traces

    def recompile(self) -> None:
        """Trace and compile again on the next call (after changing a constant)."""
        with _trace.LOCK:
            self._core.reset()

    @property
    def variables(self) -> dict[str, list]:
        """The Variables the compiled program reads and writes (after the first call)."""
        return {"written": list(self._core.wvars), "read": list(self._core.rvars)}

    def __call__(self, *args, **kwargs):
        return self._core.dispatch(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        # @bp.math.jit on a method in a class body: bind it per instance (and cache it)
        if obj is None or not isinstance(self._target, types.FunctionType):
            return self
        bound = jit(types.MethodType(self._target, obj), **self._options)
        name = getattr(self, "_attr_name", None)
        if name is not None and isinstance(getattr(obj, "__dict__", None), dict):
            obj.__dict__[name] = bound
        return bound

    def __set_name__(self, owner, name) -> None:
        self._attr_name = name

    def __repr__(self) -> str:
        return f"<bp.math.jit of {self._core.name}>"


# -- the cache of compiled programs ----------------------------------------------------------
_REGISTRY: dict[int, tuple[weakref.ref, dict]] = {}  # id(owner) -> (ref, {key: core})
_ALL_CORES: weakref.WeakSet = weakref.WeakSet()


def _registered(owner, key, make):
    oid = id(owner)
    entry = _REGISTRY.get(oid)
    if entry is not None and entry[0]() is owner:
        core = entry[1].get(key)
        if core is None:
            core = entry[1][key] = make()
        return core
    try:

        def forget(ref, oid=oid):
            current = _REGISTRY.get(oid)
            if current is not None and current[0] is ref:
                del _REGISTRY[oid]

        ref = weakref.ref(owner, forget)
    except TypeError:  # not weakly referenceable: not cached
        return make()
    core = make()
    _REGISTRY[oid] = (ref, {key: core})
    return core


def _forget_replaced(old) -> None:
    """A Variable or child object was replaced: programs that thread it trace again."""
    if isinstance(old, Variable):
        ids = {id(old)}
    elif isinstance(old, Base):
        ids = {id(v) for v in old.vars().values()}
    else:
        return
    with _trace.LOCK:  # not while another thread calls the program
        for core in list(_ALL_CORES):
            if not ids.isdisjoint(core.known):
                core.reset()


_trace.REPLACED.append(_forget_replaced)


def clear_cache() -> None:
    """Forget every compiled program of ``bp.math.jit`` (jax backend), and JAX's caches.

    Every jitted function traces and compiles again on its next call. Programs are
    otherwise freed with the objects and functions they belong to (they are cached by
    weak reference), so this is only needed to release memory early or after changing
    code that was traced. ``jax.clear_caches()`` frees what JAX keeps per function and
    shape (the programs of eager ``jax.numpy`` operations on arrays of each shape,
    traces of ``jax.jit`` functions), which nothing else frees. Called by
    ``bp.math.clear_cache()``.
    """
    with _trace.LOCK:
        _REGISTRY.clear()
        for core in list(_ALL_CORES):
            core.reset()
    jax.clear_caches()  # JAX's own: per-shape programs of eager operations, traces


def _as_tuple(x, kind) -> tuple:
    if x is None:
        return ()
    if isinstance(x, kind):
        return (x,)
    return tuple(x)


_NUMBA_OPTIONS = {
    "parallel",
    "fastmath",
    "nogil",
    "cache",
    "boundscheck",
    "nopython",
    "error_model",
}


def jit(
    func=None,
    *,
    static_argnums=None,
    static_argnames=None,
    donate: bool = False,
    show_code: bool = False,
    auto_control_flow: bool = True,
    dyn_vars=None,
    **numba_options,
):
    """Compile a function, a bound method or a ``bp.Base`` object with XLA (jax backend).

    Reads of ``Variable`` s inside see their current values; writes persist after the
    call, wherever the Variable is reached from (``self``, children, closures, module
    globals like the default random generator). Other attributes are compile-time
    constants. A new trace happens only for new argument shapes/dtypes or new values of
    static arguments.

    Threads: each thread traces on its own, and a call (the Variables' values in, the
    compiled call, the new values stored) is atomic across threads: calls of any jitted
    functions from several threads are serialised by one re-entrant lock, held while a
    call is dispatched (JAX computes asynchronously, outside it) and while it traces.
    No update is lost, also of Variables that several functions share (the random key).

    Args:
        func: a function, a bound method (``obj.update``) or a callable object
            (``bp.Base`` instance: its ``__call__``). Also usable as a decorator, with or
            without arguments, on functions and on methods in a class body.
        static_argnums: positions of arguments that are compile-time constants (Python
            values, hashable); a new value traces again.
        static_argnames: names of such arguments.
        donate: let XLA reuse the buffers of the Variables the function writes for
            their new values (saves memory and copies for large state; an old
            ``var.value`` kept elsewhere becomes invalid).
        show_code: print the traced program (jaxpr) and the Variables read and written,
            on every trace (and the converted source, see ``auto_control_flow``).
        auto_control_flow: convert native Python ``if``/``elif``/``else``, ``for`` and
            ``while`` statements of the target, and of the functions and methods it
            calls, so that they also work on traced values (they become ``lax.cond``,
            ``lax.fori_loop``/``lax.scan`` and ``lax.while_loop``; on static values
            Python runs them as written). See ``docs/control_flow.md``.
        **numba_options: the numpy backend's Numba options (``parallel``,
            ``fastmath``, ``nogil``, ``cache``, ``boundscheck``, ``nopython``,
            ``error_model``) are accepted and ignored, so that model code runs on both
            backends: XLA parallelises and caches on its own.
        dyn_vars: BrainPy's spelling (the Variables the function uses): optional, as
            they are found by tracing; what it lists must be Variables (a Variable, a
            list, tuple or dict of them, such as ``model.vars()``).

    Returns:
        a :class:`JitFunction`, called like ``func``; it returns JaxArrays.
    """
    check_dyn_vars(dyn_vars, "bp.math.jit")
    unknown = set(numba_options) - _NUMBA_OPTIONS
    if unknown:
        raise TypeError(
            f"bp.math.jit() got unexpected keyword argument(s) {', '.join(sorted(unknown))} "
            "(jax backend: static_argnums, static_argnames, donate, show_code)"
        )
    options = dict(
        static_argnums=static_argnums,
        static_argnames=static_argnames,
        donate=donate,
        show_code=show_code,
        auto_control_flow=auto_control_flow,
    )
    if func is None:
        return lambda f: jit(f, **options)
    if isinstance(func, JitFunction):
        if func._options == options:
            return func
        func = func._target
    if not callable(func):
        name = getattr(func, "name", None) or type(func).__name__
        raise TypeError(
            f"bp.math.jit() expects a function, a bound method or a callable object; "
            f"{name} ({type(func).__name__}) is not callable. To compile a method, pass it: "
            "bp.math.jit(obj.update)."
        )
    key_options = (
        _as_tuple(static_argnums, int),
        _as_tuple(static_argnames, str),
        bool(donate),
        bool(show_code),
        bool(auto_control_flow),
    )
    if isinstance(func, types.MethodType):
        owner, method = func.__self__, func.__func__
    else:
        owner, method = func, None

    def make():
        if method is not None:
            owner_name = owner.name if _is_base(owner) else None
            name = f"{owner_name}.{method.__name__}" if owner_name else method.__qualname__
        elif _is_base(func):
            name = f"{func.name}.__call__"
        else:
            name = getattr(func, "__qualname__", None) or type(func).__name__
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None
        argnums, argnames = _static_arguments(signature, *key_options[:2])
        return _Core(owner, method, name, signature, (argnums, argnames, *key_options[2:]))

    with _trace.LOCK:
        core = _registered(owner, (method, key_options), make)
    return JitFunction(func, core, options)


def _static_arguments(signature, argnums: tuple, argnames: tuple) -> tuple[tuple, tuple]:
    """Static positions and names, each completed from the other through the signature
    (so a static argument is static whether it is passed by position or by name)."""
    if signature is None:
        return argnums, argnames
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    nums, names = set(argnums), set(argnames)
    for i in argnums:
        if -len(positional) <= i < len(positional):
            param = positional[i]
            if param.kind is param.POSITIONAL_OR_KEYWORD:
                names.add(param.name)
    for name in argnames:
        for i, param in enumerate(positional):
            if param.name == name and param.kind is param.POSITIONAL_OR_KEYWORD:
                nums.add(i)
    return tuple(sorted(nums)), tuple(sorted(names))


def _is_base(obj) -> bool:
    return isinstance(obj, Base)
