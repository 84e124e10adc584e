"""What every backend's Variable shares: the type registry and the assignment check.

Each backend defines its own ``Variable``/``TrainVar`` classes (an ndarray subclass
under numpy, a ``JaxArray`` subclass under jax) and registers them here, so that code
above the math layer (``bp.Base``, the jit machinery) recognises Variables of any
backend without importing JAX.
"""

from __future__ import annotations

import numpy as np

_variable_types: list[type] = []
_trainvar_types: list[type] = []
VARIABLE_TYPES: tuple[type, ...] = ()
TRAINVAR_TYPES: tuple[type, ...] = ()


def register(variable_cls: type, trainvar_cls: type) -> None:
    """Register a backend's Variable and TrainVar classes."""
    global VARIABLE_TYPES, TRAINVAR_TYPES
    _variable_types.append(variable_cls)
    _trainvar_types.append(trainvar_cls)
    VARIABLE_TYPES = tuple(_variable_types)
    TRAINVAR_TYPES = tuple(_trainvar_types)


def is_variable(x) -> bool:
    """True if ``x`` is a Variable (of any backend)."""
    return isinstance(x, VARIABLE_TYPES)


def is_trainvar(x) -> bool:
    """True if ``x`` is a TrainVar (of any backend)."""
    return isinstance(x, TRAINVAR_TYPES)


def label(var) -> str:
    """How error messages name a Variable: its path if known, else its type."""
    name = getattr(var, "_name", None)
    kind = type(var).__name__
    return f"{kind} {name!r}" if name else kind


def repr_as(name: str, array: np.ndarray) -> str:
    """NumPy's repr of ``array`` with ``name`` in place of ``array`` (lines kept aligned)."""
    text = np.array_repr(array)
    if name == "array":
        return text
    first, *rest = text.split("\n")
    pad = " " * (len(name) - len("array"))
    return "\n".join([name + first[len("array") :], *(pad + line for line in rest)])


_PYTHON_SCALARS = (bool, int, float, complex)


def check_assign(var, shape: tuple, dtype, new) -> None:
    """Raise if ``new`` cannot be stored in ``var`` (a Variable of ``shape``/``dtype``).

    Arrays must match the shape and the dtype exactly. Python scalars, and lists/tuples of
    them, carry no dtype of their own: they are accepted when they cast safely within
    their kind (ints into a float Variable, floats into a float32 one; not floats into an
    int Variable).
    """
    if isinstance(new, _PYTHON_SCALARS):
        new_shape, new_dtype = (), None
        if not np.can_cast(type(new), dtype, casting="same_kind"):
            raise TypeError(
                f"Cannot assign a Python {type(new).__name__} to {label(var)} of dtype {dtype}."
            )
    elif isinstance(new, (list, tuple)):
        as_array = np.asarray(new)
        new_shape, new_dtype = as_array.shape, None
        if not np.can_cast(as_array.dtype, dtype, casting="same_kind"):
            raise TypeError(
                f"Cannot assign a {type(new).__name__} of {as_array.dtype.kind!r}-kind numbers "
                f"to {label(var)} of dtype {np.dtype(dtype)}."
            )
    else:
        new_shape = tuple(np.shape(new))
        new_dtype = getattr(new, "dtype", None)
        if new_dtype is None:
            new_dtype = np.asarray(new).dtype
    if new_shape != tuple(shape):
        raise ValueError(
            f"{label(var)} has shape {tuple(shape)} but the new value has shape {new_shape}; "
            "a Variable keeps its shape (create a new Variable to change it)."
        )
    if new_dtype is not None and np.dtype(new_dtype) != np.dtype(dtype):
        raise TypeError(
            f"{label(var)} has dtype {np.dtype(dtype)} but the new value has dtype "
            f"{np.dtype(new_dtype)}; cast it first (value.astype(...)) or create a new Variable."
        )
