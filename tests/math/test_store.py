"""Stores into Variables in compiled code (``brainjit/math/_numpy/store.py``): the copy
loop and the general path give what NumPy gives, for every kind of index and value."""

from __future__ import annotations

import numpy as np
import pytest

import brainjit as bp


@pytest.fixture(autouse=True)
def numpy_backend():
    bp.math.use_backend("numpy")
    yield


class Holder(bp.Base):
    def __init__(self, x, y):
        super().__init__()
        self.x = bp.math.Variable(x)
        self.y = bp.math.Variable(y)


def _stores():
    """(name, store function on a Holder, the same on NumPy arrays)."""

    def whole(h):
        h.x.value = h.y * 2.0

    def whole_np(x, y):
        x[...] = y * 2.0

    def row(h):
        h.x[1] = h.y[2]

    def row_np(x, y):
        x[1] = y[2]

    def sliced(h):
        h.x[1:3] = h.y[0:2]

    def sliced_np(x, y):
        x[1:3] = y[0:2]

    def strided(h):
        h.x[::2] = h.y[1::2]

    def strided_np(x, y):
        x[::2] = y[1::2]

    def column(h):
        h.x[:, 1] = h.y[:, 0]

    def column_np(x, y):
        x[:, 1] = y[:, 0]

    def overlap(h):
        h.x[1:] = h.x[:-1]

    def overlap_np(x, y):
        x[1:] = x[:-1]

    def broadcast(h):
        h.x[...] = h.y[0]

    def broadcast_np(x, y):
        x[...] = y[0]

    def number(h):
        h.x[2] = 7.0

    def number_np(x, y):
        x[2] = 7.0

    def element(h):
        h.x[1, 2] = h.y[0, 0]

    def element_np(x, y):
        x[1, 2] = y[0, 0]

    def fancy(h):
        h.x[np.array([0, 2])] = h.y[1:3]

    def fancy_np(x, y):
        x[np.array([0, 2])] = y[1:3]

    return [
        ("whole", whole, whole_np),
        ("row", row, row_np),
        ("sliced", sliced, sliced_np),
        ("strided", strided, strided_np),
        ("column", column, column_np),
        ("overlap", overlap, overlap_np),
        ("broadcast", broadcast, broadcast_np),
        ("number", number, number_np),
        ("element", element, element_np),
        ("fancy", fancy, fancy_np),
    ]


@pytest.mark.parametrize("name, func, reference", _stores(), ids=[s[0] for s in _stores()])
@pytest.mark.parametrize("y_dtype", [np.float64, np.float32])
def test_compiled_stores_equal_numpy(name, func, reference, y_dtype):
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(4, 5))
    y0 = rng.normal(size=(4, 5)).astype(y_dtype)
    holder = Holder(x0.copy(), y0.copy())
    bp.math.jit(func.__get__(holder))()  # as a method of the holder
    expected = x0.copy()
    reference(expected, y0.copy())
    np.testing.assert_array_equal(np.asarray(holder.x), expected)
    np.testing.assert_array_equal(np.asarray(holder.y), y0)


def test_bool_rows_and_the_code_that_stores_them(capsys):
    class Recorder(bp.Base):
        def __init__(self):
            super().__init__()
            self.spike = bp.math.Variable(np.zeros(70, dtype=bool))
            self.mon = bp.math.Variable(np.zeros((3, 70), dtype=bool))

        def record(self, r):
            self.spike.value = self.mon[r - 1] | (np.arange(70) % (r + 2) == 0)
            self.mon[r] = self.spike

    rec = Recorder()
    f = bp.math.jit(rec.record, show_code=True)
    code = capsys.readouterr().out
    assert "assign(self_spike, " in code and "store(self_mon, r, self_spike)" in code
    expected = np.zeros((3, 70), dtype=bool)
    for r in (1, 2):
        f(r)
        expected[r] = expected[r - 1] | (np.arange(70) % (r + 2) == 0)
    np.testing.assert_array_equal(np.asarray(rec.mon), expected)


