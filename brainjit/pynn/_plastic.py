"""The plastic synapse groups of ``brainjit.pynn``: PyNN's ``TsodyksMarkramSynapse`` and
``STDPMechanism`` (``SpikePairRule`` with ``AdditiveWeightDependence`` or
``MultiplicativeWeightDependence``), one group per delay, delivering into the PyNN
cells' ``exc_in`` / ``inh_in`` like :class:`~brainjit.pynn._models.StaticGroup`.

Semantics are those of ``pyNN.nest`` (NEST's ``tsodyks_synapse`` and ``stdp_synapse``,
which PyNN's NEURON and Brian2 backends follow as well):

- :class:`TsodyksMarkramGroup`: the three-state model of Tsodyks, Uziel & Markram
  (2000): of the resources, ``x`` are recovered, ``y`` active and ``z = 1 - x - y``
  inactive; ``y`` decays into ``z`` with the postsynaptic cell's synaptic time constant
  (``tau_psc``: its ``tau_syn_E`` or ``tau_syn_I``, as pyNN.nest sets it), ``z``
  recovers into ``x`` with ``tau_rec``; the utilisation ``u`` decays to 0 with
  ``tau_facil`` (``tau_facil = 0``: ``u = U`` at every spike). A spike arriving ``h`` ms
  after the synapse's previous one propagates the state exactly over ``h``, then
  ``u += U (1 - u)``, releases ``r = u x`` (``x -= r``, ``y += r``) and delivers
  ``weight * r``. State per synapse (``tau_psc`` may differ between postsynaptic cells),
  updated only where a spike arrives.
- :class:`STDPGroup`: brainjit's pair-based :class:`~brainjit.dyn.plasticity.STDP` with
  all-to-all traces and hard bounds ``[w_min, w_max]``. PyNN's amplitudes are relative:
  additive ``dw = +A_plus w_max x`` / ``-A_minus w_max y`` (as NEST's ``lambda`` and
  ``alpha`` on weights normalised by ``Wmax``, and PyNN's Brian2 and NEURON
  mechanisms); multiplicative ``dw = +A_plus (w_max - w) x`` / ``-A_minus (w - w_min)
  y``. The whole delay is dendritic (PyNN's default ``dendritic_delay_fraction = 1``,
  the only value NEST supports): the rule sees a presynaptic spike when it is emitted
  and a postsynaptic spike ``delay`` later, so a pair counts with ``lag = t_post +
  delay - t_pre``: ``lag > 0`` potentiates by ``A_plus exp(-lag / tau_plus)``, ``lag <
  0`` depresses by ``A_minus exp(lag / tau_minus)`` (times ``w_max`` or the distance to
  the bound). ``lag = 0`` (both in the same step) counts as potentiation (NEST counts
  that pair neither way). Weights change at every spike of either side (NEST applies
  potentiation at the next presynaptic spike: the weights agree at those spikes).
  Transmission uses the weight as it is when the spike arrives.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import TwoEndConn
from brainjit.dyn.plasticity import STDP
from brainjit.dyn.synapses import Delay

__all__ = ["STDPGroup", "TsodyksMarkramGroup", "tm_release"]


def _deliver(group, g) -> None:
    """Add ``g`` (one value per postsynaptic cell) to the input of the group's receptor."""
    if group.receptor == "excitatory":
        group.post.exc_in += g
    else:
        group.post.inh_in += g


def _check_receptor(receptor) -> None:
    if receptor not in ("excitatory", "inhibitory"):
        raise ValueError(
            f"brainjit.pynn: unknown receptor type {receptor!r} (plastic synapses deliver "
            "to 'excitatory' or 'inhibitory')"
        )


# -- Tsodyks-Markram ----------------------------------------------------------------------


