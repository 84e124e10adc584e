"""The cells of ``brainjit.pynn``: PyNN's standard cell types as brainjit ``NeuGroup``s,
each stepped by fused ``bm.elementwise`` functions (one per step; for the types
integrated in substeps, one per substep in a loop of ``update``: a loop inside a fused
function would keep Numba from vectorising it over the cells), following the NEST model
that ``pyNN.nest`` maps the type to (its update order, its refractoriness, its units).

Units are PyNN's: ms, mV, nA, nF, µS (``a`` of the AdEx cells in nS, as PyNN has it).
Parameters are per-cell Variables (``cell.p[name]``); the state Variables have PyNN's
names (``v``, ``isyn_exc``, ``gsyn_exc``, ``w``, ``u``, ``m``, ``h``, ``n``), plus
``refr`` (refractory steps left) and the derivative states of alpha synapses
(``disyn_exc``, ``dgsyn_exc``, ...).

Order within the step from ``t`` to ``t + dt`` (NEST's): the membrane (and the other
continuous state) is integrated over the step with the synaptic input present at
``t``; then the weights arriving in this step (``exc_in``, ``inh_in``) enter the
synapses (current-based and conductance-based cells) or the membrane (delta synapses:
``IF_curr_delta``, ``Izhikevich``), and the threshold is tested; a spike is stamped
``t + dt``. ``i_inj`` is the current of the sources in this step (nA).

How each type integrates:

- ``IF_curr_exp``, ``IF_curr_alpha``, ``IF_curr_delta`` (``iaf_psc_exp``,
  ``iaf_psc_alpha``, ``iaf_psc_delta``): linear, integrated exactly with NEST's
  propagators; spikes arriving at a refractory ``IF_curr_delta`` are lost (NEST's
  default ``refractory_input=False``).
- ``IF_cond_exp``, ``IF_cond_alpha`` (``iaf_cond_exp``, ``iaf_cond_alpha``): the
  conductances are exact functions of time within the step; the membrane is integrated
  by one RK4 step (NEST: adaptive RKF45 at an absolute tolerance of 1e-3), the potential
  in the equations capped at ``v_thresh`` and frozen while refractory, as NEST does.
  No loop inside the step, so that Numba vectorises it (as fast as ``IF_curr_exp``).
- ``EIF_cond_exp_isfa_ista``, ``EIF_cond_alpha_isfa_ista`` (``aeif_cond_exp``,
  ``aeif_cond_alpha``): RK4 on ``v`` and ``w`` in substeps of at most 0.01 ms (NEST's
  first adaptive step), the spike tested after each substep as NEST tests it after each
  of its own, so that the reset and ``w += b`` happen within the step; refractory for
  the rest of that step and ``tau_refrac`` after it.
- ``HH_cond_exp`` (``hh_cond_exp_traub``): RK4 in substeps of at most 0.01 ms; a spike
  when ``v >= v_offset + 30`` mV and ``v`` fell during the step, then 2 ms (NEST's
  ``t_ref``; PyNN has no parameter for it) without spikes; no reset.
- ``Izhikevich`` (``izhikevich``): NEST's forward Euler step (``consistent_integration``),
  threshold 30 mV; currents enter ``dv/dt`` in pA as numbers (NEST's ``I_e``: 1 nA of
  ``i_offset`` adds 1000 mV/ms), synaptic weights are mV jumps.
"""

from __future__ import annotations

import math

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import NeuGroup
from brainjit.pynn._models import _Parameters

E = math.e


class PyNNCell(_Parameters, NeuGroup):
    """Base class of the cells of ``brainjit.pynn``.

    Args:
        size: the number of cells.
        parameters: ``{native name: number or array}``, every name of ``param_names``.
        dt: the time step (ms) of the simulation.

    Attributes: ``p`` (a dict of the parameter Variables, by native name), the state
    Variables named in ``state_names``, ``spike`` (bool), ``exc_in`` / ``inh_in``
    (the weights arriving in this step, per cell; synapses add to them) and ``i_inj``
    (nA from current sources, this step).
    """

    param_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    #: the longest substep (ms) of the models integrated in substeps (None: one step)
    max_substep: float | None = None

    def __init__(self, size, parameters: dict, dt: float, name=None):
        super().__init__(size, name=name)
        missing = set(self.param_names) - set(parameters)
        if missing:
            raise ValueError(f"{type(self).__name__}: missing parameters {sorted(missing)}")
        self.dt = float(dt)
        self._make_parameters(parameters)
        zeros = np.zeros(self.num)
        for key in self.state_names:
            setattr(self, key, bm.Variable(bm.asarray(zeros, dtype=bm.dftype())))
        self.spike = bm.Variable(bm.zeros(self.num, dtype=bool))
        self.exc_in = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()))
        self.inh_in = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()))
        self.i_inj = bm.Variable(bm.zeros(self.num, dtype=bm.dftype()))
        #: substeps per step (a constant of the compiled loop)
        self.substeps = 1
        if self.max_substep is not None:
            self.substeps = max(1, math.ceil(self.dt / self.max_substep - 1e-9))
        self._coefficients = {}
        self._refresh_coefficients()

    def coefficients(self, p: dict, dt: float) -> dict:
        """Per-cell constants of the step derived from the parameters (e.g. NEST's
        propagators ``exp(-dt / tau_m)``), ``{name: NumPy array}`` from ``p`` (the
        parameters as float64 NumPy arrays): computed on the host in float64 when the
        cell is made and whenever ``set_native`` changes a parameter, kept in Variables
        ``c_<name>``, so that the compiled step does not recompute them in every step.
        None by default."""
        return {}

    def _refresh_coefficients(self) -> None:
        p = {key: self.get_native(key) for key in self.param_names}
        with bm.backend("numpy"):  # host arithmetic in float64, whatever the backend
            values = {
                k: np.asarray(v, dtype=float) for k, v in self.coefficients(p, self.dt).items()
            }
        for key, value in values.items():
            value = bm.asarray(np.broadcast_to(value, (self.num,)).copy(), dtype=bm.dftype())
            if key in self._coefficients:
                self._coefficients[key].value = value
            else:
                var = bm.Variable(value)
                setattr(self, "c_" + key, var)
                self._coefficients[key] = var

    def set_native(self, name: str, index, value) -> None:
        super().set_native(name, index, value)
        self._refresh_coefficients()

    def dynamic_variables(self) -> list:
        """The Variables that change during a run (not parameters): reset() zeroes them
        before the initial values are written again."""
        names = list(self.state_names) + ["spike", "exc_in", "inh_in", "i_inj"]
        return [getattr(self, key) for key in names]


