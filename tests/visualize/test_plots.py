"""bp.visualize: plots render to PNG with Agg, firing rates against direct counts, and
matplotlib is imported only when a plot is drawn."""

import subprocess
import sys

import numpy as np
import pytest

import brainjit as bp

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_raster_plot_to_png(plt, tmp_path):
    ts = np.arange(100) * 0.1
    spikes = np.zeros((100, 5), dtype=bool)
    spikes[10, 2] = spikes[50, 4] = spikes[99, 0] = True
    ax = bp.visualize.raster_plot(ts, spikes, title="raster")
    line = ax.lines[0]
    np.testing.assert_allclose(sorted(line.get_xdata()), [1.0, 5.0, 9.9])
    assert sorted(line.get_ydata()) == [0, 2, 4]
    assert ax.get_xlabel() == "Time (ms)" and ax.get_title() == "raster"
    path = tmp_path / "raster.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == PNG


def test_raster_plot_into_given_axes(plt):
    fig, (a, b) = plt.subplots(2)
    out = bp.visualize.raster_plot([0.0, 0.1], np.array([[1, 0], [0, 1]]), ax=b, show=False)
    assert out is b and not a.lines


def test_line_plot_to_png(plt, tmp_path):
    ts = np.arange(50) * 0.1
    values = np.stack([np.sin(ts), np.cos(ts), ts], axis=1)
    ax = bp.visualize.line_plot(ts, values, indices=[0, 2], legend="V", ylabel="mV")
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), ts)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["V-0", "V-2"]
    ax.figure.savefig(tmp_path / "lines.png")
    assert (tmp_path / "lines.png").read_bytes()[:8] == PNG
    one = bp.visualize.line_plot(ts, np.sin(ts), legend="x")
    assert len(one.lines) == 1 and one.get_legend().get_texts()[0].get_text() == "x"


def test_plot_argument_errors(plt):
    with pytest.raises(ValueError, match="ts"):
        bp.visualize.raster_plot(np.arange(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="time, neurons"):
        bp.visualize.raster_plot(np.arange(3), np.zeros((3, 2, 2)))
    with pytest.raises(IndexError, match="out of range"):
        bp.visualize.line_plot(np.arange(3), np.zeros((3, 2)), indices=[5])


def test_firing_rate_against_direct_count():
    rng = np.random.default_rng(0)
    dt, width = 0.1, 2.0
    spikes = rng.random((300, 20)) < 0.02
    rate = bp.visualize.firing_rate(spikes, width, dt)
    half = 10  # int(2.0 / 2 / 0.1): 21 steps in the window
    for t in (0, 5, 150, 299):
        lo, hi = max(t - half, 0), min(t + half + 1, 300)
        expected = spikes[lo:hi].sum() / 20 / (21 * dt * 1e-3)  # Hz
        assert rate[t] == pytest.approx(expected)
    assert rate.shape == (300,)


def test_firing_rate_of_regular_trains():
    spikes = np.zeros((1000, 4), dtype=bool)
    spikes[::10, :2] = True  # two neurons at 1 kHz (dt = 0.1 ms), two silent
    rate = bp.visualize.firing_rate(spikes, width_ms=5.0, dt=0.1)  # 51 steps
    middle = rate[100:900]
    assert middle.min() >= 500 * 50 / 51 - 1e-9 and middle.max() <= 500 * 60 / 51 + 1e-9
    assert middle.mean() == pytest.approx(500.0, rel=0.02)
    assert bp.visualize.firing_rate(spikes[:, 0], 5.0, 0.1)[500] == pytest.approx(1000 * 5 / 5.1)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_firing_rate_errors(bad):
    with pytest.raises(ValueError, match="width_ms"):
        bp.visualize.firing_rate(np.zeros((5, 2)), bad, 0.1)
    with pytest.raises(ValueError, match="dt"):
        bp.visualize.firing_rate(np.zeros((5, 2)), 1.0, bad)


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install brainjit\[plot\]"):
        bp.visualize.raster_plot([0.0], np.ones((1, 1)))
    with pytest.raises(ImportError, match=r"pip install brainjit\[plot\]"):
        bp.visualize.line_plot([0.0], np.ones(1))
    bp.visualize.firing_rate(np.ones((3, 1)), 0.1, 0.1)  # needs no matplotlib


def test_import_brainjit_does_not_import_matplotlib():
    code = "import sys, brainjit; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
