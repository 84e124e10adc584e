"""bp.Runner: the whole-run compiled loop against a per-step loop and against plain
NumPy references; monitors, inputs, continuation, and bad input (on both backends)."""

import numpy as np
import pytest
from runner_models import LIF, Accumulator, Net

import brainjit as bp
from brainjit.running import runner as runner_module

DT = 0.1


def small_chunks(monkeypatch, steps):
    """Cut runs into chunks of about ``steps`` steps (chunk boundaries get tested)."""
    monkeypatch.setattr(runner_module, "_MIN_CHUNK", steps)
    monkeypatch.setattr(runner_module, "_CHUNKS", 10**9)


def lif_reference(n_steps, currents, V0, tau=10.0, v_th=1.0, v_reset=0.0, t_ref=2.0, dt=DT):
    """Plain NumPy LIF (float64), independent of the model class and of the Runner."""
    V = np.array(V0, dtype=float)
    t_last = np.full(V.shape, -1e7)
    Vs, spikes = [], []
    for k in range(n_steps):
        t = k * dt
        new = V + (currents - V) / tau * dt
        new = np.where(t - t_last <= t_ref, v_reset, new)
        spike = new >= v_th
        t_last = np.where(spike, t, t_last)
        V = np.where(spike, v_reset, new)
        Vs.append(V.copy())
        spikes.append(spike)
    return np.array(Vs), np.array(spikes)


# -- against independent references -----------------------------------------------------------
def test_lif_matches_plain_numpy(backend):
    currents = np.linspace(0.5, 3.0, 8)  # some neurons silent, some fast
    V0 = np.linspace(0.0, 0.9, 8)
    model = LIF(8, V0=V0, t_ref=2.05)  # not a multiple of dt: no float32 ties
    runner = bp.Runner(
        model, monitors=["V", "spike"], inputs=[("input", currents)], progress_bar=False
    )
    runner.run(60.0)
    V_ref, spikes_ref = lif_reference(600, currents, V0, t_ref=2.05)
    assert runner.mon["V"].shape == (600, 8) and runner.mon["spike"].dtype == bool
    np.testing.assert_allclose(runner.mon.ts, np.arange(600) * DT, rtol=0, atol=1e-9)
    if backend == "numpy":  # float64 and the same operations: identical
        np.testing.assert_array_equal(runner.mon["spike"], spikes_ref)
        np.testing.assert_allclose(runner.mon["V"], V_ref, rtol=1e-12, atol=1e-12)
    else:  # float32
        np.testing.assert_array_equal(runner.mon["spike"], spikes_ref)
        np.testing.assert_allclose(runner.mon["V"], V_ref, atol=1e-5)
    counts = runner.mon["spike"].sum(0)
    assert counts[-1] > 5 and counts[0] == 0


def test_accumulator_inputs_against_formula(backend):
    model = Accumulator(3)
    drive = np.arange(50.0)  # an 'iter' input: one value per step
    runner = bp.Runner(
        model,
        monitors=["acc", "time"],
        inputs=[("x", 2.0), ("x", drive, "iter"), ("x", np.array([1.0, 0.0, -1.0]))],
        progress_bar=False,
    )
    runner.run(5.0)
    expected = np.cumsum(2.0 + drive[:, None] + np.array([1.0, 0.0, -1.0]), axis=0)
    np.testing.assert_allclose(runner.mon["acc"], expected, rtol=1e-6)
    np.testing.assert_allclose(runner.mon["time"], np.arange(50) * DT, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "op, expected_gain", [("*", 2.0), ("/", 0.5), ("+", 1.0 + 2.0), ("-", 1.0 - 2.0)]
)
def test_input_operations(backend, op, expected_gain):
    model = Accumulator(2)
    runner = bp.Runner(model, monitors=["gain"], inputs=[("gain", 2.0, "fix", op)], dt=1.0)
    runner.run(3.0, progress_bar=False)
    g = np.ones(2)
    rows = []
    for _ in range(3):  # the input is applied before every step, to the current value
        g = {"*": g * 2.0, "/": g / 2.0, "+": g + 2.0, "-": g - 2.0}[op]
        rows.append(g.copy())
    np.testing.assert_allclose(runner.mon["gain"], np.array(rows))
    assert np.isclose(runner.mon["gain"][0, 0], expected_gain)


