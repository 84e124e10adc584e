"""Step (section), constant and ramp currents, sampled at every time step.

Every number is checked before an array is built: NaN and infinite values, durations
and steps are refused with a ValueError that names the function, the argument and the
value (``bp.dyn.check_finite``, the check of the built-in models).
"""

from __future__ import annotations

import numbers

import numpy as np

from brainjit.dyn.base import check_finite

__all__ = ["section_input", "constant_input", "ramp_input"]


def _check_dt(dt, where: str) -> float:
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not dt > 0:
        raise ValueError(f"{where}: dt must be a number > 0 (ms), got {dt!r}")
    check_finite(where, dt=dt)
    return float(dt)


def _steps(duration, dt: float, where: str, key: str = "durations") -> int:
    """The number of steps of ``dt`` in ``duration`` (named ``key`` in errors)."""
    if isinstance(duration, bool) or not isinstance(duration, numbers.Real) or not duration > 0:
        raise ValueError(f"{where}: {key} must be a number > 0 (ms), got {duration!r}")
    check_finite(where, **{key: duration})
    n = int(round(duration / dt))
    if n < 1 or abs(n * dt - duration) > 1e-6 * max(1.0, duration):
        raise ValueError(
            f"{where}: the duration {duration} ms is not a whole number of steps of dt={dt} ms"
        )
    return n


def section_input(values, durations, dt=0.1, return_length=False):
    """A current made of sections: ``values[k]`` for ``durations[k]`` ms, one after the
    other.

    Args:
        values: one value per section: a number, or an array (one value per neuron, or
            any shape; every section the same shape).
        durations: the length of each section (ms, whole numbers of steps).
        dt: the time step (ms).
        return_length: also return the total duration.

    Returns:
        an array of shape ``(steps, *value_shape)`` (float64), and the total duration
        in ms when ``return_length``.

    >>> section_input([0.0, 1.0, 0.0], [10.0, 20.0, 10.0], dt=0.1).shape
    (400,)
    """
    return _sections(values, durations, dt, return_length, "section_input")


def _sections(values, durations, dt, return_length, where, names=("values", "durations")):
    """:func:`section_input`, with errors that name the function ``where`` and its
    arguments ``names`` (the values and the durations)."""
    dt = _check_dt(dt, where)
    if isinstance(values, (np.ndarray, numbers.Real)) and np.ndim(values) == 0:
        raise ValueError(f"{where}: values must be a sequence, one value per section")
    if isinstance(durations, numbers.Real):
        raise ValueError(f"{where}: durations must be a sequence, one per section")
    values, durations = list(values), list(durations)
    if len(values) != len(durations) or not values:
        raise ValueError(
            f"{where}: values and durations must be non-empty and of the same length, got "
            f"{len(values)} values and {len(durations)} durations"
        )
    for k, value in enumerate(values):
        check_finite(where, **{f"{names[0]}[{k}]": value})
    arrays = [np.asarray(v, dtype=float) for v in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    pieces = []
    for k, (value, duration) in enumerate(zip(arrays, durations)):
        n = _steps(duration, dt, where, f"{names[1]}[{k}]")
        pieces.append(np.broadcast_to(value, (n, *shape)))
    current = np.concatenate(pieces, axis=0)
    if return_length:
        return current, float(sum(durations))
    return current


def constant_input(I_and_duration, dt=0.1):
    """A piecewise-constant current from ``[(value, duration), ...]`` (BrainPy's form).

    Returns ``(current, total_duration)``: the array (time along the first axis) and
    the total duration in ms.

    >>> I, duration = constant_input([(0.0, 10.0), (5.0, 20.0)], dt=0.1)
    """
    pairs = list(I_and_duration)
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"constant_input: expected (value, duration) pairs, got {pair!r}")
    values = [p[0] for p in pairs]
    durations = [p[1] for p in pairs]
    names = ("the value of I_and_duration", "the duration of I_and_duration")
    return _sections(values, durations, dt, True, "constant_input", names)


def ramp_input(c_start, c_end, duration, t_start=0.0, t_end=None, dt=0.1):
    """A current that is 0 until ``t_start``, rises linearly from ``c_start`` to
    ``c_end`` until ``t_end`` (default: ``duration``), and is 0 after it.

    Returns an array of ``round(duration / dt)`` steps.
    """
    where = "ramp_input"
    check_finite(where, c_start=c_start, c_end=c_end, t_start=t_start, t_end=t_end)
    dt = _check_dt(dt, where)
    n = _steps(duration, dt, where, "duration")
    t_end = duration if t_end is None else t_end
    if not 0 <= t_start < t_end <= duration:
        raise ValueError(
            f"{where}: need 0 <= t_start < t_end <= duration, got t_start={t_start}, "
            f"t_end={t_end}, duration={duration}"
        )
    ts = np.arange(n) * dt
    current = np.zeros(n)
    on = (ts >= t_start) & (ts < t_end)
    current[on] = c_start + (c_end - c_start) * (ts[on] - t_start) / (t_end - t_start)
    return current
