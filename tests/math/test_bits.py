"""``bp.math.packbits`` in compiled numpy-backend code (brainjit.math._numpy.bits)
against NumPy's ``np.packbits``."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import brainjit as bp
from brainjit.math._numpy.bits import packbits

SIZES = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1000, 4099]


@numba.njit
def _pack(a, bitorder):
    return packbits(a, bitorder=bitorder)


@numba.njit
def _pack_default(a):
    return packbits(a)


@pytest.mark.parametrize("bitorder", ["big", "little"])
@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int8, np.int32, np.int64])
def test_flat_arrays_like_numpy(dtype, bitorder):
    rng = np.random.default_rng(3)
    for n in SIZES:
        for density in (0.0, 0.01, 0.5, 1.0):
            a = (rng.random(n) < density).astype(dtype)
            if dtype is not bool:  # any non-zero value is a set bit
                a = a * rng.integers(1, 100, n).astype(dtype)
            got = _pack(a, bitorder)
            assert got.dtype == np.uint8
            np.testing.assert_array_equal(got, np.packbits(a, bitorder=bitorder))


def test_every_single_bit():
    """A lone set element at each position of two 32-element blocks and the tail."""
    n = 75
    for i in range(n):
        a = np.zeros(n, bool)
        a[i] = True
        np.testing.assert_array_equal(_pack_default(a), np.packbits(a))
        np.testing.assert_array_equal(_pack(a, "little"), np.packbits(a, bitorder="little"))


def test_many_dimensions_and_strides():
    """``axis=None`` packs the flattened array (C order), whatever the layout."""
    rng = np.random.default_rng(4)
    a = rng.random((37, 45)) < 0.3
    for view in (a, a.T, a[::2], a[:, 3:40:3], np.asfortranarray(a)):
        np.testing.assert_array_equal(_pack_default(view), np.packbits(view))


def test_offset_views():
    """A C-contiguous view that starts in the middle of its buffer (unaligned loads)."""
    a = np.random.default_rng(5).random(300) < 0.5
    for start in range(9):
        view = a[start : start + 250]
        np.testing.assert_array_equal(_pack_default(view), np.packbits(view))


def test_errors():
    with pytest.raises(ValueError, match="bitorder"):
        _pack(np.ones(8, bool), "middle")
    with pytest.raises((ValueError, numba.core.errors.TypingError), match="bitorder"):
        numba.njit(lambda a: packbits(a, bitorder="middle"))(np.ones(8, bool))
    with pytest.raises(numba.core.errors.TypingError, match="axis=None"):
        numba.njit(lambda a: packbits(a, axis=0))(np.ones(8, bool))
    with pytest.raises(numba.core.errors.TypingError, match="bools or integers"):
        _pack_default(np.ones(8))


def test_bp_math_packbits_compiled_on_both_backends():
    """``bp.math.packbits`` in jit-compiled methods: the same bits as NumPy, on both
    backends (compiled by Numba or XLA)."""
    spikes = np.random.default_rng(6).random(1001) < 0.1
    for backend in ("numpy", "jax"):
        with bp.math.backend(backend):

            class Pack(bp.Base):
                def __init__(self):
                    super().__init__()
                    self.s = bp.math.Variable(bp.math.asarray(spikes))
                    self.out = bp.math.Variable(bp.math.zeros((2, 126), dtype=bp.math.uint8))

                def f(self):
                    self.out[1] = bp.math.packbits(self.s)

            model = Pack()
            bp.math.jit(model.f)()
            out = np.asarray(model.out.value)
            np.testing.assert_array_equal(out[1], np.packbits(spikes))
            assert not out[0].any()
