"""The NMDA receptor synapse, with the voltage-dependent Mg²⁺ block of Jahr & Stevens
(1990).

The kinetics are BrainPy's ``NMDA`` (a second-order scheme: a spike raises a fast
variable ``x``, which opens the channel fraction ``g`` towards saturation), the
output is conductance-based through the magnesium block
``B(V) = 1 / (1 + [Mg²⁺] / beta * exp(-alpha V))``.
"""

from __future__ import annotations

from brainjit import math as bm
from brainjit.dyn.base import check_finite, check_nonnegative, check_positive
from brainjit.dyn.synapses import Synapse
from brainjit.integrators import JointEq, odeint

__all__ = ["NMDA", "mg_block", "nmda_output"]


def nmda_dg(g, t, x, tau_decay, a):
    return -g / tau_decay + a * x * (1.0 - g)


def nmda_dx(x, t, tau_rise):
    return -x / tau_rise


def mg_block(V, cc_Mg=1.2, alpha=0.062, beta=3.57):
    """The fraction of NMDA channels not blocked by Mg²⁺ at the potential ``V`` (mV):
    ``1 / (1 + cc_Mg / beta * exp(-alpha V))`` (Jahr & Stevens 1990, J. Neurosci.
    10:3178, with their fit ``beta`` = 3.57 mM, ``alpha`` = 0.062 /mV; ``cc_Mg`` the
    extracellular Mg²⁺ concentration in mM). Element by element, on either backend."""
    return 1.0 / (1.0 + (cc_Mg / beta) * bm.exp(-alpha * V))


@bm.elementwise
def nmda_output(g, V, I_ext, E, cc_Mg, alpha, beta):
    """The input plus the NMDA current of conductance ``g`` at ``V``:
    ``I_ext + g B(V) (E - V)`` with ``B`` = :func:`mg_block`. One fused loop in Numba
    code (``bm.elementwise``)."""
    return I_ext + g * mg_block(V, cc_Mg, alpha, beta) * (E - V)


_NMDA_STEPS: dict = {}  # method -> step (bm.elementwise)


def _nmda_step(method):
    """The per-presynaptic-neuron step of the NMDA kinetics, ``bm.elementwise`` (one
    fused loop in Numba code): ``g`` and ``x`` integrated over the step with ``method``,
    then ``x`` raised by 1 where a spike arrived. Made once per method."""
    if method not in _NMDA_STEPS:
        integral = odeint(JointEq(nmda_dg, nmda_dx), method=method)

        def nmda_step(spike, g, x, t, dt, tau_decay, tau_rise, a):
            g_new, x_new = integral(g, x, t, tau_decay, a, tau_rise, dt=dt)
            return g_new, x_new + spike

        _NMDA_STEPS[method] = bm.elementwise(nmda_step)
    return _NMDA_STEPS[method]


class NMDA(Synapse):
    r"""NMDA receptors: second-order kinetics and the Mg²⁺ block (Jahr & Stevens 1990).

    Per presynaptic neuron, an open fraction ``g`` and a rise variable ``x``:

    .. math:: \frac{dg}{dt} = -\frac{g}{\tau_{decay}} + a\,x\,(1 - g) \qquad
              \frac{dx}{dt} = -\frac{x}{\tau_{rise}}

    A spike that arrives (``delay`` ms after the presynaptic neuron fired) adds 1 to
    ``x`` at the end of its step; ``g`` rises from the next step, peaks after a few ms
    and decays with ``tau_decay`` (``g`` saturates at 1 for bursts). The postsynaptic
    conductance is ``g_post = sum(weight * g[pre])`` over the synapses onto each
    neuron (``bp.math.event_matvec`` with ``g`` as values: ``g`` stays non-zero for
    hundreds of ms after a spike, so every synapse is visited every step, as for
    ``AMPA``), and the current added to ``post.input`` is

    .. math:: I = g_{post}\, B(V)\, (E - V), \qquad
              B(V) = \frac{1}{1 + \frac{[Mg^{2+}]}{\beta} e^{-\alpha V}}

    with ``V`` the postsynaptic potential of the previous step (mV) and ``[Mg²⁺]`` =
    ``cc_Mg`` (mM): the channel is blocked near rest and opens as ``V`` rises (half
    open at ``V = ln(cc_Mg / beta) / alpha``, -17.6 mV with the defaults).
    Conductance-based only (``output='coba'``; for a current-based synapse use
    ``DualExponential``). ``g`` and ``x`` are integrated with RK4 by default (they are
    coupled; any ``bp.odeint`` method may be asked for with ``method=``).

    Args:
        weight: the maximal conductance per synapse (the post group's units), a number
            or one per synapse.
        E: the reversal potential (mV).
        cc_Mg: the extracellular Mg²⁺ concentration (mM, >= 0; 0: no block).
        alpha: the voltage sensitivity of the block (1/mV).
        beta: the Mg²⁺ concentration scale of the block (mM, > 0).
        tau_decay, tau_rise: the time constants of ``g`` and ``x`` (ms, > 0).
        a: the rate at which ``x`` opens the channels (1/ms, > 0).
        delay, dt: as for every synapse (``bp.dyn.Synapse``).

    State: ``g`` and ``x`` per presynaptic neuron.

    Defaults: the Mg²⁺ block of Jahr & Stevens (1990, J. Neurosci. 10:3178: ``beta`` =
    3.57 mM, ``alpha`` = 0.062 /mV), ``cc_Mg`` = 1.2 mM, ``E`` = 0 mV; the kinetics
    (``tau_decay`` = 100 ms, ``tau_rise`` = 2 ms, ``a`` = 0.5 /ms) and ``weight`` =
    0.15 are BrainPy's ``NMDA`` defaults (which cite Brunel & Wang 2001, J. Comput.
    Neurosci. 11:63), generic rather than fitted to one recording.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=0.15,
        E=0.0,
        cc_Mg=1.2,
        alpha=0.062,
        beta=3.57,
        tau_decay=100.0,
        tau_rise=2.0,
        a=0.5,
        output="coba",
        method="rk4",
        **kwargs,
    ):
        if output != "coba":
            raise ValueError(
                f"NMDA: output must be 'coba' (the Mg2+ block acts on a conductance), got "
                f"{output!r}; for a current-based synapse use bp.dyn.DualExponential"
            )
        super().__init__(pre, post, conn, weight=weight, output=output, E=E, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        check_finite(owner, alpha=alpha)
        check_nonnegative(owner, cc_Mg=cc_Mg)
        check_positive(owner, beta=beta, tau_decay=tau_decay, tau_rise=tau_rise, a=a)
        self.cc_Mg, self.alpha, self.beta = float(cc_Mg), float(alpha), float(beta)
        self.tau_decay, self.tau_rise, self.a = float(tau_decay), float(tau_rise), float(a)
        self.g = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.x = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.step = _nmda_step(method)

    def update(self, t, dt):
        spikes = self.presynaptic_spikes()
        self.step(
            spikes, self.g, self.x, t, dt, self.tau_decay, self.tau_rise, self.a,
            out=(self.g, self.x),
        )  # fmt: skip
        g_post, I_ext = self.propagate(self.g), self.post.input
        nmda_output(
            g_post, self.post.V, I_ext, self.E, self.cc_Mg, self.alpha, self.beta, out=(I_ext,)
        )
