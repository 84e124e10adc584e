"""Array stores in compiled code: ``a[index] = b`` at the speed of a copy loop.

Numba compiles ``a[index] = b`` with an array ``b`` as a loop over an index iterator
that LLVM does not vectorise: about 0.5 ns per element, 10-20x a plain copy loop (a
monitor's row of 64,000 spikes: 41 µs against 5). The numpy backend's rewriter writes
every store into a Variable or another array argument (``self.V = expr``,
``self.mon[r] = self.V``) as ``store(a, index, b)``, which takes the fast loop when it
can and is ``a[index] = b`` otherwise:

- the index is basic (ints, slices, a tuple of them, or ``...`` alone: ``store_all``)
  and selects an array, not an element, so ``a[index]`` is a view of ``a``;
- that view and ``b`` are both C-contiguous (known from their types), of one dtype and
  one shape (checked at run time: broadcasting goes the general way), and do not
  overlap in memory (``x[1:] = x[:-1]`` goes the general way, which copies first).

Called eagerly, ``store`` is ``a[index] = b`` itself.

Writes into Variables follow the eager rules (:func:`brainjit.math._variable.check_assign`
and NumPy's own store and in-place operations):

- ``v.value = x`` and ``obj.v = x`` (``v`` a Variable) are ``assign(v, x, 'v')``: the
  value keeps the Variable's dtype (checked when Numba types the call: an array of
  another kind, a float number into an int Variable ... is a typing error; see
  :func:`_maybe_widened` for the one tolerance) and its shape (one comparison at run
  time). Numbers are checked as eager code checks Python numbers (compiled code cannot
  tell a Python float from a NumPy float64: both are float64 there). A 1-D Variable
  written with a C-contiguous array of its dtype is copied by a loop that calls nothing
  with arrays, which LLVM inlines into the caller: 64 floats in 2-3 ns, where
  ``store_all`` takes 50-80 (the reference counting of its calls).
- ``v[index] = x`` and ``v[...] = x`` cast as NumPy's store does; a value that does not
  broadcast fails in Numba's store, whose error the jit wrapper words as NumPy does.
- ``v += x`` and ``v[index] += x`` (and the other augmented assignments) are preceded by
  ``check_inplace(v, x)`` / ``check_inplace_at(v, index, x)``, which check that an array
  ``x`` broadcasts to ``v`` / ``v[index]`` (Numba's own in-place operations read past the
  end of a shorter ``x``); numbers are not checked (the call compiles to nothing).

The checks raise a marked ``ValueError`` (run time: the array's address and the shapes,
built out of line) or a typing error with a marked message (compile time: the
generated name of the Variable); the jit wrapper turns them into the error the eager
write raises, naming the Variable (:func:`runtime_error`, :func:`compile_error`). The
generated code names no object, so it stays the same for every instance of a class.
"""

from __future__ import annotations

import re

import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from brainjit.math import _numba, _variable

__all__ = ["store", "store_all", "assign", "check_inplace", "check_inplace_at"]

MARK = "brainjit: a store into an array failed its check"
"""The first argument of the ValueErrors compiled stores raise (see :func:`runtime_error`)."""

_TYPING_MARK = "brainjit-assign-check"
_TYPING_PATTERN = re.compile(_TYPING_MARK + r"\[(\w+)\|(array|number)\|(\w+)\]")
_NUMBERS = {"bool": True, "int": 1, "float": 1.5, "complex": 1j}
# which check failed (the second argument of the marked ValueError)
_ASSIGN, _INPLACE = 0, 1


def store(array, index, value):
    """``array[index] = value``."""
    array[index] = value


def store_all(array, value):
    """``array[...] = value`` (the index apart: Numba takes ``...`` only as written)."""
    array[...] = value


def assign(array, value, name):
    """``array[...] = value`` for ``v.value = value``: the shape and the dtype of ``array``
    (``name``: the generated code's name for it, for error messages)."""
    _variable.check_assign(array, array.shape, array.dtype, value)
    array[...] = value


