"""Gradient training of models (jax backend): optax optimisers on a model's TrainVars,
a differentiable run of a model over time, batches of trials. See ``docs/training.md``.

Layer: above ``running`` (it reuses the Runner's monitor and input specifications);
JAX and optax are imported when a training tool is first used.
"""

from __future__ import annotations

__all__ = ["Optax", "run", "run_trials"]

_WHERE = {"Optax": "optim", "run": "loop", "run_trials": "loop"}


def __getattr__(name):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"brainjit.training.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'brainjit.training' has no attribute {name!r}")
