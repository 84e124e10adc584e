"""``@bp.odeint`` / ``@bp.sdeint`` on methods that take ``self`` (BrainPy 1.1's way of
writing models), in and out of ``bp.math.jit`` on both backends, checked against the
same model written with plain derivative functions; and ``Base.ints()``."""

import numpy as np
import pytest

import brainjit as bp


class Neuron(bp.Base):
    """dV/dt = (-V + w + I) / tau, dw/dt = a (V - w): methods reading ``self``."""

    def __init__(self, n, tau=10.0, a=0.1):
        super().__init__()
        self.V = bp.math.Variable(bp.math.zeros(n))
        self.w = bp.math.Variable(bp.math.zeros(n))
        self.tau, self.a = tau, a

    @bp.odeint(method="rk4")
    def integral(self, V, w, t, Iext):
        return (-V + w + Iext) / self.tau, self.a * (V - w)

    def update(self, t, dt):
        V, w = self.integral(self.V, self.w, t, 2.0, dt=dt)
        self.V.value = V
        self.w.value = w


def _plain(V, w, t, Iext, tau, a):
    return (-V + w + Iext) / tau, a * (V - w)


PLAIN = bp.odeint(_plain, method="rk4")


def _reference(n_steps, dt, tau=10.0, a=0.1, n=3):
    V, w = np.zeros(n), np.zeros(n)
    for i in range(n_steps):
        V, w = PLAIN(V, w, i * dt, 2.0, tau, a, dt=dt)
    return V, w


def test_method_integrator_binds_and_reads_self():
    cell = Neuron(3)
    assert Neuron.integral.variables == ("V", "w") and Neuron.integral.parameters == ("Iext",)
    assert cell.integral.__self__ is cell and cell.integral.method == "rk4"
    V, w = cell.integral(np.ones(3), np.zeros(3), 0.0, 1.0, dt=0.5)
    V0, w0 = PLAIN(np.ones(3), np.zeros(3), 0.0, 1.0, 10.0, 0.1, dt=0.5)
    np.testing.assert_array_equal(V, V0)
    np.testing.assert_array_equal(w, w0)
    cell.tau = 2.0  # read at call time
    V, _ = cell.integral(np.ones(3), np.zeros(3), 0.0, 1.0, dt=0.5)
    V2, _ = PLAIN(np.ones(3), np.zeros(3), 0.0, 1.0, 2.0, 0.1, dt=0.5)
    np.testing.assert_array_equal(V, V2)
    assert not np.allclose(V, V0)


def test_method_integrator_in_jit(backend):
    cells = [Neuron(3), Neuron(3, tau=5.0, a=0.3)]
    for cell in cells:
        update = bp.math.jit(cell.update)
        for i in range(30):
            update(i * 0.1, 0.1)
    rtol = 1e-12 if backend == "numpy" else 1e-5
    for cell, (tau, a) in zip(cells, [(10.0, 0.1), (5.0, 0.3)]):
        V, w = _reference(30, 0.1, tau, a)
        np.testing.assert_allclose(np.asarray(cell.V), V, rtol=rtol)
        np.testing.assert_allclose(np.asarray(cell.w), w, rtol=rtol)
    assert not np.allclose(np.asarray(cells[0].V), np.asarray(cells[1].V))


class Noisy(bp.Base):
    def __init__(self, n):
        super().__init__()
        self.x = bp.math.Variable(bp.math.ones(n))
        self.mu, self.sigma = -0.5, 0.3

    def noise(self, x, t):
        return self.sigma * x

    @bp.sdeint(g=noise, method="milstein")
    def integral(self, x, t):
        return self.mu * x

    def update(self, t, dt):
        self.x.value = self.integral(self.x, t, dt=dt)


def test_sde_method_in_and_out_of_jit(backend):
    step = bp.sdeint(lambda x, t: -0.5 * x, lambda x, t: 0.3 * x, method="milstein")
    model, eager = Noisy(4), Noisy(4)
    update = bp.math.jit(model.update)
    bp.math.random.seed(2)
    for i in range(20):
        update(i * 0.1, 0.1)
    bp.math.random.seed(2)
    for i in range(20):
        eager.update(i * 0.1, 0.1)
    bp.math.random.seed(2)
    x = bp.math.ones(4)
    for i in range(20):
        x = step(x, i * 0.1, dt=0.1)
    np.testing.assert_allclose(np.asarray(eager.x), np.asarray(x), rtol=1e-12)
    if backend == "numpy":  # Numba draws from the same generator as NumPy
        np.testing.assert_allclose(np.asarray(model.x), np.asarray(x), rtol=1e-12)
    assert len(set(np.asarray(model.x).tolist())) == 4


class Joint(bp.Base):
    def __init__(self):
        super().__init__()
        self.k = 2.0

    def dx(self, x, t, y):
        return -self.k * x + y

    def dy(self, y, t):
        return -y

    integral = bp.odeint(bp.JointEq(dx, dy), method="exp_euler")


def test_joint_equation_of_methods():
    m = Joint()
    assert Joint.integral.variables == ("x", "y")
    x, y = m.integral(1.0, 1.0, 0.0, dt=0.1)
    xs, ys = bp.odeint(
        bp.JointEq(lambda x, t, y: -2.0 * x + y, lambda y, t: -y), method="exp_euler"
    )(1.0, 1.0, 0.0, dt=0.1)
    assert (x, y) == pytest.approx((xs, ys), rel=1e-14)


class Net(bp.Base):
    def __init__(self):
        super().__init__()
        self.E = Neuron(2)
        self.I = Noisy(2)
        shared = bp.odeint(_plain)
        self.groups = [self.E, Joint()]
        self.f, self.g = shared, shared  # one integrator held twice: listed once


def test_ints():
    net = Net()
    ints = net.ints()
    name, e, i, j = net.name, net.E.name, net.I.name, net.groups[1].name
    assert set(ints) == {
        f"{name}.f",
        f"{name}.E.integral",
        f"{name}.I.integral",
        f"{name}.groups.1.integral",
    }, (ints, e, i, j)
    assert ints[f"{name}.E.integral"].__self__ is net.E
    assert ints[f"{name}.E.integral"].__func__ is Neuron.integral
    assert ints[f"{name}.f"] is net.f
    assert net.E.ints() == {f"{e}.integral": net.E.integral}
    assert set(net.ints(method="relative")) == {
        "f",
        "E.integral",
        "I.integral",
        "groups.1.integral",
    }
    assert set(net.ints(include_self=False)) == set(ints) - {f"{name}.f"}
    assert bp.Base().ints() == {}
