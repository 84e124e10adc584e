"""``setup``, ``run``, ``reset``, ``end`` and the state queries of ``brainjit.pynn``."""

from __future__ import annotations

import warnings

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from brainjit import math as bm
from brainjit.pynn import simulator

__all__ = [
    "setup", "end", "run", "run_until", "run_for", "reset", "initialize",
    "get_current_time", "get_time_step", "get_min_delay", "get_max_delay",
    "num_processes", "rank",
]  # fmt: skip


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new simulation (any existing network is discarded).

    Args:
        timestep: the time step (ms).
        min_delay: the shortest delay (ms); ``'auto'``: one time step.
        backend: brainjit's backend, ``'numpy'`` (Numba-compiled NumPy) or ``'jax'``;
            default: brainjit's active backend (``$BRAINJIT_BACKEND``, else numpy), so
            that ``BRAINJIT_BACKEND=jax python script.py`` runs a PyNN script on jax.
        rng_seed / seed: a seed for brainjit's random generator (Poisson sources,
            noise), so that runs repeat.
        max_delay: the longest delay (ms), for PyNN's checks.
        spike_precision: ``'on_grid'`` (spike times are multiples of the time step);
            ``'off_grid'`` (NEST's precise times) warns and runs on the grid.

    Returns the MPI rank (always 0).
    """
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    if extra_params.get("spike_precision", "on_grid") != "on_grid":
        # as pyNN.brian2 and pyNN.neuron, which also ignore this NEST option; but say so
        warnings.warn(
            "brainjit.pynn stamps spikes on the time grid (NEST's spike_precision="
            f"'on_grid'), not {extra_params['spike_precision']!r}: spike times are "
            "multiples of the timestep; take a smaller timestep for more precision",
            stacklevel=2,
        )
    common.setup(timestep, min_delay, **extra_params)
    backend = extra_params.get("backend") or bm.get_backend_name()
    if backend not in ("numpy", "jax"):
        raise ValueError(f"brainjit.pynn.setup: backend must be 'numpy' or 'jax', got {backend!r}")
    simulator.state.clear()
    simulator.state.backend = backend
    simulator.state.dt = float(timestep)
    simulator.state.min_delay = min_delay  # 'auto': the shortest delay of the network
    simulator.state.max_delay = max_delay
    simulator.state.mpi_rank = 0  # one process, whatever a previous simulation pretended
    simulator.state.num_processes = 1
    seed = extra_params.get("rng_seed", extra_params.get("seed"))
    if seed is not None:
        with bm.backend(backend):
            bm.random.seed(int(seed))
    return rank()


def end(compatible_output=True):
    """Write what ``record(..., to_file=...)`` asked for and drop the compiled loop. The
    recorded data stay readable (``get_data`` after ``end``, as in PyNN's other
    backends); the next ``setup()`` discards the network."""
    for population, variables, filename in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []
    simulator.state.network_changed()


run, run_until = common.build_run(simulator)
run_for = run

reset = common.build_reset(simulator)

initialize = common.initialize

get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = (
    common.build_state_queries(simulator)
)
