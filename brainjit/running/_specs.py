"""What a Runner records and drives: monitors and inputs given by Variable paths,
parsed and checked against the model before anything is compiled."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

import brainjit.math as bm

_INPUT_TYPES = ("fix", "iter")
_INPUT_OPS = ("+", "-", "*", "/", "=")


@dataclass
class _Monitor:
    name: str
    path: str
    var: object
    indices: np.ndarray | None
    packed: bool = False  # booleans packed into bits by the compiled loop
    every_step: bool = False  # booleans written at every step (events, OR-ed records)

    @property
    def record_shape(self) -> tuple:
        shape = tuple(self.var.shape)
        if self.indices is not None:
            return (len(self.indices),) + shape[1:]
        return shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.var.dtype)

    @property
    def buffer_record(self) -> tuple[tuple, np.dtype]:
        """The shape and dtype of one record in the compiled loop's buffer."""
        if self.packed:
            return ((math.prod(self.record_shape) + 7) // 8,), np.dtype(np.uint8)
        return self.record_shape, self.dtype


@dataclass
class _Input:
    path: str
    var: object
    value: object  # a Python number, or a NumPy array
    kind: str
    op: str


def check_dt(dt) -> float:
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real):
        raise TypeError(f"Runner: dt must be a number of ms, got {dt!r}")
    dt = float(dt)
    if not math.isfinite(dt) or dt <= 0:
        raise ValueError(f"Runner: dt must be > 0 ms, got {dt}")
    return dt


def _variable_names(model) -> list[str]:
    """The paths of the model's Variables, relative to the model."""
    return [path.split(".", 1)[1] for path in model.vars() if "." in path]


def _resolve(model, path, what: str, variable_type):
    """The Variable at ``path`` (dotted, relative to the model)."""
    if not isinstance(path, str) or not path:
        raise TypeError(f"Runner: a {what} target must be a Variable path (str), got {path!r}")
    parts = path.split(".")
    if parts[0] == model.name and len(parts) > 1 and not hasattr(model, parts[0]):
        parts = parts[1:]  # 'Net0.E.V': the path as vars() writes it
    obj = model
    for depth, part in enumerate(parts):
        try:
            if isinstance(obj, dict):
                obj = obj[part]
            elif isinstance(obj, (list, tuple)):
                obj = obj[int(part)]
            else:
                obj = getattr(obj, part)
        except (AttributeError, KeyError, IndexError, ValueError, TypeError):
            where = ".".join(parts[:depth]) or model.name
            raise ValueError(
                f"Runner: unknown {what} target {path!r}: {where!r} has no {part!r}. "
                f"The model's Variables: {', '.join(_variable_names(model)) or '(none)'}"
            ) from None
    if not bm.is_variable(obj):
        raise ValueError(
            f"Runner: the {what} target {path!r} is a {type(obj).__name__}, not a "
            f"bp.math.Variable. The model's Variables: "
            f"{', '.join(_variable_names(model)) or '(none)'}"
        )
    if not isinstance(obj, variable_type):
        raise TypeError(
            f"Runner: the {what} target {path!r} is a Variable of another backend "
            f"({type(obj).__module__}); create the model and the Runner under the same "
            f"backend (active: {bm.get_backend_name()!r})"
        )
    return obj


def _parse_indices(path: str, var, indices) -> np.ndarray:
    shape = tuple(var.shape)
    if not shape:
        raise ValueError(f"Runner: monitor {path!r} is a 0-d Variable: it has no indices")
    idx = np.asarray(indices)
    if idx.dtype == bool:
        if idx.shape != (shape[0],):
            raise ValueError(
                f"Runner: the boolean index of monitor {path!r} has shape {idx.shape}, "
                f"expected ({shape[0]},)"
            )
        idx = np.flatnonzero(idx)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
        raise TypeError(
            f"Runner: indices of monitor {path!r} must be a 1-D sequence of ints, got {indices!r}"
        )
    idx = idx.astype(np.int64)
    if idx.size == 0:
        raise ValueError(f"Runner: monitor {path!r} has an empty list of indices")
    bad = idx[(idx < -shape[0]) | (idx >= shape[0])]
    if bad.size:
        raise IndexError(
            f"Runner: index {int(bad[0])} of monitor {path!r} is out of range for its "
            f"{shape[0]} elements"
        )
    return np.where(idx < 0, idx + shape[0], idx)


