"""A differentiable run of a model over time, and the same over a batch of trials (jax).

``bp.training.run(model, n_steps, inputs=..., monitors=...)`` is the Runner's loop
made for training: the steps run inside one ``bp.math.for_loop`` (``lax.scan``), the
inputs may be traced values (a function's arguments, TrainVars), and the monitors come
back as arrays with time first. It compiles inside ``bp.math.jit`` and differentiates
under ``bp.math.grad`` like any other function that reads and writes Variables, so a
loss over a whole simulation has gradients with respect to the model's TrainVars
(weights, time constants) and to the inputs. Monitor and input targets are given and
checked as for ``bp.Runner`` (``brainjit.running._specs``).

``bp.training.run_trials`` maps such a run over trials with ``bp.math.vmap``: the
model's state carries a leading trial axis, each trial has its own inputs and its own
random key (split from the generator's), and the model code is written for one trial.
"""

from __future__ import annotations

import numbers

import jax.numpy as jnp

import brainjit.math as bm
from brainjit.base import Base, model_time
from brainjit.running import _specs
from brainjit.training._backend import require_jax

__all__ = ["run", "run_trials"]

_KINDS = ("fix", "iter", "func")
_OPS = ("+", "-", "*", "/", "=")


def _renamed(err: Exception, where: str) -> Exception:
    """The Runner's specification error, said by ``where``."""
    return type(err)(str(err).replace("Runner:", f"{where}:", 1))


def _value(x):
    """An input value as a jax array (a Variable's value read here, so that a gradient
    with respect to a TrainVar given as an input reaches it)."""
    if isinstance(x, bm.ndarray):
        return x.value
    return jnp.asarray(x)


def _parse_inputs(model, inputs, where: str, trial_axis: bool) -> list[tuple]:
    """(Variable, value, kind, op) for each input; values as jax arrays (may be traced)."""
    if inputs is None:
        return []
    if isinstance(inputs, tuple) and inputs and isinstance(inputs[0], str):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"{where}: inputs must be a list of (path, value[, type[, op]]) tuples, got "
            f"{type(inputs).__name__}"
        )
    out = []
    for item in inputs:
        if not isinstance(item, (tuple, list)) or not 2 <= len(item) <= 4:
            raise TypeError(
                f"{where}: an input is (path, value), (path, value, type) or "
                f"(path, value, type, op), got {item!r}"
            )
        path, value = item[0], item[1]
        kind = item[2] if len(item) > 2 else "fix"
        op = item[3] if len(item) > 3 else "+"
        if kind not in _KINDS:
            raise ValueError(
                f"{where}: input type of {path!r} must be one of {_KINDS}, got {kind!r}"
            )
        if op not in _OPS:
            raise ValueError(
                f"{where}: input operation of {path!r} must be one of {_OPS}, got {op!r}"
            )
        try:
            var = _specs._resolve(model, path, "input", bm.Variable)
        except (TypeError, ValueError) as err:
            raise _renamed(err, where) from None
        if kind == "func":
            if not callable(value):
                raise TypeError(
                    f"{where}: a 'func' input to {path!r} must be a function f(i, t) of the "
                    f"step index and the time (ms), got {type(value).__name__}"
                )
            out.append((path, var, value, kind, op))
            continue
        if isinstance(value, bool) or not (
            isinstance(value, numbers.Number) or hasattr(value, "shape")
        ):
            value = jnp.asarray(value)  # a list of numbers
        value = _value(value)
        if not (jnp.issubdtype(value.dtype, jnp.number) or value.dtype == jnp.bool_) or (
            jnp.issubdtype(value.dtype, jnp.complexfloating)
        ):
            raise TypeError(f"{where}: input to {path!r} must be real, got {value.dtype} values")
        lead = 2 if (kind == "iter" and trial_axis) else (1 if kind == "iter" else 0)
        if value.ndim < lead:
            axes = "a trial and a time axis" if lead == 2 else "a time axis"
            raise ValueError(
                f"{where}: the 'iter' input to {path!r} needs {axes} first, got shape {value.shape}"
            )
        step_shape = value.shape[lead:]
        shape = tuple(var.shape)[1:] if trial_axis else tuple(var.shape)
        try:
            fits = jnp.broadcast_shapes(step_shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            per = "each step's value" if kind == "iter" else "the value"
            whose = "one trial's part of the Variable" if trial_axis else "the Variable"
            raise ValueError(
                f"{where}: input to {path!r}: {per} has shape {step_shape}, which does not "
                f"broadcast to the shape {shape} of {whose}"
            )
        out.append((path, var, value, kind, op))
    return out


def _apply(var, value, op: str) -> None:
    if op == "=":
        new = jnp.broadcast_to(value, var.shape)
    elif op == "+":
        new = var.value + value
    elif op == "-":
        new = var.value - value
    elif op == "*":
        new = var.value * value
    else:
        new = var.value / value
    var.value = jnp.asarray(new).astype(var.dtype)


def _n_steps(n_steps, parsed, where: str, time_axis: int) -> int:
    lengths = {p: v.shape[time_axis] for p, _, v, kind, _ in parsed if kind == "iter"}
    if n_steps is None:
        if not lengths:
            raise ValueError(
                f"{where}: give n_steps (the number of steps of dt), or an 'iter' input "
                "whose time axis says it"
            )
        n_steps = next(iter(lengths.values()))
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral):
        raise TypeError(f"{where}: n_steps must be an int, got {n_steps!r}")
    if n_steps < 1:
        raise ValueError(f"{where}: n_steps must be >= 1, got {n_steps}")
    for path, length in lengths.items():
        if length != n_steps:
            raise ValueError(
                f"{where}: the 'iter' input to {path!r} has {length} steps on its time "
                f"axis, the run {n_steps}"
            )
    return int(n_steps)