# -- propagators of the linear models (NEST's) ---------------------------------------------


def _psc_propagator(tau_s, tau_m, cm, dt):
    """The voltage response over one step of ``dt`` to a unit exponential current of
    time constant ``tau_s`` (NEST's P21 / P32): ``tau_s tau_m / (cm (tau_m - tau_s))
    (exp(-dt/tau_m) - exp(-dt/tau_s))``, with its limit ``dt/cm exp(-dt/tau_m)`` for
    ``tau_s == tau_m``."""
    e_m = bm.exp(-dt / tau_m)
    e_s = bm.exp(-dt / tau_s)
    diff = tau_m - tau_s
    same = bm.abs(diff) < 1e-10 * tau_m
    safe = bm.where(same, 1.0, diff)
    general = tau_s * tau_m / (cm * safe) * (e_m - e_s)
    return bm.where(same, dt / cm * e_m, general)


def _alpha_propagator(tau_s, tau_m, cm, dt):
    """The voltage response over one step of ``dt`` to the derivative state ``dI`` of
    an alpha current (``dI' = -dI/tau_s``, ``I' = dI - I/tau_s``; NEST's P31):
    ``exp(-dt/tau_m)/cm * integral_0^dt s exp(a s) ds`` with ``a = 1/tau_m - 1/tau_s``;
    a series in ``a dt`` where the closed form would cancel (``|a dt| < 0.1``)."""
    e_m = bm.exp(-dt / tau_m)
    e_s = bm.exp(-dt / tau_s)
    a = 1.0 / tau_m - 1.0 / tau_s
    x = a * dt
    small = bm.abs(x) < 0.1
    safe = bm.where(small, 1.0, a)
    closed = (dt * e_s / safe - (e_s - e_m) / (safe * safe)) / cm
    # integral_0^dt s e^{as} ds = dt^2 sum_k x^k / (k! (k + 2))
    series = 0.5 + x * (
        1.0 / 3.0 + x * (1.0 / 8.0 + x * (1.0 / 30.0 + x * (1.0 / 144.0 + x / 840.0)))
    )
    return bm.where(small, e_m * dt * dt * series / cm, closed)


# -- current-based integrate-and-fire cells ------------------------------------------------

_LIF_PARAMS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")


@bm.elementwise
def if_curr_exp_step(
    v, isyn_exc, isyn_inh, refr, exc_in, inh_in, i_inj,
    p22, p20, p21e, p21i, decay_E, decay_I, v_rest, v_reset, v_thresh, refr_steps, i_offset,
):  # fmt: skip
    """One step of ``IF_curr_exp`` (exact integration, NEST's ``iaf_psc_exp``), with the
    propagators of :meth:`IFCurrExp.coefficients`."""
    free = refr <= 0.0
    v_free = v_rest + (v - v_rest) * p22 + isyn_exc * p21e + isyn_inh * p21i
    v_free = v_free + (i_offset + i_inj) * p20
    v_new = bm.where(free, v_free, v)
    refr = bm.where(free, refr, refr - 1.0)
    isyn_exc = isyn_exc * decay_E + exc_in
    isyn_inh = isyn_inh * decay_I + inh_in
    spike = v_new >= v_thresh
    v_new = bm.where(spike, v_reset, v_new)
    refr = bm.where(spike, refr_steps, refr)
    zero = 0.0 * exc_in
    return v_new, isyn_exc, isyn_inh, refr, spike, zero, zero, zero


class IFCurrExp(PyNNCell):
    """PyNN's ``IF_curr_exp``: a leaky integrate-and-fire neuron with exponentially
    decaying synaptic currents, integrated exactly (NEST's ``iaf_psc_exp``)."""

    param_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I")
    state_names = ("v", "isyn_exc", "isyn_inh", "refr")

    def coefficients(self, p, dt):
        return {
            "p22": np.exp(-dt / p["tau_m"]),
            "p20": -p["tau_m"] / p["cm"] * np.expm1(-dt / p["tau_m"]),
            "p21e": _psc_propagator(p["tau_syn_E"], p["tau_m"], p["cm"], dt),
            "p21i": _psc_propagator(p["tau_syn_I"], p["tau_m"], p["cm"], dt),
            "decay_E": np.exp(-dt / p["tau_syn_E"]),
            "decay_I": np.exp(-dt / p["tau_syn_I"]),
            "refr_steps": np.round(p["tau_refrac"] / dt),
        }

    def update(self, t, dt):
        if_curr_exp_step(
            self.v, self.isyn_exc, self.isyn_inh, self.refr, self.exc_in, self.inh_in,
            self.i_inj, self.c_p22, self.c_p20, self.c_p21e, self.c_p21i, self.c_decay_E,
            self.c_decay_I, self.p_v_rest, self.p_v_reset, self.p_v_thresh,
            self.c_refr_steps, self.p_i_offset,
            out=(self.v, self.isyn_exc, self.isyn_inh, self.refr, self.spike, self.exc_in,
                 self.inh_in, self.i_inj),
        )  # fmt: skip


