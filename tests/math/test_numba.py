"""How brainjit drives Numba (brainjit/math/_numba.py): functions that only compiled code
calls have no Python wrappers and no machine code of their own (link-only), and Numba's
slice-assignment shape error is raised without compiling string formatting."""

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


def test_functions_only_compiled_code_calls_are_link_only():
    @numba.njit(**_numba.INNER)
    def inner(a):
        if a.shape[0] > 3:
            raise ValueError("too long", a.shape[0])  # a dynamic exception: needs its env
        return a.sum()

    @numba.njit
    def first(a):
        return inner(a)

    @numba.njit
    def second(a):
        return 2.0 * inner(a)

    a = np.ones(3)
    assert first(a) == 3.0 and second(a) == 6.0
    (cres,) = inner.overloads.values()
    library = cres.library
    # linked into both callers, optimised and emitted there only
    assert library._brainjit_link_only and library._brainjit_pending
    assert not getattr(first.overloads[(numba.typeof(a),)].library, "_brainjit_link_only", False)
    for f in (first, second):  # its environment was filled in with the callers' code
        with pytest.raises(ValueError) as info:
            f(np.ones(5))
        assert info.value.args == ("too long", 5)
    # asked for its own code, it is emitted then
    assert library.get_pointer_to_function(cres.fndesc.llvm_func_name) != 0
    assert not library._brainjit_pending
    assert library.get_pointer_to_function("not_a_function_of_it") == 0


def test_code_asked_for_is_still_emitted():
    # numba.cfunc compiles its function linked-only (no_compile) and then asks for the
    # C wrapper's address: the code is emitted then, and runs
    @numba.cfunc("float64(float64, float64)")
    def hypot(x, y):
        return np.sqrt(x * x + y * y)

    assert hypot.ctypes(3.0, 4.0) == 5.0
    assert not hypot._library._brainjit_pending
