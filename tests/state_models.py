"""A small COBA-like network with random input, for the reset and checkpoint tests (and
``checkpoint_worker.py``, which builds it again in a new process).

Random initial potentials (seeded), LIF groups and Exponential conductance synapses as
in ``examples/coba.py``, plus two sources of randomness drawn during the run: a Poisson
group projecting onto the excitatory group (uniform draws) and Gaussian noise into the
inhibitory group's input (normal draws). :func:`seed` leaves Numba's generator with a
cached second normal deviate whenever a run of a whole number of 10 steps is cut, so
that the checkpoints must save it.
"""

import numba
import numpy as np

import brainjit as bp

N_E, N_I, N_P = 40, 11, 20
DT = 0.1
DRIVE = 20.0


class Noise(bp.DynamicalSystem):
    """Gaussian current noise (``sigma`` per step) added into ``target.input``."""

    def __init__(self, target, sigma, name=None):
        super().__init__(name=name)
        self.target = target
        self.sigma = sigma

    def update(self, t, dt):
        self.target.input += bp.math.random.normal(0.0, self.sigma, self.target.num)


@numba.njit
def _one_normal():
    return np.random.normal()


def seed(value: int) -> None:
    """Seed the random generator; on the numpy backend draw one normal deviate in
    compiled code, so that the total number of normal deviates drawn is odd whenever a
    run of a multiple of 10 steps is cut (the noise draws 11 per step, in pairs): Numba's
    generator then holds a cached second deviate that a checkpoint must save."""
    bp.math.random.seed(value)
    if bp.math.get_backend_name() == "numpy":
        _one_normal()


def network(seed: int = 7) -> bp.dyn.Network:
    """The network on the active backend, its initial potentials drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    lif = dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=5.0)
    E = bp.dyn.LIF(N_E, V_initial=rng.normal(-55.0, 5.0, N_E), **lif)
    I = bp.dyn.LIF(N_I, V_initial=rng.normal(-55.0, 5.0, N_I), **lif)  # noqa: E741
    P = bp.dyn.PoissonGroup(N_P, freqs=50.0)
    conn = lambda k: bp.conn.FixedProb(0.2, seed=seed + k)  # noqa: E731
    exc = dict(weight=0.6, tau=5.0, output="coba", E=0.0)
    inh = dict(weight=6.7, tau=10.0, output="coba", E=-80.0)
    return bp.dyn.Network(
        E2E=bp.dyn.Exponential(E, E, conn(1), **exc),
        E2I=bp.dyn.Exponential(E, I, conn(2), **exc),
        I2E=bp.dyn.Exponential(I, E, conn(3), **inh),
        I2I=bp.dyn.Exponential(I, I, conn(4), **inh),
        P2E=bp.dyn.Exponential(P, E, conn(5), **exc),
        noise=Noise(I, 1.5),
        E=E,
        I=I,
        P=P,
    )


def runner(net) -> bp.Runner:
    """A Runner recording the spikes of E and I, with a constant drive into both."""
    return bp.Runner(
        net,
        monitors=["E.spike", "I.spike"],
        inputs=[("E.input", DRIVE), ("I.input", DRIVE)],
        dt=DT,
        progress_bar=False,
    )


def spikes(mon) -> np.ndarray:
    """The spikes of a run, E and I side by side (time, neurons)."""
    return np.concatenate([mon["E.spike"], mon["I.spike"]], axis=1)
