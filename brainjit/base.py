"""``bp.Base``: the object tree that jit, autodiff and the simulator walk.

Every instance has a unique ``name`` (``Demo20``: the class name and a counter, or the
``name=`` given). ``nodes()`` finds every ``Base`` reachable through attributes and
through lists, tuples and dicts of them; ``vars()`` every Variable; ``train_vars()``
every TrainVar; ``ints()`` every integrator (``bp.odeint``/``bp.sdeint`` step functions
and integrator methods); each keyed by its path from this object (``'Net0.E.V'``) and listed
once even when shared by several objects or reachable through a cycle.

Assigning a plain value to an attribute that holds a Variable writes the value into
that Variable (its shape and dtype must match) instead of replacing it, so that
``self.V = V_new`` in a model's ``update`` keeps updating the same state, in plain
Python and in compiled code alike. Assigning another Variable replaces it.

Every object also has a model time (``model.t``, see :func:`model_time`), an initial
state (host copies of its Variables' values, taken when its outermost constructor
returns) that :meth:`Base.reset_state` restores, and checkpoints:
:meth:`Base.state_dict` / :meth:`Base.load_state_dict` (see :mod:`brainjit.checkpoint`).
"""

from __future__ import annotations

import functools
import itertools
import threading
import types
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


_METHODS = (None, "absolute", "relative")


def _check_method(method) -> None:
    if method not in _METHODS:
        raise ValueError(
            f"method must be 'absolute' (objects keyed by their unique names, BrainPy's "
            "default), 'relative' (by their attribute paths from this object) or None "
            f"(brainjit's paths from this object's name, 'Net0.E'); got {method!r}"
        )


def _node_key(method, root, rel: str, node) -> str:
    """How :meth:`Base.nodes` keys ``node``, found at the attribute path ``rel``."""
    if method is None:
        return f"{root.name}.{rel}" if rel else root.name
    if method == "absolute":
        return node.name
    return rel


def _is_integrator(value) -> bool:
    """A step function made by ``bp.odeint``/``bp.sdeint`` (or one bound to an object)."""
    return callable(value) and getattr(value, "__brainjit_integrator__", False) is True


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


# -- the initial state (reset_state) ----------------------------------------------------
# id(obj) -> {attribute path: (weak reference to the Variable, host copy of its value)},
# kept outside the objects (an attribute would be walked by vars() and by compiled code)
# and dropped when the object is collected.
_initial_state: dict[int, dict[str, tuple[weakref.ref, object]]] = {}
_constructing: set[int] = set()  # ids of objects inside their outermost __init__
_resetting = threading.local()  # .done: ids of the objects reset by the current reset


def _host_copy(var):
    """A NumPy copy of a Variable's value (device arrays copied to the host), or None
    where it has none now (a traced value, inside compiled jax code)."""
    import numpy as np

    try:
        return np.array(var.value, copy=True)
    except TypeError:  # jax: a tracer, in a model built inside jitted code
        return None


def _record_initial_state(obj: Base) -> None:
    """Remember the current values of ``obj``'s own Variables (not its TrainVars) as its
    initial state, replacing what was remembered before."""
    key = id(obj)
    if key not in _initial_state:
        weakref.finalize(obj, _initial_state.pop, key, None)
    saved = {}
    for suffix, value in _members(obj):
        if _variable.is_variable(value) and not _variable.is_trainvar(value):
            copy = _host_copy(value)
            if copy is not None:
                saved[suffix] = (weakref.ref(value), copy)
    _initial_state[key] = saved


def _record_built(obj: Base) -> None:
    """At the end of the outermost constructor of ``obj``: its initial state, and again
    that of every object reachable from it that has not run yet (model time 0), so that
    values written into a part before the whole model was built (``E.V[:] = V0``) are
    the values ``reset_state()`` restores."""
    for node in obj.nodes().values():
        if node is obj or model_time(node) == 0.0:
            _record_initial_state(node)


def _without_initial_state(obj: Base, path: str | None = None) -> list[str]:
    """The paths (below ``path``, default ``obj``'s name) of the Variables of ``obj``
    itself that are not TrainVars and have no recorded initial value."""
    path = obj.name if path is None else path
    saved = _initial_state.get(id(obj), {})
    missing = []
    for suffix, value in _members(obj):
        if _variable.is_variable(value) and not _variable.is_trainvar(value):
            entry = saved.get(suffix)
            if entry is None or entry[0]() is not value:
                missing.append(f"{path}.{suffix}")
    return missing


