"""``bp.Base``: the object tree that jit, autodiff and the simulator walk.

Every instance has a unique ``name`` (``Demo20``: the class name and a counter, or the
``name=`` given). ``nodes()`` finds every ``Base`` reachable through attributes and
through lists, tuples and dicts of them; ``vars()`` every Variable; ``train_vars()``
every TrainVar; each keyed by its path from this object (``'Net0.E.V'``) and listed
once even when shared by several objects or reachable through a cycle.

Assigning a plain value to an attribute that holds a Variable writes the value into
that Variable (its shape and dtype must match) instead of replacing it, so that
``self.V = V_new`` in a model's ``update`` keeps updating the same state, in plain
Python and in compiled code alike. Assigning another Variable replaces it.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict, deque

from brainjit.math import _variable

__all__ = ["Base", "model_time", "set_model_time"]

_live_names: weakref.WeakValueDictionary[str, Base] = weakref.WeakValueDictionary()

#: Bumped whenever an attribute of a ``Base`` that held a Variable, an array, another
#: object or a container is rebound. Compiled code (``bp.math.jit``) holds the arrays it
#: was built with and compares this counter on each call to notice replaced state.
STRUCTURE_VERSION = [0]

# Set by the jax backend's jit (None until the jax backend is loaded): called as
# hook(obj, attr, value) before an attribute is bound (not when a value is written into a
# Variable attribute), so that a trace can give non-Variable attributes their values back
# and compiled programs notice a replaced Variable or child object.
trace_setattr_hook = None
_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)


def _unique_name(obj: Base, name: str | None) -> str:
    if name is not None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be a Python identifier, got {name!r}")
        other = _live_names.get(name)
        if other is not None and other is not obj:
            raise ValueError(
                f"The name {name!r} is already used by another {type(other).__name__}; "
                "names of brainjit objects must be unique."
            )
    else:
        prefix = type(obj).__name__
        name = f"{prefix}{next(_counters[prefix])}"
        while name in _live_names:
            name = f"{prefix}{next(_counters[prefix])}"
    _live_names[name] = obj
    return name


def _is_structure(value) -> bool:
    """Whether compiled code may hold ``value`` (an array) or walk into it (objects)."""
    return isinstance(value, (Base, list, tuple, dict)) or hasattr(value, "__array_interface__")


def _children(value, path: str):
    """(path, item) for the items of a container attribute, recursively."""
    if isinstance(value, dict):
        items = ((str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return
    for key, item in items:
        sub = f"{path}.{key}"
        if isinstance(item, (dict, list, tuple)):
            yield from _children(item, sub)
        else:
            yield sub, item


def _members(obj):
    """(path suffix, value) for every attribute of ``obj``, containers expanded."""
    for attr, value in vars(obj).items():
        if isinstance(value, (dict, list, tuple)):
            yield from _children(value, attr)
        else:
            yield attr, value


class _ModelTime:
    """``model.t``: the time (ms) up to which this object has been run by a ``bp.Runner``
    (0.0 when built, and after ``reset_state()``). A new Runner on the model starts from
    it. An object that sets an attribute ``t`` of its own (``self.t = ...``) shadows this
    accessor; :func:`model_time` still reads the model's time."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return model_time(obj)


def model_time(obj: Base) -> float:
    """The time (ms) up to which ``obj`` has run (0.0 before any run)."""
    return obj.__dict__.get("_time", 0.0)


def set_model_time(obj: Base, t: float) -> None:
    """Set the time of ``obj`` and of every object reachable from it to ``t`` ms.

    Stored as a plain float outside the attribute machinery (no Variable, no
    structure change): compiled code never reads it; the Runner passes it in."""
    for node in obj.nodes().values():
        node.__dict__["_time"] = float(t)


class Base:
    """Base class of every brainjit object that holds Variables or other objects.

    Args:
        name: a unique name; by default the class name and a counter (``LIF0``).
    """

    t = _ModelTime()

    def __init__(self, name: str | None = None):
        object.__setattr__(self, "_name", _unique_name(self, name))

    @property
    def name(self) -> str:
        """The object's unique name."""
        try:
            return self.__dict__["_name"]
        except KeyError:  # a subclass that did not call Base.__init__
            object.__setattr__(self, "_name", _unique_name(self, None))
            return self.__dict__["_name"]

    def __setattr__(self, attr: str, value) -> None:
        current = self.__dict__.get(attr)
        if current is not None and _variable.is_variable(current):
            if not _variable.is_variable(value):
                current.value = value  # write into the Variable, checked
                return
        if current is not None and _is_structure(current) and current is not value:
            STRUCTURE_VERSION[0] += 1
        if trace_setattr_hook is not None:
            trace_setattr_hook(self, attr, value)
        if _variable.is_variable(value) and getattr(value, "_name", None) is None:
            value._name = f"{self.name}.{attr}"
        object.__setattr__(self, attr, value)

    # -- the object tree ------------------------------------------------------------
    def nodes(self, include_self: bool = True) -> dict[str, Base]:
        """Every ``Base`` reachable from this object, keyed by path, each once."""
        found: dict[str, Base] = {}
        seen: set[int] = set()
        queue = deque([(self.name, self)])
        while queue:
            path, node = queue.popleft()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node is not self or include_self:
                found[path] = node
            for suffix, value in _members(node):
                if isinstance(value, Base) and id(value) not in seen:
                    queue.append((f"{path}.{suffix}", value))
        return found

    def vars(self) -> dict[str, object]:
        """Every Variable reachable from this object, keyed by path, each once."""
        found: dict[str, object] = {}
        seen: set[int] = set()
        for path, node in self.nodes().items():
            for suffix, value in _members(node):
                if _variable.is_variable(value) and id(value) not in seen:
                    seen.add(id(value))
                    found[f"{path}.{suffix}"] = value
        return found

    def train_vars(self) -> dict[str, object]:
        """Every TrainVar reachable from this object, keyed by path, each once."""
        return {k: v for k, v in self.vars().items() if _variable.is_trainvar(v)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