def test_shape_mismatch_still_raises():
    class Bad(bp.Base):
        def __init__(self):
            super().__init__()
            self.x = bp.math.Variable(np.zeros(5))
            self.y = bp.math.Variable(np.zeros(4))

        def update(self):
            self.x[1:] = self.y[1:]

    with pytest.raises(ValueError):
        bp.math.jit(Bad().update)()


# -- writes into Variables follow the eager rules in compiled code ------------------------
# ``v.value = x`` and ``obj.v = x`` keep the Variable's shape and dtype (a Python scalar
# may cast within its kind); ``v[index] = x`` and ``v += x`` are NumPy's store and NumPy's
# in-place operation (cast back to the Variable's dtype). Compiled code must do what the
# eager code does: the same result, or the same error type with the same message.

GLOBAL_N = bp.math.Variable(np.zeros(3, dtype=np.int32), name="GLOBAL_N")


class Child(bp.Base):
    def __init__(self):
        super().__init__()
        self.n = bp.math.Variable(bp.math.zeros(3, dtype=bp.math.int32))


class Writer(bp.Base):
    def __init__(self):
        super().__init__()
        bm = bp.math
        self.n = bm.Variable(bm.zeros(3, dtype=bm.int32))
        self.f = bm.Variable(bm.zeros(3))
        self.V = bm.Variable(bm.ones(3) * 1.7)
        self.s = bm.Variable(bm.zeros((), dtype=bm.int32))
        self.sf = bm.Variable(bm.zeros(()))
        self.m = bm.Variable(bm.zeros((2, 2)))
        self.child = Child()

    # .value = / attribute = : the Variable's shape and dtype exactly
    def value_float_into_int(self):
        self.n.value = self.V * 1.0

    def attr_float_into_int(self):
        self.n = self.V * 1.0

    def child_float_into_int(self):
        self.child.n.value = self.V * 1.0

    def child_attr_float_into_int(self):
        self.child.n = self.V * 1.0

    def value_int_into_float(self):
        self.f.value = self.n

    def value_bool_into_int(self):
        self.n.value = self.V > 1.0

    def value_wrong_shape(self):
        self.f.value = bp.math.ones(4)

    def attr_wrong_shape(self):
        self.f = bp.math.ones(4)

    def value_wrong_ndim(self):
        self.f.value = bp.math.ones((1, 3))

    def value_scalar_into_array(self):
        self.f.value = 2.0

    def value_float_scalar_into_int(self):
        self.s.value = 3.5

    def value_int_scalar_into_int(self):
        self.s.value = 3

    def value_int_scalar_into_float(self):
        self.sf.value = 3

    def value_bool_scalar_into_int(self):
        self.s.value = True

    def value_same_dtype(self):
        self.f.value = self.V * 2.0
        self.n.value = self.n + 1

    def value_0d_expression(self):
        self.s.value = (self.s + 1) % 2

    # item and slice stores: NumPy's (they cast)
    def slice_float_into_int(self):
        self.n[:] = self.V * 1.0

    def ellipsis_float_into_int(self):
        self.n[...] = self.V * 1.0

    def item_float_into_int(self):
        self.n[1] = 1.7

    def slice_wrong_shape(self):
        self.f[:] = bp.math.ones(4)

    def column_wrong_shape(self):  # a strided view: Numba's own store
        self.m[:, 1] = bp.math.ones(3)

    # augmented assignments: in place, cast back (eagerly: casting='unsafe')
    def augmented_float_into_int(self):
        self.n += 1.5

    def augmented_array_into_int(self):
        self.n += self.V

    def augmented_wrong_shape(self):
        self.f += bp.math.ones(4)

    def augmented_int_wrong_shape(self):
        self.n += bp.math.ones(4, dtype=bp.math.int32)

    def augmented_broadcast(self):
        self.f += bp.math.ones(1)

    def item_augmented_float_into_int(self):
        self.n[1:3] += 1.5
        self.n[0] += 2.5

    def item_augmented_wrong_shape(self):
        self.f[1:3] += bp.math.ones(4)

    def item_augmented_broadcast(self):
        self.f[1:] += bp.math.ones(1)

    def fancy_augmented_wrong_shape(self):
        self.f[np.array([0, 2])] += bp.math.ones(3)

    def fancy_augmented(self):
        self.f[np.array([0, 2])] += self.V[:2]

    # several targets: each whole-Variable write checked, in Python's order
    def tuple_float_into_int(self):
        self.f.value, self.n.value = self.V * 2.0, self.V * 1.0

    def tuple_same_dtypes(self):
        self.f.value, self.n.value = self.V * 2.0, self.n + 1

    def chained_float_into_int(self):
        self.f.value = self.n.value = self.V * 1.0

    def chained_wrong_shape(self):
        self.f.value = self.V.value = bp.math.ones(4)

    # Variables reached through a closure and a module global
    def global_float_into_int(self):
        GLOBAL_N.value = self.V * 1.0

    def global_wrong_shape(self):
        GLOBAL_N.value = bp.math.ones(4, dtype=bp.math.int32)


