"""Checkpoints: ``model.state_dict()`` / ``model.load_state_dict()`` and
``bp.save_state`` / ``bp.load_state``, random generator included, on both backends.

The reference of every continuation test is the uninterrupted run: the same Runner
running on after the state was taken (taking it changes nothing)."""

import os
import pathlib
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
import state_models as sm

import brainjit as bp
from brainjit import checkpoint
from brainjit.base import model_time, set_model_time

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKER = pathlib.Path(__file__).with_name("checkpoint_worker.py")


_REFERENCES: dict = {}


def _reference(seed: int, first: float, then: float):
    """A network's state (random generator included) after a run of ``first`` ms, and
    the spikes of the next ``then`` ms of the same, uninterrupted run (copies; computed
    once per backend and arguments, for the tests that share them)."""
    key = (bp.math.get_backend_name(), seed, first, then)
    if key not in _REFERENCES:
        sm.seed(seed)
        net = sm.network()
        runner = sm.runner(net)
        runner.run(first)
        state = net.state_dict(random=True)
        if key[0] == "numpy":  # a cached normal deviate to save
            assert state["__random_numba_gauss__"][0] == 1.0
        _REFERENCES[key] = state, sm.spikes(runner.run(then))
    state, spikes = _REFERENCES[key]
    return {k: v.copy() for k, v in state.items()}, spikes.copy()


class _Holder(bp.DynamicalSystem):
    """A model with one Variable (for the random generator tests)."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.x = bp.math.Variable(bp.math.zeros(2))


# -- state_dict -------------------------------------------------------------------------
def test_state_dict_holds_every_variable_and_the_time(backend):
    net = sm.network()
    set_model_time(net, 2.5)
    state = net.state_dict()
    assert set(state) == set(net.vars()) | {"__time__"}
    assert state["__time__"].shape == () and float(state["__time__"]) == 2.5
    for path, var in net.vars().items():
        assert isinstance(state[path], np.ndarray)
        np.testing.assert_array_equal(state[path], np.asarray(var), err_msg=path)
        assert state[path].dtype == np.dtype(var.dtype)
    before = state[f"{net.name}.E.V"].copy()
    net.E.V.value = net.E.V.value + 1.0  # a copy, not a view of the model
    np.testing.assert_array_equal(state[f"{net.name}.E.V"], before)
    with_random = net.state_dict(random=True)
    assert set(with_random) - set(state) and all(
        k.startswith("__random_") for k in set(with_random) - set(state)
    )


def test_load_state_dict_restores_in_place_and_sets_the_time(backend):
    net = sm.network()
    state = net.state_dict()
    variables = net.vars()
    other = {k: v + 1 if v.dtype != bool else ~v for k, v in state.items()}
    other["__time__"] = np.array(40.0)
    net.load_state_dict(other)
    assert net.vars().keys() == variables.keys()
    for path, var in net.vars().items():
        assert var is variables[path]  # the same Variables, written in place
        np.testing.assert_array_equal(np.asarray(var), other[path], err_msg=path)
    assert all(model_time(node) == 40.0 for node in net.nodes().values())


def test_load_into_another_model_continues_the_run(backend):
    """The state of one network loads into another built the same way (another name);
    its Runner, at the same time, then runs on exactly as the first network did. Without
    the random generator's state it does not (the test depends on it)."""
    state, expected = _reference(5, 30.0, 30.0)
    assert expected.sum() > 0
    bp.math.random.seed(77)
    other = sm.network()
    runner = sm.runner(other)
    runner.run(30.0)  # another state, and the Runner at 30 ms
    without_random = {k: v for k, v in state.items() if not k.startswith("__random_")}
    other.load_state_dict(without_random)
    differs = sm.spikes(runner.run(30.0))
    assert not np.array_equal(differs, expected)
    other.load_state_dict(state)
    np.testing.assert_array_equal(sm.spikes(runner.run(30.0)), expected)


def test_a_new_runner_continues_from_the_loaded_time(backend):
    """A new Runner on a restored model starts from the model time of the state."""
    state, expected = _reference(5, 30.0, 30.0)
    other = sm.network()
    other.load_state_dict(state)
    assert other.t == 30.0
    mon = sm.runner(other).run(30.0)
    assert mon.ts[0] == pytest.approx(30.0)
    np.testing.assert_array_equal(sm.spikes(mon), expected)
    assert other.t == pytest.approx(60.0)


