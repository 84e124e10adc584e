"""``bp.math.jit`` on the numpy backend: functions and objects compiled by Numba.

``jit(f)`` compiles a function; ``jit(obj.method)`` a method; ``jit(obj)`` an object's
``__call__``. The target's source is rewritten (:mod:`rewrite`) into plain functions
whose array arguments are the Variables (and other arrays) the code reaches; each is
written to a module file in the cache directory (:mod:`codecache`) and compiled by
``numba.njit`` with the options given (``parallel``, ``fastmath``, ``cache``,
``nogil`` ...). What ``jit`` returns is a small generated Python function with the
target's signature that calls the compiled function with the current arrays::

    def new_update(b):
        ...
        return update(self_a, b)      # self_a: the plain array of the Variable self.a

Numba compiles on the first call for each combination of argument types; later calls
go straight to the compiled code. Attributes that are not Variables or arrays are
compile-time constants: call ``.recompile()`` after changing one. (Float constants are
passed by the wrapper as arguments after the arrays, their values taken when it was
built, so that objects differing only in them share the compiled code.) Replacing a Variable
or a child object of a ``Base`` (``obj.V = bp.math.Variable(...)``) is noticed and the
wrapper picks up the new arrays (recompiling only if the structure changed).
"""

from __future__ import annotations

import collections
import functools
import gc
import inspect
import linecache
import os
import pprint
import re
import sys
import threading
import traceback
import types
import weakref

import numba
import numpy as np
from numba.core.errors import NumbaError

from brainjit.math import _numba
from brainjit.math._numpy import codecache, lower_control_flow, truth
from brainjit.math._numpy import random as _random
from brainjit.math._numpy import store as stores
from brainjit.math._numpy.ndarray import ndarray as _bp_ndarray
from brainjit.math._numpy.ops import to_ndarray
from brainjit.math._numpy.rewrite import (
    ConstantAttributeWarning,
    Context,
    JitCompileError,
    SourceNotFoundError,
    Unit,
    _first_param,
    _is_base,
    _is_jit_wrapper,
    _label,
    _python_call,
    build_unit,
)
from brainjit.math._spellings import check_dyn_vars

__all__ = ["jit", "JitCompileError", "SourceNotFoundError", "ConstantAttributeWarning"]

# (digest of a unit, inner) -> its Numba dispatcher (units with identical code share it).
# Weak: a dispatcher lives while jitted functions use it (their units, and the generated
# modules of their callers name it). Its Python side -- typing results, LLVM IR, the
# generated module with its constants, about 1.5 MB for a small network's step -- goes
# with it. Its machine code does not: Numba never frees machine code (its LLVM engine
# keeps every module: ``numba.core.codegen.JITCPUCodegen._add_module`` leaves removal
# disabled), so compiling the same code again adds another copy. Hence _RECENT: the
# dispatchers used last, kept strongly (a bounded LRU) for the next object with the
# same code (a model rebuilt in a loop compiles once).
_DISPATCHERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_RECENT: collections.OrderedDict = collections.OrderedDict()
_RECENT_SIZE = 32  # dispatchers (a small network: 10-20, its loop and steps)
_RECENT_LOCK = threading.Lock()
# wrapper source file name (in linecache) -> its jit state
_WRAPPERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_WRAPPER_PREFIX = "<bp.math.jit wrapper of "