def parse_monitors(model, monitors, variable_type) -> list[_Monitor]:
    if monitors is None:
        return []
    if isinstance(monitors, str):
        monitors = [monitors]
    if isinstance(monitors, dict):
        items = list(monitors.items())
    elif isinstance(monitors, (list, tuple)):
        items = []
        for item in monitors:
            if isinstance(item, str):
                items.append((item, item))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                items.append((item[0], tuple(item)))
            else:
                raise TypeError(
                    f"Runner: a monitor is a Variable path or (path, indices), got {item!r}"
                )
    else:
        raise TypeError(
            f"Runner: monitors must be a list of Variable paths or a dict name -> path, "
            f"got {type(monitors).__name__}"
        )
    out, names = [], set()
    for name, spec in items:
        if not isinstance(name, str):
            raise TypeError(f"Runner: monitor names must be strings, got {name!r}")
        if name in names:
            raise ValueError(f"Runner: the monitor {name!r} is given twice")
        names.add(name)
        if isinstance(spec, str):
            path, indices = spec, None
        elif isinstance(spec, (tuple, list)) and len(spec) == 2:
            path, indices = spec
        else:
            raise TypeError(
                f"Runner: monitor {name!r} must be a Variable path or (path, indices), got {spec!r}"
            )
        var = _resolve(model, path, "monitor", variable_type)
        if indices is not None:
            indices = _parse_indices(path, var, indices)
        out.append(_Monitor(name, path, var, indices))
    return out


def parse_inputs(model, inputs, variable_type) -> list[_Input]:
    if inputs is None:
        return []
    if isinstance(inputs, tuple) and inputs and isinstance(inputs[0], str):
        inputs = [inputs]  # one input alone
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"Runner: inputs must be a list of (path, value[, type[, op]]) tuples, got "
            f"{type(inputs).__name__}"
        )
    out = []
    for item in inputs:
        if not isinstance(item, (tuple, list)) or not 2 <= len(item) <= 4:
            raise TypeError(
                f"Runner: an input is (path, value), (path, value, type) or "
                f"(path, value, type, op), got {item!r}"
            )
        path, value = item[0], item[1]
        kind = item[2] if len(item) > 2 else "fix"
        op = item[3] if len(item) > 3 else "+"
        if kind not in _INPUT_TYPES:
            raise ValueError(
                f"Runner: input type of {path!r} must be one of {_INPUT_TYPES}, got {kind!r}"
            )
        if op not in _INPUT_OPS:
            raise ValueError(
                f"Runner: input operation of {path!r} must be one of {_INPUT_OPS}, got {op!r}"
            )
        var = _resolve(model, path, "input", variable_type)
        shape = tuple(var.shape)
        if kind == "fix" and isinstance(value, numbers.Number) and not isinstance(value, bool):
            if isinstance(value, complex):
                raise TypeError(f"Runner: input to {path!r} must be real, got {value!r}")
            value = value.item() if isinstance(value, np.generic) else value
        else:
            array = np.asarray(value)
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or (
                np.issubdtype(array.dtype, np.complexfloating)
            ):
                raise TypeError(
                    f"Runner: input to {path!r} must be numeric, got {array.dtype} values"
                )
            step_shape = array.shape if kind == "fix" else array.shape[1:]
            if kind == "iter" and array.ndim == 0:
                raise ValueError(
                    f"Runner: the 'iter' input to {path!r} needs a time axis (one value per "
                    "step), got a scalar"
                )
            try:
                fits = np.broadcast_shapes(step_shape, shape) == shape
            except ValueError:
                fits = False
            if not fits:
                per = "each step's value" if kind == "iter" else "the value"
                raise ValueError(
                    f"Runner: input to {path!r}: {per} has shape {step_shape}, which does "
                    f"not broadcast to the Variable's shape {shape}"
                )
            if kind == "iter":  # align each step's value with the Variable's axes
                pad = (1,) * (len(shape) - len(step_shape))
                array = array.reshape(array.shape[:1] + pad + step_shape)
            value = array
        if not np.all(np.isfinite(value)):
            bad = np.asarray(value).ravel()
            first = bad[~np.isfinite(bad)][0]
            raise ValueError(
                f"Runner: input to {path!r} must be finite, got {first} (NaN or infinite "
                "values would silently turn the model's state into NaN)"
            )
        out.append(_Input(path, var, value, kind, op))
    return out
