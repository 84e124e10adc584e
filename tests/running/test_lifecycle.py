"""The life of a simulation across runs (issue 17), on both backends:

- the time belongs to the model: a second Runner continues where the first one ended,
  and warm-up + measurement gives the spikes of one continuous run;
- parameters changed between runs (numbers, in-place or rebound arrays, the Runner's
  dt) take effect in the next run, on both backends alike, and an unchanged run does
  not compile again;
- an interrupted run (KeyboardInterrupt, an exception inside ``update``) leaves the
  model's state and its time in agreement, and running on gives the spikes of a run
  that was never interrupted.

The references are independent of the code under test: one continuous run, or a fresh
model built with the new parameter value and given the same state.
"""

import warnings

import numpy as np
import pytest

import brainjit as bp
from brainjit.base import model_time, set_model_time
from brainjit.running import runner as runner_module

N = 8
DRIVE = np.linspace(12.0, 30.0, N)  # above threshold (10): regular firing at several rates
V0 = np.linspace(0.0, 9.0, N)


def make_lif(t_ref=2.0, V_th=10.0, tau=10.0, name=None):
    return bp.dyn.LIF(
        N, V_rest=0.0, V_reset=0.0, V_th=V_th, tau=tau, t_ref=t_ref, V_initial=V0, name=name
    )


def make_runner(model, monitors=("spike",), target="input", **kw):
    return bp.Runner(
        model, monitors=list(monitors), inputs=(target, DRIVE), progress_bar=False, **kw
    )


def spikes_of_continuous_run(duration, t_ref=2.0, **kw):
    model = make_lif(t_ref)
    runner = make_runner(model, **kw)
    runner.run(duration)
    return runner.mon["spike"], runner.mon.ts


def host_state(model) -> list[np.ndarray]:
    return [np.array(v.value) for v in model.vars().values()]


def copy_state(source, target) -> None:
    """Give ``target`` (built like ``source``) the Variables and the time of ``source``."""
    for src, dst in zip(source.vars().values(), target.vars().values(), strict=True):
        dst.value = bp.math.asarray(np.array(src.value))
    set_model_time(target, model_time(source))


def assert_state_equal(a, b) -> None:
    for (path, x), y in zip(a.vars().items(), b.vars().values(), strict=True):
        np.testing.assert_array_equal(np.asarray(x.value), np.asarray(y.value), err_msg=path)


# -- 1. the time belongs to the model ---------------------------------------------------------
@pytest.mark.parametrize("t_ref", [2.0, 0.0])
def test_warm_up_then_measure_equals_one_continuous_run(backend, t_ref):
    spikes, ts = spikes_of_continuous_run(100.0, t_ref)
    model = make_lif(t_ref)
    warm = make_runner(model, monitors=())
    warm.run(50.0)
    assert model.t == pytest.approx(50.0) and warm.t == model.t
    measure = make_runner(model)
    assert measure.t == model.t  # a new Runner starts from the model's time
    measure.run(50.0)
    np.testing.assert_allclose(measure.mon.ts, ts[500:])
    assert measure.mon.ts[0] == pytest.approx(50.0)
    np.testing.assert_array_equal(measure.mon["spike"], spikes[500:])
    assert measure.mon["spike"].sum() > 20  # they fire: the comparison means something
    assert model.t == pytest.approx(100.0)
    assert warm.t == model.t  # every Runner reads the model's time


def test_runs_alternating_between_runners_share_one_clock():
    spikes, ts = spikes_of_continuous_run(60.0)
    model = make_lif()
    first, second = make_runner(model), make_runner(model)
    parts = []
    for runner in (first, second, first):
        runner.run(20.0)
        parts.append(runner.mon)
    np.testing.assert_allclose(np.concatenate([m.ts for m in parts]), ts)
    np.testing.assert_array_equal(np.concatenate([m["spike"] for m in parts]), spikes)


