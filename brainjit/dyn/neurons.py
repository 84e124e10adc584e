"""Neuron models: LIF, ExpIF, AdEx, Izhikevich, HH (Hodgkin–Huxley) and TraubHH
(the Traub–Miles HH neuron of Brian2's COBAHH benchmark).

Each is an ordinary ``NeuGroup`` subclass, written the way a user writes a model (see
``docs/models.md``): derivative functions at module level, integrated with
``bp.odeint`` (exponential Euler by default: exact for the linear leak with the input
held over the step), Variables created in ``__init__``, and an ``update(t, dt)`` that
is one ``bp.math.elementwise`` step per neuron (integration, refractory period, spike,
reset, and ``input`` set back to 0), written into the Variables with ``out=``: one
fused loop over the neurons in Numba code, the same operations on whole arrays on JAX
(``docs/models.md``, "Fast per-neuron updates").

Units: ms and mV throughout; ``input`` is a current in the model's units (``R * input``
in mV for the integrate-and-fire models, µA/cm² for HH, pA for TraubHH).

Spikes: ``spike`` is set in the step ``update(t, dt)`` in which the threshold is
crossed, and ``t_last_spike`` records that ``t``. A refractory period ``t_ref`` (ms)
clamps ``V`` at ``V_reset`` for the next ``round(t_ref / dt)`` steps (the test is
``t - t_last_spike < t_ref + dt / 2``, which is robust to rounding of ``t``).

Gradients (jax backend): every neuron takes ``spike_fun``, a surrogate spike function
(``bm.surrogate.Sigmoid()`` & co). By default (``None``) the spike is the exact test
``V >= V_th`` and ``spike`` is boolean: its gradient is 0, and a gradient that flows
through it warns (``bm.surrogate.ZeroGradientWarning``, naming the group). With a
surrogate, ``spike = spike_fun(V - V_th)`` (``V - V_th`` in mV, so ``alpha`` is per mV)
is a float array (``bm.dftype()``), exactly 0 or 1 forward (the same spikes as the
default), and the reset is differentiable: ``V = V_reset * spike + V * (1 - spike)``
(BrainPy's default, ``detach_spk=False``; the gradient flows through the reset too),
``w += b * spike`` / ``u += d * spike`` for the adaptation variables. The refractory
clamp and ``t_last_spike`` have no gradient with respect to the spike.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import NeuGroup, check_finite, check_nonnegative, check_positive
from brainjit.integrators import JointEq, odeint

__all__ = ["LIF", "ExpIF", "AdEx", "Izhikevich", "HH", "TraubHH"]

NEVER = -1e7  # t_last_spike before the first spike


def _spike_state(group: NeuGroup, V0, refractory: bool = True) -> None:
    """The Variables of the neuron models: V, input, spike, t_last_spike and (models with
    a refractory period) refractory. ``spike`` is boolean, or floats with a surrogate
    spike function (``group.spike_fun``)."""
    dtype = bm.dftype()  # float64 on numpy, float32 on jax, or bm.set_dfloat's
    group.V = bm.Variable(bm.asarray(bm.zeros(group.num, dtype=dtype) + V0, dtype=dtype))
    group.input = bm.Variable(bm.zeros(group.num, dtype=dtype))
    spike_dtype = bool if group.spike_fun is None else dtype
    group.spike = bm.Variable(bm.zeros(group.num, dtype=spike_dtype))
    group.t_last_spike = bm.Variable(bm.zeros(group.num, dtype=dtype) + NEVER)
    if refractory:
        group.refractory = bm.Variable(bm.zeros(group.num, dtype=bool))


def _check_threshold(owner: str, V_reset, V_th) -> None:
    if not np.all(np.asarray(V_reset) < np.asarray(V_th)):
        raise ValueError(f"{owner}: V_reset ({V_reset}) must be below V_th ({V_th})")


def _check_spike_fun(owner: str, spike_fun):
    """``spike_fun`` as a ``bm.surrogate.Surrogate`` (or None), else a TypeError."""
    if spike_fun is None or isinstance(spike_fun, bm.surrogate.Surrogate):
        return spike_fun
    classes = {
        getattr(bm.surrogate, name): cls
        for name, cls in (
            ("sigmoid", "Sigmoid"),
            ("fast_sigmoid", "FastSigmoid"),
            ("arctan", "Arctan"),
            ("piecewise_linear", "PiecewiseLinear"),
            ("piecewise_quadratic", "PiecewiseQuadratic"),
            ("gaussian", "Gaussian"),
        )
    }
    for function, cls in classes.items():  # bm.surrogate.sigmoid: its class, defaults
        if spike_fun is function:
            return getattr(bm.surrogate, cls)()
    raise TypeError(
        f"{owner}: spike_fun must be a surrogate spike function of bm.surrogate, e.g. "
        f"spike_fun=bm.surrogate.Sigmoid(alpha=4.0), or None; got {spike_fun!r}"
    )


_SPIKING: dict = {}  # key -> the spike helpers (shared, so that steps are shared too)


def _spiking(owner: str, spike_fun):
    """``(key, alpha, spike_of, reset, jump, fired, gate)``: how a step computes and uses
    spikes, as functions that compiled steps call (module docstring):

    - ``spike_of(V, V_th, alpha)``: the spike (boolean ``V >= V_th``, or floats
      ``spike_fun(V - V_th)``);
    - ``reset(spike, V_reset, V)``: ``V`` after the reset;
    - ``jump(spike, x, d)``: ``x + d`` where it spiked (adaptation variables);
    - ``fired(spike)``: a boolean (for ``t_last_spike`` and the refractory period):
      ``spike >= 1/2``, so that it is ``V >= V_th`` for a smooth step too
      (``origin=True``: every smooth step is 1/2 at 0);
    - ``gate(spike, condition)``: the spike where a boolean condition holds.
    """
    if spike_fun is None:
        threshold = bm.surrogate.exact_threshold(owner)  # warns when differentiated
        key, alpha = threshold, 0.0
    else:
        function = spike_fun.function
        key, alpha = function, spike_fun.alpha
    if key not in _SPIKING:
        if spike_fun is None:

            def spike_of(V, V_th, alpha):
                return threshold(V, V_th)

            def reset(spike, V_reset, V):
                return bm.where(spike, V_reset, V)

            def jump(spike, x, d):
                return bm.where(spike, x + d, x)

            def fired(spike):
                return spike

            def gate(spike, condition):
                return bm.logical_and(spike, condition)

        else:

            def spike_of(V, V_th, alpha):
                return function(V - V_th, alpha)

            def reset(spike, V_reset, V):
                return V_reset * spike + V * (1.0 - spike)

            def jump(spike, x, d):
                return x + d * spike

            def fired(spike):
                return spike >= 0.5  # f(0) = 1/2: also V >= V_th for a smooth step

            def gate(spike, condition):
                return spike * condition

        _SPIKING[key] = (spike_of, reset, jump, fired, gate)
    return (key, alpha) + _SPIKING[key]


_STEPS: dict = {}  # (class, method, spike key) -> (integral, step), both bm.elementwise


def _fused(cls, method, equations, make_step, spiking):
    """``(integral, step)``: ``equations()`` integrated by ``method`` (``bp.odeint``) and
    ``make_step(integral, spiking)``, a whole step of one neuron (integration,
    refractory period, spike and reset; ``spiking``: see :func:`_spiking`), both
    ``bm.elementwise``: one fused loop over the neurons in Numba code, whole arrays
    elsewhere. Made once per class, method and spike function and shared by the groups
    (one compilation for them all)."""
    key = (cls, method, spiking[0])
    if key not in _STEPS:
        integral = None if equations is None else odeint(equations(), method=method)
        step = bm.elementwise(make_step(integral, spiking))
        _STEPS[key] = (None if integral is None else bm.elementwise(integral)), step
    return _STEPS[key]


# -- leaky integrate-and-fire -----------------------------------------------------------


def lif_dV(V, t, I_ext, V_rest, R, tau):
    return (-V + V_rest + R * I_ext) / tau


def lif_exact(V, t, I_ext, V_rest, R, tau, dt=0.1):
    """The exact LIF step with the input held over the step: ``V`` relaxes towards
    ``V_rest + R I`` by the factor ``exp(-dt / tau)`` (one ``exp`` per step when ``tau``
    is a number, not one per neuron)."""
    V_inf = V_rest + R * I_ext
    return V_inf + (V - V_inf) * bm.exp(-dt / tau)


def _lif_exact_step(integral, spiking):
    """A whole LIF step per neuron with the exact integration (``method='exact'``;
    ``integral`` is unused: the step is written out)."""
    spike_of, reset, _, fired, _ = spiking[2:]

    def lif_exact_step(V, I_ext, t_last_spike, t, dt, V_rest, V_reset, V_th, R, tau, t_ref, alpha):
        """Integrate, hold refractory neurons, detect and reset spikes. Returns the new
        ``V``, ``spike``, ``t_last_spike`` and ``refractory``, and 0 for the input
        (cleared in the same pass: one pass less over memory)."""
        V_inf = V_rest + R * I_ext
        V_new = V_inf + (V - V_inf) * bm.exp(-dt / tau)
        refractory = (t - t_last_spike) < t_ref + 0.5 * dt
        V_new = bm.where(refractory, V, V_new)
        spike = spike_of(V_new, V_th, alpha)
        V_new = reset(spike, V_reset, V_new)
        now = fired(spike)
        return V_new, spike, bm.where(now, t, t_last_spike), bm.logical_or(refractory, now), 0.0

    return lif_exact_step


class LIF(NeuGroup):
    r"""Leaky integrate-and-fire neurons.

    .. math:: \tau \frac{dV}{dt} = -(V - V_{rest}) + R I

    When ``V >= V_th``: a spike, ``V = V_reset``, then ``V`` is held at ``V_reset`` for
    ``t_ref`` ms.

    Args:
        size: the number of neurons (or a shape).
        V_rest, V_reset, V_th: resting, reset and threshold potentials (mV).
        R: membrane resistance; ``tau``: membrane time constant (ms).
        t_ref: refractory period (ms).
        V_initial: the initial potential (default ``V_rest``).
        method: ``'exact'`` (default: the closed-form step for the input held over the
            step, :func:`lif_exact`; the same result as exponential Euler, computed with
            one ``exp`` per step) or any ``bp.odeint`` method for ``lif_dV``.
        spike_fun: None (the exact spike test; ``spike`` is boolean) or a surrogate
            spike function for gradients, e.g. ``bm.surrogate.Sigmoid(alpha=4.0)``
            (module docstring: float spikes, differentiable reset).

    Defaults: not a published cell. The LIF model has no canonical parameter set; the
    defaults are BrainPy's (``brainpy.dyn.LIF``): potentials relative to rest (``V_rest``
    0, ``V_th`` 20 mV above it, ``V_reset`` -5), ``tau`` 10 ms, ``R`` 1 (so ``input`` is
    in mV), no refractory period. Set them for the cell you model (e.g. the COBA/CUBA
    benchmarks of Brette et al. 2007, ``examples/coba.py``).
    """

    def __init__(
        self,
        size,
        V_rest=0.0,
        V_reset=-5.0,
        V_th=20.0,
        R=1.0,
        tau=10.0,
        t_ref=0.0,
        V_initial=None,
        method="exact",
        spike_fun=None,
        name=None,
    ):
        super().__init__(size, name=name)
        owner = f"LIF {self.name}"
        self.spike_fun = _check_spike_fun(owner, spike_fun)
        check_finite(owner, V_rest=V_rest, V_reset=V_reset, V_th=V_th, V_initial=V_initial)
        check_positive(owner, tau=tau, R=R)
        check_nonnegative(owner, t_ref=t_ref)
        _check_threshold(owner, V_reset, V_th)
        self.V_rest, self.V_reset, self.V_th = V_rest, V_reset, V_th
        self.R, self.tau, self.t_ref = R, tau, t_ref
        _spike_state(self, V_rest if V_initial is None else V_initial)
        self.exact = method == "exact"
        self._spiking = _spiking(owner, self.spike_fun)
        self.alpha = self._spiking[1]
        self.spike_of, self.reset, _, self.fired, _ = self._spiking[2:]
        # both branches of update() are compiled (numpy backend): step exists for any method
        self.step = _fused(LIF, "exact", None, _lif_exact_step, self._spiking)[1]
        self.integral = lif_exact if self.exact else odeint(lif_dV, method=method)

    def update(self, t, dt):
        if self.exact:
            self.step(
                self.V,
                self.input,
                self.t_last_spike,
                t,
                dt,
                self.V_rest,
                self.V_reset,
                self.V_th,
                self.R,
                self.tau,
                self.t_ref,
                self.alpha,
                out=(self.V, self.spike, self.t_last_spike, self.refractory, self.input),
            )
            return
        V = self.integral(self.V, t, self.input, self.V_rest, self.R, self.tau, dt=dt)
        refractory = (t - self.t_last_spike) < self.t_ref + 0.5 * dt
        V = bm.where(refractory, self.V, V)
        spike = self.spike_of(V, self.V_th, self.alpha)
        now = self.fired(spike)
        self.spike.value = spike
        self.t_last_spike.value = bm.where(now, t, self.t_last_spike)
        self.V.value = self.reset(spike, self.V_reset, V)
        self.refractory.value = bm.logical_or(refractory, now)
        self.input[:] = 0.0


# -- exponential integrate-and-fire -----------------------------------------------------


def expif_dV(V, t, I_ext, V_rest, V_T, delta_T, R, tau):
    exp_term = delta_T * bm.exp((V - V_T) / delta_T)
    return (-(V - V_rest) + exp_term + R * I_ext) / tau


def _expif_step(integral, spiking):
    """One ExpIF step of one neuron; returns the new ``V, spike, t_last_spike,
    refractory`` and 0, the input of the next step (cleared in the same pass)."""
    spike_of, reset, _, fired, _ = spiking[2:]

    def expif_step(
        V, I_ext, t_last_spike, t, dt, V_rest, V_T, delta_T, R, tau, V_reset, V_th, t_ref, alpha
    ):
        V_new = integral(V, t, I_ext, V_rest, V_T, delta_T, R, tau, dt=dt)
        refractory = (t - t_last_spike) < t_ref + 0.5 * dt
        V_new = bm.where(refractory, V, V_new)
        spike = spike_of(V_new, V_th, alpha)
        V_new = reset(spike, V_reset, V_new)
        now = fired(spike)
        return V_new, spike, bm.where(now, t, t_last_spike), bm.logical_or(refractory, now), 0.0

    return expif_step


class ExpIF(NeuGroup):
    r"""Exponential integrate-and-fire neurons (Fourcaud-Trocmé et al. 2003).

    .. math:: \tau \frac{dV}{dt} = -(V - V_{rest}) + \Delta_T e^{(V - V_T)/\Delta_T} + R I

    A spike when ``V >= V_th``; then ``V = V_reset`` and a refractory period ``t_ref``.

    Defaults: the EIF fit to the Wang–Buzsáki interneuron model in Fourcaud-Trocmé,
    Hansel, van Vreeswijk & Brunel (2003, J. Neurosci. 23:11628): ``tau`` = C / gL =
    10 ms (C 1 µF/cm², gL 0.1 mS/cm²), ``V_rest`` -65 mV, ``V_T`` -59.9 mV,
    ``delta_T`` 3.48 mV, reset -68 mV, refractory period 1.7 ms, spikes cut at -30 mV;
    ``R`` 1, so ``input`` is ``R I`` in mV (the same values as BrainPy's ``ExpIF``).
    """

    def __init__(
        self,
        size,
        V_rest=-65.0,
        V_reset=-68.0,
        V_th=-30.0,
        V_T=-59.9,
        delta_T=3.48,
        R=1.0,
        tau=10.0,
        t_ref=1.7,
        V_initial=None,
        method="exp_euler",
        spike_fun=None,
        name=None,
    ):
        super().__init__(size, name=name)
        owner = f"ExpIF {self.name}"
        self.spike_fun = _check_spike_fun(owner, spike_fun)
        check_finite(owner, V_rest=V_rest, V_reset=V_reset, V_th=V_th, V_T=V_T, V_initial=V_initial)
        check_positive(owner, tau=tau, R=R, delta_T=delta_T)
        check_nonnegative(owner, t_ref=t_ref)
        _check_threshold(owner, V_reset, V_th)
        self.V_rest, self.V_reset, self.V_th = V_rest, V_reset, V_th
        self.V_T, self.delta_T, self.R, self.tau, self.t_ref = V_T, delta_T, R, tau, t_ref
        _spike_state(self, V_rest if V_initial is None else V_initial)
        self._spiking = _spiking(owner, self.spike_fun)
        self.alpha = self._spiking[1]
        self.integral, self.step = _fused(
            ExpIF, method, lambda: expif_dV, _expif_step, self._spiking
        )

    def update(self, t, dt):
        self.step(
            self.V,
            self.input,
            self.t_last_spike,
            t,
            dt,
            self.V_rest,
            self.V_T,
            self.delta_T,
            self.R,
            self.tau,
            self.V_reset,
            self.V_th,
            self.t_ref,
            self.alpha,
            out=(self.V, self.spike, self.t_last_spike, self.refractory, self.input),
        )


# -- adaptive exponential integrate-and-fire ----------------------------------------------


def adex_dV(V, t, w, I_ext, V_rest, V_T, delta_T, R, tau):
    exp_term = delta_T * bm.exp((V - V_T) / delta_T)
    return (-(V - V_rest) + exp_term - R * w + R * I_ext) / tau


def adex_dw(w, t, V, V_rest, a, tau_w):
    return (a * (V - V_rest) - w) / tau_w


def _adex_step(integral, spiking):
    """One AdEx step of one neuron; returns the new ``V, w, spike, t_last_spike,
    refractory`` and 0, the input of the next step (cleared in the same pass)."""
    spike_of, reset, jump, fired, _ = spiking[2:]

    def adex_step(
        V,
        w,
        I_ext,
        t_last_spike,
        t,
        dt,
        V_rest,
        V_T,
        delta_T,
        R,
        tau,
        a,
        b,
        tau_w,
        V_reset,
        V_th,
        t_ref,
        alpha,
    ):
        V_new, w_new = integral(V, w, t, I_ext, V_rest, V_T, delta_T, R, tau, a, tau_w, dt=dt)
        refractory = (t - t_last_spike) < t_ref + 0.5 * dt
        V_new = bm.where(refractory, V, V_new)
        spike = spike_of(V_new, V_th, alpha)
        now = fired(spike)
        return (
            reset(spike, V_reset, V_new),
            jump(spike, w_new, b),
            spike,
            bm.where(now, t, t_last_spike),
            bm.logical_or(refractory, now),
            0.0,
        )

    return adex_step


class AdEx(NeuGroup):
    r"""Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005).

    .. math::
        \tau \frac{dV}{dt} = -(V - V_{rest}) + \Delta_T e^{(V - V_T)/\Delta_T} - R w + R I
        \qquad \tau_w \frac{dw}{dt} = a (V - V_{rest}) - w

    A spike when ``V >= V_th``; then ``V = V_reset``, ``w += b`` and an optional
    refractory period ``t_ref``. Variables: ``V``, ``w`` and the spike state.

    Defaults: the regular-spiking cell of Brette & Gerstner (2005, J. Neurophysiol.
    94:3637), Table 1: C = 281 pF, gL = 30 nS, EL = -70.6 mV, VT = -50.4 mV,
    ΔT = 2 mV, τw = 144 ms, a = 4 nS, b = 0.0805 nA, reset to EL, no refractory
    period; the paper's ``C dV/dt = -gL (V - EL) + gL ΔT exp(...) - w + I`` in this
    form with ``tau`` = C / gL = 9.37 ms and ``R`` = 1 / gL = 33.3 MΩ, so that ``w``,
    ``b`` and ``input`` are in nA and ``a`` in µS (nA/mV: 4 nS = 0.004). Spikes are cut
    at ``V_th`` = VT + 5 ΔT = -40.4 mV, as in Brian's example of the paper
    (``examples/frompapers/Brette_Gerstner_2005.py``). A 1 nA step makes it fire with
    adaptation.
    """

    def __init__(
        self,
        size,
        V_rest=-70.6,
        V_reset=-70.6,
        V_th=-40.4,
        V_T=-50.4,
        delta_T=2.0,
        a=0.004,
        b=0.0805,
        tau=281.0 / 30.0,
        tau_w=144.0,
        R=1000.0 / 30.0,
        t_ref=0.0,
        V_initial=None,
        method="exp_euler",
        spike_fun=None,
        name=None,
    ):
        super().__init__(size, name=name)
        owner = f"AdEx {self.name}"
        self.spike_fun = _check_spike_fun(owner, spike_fun)
        check_finite(
            owner,
            V_rest=V_rest,
            V_reset=V_reset,
            V_th=V_th,
            V_T=V_T,
            a=a,
            b=b,
            V_initial=V_initial,
        )
        check_positive(owner, tau=tau, tau_w=tau_w, R=R, delta_T=delta_T)
        check_nonnegative(owner, t_ref=t_ref)
        _check_threshold(owner, V_reset, V_th)
        self.V_rest, self.V_reset, self.V_th = V_rest, V_reset, V_th
        self.V_T, self.delta_T, self.a, self.b = V_T, delta_T, a, b
        self.tau, self.tau_w, self.R, self.t_ref = tau, tau_w, R, t_ref
        _spike_state(self, V_rest if V_initial is None else V_initial)
        self.w = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()))
        equations = lambda: JointEq(adex_dV, adex_dw)  # noqa: E731
        self._spiking = _spiking(owner, self.spike_fun)
        self.alpha = self._spiking[1]
        self.integral, self.step = _fused(AdEx, method, equations, _adex_step, self._spiking)

    def update(self, t, dt):
        self.step(
            self.V,
            self.w,
            self.input,
            self.t_last_spike,
            t,
            dt,
            self.V_rest,
            self.V_T,
            self.delta_T,
            self.R,
            self.tau,
            self.a,
            self.b,
            self.tau_w,
            self.V_reset,
            self.V_th,
            self.t_ref,
            self.alpha,
            out=(self.V, self.w, self.spike, self.t_last_spike, self.refractory, self.input),
        )


# -- Izhikevich ---------------------------------------------------------------------------


def izh_dV(V, t, u, I_ext):
    return 0.04 * V * V + 5.0 * V + 140.0 - u + I_ext


def izh_du(u, t, V, a, b):
    return a * (b * V - u)


def _izh_step(integral, spiking):
    """One Izhikevich step of one neuron; returns the new ``V, u, spike, t_last_spike,
    refractory`` and 0, the input of the next step (cleared in the same pass)."""
    spike_of, reset, jump, fired, _ = spiking[2:]

    def izhikevich_step(V, u, I_ext, t_last_spike, t, dt, a, b, c, d, V_th, t_ref, alpha):
        V_new, u_new = integral(V, u, t, I_ext, a, b, dt=dt)
        refractory = (t - t_last_spike) < t_ref + 0.5 * dt
        V_new = bm.where(refractory, V, V_new)
        spike = spike_of(V_new, V_th, alpha)
        now = fired(spike)
        return (
            reset(spike, c, V_new),
            jump(spike, u_new, d),
            spike,
            bm.where(now, t, t_last_spike),
            bm.logical_or(refractory, now),
            0.0,
        )

    return izhikevich_step


class Izhikevich(NeuGroup):
    r"""Izhikevich neurons (Izhikevich 2003).

    .. math::
        \frac{dV}{dt} = 0.04 V^2 + 5 V + 140 - u + I \qquad \frac{du}{dt} = a (b V - u)

    A spike when ``V >= V_th`` (30 mV); then ``V = c``, ``u += d`` and an optional
    refractory period ``t_ref``. ``u`` starts at ``b * V``.

    Defaults: the regular-spiking (RS) cell of Izhikevich (2003, IEEE Trans. Neural
    Netw. 14:1569), Fig. 2: a = 0.02, b = 0.2, c = -65 mV, d = 8, spike peak 30 mV, and
    ``V`` starting at -65 mV with ``u = b V`` as in the paper's MATLAB code.
    """

    def __init__(
        self,
        size,
        a=0.02,
        b=0.2,
        c=-65.0,
        d=8.0,
        V_th=30.0,
        t_ref=0.0,
        V_initial=-65.0,
        method="exp_euler",
        spike_fun=None,
        name=None,
    ):
        super().__init__(size, name=name)
        owner = f"Izhikevich {self.name}"
        self.spike_fun = _check_spike_fun(owner, spike_fun)
        check_finite(owner, a=a, b=b, c=c, d=d, V_th=V_th, V_initial=V_initial)
        check_nonnegative(owner, t_ref=t_ref)
        _check_threshold(owner, c, V_th)
        self.a, self.b, self.c, self.d = a, b, c, d
        self.V_th, self.t_ref = V_th, t_ref
        self.V_reset = c
        _spike_state(self, V_initial)
        self.u = bm.Variable(bm.asarray(self.V * b, dtype=self.V.dtype))
        equations = lambda: JointEq(izh_dV, izh_du)  # noqa: E731
        self._spiking = _spiking(owner, self.spike_fun)
        self.alpha = self._spiking[1]
        self.integral, self.step = _fused(Izhikevich, method, equations, _izh_step, self._spiking)

    def update(self, t, dt):
        self.step(
            self.V,
            self.u,
            self.input,
            self.t_last_spike,
            t,
            dt,
            self.a,
            self.b,
            self.c,
            self.d,
            self.V_th,
            self.t_ref,
            self.alpha,
            out=(self.V, self.u, self.spike, self.t_last_spike, self.refractory, self.input),
        )


# -- Hodgkin–Huxley -----------------------------------------------------------------------


def _x_over_expm1(x, k):
    """``x / (exp(x / k) - 1)``, finite at ``x == 0`` (where it tends to ``k``)."""
    x = x + (x == 0.0) * 1e-6
    return x / bm.expm1(x / k)


def hh_dV(V, t, m, h, n, I_ext, gNa, ENa, gK, EK, gL, EL, C):
    INa = gNa * m * m * m * h * (V - ENa)
    IK = gK * n * n * n * n * (V - EK)
    IL = gL * (V - EL)
    return (-INa - IK - IL + I_ext) / C


def hh_dm(m, t, V):
    alpha = 0.1 * _x_over_expm1(-(V + 40.0), 10.0)
    beta = 4.0 * bm.exp(-(V + 65.0) / 18.0)
    return alpha * (1.0 - m) - beta * m


def hh_dh(h, t, V):
    alpha = 0.07 * bm.exp(-(V + 65.0) / 20.0)
    beta = 1.0 / (1.0 + bm.exp(-(V + 35.0) / 10.0))
    return alpha * (1.0 - h) - beta * h


def hh_dn(n, t, V):
    alpha = 0.01 * _x_over_expm1(-(V + 55.0), 10.0)
    beta = 0.125 * bm.exp(-(V + 65.0) / 80.0)
    return alpha * (1.0 - n) - beta * n


def _steady_state(rates, V):
    """m, h, n at rest: alpha / (alpha + beta) of each gate at potential V (NumPy)."""
    out = []
    for alpha, beta in rates(np.asarray(V, dtype=float)):
        out.append(alpha / (alpha + beta))
    return out


def _hh_rates(V):
    def ratio(x, k):
        return x / np.expm1(x / k)

    return (
        (0.1 * ratio(-(V + 40.0), 10.0), 4.0 * np.exp(-(V + 65.0) / 18.0)),
        (0.07 * np.exp(-(V + 65.0) / 20.0), 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))),
        (0.01 * ratio(-(V + 55.0), 10.0), 0.125 * np.exp(-(V + 65.0) / 80.0)),
    )


_HH_STEPS: dict = {}  # (class, method) -> (integral, step), both bm.elementwise


class HH(NeuGroup):
    r"""Hodgkin–Huxley neurons (the squid axon model, Hodgkin & Huxley 1952).

    .. math::
        C \frac{dV}{dt} = -g_{Na} m^3 h (V - E_{Na}) - g_K n^4 (V - E_K) - g_L (V - E_L) + I

    with the gates ``m``, ``h``, ``n`` (``dx/dt = alpha_x(V) (1 - x) - beta_x(V) x``).
    Units: mV, ms, mS/cm², µF/cm², µA/cm². A spike is counted when ``V`` crosses
    ``V_th`` upwards (no reset). The gates start at their steady state at
    ``V_initial``. Integrated with exponential Euler (each equation is linear in its own
    variable), as Brian2 does.

    Defaults: the squid giant axon of Hodgkin & Huxley (1952, J. Physiol. 117:500),
    Table 3 (gNa 120, gK 36, gL 0.3 mS/cm², C 1 µF/cm²), in the modern convention
    (potentials shifted so that the cell rests at -65 mV: ENa 50, EK -77, EL -54.387 mV;
    as in Dayan & Abbott 2001, sec. 5.6, where gL is 0.003 mS/mm²). With no input the
    model rests at -65.0 mV. ``V_th`` (20 mV) only counts spikes.
    """

    rates = staticmethod(_hh_rates)
    #: parameters of a subclass, set before ``HH.__init__``, that it checks too
    _extra_parameters: tuple[str, ...] = ()

    def __init__(
        self,
        size,
        ENa=50.0,
        gNa=120.0,
        EK=-77.0,
        gK=36.0,
        EL=-54.387,
        gL=0.3,
        C=1.0,
        V_th=20.0,
        V_initial=-65.0,
        method="exp_euler",
        spike_fun=None,
        name=None,
    ):
        super().__init__(size, name=name)
        owner = f"{type(self).__name__} {self.name}"
        self.spike_fun = _check_spike_fun(owner, spike_fun)
        extra = {key: getattr(self, key) for key in self._extra_parameters}
        check_finite(owner, ENa=ENa, EK=EK, EL=EL, V_th=V_th, V_initial=V_initial, **extra)
        check_nonnegative(owner, gNa=gNa, gK=gK, gL=gL)
        check_positive(owner, C=C)
        self.ENa, self.gNa, self.EK, self.gK, self.EL, self.gL = ENa, gNa, EK, gK, EL, gL
        self.C, self.V_th = C, V_th
        _spike_state(self, V_initial, refractory=False)
        m, h, n = _steady_state(self.rates, V_initial)
        dtype = bm.dftype()
        self.m = bm.Variable(bm.zeros(self.num, dtype=dtype) + float(m))
        self.h = bm.Variable(bm.zeros(self.num, dtype=dtype) + float(h))
        self.n = bm.Variable(bm.zeros(self.num, dtype=dtype) + float(n))
        # one fused loop over the neurons in Numba code (bm.elementwise): integration
        # and spike detection, the rates computed once per neuron, no temporary arrays.
        # Shared by the groups of a class and method (one compilation for them all).
        self._spiking = _spiking(owner, self.spike_fun)
        self.alpha = self._spiking[1]
        key = (type(self), method, self._spiking[0])
        if key not in _HH_STEPS:
            integral = odeint(self._equations(), method=method)
            step = self._step(integral, self._spiking)
            _HH_STEPS[key] = bm.elementwise(integral), bm.elementwise(step)
        self.integral, self.step = _HH_STEPS[key]

    def _equations(self):
        """The equations: the same for every group of the class (no instance state)."""
        return JointEq(hh_dV, hh_dm, hh_dh, hh_dn)

    @staticmethod
    def _step(integral, spiking):
        """One step of one neuron: ``integral``, then a spike where ``V`` crosses ``V_th``
        upwards; returns the new ``V, m, h, n, spike, t_last_spike`` and 0, the input of
        the next step (cleared in the same pass). With a surrogate, the spike is
        ``spike_fun(V_new - V_th)`` where ``V < V_th`` before the step (no reset)."""
        spike_of, _, _, fired, gate = spiking[2:]

        def hh_step(
            V, m, h, n, t_last_spike, t, I_ext, gNa, ENa, gK, EK, gL, EL, C, V_th, dt, alpha
        ):
            V_new, m_new, h_new, n_new = integral(
                V, m, h, n, t, I_ext, gNa, ENa, gK, EK, gL, EL, C, dt=dt
            )
            spike = gate(spike_of(V_new, V_th, alpha), V < V_th)
            return V_new, m_new, h_new, n_new, spike, bm.where(fired(spike), t, t_last_spike), 0.0

        return hh_step

    def update(self, t, dt):
        self.step(
            self.V,
            self.m,
            self.h,
            self.n,
            self.t_last_spike,
            t,
            self.input,
            self.gNa,
            self.ENa,
            self.gK,
            self.EK,
            self.gL,
            self.EL,
            self.C,
            self.V_th,
            dt,
            self.alpha,
            out=(self.V, self.m, self.h, self.n, self.spike, self.t_last_spike, self.input),
        )


def traub_dm(m, t, V, VT):
    alpha = 0.32 * _x_over_expm1(13.0 - V + VT, 4.0)
    beta = 0.28 * _x_over_expm1(V - VT - 40.0, 5.0)
    return alpha * (1.0 - m) - beta * m


def traub_dh(h, t, V, VT):
    alpha = 0.128 * bm.exp((17.0 - V + VT) / 18.0)
    beta = 4.0 / (1.0 + bm.exp((40.0 - V + VT) / 5.0))
    return alpha * (1.0 - h) - beta * h


def traub_dn(n, t, V, VT):
    alpha = 0.032 * _x_over_expm1(15.0 - V + VT, 5.0)
    beta = 0.5 * bm.exp((10.0 - V + VT) / 40.0)
    return alpha * (1.0 - n) - beta * n


class TraubHH(HH):
    r"""The Traub–Miles Hodgkin–Huxley neuron of Brian2's COBAHH example (Brette et al.
    2007), with its parameters as the defaults.

    Same equations for ``V`` as :class:`HH`, with the rate functions of Traub & Miles
    (1991) shifted by ``VT``:
    ``alpha_m = 0.32 (13 - V + VT) / (exp((13 - V + VT) / 4) - 1)``,
    ``beta_m = 0.28 (V - VT - 40) / (exp((V - VT - 40) / 5) - 1)``,
    ``alpha_h = 0.128 exp((17 - V + VT) / 18)``,
    ``beta_h = 4 / (1 + exp((40 - V + VT) / 5))``,
    ``alpha_n = 0.032 (15 - V + VT) / (exp((15 - V + VT) / 5) - 1)``,
    ``beta_n = 0.5 exp((10 - V + VT) / 40)`` (per ms).

    Units for a cell of 20000 µm²: capacitance ``C`` in pF (200), conductances in nS
    (``gL`` 10, ``gNa`` 20000, ``gK`` 6000), potentials in mV, ``input`` in pA (so a
    conductance synapse with weights in nS feeds it directly). A spike is counted when
    ``V`` crosses ``V_th`` = -20 mV upwards.

    Defaults: the COBAHH benchmark of Brette et al. (2007, J. Comput. Neurosci.
    23:349), Benchmark 3 (after Traub & Miles 1991), as in Brian2's
    ``examples/COBAHH.py``: a 20000 µm² cell with C 1 µF/cm², gL 5e-5 S/cm², gNa
    100 mS/cm², gK 30 mS/cm² (so 200 pF, 10, 20000 and 6000 nS), ENa 50, EK -90,
    EL -60, VT -63 mV, threshold -20 mV; ``V`` starts at EL.
    """

    _extra_parameters = ("VT",)

    def __init__(
        self,
        size,
        ENa=50.0,
        gNa=20000.0,
        EK=-90.0,
        gK=6000.0,
        EL=-60.0,
        gL=10.0,
        C=200.0,
        VT=-63.0,
        V_th=-20.0,
        V_initial=-60.0,
        method="exp_euler",
        spike_fun=None,
        name=None,
    ):
        self.VT = VT
        super().__init__(
            size,
            ENa=ENa,
            gNa=gNa,
            EK=EK,
            gK=gK,
            EL=EL,
            gL=gL,
            C=C,
            V_th=V_th,
            V_initial=V_initial,
            method=method,
            spike_fun=spike_fun,
            name=name,
        )

    def rates(self, V):
        VT = self.VT

        def ratio(x, k):
            return x / np.expm1(x / k)

        return (
            (0.32 * ratio(13.0 - V + VT, 4.0), 0.28 * ratio(V - VT - 40.0, 5.0)),
            (0.128 * np.exp((17.0 - V + VT) / 18.0), 4.0 / (1.0 + np.exp((40.0 - V + VT) / 5.0))),
            (0.032 * ratio(15.0 - V + VT, 5.0), 0.5 * np.exp((10.0 - V + VT) / 40.0)),
        )

    def _equations(self):
        return JointEq(hh_dV, traub_dm, traub_dh, traub_dn)

    @staticmethod
    def _step(integral, spiking):
        spike_of, _, _, fired, gate = spiking[2:]

        def traub_hh_step(
            V, m, h, n, t_last_spike, t, I_ext, gNa, ENa, gK, EK, gL, EL, C, VT, V_th, dt, alpha
        ):
            V_new, m_new, h_new, n_new = integral(
                V, m, h, n, t, I_ext, gNa, ENa, gK, EK, gL, EL, C, VT, dt=dt
            )
            spike = gate(spike_of(V_new, V_th, alpha), V < V_th)
            return V_new, m_new, h_new, n_new, spike, bm.where(fired(spike), t, t_last_spike), 0.0

        return traub_hh_step

    def update(self, t, dt):
        self.step(
            self.V,
            self.m,
            self.h,
            self.n,
            self.t_last_spike,
            t,
            self.input,
            self.gNa,
            self.ENa,
            self.gK,
            self.EK,
            self.gL,
            self.EL,
            self.C,
            self.VT,
            self.V_th,
            dt,
            self.alpha,
            out=(self.V, self.m, self.h, self.n, self.spike, self.t_last_spike, self.input),
        )
