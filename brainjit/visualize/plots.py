"""Raster and line plots of recorded activity, and population firing rates.

matplotlib is imported inside the plotting functions (``import brainjit`` does not need
it); install it with ``pip install brainjit[plot]``. Arrays have the time axis first,
as ``runner.mon`` returns them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["firing_rate", "line_plot", "raster_plot"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "brainjit.visualize needs matplotlib, which is not installed: "
            "pip install brainjit[plot]  (or pip install matplotlib)"
        ) from e
    return plt


def _times(ts, n: int, who: str) -> np.ndarray:
    ts = np.asarray(ts, dtype=float)
    if ts.ndim != 1 or len(ts) != n:
        raise ValueError(
            f"{who}: ts must be a 1-D array with one time per row of the values "
            f"({n} rows), got shape {ts.shape}"
        )
    return ts


def _finish(ax, plt, xlabel, ylabel, title, xlim, ylim, show):
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if show:
        plt.show()
    return ax


def raster_plot(
    ts,
    spikes,
    ax=None,
    *,
    marker: str = ".",
    markersize: float = 2.0,
    color="k",
    xlabel: str = "Time (ms)",
    ylabel: str = "Neuron index",
    title: str | None = None,
    xlim=None,
    ylim=None,
    show: bool = False,
):
    """A dot for every spike: neuron index against time.

    Args:
        ts: the times of the rows of ``spikes`` (``runner.mon.ts``).
        spikes: a (time, neurons) array; nonzero entries are spikes.
        ax: the matplotlib axes to draw into (default: a new figure).
        show: call ``plt.show()`` at the end.

    Returns:
        The axes.
    """
    spikes = np.asarray(spikes)
    if spikes.ndim == 1:
        spikes = spikes[:, None]
    if spikes.ndim != 2:
        raise ValueError(
            f"raster_plot: spikes must be a (time, neurons) array, got shape {spikes.shape}"
        )
    ts = _times(ts, spikes.shape[0], "raster_plot")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    rows, neurons = np.nonzero(spikes)
    ax.plot(ts[rows], neurons, marker, markersize=markersize, color=color, linestyle="none")
    if xlim is None and len(ts):
        xlim = (ts[0], ts[-1])
    return _finish(ax, plt, xlabel, ylabel, title, xlim, ylim, show)


def line_plot(
    ts,
    values,
    ax=None,
    *,
    indices=None,
    legend: str | None = None,
    xlabel: str = "Time (ms)",
    ylabel: str | None = None,
    title: str | None = None,
    xlim=None,
    ylim=None,
    alpha: float = 1.0,
    color=None,
    show: bool = False,
):
    """Values over time: one line per column of ``values`` (or per index given).

    Args:
        ts: the times of the rows of ``values``.
        values: a (time,) or (time, n) array.
        indices: which columns to draw (default: all of them, at most 20 are labelled).
        legend: a label; with several lines, ``'{legend}-{index}'`` for each.
        color: one matplotlib color for every line (default: the color cycle).
        show: call ``plt.show()`` at the end.

    Returns:
        The axes.
    """
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    elif values.ndim > 2:
        values = values.reshape(values.shape[0], -1)
    ts = _times(ts, values.shape[0], "line_plot")
    if indices is None:
        indices = range(values.shape[1])
    indices = [int(i) for i in np.atleast_1d(indices)]
    for i in indices:
        if not -values.shape[1] <= i < values.shape[1]:
            raise IndexError(f"line_plot: index {i} is out of range for {values.shape[1]} columns")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    for i in indices:
        if legend is None:
            label = None
        else:
            label = legend if len(indices) == 1 else f"{legend}-{i}"
        ax.plot(ts, values[:, i], label=label, alpha=alpha, color=color)
    if legend is not None and len(indices) <= 20:
        ax.legend()
    return _finish(ax, plt, xlabel, ylabel, title, xlim, ylim, show)


def firing_rate(spikes, width_ms: float, dt: float) -> np.ndarray:
    """The population firing rate (Hz) over time, smoothed by a moving window.

    Args:
        spikes: a (time, neurons) array of spikes (or (time,) for one neuron).
        width_ms: the width of the centred rectangular window, in ms.
        dt: the time between rows of ``spikes``, in ms.

    Returns:
        A (time,) array: the mean number of spikes per neuron per second, averaged over
        the window around each time step (the window is cut at the ends, so rates near
        the edges are underestimated, as with ``numpy.convolve(mode='same')``).
    """
    spikes = np.asarray(spikes)
    if spikes.ndim == 1:
        spikes = spikes[:, None]
    if spikes.ndim != 2:
        raise ValueError(
            f"firing_rate: spikes must be a (time, neurons) array, got shape {spikes.shape}"
        )
    for name, value in (("width_ms", width_ms), ("dt", dt)):
        if not np.isscalar(value) or not np.isfinite(value) or value <= 0:
            raise ValueError(f"firing_rate: {name} must be a number > 0, got {value!r}")
    steps = int(width_ms / 2 / dt) * 2 + 1  # an odd number of steps, centred
    window = np.ones(steps) / (steps * dt) * 1000.0  # spikes per step -> Hz
    return np.convolve(spikes.mean(axis=1, dtype=float), window, mode="same")