@bm.elementwise
def if_curr_alpha_step(
    v, isyn_exc, disyn_exc, isyn_inh, disyn_inh, refr, exc_in, inh_in, i_inj, dt,
    cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, tau_syn_E, tau_syn_I,
):  # fmt: skip
    """One step of ``IF_curr_alpha`` (exact integration, NEST's ``iaf_psc_alpha``): a
    weight ``w`` makes the current ``w t/tau e^(1 - t/tau)`` (peak ``w`` at ``tau``)."""
    p22 = bm.exp(-dt / tau_m)
    p20 = -tau_m / cm * bm.expm1(-dt / tau_m)
    p31e = _alpha_propagator(tau_syn_E, tau_m, cm, dt)
    p32e = _psc_propagator(tau_syn_E, tau_m, cm, dt)
    p31i = _alpha_propagator(tau_syn_I, tau_m, cm, dt)
    p32i = _psc_propagator(tau_syn_I, tau_m, cm, dt)
    free = refr <= 0.0
    v_free = v_rest + (v - v_rest) * p22 + (i_offset + i_inj) * p20
    v_free = v_free + p31e * disyn_exc + p32e * isyn_exc + p31i * disyn_inh + p32i * isyn_inh
    v_new = bm.where(free, v_free, v)
    refr = bm.where(free, refr, refr - 1.0)
    e_e = bm.exp(-dt / tau_syn_E)
    e_i = bm.exp(-dt / tau_syn_I)
    isyn_exc = (isyn_exc + dt * disyn_exc) * e_e
    disyn_exc = disyn_exc * e_e + E / tau_syn_E * exc_in
    isyn_inh = (isyn_inh + dt * disyn_inh) * e_i
    disyn_inh = disyn_inh * e_i + E / tau_syn_I * inh_in
    spike = v_new >= v_thresh
    v_new = bm.where(spike, v_reset, v_new)
    refr = bm.where(spike, bm.round(tau_refrac / dt), refr)
    zero = 0.0 * exc_in
    return v_new, isyn_exc, disyn_exc, isyn_inh, disyn_inh, refr, spike, zero, zero, zero


class IFCurrAlpha(PyNNCell):
    """PyNN's ``IF_curr_alpha``: a leaky integrate-and-fire neuron with alpha-shaped
    synaptic currents, integrated exactly (NEST's ``iaf_psc_alpha``)."""

    param_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I")
    state_names = ("v", "isyn_exc", "disyn_exc", "isyn_inh", "disyn_inh", "refr")

    def update(self, t, dt):
        if_curr_alpha_step(
            self.v,
            self.isyn_exc,
            self.disyn_exc,
            self.isyn_inh,
            self.disyn_inh,
            self.refr,
            self.exc_in,
            self.inh_in,
            self.i_inj,
            dt,
            self.p_cm,
            self.p_tau_m,
            self.p_v_rest,
            self.p_v_reset,
            self.p_v_thresh,
            self.p_tau_refrac,
            self.p_i_offset,
            self.p_tau_syn_E,
            self.p_tau_syn_I,
            out=(
                self.v,
                self.isyn_exc,
                self.disyn_exc,
                self.isyn_inh,
                self.disyn_inh,
                self.refr,
                self.spike,
                self.exc_in,
                self.inh_in,
                self.i_inj,
            ),
        )


@bm.elementwise
def if_curr_delta_step(
    v, refr, exc_in, inh_in, i_inj, dt,
    cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset,
):  # fmt: skip
    """One step of ``IF_curr_delta`` (exact integration, NEST's ``iaf_psc_delta``): the
    weights (mV) arriving in the step jump ``v``; lost while refractory."""
    p22 = bm.exp(-dt / tau_m)
    p20 = -tau_m / cm * bm.expm1(-dt / tau_m)
    free = refr <= 0.0
    v_free = v_rest + (v - v_rest) * p22 + (i_offset + i_inj) * p20 + exc_in + inh_in
    v_new = bm.where(free, v_free, v)
    refr = bm.where(free, refr, refr - 1.0)
    spike = v_new >= v_thresh
    v_new = bm.where(spike, v_reset, v_new)
    refr = bm.where(spike, bm.round(tau_refrac / dt), refr)
    zero = 0.0 * exc_in
    return v_new, refr, spike, zero, zero, zero