def _missing_initial_error(missing: list[str]) -> ValueError:
    shown = ", ".join(repr(p) for p in missing[:8])
    more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
    return ValueError(
        f"reset_state(): no initial value is known for {shown}{more}: these Variables were "
        "created or assigned after the object holding them was built (reset_state() "
        "restores the values the Variables had when the outermost constructor returned). "
        "Create them in the constructor, build the enclosing model after assigning them, "
        "or override reset_state() in the class to set them."
    )


def _restore_initial_state(obj: Base) -> None:
    """Write the recorded initial values into ``obj``'s own Variables (not TrainVars)."""
    missing = _without_initial_state(obj)
    if missing:
        raise _missing_initial_error(missing)
    for suffix, value in _members(obj):
        if _variable.is_variable(value) and not _variable.is_trainvar(value):
            value.value = _initial_state[id(obj)][suffix][1]


def _overrides_reset(node: Base) -> bool:
    return type(node).reset_state is not Base.reset_state


def _wrap_init(init):
    """``init`` that records the object's initial state when the outermost constructor
    (the one of the object's own class, after every ``super().__init__``) returns."""
    if getattr(init, "_brainjit_records_state", False):
        return init

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        key = id(self)
        if key in _constructing:  # a super().__init__ inside the outermost one
            init(self, *args, **kwargs)
            return
        _constructing.add(key)
        try:
            init(self, *args, **kwargs)
        finally:
            _constructing.discard(key)
        _record_built(self)

    __init__._brainjit_records_state = True
    return __init__


