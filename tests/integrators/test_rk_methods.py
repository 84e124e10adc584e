"""The explicit tableaus beyond RK4 and the adaptive (embedded) Runge–Kutta pairs.

Fixed-step orders are measured as in ``test_ode.py`` (the slope of the errors at dt,
dt/2, dt/4 against SciPy's DOP853 at 1e-13, within 0.3 of the order) on the forced Van
der Pol oscillator: nonlinear and non-autonomous, so a wrong coefficient or stage time
shows (on linear autonomous problems all s-stage schemes of order s <= 4 give the same
numbers). The fifth-order pairs are measured at smaller steps, where Dormand–Prince is
in its asymptotic range.

Adaptive steps are checked against ``scipy.integrate.solve_ivp`` at the same (absolute)
tolerance: Dormand–Prince against ``RK45`` and Bogacki–Shampine against ``RK23``
(SciPy's two explicit pairs are these), the others against the tolerance itself.
"""

import contextlib

import numpy as np
import pytest
import scipy.integrate
from test_ode import PROBLEMS, _solve_ivp, forced_vdp, integrate, max_error

import brainjit as bp
from brainjit.integrators.tableaus import ORDERS

NEW = ["ralston2", "ralston3", "ralston4", "heun3", "ssprk3", "rk4_38rule"]
EMBEDDED = ["heun_euler", "bs", "rkf45", "ck", "rkdp"]
MU, T = 1.0, 10.0


def _orders(method, backend, x64):
    problem = PROBLEMS["forced_vdp"]
    dts = (0.05, 0.025, 0.0125) if ORDERS[method] == 5 else (0.1, 0.05, 0.025)
    step = bp.odeint(problem["f"], method=method)
    exact = problem["exact"](problem["x0"], problem["T"])
    with x64() if backend == "jax" else contextlib.nullcontext():
        errors = [
            max_error(integrate(step, problem["x0"], problem["params"], problem["T"], dt), exact)
            for dt in dts
        ]
    return errors, np.polyfit(np.log2(dts), np.log2(errors), 1)[0]


@pytest.mark.parametrize(
    "method,backend",
    [(m, "numpy") for m in NEW + EMBEDDED]  # jax: the same generated code, a sample
    + [(m, "jax") for m in ("ralston4", "ssprk3", "bs", "rkdp")],
)
def test_fixed_step_order(method, backend, x64):
    bp.math.use_backend(backend)
    errors, order = _orders(method, backend, x64)
    assert abs(order - ORDERS[method]) <= 0.3, (method, errors, order)


def test_tableaus_differ_where_they_should():
    """Same order, other coefficients: other errors on the nonlinear problem (a tableau
    copied from another would pass the order test)."""
    e = {m: _orders(m, "numpy", None)[0][-1] for m in ("rk4", "rk4_38rule", "ralston4")}
    assert len({round(v, 14) for v in e.values()}) == 3, e


def _vdp_rhs(t, s):
    return [s[1], MU * (1 - s[0] ** 2) * s[1] - s[0] + np.cos(1.3 * t)]


def run_adaptive(step, x, y, dt=0.01, t_end=T):
    """The caller's loop of an adaptive step: dt is a state variable."""
    t, ts, xs = 0.0, [0.0], [float(x)]
    while t < t_end - 1e-12:
        dt = min(float(dt), t_end - t)
        x, y, dt_new = step(x, y, t, MU, dt=dt)
        t += dt
        dt = dt_new
        ts.append(t)
        xs.append(float(x))
    return np.array(ts), np.array(xs), float(y)


REFERENCE = _solve_ivp(_vdp_rhs, [0.5, 0.0], T)


@pytest.mark.parametrize("method,scipy_method", [("rkdp", "RK45"), ("bs", "RK23")])
@pytest.mark.parametrize("tol", [1e-5, 1e-7])
def test_adaptive_matches_solve_ivp(method, scipy_method, tol):
    step = bp.odeint(forced_vdp, method=method, adaptive=True, tol=tol)
    ts, xs, y = run_adaptive(step, 0.5, 0.0)
    sol = scipy.integrate.solve_ivp(
        _vdp_rhs, (0, T), [0.5, 0.0], method=scipy_method, atol=tol, rtol=1e-13, dense_output=True
    )
    ours = max(abs(xs[-1] - REFERENCE[0]), abs(y - REFERENCE[1]))
    theirs = np.max(np.abs(sol.y[:, -1] - REFERENCE))
    # the same accuracy for about the same number of steps
    assert ours < 3 * theirs + tol, (ours, theirs)
    assert 0.7 < (ts.size - 1) / (sol.t.size - 1) < 1.4, (ts.size, sol.t.size)
    # and the same trajectory, all along
    np.testing.assert_allclose(xs, sol.sol(ts)[0], rtol=0, atol=30 * tol)


