"""The Runner's bookkeeping between and around runs (issue 17): the model's time, the
constants its compiled loop froze, and the state to go back to when a run is interrupted.

- **Time.** The time belongs to the model (``bp.base.model_time``), not to a Runner: a
  run starts at the time of the model's stateful nodes (those that hold Variables),
  which must all agree and be a whole number of the Runner's steps
  (:func:`start_step`); the Runner advances it after every chunk (and every step of a
  per-step run) with ``bp.base.set_model_time``.
- **Constants.** :class:`Fingerprint` records what the compiled loop took as constants:
  every non-Variable attribute of every node (numbers, strings and tuples by value,
  NumPy arrays by identity, dtype, shape and a CRC-32 of their bytes, JAX arrays by
  identity of their current value, other objects by identity) and the driver's own
  (``dt``). Taken once per run, compared at the next: a difference names the
  attributes that changed, and the Runner compiles again. (NumPy arrays are arguments
  of the numpy backend's compiled code, not constants: a change of their contents, or
  another NumPy array in their place, takes effect there without compiling again.)
- **Rollback.** :class:`Snapshot` keeps the state at the start of each chunk (numpy
  backend: a copy of every Variable of the model and of Numba's random generators;
  jax backend: references to the immutable values of the Variables the loop writes,
  the random key included; copies if the loop donates its buffers), so that an
  exception or a KeyboardInterrupt can put state and time back where they agree.
"""

from __future__ import annotations

import ctypes
import math
import sys
import zlib

import numpy as np

from brainjit.base import Base, _members, model_time
from brainjit.math import _variable

__all__ = ["Tree", "start_step", "current_time", "Clock", "Fingerprint", "Snapshot"]

#: Attributes of a node that are bookkeeping, not constants of compiled code.
BOOKKEEPING = frozenset({"_time", "_name"})

_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)


# -- time ------------------------------------------------------------------------------------
class Tree:
    """The nodes of a model (``model.nodes()``) and each node's attributes, found once.

    The tree of objects does not change during a run, and walking it (every attribute
    of every node) is most of a run's fixed cost: a Runner finds it once per run and
    gives it to what needs it (the start time, the constants, the clock, the Variables
    to roll back), instead of each walking the tree again.
    """

    def __init__(self, model: Base):
        self.nodes: dict[str, Base] = model.nodes()
        self.members = {id(node): list(_members(node)) for node in self.nodes.values()}

    def variables(self) -> list:
        """Every Variable reachable from the model, each once, in ``model.vars()``'s
        order."""
        found, seen = [], set()
        for node in self.nodes.values():
            for _, value in self.members[id(node)]:
                if _variable.is_variable(value) and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
        return found


def _stateful_nodes(model: Base, tree: Tree | None = None) -> dict[str, Base]:
    """The nodes reachable from ``model`` that hold a Variable themselves."""
    tree = tree or Tree(model)
    return {
        path: node
        for path, node in tree.nodes.items()
        if any(_variable.is_variable(value) for _, value in tree.members[id(node)])
    }


def current_time(model: Base) -> float:
    """Where a run of ``model`` starts (ms): the time of its stateful nodes when they
    agree (a new container around nodes that ran together takes theirs), else the
    model's own time."""
    times = [model_time(node) for node in _stateful_nodes(model).values()]
    if times and all(math.isclose(t, times[0], rel_tol=1e-9, abs_tol=1e-9) for t in times):
        return times[0]
    return model_time(model)