@bm.elementwise
def tm_release(h, u, x, y, tau_psc, U, tau_rec, tau_facil):
    """The Tsodyks-Markram state of a synapse at a spike that arrives ``h`` ms after its
    previous one (NEST's ``tsodyks_synapse``): ``u``, ``x``, ``y`` are propagated exactly
    over ``h``, then ``u += U (1 - u)`` and the release ``r = u x`` moves from ``x`` to
    ``y``. Returns the new ``u``, ``x``, ``y`` and ``r``."""
    p_uu = bm.where(tau_facil > 0.0, bm.exp(-h / bm.where(tau_facil > 0.0, tau_facil, 1.0)), 0.0)
    p_yy = bm.exp(-h / tau_psc)
    p_zz = bm.exp(-h / tau_rec)
    diff = tau_psc - tau_rec
    same = bm.abs(diff) < 1e-9 * tau_rec
    # the part of y at the last spike that is back in x after h: through z, the
    # convolution of the two exponentials (its limit for tau_psc == tau_rec)
    general = ((p_zz - 1.0) * tau_rec - (p_yy - 1.0) * tau_psc) / bm.where(same, 1.0, diff)
    p_xy = bm.where(same, 1.0 - p_zz - h / tau_rec * p_zz, general)
    z = 1.0 - x - y
    u = u * p_uu
    x = x + p_xy * y + (1.0 - p_zz) * z
    y = y * p_yy
    u = u + U * (1.0 - u)
    r = u * x
    return u, x - r, y + r, r


class TsodyksMarkramGroup(TwoEndConn):
    """PyNN's ``TsodyksMarkramSynapse``: the synapses of one projection that share a
    delay (see the module docstring for the model).

    Args:
        pre, post: the presynaptic model and the postsynaptic PyNN cell model (it needs
            the parameter ``tau_syn_E`` or ``tau_syn_I`` of the receptor).
        indptr, indices: the synapses, a CSR by presynaptic cell.
        weight: one per synapse (CSR order).
        delay_steps: the delay in steps (>= 1).
        receptor: ``'excitatory'`` or ``'inhibitory'``.
        dt: the time step (ms).
        U, tau_rec, tau_facil: the Tsodyks-Markram parameters (one number each).

    State per synapse: ``weight``, ``u``, ``x`` (1 at rest), ``y``, ``t_last`` (the
    arrival time of its previous spike), ``efficacy`` (``weight * r`` of its last spike).
    """

    def __init__(
        self, pre, post, indptr, indices, weight, delay_steps, receptor, dt,
        U, tau_rec, tau_facil, name=None,
    ):  # fmt: skip
        super().__init__(pre, post, (indptr, indices), name=name)
        _check_receptor(receptor)
        self.receptor = receptor
        self.tau_name = "tau_syn_E" if receptor == "excitatory" else "tau_syn_I"
        if self.tau_name not in getattr(post, "p", {}):
            raise ValueError(
                f"brainjit.pynn: TsodyksMarkramSynapse takes the decay of its active "
                f"resources from the postsynaptic cell's {self.tau_name} (as pyNN.nest), "
                f"which {type(post).__name__} has not; use a cell type with exponential "
                f"or alpha synapses"
            )
        if not 0.0 < U <= 1.0 or tau_rec <= 0.0 or tau_facil < 0.0:
            raise ValueError(
                f"brainjit.pynn: TsodyksMarkramSynapse needs 0 < U <= 1, tau_rec > 0 and "
                f"tau_facil >= 0, got U={U}, tau_rec={tau_rec}, tau_facil={tau_facil}"
            )
        self.U, self.tau_rec, self.tau_facil = float(U), float(tau_rec), float(tau_facil)
        self.delay_steps = int(delay_steps)
        ftype = bm.dftype()
        n = int(np.asarray(indices).size)

        def var(value):
            return bm.Variable(bm.asarray(np.broadcast_to(value, (n,)).copy(), dtype=ftype))

        self.weight = var(np.asarray(weight, dtype=float))
        self.u, self.x, self.y = var(0.0), var(1.0), var(0.0)
        self.t_last, self.efficacy = var(0.0), var(0.0)
        self.pre_delay = Delay(pre.num, (self.delay_steps - 1) * dt, dt, dtype=bool)

    def dynamic_variables(self) -> list:
        return [
            self.weight, self.u, self.x, self.y, self.t_last, self.efficacy,
            self.pre_delay.buffer, self.pre_delay.index,
        ]  # fmt: skip

    def update(self, t, dt):
        spikes = self.pre_delay.push(self.pre.spike)
        sel, _, post = bm.event_csr_select(spikes, self.indptr, self.indices)
        if self.receptor == "excitatory":
            tau_psc = self.post.p_tau_syn_E[post]
        else:
            tau_psc = self.post.p_tau_syn_I[post]
        h = t - bm.event_csr_gather(self.t_last, sel)
        u, x, y, r = tm_release(
            h, bm.event_csr_gather(self.u, sel), bm.event_csr_gather(self.x, sel),
            bm.event_csr_gather(self.y, sel), tau_psc, self.U, self.tau_rec, self.tau_facil,
        )  # fmt: skip
        bm.event_csr_scatter(self.u, sel, u)
        bm.event_csr_scatter(self.x, sel, x)
        bm.event_csr_scatter(self.y, sel, y)
        bm.event_csr_scatter(self.t_last, sel, h * 0.0 + t)
        bm.event_csr_scatter(self.efficacy, sel, r * bm.event_csr_gather(self.weight, sel))
        g = bm.event_matvec(spikes, self.indptr, self.indices, self.efficacy, self.post.num)
        _deliver(self, g)


