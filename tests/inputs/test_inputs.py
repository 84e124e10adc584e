"""bp.inputs currents (against hand-built NumPy arrays) and the spike sources
bp.dyn.PoissonGroup (rates within 5 standard deviations of the binomial expectation)
and bp.dyn.SpikeTimeGroup (spikes in the expected steps) on both backends, eagerly and
compiled; bad input."""

import numpy as np
import pytest

import brainjit as bp


def test_section_input_values_and_shapes():
    current = bp.inputs.section_input([0.0, 2.0, -1.0], [1.0, 0.5, 0.3], dt=0.1)
    np.testing.assert_array_equal(current, np.r_[np.zeros(10), np.full(5, 2.0), -np.ones(3)])
    assert isinstance(current, np.ndarray) and current.dtype == np.float64
    per_neuron = bp.inputs.section_input([0.0, np.array([1.0, 2.0, 3.0])], [0.2, 0.3], dt=0.1)
    assert per_neuron.shape == (5, 3)
    np.testing.assert_array_equal(per_neuron[:2], 0.0)
    np.testing.assert_array_equal(per_neuron[2:], np.tile([1.0, 2.0, 3.0], (3, 1)))
    current, duration = bp.inputs.section_input([1.0, 0.0], [10.0, 20.0], return_length=True)
    assert duration == 30.0 and current.shape == (300,)  # dt = 0.1 by default


def test_constant_input_brainpy_form():
    current, duration = bp.inputs.constant_input([(0.0, 10.0), (5.0, 20.0)], dt=0.5)
    assert duration == 30.0
    np.testing.assert_array_equal(current, np.r_[np.zeros(20), np.full(40, 5.0)])


def test_ramp_input():
    current = bp.inputs.ramp_input(0.0, 1.0, duration=10.0, t_start=2.0, t_end=7.0, dt=1.0)
    np.testing.assert_allclose(current, [0, 0, 0, 0.2, 0.4, 0.6, 0.8, 0, 0, 0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bp.inputs.section_input([1.0, 2.0], [1.0], dt=0.1), "same length"),
        (
            lambda: bp.inputs.section_input([1.0], [-1.0], dt=0.1),
            r"durations\[0\] must be a number > 0",
        ),
        (lambda: bp.inputs.section_input([1.0], [0.25], dt=0.1), "whole number of steps"),
        (lambda: bp.inputs.section_input([1.0], [1.0], dt=0.0), "dt must be"),
        (lambda: bp.inputs.section_input(1.0, [1.0]), "values must be a sequence"),
        (lambda: bp.inputs.constant_input([1.0, 2.0]), r"\(value, duration\) pairs"),
        (lambda: bp.inputs.ramp_input(0, 1, 10.0, t_start=5.0, t_end=2.0), "t_start < t_end"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class Counter(bp.DynamicalSystem):
    def __init__(self, group):
        super().__init__()
        self.group = group
        self.count = bp.math.Variable(bp.math.zeros(group.num))

    def run(self, n, dt):
        for i in range(n):
            self.group.update(i * dt, dt)
            self.count += self.group.spike


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_poisson_group_rates(backend, jit):
    rates = np.r_[np.full(500, 20.0), np.full(500, 80.0)]
    group = bp.dyn.PoissonGroup(1000, rates)
    counter = Counter(group)
    bp.math.random.seed(123)
    dt, n = 0.1, 500 if jit else 100  # 50 ms (10 ms eagerly)
    (bp.math.jit(counter.run) if jit else counter.run)(n, dt)
    count = np.asarray(counter.count)
    for half, rate in ((slice(0, 500), 20.0), (slice(500, None), 80.0)):
        p = rate * dt / 1000.0
        expected, sd = 500 * n * p, np.sqrt(500 * n * p * (1 - p))
        assert abs(count[half].sum() - expected) < 5 * sd, (count[half].sum(), expected)
    # reproducible after seeding
    group2 = bp.dyn.PoissonGroup(1000, rates)
    counter2 = Counter(group2)
    bp.math.random.seed(123)
    (bp.math.jit(counter2.run) if jit else counter2.run)(n, dt)
    np.testing.assert_array_equal(np.asarray(counter2.count), count)


def test_poisson_group_bad_rates():
    with pytest.raises(ValueError, match="one rate per neuron"):
        bp.dyn.PoissonGroup(3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"freqs must be >= 0, got -1.0"):
        bp.dyn.PoissonGroup(3, -1.0)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_spike_time_group(backend, jit):
    indices = [2, 0, 2, 1, 2, 0]
    times = [0.3, 0.0, 1.04, 0.96, 1.0, 2.549]  # 1.04 and 1.0: one spike of neuron 2
    group = bp.dyn.SpikeTimeGroup(3, indices, times)
    step = bp.math.jit(group.update) if jit else group.update
    fired = []
    for i in range(30):
        step(i * 0.1, 0.1)
        fired.append(np.asarray(group.spike).copy())
    fired = np.array(fired)
    expected = np.zeros((30, 3), bool)
    for neuron, step_index in ((2, 3), (0, 0), (2, 10), (1, 10), (0, 25)):
        expected[step_index, neuron] = True
    np.testing.assert_array_equal(fired, expected)
    np.testing.assert_allclose(np.asarray(group.t_last_spike), [2.5, 1.0, 1.0], rtol=1e-6)


def test_spike_time_group_bad_input():
    with pytest.raises(ValueError, match="same length"):
        bp.dyn.SpikeTimeGroup(3, [0, 1], [1.0])
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 3\)"):
        bp.dyn.SpikeTimeGroup(3, [0, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="indices must be integers"):
        bp.dyn.SpikeTimeGroup(3, [0.5], [1.0])
    empty = bp.dyn.SpikeTimeGroup(2, [], [])
    empty.update(0.0, 0.1)
    assert not np.any(np.asarray(empty.spike))
