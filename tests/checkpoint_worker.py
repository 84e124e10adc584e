"""Continue a saved run of ``state_models.network()`` in a new process.

    python tests/checkpoint_worker.py BACKEND STATE.npz DURATION_MS OUT.npz

Builds the network again (its seed decides the connectivity; the random generator is
seeded with another number, so that only the loaded state can make the run continue as
the saved one would have), loads STATE.npz with ``bp.load_state`` (random generator
included), runs a new Runner for DURATION_MS and writes the spikes and the model time
before and after the run into OUT.npz.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import numpy as np  # noqa: E402
import state_models as sm  # noqa: E402

import brainjit as bp  # noqa: E402


def main(backend: str, state: str, duration: str, out: str) -> None:
    bp.math.use_backend(backend)
    bp.math.random.seed(987654)
    net = sm.network()
    bp.load_state(state, net)
    t_loaded = net.t
    mon = sm.runner(net).run(float(duration))
    np.savez(out, spikes=sm.spikes(mon), t_loaded=t_loaded, t_end=net.t, ts=mon.ts)


if __name__ == "__main__":
    main(*sys.argv[1:])
