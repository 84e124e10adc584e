"""Property tests: bp.math on both backends against NumPy, over dtypes and shapes.

For each operation, Hypothesis draws a dtype and arrays (0 to 2 dimensions, sides up to
4, 3 under jax; 12 examples, 4 under jax, where each new shape and dtype is an XLA
compile); NumPy on the same data is the oracle. The numpy backend must match NumPy
exactly (dtype included); the jax backend computes in 32 bits (float32/int32/bool here;
64-bit dtypes are covered by tests/math/test_x64.py), so it must give the same values
within float32 tolerance and the same kind of dtype. Floats are drawn on a grid of
quarters, so that sums and quotients are exact and the comparison tests bp.math, not
rounding. Examples are derandomized: the suite is deterministic.
"""

import inspect
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import brainjit as bp

# BRAINJIT_TEST_X64=1 (set by tests/math/test_x64.py, in a subprocess): the jax backend
# in 64-bit mode, with 64-bit dtypes and double-precision tolerances
X64 = bool(os.environ.get("BRAINJIT_TEST_X64"))
if X64:
    bp.math.enable_x64()
DTYPES = {
    "numpy": ["float32", "float64", "int32", "int64", "bool"],
    "jax": ["float32", "float64", "int32", "int64", "bool"]
    if X64
    else ["float32", "int32", "bool"],
}
SETTINGS = settings(
    deadline=None,  # XLA compiles each new shape
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# examples per operation: under jax every new shape and dtype of an operation is an XLA
# compile (~0.05 s; 12 examples made this file's jax half 70 s of CPU; 4 examples cover
# 248 of the (operation, dtype kind) pairs 6 examples covered, 250)
EXAMPLES = {"numpy": 12, "jax": 4}
BACKENDS = pytest.mark.parametrize("backend", ["numpy", "jax"])


def property_test(body):
    """``body(backend, ..., data)`` as a Hypothesis test of ``EXAMPLES[backend]``
    examples (``data``: Hypothesis' interactive draws)."""
    runs = {
        backend: settings(SETTINGS, max_examples=n)(given(data=st.data())(body))
        for backend, n in EXAMPLES.items()
    }

    def test(backend, **params):
        runs[backend](backend=backend, **params)

    test.__name__ = test.__qualname__ = body.__name__
    test.__doc__, test.__module__ = body.__doc__, body.__module__
    params = inspect.signature(body).parameters.values()
    test.__signature__ = inspect.Signature([p for p in params if p.name != "data"])
    return test


def elements(dtype, low=-40, high=40):
    if dtype == "bool":
        return st.booleans()
    if dtype.startswith("int"):
        return st.integers(low // 2, high // 2)
    return st.integers(low, high).map(lambda k: k / 4)  # quarters: exact in binary


def arrays(dtype, shape, **bounds):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, **bounds))


# sides up to 4 under numpy; 3 under jax, where every new shape is compiled by XLA
SIDE = {"numpy": 4, "jax": 3}


def shapes(backend, min_dims=0, max_dims=2):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=SIDE[backend])


def kind(dtype) -> str:
    return {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}[np.dtype(dtype).kind]