def start_step(model: Base, dt: float, tree: Tree | None = None) -> int:
    """The step (of ``dt``) at which a run of ``model`` starts: its time / ``dt``
    (``tree``: the model's :class:`Tree`, if found already).

    Raises:
        ValueError: the nodes that hold state have run for different times (they ran in
            different networks), or the time is not a whole number of steps of ``dt``.
    """
    nodes = _stateful_nodes(model, tree)
    by_time: dict[float, list[str]] = {}  # times equal up to rounding (10 * 0.1 == 1.0)
    for path, node in nodes.items():
        t = model_time(node)
        t = next((s for s in by_time if math.isclose(s, t, rel_tol=1e-9, abs_tol=1e-9)), t)
        by_time.setdefault(t, []).append(f"{node.name} ({path})")
    if len(by_time) > 1:
        groups = "; ".join(
            f"t = {t:g} ms: {', '.join(names)}" for t, names in sorted(by_time.items())
        )
        raise ValueError(
            f"Runner: the nodes of {model.name} have run for different times ({groups}). "
            "A model's nodes must share one time: call reset_state() on the model to start "
            "them all again at t = 0, or run them together (in one network) from the start."
        )
    t = next(iter(by_time)) if by_time else model_time(model)
    steps = t / dt
    whole = round(steps)
    if not math.isclose(steps, whole, rel_tol=1e-9, abs_tol=1e-9):
        raise ValueError(
            f"Runner: {model.name} has run up to t = {t:g} ms, which is not a whole number "
            f"of steps of this Runner's dt={dt:g} ms ({steps:.6g} steps). Run it with a dt "
            f"that divides {t:g} ms, or call reset_state() to start again at t = 0."
        )
    return int(whole)


class Clock:
    """Sets the time of ``model`` after each chunk (and each step of a per-step run):
    what ``bp.base.set_model_time`` does, with the nodes found once per run (the tree of
    objects does not change during a run; finding them is most of set_model_time's
    cost, about as much as a step of COBA at N = 4000)."""

    def __init__(self, model: Base, tree: Tree | None = None):
        self.nodes = list((tree or Tree(model)).nodes.values())

    def set(self, t: float) -> None:
        t = float(t)
        for node in self.nodes:
            node.__dict__["_time"] = t


# -- constants -------------------------------------------------------------------------------
def _digest(array: np.ndarray) -> int | None:
    """A fast checksum of an array's bytes (None for object arrays)."""
    if array.dtype.hasobject:
        return None
    data = np.ascontiguousarray(array)
    return zlib.crc32(memoryview(data.reshape(-1)).cast("B"))


def _is_jitted(value) -> bool:
    """A ``bp.math.jit`` function kept as an attribute (the jax backend caches the jitted
    methods of an object in its ``__dict__`` when first used): bookkeeping, whose own
    constants are its business (``recompile()``)."""
    if getattr(value, "__brainjit_jit__", None) is not None:  # numpy backend
        return True
    module = sys.modules.get("brainjit.math._jax.jit")
    return module is not None and isinstance(value, module.JitFunction)


def _jax_array_type():
    module = sys.modules.get("brainjit.math._jax.ndarray")
    return None if module is None else module.JaxArray


class _Constant:
    """One constant: how it is compared, and what to say when it changed."""

    __slots__ = ("kind", "ref", "key")

    def __init__(self, value, jax_array):
        if isinstance(value, _SCALARS):
            self.kind, self.ref, self.key = "value", None, (type(value).__name__, repr(value))
        elif isinstance(value, np.ndarray):
            key = (value.dtype.str, value.shape, _digest(value))
            self.kind, self.ref, self.key = "array", value, key
        elif jax_array is not None and isinstance(value, jax_array):
            self.kind, self.ref, self.key = "jax array", value, value.value  # immutable
        else:
            self.kind, self.ref, self.key = "object", value, None

    def same(self, other: _Constant) -> bool:
        if self.kind != other.kind or self.ref is not other.ref:
            return False
        if self.kind == "jax array":
            return self.key is other.key
        return self.key == other.key

    def change(self, new: _Constant) -> str:
        """How ``self`` became ``new``, in a few words."""
        if self.kind == "value" and new.kind == "value":
            return f"{self.key[1]} -> {new.key[1]}"
        if self.ref is new.ref:
            return "changed in place"
        if self.kind == new.kind == "array":
            return "rebound to another array"
        return "replaced"


