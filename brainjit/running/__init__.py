"""``bp.Runner``: run a model over time, the whole loop compiled once, with monitors,
inputs and a progress bar. See ``docs/simulation.md``."""

from brainjit.running.runner import Monitors, RecompileWarning, Runner

__all__ = ["Monitors", "RecompileWarning", "Runner"]
