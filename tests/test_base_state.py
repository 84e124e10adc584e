"""``Base.reset_state()``: every Variable but the TrainVars back to its value when the
model was built, the model time back to 0, on both backends."""

import numpy as np
import pytest
import state_models as sm

import brainjit as bp
from brainjit.base import model_time, set_model_time


def _values(model) -> dict[str, np.ndarray]:
    return {path: np.array(var) for path, var in model.vars().items()}


def _relative(values: dict) -> dict:
    return {path.split(".", 1)[1]: value for path, value in values.items()}


def test_reset_repeats_the_first_run(backend):
    """After reset_state() (and the same seed), the network runs its first run again,
    spike for spike: with a new Runner and with the Runner of the first run."""
    bp.math.random.seed(11)
    net = sm.network()
    built = _values(net)
    runner = sm.runner(net)
    first = sm.spikes(runner.run(30.0))
    assert first.sum() > 0
    assert any(not np.array_equal(built[p], v) for p, v in _values(net).items())

    net.reset_state()
    for path, value in _values(net).items():
        np.testing.assert_array_equal(value, built[path], err_msg=path)
    assert all(model_time(node) == 0.0 for node in net.nodes().values())
    bp.math.random.seed(11)
    np.testing.assert_array_equal(sm.spikes(sm.runner(net).run(30.0)), first)

    net.reset_state()
    bp.math.random.seed(11)
    np.testing.assert_array_equal(sm.spikes(runner.run(30.0)), first)


def test_reset_matches_a_model_built_anew(backend):
    """The restored state is the state of the same network built again (an
    independent reference: the constructors' own values)."""
    net = sm.network(seed=3)
    net.E.V.value = net.E.V.value + 1.0
    net.I2E.g.value = net.I2E.g.value + 0.5
    set_model_time(net, 12.5)
    net.reset_state()
    fresh = sm.network(seed=3)
    mine, theirs = _relative(_values(net)), _relative(_values(fresh))
    assert mine.keys() == theirs.keys()
    for path in mine:
        np.testing.assert_array_equal(mine[path], theirs[path], err_msg=path)
    assert net.t == 0.0 and net.E.t == 0.0


def test_values_written_before_the_model_is_built_are_restored():
    """A value written into a group before the network around it is built is the
    initial state (the network's constructor records the parts that have not run)."""
    E = bp.dyn.LIF(5)
    V0 = np.linspace(-3.0, 3.0, 5)
    E.V[:] = V0
    net = bp.dyn.Network(E=E)
    E.V[:] = 100.0
    net.reset_state()
    np.testing.assert_array_equal(np.asarray(E.V), V0)


def test_a_part_that_has_run_keeps_its_initial_state_in_a_new_model():
    """Only parts that have not run (model time 0) are recorded again when a model is
    built around them: a group that ran keeps the state it was built with."""
    E = bp.dyn.LIF(4, V_initial=np.arange(4.0))
    E.V[:] = 9.0
    set_model_time(E, 5.0)  # as a Runner leaves it
    net = bp.dyn.Network(E=E)
    net.reset_state()
    np.testing.assert_array_equal(np.asarray(E.V), np.arange(4.0))
    assert E.t == 0.0


def test_trainvars_keep_their_values(backend):
    class Model(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.w = bp.math.TrainVar(bp.math.zeros(3))
            self.x = bp.math.Variable(bp.math.zeros(3))

    model = Model()
    model.w.value = bp.math.ones(3)
    model.x.value = bp.math.ones(3)
    model.reset_state()
    np.testing.assert_array_equal(np.asarray(model.w), np.ones(3))
    np.testing.assert_array_equal(np.asarray(model.x), np.zeros(3))


def test_variables_in_containers_and_subclass_constructors():
    """Variables in lists and dicts, set in the constructor of a subclass after
    super().__init__(): recorded when the outermost constructor returns."""

    class Inner(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.a = bp.math.Variable(np.zeros(2))

    class Outer(Inner):
        def __init__(self):
            super().__init__()
            self.a.value = np.array([1.0, 2.0])  # after Inner's constructor
            self.items = [bp.math.Variable(np.full(2, 3.0))]
            self.table = {"k": bp.math.Variable(np.full(2, 4.0))}

    model = Outer()
    for var in model.vars().values():
        var.value = np.full(2, -1.0)
    model.reset_state()
    np.testing.assert_array_equal(model.a, [1.0, 2.0])
    np.testing.assert_array_equal(model.items[0], [3.0, 3.0])
    np.testing.assert_array_equal(model.table["k"], [4.0, 4.0])


def test_a_variable_added_after_building_is_refused_before_anything_is_written():
    net = sm.network()
    net.E.V.value = net.E.V.value + 1.0
    changed = np.array(net.E.V)
    net.E.extra = bp.math.Variable(np.zeros(3))
    with pytest.raises(ValueError, match=rf"'{net.name}\.E\.extra'.*constructor"):
        net.reset_state()
    np.testing.assert_array_equal(np.asarray(net.E.V), changed)  # nothing written


def test_a_replaced_variable_is_refused():
    group = bp.dyn.LIF(3)
    group.V = bp.math.Variable(np.zeros(3))  # another Variable, not a value written
    with pytest.raises(ValueError, match=rf"'{group.name}\.V'"):
        group.reset_state()


def test_an_override_runs_once_and_super_resets_the_rest():
    calls = []

    class DrawnLIF(bp.dyn.LIF):
        def reset_state(self):
            calls.append(self.name)
            super().reset_state()
            self.V.value = np.full(self.num, -52.0)

    E = DrawnLIF(4)
    I = bp.dyn.LIF(3)  # noqa: E741
    net = bp.dyn.Network(E=E, I=I, E2I=bp.dyn.Exponential(E, I, bp.conn.All2All()))
    E.spike.value = np.ones(4, dtype=bool)
    I.V.value = np.full(3, 7.0)
    net.E2I.g.value = np.full(3, 2.0)
    net.reset_state()
    assert calls == [E.name]
    np.testing.assert_array_equal(E.V, np.full(4, -52.0))
    np.testing.assert_array_equal(E.spike, np.zeros(4, dtype=bool))  # by super()
    np.testing.assert_array_equal(I.V, np.zeros(3))
    np.testing.assert_array_equal(net.E2I.g, np.zeros(3))


def test_reset_of_a_part_leaves_the_rest():
    net = sm.network()
    net.E.V.value = net.E.V.value + 1.0
    net.I.V.value = net.I.V.value + 1.0
    changed_I = np.array(net.I.V)
    set_model_time(net, 4.0)
    net.E.reset_state()
    np.testing.assert_array_equal(np.asarray(net.I.V), changed_I)
    assert net.E.t == 0.0 and net.I.t == 4.0