def _closure_writer(bad):
    closed = bp.math.Variable(bp.math.zeros(3, dtype=bp.math.int32), name="closed")

    def write(x):
        if bad == "dtype":
            closed.value = x * 1.0
        elif bad == "shape":
            closed.value = bp.math.ones(4, dtype=bp.math.int32)
        else:
            closed.value = closed + 2

    return write, closed


_WRITES = [name for name in vars(Writer) if not name.startswith("_")]
# JAX raises its own error (TypeError, JAX's words) for shapes that do not broadcast in
# an operation; eager code raises NumPy's ValueError
_JAX_OWN_ERRORS = {
    "slice_wrong_shape",
    "column_wrong_shape",
    "augmented_wrong_shape",
    "augmented_int_wrong_shape",
    "item_augmented_wrong_shape",
    "fancy_augmented_wrong_shape",
}


def _outcome(call, names):
    """('ok', state) or (error type, message with the objects' names taken out)."""
    try:
        call()
    except Exception as e:  # noqa: BLE001
        message = str(e).split("\n")[0]
        for name in names:
            message = message.replace(name, "<obj>")
        return type(e), message
    return "ok", None


def _state(w):
    return {
        k: np.asarray(v).tolist()
        for k, v in sorted(w.vars().items(), key=lambda kv: kv[0].split(".", 1)[-1])
    }


def _run_write(form, mode):
    bp.math.use_backend("jax" if mode == "jax" else "numpy")
    GLOBAL_N.value = np.zeros(3, dtype=np.int32)
    w = Writer()
    method = getattr(w, form)
    if mode != "eager":
        method = bp.math.jit(method)
    kind, message = _outcome(method, [w.child.name, w.name])
    state = {k.split(".", 1)[-1]: v for k, v in _state(w).items()}
    if kind != "ok":
        state = None  # compare states only after successful writes
    bp.math.use_backend("numpy")
    return kind, message, state, np.asarray(GLOBAL_N).tolist()


@pytest.mark.parametrize("form", _WRITES)
def test_compiled_writes_follow_the_eager_rules(form):
    eager = _run_write(form, "eager")
    compiled = _run_write(form, "numpy")
    assert compiled[0] == eager[0]  # same result, or same error type
    if eager[1] is not None and eager[1] != compiled[1]:
        # NumPy's message for a store or an in-place operation does not name the
        # Variable; compiled code's names it after NumPy's words
        assert compiled[1].startswith(eager[1].rstrip() + " (")
        assert "Variable '<obj>." in compiled[1]
    else:
        assert compiled[1] == eager[1]
    if eager[0] == "ok":
        assert compiled[2] == eager[2]
    assert compiled[3] == eager[3]


@pytest.mark.parametrize("form", [f for f in _WRITES if f not in _JAX_OWN_ERRORS])
def test_compiled_writes_fail_as_under_jax(form):
    """Compiled code of both backends: the same error type and message (JAX's default
    float is float32, the messages differ in that word only), or the same values."""
    numpy_jit = _run_write(form, "numpy")
    jax_jit = _run_write(form, "jax")
    assert jax_jit[0] == numpy_jit[0]
    if numpy_jit[0] != "ok":
        assert jax_jit[1].replace("float32", "float64") == numpy_jit[1]
        return
    assert jax_jit[2].keys() == numpy_jit[2].keys()
    for name, value in numpy_jit[2].items():
        np.testing.assert_allclose(jax_jit[2][name], value, rtol=1e-6)
    assert jax_jit[3] == numpy_jit[3]


