"""sdeint on geometric Brownian motion, dX = mu X dt + sigma X dW (exact solution known).

Strong order: the Brownian path is fixed in advance (seeded) and fed to the step
function in place of its random draws, so the numerical and the exact solution see the
same path; coarser steps sum the fine increments. Mean absolute error over 4000 paths
at dt = 1/16, 1/32, 1/64: Euler–Maruyama must show order 0.5 ± 0.3, Milstein 1 ± 0.3
(measured: about 0.5 and 0.95).

Weak behaviour and the real generators: after n Euler–Maruyama steps the mean and the
second moment are known exactly, E[X_n] = X0 (1 + mu dt)^n and
E[X_n^2] = X0^2 ((1 + mu dt)^2 + sigma^2 dt)^n; the sample moments of 20,000 seeded
paths must lie within 4 standard errors of them (on each backend and in Numba).
"""

import contextlib
import types

import numpy as np
import pytest

import brainjit as bp

MU, SIGMA, T, X0 = 1.5, 1.0, 1.0, 1.0


def drift(x, t, mu):
    return mu * x


def diffusion(x, t, sigma):
    return sigma * x


class _PresetNormals:
    """Stands in for bp.math.random: returns the preset standard normals, in order."""

    def __init__(self, draws):
        self.draws, self.i = draws, 0

    def normal(self, loc, scale, size):
        out = self.draws[self.i]
        self.i += 1
        assert loc == 0.0 and scale == 1.0 and tuple(size) == out.shape
        return bp.math.asarray(out)


class _MathWith:
    def __init__(self, random):
        self.random = random

    def __getattr__(self, name):
        return getattr(bp.math, name)


def with_preset_noise(step, draws):
    """The step function with its Wiener increments taken from ``draws``."""
    namespace = {
        **step.__globals__,
        "bp": types.SimpleNamespace(math=_MathWith(_PresetNormals(draws))),
    }
    return types.FunctionType(step.__code__, namespace, step.__name__, step.__defaults__)


def strong_errors(method, backend, x64, paths=4000, steps=(16, 32, 64)):
    step = bp.sdeint(drift, diffusion, method=method)
    rng = np.random.default_rng(20240601)
    fine = rng.standard_normal((steps[-1], paths))
    w_T = fine.sum(axis=0) * np.sqrt(T / steps[-1])
    exact = X0 * np.exp((MU - SIGMA**2 / 2) * T + SIGMA * w_T)
    errors = []
    scope = x64() if backend == "jax" else contextlib.nullcontext()
    with scope:
        for n in steps:
            r = steps[-1] // n
            coarse = fine.reshape(n, r, paths).sum(axis=1) / np.sqrt(r)  # same path
            run = with_preset_noise(step, coarse)
            x, dt = bp.math.asarray(np.full(paths, X0)), T / n
            for k in range(n):
                x = run(x, k * dt, MU, SIGMA, dt=dt)
            errors.append(float(np.mean(np.abs(np.asarray(x) - exact))))
    return errors


@pytest.mark.parametrize("method,order", [("euler", 0.5), ("milstein", 1.0)])
def test_strong_order_on_gbm(method, order, backend, x64):
    errors = strong_errors(method, backend, x64)
    orders = np.log2(np.divide(errors[:-1], errors[1:]))
    fit = -np.polyfit(np.log2([16, 32, 64]), np.log2(errors), 1)[0]
    assert abs(fit - order) <= 0.3, (errors, orders, fit)
    assert np.all(np.abs(orders - order) <= 0.3), (errors, orders)


def test_milstein_beats_euler_and_equals_it_for_additive_noise():
    em, mil = strong_errors("euler", "numpy", None), strong_errors("milstein", "numpy", None)
    assert mil[-1] < em[-1] / 2
    # additive noise: g' = 0, the Milstein correction vanishes
    g = lambda x, t, sigma: sigma + 0.0 * x
    draws = np.random.default_rng(1).standard_normal((5, 3))
    a = with_preset_noise(bp.sdeint(drift, g, method="euler"), draws)
    b = with_preset_noise(bp.sdeint(drift, g, method="milstein"), draws)
    xa = xb = np.ones(3)
    for _ in range(5):
        xa, xb = a(xa, 0.0, MU, SIGMA, dt=0.1), b(xb, 0.0, MU, SIGMA, dt=0.1)
    np.testing.assert_allclose(xa, xb, rtol=1e-14)


