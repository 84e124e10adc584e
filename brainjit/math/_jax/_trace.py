"""Recording which Variables traced code reads and writes (the jax backend's jit).

While a function is traced by ``bp.math.jit``, a :class:`StateTrace` sits on ``STACK``.
Every read of ``Variable.value`` and every write to it is reported to every trace on
the stack, so an inner jitted call also tells the outer ones what it touched.
"""

from __future__ import annotations

STACK: list[StateTrace] = []


class StateTrace:
    """The Variables one traced call touched, in first-touch order.

    ``reads`` holds the Variables whose value *before* the call was read (so the
    compiled function needs it as an input); ``writes`` those it assigned.
    """

    def __init__(self) -> None:
        self.reads: dict[int, object] = {}
        self.writes: dict[int, object] = {}

    def on_read(self, var) -> None:
        key = id(var)
        if key not in self.writes and key not in self.reads:
            self.reads[key] = var

    def on_write(self, var) -> None:
        self.writes.setdefault(id(var), var)


def read(var) -> None:
    for trace in STACK:
        trace.on_read(var)


def write(var) -> None:
    for trace in STACK:
        trace.on_write(var)