class IFCurrDelta(PyNNCell):
    """PyNN's ``IF_curr_delta``: a leaky integrate-and-fire neuron whose synaptic inputs
    are jumps of the membrane potential (weights in mV; NEST's ``iaf_psc_delta``)."""

    param_names = _LIF_PARAMS
    state_names = ("v", "refr")

    def update(self, t, dt):
        if_curr_delta_step(
            self.v,
            self.refr,
            self.exc_in,
            self.inh_in,
            self.i_inj,
            dt,
            self.p_cm,
            self.p_tau_m,
            self.p_v_rest,
            self.p_v_reset,
            self.p_v_thresh,
            self.p_tau_refrac,
            self.p_i_offset,
            out=(self.v, self.refr, self.spike, self.exc_in, self.inh_in, self.i_inj),
        )


# -- conductance-based integrate-and-fire cells --------------------------------------------


def _cond_lif_dv(v, ge, gi, g_leak, v_rest, e_rev_E, e_rev_I, cm, i_tot, v_thresh):
    """``dv/dt`` of a conductance-based LIF, ``v`` capped at ``v_thresh`` (NEST)."""
    vv = bm.minimum(v, v_thresh)
    return (g_leak * (v_rest - vv) + ge * (e_rev_E - vv) + gi * (e_rev_I - vv) + i_tot) / cm


def _cond_lif_rk4(v, h, ge0, ge_h, ge_1, gi0, gi_h, gi_1, cm, tau_m, v_rest, i_tot, v_thresh,
                  e_rev_E, e_rev_I):  # fmt: skip
    """One RK4 substep ``h`` of a conductance-based LIF membrane, the conductances given
    at the substep's start, middle and end."""
    gl = cm / tau_m
    k1 = _cond_lif_dv(v, ge0, gi0, gl, v_rest, e_rev_E, e_rev_I, cm, i_tot, v_thresh)
    k2 = _cond_lif_dv(
        v + 0.5 * h * k1, ge_h, gi_h, gl, v_rest, e_rev_E, e_rev_I, cm, i_tot, v_thresh
    )
    k3 = _cond_lif_dv(
        v + 0.5 * h * k2, ge_h, gi_h, gl, v_rest, e_rev_E, e_rev_I, cm, i_tot, v_thresh
    )
    k4 = _cond_lif_dv(v + h * k3, ge_1, gi_1, gl, v_rest, e_rev_E, e_rev_I, cm, i_tot, v_thresh)
    return v + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def _lif_threshold(v, refr, v_reset, v_thresh, tau_refrac, dt):
    """NEST's end of a conductance-based LIF step: a refractory cell counts down with
    ``v`` held at ``v_reset``; a free one at or above ``v_thresh`` spikes and resets."""
    free = refr <= 0.0
    v = bm.where(free, v, v_reset)
    refr = bm.where(free, refr, refr - 1.0)
    spike = bm.logical_and(free, v >= v_thresh)
    v = bm.where(spike, v_reset, v)
    refr = bm.where(spike, bm.round(tau_refrac / dt), refr)
    return v, refr, spike


@bm.elementwise
def if_cond_exp_step(
    v, ge, gi, refr, exc_in, inh_in, i_inj, dt, ee, ei,
    cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, e_rev_E, e_rev_I,
):  # fmt: skip
    """One step of ``IF_cond_exp`` (NEST's ``iaf_cond_exp``): exponential conductances
    exact in time (``ee``, ``ei``: their decay over half a step,
    :meth:`IFCondExp.coefficients`), the membrane by one RK4 step (frozen while
    refractory), then the arriving weights (µS) join the conductances."""
    ge_h = ge * ee
    gi_h = gi * ei
    ge_1 = ge_h * ee
    gi_1 = gi_h * ei
    v_t = _cond_lif_rk4(
        v, dt, ge, ge_h, ge_1, gi, gi_h, gi_1, cm, tau_m, v_rest, i_offset + i_inj,
        v_thresh, e_rev_E, e_rev_I,
    )  # fmt: skip
    v_new, refr, spike = _lif_threshold(v_t, refr, v_reset, v_thresh, tau_refrac, dt)
    zero = 0.0 * exc_in
    return v_new, ge_1 + exc_in, gi_1 + inh_in, refr, spike, zero, zero, zero


@bm.elementwise
def if_cond_alpha_step(
    v, ge, dge, gi, dgi, refr, exc_in, inh_in, i_inj, dt,
    cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, tau_syn_E, tau_syn_I,
    e_rev_E, e_rev_I,
):  # fmt: skip
    """One step of ``IF_cond_alpha`` (NEST's ``iaf_cond_alpha``): alpha conductances
    (``dg' = -dg/tau``, ``g' = dg - g/tau``) exact in time, the membrane by one RK4
    step; a weight ``w`` makes ``g`` peak at ``w`` after ``tau``."""
    ee = bm.exp(-0.5 * dt / tau_syn_E)
    ei = bm.exp(-0.5 * dt / tau_syn_I)
    ge_h = (ge + 0.5 * dt * dge) * ee
    gi_h = (gi + 0.5 * dt * dgi) * ei
    ge_1 = (ge + dt * dge) * ee * ee
    gi_1 = (gi + dt * dgi) * ei * ei
    v_t = _cond_lif_rk4(
        v, dt, ge, ge_h, ge_1, gi, gi_h, gi_1, cm, tau_m, v_rest, i_offset + i_inj,
        v_thresh, e_rev_E, e_rev_I,
    )  # fmt: skip
    v_new, refr, spike = _lif_threshold(v_t, refr, v_reset, v_thresh, tau_refrac, dt)
    dge = dge * ee * ee + E / tau_syn_E * exc_in
    dgi = dgi * ei * ei + E / tau_syn_I * inh_in
    zero = 0.0 * exc_in
    return v_new, ge_1, dge, gi_1, dgi, refr, spike, zero, zero, zero


