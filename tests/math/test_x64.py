"""64-bit mode of the jax backend: bp.math.enable_x64() / disable_x64().

JAX's x64 flag is global to the process, so these checks run in a fresh interpreter and
leave the test process in JAX's default 32-bit mode.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from preloaded_python import run_python

import brainjit as bp

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import operator
import warnings

import numpy as np

import brainjit as bp

bm = bp.math
bm.use_backend("jax")
assert not bm.x64_enabled()
try:
    bm.zeros(2, dtype="float64")
except ValueError as error:
    assert "enable_x64" in str(error)
else:
    raise AssertionError("float64 accepted without x64")

bm.enable_x64()
assert bm.x64_enabled()

# requested 64-bit dtypes, and the defaults, are 64-bit now
assert bm.zeros(2, dtype="float64").dtype == np.float64
assert bm.ones(2).dtype == np.float64 and bm.arange(3).dtype == np.int64
assert bm.array([1.0, 2.0]).dtype == np.float64
assert bm.ones(2).astype("int64").dtype == np.int64
assert bm.asarray(np.zeros(2)).dtype == np.float64
assert bm.random.normal(size=3).dtype == np.float64
assert bm.random.randint(0, 5, 3).dtype == np.int64
assert bm.random.randint(0, 5, 3, dtype="int64").dtype == np.int64

# values in double precision, against NumPy
x = np.linspace(0.1, 3.0, 7)
for name in ("exp", "sin", "log", "sqrt", "tanh", "cumsum"):
    np.testing.assert_allclose(
        np.asarray(getattr(bm, name)(bm.array(x))), getattr(np, name)(x), rtol=1e-13
    )
m = np.array([[4.0, 1.0], [1.0, 3.0]])
np.testing.assert_allclose(np.asarray(bm.linalg.inv(bm.array(m))), np.linalg.inv(m), rtol=1e-13)
assert abs(float(bm.sum(bm.array(x))) - x.sum()) < 1e-13

# Variables and in-place updates keep 64-bit dtypes (cast-back as NumPy)
v = bm.Variable(np.zeros(3))
assert v.dtype == np.float64
v.value = np.ones(3)
v += 0.5
np.testing.assert_array_equal(np.asarray(v), [1.5, 1.5, 1.5])
UFUNCS = {"iadd": np.add, "isub": np.subtract, "imul": np.multiply, "itruediv": np.divide,
          "ifloordiv": np.floor_divide, "imod": np.remainder, "ipow": np.power,
          "iand": np.bitwise_and, "ior": np.bitwise_or, "ixor": np.bitwise_xor,
          "ilshift": np.left_shift, "irshift": np.right_shift}
for dtype in ("int64", "float64"):
    for op, ufunc in UFUNCS.items():
        for rhs in (3, 2.0):
            start = np.array([-3, -1, 0, 2, 5, 7]).astype(dtype)
            want = start.copy()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ufunc(want, rhs, out=want, casting="unsafe")
            except TypeError:
                want = None
            a = bm.array(start)
            ident = id(a)
            try:
                a = getattr(operator, op)(a, rhs)
            except TypeError:
                assert want is None, (dtype, op, rhs)
                continue
            assert want is not None, (dtype, op, rhs)
            assert id(a) == ident and a.dtype == np.dtype(dtype), (dtype, op, rhs)
            label = f"{dtype} {op} {rhs}"
            np.testing.assert_allclose(np.asarray(a), want, rtol=1e-15, err_msg=label)

bm.disable_x64()
assert not bm.x64_enabled()
try:
    bm.zeros(2, dtype="int64")
except ValueError as error:
    assert "enable_x64" in str(error)
else:
    raise AssertionError("int64 accepted after disable_x64")
assert bm.ones(2).dtype == np.float32
print("x64 ok")
"""


def test_enable_x64_then_64_bit_dtypes_work_and_disable_restores():
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("x64 ok")


def test_property_tests_in_64_bit_mode():
    """tests/math/test_namespace.py's jax half with float64/int64 data, in 64-bit mode."""
    selection = "jax and (add or true_divide or exp or cumsum or where or creation)"
    # ``python -m pytest ...`` in a process forked from one that has imported brainjit's
    # dependencies (JAX not started): preloaded_python.py
    result = run_python(
        Path(pytest.__file__).with_name("__main__.py"),
        ["-q", "-p", "no:cacheprovider", "-x", "--rootdir", str(ROOT)]
        + [str(Path(__file__).with_name("test_namespace.py")), "-k", selection],
        cwd=ROOT,
        timeout=900,
        env={**os.environ, "BRAINJIT_TEST_X64": "1"},
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_this_process_stays_32_bit():
    assert not bp.math.x64_enabled() or "JAX_ENABLE_X64" in os.environ
