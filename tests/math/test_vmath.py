"""bp.math.exp and bp.math.expm1 in Numba code (brainjit.math._numpy.vmath): within 1
(exp) and 2 (expm1) ulp of NumPy's over the whole range, NumPy's special values, float32
in float32 out, arrays as well as numbers, and loops over them with no call of the C
library's scalar functions left (so that LLVM can vectorise them)."""

import re

import numba
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._numpy import vmath

bm = bp.math
RNG = np.random.default_rng(7)

SPECIAL = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-300, -1e-300, 5e-324, -5e-324]
    + [709.78, 709.7827128933840, 709.79, 710.0, 1e4, -1e4]  # around overflow
    + [-708.39, -708.4, -720.0, -745.13, -745.1332191019412, -745.14, -746.0]  # underflow
    + [0.34657359027997264, -0.34657359027997264, 0.3466, -0.3466]  # reduction's edges
)


def sample(n=200_000):
    return np.concatenate(
        [
            RNG.uniform(-750.0, 750.0, n),
            RNG.uniform(-3.0, 3.0, n),
            RNG.uniform(-1e-6, 1e-6, n // 10),
            np.exp(RNG.uniform(-700.0, 0.0, n // 10)) * RNG.choice([-1.0, 1.0], n // 10),
            SPECIAL,
        ]
    )


def ulps(got, want):
    """Distance in units of the last place of ``want`` (0 where both are equal or NaN)."""
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore", over="ignore"):
        spacing = np.spacing(np.maximum(np.abs(want), np.finfo(want.dtype).smallest_subnormal))
        distance = np.abs(got - want) / spacing
    return np.where(same, 0.0, distance)


@numba.njit
def _exp_loop(x, out):
    for i in range(x.size):
        out[i] = vmath.exp(x[i])


@numba.njit
def _expm1_loop(x, out):
    for i in range(x.size):
        out[i] = vmath.expm1(x[i])


LOOPS = {"exp": (_exp_loop, np.exp, 1.0), "expm1": (_expm1_loop, np.expm1, 2.0)}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_close_to_numpy_everywhere(name):
    loop, reference, bound = LOOPS[name]
    x = sample()
    got = np.empty_like(x)
    loop(x, got)
    with np.errstate(over="ignore"):
        want = reference(x)
    errors = ulps(got, want)
    assert errors.max() <= bound, f"{name}({x[np.argmax(errors)]!r}): {errors.max()} ulp"
    assert errors.mean() < 0.1  # mostly exact
    # special values exactly, signs of zeros included
    assert_special_values_exact(loop, reference, SPECIAL, np.abs(SPECIAL) < 1e-290)


def assert_special_values_exact(loop, reference, values, also_exact):
    """NaN, infinities and zeros exactly as NumPy, signs included (and the results
    where ``also_exact``)."""
    special = np.empty_like(values)
    loop(values, special)
    with np.errstate(over="ignore"):
        expected = reference(values)
    exact = np.isnan(expected) | np.isinf(expected) | (expected == 0) | also_exact
    np.testing.assert_array_equal(special[exact], expected[exact])
    np.testing.assert_array_equal(np.signbit(special[exact]), np.signbit(expected[exact]))


def _compiled_exp(x, y, z, s):
    return bm.exp(x), bm.exp(y), bm.exp(z), bm.exp(s)


def _compiled_expm1(x, y, z, s):
    return bm.expm1(x), bm.expm1(y), bm.expm1(z), bm.expm1(s)


@pytest.mark.parametrize("name", ["exp", "expm1"])
def test_in_compiled_code_numbers_arrays_and_float32(name):
    """bp.math.exp/expm1 under bp.math.jit (numpy backend): numbers, float64 and float32
    arrays (float32 results), integers (float64 results)."""
    f = {"exp": _compiled_exp, "expm1": _compiled_expm1}[name]
    reference = getattr(np, name)
    x = RNG.uniform(-30.0, 30.0, (7, 5))
    y = x.astype(np.float32)
    z = np.arange(-5, 6)
    with bm.backend("numpy"):
        got = bm.jit(f)(x, y, z, 0.25)
    assert got[0].dtype == np.float64 and got[1].dtype == np.float32
    assert got[2].dtype == np.float64 and got[0].shape == x.shape
    assert ulps(got[0], reference(x)).max() <= 2
    # float32: computed in float32, within 2 ulp of the correctly rounded result
    assert ulps(got[1], reference(y.astype(np.float64)).astype(np.float32)).max() <= 2
    assert ulps(got[2], reference(z.astype(np.float64))).max() <= 2
    assert ulps(np.float64(got[3]), reference(np.float64(0.25))) <= 2


SPECIAL32 = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-38, -1e-38, 1e-45, -1e-45]
    + [88.72, 88.7228, 88.73, 89.0, 1e4, -1e4]  # around overflow
    + [-87.3, -87.4, -100.0, -103.27, -103.97, -103.98, -104.0]  # underflow
    + [0.34657, -0.34657, 0.3466, -0.3466],  # reduction's edges
    dtype=np.float32,
)


@pytest.mark.optimised
@pytest.mark.parametrize("name", sorted(LOOPS))
def test_float32_in_float32_close_to_correctly_rounded(name):
    """float32 arguments are computed in float32 (8 per AVX2 vector), within 1 (exp) and
    2 (expm1) ulp of the float64 result rounded to float32, as close as NumPy's own
    float32 functions (whose error reaches 2 ulp); special values as NumPy."""
    loop, reference, bound = LOOPS[name]
    x = np.concatenate(
        [
            RNG.uniform(-110.0, 95.0, 200_000),
            RNG.uniform(-3.0, 3.0, 200_000),
            RNG.uniform(-1e-4, 1e-4, 20_000),
            SPECIAL32,
        ]
    ).astype(np.float32)
    got = np.empty_like(x)
    loop(x, got)
    with np.errstate(over="ignore"):
        want = reference(x.astype(np.float64)).astype(np.float32)
    errors = ulps(got, want)
    assert errors.max() <= bound, f"{name}({x[np.argmax(errors)]!r}): {errors.max()} ulp"
    assert errors.mean() < 0.1
    (signature,) = [sig for sig in loop.signatures if sig[0].dtype == numba.float32]
    llvm = loop.inspect_llvm(signature)
    assert re.search(r"<(8|16) x float>", llvm)  # vectorised in float32 (AVX2 or AVX-512)
    assert_special_values_exact(loop, reference, SPECIAL32, np.zeros(SPECIAL32.shape, bool))


@pytest.mark.optimised
@pytest.mark.parametrize("name", sorted(LOOPS))
def test_loops_call_no_scalar_library_function(name):
    """A loop over the function compiles to arithmetic only: no call of the C library's
    exp/expm1 (or of LLVM's exp intrinsic, which becomes one call per element)."""
    loop = LOOPS[name][0]
    x = np.zeros(4)
    loop(x, x.copy())  # (compiled already where an earlier test ran it on float64)
    ir = loop.inspect_llvm(next(s for s in loop.signatures if s[0].dtype == numba.float64))
    assert "@llvm.exp" not in ir and "@exp(" not in ir and "@expm1(" not in ir
    assert "<2 x double>" in ir or "<4 x double>" in ir or "<8 x double>" in ir  # vectorised


def test_eager_is_numpy():
    x = RNG.uniform(-5.0, 5.0, 10)
    np.testing.assert_array_equal(vmath.exp(x), np.exp(x))
    np.testing.assert_array_equal(vmath.expm1(x), np.expm1(x))


def test_unsupported_argument_is_a_clear_error():
    @numba.njit
    def f(x):
        return vmath.exp(x)

    with pytest.raises(numba.core.errors.TypingError, match="bp.math.exp: expected a number"):
        f("text")