def _check_moments(samples, n, dt):
    samples = np.asarray(samples, dtype=float)
    mean, second = X0 * (1 + MU * dt) ** n, X0**2 * ((1 + MU * dt) ** 2 + SIGMA**2 * dt) ** n
    se_mean = samples.std() / np.sqrt(samples.size)
    se_second = (samples**2).std() / np.sqrt(samples.size)
    assert abs(samples.mean() - mean) < 4 * se_mean, (samples.mean(), mean, se_mean)
    assert abs((samples**2).mean() - second) < 4 * se_second, ((samples**2).mean(), second)


def _simulate(step, n, dt, paths):
    x = bp.math.ones(paths)
    for k in range(n):
        x = step(x, k * dt, MU, SIGMA, dt=dt)
    return np.asarray(x)


def test_euler_maruyama_moments_and_seed(backend):
    step = bp.sdeint(drift, diffusion, method="euler")
    n, dt, paths = 10, 0.05, 20000
    bp.math.random.seed(7)
    a = _simulate(step, n, dt, paths)
    _check_moments(a, n, dt)
    bp.math.random.seed(7)
    np.testing.assert_array_equal(_simulate(step, n, dt, paths), a)  # reproducible
    assert not np.array_equal(_simulate(step, n, dt, paths), a)  # fresh draws


def _numba_driver(compiled):
    import numba

    @numba.njit
    def run(x, n, dt):
        for k in range(n):
            x = compiled(x, k * dt, MU, SIGMA, dt)
        return x

    return run


def test_numba_compiled_sde(compile_tree):
    n, dt, paths = 10, 0.05, 20000
    for method in ("euler", "milstein"):
        run = _numba_driver(compile_tree(bp.sdeint(drift, diffusion, method=method)))

        bp.math.random.seed(3)  # seeds the generator Numba-compiled code draws from
        a = run(np.ones(paths), n, dt)
        if method == "euler":
            _check_moments(a, n, dt)
        else:  # Milstein's moments differ from EM's at O(dt); compare with the exact GBM
            exact_mean = X0 * np.exp(MU * n * dt)
            assert abs(a.mean() - exact_mean) < 4 * a.std() / np.sqrt(paths) + 0.02
        bp.math.random.seed(3)
        np.testing.assert_array_equal(run(np.ones(paths), n, dt), a)


def test_two_variable_sde_with_joint_drift(backend):
    """x: Ornstein–Uhlenbeck; y: noise-free, driven by x. Stationary moments of x."""

    def dx(x, t, theta):
        return -theta * x

    def dy(y, t, x):
        return x - y

    def g(x, y, t, s):
        return s, 0.0

    step = bp.sdeint(bp.JointEq(dx, dy), g, method="milstein")
    assert step.variables == ("x", "y") and step.parameters == ("theta", "s")
    theta, s, dt, n, paths = 2.0, 0.5, 0.02, 150, 5000
    bp.math.random.seed(11)
    x, y = bp.math.zeros(paths), bp.math.zeros(paths)
    for k in range(n):
        x, y = step(x, y, k * dt, theta, s, dt=dt)
    x = np.asarray(x, dtype=float)
    var = s**2 / (2 * theta) * (1 - np.exp(-2 * theta * n * dt))  # exact OU variance
    # EM/Milstein variance of the discrete OU: s^2 dt / (1 - (1 - theta dt)^2) in the limit
    assert abs(x.mean()) < 4 * np.sqrt(var / paths)
    assert abs(x.var() / var - 1) < 0.1
    assert np.all(np.isfinite(np.asarray(y)))
