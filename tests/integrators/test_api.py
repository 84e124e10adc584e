"""odeint/sdeint as decorators and calls, the generated step functions, bad input."""

import inspect
import os

import numpy as np
import pytest

import brainjit as bp


def decay(x, t, k):
    return -k * x


def test_decorator_forms_and_call():
    @bp.odeint
    def a(x, t, k):
        return -k * x

    @bp.odeint(method="rk4", dt=0.01)
    def b(x, t, k):
        return -k * x

    c = bp.odeint(decay, "heun")
    assert a.method == "euler" and b.method == "rk4" and c.method == "heun"
    assert a(1.0, 0.0, 2.0) == pytest.approx(1.0 - 0.1 * 2.0)  # default dt is 0.1
    assert b(1.0, 0.0, 2.0) == pytest.approx(np.exp(-0.02), rel=1e-9)  # dt=0.01
    assert b(1.0, 0.0, 2.0, dt=0.5) == pytest.approx(
        1 - 1.0 + 0.5 - 1 / 6 + 1 / 24, rel=1e-12
    )  # RK4 on x' = -2x is the 4th-order Taylor polynomial of exp(-2 dt)
    assert b.dt == 0.01 and a.dt == 0.1

    @bp.sdeint(g=lambda x, t, k: 0.0 * x, method="milstein")
    def s(x, t, k):
        return -k * x

    assert s.method == "milstein" and s(1.0, 0.0, 2.0) == pytest.approx(0.8)


C_DEFAULT = np.float32(2.0)


def test_signature_of_step_and_defaults():
    def f(V, w, t, Iext, a=0.7, b=None, c=C_DEFAULT):
        return -V + Iext * a, -w * c

    step = bp.odeint(f, method="rk2")
    params = inspect.signature(step).parameters
    assert list(params) == ["V", "w", "t", "Iext", "a", "b", "c", "dt"]
    assert params["a"].default == 0.7 and params["b"].default is None
    assert params["c"].default == np.float32(2.0) and params["dt"].default == 0.1
    assert step.variables == ("V", "w") and step.parameters == ("Iext", "a", "b", "c")
    V, w = step(0.0, 1.0, 0.0, 1.0)
    assert isinstance(step(0.0, 1.0, 0.0, 1.0), tuple)
    assert V == pytest.approx(0.1 * 0.7 * (1 - 0.1 * (2 / 3) / 2 * 0 - 0.05), rel=1e-2)


def test_step_lives_in_a_file_with_readable_source(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINJIT_CACHE_DIR", str(tmp_path))
    step = bp.odeint(decay, method="rk4")
    path = inspect.getsourcefile(step)
    assert os.path.dirname(path).startswith(str(tmp_path)) and os.path.exists(path)
    assert "def rk4_step(x, t, k, dt=0.1):" in inspect.getsource(step)
    assert step.source == open(path).read()
    assert step.__globals__["derivative"] is decay
    again = bp.odeint(decay, method="rk4")
    assert inspect.getsourcefile(again) == path  # same function, same file (cache reuse)

    def decay2(x, t, k):  # noqa: F811 - same name and signature, other code
        return -k * x * x

    decay2.__name__ = decay2.__qualname__ = "decay"
    other = bp.odeint(decay2, method="rk4")
    assert inspect.getsourcefile(other) != path  # never shares Numba's cache with decay
    assert other(2.0, 0.0, 1.0) != again(2.0, 0.0, 1.0)


def test_show_code(capsys):
    bp.odeint(decay, method="midpoint", show_code=True)
    out = capsys.readouterr().out
    assert "def midpoint_step(x, t, k, dt=0.1):" in out and "derivative(x_2, t_2, k)" in out


def test_scalars_and_arrays_and_numba_dispatcher_as_derivative():
    import numba

    step = bp.odeint(numba.njit(decay), method="euler")
    assert step(np.array([1.0, 2.0]), 0.0, 1.0, dt=0.5).tolist() == [0.5, 1.0]
    assert step(1.0, 0.0, 1.0, dt=0.5) == 0.5


@pytest.mark.parametrize(
    "func,error,match",
    [
        (lambda x, k: -k * x, ValueError, "no argument named 't'"),
        (lambda t, k: -k, ValueError, "no state variable"),
        (lambda x, t, *ps: -x, ValueError, r"only plain positional arguments"),
        (lambda x, t, dt: -x, ValueError, "reserves"),
        (lambda x, t, derivative: -x, ValueError, "clash"),
        (lambda x, t, x_new: -x, ValueError, "clash"),
        ("rk4", TypeError, "did you mean odeint"),
        (3.0, TypeError, "must be a callable"),
    ],
)
def test_bad_derivative_functions(func, error, match):
    with pytest.raises(error, match=match):
        bp.odeint(func, method="euler") if not isinstance(func, str) else bp.odeint(func)


def test_bad_methods_and_dt():
    with pytest.raises(ValueError, match="Unknown ODE method 'rk5'.*'rk4'"):
        bp.odeint(decay, method="rk5")
    with pytest.raises(ValueError, match="Unknown SDE method 'heun'"):
        bp.sdeint(decay, decay, method="heun")
    for dt in (0.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="dt must be a positive"):
            bp.odeint(decay, dt=dt)
    with pytest.raises(TypeError, match="dt must be a positive number"):
        bp.odeint(decay, dt="0.1")


def test_bad_sde_functions():
    with pytest.raises(TypeError, match="needs the diffusion function g"):
        bp.sdeint(decay)
    with pytest.raises(ValueError, match=r"drift f has the variables \('x',\).*\('y',\)"):
        bp.sdeint(decay, lambda y, t: y)

    def g(x, t, sigma, k=1.0):  # g may add parameters of its own
        return sigma * x * k

    step = bp.sdeint(decay, g)
    assert step.parameters == ("k", "sigma") and step.g is g
    assert inspect.signature(step).parameters["sigma"].default is inspect.Parameter.empty
