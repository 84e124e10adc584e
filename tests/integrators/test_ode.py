"""odeint: convergence orders against analytic solutions and SciPy, on both backends.

Orders are measured from the errors at dt, dt/2 and dt/4 and must lie within 0.3 of
the scheme's order. JAX runs these in float64 (``jax.enable_x64``, scoped to the test):
in float32 the rounding error (~1e-7 per step) swamps RK4's truncation error (~1e-9 at
the smaller steps), so the measured order would say nothing about the scheme. The
schemes' float32 path (JAX's default) is checked separately, traced by ``jax.jit``,
against the float64 NumPy result with a float32 tolerance.
"""

import contextlib

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

import brainjit as bp

ORDER = {"euler": 1, "midpoint": 2, "heun": 2, "rk2": 2, "rk3": 3, "rk4": 4, "exp_euler": 1}
DTS = (0.1, 0.05, 0.025)


# -- problems: derivative function, initial state, parameters, T, reference solution --
def decay(x, t, k):
    return -k * x


def oscillator(x, v, t, w):
    return v, -w * w * x


MATRIX = np.array([[-0.5, 1.0, 0.2], [-1.0, -0.3, 0.0], [0.4, 0.0, -1.2]])


def linear3(x, y, z, t):
    a = MATRIX
    return (
        a[0, 0] * x + a[0, 1] * y + a[0, 2] * z,
        a[1, 0] * x + a[1, 1] * y + a[1, 2] * z,
        a[2, 0] * x + a[2, 1] * y + a[2, 2] * z,
    )


def forced_vdp(x, y, t, mu):
    # non-autonomous and nonlinear: catches wrong stage times and wrong couplings
    return y, mu * (1.0 - x * x) * y - x + bp.math.cos(1.3 * t)


def _solve_ivp(rhs, y0, T):
    sol = scipy.integrate.solve_ivp(rhs, (0.0, T), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    assert sol.success
    return sol.y[:, -1]


def _vdp_reference(x0, y0, T, mu):
    out = [
        _solve_ivp(
            lambda t, s: [s[1], mu * (1 - s[0] ** 2) * s[1] - s[0] + np.cos(1.3 * t)], [a, b], T
        )
        for a, b in zip(x0, y0)
    ]
    return tuple(np.array(v) for v in zip(*out))


PROBLEMS = {
    "decay": dict(
        f=decay,
        x0=(np.array([1.0, 2.0]),),
        params=(0.7,),
        T=2.0,
        exact=lambda x0, T: (x0[0] * np.exp(-0.7 * T),),
    ),
    "oscillator": dict(
        f=oscillator,
        x0=(np.array([1.0, 0.5]), np.array([0.0, 1.0])),
        params=(2.0,),
        T=2.0,
        exact=lambda x0, T: (
            x0[0] * np.cos(2 * T) + x0[1] / 2 * np.sin(2 * T),
            -2 * x0[0] * np.sin(2 * T) + x0[1] * np.cos(2 * T),
        ),
    ),
    "linear3": dict(
        f=linear3,
        x0=(np.array([1.0]), np.array([-0.5]), np.array([2.0])),
        params=(),
        T=2.0,
        exact=lambda x0, T: tuple(scipy.linalg.expm(MATRIX * T) @ np.concatenate(x0)),
    ),
    "forced_vdp": dict(
        f=forced_vdp,
        x0=(np.array([0.5, -1.0]), np.array([0.0, 0.3])),
        params=(1.0,),
        T=2.0,
        exact=lambda x0, T: _vdp_reference(x0[0], x0[1], T, 1.0),
    ),
}


def integrate(step, x0, params, T, dt):
    state = tuple(bp.math.asarray(x) for x in x0)
    n = int(round(T / dt))
    for i in range(n):
        out = step(*state, i * dt, *params, dt=dt)
        state = out if isinstance(out, tuple) else (out,)
    return tuple(np.asarray(s, dtype=float) for s in state)


def max_error(state, exact):
    return max(float(np.max(np.abs(s - np.asarray(e)))) for s, e in zip(state, exact))


def measured_orders(method, name, backend, x64):
    problem = PROBLEMS[name]
    step = bp.odeint(problem["f"], method=method)
    exact = problem["exact"](problem["x0"], problem["T"])
    scope = x64() if backend == "jax" else contextlib.nullcontext()
    with scope:
        errors = [
            max_error(integrate(step, problem["x0"], problem["params"], problem["T"], dt), exact)
            for dt in DTS
        ]
    return errors, [np.log2(errors[i] / errors[i + 1]) for i in range(len(errors) - 1)]


CASES = [
    (m, p)
    for m in ORDER
    for p in PROBLEMS
    if not (m == "exp_euler" and p == "decay")  # exact there: tested separately
]


@pytest.mark.parametrize("method,problem", CASES)
def test_convergence_order(method, problem, backend, x64):
    errors, orders = measured_orders(method, problem, backend, x64)
    print(method, problem, backend, errors, orders)
    for order in orders:
        assert abs(order - ORDER[method]) <= 0.3, (method, problem, errors, orders)


# -- the same step functions traced by JAX (float32) and compiled by Numba ---------------
@pytest.mark.parametrize("method", list(ORDER))
def test_jax_traced_float32_matches_numpy(method):
    import jax

    problem = PROBLEMS["forced_vdp"]
    step = bp.odeint(problem["f"], method=method)
    dt, n = 0.05, 40
    expected = integrate(step, problem["x0"], problem["params"], n * dt, dt)  # numpy, float64

    bp.math.use_backend("jax")

    @jax.jit
    def run(x, y):
        def body(i, state):
            return step(*state, i * dt, *problem["params"], dt=dt)

        return jax.lax.fori_loop(0, n, body, (x, y))

    x, y = run(*(bp.math.asarray(v.astype(np.float32)) for v in problem["x0"]))
    assert isinstance(x, bp.math.ndarray) and x.dtype == np.float32
    np.testing.assert_allclose(np.asarray(x), expected[0], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(np.asarray(y), expected[1], rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("method", ["rk4", "exp_euler"])  # the two templates
def test_numba_compiled_step(method, compile_tree):
    """The derivative (it calls bp.math.cos) and the step compiled with numba.njit,
    called from an njit loop: the same numbers as the eager step, and convergent."""
    import numba

    problem = PROBLEMS["forced_vdp"]
    step = bp.odeint(problem["f"], method=method)
    compiled = compile_tree(step)
    assert isinstance(compiled.py_func.__globals__["derivative"], numba.core.dispatcher.Dispatcher)

    @numba.njit
    def run(x, y, n, dt, mu):
        for i in range(n):
            x, y = compiled(x, y, i * dt, mu, dt)
        return x, y

    dt, T = 0.025, problem["T"]
    eager = integrate(step, problem["x0"], problem["params"], T, dt)
    got = run(*problem["x0"], int(round(T / dt)), dt, *problem["params"])
    for a, b in zip(got, eager):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    exact = problem["exact"](problem["x0"], T)
    assert max_error(got, exact) < {"rk4": 1e-6, "exp_euler": 0.15}[method]
    # the default dt of the generated signature also works in compiled code
    assert np.allclose(compiled(0.5, 0.0, 0.0, 1.0)[0], step(0.5, 0.0, 0.0, 1.0)[0])
