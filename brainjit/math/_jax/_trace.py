"""Recording what traced code does to state (the jax backend's jit and autodiff).

While ``bp.math.jit`` (or ``grad``) traces a function, a :class:`StateTrace` sits on
``STACK``. ``Variable.value`` reports every read and write to every listener on the
stack (an object with ``on_read(var)`` and ``on_write(var)``), so an inner jitted call
also tells the outer ones what it touched. A :class:`StateTrace` additionally keeps
what it needs to undo the trace's side effects afterwards:

- the value every touched Variable had before the trace (restored at the end: a
  tracer never stays in a Variable);
- the Variables that are *local* to the trace (created in it, or handed in as traced
  arguments): they are not state, and one still alive after the trace has escaped;
- non-Variable attributes of ``bp.Base`` objects assigned during the trace, and
  in-place writes into non-Variable ``JaxArray`` s that held concrete values: both are
  compile-time constants, so they get their old values back (with a warning).

``bp.Base`` reports attribute assignments through ``on_setattr`` (its
``trace_setattr_hook``); outside traces, replacing a Variable or a child object is
passed on to the ``REPLACED`` callbacks.

Every listener is a :class:`Frame`: one level of brainjit tracing (a jit or grad
trace, the body of a compiled loop or branch), which knows the JAX trace it runs in
(``jax_trace``) and catches in-place writes into non-Variable ``JaxArray`` s that
existed before it (``JaxArray.value`` reports them through :func:`write_array`): such a
write would leave one of the frame's tracers in the array for good. At the end of the
frame the arrays get their values back (:meth:`Frame.restore_arrays`); jit keeps them
as compile-time constants with a warning, control flow and grad raise
:func:`array_write_error`. :func:`storable` tells whether a traced value may be stored
into a Variable (it belongs to a frame's trace, which carries it out).

Threads: the stack is per thread (a trace in one thread never sees what another thread
does to state), and :data:`ACTIVE` counts the listeners on all threads' stacks, a cheap
test before the thread's own stack. :data:`LOCK` makes each top-level jitted call (its
Variables' values read, the compiled call, the new values stored; a trace) atomic
across threads: JAX dispatches asynchronously, so it is held for the dispatch, not
while the computation runs.
"""

from __future__ import annotations

import gc
import threading
import weakref

import jax

import brainjit.base


class _Local(threading.local):
    def __init__(self) -> None:
        self.stack: list = []  # this thread's listeners, innermost last


_LOCAL = _Local()
ACTIVE = [0]  # listeners on the stacks of all threads (0: no thread traces)
_ACTIVE_LOCK = threading.Lock()

#: Held (re-entrantly) by every top-level jitted call, trace and draw from a
#: RandomState outside traced code: traces put tracers into Variables, which other
#: threads must not see, and a call's read-values, call, write-back is one step.
LOCK = threading.RLock()


def stack() -> list:
    """The current thread's listeners, innermost last."""
    return _LOCAL.stack


