"""NEST's results for the synapse network of ``tests/pynn/test_synapse_types.py``, stored.

One PyNN script (:func:`build`, the same for every simulator) with three kinds of
synapses onto one ``IF_cond_exp`` population:

- cells 0 and 1 fire once, at ~50 ms (a strong ``StaticSynapse`` from a driver spike at
  49 ms; ``tau_refrac`` 50 ms); spike sources project onto them with ``STDPMechanism`` +
  ``SpikePairRule``: ``AdditiveWeightDependence`` onto cell 0 (delays 1 and 2.5 ms: two
  synapse groups) and ``MultiplicativeWeightDependence`` onto cell 1 (delay 1.5 ms; its
  own cell: NEST keeps ``tau_minus`` in the postsynaptic neuron), each source firing at
  its own lag from the postsynaptic spike, and again at 110 ms (so that NEST, which
  applies potentiation at the next presynaptic spike, has applied every pairing by the
  end);
- cells 2-5 (``tau_syn_E`` 2, 30, 100, 2 ms) receive a regular train (10 to 80 ms)
  through a ``TsodyksMarkramSynapse`` (NEST takes ``tau_psc`` from ``tau_syn_E``),
  weights and ``U`` per connection (``U`` 0.2, 0.3, 0.2, 0.2), recording ``gsyn_exc``;
- cells 6 and 7 receive the same train through ``SimpleStochasticSynapse``: 50
  connections with ``p = 0.5`` onto cell 6, 5 with ``p = 1`` and 5 with ``p = 0`` onto
  cell 7.

120 ms at ``dt = 0.1`` ms, ``min_delay = dt``, on-grid spikes. Run with the NEST
environment (NEST is not a dependency of brainjit's tests)::

    /tmp/nestvenv/bin/python benchmarks/peers/pynn_nest_synapses.py

It writes ``tests/pynn/data/nest_synapses.npz``: ``t_post`` (the spike times of cells 0
and 1, ms, 2 by spikes), ``add`` / ``mul`` (the final weights, creation order),
``tm_times`` (ms) and ``tm_gsyn`` (µS, steps + 1 by the 4 TM cells; NEST records 0 for
the one with ``tau_psc == tau_rec``, where its propagator divides by zero),
``stoch_gsyn`` (cells 6 and 7). This
module imports only NumPy at the top: the test imports :func:`build` and
:func:`collect` from it and runs the same script through ``brainjit.pynn``.
"""

from __future__ import annotations

import pathlib

import numpy as np

DT = 0.1
T_STOP = 120.0
T_DRIVE = 49.0  # the driver's spike; cell 0 fires ~1 ms later
T_LATE = 110.0  # a last presynaptic spike of every STDP source
W_MAX = 0.01

#: additive STDP: per source its spike times (and T_LATE), delay (ms) and initial weight
ADD_TRAINS = [
    [30.0], [43.5], [48.2], [51.0], [52.5], [57.7], [66.0], [38.0, 44.0], [45.0], [51.2],
]  # fmt: skip
ADD_DELAYS = [1.0, 2.5, 1.0, 2.5, 1.0, 2.5, 1.0, 2.5, 1.0, 1.0]
#: the ninth hits w_max; the last arrives with the postsynaptic spike (50.2 ms + 1 ms)
ADD_W0 = [0.005] * 8 + [0.00998, 0.005]
ADD = dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012)
#: multiplicative STDP: one spike per source (and T_LATE), delay 1.5 ms
MUL_TRAINS = [[40.0], [49.5], [53.0], [62.0]]
MUL_W0 = [0.002, 0.004, 0.006, 0.008]
MUL = dict(tau_plus=15.0, tau_minus=25.0, A_plus=0.05, A_minus=0.06)
MUL_DELAY = 1.5
#: Tsodyks-Markram: a regular train onto cells with different tau_syn_E (tau_psc)
TM_TIMES = np.arange(10.0, 90.0, 10.0)
TM_DELAY = 1.5
TM_WEIGHTS = [0.01, 0.012, 0.008, 0.011]  # per connection (µS)
TM_PARAMS = dict(tau_rec=100.0, tau_facil=40.0)
TM_TAU_SYN = [2.0, 30.0, 100.0, 2.0]  # 100: tau_psc == tau_rec
TM_U = [0.2, 0.3, 0.2, 0.2]  # per connection; the first and the last share their state
#: simple stochastic synapses from the TM train: (cell, weight µS, p) per connection
STOCH = [(0, 0.001, 0.5)] * 50 + [(1, 0.001, 1.0)] * 5 + [(1, 0.01, 0.0)] * 5
#: static connections (source in [driver, multiplicative sources], cell, µS, ms): the
#: driver onto cells 0 and 1, small weights from the multiplicative sources
STATIC = [
    (0, 0, 1.0, 1.0), (0, 1, 1.0, 1.0), (1, 0, 0.001, 1.0), (2, 0, 0.002, 1.0),
    (3, 1, 0.003, 1.0), (4, 1, 0.004, 1.0),
]  # fmt: skip


