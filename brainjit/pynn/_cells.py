"""The cells of ``brainjit.pynn``: PyNN's standard cell types (the integrate-and-fire
ones here, the nonlinear ones in :mod:`brainjit.pynn._cells_nonlinear`) as brainjit ``NeuGroup``s,
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
        self.spike = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bool)))
        self.exc_in = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bm.dftype())))
        self.inh_in = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bm.dftype())))
        self.i_inj = bm.Variable(bm.asarray(np.zeros(self.num, dtype=bm.dftype())))
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