def test_per_step_run_advances_the_models_time():
    spikes, ts = spikes_of_continuous_run(40.0)
    model = make_lif()
    runner = make_runner(model)
    runner.run(20.0, per_step=True)
    assert model.t == pytest.approx(20.0)
    again = make_runner(model)
    again.run(20.0)
    np.testing.assert_array_equal(again.mon["spike"], spikes[200:])
    np.testing.assert_allclose(again.mon.ts, ts[200:])


def test_per_step_run_keeps_the_models_time_at_every_step():
    model = make_lif()
    runner = make_runner(model)
    runner.run(1.0)
    loop, seen = runner._loop, []

    def spy(g0, k0, c0, n):
        if n:  # (not the compiling call)
            seen.append((g0, model.t, runner.t))
        return loop(g0, k0, c0, n)

    runner._loop = spy
    runner.run(2.0, per_step=True)
    assert [g for g, _, _ in seen] == list(range(10, 30))
    for g, t_model, t_runner in seen:  # before step g the model is at step g
        assert t_model == t_runner == pytest.approx(g * 0.1)


def test_groups_that_ran_apart_are_refused_with_their_times():
    E, F = make_lif(name="GroupRanAlone"), make_lif(name="GroupNeverRan")
    make_runner(E, monitors=()).run(10.0)
    net = bp.dyn.Network(E, F)
    runner = bp.Runner(net, progress_bar=False)
    with pytest.raises(ValueError) as err:
        runner.run(1.0)
    text = str(err.value)
    assert "GroupRanAlone" in text and "GroupNeverRan" in text
    assert "10" in text and "reset_state()" in text
    assert F.t == 0.0 and model_time(E) == pytest.approx(10.0)  # nothing ran


def test_new_network_around_groups_that_ran_together_continues_their_time():
    E, F = make_lif(), make_lif()
    bp.Runner(bp.dyn.Network(E, F), progress_bar=False).run(10.0)
    outer = bp.dyn.Network(E=E, F=F)  # a new container: built at time 0, holds no state
    runner = bp.Runner(outer, progress_bar=False, monitors=["E.spike"])
    assert runner.t == pytest.approx(10.0)
    runner.run(5.0)
    assert runner.mon.ts[0] == pytest.approx(10.0)
    assert E.t == F.t == outer.t == pytest.approx(15.0)


def test_times_equal_up_to_rounding_are_one_time():
    E, F = make_lif(), make_lif()
    make_runner(E, monitors=(), dt=0.1).run(0.3)  # 3 * 0.1 = 0.30000000000000004
    make_runner(F, monitors=(), dt=0.01).run(0.3)  # 30 * 0.01 = 0.3
    assert model_time(E) != model_time(F)
    runner = bp.Runner(bp.dyn.Network(E=E, F=F), monitors=["F.spike"], progress_bar=False)
    runner.run(1.0)
    assert runner.mon.ts[0] == pytest.approx(0.3)
    assert E.t == F.t == pytest.approx(1.3)


def test_reset_state_and_checkpoints_move_the_runners_clock(backend):
    model = make_lif()
    runner = make_runner(model)
    runner.run(30.0)
    first_spikes, first_ts = runner.mon["spike"].copy(), runner.mon.ts.copy()
    checkpoint = model.state_dict()
    runner.run(30.0)
    second_spikes, second_ts = runner.mon["spike"].copy(), runner.mon.ts.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", bp.running.RecompileWarning)
        model.reset_state()
        assert runner.t == 0.0
        runner.run(30.0)  # the first run again, from t = 0
        np.testing.assert_array_equal(runner.mon.ts, first_ts)
        np.testing.assert_array_equal(runner.mon["spike"], first_spikes)
        model.load_state_dict(checkpoint)
        assert runner.t == pytest.approx(30.0)
        runner.run(30.0)  # the second run again, from t = 30 ms
        np.testing.assert_array_equal(runner.mon.ts, second_ts)
        np.testing.assert_array_equal(runner.mon["spike"], second_spikes)