# -- STDP -----------------------------------------------------------------------------------


class STDPGroup(STDP):
    """PyNN's ``STDPMechanism`` with ``SpikePairRule`` and an additive or
    multiplicative weight dependence: brainjit's :class:`~brainjit.dyn.plasticity.STDP`
    (all-to-all), delivering into ``exc_in`` / ``inh_in`` with the whole delay
    dendritic for the rule (see the module docstring).

    Args:
        pre, post, indptr, indices, weight, delay_steps, receptor, dt: as
            :class:`TsodyksMarkramGroup`.
        tau_plus, tau_minus, A_plus, A_minus, w_min, w_max: PyNN's parameters (one
            number each; ``A_plus``, ``A_minus`` relative, see the module docstring).
        weight_dependence: ``'additive'`` or ``'multiplicative'``.

    State: ``weight`` (per synapse), the traces ``x_pre`` / ``x_post``, the delay lines
    of the transmitted presynaptic spikes and of the postsynaptic spikes the rule sees.
    """

    def __init__(
        self, pre, post, indptr, indices, weight, delay_steps, receptor, dt,
        tau_plus, tau_minus, A_plus, A_minus, w_min, w_max, weight_dependence, name=None,
    ):  # fmt: skip
        _check_receptor(receptor)
        scale = float(w_max) if weight_dependence == "additive" else 1.0
        super().__init__(
            pre, post, (indptr, indices), weight=np.asarray(weight, dtype=float),
            tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus * scale,
            A_minus=A_minus * scale, w_min=w_min, w_max=w_max, nearest=False,
            weight_dependence=weight_dependence, tau=None, delay=0.0, dt=dt, name=name,
        )  # fmt: skip
        self.receptor = receptor
        self.delay_steps = int(delay_steps)
        self.transmit_delay = Delay(pre.num, (self.delay_steps - 1) * dt, dt, dtype=bool)
        self.post_delay = Delay(post.num, self.delay_steps * dt, dt, dtype=bool)

    def dynamic_variables(self) -> list:
        return [
            self.weight, self.x_pre, self.x_post,
            self.transmit_delay.buffer, self.transmit_delay.index,
            self.post_delay.buffer, self.post_delay.index,
        ]  # fmt: skip

    def update(self, t, dt):
        arriving = self.transmit_delay.push(self.pre.spike)
        g = bm.event_matvec(arriving, self.indptr, self.indices, self.weight, self.post.num)
        _deliver(self, g)
        self.on_step(t, dt)
        # the rule: presynaptic spikes at emission, postsynaptic ones `delay` later
        self.apply_hooks(self.pre.spike, self.post_delay.push(self.post.spike), t, dt)
