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
"""

from __future__ import annotations

from numba.core import types
from numba.extending import overload

from brainjit.math import _numba

__all__ = ["store", "store_all"]


def store(array, index, value):
    """``array[index] = value``."""
    array[index] = value


def store_all(array, value):
    """``array[...] = value`` (the index apart: Numba takes ``...`` only as written)."""
    array[...] = value


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