class Base:
    """Base class of every brainjit object that holds Variables or other objects.

    Args:
        name: a unique name; by default the class name and a counter (``LIF0``).
    """

    t = _ModelTime()

    def __init__(self, name: str | None = None):
        object.__setattr__(self, "_name", _unique_name(self, name))

    def __init_subclass__(cls, **kwargs):
        # every constructor records the initial state when the outermost one returns
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _wrap_init(cls.__dict__["__init__"])

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
    def nodes(
        self, method: str | None = None, level: int = -1, include_self: bool = True
    ) -> dict[str, Base]:
        """Every ``Base`` reachable from this object, each once, keyed by its path from
        this object (``'Net0.E'``; found breadth first: the shortest path).

        Args:
            method: BrainPy's key layouts: ``'absolute'`` keys each object by its unique
                name (``'E0'``), ``'relative'`` by its attribute path from this object
                (``''`` for this object, ``'E'``, ``'E.syn'``). ``None`` (brainjit's
                layout): the relative path after this object's name (``'Net0.E'``).
            level: how many attribute levels deep to look (``-1``: all; ``0``: only this
                object; ``1``: its direct children too).
            include_self: whether this object is in the result.

        Raises:
            ValueError: an unknown ``method``.
        """
        _check_method(method)
        found: dict[str, Base] = {}
        seen: set[int] = set()
        queue = deque([("", self, 0)])
        while queue:
            rel, node, depth = queue.popleft()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node is not self or include_self:
                found[_node_key(method, self, rel, node)] = node
            if -1 < level <= depth:
                continue
            for suffix, value in _members(node):
                if isinstance(value, Base) and id(value) not in seen:
                    queue.append((f"{rel}.{suffix}" if rel else suffix, value, depth + 1))
        return found

    def vars(
        self, method: str | None = None, level: int = -1, include_self: bool = True
    ) -> dict[str, object]:
        """Every Variable reachable from this object, each once, keyed by the path of
        the object that holds it and its attribute (``'Net0.E.V'``).

        ``method``, ``level`` and ``include_self`` (whether this object's own Variables
        are included) select the objects as in :meth:`nodes`; with ``'relative'`` this
        object's own Variables are keyed by their attribute alone (``'V'``), as in
        BrainPy.
        """
        found: dict[str, object] = {}
        seen: set[int] = set()
        for path, node in self.nodes(method, level).items():
            if node is self and not include_self:
                continue
            for suffix, value in _members(node):
                if _variable.is_variable(value) and id(value) not in seen:
                    seen.add(id(value))
                    found[f"{path}.{suffix}" if path else suffix] = value
        return found

    def train_vars(
        self, method: str | None = None, level: int = -1, include_self: bool = True
    ) -> dict[str, object]:
        """Every TrainVar reachable from this object, each once (keys and arguments as
        :meth:`vars`)."""
        found = self.vars(method, level, include_self)
        return {k: v for k, v in found.items() if _variable.is_trainvar(v)}

    def ints(
        self, method: str | None = None, level: int = -1, include_self: bool = True
    ) -> dict[str, object]:
        """Every integrator (step function of ``bp.odeint``/``bp.sdeint``) reachable from
        this object, keyed as :meth:`vars` keys Variables (``'Net0.E.integral'``): those
        held in attributes (``self.integral = bp.odeint(f)``, each once) and the
        integrator methods of each object's class (``@bp.odeint`` on a method), bound to
        the object. Arguments as :meth:`vars`.
        """
        found: dict[str, object] = {}
        seen: set[int] = set()
        for path, node in self.nodes(method, level).items():
            if node is self and not include_self:
                continue
            members = list(_members(node))
            own = {suffix for suffix, _ in members}
            for klass in type(node).__mro__:
                for attr, value in vars(klass).items():
                    if attr not in own and _is_integrator(value):
                        own.add(attr)
                        members.append((attr, getattr(node, attr)))
            for suffix, value in members:
                if _is_integrator(value) and id(value) not in seen:
                    if not isinstance(value, types.MethodType):
                        seen.add(id(value))
                    found[f"{path}.{suffix}" if path else suffix] = value
        return found

    # -- reset and checkpoints ---------------------------------------------------------
    def reset_state(self) -> None:
        """Put this object and every object reachable from it back in their initial
        state, and their model time (``model.t``) back to 0.

        Every Variable that is not a ``TrainVar`` gets back the value it had when the
        model was built: the value it held when the outermost constructor of the object
        holding it returned. Building a model records again the state of every part of
        it that has not run yet (model time 0), so values written into a group before
        the network around it was built (``E.V[:] = V0; net = Network(E, ...)``) are
        the ones restored. TrainVars (trained parameters) keep their values, and so
        does the random generator (``bp.math.random.seed`` it again for the same
        noise). Values are written in place (``var.value = ...``): compiled code and
        Runners built on the model keep working, and a deterministic model run again
        from the reset state repeats its first run exactly.

        The initial values are host (NumPy) copies taken when the model is built, so a
        model's state takes twice its memory on the host.

        A class may override ``reset_state`` (to draw new initial values, say); the
        reset of a model calls each reachable object's override once, and restores
        the recorded state of the others. ``super().reset_state()`` in an override
        restores the object's recorded state and resets the objects below it.

        Raises:
            ValueError: a Variable has no recorded initial value (it was created or
                assigned after the object holding it was built, or the object was
                copied rather than constructed); its path is named. Nothing has been
                written then, unless an override had run before.
        """
        done = getattr(_resetting, "done", None)
        outermost = done is None
        if outermost:
            missing = [
                missing
                for path, node in self.nodes().items()
                if node is self or not _overrides_reset(node)
                for missing in _without_initial_state(node, path)
            ]
            if missing:
                raise _missing_initial_error(missing)
            done = _resetting.done = set()
        try:
            done.add(id(self))
            _restore_initial_state(self)
            for node in self.nodes(include_self=False).values():
                if id(node) in done:
                    continue
                done.add(id(node))
                if _overrides_reset(node):
                    node.reset_state()
                else:
                    _restore_initial_state(node)
            if outermost:
                set_model_time(self, 0.0)
        finally:
            if outermost:
                del _resetting.done

    def state_dict(self, random: bool = False) -> dict[str, object]:
        """The state of the model as NumPy arrays: a checkpoint to restore later with
        :meth:`load_state_dict`, here or in another process.

        Keys: every Variable's path as :meth:`vars` writes it (``'Net0.E.V'``; TrainVars
        included), and ``'__time__'``, the model time (a 0-d float64 array, ms). With
        ``random=True`` also the state of the random generator of the model's backend,
        under keys that start with ``'__random_'`` (see :mod:`brainjit.checkpoint`),
        so that a run with noise or Poisson input continues with the same numbers.
        Reserved keys have no dot; Variable paths always have one.

        Values are host copies (device arrays are copied to NumPy).
        """
        from brainjit import checkpoint

        return checkpoint.state_dict(self, random=random)

    def load_state_dict(self, state) -> None:
        """Restore a state from :meth:`state_dict` into this model, in place.

        Each Variable gets its saved value (``var.value = ...``: the same Variables, so
        compiled code and Runners built on the model see the restored state), the
        model time is set (``bp.base.set_model_time``), and the random generator is
        restored if the state has one. Paths are matched below the model's own name,
        so the state of ``Network0`` loads into ``Network3`` built the same way (in
        another process, say).

        Everything is checked before anything is written: a missing or unknown entry, or
        one of the wrong shape or dtype, raises a ValueError that names the paths.
        """
        from brainjit import checkpoint

        checkpoint.load_state_dict(self, state)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


Base.__init__ = _wrap_init(Base.__init__)