def test_time_that_is_not_a_whole_number_of_steps_is_refused():
    model = make_lif()
    make_runner(model, monitors=(), dt=0.1).run(1.0)
    runner = make_runner(model, monitors=(), dt=0.3)
    with pytest.raises(ValueError, match=r"whole number of steps.*dt=0\.3"):
        runner.run(1.0)


# -- 2. parameters changed between runs take effect -------------------------------------------
def _check_change_takes_effect(
    build, change, rebuilt, attribute: str, monitor="spike", make_runner=make_runner, warns=True
):
    """Run ``build()`` 30 ms, apply ``change(model)``, run 30 ms more; compare with
    ``rebuilt()`` (the model built with the new value) given the state after 30 ms.
    ``warns``: the second run compiles again, with one RecompileWarning naming
    ``attribute`` (else: no warning, nothing compiled)."""
    model = build()
    runner = make_runner(model, monitors=(monitor,))
    runner.run(30.0)
    build_time = runner.build_time
    change(model)
    if warns:
        with pytest.warns(bp.running.RecompileWarning, match=attribute) as record:
            runner.run(30.0)
        assert len(record) == 1
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", bp.running.RecompileWarning)
            runner.run(30.0)
        assert runner.build_time == build_time
    reference_model = build()
    make_runner(reference_model, monitors=()).run(30.0)  # the same state at 30 ms ...
    fresh = rebuilt()
    copy_state(reference_model, fresh)  # ... in a model built with the new value
    reference = make_runner(fresh, monitors=(monitor,))
    reference.run(30.0)
    np.testing.assert_array_equal(runner.mon[monitor], reference.mon[monitor])
    # and the change mattered: the old value gives other spikes
    unchanged = build()
    copy_state(reference_model, unchanged)
    old = make_runner(unchanged, monitors=(monitor,))
    old.run(30.0)
    assert not np.array_equal(old.mon[monitor], reference.mon[monitor])


def test_changed_threshold_number_takes_effect(backend):
    def change(model):
        model.V_th = 15.0

    _check_change_takes_effect(make_lif, change, lambda: make_lif(V_th=15.0), "V_th")


@pytest.mark.parametrize("how", ["in place", "rebound", "bp.math array in place"])
def test_changed_time_constant_array_takes_effect(backend, how):
    def tau(value):
        values = np.full(N, value)
        return bp.math.asarray(values) if how.startswith("bp.math") else values

    def change(model):
        if how == "rebound":
            model.tau = tau(1000.0)
        else:
            model.tau[:] = 1000.0

    # numpy backend: arrays are arguments of the compiled code, nothing to compile
    _check_change_takes_effect(
        lambda: make_lif(tau=tau(10.0)),
        change,
        lambda: make_lif(tau=tau(1000.0)),
        "tau",
        warns=backend == "jax",
    )


def make_pair(weight=12.0):
    """A driven group ``pre`` onto a quiet group ``post`` through one-to-one synapses."""
    pre = make_lif()
    post = bp.dyn.LIF(N, V_rest=0.0, V_reset=0.0, V_th=10.0, tau=10.0)
    syn = bp.dyn.Exponential(pre, post, bp.conn.One2One(), weight=weight, tau=5.0)
    return bp.dyn.Network(syn=syn, pre=pre, post=post)


def test_changed_synaptic_weight_takes_effect(backend):
    def change(net):
        net.syn.weight = 30.0

    def make(net, monitors=()):
        return bp.Runner(
            net, monitors=list(monitors), inputs=("pre.input", DRIVE), progress_bar=False
        )

    _check_change_takes_effect(
        make_pair, change, lambda: make_pair(30.0), "weight", "post.spike", make_runner=make
    )


def test_changed_dt_takes_effect(backend):
    model = make_lif()
    runner = make_runner(model)
    runner.run(20.0)
    runner.dt = 0.05
    with pytest.warns(bp.running.RecompileWarning, match="dt"):
        runner.run(20.0)
    reference_model = make_lif()
    make_runner(reference_model, monitors=()).run(20.0)
    reference = make_runner(reference_model, dt=0.05)
    reference.run(20.0)
    np.testing.assert_allclose(runner.mon.ts, reference.mon.ts)
    np.testing.assert_array_equal(runner.mon["spike"], reference.mon["spike"])
    assert model.t == pytest.approx(40.0)