def test_assignment_input(backend):
    model = Accumulator(2)
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    runner = bp.Runner(
        model, monitors=["acc"], inputs=[("x", values, "iter", "=")], progress_bar=False
    )
    runner.run(0.4)
    np.testing.assert_allclose(runner.mon["acc"], np.cumsum(values, axis=0))


# -- the compiled whole-run loop against the per-step Python loop ------------------------------
def run_net(per_step, monkeypatch=None, chunk=None, every=1, duration=40.0):
    if monkeypatch is not None:
        small_chunks(monkeypatch, chunk)
    net = Net()
    drive = np.sin(np.arange(int(duration / DT)) * 0.01) + 1.5
    runner = bp.Runner(
        net,
        monitors={"V": "E.V", "spike": "E.spike", "I": ("I.V", [0, 3]), "count": "count"},
        inputs=[("E.input", 1.2), ("I.input", drive, "iter")],
        progress_bar=False,
        monitor_every=every,
    )
    runner.run(duration, per_step=per_step)
    return runner


def test_whole_run_equals_per_step(backend, monkeypatch):
    whole = run_net(False)
    stepped = run_net(True, monkeypatch, chunk=37)
    assert whole.mon["spike"].sum() > 10  # the network is active
    for name in ("V", "spike", "I", "count"):
        np.testing.assert_array_equal(whole.mon[name], stepped.mon[name], err_msg=name)
    np.testing.assert_array_equal(whole.mon.ts, stepped.mon.ts)
    assert int(whole.mon["count"][-1]) == int(whole.mon["spike"].sum())


def test_chunking_does_not_change_results(backend, monkeypatch):
    one = run_net(False)
    many = run_net(False, monkeypatch, chunk=7)
    for name in ("V", "spike", "I"):
        np.testing.assert_array_equal(one.mon[name], many.mon[name], err_msg=name)


