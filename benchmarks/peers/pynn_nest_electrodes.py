"""NEST's response of passive ``IF_curr_exp`` cells to PyNN's current sources, stored for
``tests/pynn/test_electrodes.py`` (which compares brainjit.pynn with it; NEST is not
needed to run the test).

Run with the environment that has NEST and PyNN::

    /tmp/nestvenv/bin/python benchmarks/peers/pynn_nest_electrodes.py

Writes ``tests/pynn/data/nest_electrodes.npz``: ``v`` (mV, samples every 0.1 ms from 0 to
10 ms, one column per cell: DCSource, StepCurrentSource, ACSource) and ``i`` (nA, the
sources' recorded currents, same samples). The sources' parameters change after 6 ms
(between two runs), as ``SCENARIO`` says.
"""

from pathlib import Path

import numpy as np
import pyNN.nest as sim

#: the cells, the sources and the changes between the two runs (shared with the test)
SCENARIO = {
    "cell": {"v_thresh": 100.0, "tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "i_offset": 0.0},
    "dc": {"amplitude": 0.5, "start": 2.0, "stop": 4.0},
    "step": {"times": [1.0, 2.5, 4.0], "amplitudes": [0.3, -0.2, 0.1]},
    "ac": {"amplitude": 0.4, "offset": 0.1, "frequency": 100.0, "phase": 30.0,
           "start": 1.0, "stop": 8.0},
    "first_run": 6.0,
    "second_run": 4.0,
    "dc_after": {"amplitude": -0.3, "stop": 9.0, "start": 7.0},
    "ac_after": {"amplitude": 0.2},
}  # fmt: skip


def main():
    sim.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid")
    cells = sim.Population(3, sim.IF_curr_exp(**SCENARIO["cell"]))
    cells.initialize(v=SCENARIO["cell"]["v_rest"])
    sources = [
        sim.DCSource(**SCENARIO["dc"]),
        sim.StepCurrentSource(**SCENARIO["step"]),
        sim.ACSource(**SCENARIO["ac"]),
    ]
    for k, source in enumerate(sources):
        source.inject_into(cells[k : k + 1])
        source.record()
    cells.record("v")
    sim.run(SCENARIO["first_run"])
    sources[0].set_parameters(**SCENARIO["dc_after"])
    sources[2].set_parameters(**SCENARIO["ac_after"])
    sim.run(SCENARIO["second_run"])
    v = cells.get_data().segments[0].analogsignals[0].magnitude
    i = np.column_stack([s.get_data().magnitude.ravel() for s in sources])
    out = Path(__file__).resolve().parents[2] / "tests" / "pynn" / "data" / "nest_electrodes.npz"
    np.savez_compressed(out, v=v, i=i)
    print(f"wrote {out}: v {v.shape}, i {i.shape}")
    sim.end()


if __name__ == "__main__":
    main()