def check_inplace(array, value):
    """Check that ``value`` broadcasts to ``array`` (before ``array += value``)."""
    np.broadcast_to(value, np.shape(array))  # NumPy's error when it does not


def check_inplace_at(array, index, value):
    """Check that ``value`` broadcasts to ``array[index]`` (before
    ``array[index] += value``)."""
    np.broadcast_to(value, np.shape(array[index]))


def _copy(view, value):
    """``view[...] = value`` (Numba only; ``view`` a view of the stored-to array)."""
    raise NotImplementedError("compiled code only")


def _basic_index_dims(index) -> int | None:
    """The number of dimensions a basic index takes away (its ints), or None when the
    index is not basic (arrays, None, anything else)."""
    items = index.types if isinstance(index, types.BaseTuple) else (index,)
    taken = 0
    for item in items:
        if isinstance(item, types.Integer):
            taken += 1
        elif not isinstance(item, types.SliceType):
            return None
    return taken


@overload(store, jit_options=_numba.INNER)
def _store_numba(array, index, value):
    taken = _basic_index_dims(index)
    if (
        isinstance(array, types.Array)
        and isinstance(value, types.Array)
        and taken is not None
        and taken < array.ndim
    ):

        def through_view(array, index, value):
            _copy(array[index], value)

        return through_view

    def general(array, index, value):
        array[index] = value

    return general


@overload(store_all, jit_options=_numba.INNER)
def _store_all_numba(array, value):
    if isinstance(array, types.Array) and isinstance(value, types.Array):

        def whole(array, value):
            _copy(array, value)

        return whole

    def general(array, value):
        array[...] = value

    return general


@overload(_copy, jit_options=_numba.INNER)
def _copy_numba(view, value):
    fast = (
        view.layout == "C"
        and value.layout == "C"
        and view.ndim == value.ndim
        and view.dtype == value.dtype
    )
    if not fast:

        def general(view, value):
            view[...] = value

        return general

    def copy_loop(view, value):
        size = view.size
        dst_at, src_at = view.ctypes.data, value.ctypes.data
        apart = dst_at + view.nbytes <= src_at or src_at + value.nbytes <= dst_at
        if view.shape == value.shape and apart:
            dst = view.reshape(size)
            src = value.reshape(size)
            for i in range(size):
                dst[i] = src[i]
        else:
            view[...] = value

    return copy_loop


def _mismatch(kind, at, value_shape, shape):
    """Raise the marked ValueError (Numba only; out of line, so that the code that
    builds the exception stays out of the caller)."""
    raise NotImplementedError("compiled code only")


# The checks and the whole-Variable copy are compiled once per signature and inlined by
# LLVM into the generated code (``forceinline``). They call nothing with arrays: the error
# is raised out of line with numbers only (``_mismatch``). A helper that calls out with
# arrays (Numba's own store included) keeps reference counting that costs about 20 ns a
# call (``store_all`` of 64 floats: 50-80 ns); inlining them as Numba IR instead
# (``inline='always'``) removes that too, but costs seconds of compile time per model.
_INLINE = {"jit_options": {**_numba.INNER, "forceinline": True}}


@overload(_mismatch, jit_options=_numba.INNER)
def _mismatch_numba(kind, at, value_shape, shape):
    def impl(kind, at, value_shape, shape):
        raise ValueError(MARK, kind, at, value_shape, shape)

    return impl


_WIDE = (types.int64, types.float64, types.complex128)


def _maybe_widened(value_dtype, dtype) -> bool:
    """Whether Numba may have typed as ``value_dtype`` an expression that NumPy 2 computes
    in ``dtype``: a Python number next to an array is taken at the array's dtype by NumPy
    (NEP 50: ``int32_array + 1`` is int32, ``float32_array * 0.5`` float32) and at int64,
    float64 or complex128 by Numba. Such a value is stored cast back, as before, lest
    code that runs eagerly fail to compile (a float64 array into a float32 Variable is
    therefore not refused)."""
    if value_dtype not in _WIDE or not isinstance(dtype, types.Number):
        return False
    wide, narrow = as_dtype(value_dtype), as_dtype(dtype)
    if wide.kind == narrow.kind:
        return wide.itemsize > narrow.itemsize
    return wide.kind == "i" and narrow.kind == "u"  # uint8_array + 1: int64 in Numba