def test_random_generator_state_with_a_cached_normal_deviate():
    """numpy backend: Numba's generator (with its cached second normal deviate after an
    odd number of normal draws) and NumPy's global one come back exactly."""

    @numba.njit
    def draw(n):
        return np.random.normal(0.0, 1.0, n)

    holder = _Holder()
    bp.math.random.seed(3)
    draw(3)  # odd: a deviate is cached
    np.random.normal(size=3)
    state = holder.state_dict(random=True)
    assert state["__random_numba_gauss__"][0] == 1.0  # the cached deviate is saved
    expected = draw(5), np.random.normal(size=5), np.random.random(4)
    draw(7)
    bp.math.random.seed(99)
    holder.load_state_dict(state)
    got = draw(5), np.random.normal(size=5), np.random.random(4)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def _uniform(n):
    return bp.math.random.random(n)


def test_random_generator_state_restored_in_another_thread():
    """numpy backend: Numba's generator is one per thread; a state loaded in a thread
    that never seeded (after a seed in another thread) is what compiled code draws next
    in that thread, also after another thread seeds again: loading counts as seeding
    that thread."""
    draw = bp.math.jit(_uniform)
    holder = _Holder()
    bp.math.random.seed(4)
    draw(3)
    state = holder.state_dict(random=True)
    expected = draw(6)
    loaded, seeded, got = threading.Event(), threading.Event(), {}

    def work():
        holder.load_state_dict(state)
        loaded.set()
        seeded.wait(60)
        got["draws"] = draw(6)

    thread = threading.Thread(target=work)
    thread.start()
    loaded.wait(60)
    bp.math.random.seed(5)  # in the main thread, after the load
    seeded.set()
    thread.join(60)
    np.testing.assert_array_equal(got["draws"], expected)


def test_random_generator_state_saved_in_a_thread_that_has_not_drawn_yet():
    """numpy backend: saved in a thread whose generator is to restart from another
    thread's seed when it enters compiled code, the state is the one it draws from."""
    draw = bp.math.jit(_uniform)
    holder = _Holder()
    bp.math.random.seed(6)
    got = {}

    def work():
        state = holder.state_dict(random=True)
        got["first"] = draw(6)
        holder.load_state_dict(state)
        got["again"] = draw(6)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    np.testing.assert_array_equal(got["again"], got["first"])


def test_random_generator_state_jax():
    bp.math.use_backend("jax")
    holder = _Holder()
    bp.math.random.seed(3)
    bp.math.random.normal(size=2)
    state = holder.state_dict(random=True)
    expected = np.asarray(bp.math.random.normal(size=4))
    bp.math.random.seed(8)
    holder.load_state_dict(state)
    np.testing.assert_array_equal(np.asarray(bp.math.random.normal(size=4)), expected)


# -- files ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_continue_in_a_new_process(backend, tmp_path):
    """Saved at 100 ms, continued by a new Runner in a new process: the same spikes as
    the uninterrupted run."""
    bp.math.use_backend(backend)
    sm.seed(21)
    net = sm.network()
    runner = sm.runner(net)
    runner.run(100.0)
    file = tmp_path / "state.npz"
    bp.save_state(file, net)
    if backend == "numpy":  # a cached normal deviate to save
        assert np.load(file)["__random_numba_gauss__"][0] == 1.0
    expected = sm.spikes(runner.run(100.0))
    assert expected.sum() > 0
    out = tmp_path / "continued.npz"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)
    done = subprocess.run(
        [sys.executable, str(WORKER), backend, str(file), "100", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with np.load(out) as result:
        assert float(result["t_loaded"]) == pytest.approx(100.0)
        np.testing.assert_array_equal(result["spikes"], expected)
        assert float(result["t_end"]) == pytest.approx(200.0)


def test_save_state_writes_atomically(tmp_path, monkeypatch):
    net = sm.network()
    file = tmp_path / "net.npz"
    bp.save_state(file, net)
    first = file.read_bytes()
    net.E.V.value = net.E.V.value + 1.0
    bp.save_state(str(file), net)  # replaces it
    assert file.read_bytes() != first
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]  # no temporary file left

    def broken(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.np, "savez", broken)
    saved = file.read_bytes()
    with pytest.raises(OSError, match="disk full"):
        bp.save_state(file, net)
    assert file.read_bytes() == saved  # the previous checkpoint is intact
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]


