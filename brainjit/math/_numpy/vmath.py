"""``exp`` and ``expm1`` for Numba code, written so that LLVM vectorises loops over them.

Numba compiles ``np.exp`` on a number into a call of the C library's scalar ``exp``
(about 10 ns here). A loop over neurons that calls it cannot be vectorised: LLVM turns
its vector form back into one call per element, since llvmlite gives it no vector math
library (no SVML, no glibc ``libmvec``). Hodgkin-Huxley networks spend most of their time
there (about ten exponentials per neuron and step).

The functions here are plain arithmetic (range reduction, a polynomial, a power of two
built from its bits), which LLVM vectorises like any other: 4 doubles at a time with
AVX2. Accuracy: within 1 ulp of NumPy's results over the whole range (checked against
NumPy in ``tests/math/test_vmath.py``); ``inf``, ``-inf``, ``nan``, overflow and gradual
underflow as NumPy. Float32 arguments are computed in double precision and rounded.

The numpy backend's compiled code calls them for ``bp.math.exp`` and ``bp.math.expm1``
(:mod:`brainjit.math._numpy.numba_view`); eagerly they are NumPy's functions.

The method is the classic one (Cody & Waite; fdlibm's ``exp``/``expm1``): with
``k = rint(x / ln 2)`` and ``r = x - k ln 2`` (``ln 2`` split in two so that ``k ln2_hi``
is exact), ``|r| <= ln(2) / 2``, ``exp(x) = 2**k exp(r)`` and ``exp(r)`` (or
``expm1(r)``) is its Taylor polynomial to degree 13 (truncation error below 1e-17
relative). ``2**k`` is two factors ``2**(k // 2) 2**(k - k // 2)``, each a normal
number, so that results in the subnormal range round once, as they should.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload, register_jitable

__all__ = ["exp", "expm1"]

_LOG2E = 1.4426950408889634  # 1 / ln 2
_LN2_HI = 6.93147180369123816490e-01  # ln 2, high part: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_LIMIT = 746.0  # |x| beyond which exp(x) is 0 or inf (and expm1(x) is -1 or inf)
_MAGIC = 6755399441055744.0  # 1.5 * 2**52: an integer k < 2**51 in magnitude, plus this,
# has k in the low bits of its mantissa
_MAGIC_BITS = int(np.float64(_MAGIC).view(np.int64))
# 1/n! for n = 2 ... 13
_C = tuple(1.0 / math.factorial(n) for n in range(14))


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64, as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, n):
    """The float64 whose bits are the int64 ``n``."""
    if n != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _muladd(typingctx, a, b, c):
    """``a * b + c``, fused into one instruction where the CPU has FMA (LLVM's
    ``fmuladd``: whatever the caller's fastmath flags)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        signature = ir.FunctionType(double, [double, double, double])
        fmuladd = builder.module.declare_intrinsic("llvm.fmuladd", [double], signature)
        return builder.call(fmuladd, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@register_jitable(inline="always")
def _reduce(x):
    """``(k, r)``: ``x = k ln 2 + r`` with ``|r| <= ln(2) / 2``, ``x`` clamped to
    ``[-_LIMIT, _LIMIT]`` first (NaN stays NaN)."""
    x = _LIMIT if x > _LIMIT else x
    x = -_LIMIT if x < -_LIMIT else x
    kf = np.rint(x * _LOG2E)
    r = _muladd(-kf, _LN2_LO, _muladd(-kf, _LN2_HI, x))
    k = _bits(kf + _MAGIC) - _MAGIC_BITS  # the integer kf, without a float->int conversion
    return k, r


@register_jitable(inline="always")
def _pow2(k):
    """``2.0 ** k`` for an integer ``-1022 <= k <= 1023``."""
    return _from_bits((k + 1023) << 52)


@register_jitable(inline="always")
def _expm1_poly(r):
    """``expm1(r)`` for ``|r| <= ln(2) / 2``: the Taylor polynomial to degree 13,
    evaluated by Estrin's scheme (independent products: more of them run at once)."""
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a = _muladd(_C[3], r, _C[2])  # degrees 2-3, divided by r^2
    b = _muladd(_C[5], r, _C[4])
    c = _muladd(_C[7], r, _C[6])
    d = _muladd(_C[9], r, _C[8])
    e = _muladd(_C[11], r, _C[10])
    f = _muladd(_C[13], r, _C[12])
    low = _muladd(_muladd(d, r2, c), r4, _muladd(b, r2, a))  # degrees 2-9, / r^2
    high = _muladd(f, r2, e)  # degrees 10-13, divided by r^10
    return _muladd(r2, _muladd(high, r8, low), r)


@register_jitable(inline="always")
def exp_f64(x):
    k, r = _reduce(x)
    p = 1.0 + _expm1_poly(r)
    k1 = k >> 1
    return p * _pow2(k1) * _pow2(k - k1)


@register_jitable(inline="always")
def expm1_f64(x):
    k, r = _reduce(x)
    q = _expm1_poly(r)
    k1 = k >> 1
    s1 = _pow2(k1)
    s2 = _pow2(k - k1)
    # 2**k (1 + q) - 1 = s1 ((s2 - 1 / s1) + s2 q): exact at k = 0 (q itself), no
    # overflow of 2**k near the top of the range
    y = s1 * ((s2 - _pow2(-k1)) + s2 * q)
    return x if x == 0.0 else y  # keeps the sign of -0.0


def exp(x):
    """``np.exp``; in Numba code, the vectorisable version (module docstring)."""
    return np.exp(x)


def expm1(x):
    """``np.expm1``; in Numba code, the vectorisable version (module docstring)."""
    return np.expm1(x)


def _overload(public, scalar):
    @overload(public, inline="always")
    def impl(x):
        if isinstance(x, types.Float):
            dtype = x
            return lambda x: dtype(scalar(np.float64(x)))
        if isinstance(x, (types.Integer, types.Boolean)):
            return lambda x: scalar(np.float64(x))
        if isinstance(x, types.Array) and isinstance(x.dtype, (types.Float, types.Integer)):
            out_dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

            def array_impl(x):
                out = np.empty(x.shape, out_dtype)
                flat_in = x.ravel()
                flat_out = out.reshape(-1)
                for i in range(flat_out.size):
                    flat_out[i] = scalar(np.float64(flat_in[i]))
                return out

            return array_impl
        raise TypingError(f"bp.math.{public.__name__}: expected a number or an array, got {x}")


_overload(exp, exp_f64)
_overload(expm1, expm1_f64)
