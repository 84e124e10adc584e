"""``np.packbits`` for Numba code: 32 elements per step, for spike records.

Numba has no ``np.packbits``. Compiled code that calls ``bp.math.packbits`` (the
Runner's spike monitors do, every step: a record of N neurons is N / 8 bytes instead of
N) gets :func:`packbits` here: eagerly NumPy's function; in Numba code, for the
flattened array (``axis=None``, NumPy's default), a loop that turns 32 bytes of a
C-contiguous bool or 8-bit integer array into 4 bytes of bits with a handful of
vector instructions (an ``x != 0`` test of 32 bytes, its mask as a 32-bit integer:
``vpmovmskb`` on x86 with AVX2), and element by element otherwise. The result equals
NumPy's, bit for bit, in either ``bitorder`` (tested in ``tests/math/test_bits.py``).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

from brainjit.math import _numba

__all__ = ["packbits"]

_LANES = 32  # elements per step (bits of the mask)


def packbits(a, axis=None, bitorder="big"):
    """``np.packbits``; in Numba code for ``axis=None`` only (the flattened array)."""
    return np.packbits(a, axis=axis, bitorder=bitorder)


def _bytewide(t) -> bool:
    """Whether ``t`` is a C-contiguous array of 1-byte bools or integers."""
    return (
        isinstance(t, types.Array)
        and t.layout == "C"
        and (isinstance(t.dtype, types.Boolean) or t.dtype in (types.int8, types.uint8))
    )


def _packer(big: bool):
    """An intrinsic ``(src, start, dst, at)``: the bits of ``src.flat[start:start + 32]
    != 0`` into ``dst[at:at + 4]``, in NumPy's ``bitorder='big'`` (the first element in
    the highest bit of its byte) or ``'little'``."""
    order = [8 * (j // 8) + (7 - j % 8 if big else j % 8) for j in range(_LANES)]

    @intrinsic
    def pack32(typingctx, src, start, dst, at):
        if not (_bytewide(src) and isinstance(dst, types.Array) and dst.dtype == types.uint8):
            return None

        def codegen(context, builder, signature, args):
            source = context.make_array(signature.args[0])(context, builder, args[0])
            target = context.make_array(signature.args[2])(context, builder, args[2])
            byte = ir.IntType(8)
            vector = ir.VectorType(byte, _LANES)
            address = builder.gep(builder.bitcast(source.data, byte.as_pointer()), [args[1]])
            values = builder.load(builder.bitcast(address, vector.as_pointer()), align=1)
            if big:  # reverse each group of 8: then element j of a group is bit 7 - j
                lanes = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), order)
                values = builder.shuffle_vector(values, ir.Constant(vector, None), lanes)
            nonzero = builder.icmp_unsigned("!=", values, ir.Constant(vector, None))
            i32 = ir.IntType(32)
            bits = builder.bitcast(nonzero, i32)  # lane j in bit j
            out = builder.gep(target.data, [args[3]])
            builder.store(bits, builder.bitcast(out, i32.as_pointer()), align=1)
            return context.get_dummy_value()

        return types.void(src, types.intp, dst, types.intp), codegen

    return pack32


_pack32_big, _pack32_little = _packer(True), _packer(False)


def _bitorder(t) -> str | None:
    """The ``bitorder`` a Numba argument type stands for (None: not known when typing)."""
    if t is None or isinstance(t, types.NoneType):
        return "big"
    if isinstance(t, str):  # the default, when the call leaves it out
        return t
    if isinstance(t, types.Omitted):
        return "big" if t.value is None else t.value
    if isinstance(t, types.StringLiteral):
        return t.literal_value
    return None


@numba.njit(inline="always")
def _pack_tail(flat, done, out, big):
    """Elements ``done:`` of ``flat``, one by one, into ``out`` (zeroed there)."""
    for i in range(done, flat.size):
        if flat[i] != 0:
            shift = 7 - i % 8 if big else i % 8
            out[i // 8] |= np.uint8(1 << shift)


# the loop over 1-byte elements: compiled once, cached on disk (a Runner's build links
# it instead of compiling it again); LLVM moves the test of ``big`` out of the loop
@numba.njit(cache=True, nogil=True)
def _pack_bytes(flat, out, big):
    done = flat.size - flat.size % _LANES
    for start in range(0, done, _LANES):
        if big:
            _pack32_big(flat, start, out, start // 8)
        else:
            _pack32_little(flat, start, out, start // 8)
    _pack_tail(flat, done, out, big)


def _packbits_big(a, axis=None, bitorder="big"):
    raise NotImplementedError("compiled code only")


def _packbits_little(a, axis=None, bitorder="big"):
    raise NotImplementedError("compiled code only")


def _packer_of(big: bool):
    """The Numba implementation of ``packbits(a)`` (flattened) in one bit order."""

    def typer(a, axis=None, bitorder="big"):
        if not isinstance(a, types.Array) or not isinstance(
            a.dtype, (types.Boolean, types.Integer)
        ):
            raise TypingError("packbits: a must be an array of bools or integers")
        if _bytewide(a):

            def impl(a, axis=None, bitorder="big"):  # (the order is fixed here)
                flat = a.reshape(-1)
                out = np.zeros((flat.size + 7) // 8, np.uint8)
                _pack_bytes(flat, out, big)
                return out

            return impl
        contiguous = a.layout == "C"

        def general(a, axis=None, bitorder="big"):
            flat = a.reshape(-1) if contiguous else a.flatten()
            out = np.zeros((flat.size + 7) // 8, np.uint8)
            _pack_tail(flat, 0, out, big)
            return out

        return general

    return typer


# only compiled code calls these: no Python or C wrappers (brainjit.math._numba.INNER)
overload(_packbits_big, jit_options=_numba.INNER)(_packer_of(True))
overload(_packbits_little, jit_options=_numba.INNER)(_packer_of(False))


@overload(packbits, jit_options=_numba.INNER)
def _packbits_numba(a, axis=None, bitorder="big"):
    if not (axis is None or isinstance(axis, (types.NoneType, types.Omitted))):
        raise TypingError("packbits in compiled code: only axis=None (the flattened array)")
    order = _bitorder(bitorder)
    if order in ("big", "little"):  # known when typing: the implementation itself
        return _packer_of(order == "big")(a)
    if order is not None:
        raise TypingError(f"packbits: bitorder must be 'big' or 'little', got {order!r}")

    def checked(a, axis=None, bitorder="big"):  # a string known at run time only
        if bitorder == "big":
            return _packbits_big(a)
        if bitorder == "little":
            return _packbits_little(a)
        raise ValueError("packbits: bitorder must be 'big' or 'little'")

    return checked
