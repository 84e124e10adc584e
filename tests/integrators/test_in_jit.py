"""Integrators inside bp.math.jit-compiled model code, on both backends: the step
function (and the derivative functions it calls) compiled with the model's update."""

import numpy as np

import brainjit as bp


def dV(V, t, w, Iext, tau):
    return (-V + w + Iext) / tau


def dw(w, t, V):
    return 0.1 * (V - w)


def drift(x, t):
    return -x


def noise(x, t, sigma):
    return sigma * x


class Cell(bp.Base):
    def __init__(self, n):
        super().__init__()
        self.V = bp.math.Variable(bp.math.zeros(n))
        self.w = bp.math.Variable(bp.math.zeros(n))
        self.x = bp.math.Variable(bp.math.ones(n))
        self.tau = 10.0
        self.integral = bp.odeint(bp.JointEq(dV, dw), method="exp_euler")
        self.noisy = bp.sdeint(drift, noise, method="milstein")

    def update(self, t, dt):
        V, w = self.integral(self.V, self.w, t, 1.0, self.tau, dt=dt)
        self.V.value = V
        self.w.value = w
        self.x.value = self.noisy(self.x, t, 0.5, dt=dt)


def test_integrators_in_jitted_update(backend):
    cell, ref = Cell(3), Cell(3)
    update = bp.math.jit(cell.update)
    bp.math.random.seed(5)
    for i in range(50):
        update(i * 0.1, 0.1)
    x_first = np.asarray(cell.x).copy()
    for i in range(50):
        ref.update(i * 0.1, 0.1)
    # deterministic part: the compiled step equals the eager one
    np.testing.assert_allclose(np.asarray(cell.V), np.asarray(ref.V), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(cell.w), np.asarray(ref.w), rtol=1e-5)
    assert np.all(np.asarray(cell.V) > 0.1)
    # stochastic part: fresh noise on every call, reproducible after seeding
    assert len(set(x_first.tolist())) == 3
    cell.x.value = bp.math.ones(3)
    bp.math.random.seed(5)
    for i in range(50):
        update(i * 0.1, 0.1)
    np.testing.assert_array_equal(np.asarray(cell.x), x_first)
