"""Long ``for i in range(n)`` loops with a static ``n`` in traced code, rolled (jax).

The native-control-flow conversion (:mod:`.autograph`) turns a loop over a *traced*
range into ``lax.fori_loop``. A range whose bounds are Python ints is static, and
Python would simply run it while JAX traces: the loop is unrolled, every iteration
adds its operations to the program again, and compile time and memory grow with
``n`` (a 100-step network loop took minutes to compile, 500 steps ran out of memory).

Here such a loop of more than :data:`ROLL_ABOVE` iterations becomes a rolled
``lax.fori_loop`` (a ``lax.scan`` with a static trip count, so reverse-mode autodiff
works through it) whose carry is the Variables the body writes and the local names
it assigns, as for a traced range. How:

1. if a name the body assigns is not defined yet or holds a static value (a ``0.0``
   accumulator, a Python counter), the first iteration runs as Python (peeled): the
   names get their types, and what stays static is known;
2. the other iterations are one ``fori_loop`` over a traced index; the body is traced
   once, abstractly first (``jax.eval_shape``), to learn what it writes and to check
   that what it carries keeps its shape and dtype.

When the body does not allow it, the rest of the loop is unrolled as before (Python
semantics, exactly): the body fails on a traced index (a Python list indexed by
``i``, ``int(i)``, ``range(i)``, a shape computed from ``i``), a carried name changes
shape or dtype from one iteration to the next, the body mutates a Python container
(``lst.append(x)``, ``d[k] = v``), a name the loop computes from static values only
(a Python or NumPy number) is read after the loop (rolled, it would become traced),
or a name read after the loop holds an object a loop cannot carry (a tuple, None).
``break``, ``continue`` and ``return`` keep the loop in Python (:mod:`.autograph`).
Every decision is recorded for ``show_code=True`` (:func:`collect`), and a loop of
:data:`WARN_FROM` iterations or more that is unrolled warns, naming the reason.
"""

from __future__ import annotations

import contextlib
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax import _trace, control_flow
from brainjit.math._jax.ndarray import JaxArray

__all__ = ["for_range", "python_range", "collect", "LoopNote", "ROLL_ABOVE", "WARN_FROM"]

#: loops over static ranges of more iterations than this are rolled (when they can be);
#: shorter ones are unrolled (XLA optimises across their iterations; compile time is small)
ROLL_ABOVE = 8

#: an unrolled static loop of this many iterations or more warns (compile time grows)
WARN_FROM = 100

# container methods that mutate: a rolled body would run them once, with tracers
MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "add",
        "discard",
        "setdefault",
        "appendleft",
        "extendleft",
        "popleft",
    }
)

_CONTAINERS = (list, dict, set, bytearray)


class LoopNote:
    """What happened to one static ``for ... in range(...)`` loop in traced code."""

    __slots__ = ("where", "n", "rolled", "reason", "peeled")

    def __init__(self, where: str, n: int, rolled: bool, reason: str, peeled: bool) -> None:
        self.where, self.n, self.rolled, self.reason = where, n, rolled, reason
        self.peeled = peeled  # the first iteration ran as Python, before the loop

    def __str__(self) -> str:
        what = f"{self.where}: a for loop over a static range of {self.n} iterations"
        if self.rolled and self.peeled:
            return (
                f"{what} rolled into lax.fori_loop (the first iteration runs before it, "
                f"{self.n - 1} in the loop)"
            )
        if self.rolled:
            return f"{what} rolled into lax.fori_loop"
        return f"{what} unrolled: {self.reason}"

    def __repr__(self) -> str:
        return f"LoopNote({str(self)!r})"


class _Notes(threading.local):
    def __init__(self) -> None:
        self.stack: list[list] = []


_NOTES = _Notes()


@contextlib.contextmanager
def collect():
    """Collect the :class:`LoopNote` s of the static loops traced in the block."""
    notes: list[LoopNote] = []
    _NOTES.stack.append(notes)
    try:
        yield notes
    finally:
        stack = _NOTES.stack  # by identity: two empty lists are equal
        del stack[max(k for k, c in enumerate(stack) if c is notes)]


def _note(where: str, n: int, rolled: bool, reason: str = "", peeled: bool = False) -> None:
    note = LoopNote(where, n, rolled, reason, peeled)
    for notes in _NOTES.stack:
        notes.append(note)
    if not rolled and n >= WARN_FROM:
        warnings.warn(
            f"{note}. Compile time and memory grow with the number of iterations; "
            "make the body rollable, or write the loop with bp.math.for_loop.",
            UserWarning,
            stacklevel=3,
        )