def check(backend, got, want, label):
    """``got`` (ours) against NumPy's ``want``: type, shape, dtype, values."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), label
        for g, w in zip(got, want):
            check(backend, g, w, label)
        return
    if isinstance(want, np.ndarray):
        assert isinstance(got, bp.math.ndarray), (label, type(got))
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (label, g.shape, w.shape)
    if backend == "numpy":
        assert g.dtype == w.dtype, (label, g.dtype, w.dtype)
    else:
        assert kind(g.dtype) == kind(w.dtype), (label, g.dtype, w.dtype)
    if w.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w, err_msg=label)
    else:
        scale = float(np.max(np.abs(w[np.isfinite(w)]), initial=1.0))
        rtol, atol = (1e-12, 0.0) if backend == "numpy" else (2e-6, 2e-6 * scale)
        if X64 and g.dtype == np.float64:  # (int32 / int32 is float32 in JAX, even in x64)
            rtol, atol = 1e-12, 1e-12 * scale
        if w.dtype == np.float16:  # NumPy computes booleans in half precision
            rtol, atol = 1e-3, 1e-3
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=label)


def numpy_result(func, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def run(backend, name, np_args, kwargs=None, module=""):
    """Call ``name`` from NumPy and from bp.math with the same arguments; compare."""
    kwargs = kwargs or {}
    np_module = getattr(np, module) if module else np
    bm_module = getattr(bp.math, module) if module else bp.math
    want = numpy_result(getattr(np_module, name), *np_args, **kwargs)
    ours_args = [bp.math.array(a) if isinstance(a, np.ndarray) else a for a in np_args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = getattr(bm_module, name)(*ours_args, **kwargs)
    shapes = [np.shape(a) for a in np_args]
    check(backend, got, want, f"{name}{tuple(shapes)} {kwargs} [{backend}]")


# --------------------------------------------------------------------------- elementwise

# unary function -> dtype kinds it is tested on
UNARY = {
    "abs": "fi",
    "negative": "fi",
    "positive": "fi",
    "sign": "fi",
    "square": "fi",
    "sqrt": "f",
    "cbrt": "f",
    "exp": "f",
    "expm1": "f",
    "log1p": "f",
    "sin": "fb",
    "cos": "f",
    "tanh": "fi",
    "arctan": "f",
    "floor": "f",
    "ceil": "f",
    "trunc": "f",
    "rint": "f",
    "round": "fi",
    "isfinite": "fib",
    "isnan": "f",
    "signbit": "f",
    "logical_not": "fib",
    "invert": "ib",
    "reciprocal": "f",
    "deg2rad": "f",
    "fabs": "f",
    "exp2": "f",
    "real": "fi",
    "imag": "f",
    "conj": "fi",
    "nan_to_num": "f",
    "float_power": "f",
}


@BACKENDS
@pytest.mark.parametrize("name", sorted(UNARY))
@property_test
def test_unary_elementwise(backend, name, data):
    bp.math.use_backend(backend)
    dtype = data.draw(
        st.sampled_from([d for d in DTYPES[backend] if kind(d) in UNARY[name]]), label="dtype"
    )
    x = data.draw(arrays(dtype, shapes(backend), low=-12, high=12), label="x")
    if name in ("sqrt", "log1p", "reciprocal") and dtype != "bool":
        x = np.abs(x) + (1 if name == "reciprocal" else 0)
    args = (x, 2) if name == "float_power" else (x,)
    run(backend, name, args)


# binary function -> (dtype kinds, what the second operand must be)
BINARY = {
    "add": ("fib", None),
    "subtract": ("fi", None),
    "multiply": ("fib", None),
    "true_divide": ("fi", "nonzero"),
    "floor_divide": ("fi", "nonzero"),
    "remainder": ("fi", "nonzero"),
    "fmod": ("fi", "nonzero"),
    "power": ("fi", "exponent"),
    "maximum": ("fib", None),
    "minimum": ("fib", None),
    "fmax": ("f", None),
    "arctan2": ("f", None),
    "hypot": ("f", None),
    "copysign": ("f", None),
    "equal": ("fib", None),
    "not_equal": ("fib", None),
    "less": ("fi", None),
    "greater_equal": ("fi", None),
    "logical_and": ("fib", None),
    "logical_or": ("fib", None),
    "logical_xor": ("fib", None),
    "bitwise_and": ("ib", None),
    "bitwise_or": ("ib", None),
    "bitwise_xor": ("ib", None),
    "left_shift": ("i", "shift"),
    "right_shift": ("i", "shift"),
    "gcd": ("i", None),
    "heaviside": ("f", None),
}


@BACKENDS
@pytest.mark.parametrize("name", sorted(BINARY))
@property_test
def test_binary_elementwise_with_broadcasting(backend, name, data):
    bp.math.use_backend(backend)
    kinds, second = BINARY[name]
    dtype = data.draw(
        st.sampled_from([d for d in DTYPES[backend] if kind(d) in kinds]), label="dtype"
    )
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    x = data.draw(arrays(dtype, shapes.input_shapes[0]), label="x")
    if second == "exponent":
        y = data.draw(arrays(dtype, shapes.input_shapes[1], low=0, high=6), label="y")
        x = np.clip(x, -5, 5)
    elif second == "shift":
        y = data.draw(arrays(dtype, shapes.input_shapes[1], low=0, high=8), label="y")
    else:
        y = data.draw(arrays(dtype, shapes.input_shapes[1]), label="y")
        if second == "nonzero":
            y = np.where(y == 0, 1, y).astype(dtype)
    scalar = data.draw(st.booleans(), label="scalar second operand")
    if scalar and second is None and dtype != "bool":
        y = 3 if kind(dtype) == "i" else 1.5  # a Python scalar: NumPy 2's weak promotion
    run(backend, name, (x, y))


# --------------------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum": "fib",
    "prod": "fi",
    "mean": "fib",
    "std": "fi",
    "var": "fi",
    "max": "fib",
    "min": "fib",
    "argmax": "fi",
    "argmin": "fi",
    "all": "fib",
    "any": "fib",
    "cumsum": "fi",
    "cumprod": "fi",
    "median": "fi",
    "ptp": "fi",
    "count_nonzero": "fib",
    "nansum": "f",
    "nanmax": "f",
    "amax": "fi",
    "average": "fi",
}


@BACKENDS
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@property_test
def test_reductions_with_axis(backend, name, data):
    bp.math.use_backend(backend)
    dtype = data.draw(
        st.sampled_from([d for d in DTYPES[backend] if kind(d) in REDUCTIONS[name]]),
        label="dtype",
    )
    bound = 8 if name in ("prod", "cumprod") else 40  # no integer overflow
    x = data.draw(arrays(dtype, shapes(backend), low=-bound, high=bound), label="x")
    axes = [None] + list(range(-x.ndim, x.ndim))
    axis = data.draw(st.sampled_from(axes), label="axis")
    kwargs = {"axis": axis}
    if name not in ("cumsum", "cumprod", "argmax", "argmin", "average", "ptp") and data.draw(
        st.booleans(), label="keepdims"
    ):
        kwargs["keepdims"] = True
    if name in ("argmax", "argmin") and x.ndim == 0 and axis is None:
        kwargs = {}
    run(backend, name, (x,), kwargs)


# --------------------------------------------------------------------------- manipulation


MANIPULATION = (
    "reshape ravel transpose flip concatenate stack vstack hstack repeat tile where "
    "clip expand_dims squeeze swapaxes roll moveaxis atleast_2d diff append take "
    "broadcast_to split array_split column_stack diagonal triu"
).split()


@BACKENDS
@pytest.mark.parametrize("name", MANIPULATION)
@property_test
def test_manipulation(backend, name, data):
    bp.math.use_backend(backend)
    dtype = data.draw(st.sampled_from(DTYPES[backend]), label="dtype")
    shape = data.draw(shapes(backend, min_dims=1))
    x = data.draw(arrays(dtype, shape), label="x")
    y = data.draw(arrays(dtype, shape), label="y")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    calls = {
        "reshape": ((x, (-1,)), {}),
        "ravel": ((x,), {}),
        "transpose": ((x,), {}),
        "flip": ((x,), {"axis": axis}),
        "concatenate": (([x, y],), {"axis": axis}),
        "stack": (([x, y],), {"axis": axis}),
        "vstack": (([x, y],), {}),
        "hstack": (([x, y],), {}),
        "repeat": ((x, 2), {"axis": axis}),
        "tile": ((x, (2, 1)), {}),
        "where": ((x > y, x, y), {}),
        "clip": ((x, -3, 4), {}) if dtype != "bool" else ((x, False, True), {}),
        "expand_dims": ((x, 0), {}),
        "squeeze": ((x[..., :1],), {}),
        "swapaxes": ((x, 0, -1), {}),
        "roll": ((x, 2), {"axis": axis}),
        "moveaxis": ((x, 0, -1), {}),
        "atleast_2d": ((x,), {}),
        "diff": ((x,), {"axis": axis}) if dtype != "bool" else ((x.astype(int),), {}),
        "append": ((x, y), {"axis": axis}),
        "take": ((x, np.array([0, -1])), {"axis": axis}),
        "broadcast_to": ((x, (2, *x.shape)), {}),
        "split": ((x, 1), {"axis": axis}),
        "array_split": ((x, 2), {"axis": axis}),
        "column_stack": (([x, y],), {}),
        "diagonal": ((x.reshape(1, -1) if x.ndim == 1 else x,), {}),
        "triu": ((x.reshape(1, -1) if x.ndim == 1 else x,), {}),
    }
    args, kwargs = calls[name]
    if name in ("concatenate", "stack", "vstack", "hstack", "column_stack"):
        want = numpy_result(getattr(np, name), *args, **kwargs)
        got = getattr(bp.math, name)([bp.math.array(a) for a in args[0]], **kwargs)
        check(backend, got, want, f"{name} {x.shape} {kwargs}")
    elif name in ("split", "array_split"):
        want = numpy_result(getattr(np, name), *args, **kwargs)
        got = getattr(bp.math, name)(bp.math.array(x), *args[1:], **kwargs)
        check(backend, tuple(got), tuple(want), name)
    else:
        run(backend, name, args, kwargs)


# --------------------------------------------------------------------------- sorting, searching


SORTING = (
    "sort argsort searchsorted unique nonzero argwhere flatnonzero count_nonzero extract "
    "partition lexsort"
).split()


@BACKENDS
@pytest.mark.parametrize("name", SORTING)
@property_test
def test_sorting_and_searching(backend, name, data):
    bp.math.use_backend(backend)
    dtype = data.draw(st.sampled_from([d for d in DTYPES[backend] if d != "bool"]))
    x = data.draw(arrays(dtype, shapes(backend, min_dims=1)), label="x")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    bm = bp.math
    ours = bm.array(x)
    if name == "sort":
        run(backend, "sort", (x,), {"axis": axis})
    elif name == "argsort":  # ties may be ordered differently: compare what it sorts
        idx = bm.argsort(ours, axis=axis)
        assert isinstance(idx, bm.ndarray) and np.asarray(idx).dtype.kind == "i"
        np.testing.assert_array_equal(
            np.take_along_axis(x, np.asarray(idx), axis), np.sort(x, axis=axis)
        )
        np.testing.assert_array_equal(
            np.sort(np.asarray(idx), axis=axis), np.sort(np.argsort(x, axis=axis), axis=axis)
        )
    elif name == "searchsorted":
        flat = np.sort(x.ravel())
        values = data.draw(arrays(dtype, (3,)), label="values")
        side = data.draw(st.sampled_from(["left", "right"]), label="side")
        run(backend, "searchsorted", (flat, values), {"side": side})
    elif name == "unique":
        run(backend, "unique", (x,))
        want = np.unique(x, return_counts=True, return_index=True)
        got = bm.unique(ours, return_counts=True, return_index=True)
        check(backend, tuple(got), tuple(want), "unique(return_counts, return_index)")
    elif name == "partition":
        kth = data.draw(st.integers(0, x.shape[-1] - 1), label="kth")
        got = np.asarray(bm.partition(ours, kth))
        np.testing.assert_array_equal(got[..., kth], np.partition(x, kth)[..., kth])
        assert (got[..., :kth] <= got[..., kth : kth + 1]).all()
        assert (got[..., kth + 1 :] >= got[..., kth : kth + 1]).all()
    elif name == "extract":
        run(backend, "extract", (x > 0, x))
    elif name == "lexsort":
        run(backend, "lexsort", ((x.ravel(), -x.ravel()),))
    else:
        run(backend, name, (x,))


# --------------------------------------------------------------------------- logic


LOGIC = (
    "isclose allclose array_equal array_equiv logical_and logical_or logical_xor isin any "
    "all where greater less_equal iscomplexobj isreal isscalar"
).split()


@BACKENDS
@pytest.mark.parametrize("name", LOGIC)
@property_test
def test_logic(backend, name, data):
    bp.math.use_backend(backend)
    dtype = data.draw(st.sampled_from(DTYPES[backend]), label="dtype")
    shape = data.draw(shapes(backend), label="shape")
    x = data.draw(arrays(dtype, shape, low=-4, high=4), label="x")
    y = data.draw(arrays(dtype, shape, low=-4, high=4), label="y")
    if name in ("any", "all"):
        run(backend, name, (x,), {"axis": None})
    elif name == "where":
        x = np.atleast_1d(x)  # NumPy refuses 0-d input
        want = np.where(x)
        got = bp.math.where(bp.math.array(x))
        check(backend, tuple(got), tuple(want), "where(x)")
    elif name == "isscalar" and backend == "jax" and x.ndim == 0:
        # the documented difference: 0-d arrays stand for scalars under jax
        assert bp.math.isscalar(bp.math.array(x)) is True
    elif name in ("iscomplexobj", "isreal", "isscalar"):
        run(backend, name, (x,))
    elif name == "isin":
        run(backend, name, (x, y.ravel()))
    else:
        run(backend, name, (x, y))


# --------------------------------------------------------------------------- creation


@BACKENDS
@property_test
def test_creation(backend, data):
    bp.math.use_backend(backend)
    shape = data.draw(shapes(backend, max_dims=3), label="shape")
    dtype = data.draw(st.sampled_from(DTYPES[backend]), label="dtype")
    bm = bp.math
    for name in ("zeros", "ones", "empty"):
        got = getattr(bm, name)(shape, dtype=dtype)
        assert isinstance(got, bm.ndarray) and got.shape == shape and got.dtype == dtype
        if name != "empty":
            check(backend, got, getattr(np, name)(shape, dtype=dtype), name)
    like = bm.array(np.zeros(shape, dtype))
    for name in ("zeros_like", "ones_like", "empty_like"):
        got = getattr(bm, name)(like)
        assert isinstance(got, bm.ndarray) and got.shape == shape and got.dtype == dtype
    run(backend, "full", (shape, 3), {"dtype": dtype})
    n = data.draw(st.integers(1, 5), label="n")
    run(backend, "eye", (n,), {"k": data.draw(st.integers(-1, 1))})
    run(backend, "arange", (0, n * 3, 2))
    run(backend, "linspace", (-1.0, 2.0, n + 1))
    run(backend, "identity", (n,), {"dtype": dtype})