def test_net_matches_eager_python_loop():
    """numpy backend: the compiled run against the model's update run uncompiled."""
    compiled = run_net(False)
    net = Net()
    drive = np.sin(np.arange(400) * 0.01) + 1.5
    Vs, spikes = [], []
    for k in range(400):
        net.E.input += 1.2
        net.I.input += drive[k]
        net.update(k * DT, DT)
        Vs.append(np.array(net.E.V))
        spikes.append(np.array(net.E.spike))
    np.testing.assert_array_equal(compiled.mon["spike"], np.array(spikes))
    np.testing.assert_allclose(compiled.mon["V"], np.array(Vs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("every, chunk", [(3, 7), (5, 10), (4, 1000)])
def test_monitor_every_and_indices(backend, monkeypatch, every, chunk):
    full = run_net(False, duration=40.1)  # 401 steps: not a multiple of every
    sparse = run_net(False, monkeypatch, chunk=chunk, every=every, duration=40.1)
    rows = np.arange(0, 401, every)
    assert sparse.mon["V"].shape == (len(rows), 16)
    assert sparse.mon["I"].shape == (len(rows), 2)
    np.testing.assert_array_equal(sparse.mon["V"], full.mon["V"][rows])
    np.testing.assert_array_equal(sparse.mon["I"], full.mon["I"][rows])
    np.testing.assert_array_equal(sparse.mon["I"], np.asarray(full.mon["I"])[rows])
    np.testing.assert_allclose(sparse.mon.ts, rows * DT)


def test_indices_select_columns(backend):
    net = Net()
    runner = bp.Runner(
        net,
        monitors={"all": "E.V", "some": ("E.V", [5, 0, -1]), "mask": ("E.V", np.arange(16) < 2)},
        inputs=("E.input", 2.0),
        progress_bar=False,
    )
    runner.run(5.0)
    np.testing.assert_array_equal(runner.mon["some"], runner.mon["all"][:, [5, 0, 15]])
    np.testing.assert_array_equal(runner.mon["mask"], runner.mon["all"][:, :2])


def test_second_run_continues(backend, monkeypatch):
    once = run_net(False, duration=50.0)
    small_chunks(monkeypatch, 13)
    net = Net()
    runner = bp.Runner(
        net,
        monitors={"V": "E.V", "spike": "E.spike"},
        inputs=[("E.input", 1.2), ("I.input", 1.5)],
        progress_bar=False,
    )
    runner.run(30.0)
    build = runner.build_time
    assert runner.t == pytest.approx(30.0)
    runner.run(20.0)
    assert runner.build_time == build  # compiled once
    assert runner.t == pytest.approx(50.0)
    np.testing.assert_allclose(runner.mon.ts, np.arange(300, 500) * DT)
    ref = Net()
    ref_runner = bp.Runner(
        ref,
        monitors={"V": "E.V", "spike": "E.spike"},
        inputs=[("E.input", 1.2), ("I.input", 1.5)],
        progress_bar=False,
    )
    ref_runner.run(50.0)
    np.testing.assert_array_equal(runner.mon["V"], ref_runner.mon["V"][300:])
    np.testing.assert_array_equal(runner.mon["spike"], ref_runner.mon["spike"][300:])
    assert once.mon["V"].shape[0] == 500


def test_times_and_repr(backend):
    runner = bp.Runner(LIF(3), monitors=["V"], progress_bar=False)
    mon = runner.run(1.0)
    assert mon is runner.mon
    assert runner.build_time > 0 and runner.run_time > 0
    assert np.array_equal(runner.mon["ts"], runner.mon.ts)
    assert "LIF" in repr(runner)
    with pytest.raises(KeyError, match="monitors"):
        runner.mon["nope"]


def test_boolean_records_are_bits_until_read(backend, monkeypatch):
    """Spikes are recorded 8 per byte (chunk boundaries included: 7-step chunks of 13
    neurons) and unpacked on first access into what recording booleans gives; the
    mapping behaves as a dict of arrays meanwhile."""
    small_chunks(monkeypatch, 7)
    currents = np.linspace(0.5, 3.0, 13)
    runner = bp.Runner(
        LIF(13, t_ref=2.05),
        monitors=["V", "spike"],
        inputs=[("input", currents)],
        progress_bar=False,
    )
    mon = runner.run(30.0)
    bits = mon.bits("spike")
    assert bits.dtype == np.uint8 and bits.shape == (300, 2)  # 13 neurons: 2 bytes
    assert "spike" in mon and len(mon) == 2 and sorted(mon) == ["V", "spike"]
    assert "spike" in mon._packed  # not unpacked by the above
    spikes = mon["spike"]
    assert spikes.dtype == bool and spikes.shape == (300, 13)
    _, spikes_ref = lif_reference(300, currents, np.zeros(13), t_ref=2.05)
    assert spikes_ref.sum() > 20
    np.testing.assert_array_equal(spikes, spikes_ref)
    assert mon["spike"] is spikes  # unpacked once
    np.testing.assert_array_equal(mon.bits("spike"), bits)  # packed again on request
    np.testing.assert_array_equal(np.unpackbits(bits, axis=1, count=13).view(bool), spikes)
    assert set(mon.keys()) == {"V", "spike"} and mon.get("spike") is spikes
    with pytest.raises(KeyError, match="boolean monitor"):
        mon.bits("V")


@pytest.mark.parametrize("every", [1, 3])
def test_boolean_records_of_many_neurons(backend, monkeypatch, every):
    """Spike records of 77 neurons (two blocks of 32 and a tail, as the numpy backend's
    compiled loop packs them), whole or a selection, every step or every third, on the
    whole-run and the per-step path: the spikes of the NumPy reference (every third: a
    record says whether the neuron spiked since the previous one)."""
    small_chunks(monkeypatch, 50)
    currents = np.random.default_rng(7).uniform(0.5, 3.0, 77)
    pick = np.array([76, 0, 33, 31, 32, 64, 5, 63, 40])
    _, spikes_ref = lif_reference(200, currents, np.zeros(77), t_ref=2.05)
    assert spikes_ref.sum() > 100 and spikes_ref[:, 32:64].any()
    rows = np.arange(0, 200, every)
    windows = np.concatenate(([0], rows[:-1] + 1))  # record j: steps rows[j-1] + 1 .. rows[j]
    spikes_ref = np.logical_or.reduceat(spikes_ref[: rows[-1] + 1], windows, axis=0)
    for per_step in (False, True):
        runner = bp.Runner(
            LIF(77, t_ref=2.05),
            monitors={"all": "spike", "some": ("spike", pick)},
            inputs=[("input", currents)],
            monitor_every=every,
            progress_bar=False,
        )
        mon = runner.run(20.0, per_step=per_step)
        assert mon.bits("all").shape == (len(rows), 10)
        np.testing.assert_array_equal(mon["all"], spikes_ref)
        np.testing.assert_array_equal(mon["some"], spikes_ref[:, pick])


def test_progress_bar(backend, capsys):
    runner = bp.Runner(LIF(3), monitors=["V"])
    runner.run(2.0)
    err = capsys.readouterr().err
    assert "20/20" in err or "20.0/20.0" in err
    runner.run(2.0, progress_bar=False)
    assert capsys.readouterr().err == ""


def test_no_monitors_runs(backend):
    model = Accumulator(2)
    runner = bp.Runner(model, inputs=[("x", 1.0)], progress_bar=False)
    runner.run(1.0)
    np.testing.assert_allclose(np.asarray(model.acc), [10.0, 10.0])
    assert runner.mon == {} and len(runner.mon.ts) == 10


# -- bad input: raised before anything is compiled --------------------------------------------
@pytest.fixture
def no_compiling(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("compilation started")

    monkeypatch.setattr(bp.math, "jit", boom)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"monitors": ["E.Vm"]}, ValueError, r"'E.Vm'.*'E' has no 'Vm'.*E\.V, .*E\.spike"),
        ({"monitors": ["X.V"]}, ValueError, r"unknown monitor target 'X.V'"),
        ({"monitors": ["E.tau"]}, ValueError, r"'E.tau' is a float, not a bp.math.Variable"),
        ({"monitors": ["E"]}, ValueError, "not a bp.math.Variable"),
        ({"monitors": 3}, TypeError, "monitors must be"),
        ({"monitors": [("E.V", [0, 99])]}, IndexError, "99"),
        ({"monitors": [("E.V", [0.5])]}, TypeError, "ints"),
        ({"monitors": {"a": "E.V", "b": ("count", [0])}}, ValueError, "0-d"),
        ({"inputs": [("E.current", 1.0)]}, ValueError, r"unknown input target 'E.current'"),
        ({"inputs": [("E.V", np.ones(3))]}, ValueError, r"shape \(3,\).*\(16,\)"),
        ({"inputs": [("E.V", 1.0, "func")]}, ValueError, "input type"),
        ({"inputs": [("E.V", 1.0, "fix", "^")]}, ValueError, "operation"),
        ({"inputs": [("E.V", "a")]}, TypeError, "numeric"),
        ({"inputs": [("E.V", 1.0, "iter")]}, ValueError, "time axis"),
        ({"inputs": [("E.V",)]}, TypeError, "an input is"),
        ({"dt": 0.0}, ValueError, "dt must be > 0"),
        ({"dt": -0.1}, ValueError, "dt must be > 0"),
        ({"dt": float("nan")}, ValueError, "dt must be > 0"),
        ({"dt": "0.1"}, TypeError, "dt must be a number"),
        ({"monitor_every": 0}, ValueError, "monitor_every"),
    ],
)
def test_bad_arguments(backend, no_compiling, kwargs, error, match):
    with pytest.raises(error, match=match):
        bp.Runner(Net(), **kwargs)