_COND_LIF_PARAMS = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")


class IFCondExp(PyNNCell):
    """PyNN's ``IF_cond_exp``: a leaky integrate-and-fire neuron with exponentially
    decaying synaptic conductances (NEST's ``iaf_cond_exp``)."""

    param_names = _COND_LIF_PARAMS
    state_names = ("v", "gsyn_exc", "gsyn_inh", "refr")

    def coefficients(self, p, dt):
        return {
            "ee": np.exp(-0.5 * dt / p["tau_syn_E"]),
            "ei": np.exp(-0.5 * dt / p["tau_syn_I"]),
        }

    def update(self, t, dt):
        if_cond_exp_step(
            self.v, self.gsyn_exc, self.gsyn_inh, self.refr, self.exc_in, self.inh_in,
            self.i_inj, dt, self.c_ee, self.c_ei, self.p_cm, self.p_tau_m, self.p_v_rest,
            self.p_v_reset, self.p_v_thresh, self.p_tau_refrac, self.p_i_offset,
            self.p_e_rev_E, self.p_e_rev_I,
            out=(self.v, self.gsyn_exc, self.gsyn_inh, self.refr, self.spike, self.exc_in,
                 self.inh_in, self.i_inj),
        )  # fmt: skip


class IFCondAlpha(PyNNCell):
    """PyNN's ``IF_cond_alpha``: a leaky integrate-and-fire neuron with alpha-shaped
    synaptic conductances (NEST's ``iaf_cond_alpha``)."""

    param_names = _COND_LIF_PARAMS
    state_names = ("v", "gsyn_exc", "dgsyn_exc", "gsyn_inh", "dgsyn_inh", "refr")

    def update(self, t, dt):
        if_cond_alpha_step(
            self.v,
            self.gsyn_exc,
            self.dgsyn_exc,
            self.gsyn_inh,
            self.dgsyn_inh,
            self.refr,
            self.exc_in,
            self.inh_in,
            self.i_inj,
            dt,
            self.p_cm,
            self.p_tau_m,
            self.p_v_rest,
            self.p_v_reset,
            self.p_v_thresh,
            self.p_tau_refrac,
            self.p_i_offset,
            self.p_tau_syn_E,
            self.p_tau_syn_I,
            self.p_e_rev_E,
            self.p_e_rev_I,
            out=(
                self.v,
                self.gsyn_exc,
                self.dgsyn_exc,
                self.gsyn_inh,
                self.dgsyn_inh,
                self.refr,
                self.spike,
                self.exc_in,
                self.inh_in,
                self.i_inj,
            ),
        )


# -- adaptive exponential integrate-and-fire cells -----------------------------------------
#
# The substeps are a loop in ``update`` around a fused substep (a loop inside the fused
# step would keep Numba from vectorising it over the cells).


def _adex_rates(v, w, ge, gi, refractory, cm, v_spike, v_reset, v_rest, tau_m, i_tot, a,
                delta_T, tau_w, v_thresh, e_rev_E, e_rev_I):  # fmt: skip
    """``dv/dt`` and ``dw/dt`` of NEST's ``aeif_cond_*`` (``a`` in nS): ``v`` capped at
    ``v_spike``, held at ``v_reset`` while refractory."""
    g_leak = cm / tau_m
    vv = bm.where(refractory, v_reset, bm.minimum(v, v_spike))
    slope = bm.where(delta_T > 0.0, delta_T, 1.0)
    i_spike = bm.where(delta_T > 0.0, g_leak * delta_T * bm.exp((vv - v_thresh) / slope), 0.0)
    dv = -g_leak * (vv - v_rest) + i_spike - ge * (vv - e_rev_E) - gi * (vv - e_rev_I) - w + i_tot
    dv = bm.where(refractory, 0.0, dv / cm)
    dw = (0.001 * a * (vv - v_rest) - w) / tau_w
    return dv, dw


def _adex_rk4(v, w, refr, spike, h, ge0, ge_h, ge_1, gi0, gi_h, gi_1, cm, tau_refrac,
              v_spike, v_reset, v_rest, tau_m, i_offset, i_inj, a, b, delta_T, tau_w, v_thresh,
              e_rev_E, e_rev_I, dt):  # fmt: skip
    """One RK4 substep ``h`` of an AdEx cell, the conductances given at its start,
    middle and end, then NEST's test after each of its substeps: held at ``v_reset``
    while refractory, else a spike at ``v >= V_peak`` (``v_spike``, or ``v_thresh`` if
    ``delta_T == 0``) resets ``v``, adds ``b`` to ``w`` and makes the cell refractory
    for the rest of the step and ``tau_refrac`` after it."""
    ref = refr > 0.0
    i_tot = i_offset + i_inj
    c = (ref, cm, v_spike, v_reset, v_rest, tau_m, i_tot, a, delta_T, tau_w, v_thresh,
         e_rev_E, e_rev_I)  # fmt: skip
    k1v, k1w = _adex_rates(v, w, ge0, gi0, *c)
    k2v, k2w = _adex_rates(v + 0.5 * h * k1v, w + 0.5 * h * k1w, ge_h, gi_h, *c)
    k3v, k3w = _adex_rates(v + 0.5 * h * k2v, w + 0.5 * h * k2w, ge_h, gi_h, *c)
    k4v, k4w = _adex_rates(v + h * k3v, w + h * k3w, ge_1, gi_1, *c)
    v = v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    w = w + h / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    v_peak = bm.where(delta_T > 0.0, v_spike, v_thresh)
    fire = bm.logical_and(bm.logical_not(ref), v >= v_peak)
    v = bm.where(bm.logical_or(ref, fire), v_reset, v)
    w = bm.where(fire, w + b, w)
    counts = bm.round(tau_refrac / dt)
    refr = bm.where(fire, bm.where(counts > 0.0, counts + 1.0, 0.0), refr)
    return v, w, refr, bm.logical_or(spike, fire)


