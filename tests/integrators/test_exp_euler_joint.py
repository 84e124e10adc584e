"""Exponential Euler (exact for linear ODEs with constant coefficients) and JointEq."""

import contextlib

import numpy as np
import pytest
import scipy.integrate

import brainjit as bp


def _scope(backend, x64):
    return x64() if backend == "jax" else contextlib.nullcontext()


def linear(x, t, a, b):
    return a * x + b


@pytest.mark.parametrize("a", [-2.0, 0.0, 1e-13, -1e-13, 0.7, np.array([-2.0, 0.0, 0.7])])
@pytest.mark.parametrize("dt", [0.01, 0.5, 3.0])
def test_exp_euler_exact_for_linear_constant_coefficients(a, dt, backend, x64):
    step = bp.odeint(linear, method="exp_euler")
    x0, b = np.array([1.5, -0.3, 4.0]), 0.8
    a_arr = np.broadcast_to(np.asarray(a, dtype=float), x0.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(
            a_arr == 0,
            x0 + b * dt,
            x0 * np.exp(a_arr * dt) + b / a_arr * np.expm1(a_arr * dt),
        )
    with _scope(backend, x64):
        a_in = bp.math.asarray(a) if isinstance(a, np.ndarray) else a
        got = np.asarray(step(bp.math.asarray(x0), 0.0, a_in, b, dt=dt))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-14)


def alpha_m(V):
    return 0.1 * (V + 40.0) / (1.0 - bp.math.exp(-(V + 40.0) / 10.0))


def beta_m(V):
    return 4.0 * bp.math.exp(-(V + 65.0) / 18.0)


def dm(m, t, V):
    return alpha_m(V) * (1.0 - m) - beta_m(V) * m


def dh(h, t, V):
    return 0.07 * bp.math.exp(-(V + 65.0) / 20.0) * (1.0 - h) - h / (
        1.0 + bp.math.exp(-(V + 35.0) / 10.0)
    )


def test_exp_euler_gating_variables_exact_at_fixed_voltage(backend, x64):
    """HH gating variables relax exponentially when V is held: exp_euler is exact."""
    V = np.array([-80.0, -65.0, -30.0, 10.0])
    m0, h0, dt = np.full(4, 0.05), np.full(4, 0.6), 0.37
    step = bp.odeint(bp.JointEq(dm, dh), method="exp_euler")
    with _scope(backend, x64):
        m1, h1 = step(bp.math.asarray(m0), bp.math.asarray(h0), 0.0, bp.math.asarray(V), dt=dt)
    am = 0.1 * (V + 40.0) / (1.0 - np.exp(-(V + 40.0) / 10.0))  # NumPy, float64
    bm = 4.0 * np.exp(-(V + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(V + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))
    for got, x0, a_, b_ in ((m1, m0, am, bm), (h1, h0, ah, bh)):
        inf, tau = a_ / (a_ + b_), 1.0 / (a_ + b_)
        np.testing.assert_allclose(
            np.asarray(got), inf + (x0 - inf) * np.exp(-dt / tau), rtol=1e-12
        )


# -- a coupled system, linear in each own variable, nonlinear through the coupling -------
def dx(x, t, y):
    return -(1.0 + y * y) * x + 1.0


def dy(y, t, x):
    return -2.0 * y + x + 0.5 * bp.math.sin(t)


def both(x, y, t):
    return dx(x, t, y), dy(y, t, x)


def _reference(x0, y0, T):
    rhs = lambda t, s: [-(1 + s[1] ** 2) * s[0] + 1, -2 * s[1] + s[0] + 0.5 * np.sin(t)]
    sol = scipy.integrate.solve_ivp(rhs, (0, T), [x0, y0], method="DOP853", rtol=1e-13, atol=1e-13)
    return sol.y[:, -1]


def _run(step, x, y, T, dt):
    for i in range(int(round(T / dt))):
        x, y = step(x, y, i * dt, dt=dt)
    return float(np.asarray(x)), float(np.asarray(y))


def test_exp_euler_joint_first_order_on_coupled_system(backend, x64):
    step = bp.odeint(bp.JointEq(dx, dy), method="exp_euler")
    ref = _reference(2.0, -1.0, 2.0)
    with _scope(backend, x64):
        errors = [
            np.max(np.abs(np.subtract(_run(step, 2.0, -1.0, 2.0, dt), ref)))
            for dt in (0.1, 0.05, 0.025)
        ]
    orders = np.log2(np.divide(errors[:-1], errors[1:]))
    assert np.all(np.abs(orders - 1) <= 0.3), (errors, orders)


@pytest.mark.parametrize("method", ["euler", "heun", "rk4", "exp_euler"])
def test_joint_eq_equals_single_function(method):
    joint = bp.odeint(bp.JointEq(dx, dy), method=method)
    single = bp.odeint(both, method=method)
    a = _run(joint, 2.0, -1.0, 1.0, 0.05)
    b = _run(single, 2.0, -1.0, 1.0, 0.05)
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    ref = _reference(2.0, -1.0, 1.0)
    tol = {"rk4": 1e-5}.get(method, 0.05)
    assert np.max(np.abs(np.subtract(a, ref))) < tol


def test_joint_eq_signature_and_call():
    eq = bp.JointEq(dm, dh)
    assert eq.variables == ("m", "h") and eq.parameters == ("V",)
    m, h, V = 0.1, 0.5, -60.0
    assert eq(m, h, 0.0, V) == (dm(m, 0.0, V), dh(h, 0.0, V))
    assert eq(m, h, t=0.0, V=V) == eq(m, h, 0.0, V)

    def dV(V, t, m, h, Iext, gL=0.1):
        return -gL * (V + 65.0) + m * h + Iext

    nested = bp.JointEq(dV, eq)  # a JointEq of a JointEq is flattened
    assert nested.variables == ("V", "m", "h") and nested.parameters == ("Iext", "gL")
    assert nested.signature.defaults == {"gL": 0.1}
    step = bp.odeint(nested, method="exp_euler")
    assert step.variables == ("V", "m", "h") and step.parameters == ("Iext", "gL")
    V1, m1, h1 = step(-65.0, 0.05, 0.6, 0.0, 1.0)  # gL defaults to 0.1
    V2, _, _ = step(-65.0, 0.05, 0.6, 0.0, 1.0, 0.1)
    assert V1 == V2 and V1 > -65.0


def test_joint_eq_exp_euler_calls_each_equation_twice():
    calls = {"dm": 0, "dh": 0}

    def cm(m, t, V):
        calls["dm"] += 1
        return dm(m, t, V)

    def ch(h, t, V):
        calls["dh"] += 1
        return dh(h, t, V)

    step = bp.odeint(bp.JointEq(cm, ch), method="exp_euler")
    step(0.1, 0.5, 0.0, -60.0)
    assert calls == {"dm": 2, "dh": 2}  # f(x) and f(x + 1): no call for the other variable


def test_joint_eq_errors():
    def dm2(m, t):
        return -m

    with pytest.raises(ValueError, match="'m' is a variable of both"):
        bp.JointEq(dm, dm2)
    with pytest.raises(ValueError, match="at least one"):
        bp.JointEq()

    def da(a, t, p=1.0):
        return -p * a

    def db(b, t, p=2.0):
        return -p * b

    with pytest.raises(ValueError, match="'p' has two different defaults"):
        bp.JointEq(da, db)
    with pytest.raises(TypeError, match="missing"):
        bp.JointEq(dm, dh)(0.1, 0.5, 0.0)
