"""benchmarks/training_brainjit.py (the brainjit rows of benchmarks/training.py) at a tiny
size, in this process: its gradients equal the hand-written NumPy backpropagation
through time of ``benchmarks/peers/_train_common.py``, and a timed run trains."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _train_common as c  # noqa: E402
import training_brainjit  # noqa: E402

TINY = dict(inputs=20, hidden=50, outputs=4, steps=12, batch=4)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = c.make_data(tmp_path_factory.mktemp("training-data"), seed=3, **TINY)
    return folder, c.reference(c.load_data(folder, "float32"))


@pytest.mark.parametrize("variant", ["bm", "pure"])
def test_gradients_equal_numpy_bptt(data, variant, tmp_path):
    folder, ref = data
    assert 0 < ref["spikes"] < TINY["steps"] * TINY["batch"] * TINY["hidden"]  # it spikes
    out = tmp_path / "grads.npz"
    argv = ["--data", str(folder), "--threads", "0", "--variant", variant, "--grads", str(out)]
    training_brainjit.main(argv)
    got = np.load(out)
    assert got["spikes"] == ref["spikes"]
    np.testing.assert_allclose(got["loss"], ref["loss"], rtol=1e-6)
    for key in ("g_in", "g_out"):
        scale = np.abs(ref[key]).max()
        assert scale > 0
        np.testing.assert_allclose(got[key], ref[key], atol=1e-5 * scale, rtol=0)


def test_timed_run_trains(data):
    folder, ref = data
    argv = ["--data", str(folder), "--threads", "0", "--iters", "2", "--warmup", "1"]
    result = training_brainjit.main(argv)
    assert result["framework"] == "brainjit"
    assert len(result["step_s"]) == 2 and all(t > 0 for t in result["step_s"])
    assert len(result["losses"]) == 3
    np.testing.assert_allclose(result["losses"][0], ref["loss"], rtol=1e-6)
    assert result["losses"][-1] < result["losses"][0]  # Adam lowers the loss


@pytest.mark.parametrize("name", ["brainpy-jax", "snntorch-cpu"])
def test_peer_gradients_equal_numpy_bptt(data, name):
    """A peer's script (in its own virtual environment, through the driver's ``run``):
    float64 gradients equal the NumPy reference; skipped when the peer is absent."""
    import argparse

    import training

    fw = next(f for f in training.frameworks() if f.name == name)
    python = ROOT / fw.venv / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{name}: {training.SETUP_NOTE}")
    fw.python = str(python)
    folder, _ = data
    args = argparse.Namespace(threads=1, timeout=300.0)
    report = training.check_gradients([fw], str(folder), args)[name]
    if "not installed" in report.get("error", ""):
        pytest.skip(f"{name}: {report['error']}")
    assert "error" not in report, report
    assert report["spikes_equal"]
    # snnTorch's spikes are float32 even in float64: its backward pass rounds to float32
    tol = 1e-6 if name == "snntorch-cpu" else 1e-12
    assert report["loss"] < 1e-12
    assert report["g_in"] < tol and report["g_out"] < tol