def _number_kind(value) -> str | None:
    """The Python type eager code would see for a number of Numba type ``value``."""
    for numba_type, name in (
        (types.Boolean, "bool"),
        (types.Integer, "int"),
        (types.Float, "float"),
        (types.Complex, "complex"),
    ):
        if isinstance(value, numba_type):
            return name
    return None


@overload(assign, prefer_literal=True, **_INLINE)
def _assign_numba(array, value, name):
    if not isinstance(array, types.Array):

        def general(array, value, name):
            array[...] = value

        return general
    param = name.literal_value if isinstance(name, types.StringLiteral) else "?"
    if isinstance(value, types.Array):
        if value.dtype != array.dtype and not _maybe_widened(value.dtype, array.dtype):
            raise TypingError(f"{_TYPING_MARK}[{param}|array|{as_dtype(value.dtype)}]")

        if not (
            array.ndim == 1
            and value.ndim == 1
            and value.layout == "C"
            and array.layout == "C"
            and value.dtype == array.dtype
        ):

            def whole(array, value, name):
                if array.shape != value.shape:
                    _mismatch(_ASSIGN, array.ctypes.data, value.shape, array.shape)
                _copy(array, value)

            return whole

        def copy_loop(array, value, name):  # a population's Variable: a plain loop
            n = array.size
            if value.size != n:
                _mismatch(_ASSIGN, array.ctypes.data, value.shape, array.shape)
            dst_at, src_at = array.ctypes.data, value.ctypes.data
            if dst_at <= src_at or src_at + value.nbytes <= dst_at:
                for i in range(n):
                    array[i] = value[i]
            else:  # value starts inside array: as memmove does
                for i in range(n - 1, -1, -1):
                    array[i] = value[i]

        return copy_loop
    kind = _number_kind(value)
    if kind is not None:
        allowed = np.can_cast(as_dtype(value), as_dtype(array.dtype), casting="same_kind")
        if array.ndim != 0 or not allowed:
            raise TypingError(f"{_TYPING_MARK}[{param}|number|{kind}]")

        def number(array, value, name):
            array[...] = value

        return number

    def other(array, value, name):  # tuples ...: Numba's store
        array[...] = value

    return other


def _fits(shape, value_shape) -> bool:
    """Whether ``value_shape`` broadcasts to ``shape`` (Numba only; ``shape`` as long)."""
    raise NotImplementedError("compiled code only")


@overload(_fits, **_INLINE)
def _fits_numba(shape, value_shape):
    ndim = len(value_shape)
    extra = len(shape) - ndim

    def fits(shape, value_shape):
        for i in range(ndim):
            n = value_shape[i]
            if n != 1 and n != shape[extra + i]:
                return False
        return True

    return fits


@overload(check_inplace, **_INLINE)
def _check_inplace_numba(array, value):
    if not (isinstance(array, types.Array) and isinstance(value, types.Array)):
        return lambda array, value: None
    if value.ndim > array.ndim:  # NumPy refuses to add dimensions to the output

        def never(array, value):
            _mismatch(_INPLACE, array.ctypes.data, value.shape, array.shape)

        return never

    def check(array, value):
        if not _fits(array.shape, value.shape):
            _mismatch(_INPLACE, array.ctypes.data, value.shape, array.shape)

    return check


