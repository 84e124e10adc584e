"""bp.math.set_dfloat / dftype: the float dtype of models' state on both backends, and
float32 computation in compiled code on the numpy backend (float literals, numbers and
bp.math.elementwise loops follow float32 arrays, as NumPy 2 and JAX do)."""

import re

import numpy as np
import pytest

import brainjit as bp

bm = bp.math


@pytest.fixture(autouse=True)
def _reset():
    bm.set_dfloat(None)
    yield
    bm.set_dfloat(None)


def test_defaults_per_backend_and_set_dfloat(backend):
    expected = np.float64 if backend == "numpy" or bm.x64_enabled() else np.float32
    assert bm.dftype() == expected
    bm.set_dfloat(bm.float32)
    assert bm.dftype() == np.float32
    lif = bp.dyn.LIF(5, V_initial=np.linspace(-70.0, -60.0, 5))
    assert lif.V.dtype == np.float32 and lif.input.dtype == np.float32
    assert lif.t_last_spike.dtype == np.float32
    hh = bp.dyn.HH(3)
    assert {v.dtype for v in (hh.V, hh.m, hh.h, hh.n)} == {np.dtype(np.float32)}
    bm.set_dfloat(None)
    assert bm.dftype() == expected
    with pytest.raises(ValueError, match="float32 or float64"):
        bm.set_dfloat(np.int32)


@bm.elementwise
def rate(V, VT, k=5.0):
    x = 13.0 - V + VT
    return 0.32 * x / bm.expm1(x / 4.0) + 0.5 * bm.exp((10.0 - V + VT) / 40.0) * k


class Rates(bp.Base):
    def __init__(self, V):
        super().__init__()
        self.V = bm.Variable(V)
        self.out = bm.Variable(bm.zeros_like(V))

    def update(self, VT):
        rate(self.V, VT, out=(self.out,))


@pytest.mark.optimised
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_follows_float32_arrays(dtype):
    """With float32 arrays the loop computes in float32: NumPy 2's result on the arrays
    (Python numbers are 'weak' next to float32 arrays) to float32 rounding; float64
    arrays stay float64 to float64 rounding."""
    V = np.linspace(-80.0, 40.0, 1000).astype(dtype)  # not -50: x = 0 there
    model = Rates(V)
    update = bm.jit(model.update)
    update(-63.0)
    expected = rate(V, -63.0)  # eager: NumPy on the arrays
    assert expected.dtype == dtype and model.out.dtype == dtype
    rtol = 40 * np.finfo(dtype).eps
    np.testing.assert_allclose(np.asarray(model.out.value), expected, rtol=rtol)
    if dtype == np.float32:
        from brainjit.math import _elementwise

        kernel = _elementwise._KERNELS[(rate.__brainjit_elementwise__, True)]
        assert "float32(0.32)" in open(kernel.py_func.__code__.co_filename).read()
        # the loop (linked into the caller's code) is vectorised in float32
        llvm = update.dispatcher.inspect_llvm(update.dispatcher.signatures[0])
        assert re.search(r"<(8|16) x float>", llvm)  # AVX2 or AVX-512


def test_jit_float_literals_option():
    def f(x):
        return x * 0.5 + 1.0

    x = np.arange(4, dtype=np.float32)
    f32 = bm.jit(f, float_literals="float32")
    f64 = bm.jit(f)
    assert f32(x).dtype == np.float32
    assert f64(x).dtype == np.float64  # Numba types 0.5 as float64
    np.testing.assert_array_equal(f32(x), x * np.float32(0.5) + np.float32(1.0))
    assert "float32(0.5)" in f32.units[0].source
    with pytest.raises(ValueError, match="float_literals"):
        bm.jit(f, float_literals="float16")
