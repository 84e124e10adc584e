"""The dynamic synapse groups of ``brainjit.pynn``: PyNN's ``TsodyksMarkramSynapse``,
``STDPMechanism`` (``SpikePairRule`` with ``AdditiveWeightDependence`` or
``MultiplicativeWeightDependence``) and ``SimpleStochasticSynapse``, one group per
delay, delivering into the PyNN cells' ``exc_in`` / ``inh_in`` like
:class:`~brainjit.pynn._models.StaticGroup`.

Semantics are those of ``pyNN.nest`` (NEST's ``tsodyks_synapse`` and ``stdp_synapse``,
which PyNN's NEURON and Brian2 backends follow as well):

- :class:`TsodyksMarkramGroup`: the three-state model of Tsodyks, Uziel & Markram
  (2000): of the resources, ``x`` are recovered, ``y`` active and ``z = 1 - x - y``
  inactive; ``y`` decays into ``z`` with the postsynaptic cell's synaptic time constant
  (``tau_psc``: its ``tau_syn_E`` or ``tau_syn_I``, as pyNN.nest sets it), ``z``
  recovers into ``x`` with ``tau_rec``; the utilisation ``u`` decays to 0 with
  ``tau_facil`` (``tau_facil = 0``: ``u = U`` at every spike). Between spikes the state
  is propagated exactly; a spike then does ``u += U (1 - u)``, releases ``r = u x``
  (``x -= r``, ``y += r``) and delivers ``weight * r``. The state is kept per
  presynaptic cell and set of parameters (NEST's per-synapse state, the same numbers).
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
  the bound). ``lag = 0`` (both in the same step) does not pair (as NEST; brainjit's
  ``STDP`` counts it as potentiation). Weights change at every spike of either side
  (NEST applies potentiation at the next presynaptic spike: the weights agree at those
  spikes).
  Transmission uses the weight as it is when the spike arrives (NEST's, the weight
  after the changes the rule has seen up to the spike's emission: they differ by the
  changes within the delay before the arrival).
- :class:`StochasticGroup`: NEST's ``bernoulli_synapse``, each arriving spike
  transmitted with probability ``p`` per synapse.
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import TwoEndConn
from brainjit.dyn.plasticity import STDP, _add, _additive, _soft_potentiate
from brainjit.dyn.synapses import Delay

__all__ = ["STDPGroup", "StochasticGroup", "TsodyksMarkramGroup", "tm_step"]


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
def tm_step(spike, u, x, y, tau_psc, dt, U, tau_rec, tau_facil):
    """One step of the Tsodyks-Markram resources (NEST's ``tsodyks_synapse``): ``u``,
    ``x``, ``y`` are propagated exactly over ``dt`` (``y`` decays with ``tau_psc`` into
    ``z = 1 - x - y``, which recovers into ``x`` with ``tau_rec``; ``u`` decays with
    ``tau_facil``, at once if it is 0); where a spike arrives, then ``u += U (1 - u)`` and
    the release ``r = u x`` moves from ``x`` to ``y``. Returns the new ``u``, ``x``,
    ``y`` and ``r`` (0 where no spike arrived). Exact propagators compose, so a spike
    ``h`` ms after the previous one sees the state NEST computes over ``h`` at once."""
    facil = tau_facil > 0.0
    p_uu = bm.where(facil, bm.exp(-dt / bm.where(facil, tau_facil, 1.0)), 0.0)
    p_yy = bm.exp(-dt / tau_psc)
    p_zz = bm.exp(-dt / tau_rec)
    # the part of y that reaches z within the step: tau_rec / (tau_psc - tau_rec) (p_yy -
    # p_zz), written without cancellation for tau_psc near tau_rec (expm1(a) / a -> 1)
    a = dt * (tau_psc - tau_rec) / (tau_psc * tau_rec)
    small = bm.abs(a) < 1e-12
    p_zy = (
        p_zz * dt / tau_psc * bm.where(small, 1.0 + 0.5 * a, bm.expm1(a) / bm.where(small, 1.0, a))
    )
    z = (1.0 - x - y) * p_zz + y * p_zy
    y = y * p_yy
    x = 1.0 - y - z
    u = u * p_uu
    u_spike = u + U * (1.0 - u)
    r = u_spike * x
    return (
        bm.where(spike, u_spike, u),
        bm.where(spike, x - r, x),
        bm.where(spike, y + r, y),
        bm.where(spike, r, 0.0),
    )


class _CSROrder:
    """``group.weight`` as :class:`~brainjit.pynn._groups.DelayGroups` reads and writes
    it (in the group's CSR order), for a Variable kept in another order (``perm``: the
    CSR position of each of its entries)."""

    def __init__(self, var, perm):
        self.var, self.perm = var, perm

    @property
    def value(self):
        out = np.empty(self.perm.size)
        out[self.perm] = np.asarray(self.var.value)
        return out

    @value.setter
    def value(self, values):
        arr = np.asarray(values, dtype=float)[self.perm]
        self.var.value = bm.asarray(arr, dtype=bm.dftype())


class TsodyksMarkramGroup(TwoEndConn):
    """PyNN's ``TsodyksMarkramSynapse``: the synapses of one projection that share a
    delay (see the module docstring for the model).

    The synapses of one presynaptic cell that share ``tau_psc`` (their postsynaptic
    cell's ``tau_syn_E``/``tau_syn_I``, read when the group is built, as pyNN.nest copies
    it when connecting), ``U``, ``tau_rec`` and ``tau_facil`` see the same spikes and
    have the same state: it is kept once per such row (one per presynaptic cell when the
    parameters are the same for all, at most one per synapse; NEST keeps it per synapse,
    the same numbers). A step is one fused loop over the rows (:func:`tm_step`) and an
    event-driven sum of ``weight * r`` over the synapses of the rows that released.

    Args:
        pre, post: the presynaptic model and the postsynaptic PyNN cell model (it needs
            the parameter ``tau_syn_E`` or ``tau_syn_I`` of the receptor).
        indptr, indices: the synapses, a CSR by presynaptic cell.
        weight, U, tau_rec, tau_facil: one per synapse (CSR order) or one number.
        delay_steps: the delay in steps (>= 1).
        receptor: ``'excitatory'`` or ``'inhibitory'``.
        dt: the time step (ms).

    ``weight`` reads and writes the weights in CSR order (``DelayGroups``); they are
    kept in ``w_rows`` (ordered by row).
    """

    def __init__(
        self, pre, post, indptr, indices, weight, delay_steps, receptor, dt,
        U, tau_rec, tau_facil, name=None,
    ):  # fmt: skip
        _check_receptor(receptor)
        tau_name = "tau_syn_E" if receptor == "excitatory" else "tau_syn_I"
        if tau_name not in getattr(post, "p", {}):
            raise ValueError(
                f"brainjit.pynn: TsodyksMarkramSynapse takes the decay of its active "
                f"resources from the postsynaptic cell's {tau_name} (as pyNN.nest), "
                f"which {type(post).__name__} has not; use a cell type with exponential "
                f"or alpha synapses"
            )
        indptr, indices = np.asarray(indptr), np.asarray(indices)
        nnz = indices.size
        params = [
            np.broadcast_to(np.asarray(v, dtype=float), (nnz,)) for v in (U, tau_rec, tau_facil)
        ]
        U, tau_rec, tau_facil = params
        bad = (U <= 0.0) | (U > 1.0) | (tau_rec <= 0.0) | (tau_facil < 0.0) | np.isnan(U)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"brainjit.pynn: TsodyksMarkramSynapse needs 0 < U <= 1, tau_rec > 0 and "
                f"tau_facil >= 0, got U={U[i]}, tau_rec={tau_rec[i]}, tau_facil={tau_facil[i]}"
            )
        # rows: the distinct (presynaptic cell, tau_psc, U, tau_rec, tau_facil)
        pre_of = np.repeat(np.arange(pre.num), np.diff(indptr)).astype(float)
        tau_psc = np.array(post.p[tau_name].value, dtype=float)[indices]
        keys = np.stack([pre_of, tau_psc, U, tau_rec, tau_facil], axis=1)
        rows, row_of = np.unique(keys, axis=0, return_inverse=True)
        row_of = np.asarray(row_of).reshape(-1)
        perm = np.argsort(row_of, kind="stable")  # CSR position of each synapse by row
        n_rows = rows.shape[0]
        row_ptr = np.zeros(n_rows + 1, np.int32)
        np.cumsum(np.bincount(row_of, minlength=n_rows), out=row_ptr[1:])
        super().__init__(pre, post, (indptr, indices), name=name)
        self.receptor = receptor
        self.delay_steps = int(delay_steps)
        self.row_ptr, self.row_post = row_ptr, indices[perm].astype(np.int32)
        self.row_pre = rows[:, 0].astype(np.int32)
        self.row_tau, self.row_U, self.row_tau_rec, self.row_tau_facil = (
            np.ascontiguousarray(rows[:, k]) for k in range(1, 5)
        )
        ftype = bm.dftype()
        self.w_rows = bm.Variable(bm.asarray(np.asarray(weight, float)[perm], dtype=ftype))
        self.weight = _CSROrder(self.w_rows, perm)
        self.u = bm.Variable(bm.asarray(np.zeros(n_rows, dtype=ftype)))
        self.x = bm.Variable(bm.asarray(np.ones(n_rows, dtype=ftype)))
        self.y = bm.Variable(bm.asarray(np.zeros(n_rows, dtype=ftype)))
        self.released = bm.Variable(bm.asarray(np.zeros(n_rows, dtype=ftype)))
        self.pre_delay = Delay(pre.num, (self.delay_steps - 1) * dt, dt, dtype=bool)

    def dynamic_variables(self) -> list:
        return [
            self.w_rows, self.u, self.x, self.y, self.released,
            self.pre_delay.buffer, self.pre_delay.index,
        ]  # fmt: skip

    def update(self, t, dt):
        spikes = self.pre_delay.push(self.pre.spike)
        tm_step(
            spikes[self.row_pre], self.u, self.x, self.y, self.row_tau, dt,
            self.row_U, self.row_tau_rec, self.row_tau_facil,
            out=(self.u, self.x, self.y, self.released),
        )  # fmt: skip
        g = bm.event_matvec(self.released, self.row_ptr, self.row_post, self.w_rows, self.post.num)
        _deliver(self, g)


# -- simple stochastic synapses -------------------------------------------------------------


class StochasticGroup(TwoEndConn):
    """PyNN's ``SimpleStochasticSynapse`` (NEST's ``bernoulli_synapse``): each spike that
    arrives at a synapse is transmitted with the synapse's probability ``p`` (else
    nothing), independently at each synapse and spike (``bp.math.random``: ``setup``'s
    ``rng_seed`` makes runs repeat).

    Args: as :class:`TsodyksMarkramGroup`, with ``p`` (one per synapse or one number)
    instead of the Tsodyks-Markram parameters.

    State: ``weight``, ``transmitted`` (per synapse: the weight it transmitted at its
    last spike, or 0), the delay line. A step draws one number per synapse of the cells
    whose spikes arrive (on jax: per synapse).
    """

    def __init__(self, pre, post, indptr, indices, weight, p, delay_steps, receptor, dt):
        _check_receptor(receptor)
        super().__init__(pre, post, (indptr, indices))
        nnz = int(np.asarray(indices).size)
        p = np.broadcast_to(np.asarray(p, dtype=float), (nnz,))
        if np.any((p < 0.0) | (p > 1.0) | np.isnan(p)):
            raise ValueError(
                f"brainjit.pynn: SimpleStochasticSynapse needs 0 <= p <= 1, got "
                f"{p.min()} .. {p.max()}"
            )
        ftype = bm.dftype()
        self.receptor = receptor
        self.delay_steps = int(delay_steps)
        self.weight = bm.Variable(bm.asarray(np.asarray(weight, dtype=float), dtype=ftype))
        self.p = bm.Variable(bm.asarray(p.copy(), dtype=ftype))
        self.transmitted = bm.Variable(bm.asarray(np.zeros(nnz, dtype=ftype)))
        self.pre_delay = Delay(pre.num, (self.delay_steps - 1) * dt, dt, dtype=bool)

    def dynamic_variables(self) -> list:
        return [self.weight, self.transmitted, self.pre_delay.buffer, self.pre_delay.index]

    def update(self, t, dt):
        spikes = self.pre_delay.push(self.pre.spike)
        sel, _, _ = bm.event_csr_select(spikes, self.indptr, self.indices)
        draw = bm.random.random(sel.shape[0])
        p = bm.event_csr_gather(self.p, sel)
        w = bm.event_csr_gather(self.weight, sel)
        bm.event_csr_scatter(self.transmitted, sel, bm.where(draw < p, w, 0.0))
        g = bm.event_matvec(spikes, self.indptr, self.indices, self.transmitted, self.post.num)
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

    def on_post(self, spikes, w, pre, post, t, dt):
        """Potentiation by the presynaptic trace without this step's presynaptic spikes
        (NEST pairs a presynaptic and a postsynaptic spike at the same time neither way;
        the presynaptic hook, first, does not see this step's postsynaptic spikes)."""
        x = self.x_pre[pre] - self.pre.spike[pre]
        if self.multiplicative:
            new = _soft_potentiate(w, x, self.A_plus, self.w_min, self.w_max)
        else:
            new = _additive(w, x, self.A_plus, self.w_min, self.w_max)
        _add(self.x_post, spikes, out=(self.x_post,))
        return new

    def update(self, t, dt):
        arriving = self.transmit_delay.push(self.pre.spike)
        g = bm.event_matvec(arriving, self.indptr, self.indices, self.weight, self.post.num)
        _deliver(self, g)
        self.on_step(t, dt)
        # the rule: presynaptic spikes at emission, postsynaptic ones `delay` later
        self.apply_hooks(self.pre.spike, self.post_delay.push(self.post.spike), t, dt)