def jit(
    target=None,
    *,
    parallel: bool = False,
    show_code: bool = False,
    dyn_vars=None,
    **options,
):
    """Compile a function, a bound method or an object (its ``__call__``) with Numba.

    Args:
        target: a Python function, a bound method (``obj.update``) or an object with a
            ``__call__`` method (a ``bp.Base``). Without it, ``jit`` returns a decorator.
        parallel: Numba's parallel mode (``prange``, parallel array expressions).
        show_code: print every generated function and its namespace.
        **options: passed to ``numba.njit`` (``fastmath``, ``cache``, ``nogil``,
            ``boundscheck``, ``error_model`` ...), except ``float_literals='float32'``,
            which makes the float literals and float constants of the compiled code
            (and of the functions it calls) float32, as Python floats next to float32
            arrays are under NumPy 2 and JAX (``bp.math.elementwise`` uses it for
            float32 arrays).
        dyn_vars: BrainPy's spelling (the Variables the function uses): optional, as
            the rewriter finds them; what it lists must be Variables (a Variable, a
            list, tuple or dict of them, such as ``model.vars()``).

    Random numbers drawn in compiled code come from Numba's generator of the calling
    thread, which ``bp.math.random.seed`` reaches in every thread (on the thread's next
    call of a jitted function; see ``bp.math.random``).

    Returns:
        A function with the target's parameters (``self`` excluded), with the
        attributes ``recompile()``, ``show_code()``, ``units`` (the generated code),
        ``dispatcher`` (the compiled top-level function), ``arrays`` (the arrays, then
        the float constants, it passes before the explicit arguments:
        ``dispatcher(*arrays, *args)`` is the call, usable from other compiled code)
        and ``py_func`` (the target).

    Raises:
        TypeError: the target is not callable or is a built-in.
        SourceNotFoundError: its source is not available.
        JitCompileError: the code cannot be rewritten, or Numba cannot compile it (on
            the first call); the message names the class, the method and the line.
    """
    check_dyn_vars(dyn_vars, "bp.math.jit")
    if target is None:
        return functools.partial(jit, parallel=parallel, show_code=show_code, **options)
    options = dict(options)
    if parallel:
        options["parallel"] = True
    if options.get("float_literals", "float64") not in ("float64", "float32"):
        raise ValueError(
            f"bp.math.jit: float_literals must be 'float64' or 'float32', "
            f"got {options['float_literals']!r}"
        )
    unknown = set(options) - _numba_options() - {"float_literals"}
    if unknown:
        raise TypeError(
            f"bp.math.jit: invalid Numba option(s) {sorted(unknown)}; "
            f"known: {sorted(_numba_options())}"
        )
    if _is_jit_wrapper(target):
        state = target.__brainjit_jit__
        if state.options == options and not show_code:
            return target
        target = state.target
    if isinstance(target, numba.core.dispatcher.Dispatcher):
        target = target.py_func
    func, bound = _split_target(target)
    return _JitState(target, func, bound, options, show_code).wrapper


@functools.cache
def _numba_options() -> frozenset:
    """The keyword arguments ``numba.njit`` accepts."""
    from numba.core.cpu import CPUTargetOptions
    from numba.core.options import TargetOptions

    names = {
        k
        for k in dir(CPUTargetOptions)
        if not k.startswith("_") and isinstance(getattr(CPUTargetOptions, k), TargetOptions.Mapping)
    }
    return frozenset(names) | {"cache", "locals"}


def _split_target(target) -> tuple[types.FunctionType, dict]:
    """(function, {self parameter: object}) for a jit target."""
    if isinstance(target, types.FunctionType):
        return target, {}
    if isinstance(target, types.MethodType):
        func, owner = target.__func__, target.__self__
        if isinstance(owner, type):
            raise TypeError(
                f"bp.math.jit cannot compile the class method {target.__qualname__}; "
                "compile a function or a method of an object"
            )
        if not isinstance(func, types.FunctionType):
            raise TypeError(f"bp.math.jit cannot compile {target!r}: it has no Python source")
        return func, {_first_param(func, func.__qualname__): owner}
    if isinstance(target, (types.BuiltinFunctionType, types.BuiltinMethodType, np.ufunc)) or (
        callable(target) and type(target).__module__ in ("builtins", "numpy")
    ):
        raise TypeError(
            f"bp.math.jit cannot compile {target!r}: it is built in and has no Python source "
            "to rewrite (call it from a jitted function instead)"
        )
    from brainjit.math._numpy import numba_view

    if numba_view.compiled_equivalent(target) is not target:
        raise TypeError(
            f"bp.math.jit cannot compile {target!r}: it is a bp.math function (NumPy's "
            f"{numba_view.compiled_equivalent(target)!r}); call it from a jitted function"
        )
    if isinstance(target, type):
        raise TypeError(
            f"bp.math.jit cannot compile the class {target.__qualname__}; pass an object "
            "(its __call__ is compiled) or one of its methods"
        )
    if not callable(target):
        raise TypeError(
            f"bp.math.jit expects a function, a method or an object with a __call__ method, "
            f"got {type(target).__name__}: {target!r}"
            + (
                " (pass one of its methods, e.g. bp.math.jit(obj.update))"
                if _is_base(target)
                else ""
            )
        )
    call = _python_call(target)
    if call is None:
        raise TypeError(f"bp.math.jit cannot compile {target!r}: its __call__ is not Python code")
    return call, {_first_param(call, type(target).__qualname__): target}