@bm.elementwise
def eif_cond_exp_substep(
    v, w, ge, gi, refr, spike, i_inj, h, dt,
    cm, tau_refrac, v_spike, v_reset, v_rest, tau_m, i_offset, a, b, delta_T, tau_w,
    v_thresh, e_rev_E, tau_syn_E, e_rev_I, tau_syn_I,
):  # fmt: skip
    """One substep ``h`` of ``EIF_cond_exp_isfa_ista`` (NEST's ``aeif_cond_exp``): the
    exponential conductances exact in time, ``v`` and ``w`` by RK4."""
    ee = bm.exp(-0.5 * h / tau_syn_E)
    ei = bm.exp(-0.5 * h / tau_syn_I)
    ge_h = ge * ee
    gi_h = gi * ei
    ge_1 = ge_h * ee
    gi_1 = gi_h * ei
    v, w, refr, spike = _adex_rk4(
        v, w, refr, spike, h, ge, ge_h, ge_1, gi, gi_h, gi_1, cm, tau_refrac, v_spike,
        v_reset, v_rest, tau_m, i_offset, i_inj, a, b, delta_T, tau_w, v_thresh, e_rev_E,
        e_rev_I, dt,
    )  # fmt: skip
    return v, w, ge_1, gi_1, refr, spike


@bm.elementwise
def eif_cond_alpha_substep(
    v, w, ge, dge, gi, dgi, refr, spike, i_inj, h, dt,
    cm, tau_refrac, v_spike, v_reset, v_rest, tau_m, i_offset, a, b, delta_T, tau_w,
    v_thresh, e_rev_E, tau_syn_E, e_rev_I, tau_syn_I,
):  # fmt: skip
    """One substep ``h`` of ``EIF_cond_alpha_isfa_ista`` (NEST's ``aeif_cond_alpha``):
    the alpha conductances exact in time, ``v`` and ``w`` by RK4."""
    ee = bm.exp(-0.5 * h / tau_syn_E)
    ei = bm.exp(-0.5 * h / tau_syn_I)
    ge_h = (ge + 0.5 * h * dge) * ee
    gi_h = (gi + 0.5 * h * dgi) * ei
    ge_1 = (ge + h * dge) * ee * ee
    gi_1 = (gi + h * dgi) * ei * ei
    v, w, refr, spike = _adex_rk4(
        v, w, refr, spike, h, ge, ge_h, ge_1, gi, gi_h, gi_1, cm, tau_refrac, v_spike,
        v_reset, v_rest, tau_m, i_offset, i_inj, a, b, delta_T, tau_w, v_thresh, e_rev_E,
        e_rev_I, dt,
    )  # fmt: skip
    return v, w, ge_1, dge * ee * ee, gi_1, dgi * ei * ei, refr, spike


@bm.elementwise
def no_spike(exc_in):
    """False for every cell (the spikes of a step start so)."""
    return 0.0 * exc_in > 1.0


@bm.elementwise
def eif_end_step(refr, g_exc, g_inh, exc_in, inh_in, scale_exc, scale_inh):
    """The end of an AdEx step (NEST's): the refractory count goes down; the arriving
    weights, times ``scale_*``, join ``g_exc``/``g_inh`` (the conductances, or their
    derivatives for alpha synapses: ``e/tau``)."""
    refr = bm.where(refr > 0.0, refr - 1.0, refr)
    zero = 0.0 * exc_in
    return refr, g_exc + scale_exc * exc_in, g_inh + scale_inh * inh_in, zero, zero, zero


_ADEX_PARAMS = (
    "cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset", "a", "b",
    "delta_T", "tau_w", "v_thresh", "e_rev_E", "tau_syn_E", "e_rev_I", "tau_syn_I",
)  # fmt: skip


class EIFCondExp(PyNNCell):
    """PyNN's ``EIF_cond_exp_isfa_ista``: the adaptive exponential integrate-and-fire
    neuron (Brette & Gerstner 2005) with exponential conductances (NEST's
    ``aeif_cond_exp``)."""

    param_names = _ADEX_PARAMS
    state_names = ("v", "w", "gsyn_exc", "gsyn_inh", "refr")
    max_substep = 0.01

    def update(self, t, dt):
        h = dt / self.substeps
        no_spike(self.exc_in, out=(self.spike,))
        for _ in range(self.substeps):
            eif_cond_exp_substep(
                self.v, self.w, self.gsyn_exc, self.gsyn_inh, self.refr, self.spike,
                self.i_inj, h, dt, self.p_cm, self.p_tau_refrac, self.p_v_spike,
                self.p_v_reset, self.p_v_rest, self.p_tau_m, self.p_i_offset, self.p_a,
                self.p_b, self.p_delta_T, self.p_tau_w, self.p_v_thresh, self.p_e_rev_E,
                self.p_tau_syn_E, self.p_e_rev_I, self.p_tau_syn_I,
                out=(self.v, self.w, self.gsyn_exc, self.gsyn_inh, self.refr, self.spike),
            )  # fmt: skip
        eif_end_step(
            self.refr, self.gsyn_exc, self.gsyn_inh, self.exc_in, self.inh_in, 1.0, 1.0,
            out=(self.refr, self.gsyn_exc, self.gsyn_inh, self.exc_in, self.inh_in,
                 self.i_inj),
        )  # fmt: skip


