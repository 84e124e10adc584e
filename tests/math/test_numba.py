"""How brainjit drives Numba (brainjit/math/_numba.py): functions that only compiled code
calls have no Python wrappers, and Numba's slice-assignment shape error is raised without
compiling string formatting."""

import numba
import numpy as np
import pytest
from numba.np import arrayobj

import brainjit as bp
from brainjit.math import _numba


def test_slice_assignment_shape_error_names_both_shapes():
    assert arrayobj.raise_with_shape_context is _numba.raise_shape_mismatch

    @numba.njit
    def assign(a, b):
        a[:] = b

    target = np.zeros(4)
    assign(target, np.arange(4.0))  # the check passes: NumPy's semantics unchanged
    np.testing.assert_array_equal(target, [0.0, 1.0, 2.0, 3.0])
    assign(target, np.ones(1))  # broadcasting a length-1 array is allowed
    np.testing.assert_array_equal(target, 1.0)
    with pytest.raises(ValueError) as info:
        assign(target, np.ones(3))
    assert info.value.args == (_numba.MESSAGE, (3,), (4,))


class _Inner(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(bp.math.zeros(3))

    def add(self, v):
        self.x += v
        return self.x.sum()

    def twice(self, v):
        self.add(v)
        return self.add(v)


def test_callees_have_no_python_wrappers_and_are_kept_apart_from_entries():
    obj = _Inner()
    twice = bp.math.jit(obj.twice)
    assert twice(1.0) == 6.0
    unit = twice.__brainjit_jit__.unit
    (callee,) = unit.callees
    assert not unit.dispatcher.targetoptions.get("no_cpython_wrapper")
    assert callee.dispatcher.targetoptions.get("no_cpython_wrapper")
    assert callee.dispatcher.targetoptions.get("no_cfunc_wrapper")
    # the callee's code, now an entry point: a dispatcher (and file) of its own
    add = bp.math.jit(obj.add)
    assert add(1.0) == 9.0
    np.testing.assert_array_equal(obj.x.value, [3.0, 3.0, 3.0])
    entry = add.__brainjit_jit__.unit
    assert entry.key == callee.key and entry.dispatcher is not callee.dispatcher
    assert (
        callee.file.endswith("_inner.py") and entry.file == callee.file[: -len("_inner.py")] + ".py"
    )
