"""Small models written by hand with bp.math (as a user would) for the Runner tests."""

import numpy as np

import brainjit as bp


class LIF(bp.Base):
    """Leaky integrate-and-fire neurons with a refractory period (no transcendental ops,
    so that compiled and plain NumPy arithmetic agree exactly on the numpy backend)."""

    def __init__(self, n, tau=10.0, v_th=1.0, v_reset=0.0, t_ref=2.0, V0=None, name=None):
        super().__init__(name=name)
        self.num = n
        self.tau, self.v_th, self.v_reset, self.t_ref = tau, v_th, v_reset, t_ref
        V0 = np.zeros(n) if V0 is None else np.asarray(V0, dtype=float)
        self.V = bp.math.Variable(bp.math.asarray(V0))
        self.input = bp.math.Variable(bp.math.zeros(n))
        self.spike = bp.math.Variable(bp.math.zeros(n, dtype=bool))
        self.t_last_spike = bp.math.Variable(bp.math.zeros(n) - 1e7)

    def update(self, t, dt):
        refractory = (t - self.t_last_spike) <= self.t_ref
        V = self.V + (self.input - self.V) / self.tau * dt
        V = bp.math.where(refractory, self.v_reset, V)
        spike = V >= self.v_th
        self.spike.value = spike
        self.t_last_spike.value = bp.math.where(spike, t, self.t_last_spike)
        self.V.value = bp.math.where(spike, self.v_reset, V)
        self.input[:] = 0.0


class DenseExpSyn(bp.Base):
    """An exponential current synapse through a dense weight matrix."""

    def __init__(self, pre, post, weights, tau=5.0):
        super().__init__()
        self.pre, self.post, self.tau = pre, post, tau
        self.W = np.asarray(weights, dtype=float)
        self.g = bp.math.Variable(bp.math.zeros(post.num))

    def update(self, t, dt):
        arrived = bp.math.dot(bp.math.where(self.pre.spike, 1.0, 0.0), self.W)
        self.g.value = self.g - self.g / self.tau * dt + arrived
        self.post.input += self.g


class Net(bp.Base):
    """Two LIF groups (E, I) with random dense connections between and within them."""

    def __init__(self, n_e=16, n_i=4, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.E = LIF(n_e, V0=rng.uniform(0, 1, n_e))
        self.I = LIF(n_i, tau=5.0, V0=rng.uniform(0, 1, n_i))
        w = lambda a, b, s: s * (rng.random((a, b)) < 0.3)  # noqa: E731
        self.syns = [
            DenseExpSyn(self.E, self.E, w(n_e, n_e, 0.05)),
            DenseExpSyn(self.E, self.I, w(n_e, n_i, 0.1)),
            DenseExpSyn(self.I, self.E, w(n_i, n_e, -0.2)),
        ]
        self.count = bp.math.Variable(bp.math.zeros((), dtype=int))

    def update(self, t, dt):
        for syn in self.syns:
            syn.update(t, dt)
        self.E.update(t, dt)
        self.I.update(t, dt)
        self.count += self.E.spike.sum()


class Accumulator(bp.Base):
    """acc += x every step, then x is reset to 0; gain is multiplied into acc."""

    def __init__(self, n=3):
        super().__init__()
        self.x = bp.math.Variable(bp.math.zeros(n))
        self.gain = bp.math.Variable(bp.math.ones(n))
        self.acc = bp.math.Variable(bp.math.zeros(n))
        self.time = bp.math.Variable(bp.math.zeros(()))

    def update(self, t, dt):
        self.acc += self.x * self.gain
        self.x[:] = 0.0
        self.time[...] = t