def test_invalid_dt_is_refused_when_set():
    runner = make_runner(make_lif())
    with pytest.raises(ValueError, match="dt must be > 0"):
        runner.dt = -1.0


def test_unchanged_run_does_not_compile_again(backend):
    model = make_lif(tau=np.full(N, 10.0))
    runner = make_runner(model)
    runner.run(5.0)
    build_time = runner.build_time
    traces = getattr(runner._loop, "num_traces", None)
    model.tau[:] = 10.0  # the same values written again: not a change
    model.V_th = 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", bp.running.RecompileWarning)
        runner.run(5.0)
    assert runner.build_time == build_time
    assert getattr(runner._loop, "num_traces", None) == traces


# -- 5. interrupted runs leave a consistent simulation -----------------------------------------
class _InterruptingLoop:
    """Calls the compiled loop, and after its ``k``-th call raises ``error`` (the state has
    then moved on while the Runner has not yet counted the steps: the worst moment)."""

    def __init__(self, loop, k, error=KeyboardInterrupt):
        self.loop, self.k, self.error, self.calls = loop, k, error, 0

    def __call__(self, *args):
        self.loop(*args)
        if args[-1] > 0:  # a call that runs steps (not the compiling call)
            self.calls += 1
            if self.calls == self.k:
                raise self.error("simulated interrupt")

    def __getattr__(self, name):
        return getattr(self.loop, name)


def _assert_consistent(model, runner, t_ref=2.0):
    """The model's state is that of a fresh model run continuously up to its time."""
    assert runner.t == model.t
    steps = round(model.t / 0.1)
    assert model.t == pytest.approx(steps * 0.1)
    reference = make_lif(t_ref)
    if steps:
        make_runner(reference, monitors=()).run(steps * 0.1)
    assert_state_equal(model, reference)
    if bp.math.get_backend_name() == "jax":
        import jax

        for v in model.vars().values():
            assert not isinstance(v.value, jax.core.Tracer)


@pytest.mark.parametrize("per_step", [False, True], ids=["chunks", "per-step"])
def test_interrupt_leaves_state_and_time_in_agreement(backend, per_step):
    _interrupt_and_go_on(per_step)


def test_interrupt_with_donated_buffers():
    bp.math.use_backend("jax")
    _interrupt_and_go_on(False, jit_options={"donate": True})


def _interrupt_and_go_on(per_step, **options):
    spikes, ts = spikes_of_continuous_run(200.0)
    model = make_lif()
    runner = make_runner(model, **options)
    runner.run(1.0)  # compiled
    runner._loop = _InterruptingLoop(runner._loop, k=700 if per_step else 2)
    with pytest.raises(KeyboardInterrupt):
        runner.run(199.0, per_step=per_step)
    _assert_consistent(model, runner)
    assert 1.0 <= model.t < 200.0
    # the records kept are those of the steps the state holds
    mon = runner.mon
    assert len(mon.ts) == len(mon["spike"]) == round((model.t - 1.0) / 0.1)
    np.testing.assert_allclose(mon.ts, ts[10 : 10 + len(mon.ts)])
    np.testing.assert_array_equal(mon["spike"], spikes[10 : 10 + len(mon.ts)])
    times, ids = mon.spike_events("spike")  # every spike of the steps kept, none after
    steps, expected_ids = np.nonzero(spikes[10 : 10 + len(mon.ts)])
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(times, ts[10 + steps])
    runner._loop = runner._loop.loop
    rest = 200.0 - model.t
    runner.run(rest)
    np.testing.assert_array_equal(runner.mon["spike"], spikes[-len(runner.mon.ts) :])
    assert model.t == pytest.approx(200.0)