class EIFCondAlpha(PyNNCell):
    """PyNN's ``EIF_cond_alpha_isfa_ista``: the adaptive exponential integrate-and-fire
    neuron with alpha-shaped conductances (NEST's ``aeif_cond_alpha``)."""

    param_names = _ADEX_PARAMS
    state_names = ("v", "w", "gsyn_exc", "dgsyn_exc", "gsyn_inh", "dgsyn_inh", "refr")
    max_substep = 0.01

    def update(self, t, dt):
        h = dt / self.substeps
        no_spike(self.exc_in, out=(self.spike,))
        for _ in range(self.substeps):
            eif_cond_alpha_substep(
                self.v, self.w, self.gsyn_exc, self.dgsyn_exc, self.gsyn_inh, self.dgsyn_inh,
                self.refr, self.spike, self.i_inj, h, dt, self.p_cm, self.p_tau_refrac,
                self.p_v_spike, self.p_v_reset, self.p_v_rest, self.p_tau_m,
                self.p_i_offset, self.p_a, self.p_b, self.p_delta_T, self.p_tau_w,
                self.p_v_thresh, self.p_e_rev_E, self.p_tau_syn_E, self.p_e_rev_I,
                self.p_tau_syn_I,
                out=(self.v, self.w, self.gsyn_exc, self.dgsyn_exc, self.gsyn_inh,
                     self.dgsyn_inh, self.refr, self.spike),
            )  # fmt: skip
        eif_end_step(
            self.refr, self.dgsyn_exc, self.dgsyn_inh, self.exc_in, self.inh_in,
            E / self.p_tau_syn_E, E / self.p_tau_syn_I,
            out=(self.refr, self.dgsyn_exc, self.dgsyn_inh, self.exc_in, self.inh_in,
                 self.i_inj),
        )  # fmt: skip


# -- Hodgkin-Huxley ------------------------------------------------------------------------

#: NEST's ``t_ref`` of ``hh_cond_exp_traub`` (ms): no spike is reported this long after
#: one (PyNN's ``HH_cond_exp`` has no parameter for it)
HH_REFRACTORY = 2.0


def _hh_rates(v, m, hh, n, ge, gi, gbar_Na, gbar_K, g_leak, cm, v_offset, e_rev_Na, e_rev_K,
              e_rev_leak, e_rev_E, e_rev_I, i_tot):  # fmt: skip
    """The derivatives of ``v``, ``m``, ``h``, ``n`` (Traub & Miles, NEST's
    ``hh_cond_exp_traub``)."""
    i_na = gbar_Na * m * m * m * hh * (v - e_rev_Na)
    i_k = gbar_K * n * n * n * n * (v - e_rev_K)
    i_l = g_leak * (v - e_rev_leak)
    dv = (-i_na - i_k - i_l - ge * (v - e_rev_E) - gi * (v - e_rev_I) + i_tot) / cm
    u = v - v_offset
    alpha_n = 0.032 * (15.0 - u) / (bm.exp((15.0 - u) / 5.0) - 1.0)
    beta_n = 0.5 * bm.exp((10.0 - u) / 40.0)
    alpha_m = 0.32 * (13.0 - u) / (bm.exp((13.0 - u) / 4.0) - 1.0)
    beta_m = 0.28 * (u - 40.0) / (bm.exp((u - 40.0) / 5.0) - 1.0)
    alpha_h = 0.128 * bm.exp((17.0 - u) / 18.0)
    beta_h = 4.0 / (1.0 + bm.exp((40.0 - u) / 5.0))
    dm = alpha_m - (alpha_m + beta_m) * m
    dh = alpha_h - (alpha_h + beta_h) * hh
    dn = alpha_n - (alpha_n + beta_n) * n
    return dv, dm, dh, dn


@bm.elementwise
def hh_cond_exp_substep(
    v, m, hh, n, ge, gi, i_inj, h,
    gbar_Na, gbar_K, g_leak, cm, v_offset, e_rev_Na, e_rev_K, e_rev_leak, e_rev_E, e_rev_I,
    tau_syn_E, tau_syn_I, i_offset,
):  # fmt: skip
    """One RK4 substep ``h`` of ``HH_cond_exp`` (NEST's ``hh_cond_exp_traub``), the
    conductances exact in time."""
    ee = bm.exp(-0.5 * h / tau_syn_E)
    ei = bm.exp(-0.5 * h / tau_syn_I)
    ge_h = ge * ee
    gi_h = gi * ei
    ge_1 = ge_h * ee
    gi_1 = gi_h * ei
    c = (gbar_Na, gbar_K, g_leak, cm, v_offset, e_rev_Na, e_rev_K, e_rev_leak, e_rev_E,
         e_rev_I, i_offset + i_inj)  # fmt: skip
    k1v, k1m, k1h, k1n = _hh_rates(v, m, hh, n, ge, gi, *c)
    k2v, k2m, k2h, k2n = _hh_rates(
        v + 0.5 * h * k1v, m + 0.5 * h * k1m, hh + 0.5 * h * k1h, n + 0.5 * h * k1n,
        ge_h, gi_h, *c,
    )  # fmt: skip
    k3v, k3m, k3h, k3n = _hh_rates(
        v + 0.5 * h * k2v, m + 0.5 * h * k2m, hh + 0.5 * h * k2h, n + 0.5 * h * k2n,
        ge_h, gi_h, *c,
    )  # fmt: skip
    k4v, k4m, k4h, k4n = _hh_rates(
        v + h * k3v, m + h * k3m, hh + h * k3h, n + h * k3n, ge_1, gi_1, *c
    )  # fmt: skip
    v = v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    m = m + h / 6.0 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m)
    hh = hh + h / 6.0 * (k1h + 2.0 * k2h + 2.0 * k3h + k4h)
    n = n + h / 6.0 * (k1n + 2.0 * k2n + 2.0 * k3n + k4n)
    return v, m, hh, n, ge_1, gi_1