def python_range(iterable, where: str, why: str):
    """A ``range`` loop kept in Python by ``break``/``continue``/``return`` in its body."""
    iterable = control_flow.python_iter(iterable, where, why)
    if isinstance(iterable, range) and len(iterable) > ROLL_ABOVE and _trace.jax_tracing():
        _note(where, len(iterable), False, f"its body uses '{why}'")
    return iterable


def _is_static(value) -> bool:
    """A value that unrolling keeps concrete (rolling would make it traced)."""
    if isinstance(value, JaxArray):
        value = value._value
    if isinstance(value, (bool, int, float, complex, np.ndarray, np.generic)):
        return True
    return isinstance(value, jax.Array) and not isinstance(value, jax.core.Tracer)


def _carriable(value) -> bool:
    return isinstance(value, JaxArray) or control_flow._is_array_like(value)


def _why_not(values: tuple, names: tuple, outside: frozenset) -> str | None:
    """Why the locals after the peeled iteration cannot be carried by a rolled loop."""
    for name, value in zip(names, values):
        if isinstance(value, _CONTAINERS):
            return (
                f"the body updates {name!r}, a Python {type(value).__name__}, which a "
                "rolled loop would update once (with traced values)"
            )
        if name not in outside:
            continue  # not read after the loop: its final value is not needed
        if _carriable(value) and _is_static(value):
            return (
                f"{name!r} (read after the loop) is computed from static values only "
                f"({type(value).__name__}); rolled it would become a traced array "
                f"(make it an array before the loop to roll it: {name} = bp.math.asarray(...))"
            )
        if not _carriable(value) and value is not control_flow.UNDEFINED:
            return (
                f"{name!r} (read after the loop) holds a {type(value).__name__}, which a "
                "rolled loop cannot carry (only arrays and numbers)"
            )
    return None


def _first_line(err: Exception) -> str:
    text = str(err).strip().split("\n", 1)[0]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _rolled(rest: range, body, values: tuple, names: tuple, where: str) -> tuple:
    """``for i in rest: values = body(values, i)`` as one ``lax.fori_loop``."""
    start, step, count = rest.start, rest.step, len(rest)
    dtype = jnp.asarray(0).dtype  # the default int (int64 with jax_enable_x64)
    index = jax.ShapeDtypeStruct((), dtype)

    def run(stateful, carry):
        def step_fn(k, c):
            i = jax.lax.convert_element_type(start + k * step, dtype)
            return stateful(*c, i)

        return jax.lax.fori_loop(0, count, step_fn, carry)

    local = control_flow._Locals(values, names, where)
    return control_flow._loop(local, body, (index,), run, where)


def for_range(iterable, body, values: tuple, names: tuple, where: str, outside=(), blocker=None):
    """``for i in range(...): ...`` (converted): rolled when static, long and traced.

    ``outside`` names the locals read anywhere in the function outside the loop;
    ``blocker`` is a reason found in the source (a container mutated) or None.
    """
    if not isinstance(iterable, range):  # traced bounds: control_flow's fori_loop
        return control_flow.for_stmt(iterable, body, values, names, where)
    n = len(iterable)
    if n <= ROLL_ABOVE or not _trace.jax_tracing():
        return control_flow.for_stmt(iterable, body, values, names, where)
    # names first assigned in the loop, or static values (a 0.0 accumulator, a Python
    # counter): the first iteration runs as Python, and tells their types
    peeled = any(v is control_flow.UNDEFINED or _is_static(v) for v in values)
    rest = iterable
    if peeled:
        values = body(values, iterable[0])
        rest = iterable[1:]
    reason = blocker or _why_not(values, names, frozenset(outside))
    if reason is None:
        from brainjit.math._jax.jit import _Restructure

        try:
            result = _rolled(rest, body, values, names, where)
        except _Restructure:
            raise
        except control_flow.ControlFlowError as err:
            reason = str(err).split(": ", 1)[-1]  # a carried name changes shape or dtype
        except Exception as err:  # noqa: BLE001  (the body cannot roll: unroll it)
            reason = f"the body cannot run on a traced index ({_first_line(err)})"
        else:
            _note(where, n, True, peeled=peeled)
            return result
    _note(where, n, False, reason)
    for i in rest:
        values = body(values, i)
    return values