def _structure_counter():
    from brainjit import base

    return base.STRUCTURE_VERSION


def compiled_only(func: types.FunctionType, **options) -> Unit:
    """``func`` rewritten and given a Numba dispatcher like the functions a jitted
    function calls: for calls from compiled code only (no Python wrappers, nothing
    cached on disk of its own). ``options`` as for :func:`jit`. Returns the unit
    (``unit.dispatcher``, ``unit.key``)."""
    unit = build_unit(Context(options), func, {}, _label(func, {}))
    _load(unit, options, inner=True)
    return unit


def _load(unit: Unit, options: dict, inner: bool = False) -> None:
    """Give ``unit`` (and its callees) a Numba dispatcher, writing their files.

    Callees (``inner``) are only called from compiled code: their dispatchers have no
    Python wrappers (:data:`brainjit.math._numba.INNER`), so they are kept apart from
    those of the same code compiled as an entry point. Nor are they cached on disk:
    their code is only ever run inside their callers' (which are), and Numba emits no
    machine code of their own (:mod:`brainjit.math._numba`)."""
    for callee in unit.callees:
        if callee.dispatcher is None:
            _load(callee, options, inner=True)
    key = (unit.key, inner)
    dispatcher = _DISPATCHERS.get(key)
    text, header = unit.file_text()
    unit.header_lines = header
    if dispatcher is None:
        namespace = {
            k: (v.dispatcher if isinstance(v, Unit) else v) for k, v in unit.namespace.items()
        }
        # a file of its own for the inner version: Numba's disk cache does not tell
        # compiled code with wrappers from code without
        stem = unit.file_stem() + ("_inner" if inner else "")
        py_func = codecache.load_function(stem, text, unit.func_name, namespace)
        numba_options = {k: v for k, v in options.items() if k != "float_literals"}
        if inner:
            numba_options.pop("cache", None)
        dispatcher = numba.njit(**numba_options, **(_numba.INNER if inner else {}))(py_func)
        _DISPATCHERS[key] = dispatcher
        # its generated module (in sys.modules) holds its constants and its callees'
        # dispatchers: forgotten with it (imported again if the code comes back)
        weakref.finalize(dispatcher, _forget_module, py_func.__module__, py_func.__globals__)
    with _RECENT_LOCK:  # (threads compile too)
        _RECENT[key] = dispatcher
        _RECENT.move_to_end(key)
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    unit.dispatcher = dispatcher
    unit.file = dispatcher.py_func.__code__.co_filename


def _forget_module(name: str, namespace: dict) -> None:
    """Drop the generated module ``name`` from ``sys.modules`` if it is still the one
    whose globals are ``namespace`` (its dispatcher is gone)."""
    module = sys.modules.get(name)
    if module is not None and module.__dict__ is namespace:
        del sys.modules[name]