@overload(check_inplace_at, **_INLINE)
def _check_inplace_at_numba(array, index, value):
    if not (isinstance(array, types.Array) and isinstance(value, types.Array)):
        return lambda array, index, value: None
    taken = _basic_index_dims(index)
    if taken is not None and taken < array.ndim:  # array[index] is a view: no copy
        if value.ndim > array.ndim - taken:

            def never(array, index, value):
                shape = array[index].shape
                _mismatch(_INPLACE, array.ctypes.data, value.shape, shape)

            return never

        def basic(array, index, value):
            shape = array[index].shape
            if not _fits(shape, value.shape):
                _mismatch(_INPLACE, array.ctypes.data, value.shape, shape)

        return basic
    if (
        isinstance(index, types.Array)
        and index.ndim == 1
        and isinstance(index.dtype, types.Integer)
        and array.ndim == 1
        and value.ndim <= 1
    ):  # x[ids] += v: the selection has the shape of the index

        def selected(array, index, value):
            if not _fits(index.shape, value.shape):
                _mismatch(_INPLACE, array.ctypes.data, value.shape, index.shape)

        return selected
    return lambda array, index, value: None  # other selections: Numba's own way


# -- the eager errors, at the jit boundary ------------------------------------------------


def _stand_in(shape, dtype) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` that takes no memory (for NumPy's messages)."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape))


def _arrays(units):
    """(name in its unit, the array as found) for every array argument of ``units``."""
    for unit in units:
        for param in unit.params:
            yield param.name, param.array


def runtime_error(error: Exception, units) -> Exception | None:
    """The error eager code raises for a store check that failed in compiled code
    (``error``: the marked ValueError; ``units``: the generated functions that ran), or
    None if ``error`` is not one."""
    if type(error) is not ValueError or not error.args or not isinstance(error.args[0], str):
        return None
    if len(error.args) == 3 and error.args[0] == _numba.MESSAGE:
        # Numba's own store (x[:, 1] = y): NumPy's words; the array is not known
        try:
            value_shape, shape = tuple(error.args[1]), tuple(error.args[2])
            _stand_in(shape, np.float64)[...] = _stand_in(value_shape, np.float64)
        except ValueError as eager:
            return eager
        except Exception:  # noqa: BLE001 (not shapes: leave the error as it is)
            return None
        return None
    if len(error.args) != 5 or error.args[0] != MARK:
        return None
    _, kind, at, value_shape, shape = error.args
    value_shape, shape = tuple(value_shape), tuple(shape)
    found = None
    for _, array in _arrays(units):
        start = array.__array_interface__["data"][0]
        if start <= at < start + max(array.nbytes, 1):
            found = array
            break
    if kind == _ASSIGN:
        if found is not None:
            try:
                _variable.check_assign(
                    found, found.shape, found.dtype, _stand_in(value_shape, found.dtype)
                )
            except ValueError as eager:
                return eager
        return ValueError(
            f"a Variable has shape {shape} but the new value has shape {value_shape}; "
            "a Variable keeps its shape (create a new Variable to change it)."
        )
    # an in-place operation: NumPy's message, as bp.math.ndarray's operators get it
    dtype = found.dtype if found is not None else np.float64
    target, value = _stand_in(shape, dtype), _stand_in(value_shape, dtype)
    try:
        np.add(target, value, out=_stand_in(shape, dtype), casting="unsafe")
    except ValueError as eager:
        message = str(eager).rstrip()
    else:  # pragma: no cover (NumPy broadcasts what the check refused)
        message = f"cannot broadcast a value of shape {value_shape} to shape {shape}"
    if found is not None and _variable.is_variable(found):
        message += f" (in-place update of {_variable.label(found)})"
    return ValueError(message)


def compile_error(text: str, units) -> Exception | None:
    """The error eager code raises for a write that Numba's typing refused (``text``:
    Numba's message; ``units``: the generated functions that may hold the write, the
    likeliest first), or None if the message is not about one."""
    match = _TYPING_PATTERN.search(text)
    if match is None:
        return None
    param, what, spec = match.groups()
    new = _NUMBERS[spec] if what == "number" else None
    for name, array in _arrays(units):
        if name != param:
            continue
        value = new if what == "number" else _stand_in(array.shape, np.dtype(spec))
        try:
            _variable.check_assign(array, array.shape, array.dtype, value)
        except (TypeError, ValueError) as eager:
            return eager
    return TypeError(f"cannot assign a value of {spec} to {param}")
