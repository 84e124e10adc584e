"""Spike monitors lose no spike: ``mon.spike_events(name)`` holds every spike of a
boolean monitor whatever ``monitor_every``, and with ``monitor_every = k > 1`` a boolean
record says whether the neuron spiked in any step since the previous record.

References: the plain NumPy LIF of test_runner (independent of the model class and of
the Runner), and the same network run with ``monitor_every=1``, reduced in NumPy.
"""

import numpy as np
import pytest
from runner_models import LIF, Net
from test_runner import DT, lif_reference, small_chunks

import brainjit as bp
from brainjit.running import Monitors
from brainjit.running._spikes import SpikeRecorder, set_bits


def events_of(spikes, first_step=0, ids=None):
    """(times, indices) of a (steps, neurons) boolean array, in time order and, within
    a step, by ascending neuron id (``ids``: the neuron id of each column)."""
    steps, cols = np.nonzero(spikes)
    ids = np.arange(spikes.shape[1]) if ids is None else np.asarray(ids)
    neuron = ids[cols]
    order = np.lexsort((neuron, steps))
    return (first_step + steps[order]) * DT, neuron[order]


def or_records(spikes, record_steps, previous=-1):
    """Record j: whether each neuron spiked in steps ``record_steps[j-1] + 1`` up to
    ``record_steps[j]`` (the first: from ``previous + 1``)."""
    out = []
    for step in record_steps:
        out.append(spikes[previous + 1 : step + 1].any(axis=0))
        previous = step
    return np.array(out)


def assert_events(mon, name, times, indices):
    got_t, got_i = mon.spike_events(name)
    assert got_t.dtype == np.float64 and got_i.dtype == np.int64
    np.testing.assert_array_equal(got_i, indices)
    np.testing.assert_array_equal(got_t, times)


CURRENTS = np.random.default_rng(7).uniform(0.5, 4.0, 77)  # 77: 2 blocks of 32 and a tail


def lif_runner(every, monitors=None, **kwargs):
    return bp.Runner(
        LIF(77, t_ref=0.25),  # fast neurons: several spikes within 10 steps
        monitors=monitors or ["spike", "V"],
        inputs=[("input", CURRENTS)],
        monitor_every=every,
        progress_bar=False,
        **kwargs,
    )


@pytest.mark.parametrize("every", [1, 3, 10])
def test_every_spike_and_or_records(backend, monkeypatch, every):
    """201 steps in chunks of about 50 (chunk boundaries inside the windows of the
    records): the events are every spike of the NumPy reference; a record is the OR of
    the steps since the previous one; the other monitors are still sampled."""
    small_chunks(monkeypatch, 50)
    _, spikes = lif_reference(201, CURRENTS, np.zeros(77), t_ref=0.25)
    rows = np.arange(0, 201, every)
    if every > 1:  # thinning would lose spikes: the test can tell
        assert spikes.sum() > 2 * spikes[rows].sum()
        assert (or_records(spikes, rows) != spikes[rows]).any()
    mon = lif_runner(every).run(20.1)
    assert_events(mon, "spike", *events_of(spikes))
    np.testing.assert_array_equal(mon["spike"], or_records(spikes, rows))
    assert mon["V"].shape == (len(rows), 77)
    t, _ = mon.spike_events("spike")
    assert np.isin(t, np.arange(201) * DT).all()  # the times of the steps, as mon.ts


def test_per_step_path(backend, monkeypatch):
    small_chunks(monkeypatch, 20)
    _, spikes = lif_reference(55, CURRENTS, np.zeros(77), t_ref=0.25)
    mon = lif_runner(4).run(5.5, per_step=True)
    assert_events(mon, "spike", *events_of(spikes))
    np.testing.assert_array_equal(mon["spike"], or_records(spikes, np.arange(0, 55, 4)))


def test_indices_are_neuron_ids(backend, monkeypatch):
    """A selection (unsorted, with a repeat): the events' indices are the neuron ids of
    the Variable, each spike once, ascending within a step; the records keep the
    selection's columns."""
    small_chunks(monkeypatch, 30)
    fast = np.argsort(CURRENTS)[-6:]  # the most active neurons, and a few others
    pick = np.concatenate([fast, [76, 0, 33, 32, 64, 5, 63, fast[0]]])
    _, spikes = lif_reference(150, CURRENTS, np.zeros(77), t_ref=0.25)
    mon = lif_runner(3, monitors={"some": ("spike", pick)}).run(15.0)
    chosen = np.zeros(77, bool)
    chosen[pick] = True
    times, ids = events_of(np.where(chosen, spikes, False))
    assert len(ids) > 30 and len(np.unique(ids)) > 5
    assert_events(mon, "some", times, ids)
    np.testing.assert_array_equal(mon["some"], or_records(spikes, np.arange(0, 150, 3))[:, pick])


def test_second_run(backend, monkeypatch):
    """The events of a run are that run's only, at times that continue; the first record
    of the second run covers the steps since the last record of the first: the records
    of both runs together cover every step once."""
    small_chunks(monkeypatch, 25)
    _, spikes = lif_reference(231, CURRENTS, np.zeros(77), t_ref=0.25)
    runner = lif_runner(3)
    runner.run(10.0)  # records at steps 0, 3, ..., 99: steps 97-99 ...
    mon = runner.run(13.1)  # ... in its record at step 100 (its first)
    assert_events(mon, "spike", *events_of(spikes[100:], first_step=100))
    record_steps = np.arange(100, 231, 3)
    np.testing.assert_allclose(mon.ts, record_steps * DT)
    np.testing.assert_array_equal(mon["spike"], or_records(spikes, record_steps, previous=99))


