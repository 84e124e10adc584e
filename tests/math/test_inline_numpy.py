"""Generated functions that only call others are written into their callers
(brainjit/math/_numpy/inline.py): the same results as the method run without jit on a
twin object, one compiled function less, and nothing else inlined."""

import numpy as np
import pytest

import brainjit as bp

bm = bp.math


class Leaky(bp.Base):
    def __init__(self, n, tau):
        super().__init__()
        self.tau = tau
        self.v = bm.Variable(bm.ones(n))
        self.calls = bm.Variable(bm.zeros(()))

    def update(self, t, dt=0.1):
        self.v.value = self.v * bm.exp(-dt / self.tau) + t
        self.calls += 1.0


class Group(bp.Base):
    """A dispatcher: its update only calls its members' updates."""

    def __init__(self, n):
        super().__init__()
        self.members = [Leaky(n, 10.0), Leaky(n + 1, 20.0)]
        self.last = Leaky(n, 5.0)

    def update(self, t, dt):
        for m in self.members:
            m.update(t, dt)
        self.last.update(t)  # its default dt


class Top(bp.Base):
    def __init__(self, n):
        super().__init__()
        self.group = Group(n)
        self.steps = bm.Variable(bm.zeros(()))

    def run(self, t0, dt):
        for k in range(3):
            self.group.update(t0 + k * dt, dt)  # an expression: evaluated once per call
        self.steps += 3.0
        return self.steps.value


def _state(top):
    leaks = [*top.group.members, top.group.last]
    return [np.asarray(x.value).copy() for m in leaks for x in (m.v, m.calls)]


def test_dispatcher_is_written_into_its_caller_with_the_same_results():
    eager, compiled = Top(4), Top(4)
    expected = [float(eager.run(0.5, 0.2)) for _ in range(2)]
    run = bm.jit(compiled.run)
    got = [float(run(0.5, 0.2)) for _ in range(2)]
    assert got == expected
    for a, b in zip(_state(compiled), _state(eager)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    unit = run.__brainjit_jit__.unit
    # Group.update is gone: run calls the members' updates itself
    assert "group_update" not in unit.source
    assert [c.label.split(" ")[0] for c in unit.callees] == ["Leaky.update"] * 3
    assert unit.source.count("_arg = ") == 1  # t0 + k * dt, once per unrolled call site


def test_functions_with_code_of_their_own_are_not_inlined():
    class Counting(Group):
        def update(self, t, dt):
            for m in self.members:
                m.update(t, dt)
            self.last.v.value = self.last.v * 0.5  # code of its own

    class Top2(Top):
        def __init__(self, n):
            super().__init__(n)
            self.group = Counting(n)

    eager, compiled = Top2(3), Top2(3)
    run = bm.jit(compiled.run)
    assert float(run(0.0, 0.1)) == float(eager.run(0.0, 0.1))
    for a, b in zip(_state(compiled), _state(eager)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    (callee,) = run.__brainjit_jit__.unit.callees
    assert callee.label.startswith("Counting.update")


@pytest.mark.parametrize("entry", ["group", "top"])
def test_a_dispatcher_called_from_python_is_compiled_as_it_is(entry):
    """Only calls from compiled code are inlined: a dispatcher jitted itself runs."""
    eager, compiled = Top(2), Top(2)
    if entry == "group":
        bm.jit(compiled.group.update)(1.0, 0.1)
        eager.group.update(1.0, 0.1)
    else:
        bm.jit(compiled.run)(1.0, 0.1)
        eager.run(1.0, 0.1)
    for a, b in zip(_state(compiled), _state(eager)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
