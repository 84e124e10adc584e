"""``exp`` and ``expm1`` for Numba code, written so that LLVM vectorises loops over them.

Numba compiles ``np.exp`` on a number into a call of the C library's scalar ``exp``
(about 10 ns here). A loop over neurons that calls it cannot be vectorised: LLVM turns
its vector form back into one call per element, since llvmlite gives it no vector math
library (no SVML, no glibc ``libmvec``). Hodgkin-Huxley networks spend most of their time
there (about ten exponentials per neuron and step).

The functions here are plain arithmetic (range reduction, a polynomial, a power of two
built from its bits), which LLVM vectorises like any other: 4 doubles at a time with
AVX2. Accuracy: within 1 ulp (``exp``) and 2 ulp (``expm1``) of NumPy's results over
the whole range (checked against NumPy in ``tests/math/test_vmath.py``); ``inf``,
``-inf``, ``nan``, overflow and gradual underflow as NumPy. Float32 arguments are
computed in float32 (8 at a time with AVX2, about 0.6 ns per element against 1.8 for
float64), within 1 and 2 ulp of the correctly rounded result, as NumPy's own float32
functions are.

The numpy backend's compiled code calls them for ``bp.math.exp`` and ``bp.math.expm1``
(:mod:`brainjit.math._numpy.numba_view`); eagerly they are NumPy's functions.

The method is the classic one (Cody & Waite; fdlibm's ``exp``/``expm1``): with
``k = rint(x / ln 2)`` and ``r = x - k ln 2`` (``ln 2`` split in two so that ``k ln2_hi``
is exact), ``|r| <= ln(2) / 2``, ``exp(x) = 2**k exp(r)`` and ``exp(r)`` (or
``expm1(r)``) is its Taylor polynomial to degree 13 (truncation error below 1e-17
relative; degree 7 in float32, below 2e-8). ``2**k`` is two factors
``2**(k // 2) 2**(k - k // 2)``, each a normal number, so that results in the subnormal
range round once, as they should.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

__all__ = ["exp", "expm1"]


class _Precision:
    """The constants of the method in one floating-point format."""

    def __init__(self, bits, log2e, ln2_hi, ln2_lo, limit, degree, magic, bias, mantissa):
        self.bits = bits  # 32 or 64: the float and the integer types
        self.log2e = log2e  # 1 / ln 2
        self.ln2_hi = ln2_hi  # ln 2, high part: k * ln2_hi is exact for every k used
        self.ln2_lo = ln2_lo  # ln 2 - ln2_hi
        self.limit = limit  # |x| beyond which exp(x) is 0 or inf (expm1(x) -1 or inf)
        self.degree = degree  # of the Taylor polynomial of expm1 on |r| <= ln(2) / 2
        self.magic = magic  # 1.5 * 2**mantissa: an integer k plus this has k in its low bits
        self.magic_bits = int(np.array(magic, f"float{bits}").view(f"int{bits}"))
        self.bias = bias  # exponent bias
        self.mantissa = mantissa  # mantissa bits


# degree 13: truncation error below 1e-17 relative (double); degree 7: below 2e-8 (float)
_F64 = _Precision(
    64,
    1.4426950408889634,
    6.93147180369123816490e-01,
    1.90821492927058770002e-10,
    746.0,
    13,
    6755399441055744.0,
    1023,
    52,
)
_F32 = _Precision(
    32, 1.4426950408889634, 0.693145751953125, 1.428606765330187e-06, 104.0, 7, 12582912.0, 127, 23
)
# 1/n! (n = 2 ... 13 are used)
_C = tuple(1.0 / math.factorial(n) for n in range(14))


class _Emitter:
    """Writes the instructions of ``exp``/``expm1`` of one float64 (or one float32)
    into an LLVM function, where the call is: no call remains, so LLVM can vectorise the
    loop around it, and Numba has nothing to type or inline (compiling stays cheap)."""

    def __init__(self, builder: ir.IRBuilder, precision: _Precision = _F64):
        self.b = builder
        self.p = precision
        self.f = ir.DoubleType() if precision.bits == 64 else ir.FloatType()
        self.i = ir.IntType(precision.bits)
        signature = ir.FunctionType(self.f, [self.f] * 3)
        self._fmuladd = builder.module.declare_intrinsic("llvm.fmuladd", [self.f], signature)
        self._rint = builder.module.declare_intrinsic("llvm.rint", [self.f])

    def const(self, value: float):
        return ir.Constant(self.f, value)

    def int(self, value: int):
        return ir.Constant(self.i, value)

    def muladd(self, a, b, c):
        """``a * b + c``, one FMA instruction where the CPU has it (LLVM's ``fmuladd``,
        whatever the caller's fastmath flags)."""
        return self.b.call(self._fmuladd, [a, b, c])

    def pow2(self, k):
        """``2.0 ** k`` for an integer ``k`` of the normal range, from its bits."""
        b = self.b
        biased = b.add(k, self.int(self.p.bias))
        return b.bitcast(b.shl(biased, self.int(self.p.mantissa)), self.f)

    def reduce(self, x):
        """``(k, r)``: ``x = k ln 2 + r``, ``|r| <= ln(2) / 2``, after clamping ``x`` to
        ``[-limit, limit]`` (NaN stays NaN: ordered comparisons are false for it)."""
        b, p = self.b, self.p
        x = b.select(b.fcmp_ordered(">", x, self.const(p.limit)), self.const(p.limit), x)
        x = b.select(b.fcmp_ordered("<", x, self.const(-p.limit)), self.const(-p.limit), x)
        kf = b.call(self._rint, [b.fmul(x, self.const(p.log2e))])
        minus_k = b.fneg(kf)
        r = self.muladd(
            minus_k, self.const(p.ln2_lo), self.muladd(minus_k, self.const(p.ln2_hi), x)
        )
        # the integer kf, without a float->int conversion (none is vectorised on AVX2)
        shifted = b.bitcast(b.fadd(kf, self.const(p.magic)), self.i)
        return b.sub(shifted, self.int(p.magic_bits)), r

    def expm1_poly(self, r):
        """``expm1(r)`` for ``|r| <= ln(2) / 2``: the Taylor polynomial to degree 13
        (double) or 7 (float) by Estrin's scheme (independent products: more of them run
        at once)."""
        b, c, m = self.b, self.const, self.muladd
        r2 = b.fmul(r, r)
        r4 = b.fmul(r2, r2)
        if self.p.degree == 7:  # r + r^2 (c2 + c3 r + r^2 (c4 + c5 r) + r^4 (c6 + c7 r))
            pairs = [m(c(_C[n + 1]), r, c(_C[n])) for n in (2, 4, 6)]
            return m(r2, m(pairs[2], r4, m(pairs[1], r2, pairs[0])), r)
        r8 = b.fmul(r4, r4)
        pairs = [m(c(_C[n + 1]), r, c(_C[n])) for n in (2, 4, 6, 8, 10, 12)]
        low = m(m(pairs[3], r2, pairs[2]), r4, m(pairs[1], r2, pairs[0]))  # 2-9, / r^2
        high = m(pairs[5], r2, pairs[4])  # degrees 10-13, divided by r^10
        return m(r2, m(high, r8, low), r)

    def split_pow2(self, k):
        """``(k1, 2**k1, 2**(k - k1))`` with ``k1 = k // 2``: two normal numbers whose
        product is ``2**k`` for every ``k`` the clamped reduction gives."""
        k1 = self.b.ashr(k, self.int(1))
        return k1, self.pow2(k1), self.pow2(self.b.sub(k, k1))

    def exp(self, x):
        b = self.b
        k, r = self.reduce(x)
        p = b.fadd(self.const(1.0), self.expm1_poly(r))
        _, s1, s2 = self.split_pow2(k)
        return b.fmul(b.fmul(p, s1), s2)

    def expm1(self, x):
        b = self.b
        k, r = self.reduce(x)
        q = self.expm1_poly(r)
        k1, s1, s2 = self.split_pow2(k)
        # 2**k (1 + q) - 1 = s1 ((s2 - 1 / s1) + s2 q): exact at k = 0 (q itself), and
        # 2**k does not overflow near the top of the range
        inverse = self.pow2(b.neg(k1))
        y = b.fmul(s1, b.fadd(b.fsub(s2, inverse), b.fmul(s2, q)))
        return b.select(b.fcmp_ordered("==", x, self.const(0.0)), x, y)  # keeps -0.0


def _scalar_intrinsic(method: str):
    """An intrinsic computing ``method`` of one number (a float32 in float32; integers
    and booleans give float64)."""

    @intrinsic
    def scalar(typingctx, x):
        if isinstance(x, types.Float) and x.bitwidth in (32, 64):
            result = x
        elif isinstance(x, (types.Integer, types.Boolean)):
            result = types.float64
        else:
            return None

        def codegen(context, builder, signature, args):
            (value,) = args
            if signature.args[0] == types.float32:  # 8 per AVX2 vector, not 4
                return getattr(_Emitter(builder, _F32), method)(value)
            double = context.cast(builder, value, signature.args[0], types.float64)
            out = getattr(_Emitter(builder), method)(double)
            return context.cast(builder, out, types.float64, signature.return_type)

        return result(x), codegen

    return scalar


_exp = _scalar_intrinsic("exp")
_expm1 = _scalar_intrinsic("expm1")


def exp(x):
    """``np.exp``; in Numba code, the vectorisable version (module docstring)."""
    return np.exp(x)


def expm1(x):
    """``np.expm1``; in Numba code, the vectorisable version (module docstring)."""
    return np.expm1(x)


def _overload(public, scalar):
    label = f"bp.math.{public.__name__}"

    @overload(public, inline="always")  # a one-line function: cheap to inline
    def impl(x):
        if isinstance(x, (types.Float, types.Integer, types.Boolean)):
            return lambda x: scalar(x)
        if isinstance(x, types.Array) and isinstance(x.dtype, (types.Float, types.Integer)):
            out_dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

            def array_impl(x):
                out = np.empty(x.shape, out_dtype)
                flat_in = x.ravel()
                flat_out = out.reshape(-1)
                for i in range(flat_out.size):
                    flat_out[i] = scalar(flat_in[i])
                return out

            return array_impl
        raise TypingError(f"{label}: expected a number or an array, got {x}")


_overload(exp, _exp)
_overload(expm1, _expm1)
