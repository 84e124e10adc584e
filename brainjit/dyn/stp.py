"""Short-term plasticity: Tsodyks–Markram synapses (depression and facilitation).

:class:`STP` is an exponential synapse (:class:`~brainjit.dyn.synapses.Exponential`)
whose efficacy changes from spike to spike with the recent activity of its presynaptic
neuron: the model of Tsodyks, Pawelzik & Markram (1998, Neural Comput. 10:821), in
which the utilisation ``u`` decays to 0 between spikes and a spike raises it by
``U (1 - u)``. The same formulation, in the same order of updates at a spike (``u``
first, then the release ``u+ x-``, which leaves ``x``), is BrainPy's ``STP``. (Mongillo,
Barak & Tsodyks 2008 let ``u`` relax to ``U`` instead; not this class.)
"""

from __future__ import annotations

import numbers

from brainjit import math as bm
from brainjit.dyn.base import check_nonnegative, check_positive
from brainjit.dyn.synapses import Synapse, exp_coba_step, exp_cuba_step

__all__ = ["STP", "stp_pre_step"]


@bm.elementwise
def stp_pre_step(spike, u, x, decay_u, decay_x, U):
    """One step of the Tsodyks–Markram resources of one presynaptic neuron.

    Between spikes ``u`` decays to 0 (``u * decay_u``, ``decay_u = exp(-dt / tau_f)``)
    and ``x`` recovers to 1 (``1 - (1 - x) * decay_x``, ``decay_x = exp(-dt /
    tau_d)``), both exactly. Where a spike arrives this step, ``u`` jumps first, ``u+ =
    u- + U (1 - u-)``, then the released fraction ``r = u+ x-`` leaves ``x``: ``x+ = x-
    - r``. Returns the new ``u``, ``x`` and ``r`` (0 where no spike arrived). One fused
    loop in Numba code (``bm.elementwise``)."""
    u = u * decay_u
    x = 1.0 - (1.0 - x) * decay_x
    u_spike = u + U * (1.0 - u)
    released = u_spike * x
    return (
        bm.where(spike, u_spike, u),
        bm.where(spike, x - released, x),
        bm.where(spike, released, 0.0),
    )


def _scalar(owner: str, **params) -> None:
    """A TypeError naming ``owner`` unless every parameter is one real number."""
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{owner}: {key} must be one number (the same for every synapse), got {value!r}"
            )


class STP(Synapse):
    r"""Tsodyks–Markram short-term depression and facilitation, with an exponential
    postsynaptic conductance (or current).

    Each presynaptic neuron has a utilisation ``u`` (the fraction of the available
    resources a spike releases, 0 at rest) and available resources ``x`` (1 at rest):

    .. math:: \frac{du}{dt} = -\frac{u}{\tau_f} \qquad
              \frac{dx}{dt} = \frac{1 - x}{\tau_d} \qquad
              \frac{dg}{dt} = -\frac{g}{\tau}

    When a spike arrives (``delay`` ms after the presynaptic neuron fired), in this
    order: ``u`` jumps, :math:`u^+ = u^- + U (1 - u^-)`; the synapse transmits
    :math:`w\,u^+ x^-` (``g`` of each target grows by ``weight * u+ * x-`` of the
    synapse); the released resources leave, :math:`x^+ = x^- - u^+ x^-`. Between
    spikes ``u`` and ``x`` are integrated exactly (see :func:`stp_pre_step`), and so is
    ``g`` (as :class:`~brainjit.dyn.synapses.Exponential`). For a regular train with
    interval :math:`\Delta`, the efficacy of spike :math:`n` is :math:`w u_n^+ x_n^-`
    with :math:`u_{n+1}^- = u_n^+ e^{-\Delta/\tau_f}` and :math:`x_{n+1}^- = 1 - (1 -
    x_n^+) e^{-\Delta/\tau_d}` (Tsodyks, Pawelzik & Markram 1998).

    - Depression: a large ``U`` and a short ``tau_f``; ``tau_f = 0`` means no
      facilitation at all, ``u+ = U`` at every spike (the depressing synapse of
      Tsodyks & Markram 1997).
    - Facilitation: a small ``U`` and ``tau_f`` longer than ``tau_d``.

    Args:
        U: the increment of ``u`` per spike, in (0, 1] (the first spike of a rested
            synapse releases ``U``).
        tau_d: the recovery time constant of the resources ``x`` (ms, > 0).
        tau_f: the decay time constant of the utilisation ``u`` (ms, >= 0; 0: no
            facilitation).
        tau: the decay time constant of the postsynaptic ``g`` (ms, > 0).
        weight, output, E, delay, dt: as for every synapse (``bp.dyn.Synapse``).

    State: ``u``, ``x`` and ``released`` (``u+ x-`` where a spike arrived this step,
    else 0) per presynaptic neuron; ``g`` per postsynaptic neuron. One step is two
    ``bp.math.elementwise`` calls (the resources; ``g`` and the output) around one
    ``bp.math.event_matvec`` (with ``released`` as the events: only the synapses of
    the neurons whose spike arrived are touched: a Numba loop on the numpy backend and
    on the jax backend's CPU; elsewhere, e.g. on a GPU, numeric events take
    ``event_matvec``'s dense path, every synapse once per step).

    Defaults: BrainPy's ``STP`` (``U`` = 0.15, ``tau_f`` = 1500 ms, ``tau_d`` = 200 ms,
    ``tau`` = 8 ms): a facilitating synapse, generic rather than fitted to one
    recording. ``weight`` 1 and ``output='cuba'`` as the other generic synapses.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=1.0,
        U=0.15,
        tau_d=200.0,
        tau_f=1500.0,
        tau=8.0,
        **kwargs,
    ):
        super().__init__(pre, post, conn, weight=weight, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        _scalar(owner, U=U, tau_d=tau_d, tau_f=tau_f, tau=tau)
        check_positive(owner, U=U, tau_d=tau_d, tau=tau)
        check_nonnegative(owner, tau_f=tau_f)
        if U > 1.0:
            raise ValueError(f"{owner}: U must be in (0, 1] (a fraction of resources), got {U!r}")
        self.U, self.tau_d, self.tau_f, self.tau = float(U), float(tau_d), float(tau_f), float(tau)
        self.facilitating = self.tau_f > 0.0
        ftype = bm.dftype()
        self.u = bm.Variable(bm.zeros(pre.num, dtype=ftype))
        self.x = bm.Variable(bm.ones(pre.num, dtype=ftype))
        self.released = bm.Variable(bm.zeros(pre.num, dtype=ftype))
        self.g = bm.Variable(bm.zeros(post.num, dtype=ftype))

    def update(self, t, dt):
        spikes = self.presynaptic_spikes()
        decay_x = bm.exp(-dt / self.tau_d)
        if self.facilitating:
            decay_u = bm.exp(-dt / self.tau_f)
        else:
            decay_u = 0.0 * decay_x  # u decays at once: u+ = U at every spike
        stp_pre_step(
            spikes, self.u, self.x, decay_u, decay_x, self.U,
            out=(self.u, self.x, self.released),
        )  # fmt: skip
        g_in = self.propagate(self.released)
        I_ext = self.post.input
        if self.coba:
            V = self.post.V
            exp_coba_step(self.g, g_in, V, I_ext, dt, self.tau, self.E, out=(self.g, I_ext))
        else:
            exp_cuba_step(self.g, g_in, I_ext, dt, self.tau, out=(self.g, I_ext))