@pytest.mark.parametrize(
    "duration, error, match",
    [
        (0.0, ValueError, "duration must be > 0"),
        (-5.0, ValueError, "duration must be > 0"),
        (float("inf"), ValueError, "duration must be > 0"),
        (0.01, ValueError, "shorter than one step"),
        ("10", TypeError, "duration must be a number"),
    ],
)
def test_bad_duration(backend, no_compiling, duration, error, match):
    runner = bp.Runner(Net(), monitors=["E.V"], progress_bar=False)
    with pytest.raises(error, match=match):
        runner.run(duration)


def test_iter_input_of_wrong_length(backend, no_compiling):
    runner = bp.Runner(Net(), inputs=[("I.input", np.ones(99), "iter")], progress_bar=False)
    with pytest.raises(ValueError, match=r"'I.input'.*99 values.*100 steps"):
        runner.run(10.0)


def test_model_must_be_a_base(no_compiling):
    with pytest.raises(TypeError, match="bp.Base"):
        bp.Runner(lambda t, dt: None)


def test_variables_of_another_backend(no_compiling):
    net = Net()  # numpy Variables
    with bp.math.backend("jax"):
        with pytest.raises(TypeError, match="another backend"):
            bp.Runner(net, monitors=["E.V"])


def test_runs_under_its_own_backend():
    """A Runner made on jax keeps running on jax after the active backend changes."""
    with bp.math.backend("jax"):
        net = Net()
        runner = bp.Runner(net, monitors=["E.V"], inputs=[("E.input", 2.0)], progress_bar=False)
    runner.run(2.0)
    assert bp.math.get_backend_name() == "numpy"
    assert type(net.E.V).__module__.startswith("brainjit.math._jax")
    assert runner.mon["E.V"].shape == (20, 16)


