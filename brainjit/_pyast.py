"""``parse``: :func:`ast.parse`, safe to call from several threads at once.

CPython 3.11 counts the depth of the Python objects it builds for a parsed tree in
state shared by the whole interpreter, so two threads parsing at the same time can
fail with ``SystemError: AST constructor recursion depth mismatch`` (CPython issue
106905, fixed in 3.12). Both backends parse model code while they compile it, and two
runners may compile in two threads: every parse in brainjit goes through this lock.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """``ast.parse(source)``, one thread at a time."""
    with _LOCK:
        return ast.parse(source)
