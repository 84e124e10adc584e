"""``bp.Runner``: runs a model's ``update(t, dt)`` over time, compiled as one loop.

The whole time loop is compiled once: the Runner generates a small driver object (see
:mod:`brainjit.running._codegen`) whose ``loop(g0, k0, c0, n)`` method is a native Python
``for`` loop over ``n`` steps -- apply the inputs, call ``model.update(t, dt)``, write the
monitored Variables into preallocated buffers -- and compiles it with ``bp.math.jit``.
On the numpy backend the rewriter and Numba compile the loop together with every
``update`` it reaches; on the jax backend the loop becomes a ``lax.fori_loop``. The same
public machinery, the same driver, on both backends.

A run is cut into chunks of steps (one compiled call each): the progress bar advances
per chunk, the monitor buffers hold one chunk of records (copied into the NumPy results
after each chunk) and 'iter' inputs are fed one chunk at a time, so a long run does not
need its whole monitor memory inside the compiled code.

Between and around runs (:mod:`brainjit.running._lifecycle`): a run starts at the
model's time and advances it after every chunk; it compiles again when a constant of
the loop changed since it was compiled; and a chunk that does not complete (an
exception, a KeyboardInterrupt) is rolled back, so that state and time always agree.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import warnings

import numpy as np

import brainjit.math as bm
from brainjit.base import Base
from brainjit.running import _codegen, _lifecycle, _sharding, _spikes
from brainjit.running._specs import check_dt, parse_inputs, parse_monitors
from brainjit.running.monitors import Monitors, keep_records

__all__ = ["Runner", "Monitors", "RecompileWarning"]


class RecompileWarning(UserWarning):
    """A ``Runner.run`` compiles its loop again because a constant of the model changed
    since the last compilation (a parameter such as ``group.V_th``, an array changed in
    place or rebound, the Runner's ``dt``). Informational: the new value takes effect.
    Silence it with ``warnings.simplefilter('ignore', bp.running.RecompileWarning)``."""


_CHUNK_MEMORY = 64 * 2**20  # bytes of monitor and input buffers in one compiled call
_CHUNKS = 100  # a run is cut into about this many chunks (progress bar updates) ...
_MIN_CHUNK = 500  # ... of at least this many steps (fewer calls on short runs)


class Runner:
    """Run a model over time with monitors and inputs, the whole loop compiled once.

    Args:
        model: a ``bp.Base`` (a ``bp.dyn.DynamicalSystem``, a ``Network``) whose
            ``update(t, dt)`` advances it by one step of ``dt`` ms at time ``t``.
        monitors: what to record after every step (or every ``monitor_every`` steps):
            a list of Variable paths relative to the model (``['E.spike', 'E.V']``),
            items of which may be ``(path, indices)`` to record only those indices of
            the first axis, or a dict ``{name: path}`` / ``{name: (path, indices)}``.
        inputs: added to Variables before each step: ``(path, value)``,
            ``(path, value, type)`` or ``(path, value, type, op)``. ``type`` is
            ``'fix'`` (default: a number or an array broadcastable to the Variable,
            the same every step) or ``'iter'`` (an array whose first axis is time:
            one entry per step of the run); ``op`` is ``'+'`` (default), ``'-'``,
            ``'*'``, ``'/'`` or ``'='``. One tuple alone is accepted too.
        dt: the time step in ms (> 0).
        progress_bar: show a tqdm progress bar during ``run``.
        monitor_every: record every this many steps (the first step is recorded). A
            boolean monitor (spikes) loses nothing: its record says whether the neuron
            spiked in any step since the previous record, and ``mon.spike_events(name)``
            gives every spike (see :class:`Monitors`).
        jit_options: passed to ``bp.math.jit`` when compiling the loop: on the numpy
            backend Numba's options (``cache=True`` keeps the compiled code on disk for
            the next process, ``fastmath``, ...); on the jax backend ``donate=True``
            lets XLA reuse the state's buffers (Numba's options are ignored there).
        devices: jax backend: partition the network over these devices (a list, e.g.
            ``jax.devices()``, which across ``jax.distributed`` processes lists every
            process's devices): each device holds one block of consecutive neurons of
            every group, and the synapses onto them; only spikes are exchanged. Every
            group's size must be a multiple of the number of devices. See
            ``docs/scaling.md``.
        mesh: instead of ``devices``, a ``jax.sharding.Mesh``: the neurons are split over
            all of its devices (all its axes together).

    After ``run(duration)``: ``runner.mon`` holds the records of that run as NumPy
    arrays (time axis first) and ``runner.mon.ts`` their times; ``runner.build_time``
    is the time spent compiling (seconds, all runs), ``runner.run_time`` the wall time
    of the last run without compilation; ``runner.t`` the current time. A second
    ``run`` continues from the current time and state, and replaces ``runner.mon``.

    The life of a simulation:

    - **The time belongs to the model** (``model.t``, ``bp.base.model_time``), not to
      the Runner: a run starts at the model's time and advances it after every chunk
      (every step of a per-step run), so a second Runner on a model that has run
      (warm-up, then a Runner with monitors) continues where the first one ended, its
      ``mon.ts`` included. The nodes that hold state must share one time (a group
      that ran in another network is refused: ``reset_state()`` or run them
      together), a whole number of steps of ``dt``.
    - **Parameters changed between runs take effect**: each ``run`` compares the
      attributes of the model's nodes that are not Variables (numbers, strings,
      tuples, arrays changed in place or rebound) and the Runner's ``dt`` with those
      the loop was compiled with, and compiles again if one changed, with one
      :class:`RecompileWarning` that names it. A run that changes nothing compiles
      nothing (the comparison costs well under a millisecond for COBA at N = 4000).
      (On the numpy backend NumPy arrays are arguments of the compiled code: a change
      of their contents takes effect without compiling again, and without warning.)
    - **An interrupted run leaves a consistent simulation**: on any exception or
      KeyboardInterrupt during ``run`` (chunked or per step) the Variables go back to
      their values at the start of the chunk that did not complete (numpy backend:
      a copy made at each chunk's start, Numba's random generators included; jax
      backend: the values themselves, the random key included), the model's time to
      that chunk's start, and ``runner.mon`` holds the records of the steps before it
      (``mon.ts`` says which); then the exception goes on. Running on gives what an
      uninterrupted run gives.

    Everything is checked before anything is compiled: unknown monitor or input
    targets, inputs of the wrong shape or length, ``dt <= 0``, ``duration <= 0``.
    """

    # False: boolean monitors sampled every monitor_every steps like the others (spikes
    # between records lost, no spike events), as before spike events; for benchmarks only
    _spike_events = True

    def __init__(
        self,
        model,
        monitors=None,
        inputs=(),
        dt: float = 0.1,
        progress_bar: bool = True,
        monitor_every: int = 1,
        jit_options: dict | None = None,
        devices=None,
        mesh=None,
    ):
        if not isinstance(model, Base):
            raise TypeError(
                f"Runner: model must be a bp.Base (a DynamicalSystem or a Network), got "
                f"{type(model).__name__}: {model!r}"
            )
        if not callable(getattr(model, "update", None)):
            raise TypeError(f"Runner: {model!r} has no update(t, dt) method")
        self.model = model
        self.dt = dt  # checked (see the property)
        if isinstance(monitor_every, bool) or not isinstance(monitor_every, numbers.Integral):
            raise TypeError(f"Runner: monitor_every must be an int >= 1, got {monitor_every!r}")
        if monitor_every < 1:
            raise ValueError(f"Runner: monitor_every must be >= 1, got {monitor_every}")
        self.monitor_every = int(monitor_every)
        self.progress_bar = bool(progress_bar)
        if jit_options is not None and not isinstance(jit_options, dict):
            raise TypeError(f"Runner: jit_options must be a dict, got {jit_options!r}")
        self.jit_options = dict(jit_options or {})
        self.backend = bm.get_backend_name()
        partition = _sharding.make_partition(self.backend, devices, mesh)
        self._placement = _sharding.Placement(model, partition) if partition else None
        variable_type = bm.Variable
        self._monitors = parse_monitors(model, monitors, variable_type)
        for m in self._monitors:  # spikes as bits: by the compiled loop (numpy backend) ...
            m.packed = m.dtype == bool and m.record_shape != () and self.backend == "numpy"
            # spikes written at every step whatever monitor_every: on the host each chunk
            # gives spike events and records OR-accumulated since the previous record
            m.every_step = m.dtype == bool and self._spike_events
        self._spike_carry: dict[str, tuple | None] = {}  # spikes since the last record
        # ... or on the host after each chunk (jax: XLA's packbits in the loop cost COBA at
        # N = 64,000 on the CPU 185 µs per step, the boolean records 75 µs)
        self._inputs = parse_inputs(model, inputs, variable_type)
        self.mon = Monitors()
        self.build_time = 0.0
        self.run_time = 0.0
        self._steps = 0  # during a run: the model's time in steps of dt (see run())
        self._fingerprint = None  # the constants the loop was compiled with
        self._driver = None
        self._loop = None
        self._capacity = 0  # steps one chunk can hold with the current buffers
        self._compiled = False

    # -- public --------------------------------------------------------------------------
    @property
    def t(self) -> float:
        """The current time (ms): the model's time (``model.t``), where the next run
        starts. It belongs to the model, not to the Runner: every Runner of the model
        reads the same clock, and ``reset_state()`` sets it back to 0."""
        return _lifecycle.current_time(self.model)

    @property
    def dt(self) -> float:
        """The time step (ms). May be changed between runs: the next run compiles the
        loop again for it (with a :class:`RecompileWarning`)."""
        return self._dt

    @dt.setter
    def dt(self, value) -> None:
        dt = check_dt(value)
        for node in self.model.nodes().values():  # e.g. a delay counted in steps of its dt
            check = getattr(node, "check_dt", None)
            if callable(check):
                check(dt)
        self._dt = dt

    def run(self, duration: float, per_step: bool = False, progress_bar: bool | None = None):
        """Advance the model by ``duration`` ms and record the monitors.

        Args:
            duration: how long to run, in ms (> 0; rounded to a whole number of steps).
            per_step: debugging path: loop in Python, calling the compiled loop for one
                step at a time (the same compiled code, one call per step); the model's
                time advances after every step.
            progress_bar: overrides the Runner's setting for this run.

        Returns:
            ``runner.mon``.

        Raises:
            ValueError: the model's stateful nodes have run for different times, or
                their time is not a whole number of steps of ``dt``.

        The run starts at the model's time; if a constant of the compiled loop changed
        since it was compiled, the loop is compiled again first (one
        :class:`RecompileWarning`). If the run is interrupted (an exception, a
        KeyboardInterrupt), the state and time are those at the start of the chunk
        that did not complete, ``runner.mon`` the records before it, and the exception
        is raised again.
        """
        n = self._check_duration(duration)
        for spec in self._inputs:
            if spec.kind == "iter" and len(spec.value) != n:
                raise ValueError(
                    f"Runner: the 'iter' input to {spec.path!r} has {len(spec.value)} values "
                    f"along its first axis, but the run of {duration} ms with dt={self.dt} "
                    f"has {n} steps (one value per step)"
                )
        show = self.progress_bar if progress_bar is None else bool(progress_bar)
        with bm.backend(self.backend), self._partitioned():
            tree = _lifecycle.Tree(self.model)  # the model's nodes, found once per run
            self._steps = _lifecycle.start_step(self.model, self.dt, tree)  # the model's time
            chunk, compiled = self._prepare(n, tree)
            if compiled:  # (compiling may have added to the nodes)
                tree = _lifecycle.Tree(self.model)
            return self._run(n, chunk, per_step, show, tree)

    # -- checks ----------------------------------------------------------------------------
    def _check_duration(self, duration) -> int:
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real):
            raise TypeError(f"Runner.run: duration must be a number of ms, got {duration!r}")
        duration = float(duration)
        if not math.isfinite(duration) or duration <= 0:
            raise ValueError(f"Runner.run: duration must be > 0 ms, got {duration}")
        n = int(round(duration / self.dt))
        if n < 1:
            raise ValueError(
                f"Runner.run: duration {duration} ms is shorter than one step (dt={self.dt} ms)"
            )
        return n

    # -- building --------------------------------------------------------------------------
    def _chunk_steps(self, n: int) -> int:
        """Steps per compiled call for a run of ``n`` steps (a multiple of every)."""
        every = self.monitor_every
        steps = max(math.ceil(n / _CHUNKS), min(n, _MIN_CHUNK))
        size = lambda m: m.buffer_record[1].itemsize * math.prod(m.buffer_record[0])  # noqa: E731
        per_record = sum(size(m) for m in self._monitors if not m.every_step)  # bytes
        per_step = sum(
            np.dtype(s.var.dtype).itemsize * math.prod(s.var.shape)
            for s in self._inputs
            if s.kind == "iter"
        ) + sum(size(m) for m in self._monitors if m.every_step)
        budget = _CHUNK_MEMORY / max(per_record / every + per_step, 1)
        steps = min(steps, max(int(budget), 1))
        return max(every, math.ceil(steps / every) * every)

    def _prepare(self, n: int, tree: _lifecycle.Tree | None = None) -> tuple[int, bool]:
        """Build the driver and buffers if needed, compile; return the chunk size and
        whether it compiled."""
        chunk = self._chunk_steps(n)
        if self._driver is None:
            self._build_driver()
            tree = None  # (building the driver may have added to the nodes: walk again)
        elif self._driver.dt != self.dt:
            self._driver.dt = self.dt  # a changed constant (noticed below)
        self._check_constants(tree)
        compiled = not self._compiled
        if chunk > self._capacity:
            self._allocate(chunk)
        if self._placement is not None:  # (again: values set since are placed too)
            self._placement.place(self._driver, self._buffers())
        if not self._compiled:
            start = time.perf_counter()
            if self._loop is None:
                self._loop = bm.jit(self._driver.loop, **self.jit_options)
            self._loop(self._steps, 0, 0, 0)  # compiles; runs no step
            self._block()
            self.build_time += time.perf_counter() - start
            self._compiled = True
        return chunk, compiled

    def _check_constants(self, tree: _lifecycle.Tree | None = None) -> None:
        """Compile again if a constant of the compiled loop changed since it was compiled.

        The loop takes every attribute of the model's nodes that is not a Variable as a
        compile-time constant (``bp.math.jit``'s semantics): a parameter set between
        runs (``group.V_th = 15.``, ``syn.weight = 3.``, ``group.tau[:] = 100.``, an
        array rebound, ``runner.dt``) would otherwise be ignored, or seen by one backend
        and not the other. Once per run, never per step: the attributes are compared
        with those the loop was compiled with (:class:`_lifecycle.Fingerprint`: numbers
        by value, arrays by identity and a CRC-32 of their bytes); a difference gives
        one :class:`RecompileWarning` naming the attributes, and the loop is compiled
        again. A run that changes nothing compiles nothing. On the numpy backend NumPy
        arrays are arguments of the compiled code, so a change of their contents (or
        another array in their place) takes effect without compiling again."""
        fingerprint = _lifecycle.Fingerprint(self.model, self._driver, tree)
        if self._loop is not None and self._fingerprint is not None:
            changes = self._fingerprint.changes(fingerprint, arrays=self.backend != "numpy")
            if changes:
                shown = ", ".join(changes[:6])
                if len(changes) > 6:
                    shown += f" and {len(changes) - 6} more"
                warnings.warn(
                    f"Runner: compiling the loop of {self.model.name} again: a constant "
                    f"it was compiled with changed: {shown}",
                    RecompileWarning,
                    stacklevel=4,
                )
                start = time.perf_counter()
                self._loop.recompile()  # (the numpy backend rewrites the code here)
                self.build_time += time.perf_counter() - start
                self._compiled = False
        self._fingerprint = fingerprint

    def _build_driver(self) -> None:
        layout_in = [_codegen.InputLayout(s.kind, s.op) for s in self._inputs]
        layout_mon = [
            _codegen.MonitorLayout(
                m.indices is not None, len(m.var.shape) == 0, m.packed, m.every_step
            )
            for m in self._monitors
        ]
        source = _codegen.driver_source(layout_in, layout_mon, self.monitor_every)
        driver = _codegen.load_driver_class(source)()
        driver.dt = self.dt
        driver.model = self.model
        for i, spec in enumerate(self._inputs):
            setattr(driver, f"in_tgt{i}", spec.var)
            if spec.kind == "fix":
                if isinstance(spec.value, np.ndarray):
                    full = np.broadcast_to(spec.value, spec.var.shape).astype(spec.var.dtype)
                    setattr(driver, f"in_val{i}", bm.Variable(bm.asarray(full)))
                else:
                    setattr(driver, f"in_val{i}", spec.value)
        for i, m in enumerate(self._monitors):
            setattr(driver, f"src{i}", m.var)
            if m.indices is not None:
                setattr(driver, f"idx{i}", m.indices)
        self._driver = driver

    def _allocate(self, chunk: int) -> None:
        """Buffers for chunks of ``chunk`` steps (changing shapes: compile again)."""
        records = math.ceil(chunk / self.monitor_every)
        for i, m in enumerate(self._monitors):
            shape, dtype = m.buffer_record
            rows = chunk if m.every_step else records
            buf = bm.Variable(bm.zeros((rows,) + shape, dtype=dtype))
            setattr(self._driver, f"mon{i}", buf)
        for i, spec in enumerate(self._inputs):
            if spec.kind == "iter":
                shape = (chunk,) + tuple(spec.var.shape)
                buf = bm.Variable(bm.zeros(shape, dtype=np.dtype(spec.var.dtype)))
                setattr(self._driver, f"in_val{i}", buf)
        self._capacity = chunk
        self._compiled = False

    def _partitioned(self):
        """The partition of ``devices=``/``mesh=`` active (event_matvec by block)."""
        if self._placement is None:
            return contextlib.nullcontext()
        from brainjit.math._jax import sharding

        return sharding.activate(self._placement.partition)

    def _buffers(self) -> list:
        """The monitor and 'iter' input buffers (time first)."""
        names = [f"mon{i}" for i in range(len(self._monitors))]
        names += [f"in_val{i}" for i, s in enumerate(self._inputs) if s.kind == "iter"]
        return [getattr(self._driver, name) for name in names]

    def _host(self, value) -> np.ndarray:
        """A value of the compiled loop as a NumPy array (gathered across processes)."""
        if self._placement is None:
            return np.asarray(value)
        return self._placement.to_host(value)

    def _block(self) -> None:
        """Wait for asynchronous (jax) computations to finish."""
        if self.backend == "numpy":
            return  # nothing runs asynchronously
        for var in self._driver.vars().values():
            ready = getattr(var.value, "block_until_ready", None)
            if ready is not None:
                ready()
                return

    # -- running ---------------------------------------------------------------------------
    def _run(self, n: int, chunk: int, per_step: bool, show: bool, tree=None) -> Monitors:
        every = self.monitor_every
        first = self._steps
        recorded = np.arange(0, n, every)
        mon = Monitors()
        records = {}  # name -> the array the records go to (bits for booleans)
        for m in self._monitors:
            if m.dtype == bool:
                size = math.prod(m.record_shape)
                records[m.name] = np.empty((len(recorded), (size + 7) // 8), np.uint8)
                mon._set_bits(m.name, records[m.name], m.record_shape)
            else:
                records[m.name] = mon[m.name] = np.empty(
                    (len(recorded),) + m.record_shape, dtype=m.dtype
                )
        mon.ts = (first + recorded) * self.dt
        mon._step_time = lambda k, dt=self.dt: (first + k) * dt  # an event's time, as ts
        spikes = {  # (the carry: the spikes since the last record, if this run continues)
            m.name: _spikes.SpikeRecorder(
                m.var.shape, m.indices, m.packed, every, first, self._spike_carry.get(m.name)
            )
            for m in self._monitors
            if m.every_step
        }
        bufs = [getattr(self._driver, f"mon{i}") for i in range(len(self._monitors))]
        iters = [
            (getattr(self._driver, f"in_val{i}"), spec)
            for i, spec in enumerate(self._inputs)
            if spec.kind == "iter"
        ]
        loop = self._loop
        bar = _progress_bar(n, show, self.model)
        start = time.perf_counter()
        done, snapshot = 0, None  # steps of this run whose state (and records) are kept
        state = self._state_variables(tree)
        clock = _lifecycle.Clock(self.model, tree)
        copy = self.backend == "jax" and bool(self.jit_options.get("donate"))
        try:
            for k0 in range(0, n, chunk):
                steps = min(chunk, n - k0)
                snapshot = _lifecycle.Snapshot(state, self.backend, copy)  # chunk's start
                for buf, spec in iters:
                    values = spec.value[k0 : k0 + steps].astype(buf.dtype, copy=False)
                    values = np.broadcast_to(values, (steps,) + buf.shape[1:])
                    if self._placement is None:
                        buf[:steps] = bm.asarray(values)
                    else:  # a global array, split like the state
                        self._placement.fill(buf, values)
                if per_step:
                    for i in range(steps):
                        loop(self._steps + i, k0 + i, k0, 1)
                        clock.set((self._steps + i + 1) * self.dt)
                else:
                    loop(self._steps, k0, k0, steps)
                if not bufs:
                    self._block()  # (with monitors, copying the records waits)
                if bufs:
                    r0, r1 = k0 // every, (k0 + steps + every - 1) // every
                    for m, buf in zip(self._monitors, bufs):
                        if m.every_step:  # spikes: events, and records OR-accumulated
                            rows = self._host(buf.value)[:steps]
                            records[m.name][r0:r1] = spikes[m.name].add(rows, k0)
                        elif m.dtype == bool and not m.packed:  # (sampled) 8 per byte
                            flat = self._host(buf.value)[: r1 - r0].reshape(r1 - r0, -1)
                            records[m.name][r0:r1] = np.packbits(flat, axis=1)
                        else:
                            records[m.name][r0:r1] = self._host(buf.value)[: r1 - r0]
                self._steps += steps  # the chunk is done: the model's time moves on
                clock.set(self._steps * self.dt)
                done, snapshot = k0 + steps, None
                if bar is not None:
                    bar.update(steps)
            self._block()
        except BaseException:
            # an exception or a KeyboardInterrupt: state and time back to the end of the
            # last complete chunk, and the records of the steps before it
            if snapshot is not None:
                snapshot.restore()
            self._steps = first + done
            clock.set(self._steps * self.dt)
            keep_records(mon, math.ceil(done / every))
            for name, recorder in spikes.items():
                self._spike_carry[name] = recorder.carry
            mon._spikes = spikes
            self.mon = mon
            raise
        finally:
            if bar is not None:
                bar.close()
        self.run_time = time.perf_counter() - start
        for name, recorder in spikes.items():  # (after a complete run only)
            self._spike_carry[name] = recorder.carry
        mon._spikes = spikes
        self.mon = mon
        return mon

    def _state_variables(self, tree: _lifecycle.Tree | None = None) -> list:
        """The Variables a chunk that does not complete is rolled back in: numpy backend,
        the model's (Numba's random generators are saved with them); jax backend, those
        the compiled loop writes but the Runner's buffers (the random key included)."""
        everything = (tree or _lifecycle.Tree(self.model)).variables
        if self.backend == "numpy":
            return everything()
        scratch = {id(b) for b in self._buffers()}
        traced = getattr(self._loop, "variables", {}).get("written", [])
        written = [v for v in traced if id(v) not in scratch]
        return written or everything()

    def __repr__(self) -> str:
        return (
            f"<Runner of {self.model!r}: dt={self.dt} ms, t={self.t} ms, "
            f"{len(self._monitors)} monitor(s), {len(self._inputs)} input(s), {self.backend}>"
        )


def _progress_bar(n: int, show: bool, model):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=n, desc=f"Running {model.name}", unit="step", unit_scale=True)
