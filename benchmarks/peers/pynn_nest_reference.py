"""NEST's responses of PyNN's standard cells, stored for ``tests/pynn/test_cells.py``.

Each cell type of ``CELLS`` runs, with PyNN's default parameters, two scenarios
through one PyNN script (:func:`build`, the same for every simulator):

- ``step``: a ``DCSource`` of ``CELLS[name]['amplitude']`` nA from 20 to 120 ms;
- ``spikes``: a ``SpikeSourceArray`` into the excitatory receptor (weight ``w_exc``) and
  another into the inhibitory one (``w_inh``: negative for current-based cells, as PyNN
  users write it), ``StaticSynapse`` with a delay of 1 ms.

Two cells per population: the defaults, and (where the type has one) ``tau_refrac =
2 ms``, to check refractoriness. 150 ms at ``dt = 0.1`` ms, on-grid spikes; recorded:
``v``, the spikes, and the type's other recordables (``gsyn_exc``, ``gsyn_inh``, ``w``,
``u``).

Run with the NEST environment (NEST is not a dependency of brainjit's tests)::

    /tmp/nestvenv/bin/python benchmarks/peers/pynn_nest_reference.py

It writes ``tests/pynn/data/nest_cells.npz``: for each ``<cell>__<scenario>``, the
arrays ``...__v`` (steps + 1 by cells), ``...__spikes<i>`` (ms) per cell, and one per
other recordable. Every scenario runs in one simulation (:func:`run_all`: the cells
are independent). This module imports only NumPy at the top: the test imports
:func:`run_all` from it and runs the same script through ``brainjit.pynn``.
"""

from __future__ import annotations

import pathlib

import numpy as np

DT = 0.1
T_STOP = 150.0
EXC_TIMES = [10.0, 12.0, 14.0, 16.0, 18.0, 50.0, 50.5, 51.0, 51.5, 52.0, 52.5, 53.0, 53.5]
INH_TIMES = [80.0, 82.0, 84.0, 100.0]

#: per cell type: the DC step's amplitude (nA) and the synaptic weights (the type's
#: units: nA for current-based, µS for conductance-based, mV for delta synapses), chosen
#: so that each scenario makes the cell fire a few spikes and shows its sub-threshold
#: response
CELLS = {
    "IF_curr_exp": dict(amplitude=1.5, w_exc=1.2, w_inh=-2.0),
    "IF_curr_alpha": dict(amplitude=1.5, w_exc=2.0, w_inh=-3.0),
    "IF_curr_delta": dict(amplitude=1.5, w_exc=3.5, w_inh=-4.0),
    "IF_cond_exp": dict(amplitude=1.5, w_exc=0.02, w_inh=0.05),
    "IF_cond_alpha": dict(amplitude=1.5, w_exc=0.06, w_inh=0.1),
    "EIF_cond_exp_isfa_ista": dict(amplitude=0.8, w_exc=0.01, w_inh=0.02),
    "EIF_cond_alpha_isfa_ista": dict(amplitude=0.8, w_exc=0.006, w_inh=0.02),
    "HH_cond_exp": dict(amplitude=0.2, w_exc=0.01, w_inh=0.05),
    "Izhikevich": dict(amplitude=0.01, w_exc=5.0, w_inh=-5.0),
}
SCENARIOS = ("step", "spikes")
RECEPTORS = ("excitatory", "inhibitory")


def build(sim, name: str, sources):
    """Make the cells of type ``name`` in the current simulation of the PyNN module
    ``sim``: four cells, 0 and 1 for ``step`` (a ``DCSource``), 2 and 3 for ``spikes``
    (projections from ``sources``, the excitatory and inhibitory spike sources); cells 1
    and 3 with ``tau_refrac = 2`` ms where the type has it. Return the population,
    recording."""
    celltype_cls = getattr(sim, name)
    stim = CELLS[name]
    params = {}
    if "tau_refrac" in celltype_cls.default_parameters:
        params["tau_refrac"] = [celltype_cls.default_parameters["tau_refrac"], 2.0] * 2
    cells = sim.Population(4, celltype_cls(**params), label=name)
    source = sim.DCSource(amplitude=stim["amplitude"], start=20.0, stop=120.0)
    source.inject_into(cells[0:2])
    for src, w, receptor in zip(sources, (stim["w_exc"], stim["w_inh"]), RECEPTORS):
        synapse = sim.StaticSynapse(weight=w, delay=1.0)
        sim.Projection(src, cells[2:4], sim.AllToAllConnector(), synapse, receptor_type=receptor)
    cells.record(["spikes"] + [r for r in celltype_cls.recordable if r != "spikes"])
    return cells


def collect(cells) -> dict:
    """``{'<scenario>__v': steps + 1 by 2 cells, '<scenario>__spikes0': ..., '...spikes1',
    the other recordables likewise}`` of a population made by :func:`build`."""
    segment = cells.get_data().segments[0]
    out = {}
    for signal in segment.analogsignals:
        order = np.argsort(np.asarray(signal.array_annotations["channel_index"]))
        values = np.asarray(signal.magnitude, dtype=float)[:, order]
        for k, scenario in enumerate(SCENARIOS):
            out[f"{scenario}__{signal.name}"] = values[:, 2 * k : 2 * k + 2]
    trains = sorted(segment.spiketrains, key=lambda s: s.annotations["source_index"])
    for i, train in enumerate(trains):
        out[f"{SCENARIOS[i // 2]}__spikes{i % 2}"] = np.asarray(train.magnitude, dtype=float)
    return out


def run_all(sim, names=tuple(CELLS), **setup_kwargs) -> dict:
    """Every cell type of ``names`` in one simulation of the PyNN module ``sim`` (the
    cells are independent of each other): ``{name: results}`` (see :func:`collect`)."""
    sim.setup(timestep=DT, min_delay=DT, **setup_kwargs)
    sources = [
        sim.Population(1, sim.SpikeSourceArray(spike_times=t)) for t in (EXC_TIMES, INH_TIMES)
    ]
    populations = {name: build(sim, name, sources) for name in names}
    sim.run(T_STOP)
    results = {name: collect(pop) for name, pop in populations.items()}
    sim.end()
    return results


def main() -> None:
    import pyNN.nest as sim

    # pyNN.nest 0.13 gives IF_curr_delta no variable map, so recording its v fails
    # ("unknown recordable v"); NEST's iaf_psc_delta calls it V_m
    sim.IF_curr_delta.variable_map = {"v": "V_m"}
    sim.IF_curr_delta.scale_factors = {"v": 1}
    data = {}
    results = run_all(sim, spike_precision="on_grid")
    for name, result in results.items():
        for scenario in SCENARIOS:
            counts = [result[f"{scenario}__spikes{i}"].size for i in range(2)]
            print(f"{name:26s} {scenario:7s} spikes per cell {counts}")
        for key, value in result.items():
            data[f"{name}__{key}"] = value
    path = (
        pathlib.Path(__file__).resolve().parents[2] / "tests" / "pynn" / "data" / "nest_cells.npz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **data)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
