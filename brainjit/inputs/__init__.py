"""``bp.inputs``: input currents as arrays over time steps.

>>> I, duration = bp.inputs.constant_input([(0.0, 100.0), (20.0, 300.0)], dt=0.1)
>>> I = bp.inputs.section_input(values=[0.0, 20.0], durations=[100.0, 300.0], dt=0.1)

The arrays are NumPy arrays with time along the first axis (one entry per step of
``dt`` ms), ready to be added to a group's ``input`` step by step (the Runner's
``inputs``). Spike sources are neuron groups: ``bp.dyn.PoissonGroup``,
``bp.dyn.SpikeTimeGroup``.
"""

from brainjit.inputs.currents import constant_input, ramp_input, section_input

__all__ = ["constant_input", "ramp_input", "section_input"]