@pytest.mark.parametrize("method", ["heun_euler", "rkf45", "ck"])
def test_adaptive_meets_tolerance(method):
    errors, steps = [], []
    for tol in (1e-4, 1e-6):
        step = bp.odeint(forced_vdp, method=method, adaptive=True, tol=tol)
        ts, xs, y = run_adaptive(step, 0.5, 0.0, t_end=4.0)
        ref = _solve_ivp(_vdp_rhs, [0.5, 0.0], 4.0)
        errors.append(max(abs(xs[-1] - ref[0]), abs(y - ref[1])))
        steps.append(ts.size - 1)
        assert errors[-1] < 20 * tol, (method, tol, errors)
    assert steps[1] > steps[0] and errors[1] < errors[0] / 10, (steps, errors)


def test_adaptive_on_jax_and_step_size_control(x64):
    """The same steps on jax (float64); dt shrinks where the solution is fast."""
    step = bp.odeint(forced_vdp, method="rkdp", adaptive=True, tol=1e-6)
    ts, xs, _ = run_adaptive(step, 0.5, 0.0, t_end=3.0)
    bp.math.use_backend("jax")
    with x64():
        ts_jax, xs_jax, _ = run_adaptive(
            step, bp.math.asarray(0.5), bp.math.asarray(0.0), t_end=3.0
        )
    np.testing.assert_allclose(ts_jax, ts, rtol=1e-9)
    np.testing.assert_allclose(xs_jax, xs, rtol=1e-9, atol=1e-12)
    # a tolerance met easily lets dt grow, at most 5-fold per step
    big = bp.odeint(forced_vdp, method="rkdp", adaptive=True, tol=1.0)
    assert float(big(0.5, 0.0, 0.0, MU, dt=0.001)[-1]) == pytest.approx(0.005)


class Adaptive(bp.Base):
    """dt as a state variable of a model, updated by the compiled step."""

    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(bp.math.asarray([0.5]))
        self.y = bp.math.Variable(bp.math.asarray([0.0]))
        self.h = bp.math.Variable(bp.math.asarray([0.01]))
        self.t = bp.math.Variable(bp.math.asarray([0.0]))

    @bp.odeint(method="heun_euler", adaptive=True, tol=1e-4)
    def integral(self, x, y, t, mu):
        return y, mu * (1.0 - x * x) * y - x + bp.math.cos(1.3 * t)

    def update(self):
        x, y, h = self.integral(self.x, self.y, self.t, MU, dt=self.h)
        self.t.value = self.t + self.h
        self.x.value = x
        self.y.value = y
        self.h.value = h


def test_adaptive_in_jit(backend):
    model = Adaptive()
    update = bp.math.jit(model.update)
    for _ in range(40):
        update()
    step = bp.odeint(forced_vdp, method="heun_euler", adaptive=True, tol=1e-4)
    x, y, t, h = 0.5, 0.0, 0.0, 0.01
    for _ in range(40):
        x, y, h_new = step(x, y, t, MU, dt=h)
        t, h = t + h, h_new
    rtol = 1e-12 if backend == "numpy" else 1e-4  # jax: float32
    np.testing.assert_allclose(np.asarray(model.t)[0], t, rtol=rtol)
    np.testing.assert_allclose(np.asarray(model.x)[0], x, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(np.asarray(model.h)[0], h, rtol=10 * rtol)


def test_adaptive_errors():
    with pytest.raises(ValueError, match="'rk4' has no error estimate.*'rkdp'"):
        bp.odeint(forced_vdp, method="rk4", adaptive=True)
    with pytest.raises(ValueError, match="only applies with adaptive=True"):
        bp.odeint(forced_vdp, method="rkdp", tol=1e-3)
    with pytest.raises(ValueError, match="tol must be a positive"):
        bp.odeint(forced_vdp, method="rkdp", adaptive=True, tol=-1.0)


def test_default_methods():
    from brainjit.integrators import get_default_odeint, get_default_sdeint

    assert get_default_odeint() == "euler" and get_default_sdeint() == "euler"
    try:
        bp.integrators.set_default_odeint("rk4")
        step = bp.odeint(lambda x, t: -x)
        assert step.method == "rk4"
        assert step(1.0, 0.0, dt=0.5) == pytest.approx(1 - 0.5 + 0.125 - 1 / 48 + 1 / 384)
        assert bp.odeint(lambda x, t: -x, method="heun").method == "heun"
        bp.integrators.set_default_sdeint("milstein")
        assert bp.sdeint(lambda x, t: -x, lambda x, t: x).method == "milstein"
        with pytest.raises(ValueError, match="Unknown ODE method 'rk9'"):
            bp.integrators.set_default_odeint("rk9")
        with pytest.raises(ValueError, match="Unknown SDE method 'rk4'"):
            bp.integrators.set_default_sdeint("rk4")
    finally:
        bp.integrators.set_default_odeint("euler")
        bp.integrators.set_default_sdeint("euler")
    assert bp.odeint(lambda x, t: -x).method == "euler"