def test_save_and_load_state_round_trip(tmp_path, backend):
    net = sm.network()
    net.I.V.value = net.I.V.value - 3.0
    set_model_time(net, 7.5)
    state = net.state_dict()
    bp.save_state(tmp_path / "s.npz", net, random=False)
    other = sm.network()
    bp.load_state(tmp_path / "s.npz", other, random=False)
    assert other.t == 7.5
    for (path, value), (other_path, var) in zip(state.items(), other.vars().items()):
        assert path.split(".", 1)[1] == other_path.split(".", 1)[1]
        np.testing.assert_array_equal(np.asarray(var), value, err_msg=other_path)


# -- errors -----------------------------------------------------------------------------
def _unchanged(net, before):
    for path, var in net.vars().items():
        np.testing.assert_array_equal(np.asarray(var), before[path], err_msg=path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s, n: s.pop(f"{n}.E.V"), r"lacks: '\w+\.E\.V'"),
        (lambda s, n: s.update({f"{n}.E.W": np.zeros(3)}), r"no Variable for: '\w+\.E\.W'"),
        (
            lambda s, n: s.update({f"{n}.I.V": np.zeros(4)}),
            r"'\w+\.I\.V' is a Variable of shape \(11,\).*shape \(4,\)",
        ),
        (
            lambda s, n: s.update({f"{n}.E.spike": np.zeros(sm.N_E, dtype=np.int8)}),
            r"'\w+\.E\.spike' is a Variable of shape \(40,\) and dtype bool.*dtype int8",
        ),
        (lambda s, n: s.pop("__time__"), r"no model time \('__time__'\)"),
        (lambda s, n: s.update({"__extra__": np.zeros(1)}), r"unknown reserved.*'__extra__'"),
    ],
    ids=["missing", "extra", "shape", "dtype", "no-time", "reserved"],
)
def test_a_state_that_does_not_fit_is_refused_before_anything_is_written(change, message):
    net = sm.network()
    state = net.state_dict()
    set_model_time(net, 3.0)
    net.E.V.value = net.E.V.value + 1.0  # the model now differs from the state
    before = {p: np.array(v) for p, v in net.vars().items()}
    change(state, net.name)
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    _unchanged(net, before)
    assert net.t == 3.0


def test_a_file_of_another_model_is_refused(tmp_path):
    group = bp.dyn.LIF(5, name="lonely")
    bp.save_state(tmp_path / "group.npz", group)
    net = sm.network()
    before = {p: np.array(v) for p, v in net.vars().items()}
    with pytest.raises(ValueError, match=r"group\.npz.*saved from 'lonely'.*another model"):
        bp.load_state(tmp_path / "group.npz", net)
    _unchanged(net, before)


def test_random_state_errors(tmp_path, backend):
    net = sm.network()
    bp.save_state(tmp_path / "plain.npz", net, random=False)
    with pytest.raises(ValueError, match=r"plain\.npz.*no random generator.*random=False"):
        bp.load_state(tmp_path / "plain.npz", net)
    other = "jax" if backend == "numpy" else "numpy"
    bp.math.use_backend(other)
    foreign = _Holder().state_dict(random=True)
    bp.math.use_backend(backend)
    state = net.state_dict()
    state.update({k: v for k, v in foreign.items() if k.startswith("__random_")})
    with pytest.raises(ValueError, match=rf"random generator of the {other} backend"):
        net.load_state_dict(state)


def test_files_that_are_not_states(tmp_path):
    net = sm.network()
    with pytest.raises(FileNotFoundError, match="no state file"):
        bp.load_state(tmp_path / "absent.npz", net)
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match=r"text\.npz.*not a state file"):
        bp.load_state(tmp_path / "text.npz", net)
    np.save(tmp_path / "array.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"array\.npy.*not a state file"):
        bp.load_state(tmp_path / "array.npy", net)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bp.save_state(tmp_path / "no" / "such" / "dir.npz", net)
    with pytest.raises(TypeError, match="must be a bp.Base"):
        bp.save_state(tmp_path / "x.npz", {"V": 1})