def _check(model, dt, where: str):
    require_jax(where)
    if not isinstance(model, Base):
        raise TypeError(
            f"{where}: the model must be a bp.Base (a bp.dyn.DynamicalSystem, a Network) "
            f"with an update(t, dt) method, got {type(model).__name__}"
        )
    try:
        return _specs.check_dt(dt)
    except (TypeError, ValueError) as err:
        raise _renamed(err, where) from None


def _monitors(model, monitors, where: str):
    try:
        mons = _specs.parse_monitors(model, monitors, bm.Variable)
    except (TypeError, ValueError, IndexError) as err:
        raise _renamed(err, where) from None
    if any(m.name == "ts" for m in mons):
        raise ValueError(
            f"{where}: 'ts' names the times of the records; name the monitor otherwise"
        )
    return mons


def _loop(model, parsed, mons, n_steps: int, dt: float, t0: float, time_axis: int, options):
    """The scan over steps; ``time_axis`` is where the 'iter' inputs keep time."""
    iters = [v for _, _, v, kind, _ in parsed if kind == "iter"]
    iters = [jnp.moveaxis(v, time_axis, 0) for v in iters]

    def body(i, *xs):
        t = t0 + i * dt
        k = 0
        for _, var, value, kind, op in parsed:
            if kind == "iter":
                value, k = xs[k], k + 1
            elif kind == "func":
                value = _value(value(i, t))
            _apply(var, value, op)
        model.update(t, dt)
        return tuple(
            m.var.value if m.indices is None else m.var.value[jnp.asarray(m.indices)] for m in mons
        )

    steps = jnp.arange(n_steps)
    records = bm.for_loop(body, (steps, *iters), **options)
    records = () if records is None else records
    out = {m.name: bm.asarray(r) for m, r in zip(mons, records)}
    out["ts"] = bm.asarray(t0 + jnp.arange(n_steps) * dt)
    return out


def run(model, n_steps=None, inputs=(), monitors=None, dt: float = 0.1, t0=None, **loop_options):
    """Run ``model`` for ``n_steps`` steps of ``dt`` ms, differentiably (jax backend).

    Each step: the inputs are applied, then ``model.update(t, dt)`` runs at
    ``t = t0 + i * dt`` (step ``i = 0 .. n_steps - 1``), then the monitored Variables are
    recorded. The steps are one ``bp.math.for_loop``: call ``run`` inside a function
    that ``bp.math.jit`` compiles or ``bp.math.grad`` differentiates.

    Args:
        model: a ``bp.Base`` whose ``update(t, dt)`` advances it by one step.
        n_steps: the number of steps; default: the length of the 'iter' inputs.
        inputs: as ``bp.Runner``'s: ``(path, value)``, ``(path, value, type)`` or
            ``(path, value, type, op)`` with ``type`` ``'fix'`` (the same value each
            step, broadcast to the Variable), ``'iter'`` (an array with time first:
            one value per step) or ``'func'`` (a function ``f(i, t)`` of the step index
            and the time in ms, called inside the loop, returning the value), and
            ``op`` ``'+'`` (default), ``'-'``, ``'*'``, ``'/'`` or ``'='``. Values may
            be traced (a jitted function's arguments) or Variables (a TrainVar as an
            input gets a gradient).
        monitors: as ``bp.Runner``'s: Variable paths (``['E.spike', 'E.V']``), items
            ``(path, indices)``, or a dict ``{name: path}``.
        dt: the time step (ms).
        t0: the time of the first step (ms); default: the model's time ``model.t``
            (which this function does not advance: it may run traced).
        loop_options: passed to ``bp.math.for_loop``: ``unroll=``, and ``remat=``
            (``True``: checkpoint every step; ``k``: blocks of ``k`` steps), which
            trades a second forward pass for memory in gradients of long runs (see
            ``docs/training.md``, "Memory: rematerialisation").

    Returns:
        a dict: each monitor's records (``(n_steps, ...)``, time first, as JaxArrays)
        and ``'ts'``, the time ``t`` of each step (ms), as ``bp.Runner``'s ``mon.ts``.

    The model's Variables keep their values at the end of the run (like a Runner's);
    call ``model.reset_state()`` first for each independent trial.
    """
    where = "bp.training.run"
    dt = _check(model, dt, where)
    parsed = _parse_inputs(model, inputs, where, trial_axis=False)
    mons = _monitors(model, monitors, where)
    n_steps = _n_steps(n_steps, parsed, where, time_axis=0)
    t0 = model_time(model) if t0 is None else t0
    return _loop(model, parsed, mons, n_steps, dt, t0, 0, loop_options)