def test_compiled_write_errors_name_the_variable_and_the_line():
    w = Writer()
    with pytest.raises(TypeError) as info:
        bp.math.jit(w.value_float_into_int)()
    message = str(info.value)
    assert message.startswith(
        f"Variable '{w.name}.n' has dtype int32 but the new value has dtype float64"
    )
    assert "self.n.value = self.V * 1.0" in message  # the offending line
    with pytest.raises(
        ValueError,
        match=rf"Variable '{w.name}\.f' has shape \(3,\) but the new value has shape \(4,\)",
    ):
        bp.math.jit(w.value_wrong_shape)()
    np.testing.assert_array_equal(np.asarray(w.n), [0, 0, 0])


@pytest.mark.parametrize("bad", ["dtype", "shape", None])
def test_compiled_writes_to_a_closure_variable(bad):
    write, closed = _closure_writer(bad)
    x = np.ones(3)
    expected = _outcome(lambda: write(x), [])
    eager_state = np.asarray(closed).tolist()
    closed.value = np.zeros(3, dtype=np.int32)
    assert _outcome(lambda: bp.math.jit(write)(x), []) == expected
    assert np.asarray(closed).tolist() == eager_state
    if bad is not None:
        assert "'closed'" in expected[1]


def test_same_code_for_two_objects_names_the_one_written():
    class Pop(bp.Base):
        def __init__(self, dtype):
            super().__init__()
            self.n = bp.math.Variable(bp.math.zeros(3, dtype=dtype))

        def update(self, x):
            self.n.value = x[:3] * 1.0

    class Net(bp.Base):
        def __init__(self):
            super().__init__()
            self.a = Pop(bp.math.float64)
            self.b = Pop(bp.math.int32)

        def update(self, x):
            self.a.update(x)
            self.b.update(x)

    net = Net()
    with pytest.raises(TypeError, match=rf"Variable '{net.b.name}\.n' has dtype int32"):
        bp.math.jit(net.update)(np.ones(5))
    with pytest.raises(ValueError, match=rf"Variable '{net.a.name}\.n' has shape \(3,\)"):
        bp.math.jit(net.a.update)(np.ones(2))


def test_values_numba_types_wider_than_numpy_are_stored_cast_back():
    """NumPy 2 takes a Python number next to an array at the array's dtype (float32 * 0.5
    is float32, int32 + 1 int32, uint8 + 1 uint8); Numba at float64/int64. Eager code
    writes these values into their Variables, so compiled code must too."""

    class Narrow(bp.Base):
        def __init__(self):
            super().__init__()
            bm = bp.math
            self.x = bm.Variable(bm.linspace(0.0, 1.0, 5).astype(bm.float32))
            self.i = bm.Variable(bm.arange(5).astype(bm.int32))
            self.u = bm.Variable(bm.arange(5).astype(bm.uint8))
            self.k = bm.Variable(bm.zeros((), dtype=bm.int32))

        def update(self):
            self.x.value = self.x * 0.5 + 1.0
            self.i.value = self.i * 3 - 1
            self.u.value = self.u + 1
            self.k.value = (self.k + 1) % 3

    eager, compiled = Narrow(), Narrow()
    eager.update()
    bp.math.jit(compiled.update)()
    for name in ("x", "i", "u", "k"):
        a, b = getattr(eager, name), getattr(compiled, name)
        assert a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6)


def test_methods_named_as_the_store_helpers():
    """A method called ``assign`` (or ``store`` ...) that writes a Variable: the helper
    the generated code calls gets another name than the generated function."""

    class Named(bp.Base):
        def __init__(self):
            super().__init__()
            self.x = bp.math.Variable(bp.math.zeros(4))
            self.y = bp.math.Variable(bp.math.ones(4))

        def assign(self):
            self.x.value = self.y * 2.0

        def store(self):
            self.x[1:3] = self.y[:2]

        def check_inplace(self):
            self.x += self.y

        def run(self):
            self.assign()
            self.store()
            self.check_inplace()

    named = Named()
    bp.math.jit(named.run)()
    np.testing.assert_array_equal(np.asarray(named.x), [3.0, 2.0, 2.0, 3.0])
