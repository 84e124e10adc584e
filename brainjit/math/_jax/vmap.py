"""``bp.math.vmap`` and ``bp.math.pmap``: vectorising functions that use Variables (jax).

The user says which Variables carry a leading batch axis (``batch_vars``); every other
Variable is broadcast: all lanes read the same value. Inside, each lane runs the
function with the batched Variables' values swapped for that lane's slices (under
:func:`jax.vmap`, or :func:`jax.pmap` over devices) while a :class:`_LaneTrace` listens
to the Variables' reads and writes, as ``bp.math.jit`` does:

- what the function writes into a batched Variable comes out of the map stacked, and is
  stored after the call: each lane keeps its own update;
- a write into a broadcast Variable raises :class:`JitStateError` (its lanes would
  disagree), naming it and saying to list it in ``batch_vars``;
- a random generator (``bp.math.random.DEFAULT``, any ``RandomState``) that the function
  draws from and that is not in ``batch_vars`` gets a key per lane: the key is split in
  two, the lanes draw from ``fold_in(second half, lane index)``, and the generator moves
  on to the first half after the call. So the lanes' draws differ, and the next call
  draws new numbers.

Everything the lanes did to state is undone at their end (a tracer never stays in a
Variable), also when the function raises; the new values are then stored. The maps
compose with ``bp.math.jit`` (either way round), ``grad`` and each other.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from brainjit.math._jax import _trace, autograph
from brainjit.math._jax import random as _random
from brainjit.math._jax.jit import (
    JitStateError,
    _control_flow_error,
    _input_leaf,
    _is_array,
    _output_leaf,
    _state_value,
    describe,
)
from brainjit.math._jax.ndarray import JaxArray, Variable
from brainjit.math._spellings import check_dyn_vars

__all__ = ["vmap", "pmap", "VmapFunction"]


try:  # make values in a given JAX trace (JAX >= 0.4.36)
    from jax._src.core import set_current_trace as _in_trace
except ImportError:  # pragma: no cover
    import contextlib

    def _in_trace(trace):
        return contextlib.nullcontext()


def _is_key(var) -> bool:
    return isinstance(var, _random.RandomState)


def _plain(x):
    return x.value if isinstance(x, JaxArray) else x


class _LaneTrace(_trace.StateTrace):
    """The state of one traced lane: batched Variables may be written, random keys are
    split per lane, broadcast Variables are read only."""

    __slots__ = ("batched", "lane", "keys", "where")

    def __init__(self, batched: set[int], lane, where: str) -> None:
        super().__init__()
        self.batched = batched
        self.lane = lane  # this lane's index (traced)
        self.keys: dict[int, tuple] = {}  # id -> (generator, key before the call)
        self.where = where

    def _lane_key(self, var) -> None:
        before = var._value
        self.keys[id(var)] = (var, before)
        # computed in the lane's trace, also when first read inside a nested jit's trace
        with _in_trace(self.jax_trace):
            var._value = jax.random.fold_in(jax.random.split(before)[1], self.lane)

    def on_read(self, var) -> None:
        key = id(var)
        first = key not in self.touched and key not in self.local
        super().on_read(var)  # remembers the value before
        if first and key not in self.batched and _is_key(var):
            self._lane_key(var)

    def on_write(self, var) -> None:
        key = id(var)
        if key in self.local or key in self.batched:
            super().on_write(var)
            return
        if _is_key(var):  # the lanes' keys: thrown away, the generator moves on after
            if key not in self.touched:
                super().on_write(var)
                self.keys[key] = (var, var._value)
            return
        raise JitStateError(
            f"{self.where} writes {describe(var)}, which is broadcast (all lanes share it, "
            "so their new values would disagree). List it in batch_vars (with a leading "
            "batch axis: one value per lane) to give every lane its own value, or write it "
            "outside the mapped function."
        )


def _batch_variables(batch_vars, where: str) -> list:
    """The Variables of ``batch_vars`` (a Variable, or a list, tuple or dict of them)."""
    if batch_vars is None:
        return []
    if isinstance(batch_vars, Variable):
        return [batch_vars]
    if not isinstance(batch_vars, (list, tuple, dict)) and hasattr(batch_vars, "items"):
        batch_vars = dict(batch_vars.items())  # a collection of Variables by name
    leaves = jax.tree_util.tree_leaves(batch_vars, is_leaf=_is_array)
    for leaf in leaves:
        if not isinstance(leaf, Variable):
            hint = (
                " (state with one value per lane must be a bp.math.Variable: bp.math.Variable(x))"
                if hasattr(leaf, "shape")
                else ""
            )
            raise TypeError(
                f"{where}(batch_vars=...) takes Variables (a Variable, or a list, tuple or "
                f"dict of them, such as model.vars()); found a {type(leaf).__name__}{hint}."
            )
    return leaves


def _batch_size(in_axes, args, kwargs, batch_values, axis_size, where):
    """The number of lanes: from the mapped arguments, the batched Variables or
    ``axis_size``; all must agree."""
    sizes = []

    def collect(axis, sub):
        if axis is None:
            return
        for leaf in jax.tree_util.tree_leaves(sub):
            shape = jnp.shape(leaf)
            if len(shape) > (axis if axis >= 0 else -axis - 1):
                sizes.append(shape[axis])

    try:
        jax.tree_util.tree_map(collect, in_axes, tuple(args), is_leaf=lambda x: x is None)
    except ValueError as err:
        raise ValueError(
            f"{where}: in_axes={in_axes!r} does not match the {len(args)} positional "
            "argument(s) (an int or None for all, or a tuple with one entry per argument)."
        ) from err
    collect(0, kwargs)
    for value in batch_values:
        sizes.append(jnp.shape(value)[0] if jnp.ndim(value) else None)
    if axis_size is not None:
        sizes.append(axis_size)
    known = [s for s in sizes if s is not None]
    if not known:
        raise ValueError(
            f"{where}: nothing is mapped (no argument with an axis in in_axes, no batched "
            "Variable); pass axis_size= to say how many lanes."
        )
    if None in sizes or len(set(known)) > 1:
        raise ValueError(
            f"{where}: the mapped arguments and batch_vars disagree on the number of lanes "
            f"(sizes {sizes}); every batched Variable needs a leading axis of that size."
        )
    return known[0]


class VmapFunction:
    """A function mapped over lanes (made by :func:`vmap` or :func:`pmap`); call it as
    the original, with batched arguments."""

    def __init__(self, func, in_axes, out_axes, batch_vars, axis_name, axis_size, mode, options):
        if not callable(func):
            raise TypeError(
                f"bp.math.{mode}() expects a function, a bound method or a callable object, "
                f"got {type(func).__name__}"
            )
        self._func = func
        self._mode = mode
        self._name = getattr(func, "__qualname__", None) or type(func).__name__
        self._batch = []
        seen = set()
        for var in _batch_variables(batch_vars, f"bp.math.{mode}"):
            if id(var) not in seen:
                seen.add(id(var))
                self._batch.append(var)
        self._in_axes = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        self._out_axes = tuple(out_axes) if isinstance(out_axes, list) else out_axes
        self._axis_name = axis_name
        self._axis_size = axis_size
        self._options = options
        functools.update_wrapper(self, func, updated=())

    def __call__(self, *args, **kwargs):
        with _trace.LOCK:  # the lanes put tracers into Variables: not for other threads
            return self._call(args, kwargs)

    def _call(self, args, kwargs):
        where = f"bp.math.{self._mode}({self._name})"
        bvars = self._batch
        bvalues = [var.value for var in bvars]  # reads, seen by an enclosing jit
        args = tuple(a._value if type(a) is JaxArray else a for a in args)
        kwargs = {k: a._value if type(a) is JaxArray else a for k, a in kwargs.items()}
        n = _batch_size(self._in_axes, args, kwargs, bvalues, self._axis_size, where)
        batched = {id(v) for v in bvars}
        written: list = []
        keys: dict[int, tuple] = {}

        def lane(args, kwargs, values, index):
            trace = _LaneTrace(batched, index, where)
            for var in bvars:
                trace.adopt(var)
            _trace.push(trace)
            try:
                for var, value in zip(bvars, values):
                    var._value = value
                args = jax.tree_util.tree_map(_input_leaf, args, is_leaf=_is_array)
                kwargs = jax.tree_util.tree_map(_input_leaf, kwargs, is_leaf=_is_array)
                arg_vars = [
                    (leaf, leaf._value)
                    for leaf in jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_array)
                    if isinstance(leaf, Variable)
                ]
                for var, _ in arg_vars:  # the lane's copies (jax's), not state
                    _trace.mark_local(var)
                try:
                    out = autograph.convert_callable(self._func)(*args, **kwargs)
                except (
                    jax.errors.ConcretizationTypeError,
                    jax.errors.TracerIntegerConversionError,
                ) as err:
                    raise _control_flow_error(err, where, []) from None
                del args, kwargs
                if any(var._value is not before for var, before in arg_vars):
                    raise JitStateError(
                        f"{where} writes a Variable passed to it as an argument: each lane "
                        "has its own copy of it, which is lost after the call. Let the "
                        "function reach the Variable itself (self, a closure) and list it in "
                        "batch_vars, or return the new value."
                    )
                del arg_vars
                out = jax.tree_util.tree_map(_plain, out, is_leaf=_is_array)
                escaped = trace.escaped()
                if escaped:
                    with jax.ensure_compile_time_eval():
                        for var in escaped:
                            var._value = jnp.zeros(var._value.shape, var._value.dtype)
                    raise JitStateError(
                        f"{where}: "
                        + ", ".join(map(describe, escaped))
                        + " was created inside the mapped function and is still referenced "
                        "after it; create Variables outside (e.g. in __init__). (Its value "
                        "was reset to zeros.)"
                    )
                written[:] = [v for k, v in trace.written.items() if k in batched]
                new_values = [_state_value(var) for var in written]
                keys.update(trace.keys)
            finally:
                _trace.pop(trace)
                arrays = trace.restore_arrays()
                trace.restore()
            if arrays:
                raise _trace.array_write_error(where, arrays)
            return out, new_values

        in_axes = (self._in_axes, 0, 0, 0)
        out_axes = (self._out_axes, 0)
        index = jnp.arange(n)
        if self._mode == "vmap":
            mapped = jax.vmap(
                lane,
                in_axes=in_axes,
                out_axes=out_axes,
                axis_name=self._axis_name,
                axis_size=n,
                **self._options,
            )
        else:
            devices = self._options.get("devices")
            available = len(devices) if devices is not None else jax.local_device_count()
            if n > available:
                raise ValueError(
                    f"{where}: {n} lanes but {available} device(s): bp.math.pmap maps one "
                    "lane per device. On a CPU, start JAX with "
                    "XLA_FLAGS=--xla_force_host_platform_device_count=N to simulate N "
                    "devices; or use bp.math.vmap (any number of lanes on one device)."
                )
            mapped = jax.pmap(
                lane,
                axis_name=self._axis_name,
                in_axes=in_axes,
                out_axes=out_axes,
                **self._options,
            )
        out, new_values = mapped(args, kwargs, bvalues, index)
        for var, value in zip(written, new_values):
            var.value = value  # each lane's write persists (seen by an enclosing jit)
        for var, before in keys.values():
            var.value = jax.random.split(before)[0]  # the generator moves on
        return jax.tree_util.tree_map(_output_leaf, out)

    def __repr__(self) -> str:
        return f"<bp.math.{self._mode} of {self._name}>"


def _batched_option(batch_vars, batched_vars, mode):
    if batched_vars is not None:
        if batch_vars is not None:
            raise TypeError(f"bp.math.{mode}(): pass batch_vars or batched_vars, not both")
        return batched_vars
    return batch_vars


def vmap(
    func=None,
    in_axes=0,
    out_axes=0,
    batch_vars=None,
    *,
    axis_name=None,
    axis_size=None,
    dyn_vars=None,
    batched_vars=None,
    spmd_axis_name=None,
):
    """Vectorise a function, bound method or object that reads and writes Variables
    over a batch axis (jax backend; :func:`jax.vmap` carrying Variables).

    Args:
        func: the function, bound method, callable object or jitted function to map.
        in_axes: the axis of each positional argument that is mapped (an int, None
            for an argument every lane shares, or a tuple with one entry per argument),
            as :func:`jax.vmap`; keyword arguments are mapped over axis 0.
        out_axes: where the batch axis goes in the outputs, as :func:`jax.vmap`.
        batch_vars: the Variables that carry a leading batch axis, one value per lane
            (a Variable, or a list, tuple or dict of them, ``model.vars()``). What the
            lanes write into them persists, lane by lane. Every other Variable is
            broadcast: the lanes read it, and writing it raises an error. A random
            generator that is not listed gets a key per lane (the lanes draw different
            numbers; the generator moves on). ``batched_vars`` is BrainPy's spelling.
        axis_name: a name for the batch axis (for collectives such as ``jax.lax.psum``).
        axis_size: the number of lanes, needed only when nothing is mapped.
        dyn_vars: BrainPy's list of the Variables the function uses: optional, checked.
        spmd_axis_name: passed to :func:`jax.vmap`.

    Returns:
        a :class:`VmapFunction`, called like ``func``.

    >>> v = bp.math.Variable(bp.math.zeros((4, 3)))  # one row per lane
    >>> def step(x):
    ...     v.value = v + x
    ...     return v.sum()
    >>> bp.math.vmap(step, batch_vars=v)(bp.math.ones((4, 3)))   # [3., 3., 3., 3.]
    """
    batch_vars = _batched_option(batch_vars, batched_vars, "vmap")
    if func is None:
        return lambda f: vmap(
            f,
            in_axes,
            out_axes,
            batch_vars,
            axis_name=axis_name,
            axis_size=axis_size,
            dyn_vars=dyn_vars,
            spmd_axis_name=spmd_axis_name,
        )
    check_dyn_vars(dyn_vars, "bp.math.vmap")
    options = {"spmd_axis_name": spmd_axis_name} if spmd_axis_name is not None else {}
    return VmapFunction(func, in_axes, out_axes, batch_vars, axis_name, axis_size, "vmap", options)


def pmap(
    func=None,
    axis_name=None,
    in_axes=0,
    out_axes=0,
    batch_vars=None,
    *,
    dyn_vars=None,
    batched_vars=None,
    devices=None,
    backend=None,
):
    """Map a function that reads and writes Variables over devices, one lane per device
    (jax backend; :func:`jax.pmap` carrying Variables, with :func:`vmap`'s semantics).

    The mapped axis must not be longer than the number of devices
    (``jax.local_device_count()``). On a CPU there is one device unless JAX is started
    with ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (set before JAX is
    imported), which simulates N. Called eagerly it compiles on every call; wrap the
    caller in ``bp.math.jit`` to compile once.

    Args:
        func: the function, bound method, callable object or jitted function to map.
        axis_name: a name for the mapped axis (for ``jax.lax.psum`` and the like).
        in_axes: as :func:`vmap`.
        out_axes: as :func:`vmap`.
        batch_vars: as :func:`vmap`: Variables with a leading axis, one value per device.
        dyn_vars: BrainPy's list of the Variables the function uses: optional, checked.
        devices: the devices to use (as :func:`jax.pmap`).
        backend: the XLA backend (as :func:`jax.pmap`).

    Returns:
        a :class:`VmapFunction`, called like ``func``.
    """
    batch_vars = _batched_option(batch_vars, batched_vars, "pmap")
    if func is None:
        return lambda f: pmap(
            f,
            axis_name,
            in_axes,
            out_axes,
            batch_vars,
            dyn_vars=dyn_vars,
            devices=devices,
            backend=backend,
        )
    check_dyn_vars(dyn_vars, "bp.math.pmap")
    options = {k: v for k, v in (("devices", devices), ("backend", backend)) if v is not None}
    return VmapFunction(func, in_axes, out_axes, batch_vars, axis_name, None, "pmap", options)