def _state_vars(model, batch_vars, n_trials, where: str) -> list:
    if batch_vars is None:
        found = [
            (path, v)
            for path, v in model.vars().items()
            if not bm.is_trainvar(v) and not isinstance(v, bm.random.RandomState)
        ]
    else:
        if bm.is_variable(batch_vars):
            batch_vars = [batch_vars]
        elif hasattr(batch_vars, "items"):
            batch_vars = list(dict(batch_vars.items()).values())
        found = [(bm.is_variable(v) and v._name or repr(v), v) for v in batch_vars]
        for name, v in found:
            if not bm.is_variable(v):
                raise TypeError(f"{where}: batch_vars must be Variables, got {name}")
    for path, v in found:
        if v.ndim == 0 or v.shape[0] != n_trials:
            raise ValueError(
                f"{where}: the state Variable {path!r} has shape {tuple(v.shape)}, but "
                f"{n_trials} trials need a leading trial axis of {n_trials} on every state "
                "Variable (build the model for a batch of trials, e.g. size=(n_trials, N)), "
                "or pass batch_vars= to say which Variables carry the trial axis"
            )
    return [v for _, v in found]


def run_trials(
    model,
    n_steps=None,
    inputs=(),
    monitors=None,
    dt: float = 0.1,
    t0=None,
    batch_vars=None,
    n_trials=None,
    **loop_options,
):
    """Run ``model`` over a batch of trials at once (``bp.math.vmap`` of :func:`run`).

    The model's state Variables carry a leading trial axis (build it for the batch:
    ``size=(n_trials, N)``, ``bm.Variable(bm.zeros((n_trials, N)))``); the model's
    code sees one trial (its slices) and is written for one. Each trial gets its own
    random key: trial ``k`` draws from ``fold_in(split(key)[1], k)`` of each generator
    it uses (``bp.math.vmap``'s rule), and the generator moves on to ``split(key)[0]``.
    TrainVars (and any Variable not in ``batch_vars``) are shared by the trials and
    read only.

    Args:
        model, monitors, dt, t0, loop_options: as :func:`run`.
        n_steps: the number of steps; default: the time axis of the 'iter' inputs.
        inputs: as :func:`run`, but an 'iter' input has a trial axis then a time axis,
            ``(n_trials, n_steps, ...)`` (one series per trial); a 'fix' input is the
            same for every trial (broadcast to one trial's slice of the Variable);
            a 'func' input is called ``f(i, t)`` in each trial.
        batch_vars: the Variables with the trial axis (default: every Variable of the
            model that is not a TrainVar nor a random generator).
        n_trials: the number of trials (default: from the state's leading axis).

    Returns:
        a dict: each monitor's records with the trial axis first and time second,
        ``(n_trials, n_steps, ...)``, and ``'ts'`` (``(n_steps,)``).
    """
    where = "bp.training.run_trials"
    dt = _check(model, dt, where)
    if n_trials is None:
        first = next((v for p, v in model.vars().items() if not bm.is_trainvar(v) and v.ndim), None)
        if first is None:
            raise ValueError(f"{where}: the model has no state Variable; give n_trials")
        n_trials = int(first.shape[0])
    states = _state_vars(model, batch_vars, n_trials, where)
    parsed = _parse_inputs(model, inputs, where, trial_axis=True)
    for path, _, value, kind, _ in parsed:
        if kind == "iter" and value.shape[0] != n_trials:
            raise ValueError(
                f"{where}: the 'iter' input to {path!r} has {value.shape[0]} trials on its "
                f"first axis, the state {n_trials}"
            )
    mons = _monitors(model, monitors, where)
    n_steps = _n_steps(n_steps, parsed, where, time_axis=1)
    t0 = model_time(model) if t0 is None else t0
    iter_values = tuple(v for _, _, v, kind, _ in parsed if kind == "iter")

    def one_trial(*xs):
        k = iter(xs)
        trial = [
            (p, var, next(k) if kind == "iter" else v, kind, op) for p, var, v, kind, op in parsed
        ]
        out = _loop(model, trial, mons, n_steps, dt, t0, 0, loop_options)
        out.pop("ts")
        return tuple(out[m.name] for m in mons)

    mapped = bm.vmap(one_trial, batch_vars=states, axis_size=n_trials)(*iter_values)
    out = {m.name: bm.asarray(r) for m, r in zip(mons, mapped)}
    out["ts"] = bm.asarray(t0 + jnp.arange(n_steps) * dt)
    return out
