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
    assert "store_all(self_spike, " in code and "store(self_mon, r, self_spike)" in code
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