@bm.elementwise
def copy_of(x):
    """``x`` itself (written into another array)."""
    return x + 0.0


@bm.elementwise
def hh_end_step(v, v_start, refr, ge, gi, exc_in, inh_in, dt, v_offset):
    """The end of an ``HH_cond_exp`` step (NEST's): a spike where ``v >= v_offset + 30``
    and ``v`` fell during the step (``v_start``: its value at the start), unless within
    ``HH_REFRACTORY`` of the last; then the arriving weights join the conductances."""
    free = refr <= 0.0
    spike = bm.logical_and(free, bm.logical_and(v >= v_offset + 30.0, v_start > v))
    refr = bm.where(free, refr, refr - 1.0)
    refr = bm.where(spike, bm.round(HH_REFRACTORY / dt), refr)
    zero = 0.0 * exc_in
    return refr, ge + exc_in, gi + inh_in, spike, zero, zero, zero


class HHCondExp(PyNNCell):
    """PyNN's ``HH_cond_exp``: a single-compartment Hodgkin-Huxley neuron (Traub & Miles
    1991) with exponential conductances (NEST's ``hh_cond_exp_traub``)."""

    param_names = (
        "gbar_Na", "gbar_K", "g_leak", "cm", "v_offset", "e_rev_Na", "e_rev_K", "e_rev_leak",
        "e_rev_E", "e_rev_I", "tau_syn_E", "tau_syn_I", "i_offset",
    )  # fmt: skip
    state_names = ("v", "m", "h", "n", "gsyn_exc", "gsyn_inh", "refr", "v_start")
    max_substep = 0.01

    def update(self, t, dt):
        h = dt / self.substeps
        copy_of(self.v, out=(self.v_start,))
        for _ in range(self.substeps):
            hh_cond_exp_substep(
                self.v, self.m, self.h, self.n, self.gsyn_exc, self.gsyn_inh, self.i_inj, h,
                self.p_gbar_Na, self.p_gbar_K, self.p_g_leak, self.p_cm, self.p_v_offset,
                self.p_e_rev_Na, self.p_e_rev_K, self.p_e_rev_leak, self.p_e_rev_E,
                self.p_e_rev_I, self.p_tau_syn_E, self.p_tau_syn_I, self.p_i_offset,
                out=(self.v, self.m, self.h, self.n, self.gsyn_exc, self.gsyn_inh),
            )  # fmt: skip
        hh_end_step(
            self.v, self.v_start, self.refr, self.gsyn_exc, self.gsyn_inh, self.exc_in,
            self.inh_in, dt, self.p_v_offset,
            out=(self.refr, self.gsyn_exc, self.gsyn_inh, self.spike, self.exc_in,
                 self.inh_in, self.i_inj),
        )  # fmt: skip


# -- Izhikevich ----------------------------------------------------------------------------

#: the spike threshold of NEST's ``izhikevich`` (mV; not a PyNN parameter)
IZHIKEVICH_THRESHOLD = 30.0


@bm.elementwise
def izhikevich_step(v, u, exc_in, inh_in, i_inj, dt, a, b, c, d, i_offset):
    """One step of ``Izhikevich`` (NEST's ``izhikevich``, forward Euler): the current
    in pA as a number in ``dv/dt`` (NEST's ``I_e``), the weights (mV) jump ``v``."""
    i_tot = 1000.0 * (i_offset + i_inj)
    v_new = v + dt * (0.04 * v * v + 5.0 * v + 140.0 - u + i_tot) + exc_in + inh_in
    u_new = u + dt * a * (b * v - u)
    spike = v_new >= IZHIKEVICH_THRESHOLD
    v_new = bm.where(spike, c, v_new)
    u_new = bm.where(spike, u_new + d, u_new)
    zero = 0.0 * exc_in
    return v_new, u_new, spike, zero, zero, zero


class Izhikevich(PyNNCell):
    """PyNN's ``Izhikevich``: Izhikevich's (2003) quadratic neuron with delta synapses
    (weights in mV; NEST's ``izhikevich``)."""

    param_names = ("a", "b", "c", "d", "i_offset")
    state_names = ("v", "u")

    def update(self, t, dt):
        izhikevich_step(
            self.v,
            self.u,
            self.exc_in,
            self.inh_in,
            self.i_inj,
            dt,
            self.p_a,
            self.p_b,
            self.p_c,
            self.p_d,
            self.p_i_offset,
            out=(self.v, self.u, self.spike, self.exc_in, self.inh_in, self.i_inj),
        )