def build(sim) -> dict:
    """The network in the current simulation of the PyNN module ``sim``. Few nodes (each
    costs compilation time in brainjit): one population of spike sources (driver,
    additive, multiplicative, TM), one of cells. Returns ``{'cells', 'static', 'add',
    'mul', 'tm'}``."""
    add = [list(t) + [T_LATE] for t in ADD_TRAINS]
    mul = [list(t) + [T_LATE] for t in MUL_TRAINS]
    trains = [[T_DRIVE]] + add + mul + [list(TM_TIMES)]
    sources = sim.Population(len(trains), sim.SpikeSourceArray(spike_times=trains))
    n_add, n_mul = len(add), len(mul)
    drv_mul = sources[[0] + list(range(1 + n_add, 1 + n_add + n_mul))]
    pre_a = sources[1 : 1 + n_add]
    pre_m = sources[1 + n_add : 1 + n_add + n_mul]
    tm_src = sources[len(trains) - 1 :]
    n_tm = len(TM_TAU_SYN)
    cells = sim.Population(
        4 + n_tm,
        sim.IF_cond_exp(
            tau_refrac=[50.0] * 2 + [0.1] * (n_tm + 2),
            tau_syn_E=[5.0] * 2 + TM_TAU_SYN + [5.0] * 2,
        ),
    )
    cells.record(["spikes", "gsyn_exc"])
    tm_cells = cells[2 : 2 + n_tm]
    net = {"cells": cells}
    net["static"] = sim.Projection(
        drv_mul, cells[0:2], sim.FromListConnector(STATIC), sim.StaticSynapse()
    )
    conns = [(i, 0, w, d) for i, (w, d) in enumerate(zip(ADD_W0, ADD_DELAYS))]
    stdp_a = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**ADD),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX),
    )
    net["add"] = sim.Projection(pre_a, cells[0:1], sim.FromListConnector(conns), stdp_a)
    stdp_m = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**MUL),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=W_MAX),
    )
    conns = [(i, 0, w, MUL_DELAY) for i, w in enumerate(MUL_W0)]
    net["mul"] = sim.Projection(pre_m, cells[1:2], sim.FromListConnector(conns), stdp_m)
    syn = sim.TsodyksMarkramSynapse(**TM_PARAMS)
    conns = [(0, j, w, TM_DELAY, u) for j, (w, u) in enumerate(zip(TM_WEIGHTS, TM_U))]
    connector = sim.FromListConnector(conns, column_names=["weight", "delay", "U"])
    net["tm"] = sim.Projection(tm_src, tm_cells, connector, syn)
    conns = [(0, j, w, 1.0, p) for j, w, p in STOCH]
    connector = sim.FromListConnector(conns, column_names=["weight", "delay", "p"])
    sim.Projection(tm_src, cells[2 + n_tm :], connector, sim.SimpleStochasticSynapse())
    return net


def weights(projection) -> np.ndarray:
    """The weights of ``projection`` in creation order."""
    return np.array(projection.get("weight", format="list", with_address=False), dtype=float)


def collect(net) -> dict:
    """``{'t_post', 'add', 'mul', 'tm_times', 'tm_gsyn'}`` after a run of :func:`build`'s
    network (see the module docstring)."""
    segment = net["cells"].get_data().segments[-1]
    trains = sorted(segment.spiketrains, key=lambda s: s.annotations["source_index"])
    signal = segment.filter(name="gsyn_exc")[0]
    order = np.argsort(np.asarray(signal.array_annotations["channel_index"]))
    gsyn = np.asarray(signal.magnitude, dtype=float)[:, order]
    return {
        "t_post": np.array([np.asarray(t.magnitude, dtype=float) for t in trains[:2]]),
        "add": weights(net["add"]),
        "mul": weights(net["mul"]),
        "tm_times": np.asarray(signal.times.magnitude, dtype=float),
        "tm_gsyn": gsyn[:, 2 : 2 + len(TM_TAU_SYN)],
        "stoch_gsyn": gsyn[:, 2 + len(TM_TAU_SYN) :],
    }


def main() -> None:
    import pyNN.nest as sim

    sim.setup(timestep=DT, min_delay=DT, spike_precision="on_grid")
    net = build(sim)
    sim.run(T_STOP)
    out = collect(net)
    sim.end()
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "pynn" / "data"
    np.savez_compressed(path / "nest_synapses.npz", **out)
    print("t_post", out["t_post"], "\nadd", out["add"], "\nmul", out["mul"])
    print("tm_gsyn max", out["tm_gsyn"].max(axis=0), "->", path / "nest_synapses.npz")


if __name__ == "__main__":
    main()
