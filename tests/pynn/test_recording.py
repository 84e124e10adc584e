"""Recording in brainjit.pynn: sampling_interval, recording a subset, several runs,
reset() and segments, get_data(clear=True), record(None), write_data through neo's
PickleIO, get_spike_counts and mean_spike_count; both backends, one network each.

Reference: the exact solution of ``IF_curr_exp`` driven by a constant ``i_offset``
``I`` from rest (no input): ``v(t) = v_rest + R I (1 - exp(-t / tau_m))`` with
``R = tau_m / cm``; a cell that reaches the threshold ``v_thresh`` spikes at the end
of the first step at which ``v >= v_thresh`` (the step's end on the grid), is held at
``v_reset`` for ``tau_refrac`` and starts again from there: its spikes are periodic.
"""

import numpy as np
import pytest

pytest.importorskip("pyNN")

import neo  # noqa: E402

import brainjit.pynn as sim  # noqa: E402

DT = 0.1
CELL = {"v_thresh": -50.0, "v_reset": -65.0, "v_rest": -65.0, "tau_m": 20.0, "cm": 1.0}
CELL["tau_refrac"] = 2.0
I_OFFSET = [0.1, 0.2, 1.2, 1.5]  # nA: two passive cells, two that fire
TOL = {"numpy": 1e-9, "jax": 1e-3}  # mV: float64 / float32 rounding over 300 steps


def free_v(t, i):
    """The membrane from rest under a constant current ``i`` (nA)."""
    r = CELL["tau_m"] / CELL["cm"]
    return CELL["v_rest"] + r * i * (1 - np.exp(-np.asarray(t) / CELL["tau_m"]))


def spike_times(i, t_stop):
    """The spike times (ms, on the grid) of a cell under ``i`` until ``t_stop``."""
    r = CELL["tau_m"] / CELL["cm"]
    crossing = -CELL["tau_m"] * np.log(1 - (CELL["v_thresh"] - CELL["v_rest"]) / (r * i))
    first = np.ceil(crossing / DT) * DT
    assert first - crossing > 0.005  # no crossing within rounding of a grid point
    period = CELL["tau_refrac"] + first
    return np.arange(first, t_stop + 1e-9, period)


@pytest.fixture(scope="module", params=["numpy", "jax"])
def rec(request, tmp_path_factory):
    sim.setup(timestep=DT, backend=request.param)
    p = sim.Population(4, sim.IF_curr_exp(i_offset=I_OFFSET, **CELL))
    p.initialize(v=CELL["v_rest"])
    p[0:2].record("v", sampling_interval=0.5)
    p[2:4].record("spikes")
    out = {"backend": request.param}
    sim.run(20.0)
    sim.run(10.0)  # one segment over both runs
    out["two_runs"] = p.get_data()
    out["counts"] = p.get_spike_counts()
    out["mean_count"] = p.mean_spike_count()
    sim.reset()
    sim.run(10.0)
    out["after_reset"] = p.get_data()
    out["cleared"] = p.get_data(clear=True)
    sim.run(5.0)
    out["after_clear"] = p.get_data()
    path = str(tmp_path_factory.mktemp("rec") / "data.pkl")
    p.write_data(path)
    out["read_back"] = neo.io.PickleIO(path).read_block()
    p.record(None)
    out["after_none"] = p.get_data()
    sim.run(1.0)
    out["none_run"] = p.get_data()
    sim.end()
    return out


def _v(segment):
    (signal,) = segment.filter(name="v")
    return signal


def test_subset_and_sampling_interval(rec):
    v = _v(rec["two_runs"].segments[0])
    assert v.shape == (61, 2)  # cells 0 and 1, every 0.5 ms from 0 to 30 ms
    assert float(v.sampling_period) == 0.5 and float(v.t_start) == 0.0
    assert list(v.array_annotations["channel_index"]) == [0, 1]
    t = np.arange(61) * 0.5
    expected = np.column_stack([free_v(t, i) for i in I_OFFSET[:2]])
    np.testing.assert_allclose(v.magnitude, expected, atol=TOL[rec["backend"]])


def test_spikes_and_counts(rec):
    trains = rec["two_runs"].segments[0].spiketrains
    assert [st.annotations["source_index"] for st in trains] == [2, 3]
    for st, i in zip(trains, I_OFFSET[2:]):
        np.testing.assert_allclose(st.magnitude, spike_times(i, 30.0), atol=1e-6)
        assert float(st.t_stop) == pytest.approx(30.0)
    ids = [int(st.annotations["channel_id"]) for st in trains]
    assert rec["counts"] == {k: len(st) for k, st in zip(ids, trains)}
    assert rec["counts"][ids[1]] > rec["counts"][ids[0]] > 0
    assert rec["mean_count"] == pytest.approx(np.mean([len(st) for st in trains]))


def test_reset_makes_a_new_segment(rec):
    block = rec["after_reset"]
    assert len(block.segments) == 2
    first, second = _v(block.segments[0]), _v(block.segments[1])
    assert second.shape == (21, 2) and float(second.t_start) == 0.0
    np.testing.assert_allclose(second.magnitude, first.magnitude[:21], atol=1e-6)
    for a, b in zip(block.segments[1].spiketrains, block.segments[0].spiketrains):
        np.testing.assert_allclose(a.magnitude, b.magnitude[b.magnitude <= 10.0 + 1e-9])


def test_clear(rec):
    assert len(rec["cleared"].segments) == 2
    block = rec["after_clear"]
    assert len(block.segments) == 1  # the cache went with clear=True
    v = _v(block.segments[0])
    assert v.shape == (11, 2) and float(v.t_start) == pytest.approx(10.0)
    t = 10.0 + 0.5 * np.arange(11)
    expected = np.column_stack([free_v(t, i) for i in I_OFFSET[:2]])
    np.testing.assert_allclose(v.magnitude, expected, atol=TOL[rec["backend"]])
    for st, i in zip(block.segments[0].spiketrains, I_OFFSET[2:]):
        times = spike_times(i, 15.0)
        np.testing.assert_allclose(st.magnitude, times[times > 10.0 + 1e-9], atol=1e-6)


def test_write_data_round_trip(rec):
    written = rec["after_clear"].segments[0]
    read = rec["read_back"].segments[0]
    np.testing.assert_array_equal(_v(read).magnitude, _v(written).magnitude)
    assert [list(st.magnitude) for st in read.spiketrains] == [
        list(st.magnitude) for st in written.spiketrains
    ]
    assert rec["read_back"].annotations["simulator"] == "brainjit"


def test_record_none(rec):
    for block in (rec["after_none"], rec["none_run"]):
        segment = block.segments[-1]
        assert not segment.analogsignals and not len(segment.spiketrains)


def test_sampling_interval_errors():
    sim.setup(timestep=DT)
    try:
        p = sim.Population(2, sim.IF_curr_exp())
        with pytest.raises(ValueError, match="multiple of the time step"):
            p.record("v", sampling_interval=0.25)
        p.record("v", sampling_interval=0.5)
        with pytest.raises(ValueError, match="same sampling interval"):
            p[1:2].record("v", sampling_interval=0.2)  # PyNN's rule: one per population
    finally:
        sim.end()
