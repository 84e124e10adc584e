"""``bp.visualize``: raster and line plots, firing rates (matplotlib, imported lazily)."""

from brainjit.visualize.plots import firing_rate, line_plot, raster_plot

__all__ = ["firing_rate", "line_plot", "raster_plot"]