class _ThreadStack:
    """``STACK``: the current thread's stack, for code that reads it as a list."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return bool(ACTIVE[0]) and bool(_LOCAL.stack)

    def __len__(self) -> int:
        return len(_LOCAL.stack)

    def __iter__(self):
        return iter(_LOCAL.stack)

    def __reversed__(self):
        return reversed(_LOCAL.stack)

    def __getitem__(self, i):
        return _LOCAL.stack[i]

    def append(self, listener) -> None:
        push(listener)

    def remove(self, listener) -> None:
        pop(listener)


STACK = _ThreadStack()

_Tracer = jax.core.Tracer

try:  # JAX's current trace: EVAL_TRACE when nothing is traced (JAX >= 0.4.36)
    from jax._src import core as _jax_core

    _TRACE_REF = _jax_core.trace_state_strong_ref
    EVAL_TRACE = _jax_core.eval_trace
    _TRACE_REF.value  # noqa: B018  (fails early if the layout changed)
except (ImportError, AttributeError):  # pragma: no cover

    class _TraceRef:
        __slots__ = ()

        @property
        def value(self):
            return EVAL_TRACE if jax.core.trace_state_clean() else self

    _TRACE_REF = _TraceRef()
    EVAL_TRACE = object()


def jax_trace():
    """The JAX trace that runs the current code (``EVAL_TRACE`` outside transformations)."""
    return _TRACE_REF.value


def jax_tracing() -> bool:
    """Whether JAX is tracing (inside jax.jit, grad, vmap, lax control flow ...)."""
    return _TRACE_REF.value is not EVAL_TRACE


class JitStateError(ValueError):
    """A Variable used in jitted code in a way that cannot be compiled."""


def describe_array(value) -> str:
    """How messages name a non-Variable JaxArray (by the value it had)."""
    return f"a JaxArray of shape {tuple(value.shape)} ({value.dtype})"


def array_write_error(where: str, arrays: list) -> JitStateError:
    """The error of a traced write into JaxArrays that are not Variables (restored)."""
    names = ", ".join(describe_array(a._value) for a in arrays)
    return JitStateError(
        f"{where}: {names} was written in place inside traced code, but it is not a "
        "Variable: its new value is traced there and cannot be kept after it (the write "
        "was undone; the array keeps its value). Make it a bp.math.Variable "
        "(bp.math.Variable(array)) to update it inside bp.math.for_loop, while_loop, "
        "cond, ifelse, grad or jit."
    )


class Frame:
    """One level of brainjit tracing (see the module docstring).

    ``arrays`` maps ``id(arr)`` to ``(weak reference, value before the write)`` for the
    non-Variable JaxArrays written in the frame that it did not create.
    """

    __slots__ = ("jax_trace", "arrays")

    def __init__(self) -> None:
        self.jax_trace = _TRACE_REF.value  # made where the frame's code runs
        self.arrays: dict[int, tuple] = {}

    def on_read(self, var) -> None:
        pass

    def on_write(self, var) -> None:
        pass

    def record_array(self, arr, value) -> None:
        key = id(arr)
        entry = self.arrays.get(key)
        if entry is None or entry[0]() is not arr:
            self.arrays[key] = (weakref.ref(arr), value)

    def restore_arrays(self) -> list:
        """Give the written arrays their values back; return those still referenced (a
        temporary that the frame made and dropped is not)."""
        if not self.arrays:
            return []
        alive = []
        for ref, value in self.arrays.values():
            arr = ref()
            if arr is not None:
                arr._value = value
                alive.append(ref)
        self.arrays = {}
        if alive:  # maybe only kept by reference cycles
            gc.collect()
        return [a for a in (ref() for ref in alive) if a is not None]


def storable(value) -> bool:
    """Whether ``value`` may be stored into a Variable: concrete, or traced by the JAX
    trace of a frame on this thread's stack (which carries it out)."""
    if not isinstance(value, _Tracer):
        return True
    trace = value._trace
    return any(frame.jax_trace is trace for frame in _LOCAL.stack)