class Fingerprint:
    """The constants the compiled loop was built with: every non-Variable attribute of
    every node of the model (``path -> constant``) and of the driver (``dt``)."""

    def __init__(self, model: Base, driver: Base | None, tree: Tree | None = None):
        jax_array = _jax_array_type()
        entries: dict[str, _Constant] = {}
        tree = tree or Tree(model)
        for path, node in tree.nodes.items():
            self._add(entries, path, tree.members[id(node)], jax_array)
        if driver is not None:
            self._add(entries, "the Runner's", _members(driver), jax_array)
        self.entries = entries

    @staticmethod
    def _add(entries, path, members, jax_array) -> None:
        for suffix, value in members:
            if suffix.split(".", 1)[0] in BOOKKEEPING:
                continue
            if _variable.is_variable(value) or isinstance(value, Base) or _is_jitted(value):
                continue
            sep = " " if path == "the Runner's" else "."
            entries[f"{path}{sep}{suffix}"] = _Constant(value, jax_array)

    def changes(self, new: Fingerprint, arrays: bool = True) -> list[str]:
        """What differs from ``new`` (an empty list when nothing does).

        Args:
            arrays: count NumPy arrays changed in place or rebound to other NumPy
                arrays. The numpy backend's compiled code takes them as arguments, so it
                sees their current contents (and ``bp.math.jit`` follows a rebound
                one) without compiling again: the Runner passes False there.
        """
        out = []
        for name, old in self.entries.items():
            current = new.entries.get(name)
            if current is None:
                out.append(f"{name} (removed)")
            elif not old.same(current):
                if not arrays and old.kind == current.kind == "array":
                    continue
                out.append(f"{name} ({old.change(current)})")
        out += [f"{name} (added)" for name in new.entries if name not in self.entries]
        return out


# -- rollback --------------------------------------------------------------------------------
def _numba_random_states() -> list:
    """(pointer, bytes) of Numba's generators of this thread (np.random and random in
    compiled code), each ``rnd_state_t`` copied whole: ``_helperlib.rnd_get_state`` /
    ``rnd_set_state`` keep the Mersenne Twister words but drop the cached second normal
    deviate, so a chunk drawn again after a rollback would not draw the same noise."""
    try:
        from numba import _helperlib
    except ImportError:  # pragma: no cover
        return []
    from brainjit.checkpoint import _NumbaState

    size = ctypes.sizeof(_NumbaState)
    ptrs = (_helperlib.rnd_get_np_state_ptr(), _helperlib.rnd_get_py_state_ptr())
    return [(ptr, ctypes.string_at(ptr, size)) for ptr in ptrs]


class Snapshot:
    """The state at one moment, to go back to: :meth:`restore`.

    Args:
        variables: the Variables to keep.
        backend: ``'numpy'`` (each Variable copied; Numba's random generators saved
            too) or ``'jax'`` (the values are immutable arrays: kept by reference,
            unless ``copy``).
        copy: jax backend: copy the values (the loop donates its buffers to XLA).
    """

    def __init__(self, variables, backend: str, copy: bool = False):
        if backend == "numpy":
            self.saved = [(v, np.array(v, copy=True)) for v in variables]
            self.random = _numba_random_states()
        else:
            import jax.numpy as jnp

            if copy:
                self.saved = [(v, jnp.array(v.value, copy=True)) for v in variables]
            else:
                self.saved = [(v, v.value) for v in variables]
            self.random = []
        self.backend = backend

    def restore(self) -> None:
        """Give every Variable kept its value back (and Numba's generators their state)."""
        if self.backend == "numpy":
            for var, value in self.saved:
                var[...] = value
            for ptr, state in self.random:
                ctypes.memmove(ptr, state, len(state))
        else:
            for var, value in self.saved:
                var.value = value
