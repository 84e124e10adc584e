"""numpy backend: a condition on an array in compiled code is refused while compiling.

``if self.V > 0:`` on a vector is ambiguous; NumPy and Numba only raise when it runs
(and not for a one-element array), the jax backend while tracing. bp.math.jit on the
numpy backend refuses it while Numba types the code, naming the line.
"""

import numpy as np
import pytest

import brainjit as bp
from brainjit.math._numpy.jit import JitCompileError

bm = bp.math


class Group(bp.Base):
    def __init__(self, n, flag=True):
        super().__init__()
        self.V = bm.Variable(np.linspace(-1.0, 1.0, n))
        self.flag = flag

    def vector_if(self):
        self.V += 1.0
        if self.V > 0:
            self.V -= 1.0

    def vector_while(self):
        while self.V < 3.0:
            self.V += 1.0

    def vector_in_boolop(self):
        if self.V.sum() > -100.0 and not self.V:
            self.V += 1.0

    def vector_ternary(self):
        return 1.0 if self.V else 0.0

    def scalar_conditions(self):
        if self.V.sum() > -100.0 and not (self.V[0] > 5.0):
            self.V += 1.0
        while self.V[0] < 3.0:
            self.V += 1.0
        return 1.0 if (self.V > 0).all() else 0.0

    def constant_condition(self):
        if self.flag:
            self.V += 1.0
        else:
            self.V += "text"  # pruned by Numba: never typed while flag is True


@pytest.mark.parametrize(
    ("method", "line"),
    [
        ("vector_if", "if self.V > 0:"),
        ("vector_while", "while self.V < 3.0:"),
        ("vector_in_boolop", "if self.V.sum() > -100.0 and not self.V:"),
        ("vector_ternary", "return 1.0 if self.V else 0.0"),
    ],
)
@pytest.mark.parametrize("n", [3, 1])  # a one-element array too (NumPy would accept it)
def test_condition_on_array_fails_at_compile_time_with_the_line(method, line, n):
    group = Group(n)
    before = np.array(group.V, copy=True)
    with pytest.raises(JitCompileError, match="a condition on an array of 1 dimension") as info:
        bm.jit(getattr(group, method))()
    assert f'offending line: File "{__file__}"' in str(info.value)
    assert line in str(info.value)
    np.testing.assert_array_equal(group.V, before)  # nothing ran


def test_scalar_and_constant_conditions_still_compile():
    group = Group(3)
    eager = Group(3)
    out = bm.jit(group.scalar_conditions)()
    assert out == eager.scalar_conditions()
    np.testing.assert_allclose(group.V, eager.V)
    bm.jit(group.constant_condition)()
    np.testing.assert_allclose(group.V, eager.V + 1.0)


def test_zero_dimensional_array_condition_compiles():
    class Counter(bp.Base):
        def __init__(self):
            super().__init__()
            self.n = bm.Variable(np.zeros(()))

        def update(self):
            if self.n < 2.0:
                self.n += 1.0

    c = Counter()
    step = bm.jit(c.update)
    for _ in range(4):
        step()
    assert float(c.n) == 2.0