class StateTrace(Frame):
    """What one traced call did to state (see the module docstring).

    ``touched`` maps ``id(var)`` to ``[var, value before the trace]`` in first-touch
    order; ``reads`` and ``written`` hold the Variables read and written.
    """

    __slots__ = ("touched", "reads", "written", "local", "created", "attrs")

    def __init__(self) -> None:
        super().__init__()
        self.touched: dict[int, list] = {}
        self.reads: dict[int, object] = {}
        self.written: dict[int, object] = {}
        self.local: set[int] = set()
        self.created: list[weakref.ref] = []
        self.attrs: dict[tuple[int, str], tuple] = {}

    # -- the listener protocol ----------------------------------------------------------
    def on_read(self, var) -> None:
        key = id(var)
        if key in self.reads or key in self.local:
            return
        self.reads[key] = var
        if key not in self.touched:
            self.touched[key] = [var, var._value]

    def on_write(self, var) -> None:
        key = id(var)
        if key in self.written or key in self.local:
            return
        self.written[key] = var
        if key not in self.touched:
            self.touched[key] = [var, var._value]  # called before the new value is stored

    # -- bookkeeping ----------------------------------------------------------------------
    def adopt(self, var) -> None:
        """Remember ``var``'s value before its value is replaced by a tracer."""
        key = id(var)
        if key not in self.touched:
            self.touched[key] = [var, var._value]

    def new_state(self, known: set[int], known_written: set[int]) -> tuple[list, list]:
        """Variables this trace writes that are not in ``known_written`` (ids), and those it
        only reads that are not in ``known``."""
        written = [v for k, v in self.written.items() if k not in known_written]
        read = [v for k, (v, _) in self.touched.items() if k not in known and k not in self.written]
        return written, read

    def escaped(self) -> list:
        """Variables created during the trace that are still referenced."""
        alive = [v for v in (r() for r in self.created) if v is not None]
        if alive:  # maybe only kept by reference cycles
            del alive
            gc.collect()
            alive = [v for v in (r() for r in self.created) if v is not None]
        return alive

    def restore(self) -> list[str]:
        """Undo the trace's side effects; return the names of reverted constants."""
        for var, value in self.touched.values():
            var._value = value
        reverted = [describe_array(arr._value) for arr in self.restore_arrays()]
        for (_, attr), (ref, had, old) in self.attrs.items():
            obj = ref()
            if obj is None:  # an object created (and dropped) inside the traced code
                continue
            if had:
                object.__setattr__(obj, attr, old)
            else:
                obj.__dict__.pop(attr, None)
            reverted.append(f"attribute {getattr(obj, 'name', type(obj).__name__)}.{attr}")
        return reverted


def _innermost_frame() -> Frame | None:
    for frame in reversed(_LOCAL.stack):
        if isinstance(frame, Frame):
            return frame
    return None


def _innermost() -> StateTrace | None:
    for trace in reversed(_LOCAL.stack):
        if isinstance(trace, StateTrace):
            return trace
    return None


# -- called by Variable / JaxArray / Base --------------------------------------------------
def read(var) -> None:
    for trace in _LOCAL.stack:
        trace.on_read(var)


def write(var) -> None:
    for trace in _LOCAL.stack:
        trace.on_write(var)


def mark_local(var) -> None:
    """``var`` was made during the trace (an unflattened argument): it is not state."""
    key = id(var)
    for trace in _LOCAL.stack:
        if isinstance(trace, StateTrace):
            trace.local.add(key)


def created(var) -> None:
    """``var`` was created by traced code: local to the trace, and must not escape it."""
    key = id(var)
    ref = weakref.ref(var)
    for trace in _LOCAL.stack:
        if isinstance(trace, StateTrace):
            trace.local.add(key)
            trace.created.append(ref)


def write_array(arr) -> None:
    """A non-Variable JaxArray is written in place: remember its value, unless the
    innermost frame made it (its value is traced there: a local temporary)."""
    frame = _innermost_frame()
    if frame is None:
        return
    value = arr._value
    if isinstance(value, _Tracer) and value._trace is frame.jax_trace:
        return
    frame.record_array(arr, value)


def on_setattr(obj, attr: str, value) -> None:
    """An attribute of a ``bp.Base`` object is bound (not written into a Variable)."""
    trace = _innermost()
    if trace is None:  # outside traces: tell jit that a Variable or child is replaced
        if REPLACED:
            old = obj.__dict__.get(attr)
            if old is not None and old is not value:
                for callback in REPLACED:
                    callback(old)
        return
    if obj.__dict__.get(attr, trace) is value:  # `self.v += 1` rebinds v to itself
        return
    key = (id(obj), attr)
    if key not in trace.attrs:
        had = attr in obj.__dict__
        trace.attrs[key] = (weakref.ref(obj), had, obj.__dict__.get(attr))


def push(trace) -> None:
    """Put ``trace`` on the current thread's stack."""
    with _ACTIVE_LOCK:
        _LOCAL.stack.append(trace)
        ACTIVE[0] += 1


def pop(trace) -> None:
    """Take ``trace`` off the current thread's stack."""
    with _ACTIVE_LOCK:
        _LOCAL.stack.remove(trace)
        ACTIVE[0] -= 1


# callbacks(old value) for a Variable or object attribute of a bp.Base replaced outside
# traced code (jit forgets the programs that thread the old Variables)
REPLACED: list = []

brainjit.base.trace_setattr_hook = on_setattr