def clear_cache() -> None:
    """Free what the numpy backend keeps of jitted functions that are gone.

    Called by ``bp.math.clear_cache()`` (see there): forgets the dispatchers kept for
    reuse (``_RECENT``), so that those of dead jitted functions are freed with their
    generated modules, and drops the wrapper sources of dead jitted functions from
    ``linecache``. Live jitted functions keep their compiled code. Numba's machine code
    stays in any case (see ``_DISPATCHERS``), as does the on-disk cache
    (``BRAINJIT_CACHE_DIR``): code compiled again with ``cache=True`` is loaded from it.
    """
    with _RECENT_LOCK:
        _RECENT.clear()
    gc.collect()
    for filename in [f for f in list(linecache.cache) if f.startswith(_WRAPPER_PREFIX)]:
        if filename not in _WRAPPERS:
            linecache.cache.pop(filename, None)


_SUBCLASS_TYPES = None


class _JitState:
    """Everything behind one jitted target: the units, the wrapper, the refresh logic."""

    def __init__(self, target, func, bound, options, show_code):
        self.target = target
        self.func = func
        self.bound = bound
        self.options = options
        self.label = _label(func, bound)
        self.wrapper = None
        self.globals: dict = {}
        self.build()
        if show_code:
            self.show_code()

    # -- building -----------------------------------------------------------------------
    def build(self) -> None:
        counter = _structure_counter()
        seen = counter[0]
        unit = build_unit(Context(self.options), self.func, self.bound, self.label)
        _load(unit, self.options)
        self.unit = unit
        source, namespace = self._wrapper_code(unit)
        code = compile(source, self._wrapper_filename(), "exec")
        linecache.cache[self._wrapper_filename()] = (
            len(source),
            None,
            source.splitlines(True),
            self._wrapper_filename(),
        )
        _WRAPPERS[self._wrapper_filename()] = self  # (its linecache entry: clear_cache)
        scratch: dict = dict(namespace)
        exec(code, scratch)
        new = scratch[self.wrapper_name]
        namespace["_seen"] = seen
        if self.wrapper is None:
            self.globals = new.__globals__
            self.globals["_seen"] = seen
            self.wrapper = new
            self._decorate(new)
        else:  # same function object for the caller: swap its code and globals in place
            self.globals.clear()
            self.globals.update(new.__globals__)
            self.globals["_seen"] = seen
            self.wrapper.__code__ = new.__code__
            self.wrapper.__defaults__ = new.__defaults__
            self.wrapper.__kwdefaults__ = new.__kwdefaults__
        self.wrapper.dispatcher = unit.dispatcher
        self.wrapper.arrays = [p.base for p in unit.params] + [s.value for s in unit.scalars]
        self.wrapper.units = unit.all_units()
        self.wrapper_source = source

    def _wrapper_filename(self) -> str:
        return f"{_WRAPPER_PREFIX}{self.label}>"

    def _wrapper_code(self, unit: Unit) -> tuple[str, dict]:
        """The source of the wrapper and its globals."""
        global _SUBCLASS_TYPES
        if _SUBCLASS_TYPES is None:
            from brainjit.math._numpy.ndarray import TrainVar, Variable

            _SUBCLASS_TYPES = frozenset({_bp_ndarray, Variable, TrainVar})
        sig = unit.signature
        self.wrapper_name = f"new_{unit.func_name}"
        # the compiled function is called by its own name, unless a parameter or one of
        # the wrapper's locals has it (a method called e or r)
        names = {p.name for p in unit.params} | {s.name for s in unit.scalars}
        names |= set(sig.parameters) | {self.wrapper_name, "e", "r"}
        self.call_name = unit.func_name if unit.func_name not in names else "_f"
        namespace: dict = {
            self.call_name: unit.dispatcher,
            "_compiling": _compiling,
            "_fail": self._fail,
            "_store_failed": self._store_failed,
            "_refresh": self._refresh,
            "_subclasses": _SUBCLASS_TYPES,
            "_ndarray": np.ndarray,
            "_bp_ndarray": _bp_ndarray,
            "_to_ndarray": to_ndarray,
        }
        hidden = [p.name for p in unit.params] + [s.name for s in unit.scalars]
        params, call, convert = [], list(hidden), []
        seen_kwonly = False
        for i, p in enumerate(sig.parameters.values()):
            text = p.name
            if p.default is not inspect.Parameter.empty:
                namespace[f"_default{i}"] = p.default
                text += f"=_default{i}"
            if p.kind is p.VAR_POSITIONAL:
                params.append(f"*{p.name}")
                call.append(f"*{p.name}")
                seen_kwonly = True
            elif p.kind is p.VAR_KEYWORD:
                params.append(f"**{p.name}")
                call.append(f"**{p.name}")
            elif p.kind is p.KEYWORD_ONLY:
                if not seen_kwonly:
                    params.append("*")
                    seen_kwonly = True
                params.append(text)
                call.append(f"{p.name}={p.name}")
                convert.append(p.name)
            else:
                params.append(text)
                call.append(p.name)
                convert.append(p.name)
            if p.kind is p.POSITIONAL_ONLY and (
                i + 1 == len(sig.parameters)
                or list(sig.parameters.values())[i + 1].kind is not p.POSITIONAL_ONLY
            ):
                params.append("/")
        for p in unit.params:
            namespace[p.name] = p.base
        for s in unit.scalars:  # float constants: their values when this was built
            namespace[s.name] = s.value
        lines = [f"def {self.wrapper_name}({', '.join(params)}):"]
        if unit.params:
            lines.append("    if _structure[0] != _seen:  # objects or Variables were replaced")
            lines.append(f"        return _refresh()({', '.join(call[len(hidden) :])})")
            namespace["_structure"] = _structure_counter()
        # this thread's Numba generator follows bp.math.random.seed (random.py)
        lines.append("    if _rng_thread.generation != _rng_seed[0]:")
        lines.append("        _rng_sync()")
        namespace.update(
            _rng_thread=_random.THREAD, _rng_seed=_random.SEED, _rng_sync=_random.sync_thread
        )
        for name in convert:  # bp.math arrays reach Numba as plain ndarrays (faster dispatch)
            lines.append(f"    if type({name}) in _subclasses: {name} = {name}.view(_ndarray)")
        lines += [
            "    try:",
            f"        r = {self.call_name}({', '.join(call)})",
            "    except Exception as e:",
            "        if _compiling(e):",
            "            raise _fail(e) from None",
            "        if type(e) is ValueError:  # a failed store check: eager code's error",
            "            _store_failed(e)",
            "        raise",
            "    if r is None:",
            "        return r",
            "    if type(r) is _ndarray:",
            "        return r.view(_bp_ndarray)",
            "    if type(r) is tuple:",
            "        return _to_ndarray(r)",
            "    return r",
        ]
        return "\n".join(lines) + "\n", namespace

    def _decorate(self, wrapper) -> None:
        wrapper.__brainjit_jit__ = self
        wrapper.__name__ = getattr(self.func, "__name__", wrapper.__name__)
        wrapper.__qualname__ = getattr(self.target, "__qualname__", wrapper.__name__)
        wrapper.__doc__ = getattr(self.func, "__doc__", None)
        wrapper.__module__ = getattr(self.func, "__module__", None)
        wrapper.py_func = self.target
        wrapper.recompile = self.recompile
        wrapper.show_code = self.show_code

    # -- keeping up with the objects -----------------------------------------------------
    def _refresh(self):
        """Called when some object's structure changed: take the current arrays,
        rebuilding the generated code if the objects reached are not the same."""
        counter = _structure_counter()
        seen = counter[0]
        same = True
        for p in self.unit.params:
            try:
                current = p.path.resolve(self.bound)
            except Exception:  # noqa: BLE001
                same = False
                break
            if current is not p.array:
                same = False
                break
        if same:
            self.globals["_seen"] = seen
        else:
            self.build()
        return self.wrapper

    def recompile(self) -> None:
        """Rewrite and compile again (after changing an attribute that is a constant)."""
        self.build()

    # -- show_code and errors --------------------------------------------------------------
    def show_code(self) -> None:
        """Print every generated function and its namespace (as in the tutorial)."""
        for unit in self.unit.all_units():
            namespace = {
                k: (v.dispatcher if isinstance(v, Unit) else v) for k, v in unit.namespace.items()
            }
            _print_function(unit.source, namespace)
        wrapper_ns = {
            k: v
            for k, v in self.globals.items()
            if not k.startswith("_") and k != self.wrapper_name or k == "_f"
        }
        _print_function(self.wrapper_source.rstrip(), wrapper_ns)

    def _store_failed(self, error: ValueError) -> None:
        """Raise the error eager code raises, if ``error`` is a failed check of a store
        into a Variable (:mod:`store`); return otherwise."""
        eager = stores.runtime_error(error, self.unit.all_units())
        if eager is not None:
            raise eager from None

    def _fail(self, error: Exception) -> JitCompileError:
        units = self.unit.all_units()
        by_file = {u.file: u for u in units if u.file}
        text = str(error)
        culprit, line = None, None
        by_name = {os.path.basename(f): u for f, u in by_file.items()}
        for pattern in (r'File "([^"]+)", line (\d+)', r"at (\S+\.py) \((\d+)\)"):
            for match in re.finditer(pattern, text):  # Numba prints paths relative to cwd
                unit = by_name.get(os.path.basename(match.group(1)))
                if unit is not None:
                    culprit, line = unit, int(match.group(2))
                    break
            if culprit is not None:
                break
        parts = []
        if culprit is not None:
            parts.append(f"bp.math.jit could not compile {culprit.label}")
            if culprit is not self.unit:
                parts[-1] += f" (called from {self.label})"
            generated = linecache.getline(culprit.file, line).strip()
            original_line = culprit.line_map.get(line - culprit.header_lines)
            if original_line is not None:
                original = linecache.getline(culprit.origin[0], original_line).strip()
                parts.append(
                    f'offending line: File "{culprit.origin[0]}", line {original_line}:\n'
                    f"    {original}"
                )
            parts.append(f'generated line: File "{culprit.file}", line {line}:\n    {generated}')
        else:
            parts.append(f"bp.math.jit could not compile {self.label}")
        reason = next(
            (
                s.strip()
                for s in text.strip().splitlines()
                if s.strip() and not s.startswith(("Failed in", "File", "During", " "))
            ),
            "",
        )
        # a write that eager code refuses: its error, with the lines
        same_code = [u for u in units if culprit is None or u.file == culprit.file]
        eager = stores.compile_error(text, same_code)
        if eager is not None:
            return type(eager)("\n".join([str(eager), *parts[1:]]))
        explained = lower_control_flow.explain(text) or truth.explain(text)
        if explained is not None:
            parts.insert(1, explained)
        else:
            parts.insert(1, f"Numba: {reason}" if reason else "Numba could not compile it")
        parts.append("generated code:\n" + _listing(units))
        parts.append("Numba's message:\n" + text)
        return JitCompileError("\n".join(parts))


def _compiling(error: Exception) -> bool:
    """Whether ``error`` was raised while Numba compiled (not by the compiled code)."""
    if isinstance(error, NumbaError):
        return True
    return any(
        frame.f_code.co_name == "_compile_for_args"
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def _listing(units) -> str:
    out = []
    for unit in units:
        out.append(f"# {unit.label} -> {unit.file}")
        out.append(unit.source)
        out.append("")
    return "\n".join(out)


def _short_repr(value):
    if isinstance(value, np.ndarray) and value.size > 10:
        return _Repr(f"<array {value.dtype}{list(value.shape)}>")
    return value


class _Repr:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _print_function(source: str, namespace: dict) -> None:
    print("The recompiled function:")
    print("-------------------------")
    print(source)
    print()
    print("The namespace of the above function:")
    print("------------------------------------")
    pprint.pprint({k: _short_repr(v) for k, v in namespace.items()})
    print()