def test_path_with_model_name(backend):
    net = Net()
    runner = bp.Runner(net, monitors={"v": f"{net.name}.E.V"}, progress_bar=False)
    runner.run(1.0)
    assert runner.mon["v"].shape == (10, 16)


def test_jit_options(backend, monkeypatch, tmp_path):
    monkeypatch.setenv("BRAINJIT_CACHE_DIR", str(tmp_path))
    model = Accumulator(2)
    runner = bp.Runner(
        model,
        monitors=["acc"],
        inputs=[("x", 1.0)],
        progress_bar=False,
        jit_options={"cache": True},  # Numba's on-disk cache; ignored by the jax backend
    )
    runner.run(0.5)
    np.testing.assert_allclose(runner.mon["acc"][:, 0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert any((tmp_path / "runner").glob("runloop_*.py"))  # the generated driver
    with pytest.raises(TypeError, match="jit_options"):
        bp.Runner(model, jit_options=["cache"])


def test_delay_counted_in_another_dt_is_refused_before_compiling():
    """A synaptic delay is a number of steps of the dt the synapse was built with; a
    Runner with another dt would change the delay, so it refuses."""
    pre, post = bp.dyn.LIF(3), bp.dyn.LIF(3)
    syn = bp.dyn.Exponential(pre, post, bp.conn.One2One(), delay=1.0, dt=0.1)
    net = bp.dyn.Network(pre=pre, post=post, syn=syn)
    with pytest.raises(ValueError, match=r"built for dt = 0.1 ms .* run with dt = 0.05 ms"):
        bp.Runner(net, monitors=["post.V"], dt=0.05)
    bp.Runner(net, monitors=["post.V"], dt=0.1, progress_bar=False)  # the same dt: fine
    no_delay = bp.dyn.Exponential(pre, post, bp.conn.One2One(), dt=0.1)
    bp.Runner(bp.dyn.Network(pre=pre, post=post, syn=no_delay), dt=0.05)  # no delay: fine


@pytest.mark.parametrize(
    "item",
    [
        ("I.input", float("nan")),
        ("I.input", float("inf")),
        ("I.input", np.array([1.0, np.nan, 1.0, 1.0])),
        ("I.input", np.r_[np.ones(50), -np.inf, np.ones(49)][:, None] * np.ones(4), "iter"),
    ],
)
def test_non_finite_inputs_refused(backend, no_compiling, item):
    with pytest.raises(ValueError, match=r"input to 'I.input' must be finite, got -?(nan|inf)"):
        bp.Runner(Net(), inputs=[item], progress_bar=False)