def test_run_after_reset_state_starts_afresh(backend):
    """After ``reset_state()`` (time 0 again) the steps after the last record of the run
    before are not carried into the first record: the records of a fresh run."""
    _, spikes = lif_reference(100, CURRENTS, np.zeros(77), t_ref=0.25)
    runner = lif_runner(3)
    runner.run(10.0)  # steps 97-99 after the last record: spikes there
    assert spikes[97:].any()
    runner.model.reset_state()
    mon = runner.run(10.0)
    np.testing.assert_array_equal(mon["spike"], or_records(spikes, np.arange(0, 100, 3)))
    assert_events(mon, "spike", *events_of(spikes))


def test_network_against_every_step_run(backend, monkeypatch):
    """A network (two groups, synapses): monitor_every=10 against monitor_every=1, and
    the number of events against the model's own spike counter."""
    small_chunks(monkeypatch, 60)

    def run(every):
        runner = bp.Runner(
            Net(),
            monitors={"spike": "E.spike", "I": ("I.spike", [3, 1]), "count": "count"},
            inputs=[("E.input", 2.5), ("I.input", 2.0)],
            monitor_every=every,
            progress_bar=False,
        )
        return runner.run(40.3)

    full, sparse = run(1), run(10)
    spikes = full["spike"]
    rows = np.arange(0, 403, 10)
    assert spikes.sum() > 20 and spikes.sum() > 2 * spikes[rows].sum()
    assert_events(sparse, "spike", *events_of(spikes))
    assert len(sparse.spike_events("spike")[0]) == int(np.asarray(full["count"])[-1])
    np.testing.assert_array_equal(sparse["spike"], or_records(spikes, rows))
    assert_events(sparse, "I", *events_of(full["I"], ids=[3, 1]))
    np.testing.assert_array_equal(sparse["I"], or_records(full["I"], rows))


def test_spike_events_of_other_monitors(backend):
    runner = lif_runner(1, monitors=["spike", "V"])
    mon = runner.run(1.0)
    with pytest.raises(TypeError, match=r"'V'.*float.*boolean"):
        mon.spike_events("V")
    with pytest.raises(KeyError, match="no monitor named 'nope'"):
        mon.spike_events("nope")
    with pytest.raises(KeyError, match="no monitor named 'spike'"):
        Monitors().spike_events("spike")


def test_sampled_spikes_as_before(backend):
    """``Runner._spike_events = False`` (benchmarks/spike_events.py's baseline): spikes
    sampled every k steps like other monitors, as before spike events, and none."""

    class Sampled(bp.Runner):
        _spike_events = False

    _, spikes = lif_reference(60, CURRENTS, np.zeros(77), t_ref=0.25)
    runner = Sampled(
        LIF(77, t_ref=0.25),
        monitors=["spike"],
        inputs=[("input", CURRENTS)],
        monitor_every=3,
        progress_bar=False,
    )
    mon = runner.run(6.0)
    np.testing.assert_array_equal(mon["spike"], spikes[::3])
    with pytest.raises(ValueError, match="no spike events were recorded for 'spike'"):
        mon.spike_events("spike")


# -- the host side alone, against NumPy ------------------------------------------------------
@pytest.mark.parametrize("width", [1, 5, 8, 13, 64])
def test_set_bits_is_nonzero_of_the_unpacked_bits(width):
    """Rows of any width (words across rows, a tail shorter than a word), sparse and
    dense: the (row, position) of every set bit, in order."""
    rng = np.random.default_rng(width)
    for density in (0.002, 0.3, 1.0):
        spikes = rng.random((37, width * 8 - 3 if width > 1 else 8)) < density
        rows = np.packbits(spikes, axis=1)
        got_rows, got_pos = set_bits(rows)
        want_rows, want_pos = np.nonzero(spikes)
        np.testing.assert_array_equal(got_rows, want_rows)
        np.testing.assert_array_equal(got_pos, want_pos)
    assert set_bits(np.zeros((0, 4), np.uint8))[0].shape == (0,)


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("every", [1, 4, 7])
def test_recorder_any_pieces(packed, every):
    """Rows given in pieces of any length (record steps anywhere in them, pieces with no
    record step), a run continuing another: the records and events of the whole."""
    rng = np.random.default_rng(every)
    spikes = rng.random((200, 70)) < 0.05
    rows = np.packbits(spikes, axis=1) if packed else spikes
    cuts = [0, 3, 4, 5, 30, 31, 90, 91, 92, 150, 200]  # two runs: steps 0-90, 91-199
    got, packed_records, recorder = [], [], None
    for start, stop in zip(cuts, cuts[1:]):
        first = 0 if start < 91 else 91
        if start in (0, 91):
            carry = None if recorder is None else recorder.carry
            recorder = SpikeRecorder((70,), None, packed, every, first, carry)
            got.append([])
            packed_records.append([])
        records = recorder.add(rows[start:stop], start - first)
        got[-1].append(np.unpackbits(records, axis=1, count=70).astype(bool))
        packed_records[-1].append(records)
        if stop in (91, 200):
            # (monitor_every = 1: the events are found in the run's records when asked)
            run_records = packed_records[-1]
            steps, ids = recorder.events(
                lambda run_records=run_records: np.concatenate(run_records)
            )
            want = events_of(spikes[first:stop])
            np.testing.assert_array_equal(steps, np.round(want[0] / DT).astype(int))
            np.testing.assert_array_equal(ids, want[1])
    record_steps = np.concatenate([np.arange(0, 91, every), np.arange(91, 200, every)])
    want = or_records(spikes, record_steps)
    np.testing.assert_array_equal(np.concatenate([np.concatenate(g) for g in got]), want)