def test_interrupt_from_the_progress_bar(backend, monkeypatch):
    spikes, _ = spikes_of_continuous_run(200.0)
    model = make_lif()
    runner = make_runner(model)

    class Bar:
        calls = 0

        def update(self, steps):
            Bar.calls += 1
            if Bar.calls == 2:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(runner_module, "_progress_bar", lambda n, show, model: Bar())
    with pytest.raises(KeyboardInterrupt):
        runner.run(200.0)
    _assert_consistent(model, runner)
    monkeypatch.undo()
    runner.run(200.0 - model.t)
    np.testing.assert_array_equal(runner.mon["spike"], spikes[-len(runner.mon.ts) :])


class Failing(bp.dyn.DynamicalSystem):
    """A group that raises from compiled code in the step at ``fail_at`` ms."""

    def __init__(self, group, fail_at):
        super().__init__()
        self.group = group
        self.fail_at = fail_at

    def update(self, t, dt):
        self.group.update(t, dt)
        if t >= self.fail_at:
            raise ValueError("update failed")


def test_exception_inside_compiled_update_rolls_back_the_chunk():
    group = make_lif()
    model = Failing(group, fail_at=75.05)
    runner = make_runner(model, monitors=("group.spike",), target="group.input")
    with pytest.raises(ValueError, match="update failed"):
        runner.run(100.0)  # chunks of 500 steps: fails in the second, at step 751
    assert runner.t == model.t == group.t == pytest.approx(50.0)
    reference = make_lif()
    make_runner(reference, monitors=()).run(50.0)
    assert_state_equal(group, reference)
    assert len(runner.mon.ts) == 500
    model.fail_at = 1e9
    with pytest.warns(bp.running.RecompileWarning, match=r"fail_at \(75.05 -> 1000000000.0\)"):
        runner.run(50.0)
    spikes, _ = spikes_of_continuous_run(100.0)
    np.testing.assert_array_equal(runner.mon["group.spike"], spikes[500:])


@pytest.mark.parametrize("draws", [N, N + 1], ids=["even", "odd"])
def test_interrupt_restores_the_random_state(backend, draws):
    """Noise drawn in the interrupted chunk is drawn again: the same spikes as without
    the interrupt. (An odd number of normal deviates per step leaves the generator with
    a cached second deviate at the chunk's start, which must come back too.)"""

    class Noisy(bp.dyn.DynamicalSystem):
        def __init__(self, group):
            super().__init__()
            self.group = group

        def update(self, t, dt):
            self.group.input += bp.math.random.normal(0.0, 20.0, N)
            if draws > N:
                self.group.input[0] += bp.math.random.normal(0.0, 20.0)
            self.group.update(t, dt)

    def build():
        return Noisy(make_lif())

    bp.math.random.seed(3)
    reference = bp.Runner(build(), monitors=["group.spike"], progress_bar=False)
    reference.run(150.0)
    bp.math.random.seed(3)
    model = build()
    runner = bp.Runner(model, monitors=["group.spike"], progress_bar=False)
    runner.run(50.1)  # 501 steps: with an odd number of draws per step, an odd total
    runner._loop = _InterruptingLoop(runner._loop, k=1)
    with pytest.raises(KeyboardInterrupt):
        runner.run(50.0)
    assert model.t == pytest.approx(50.1)
    runner._loop = runner._loop.loop
    runner.run(99.9)
    np.testing.assert_array_equal(runner.mon["group.spike"], reference.mon["group.spike"][501:])


def test_snapshot_restores_the_cached_normal_deviate():
    """Numba's generator caches the second deviate of each pair of normals: a snapshot
    taken after an odd number of them gives the same draws after a restore."""
    import numba

    from brainjit.running._lifecycle import Snapshot

    @numba.njit
    def normals(n):
        out = np.empty(n)
        for i in range(n):
            out[i] = np.random.normal(0.0, 1.0)
        return out

    @numba.njit
    def seed(s):
        np.random.seed(s)

    seed(0)
    normals(3)  # odd: a deviate is cached now
    snapshot = Snapshot([], "numpy")
    first = normals(4)
    snapshot.restore()
    np.testing.assert_array_equal(normals(4), first)
