"""``bp.Runner(..., devices=...)``: a network partitioned over JAX devices.

Several devices need a process of their own (``XLA_FLAGS`` is read when JAX starts, and
this process already runs JAX on one CPU device): ``sharding_worker.py`` runs COBA on
4 simulated CPU devices, and as two ``jax.distributed`` processes on localhost.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import fast_compile
import jax
import numpy as np
import pytest
import sharding_worker

import brainjit as bp

WORKER = Path(__file__).with_name("sharding_worker.py")
ROOT = WORKER.parents[2]


def _worker(*args, timeout=240):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)  # the worker sets its own; and the suite's level, if any:
    if fast_compile.active():
        env["XLA_FLAGS"] = fast_compile.LEVELS["XLA_FLAGS"]
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _finish(proc, timeout=240) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"the sharding worker timed out:\n{out[-4000:]}")
    assert proc.returncode == 0, f"the sharding worker failed:\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    """The worker's results on 4 simulated CPU devices (spikes per device count)."""
    out = tmp_path_factory.mktemp("sharding") / "single.npz"
    _finish(_worker("single", out, "--devices", 4))
    return dict(np.load(out)), json.loads(out.with_suffix(".json").read_text())


def _coba(results, prefix):
    return {k[len(prefix) :]: v for k, v in results.items() if k.startswith(prefix)}


@pytest.mark.parametrize("count", [1, 2, 4])
def test_coba_on_devices_gives_the_spikes_of_one(four_devices, count):
    results, _ = four_devices
    reference = _coba(results, "none_")
    spikes = reference["E.spike"].sum() + reference["I.spike"].sum()
    assert spikes > 100  # the network is active (about 150 spikes): the sums matter
    partitioned = _coba(results, f"{count}_")
    for key in ("E.spike", "I.spike"):
        np.testing.assert_array_equal(partitioned[key], reference[key], err_msg=key)
    if sharding_worker.NO_FMA:  # the membrane potentials too, to the last bit
        np.testing.assert_array_equal(partitioned["E.V"], reference["E.V"])


@pytest.mark.parametrize("count", [1, 2, 4])
def test_event_matvec_partitioned_is_bit_identical(four_devices, count):
    results, _ = four_devices
    cases = [k[: -len("_none")] for k in results if k.startswith("ev_") and k.endswith("_none")]
    assert len(cases) == 6
    for case in cases:
        reference = results[f"{case}_none"]
        assert reference.any(), case
        np.testing.assert_array_equal(results[f"{case}_{count}"], reference, err_msg=case)


def test_groups_the_devices_do_not_divide_are_refused(four_devices):
    _, errors = four_devices
    message = errors["indivisible"]
    assert "4 devices" in message and "10 neurons" in message, message


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_give_the_spikes_of_one(four_devices, tmp_path):
    results, _ = four_devices
    out = tmp_path / "distributed.npz"
    port = _free_port()
    procs = [
        _worker(
            "distributed",
            out,
            "--devices",
            2,
            "--process-id",
            i,
            "--num-processes",
            2,
            "--port",
            port,
        )  # fmt: skip
        for i in range(2)
    ]
    for proc in procs:
        _finish(proc)
    spikes = dict(np.load(out))
    reference = _coba(results, "none_")
    for key in ("E.spike", "I.spike"):
        np.testing.assert_array_equal(spikes[key], reference[key], err_msg=key)
    if sharding_worker.NO_FMA:
        np.testing.assert_array_equal(spikes["E.V"], reference["E.V"])


# -- in this process (one CPU device) -------------------------------------------------------
def test_numpy_backend_asked_to_shard_points_to_jax():
    bp.math.use_backend("numpy")
    group = bp.dyn.LIF(8)
    with pytest.raises(ValueError, match=r"jax backend.*use_backend\('jax'\)"):
        bp.Runner(group, monitors=["spike"], devices=jax.devices(), progress_bar=False)


def test_bad_devices_arguments():
    bp.math.use_backend("jax")
    group = bp.dyn.LIF(8)
    mesh = jax.sharding.Mesh(np.array(jax.devices()), ("neurons",))
    with pytest.raises(TypeError, match="not both"):
        bp.Runner(group, devices=jax.devices(), mesh=mesh)
    with pytest.raises(TypeError, match="list of jax devices"):
        bp.Runner(group, devices=["cpu:0"])
    with pytest.raises(TypeError, match="list of jax devices"):
        bp.Runner(group, devices=[])
    with pytest.raises(ValueError, match="twice"):
        bp.Runner(group, devices=jax.devices() * 2)
    with pytest.raises(TypeError, match="jax.sharding.Mesh"):
        bp.Runner(group, mesh=jax.devices())


def test_one_device_mesh_runs_as_unpartitioned():
    bp.math.use_backend("jax")

    def run(**kwargs):
        group = bp.dyn.LIF(8, V_initial=np.linspace(-70.0, -50.5, 8))
        runner = bp.Runner(
            group, monitors=["spike", "V"], inputs=("input", 40.0), progress_bar=False, **kwargs
        )
        runner.run(20.0)
        return runner.mon

    plain = run()
    mesh = jax.sharding.Mesh(np.array(jax.devices()), ("neurons",))
    on_mesh = run(mesh=mesh)
    assert plain["spike"].any()
    np.testing.assert_array_equal(on_mesh["spike"], plain["spike"])
    np.testing.assert_array_equal(on_mesh["V"], plain["V"])
