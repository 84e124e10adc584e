"""sdeint's exponential Euler and the strong order-1.5 SRK schemes, on geometric
Brownian motion, dX = mu X dt + sigma X dW, whose exact solution is known.

Strong orders as in ``test_sde.py``: a fine Brownian path (its increments dW and, for
the SRK schemes, the integrals I10 = int (W(s) - W(t)) ds over each fine step) is fixed
in advance, coarser steps get the exactly aggregated dW and I10 of the same path, and
the preset numbers replace the step's normal draws. Mean absolute error at T over the
paths, at dt = 1/8 ... 1/64: the SRK schemes must show order 1.5 ± 0.3 (measured about
1.5), exponential Euler 0.5 ± 0.3 with multiplicative noise.
"""

import contextlib

import numpy as np
import pytest
from test_sde import MU, SIGMA, X0, T, _numba_driver, _simulate, diffusion, drift, with_preset_noise

import brainjit as bp

STEPS = (8, 16, 32, 64)


def brownian(paths, n_fine, seed=20240602):
    """Fine increments dW and I10 = int_t^{t+h} (W(s) - W(t)) ds of each fine step."""
    rng = np.random.default_rng(seed)
    h = T / n_fine
    dW = rng.standard_normal((n_fine, paths)) * np.sqrt(h)
    dV = rng.standard_normal((n_fine, paths)) * np.sqrt(h)
    return dW, 0.5 * h * (dW + dV / np.sqrt(3.0))


def coarse_draws(dW, I10, n, two_draws):
    """The standard normals a step of size T/n draws, for the same path: (dW / sqrt(H),
    and with ``two_draws`` the second draw that gives the aggregated I10)."""
    n_fine, paths = dW.shape
    r, h, H = n_fine // n, T / n_fine, T / n
    dW, I10 = dW.reshape(n, r, paths), I10.reshape(n, r, paths)
    before = np.cumsum(dW, axis=1) - dW  # W at the start of each fine step - W(t)
    dW_c = dW.sum(axis=1)
    I10_c = (before * h + I10).sum(axis=1)
    xi1 = dW_c / np.sqrt(H)
    if not two_draws:
        return xi1, dW_c.sum(axis=0)
    xi2 = np.sqrt(3.0) * (2.0 * I10_c / H - dW_c) / np.sqrt(H)
    draws = np.empty((2 * n, paths))
    draws[0::2], draws[1::2] = xi1, xi2
    return draws, dW_c.sum(axis=0)


def strong_errors(method, backend, x64, paths=2000):
    step = bp.sdeint(drift, diffusion, method=method)
    dW, I10 = brownian(paths, STEPS[-1] * 4)
    errors = []
    with x64() if backend == "jax" else contextlib.nullcontext():
        for n in STEPS:
            draws, w_T = coarse_draws(dW, I10, n, two_draws=method.startswith("srk"))
            exact = X0 * np.exp((MU - SIGMA**2 / 2) * T + SIGMA * w_T)
            run = with_preset_noise(step, draws)
            x, dt = bp.math.asarray(np.full(paths, X0)), T / n
            for k in range(n):
                x = run(x, k * dt, MU, SIGMA, dt=dt)
            errors.append(float(np.mean(np.abs(np.asarray(x) - exact))))
    return np.array(errors)


@pytest.mark.parametrize(
    "method,order", [("srk1w1_scalar", 1.5), ("srk2w1_scalar", 1.5), ("exp_euler", 0.5)]
)
def test_strong_order_on_gbm(method, order, backend, x64):
    errors = strong_errors(method, backend, x64)
    fit = -np.polyfit(np.log2(STEPS), np.log2(errors), 1)[0]
    assert abs(fit - order) <= 0.3, (method, errors, fit)


def test_srk_beats_milstein():
    srk = strong_errors("srk2w1_scalar", "numpy", None)
    mil = strong_errors("milstein", "numpy", None)
    assert srk[-1] < mil[-1] / 5, (srk, mil)


def test_exp_euler_sde():
    """No noise: odeint's exponential Euler (exact on a linear drift). Additive noise on
    a linear drift: x e^(a dt) + sigma dW, exactly."""
    quiet = bp.sdeint(drift, lambda x, t, s: 0.0 * x, method="exp_euler")
    x = quiet(np.array([1.0, 2.0]), 0.0, -3.0, 0.0, dt=0.5)
    np.testing.assert_allclose(x, np.array([1.0, 2.0]) * np.exp(-1.5), rtol=1e-14)
    draws = np.random.default_rng(3).standard_normal((1, 4))
    step = with_preset_noise(
        bp.sdeint(drift, lambda x, t, s: s + 0.0 * x, method="exp_euler"), draws
    )
    x = step(np.ones(4), 0.0, -3.0, 0.2, dt=0.5)
    np.testing.assert_allclose(x, np.exp(-1.5) + 0.2 * np.sqrt(0.5) * draws[0], rtol=1e-14)


def test_srk_moments_and_numba(compile_tree):
    """The real generator, eagerly (SRI1) and in the step compiled by Numba (SRI2): GBM's
    exact mean and second moment within 4 standard errors (the schemes' weak bias is far
    smaller here)."""
    n, dt, paths = 10, 0.05, 20000
    eager = bp.sdeint(drift, diffusion, method="srk1w1_scalar")
    compiled = _numba_driver(compile_tree(bp.sdeint(drift, diffusion, method="srk2w1_scalar")))
    bp.math.random.seed(4)
    for x in (_simulate(eager, n, dt, paths), compiled(np.ones(paths), n, dt)):
        mean, second = np.exp(MU * n * dt), np.exp((2 * MU + SIGMA**2) * n * dt)
        assert abs(x.mean() - mean) < 4 * x.std() / np.sqrt(paths), (x.mean(), mean)
        assert abs((x**2).mean() - second) < 4 * (x**2).std() / np.sqrt(paths)


def test_srk_without_noise_is_its_deterministic_scheme():
    """g = 0: SRI2 is the three-stage SSP Runge–Kutta method (order 3), SRI1 the
    two-stage scheme with c2 = 3/4 (order 2), on a nonlinear non-autonomous drift."""

    def f(x, t, a):
        return -a * x * x + bp.math.sin(t)

    def zero(x, t, a):
        return 0.0 * x

    x0 = np.array([0.3, 1.0, 2.0])
    sri2 = bp.sdeint(f, zero, method="srk2w1_scalar")(x0, 0.4, 1.5, dt=0.2)
    np.testing.assert_allclose(sri2, bp.odeint(f, method="ssprk3")(x0, 0.4, 1.5, dt=0.2), 1e-14)
    k1 = f(x0, 0.4, 1.5)
    k2 = f(x0 + 0.75 * 0.2 * k1, 0.4 + 0.75 * 0.2, 1.5)
    sri1 = bp.sdeint(f, zero, method="srk1w1_scalar")(x0, 0.4, 1.5, dt=0.2)
    np.testing.assert_allclose(sri1, x0 + 0.2 * (k1 / 3 + 2 * k2 / 3), rtol=1e-14)
