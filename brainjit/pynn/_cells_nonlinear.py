"""The nonlinear cells of ``brainjit.pynn``: PyNN's ``EIF_cond_exp_isfa_ista``,
``EIF_cond_alpha_isfa_ista``, ``HH_cond_exp`` and ``Izhikevich``, following the NEST
models ``pyNN.nest`` maps them to (``aeif_cond_exp``, ``aeif_cond_alpha``,
``hh_cond_exp_traub``, ``izhikevich``). The base class, the conventions of a step and
how each type integrates: :mod:`brainjit.pynn._cells`.
"""

from __future__ import annotations

import math

from brainjit import math as bm
from brainjit.pynn._cells import PyNNCell

E = math.e


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
