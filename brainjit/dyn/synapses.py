"""Synapse models: Delta, Exponential, DualExponential, Alpha, AMPA, GABAa.

Every model is a :class:`Synapse` (a ``TwoEndConn``) and accepts:

- ``weight``: a number (every synapse the same) or one value per synapse, in the CSR
  order of the connectivity (then a Variable, ``syn.weight``, that code may change);
- ``output``: ``'cuba'`` (current-based: the synaptic variable ``g`` is added to
  ``post.input`` as a current) or ``'coba'`` (conductance-based: ``g * (E - post.V)``
  is added, with the reversal potential ``E`` in mV and ``post.V`` from the previous
  step);
- ``delay``: a transmission delay in ms (rounded to whole steps of ``dt``, the time
  step the model will be run with, 0.1 ms by default) on top of the one-step delay of
  every synapse (a spike emitted in step ``t`` acts in step ``t + dt``); spikes wait in
  a ring buffer (:class:`Delay`).

Propagation is event-driven: ``bp.math.event_matvec`` sums the weights of the
synapses of the presynaptic neurons that fired (per backend: a Numba loop over the
spiking neurons, or XLA gathers; see its docstring). The per-neuron rest of a step
(integration, the arriving weights, the output added to ``post.input``) is one
``bp.math.elementwise`` call: one fused loop in Numba code (not for ``Exponential``
with a ``bp.odeint`` method, nor ``Delta`` with ``'cuba'``, one addition).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from brainjit import math as bm
from brainjit.base import Base
from brainjit.dyn.base import TwoEndConn, check_finite, check_nonnegative, check_positive
from brainjit.integrators import JointEq, odeint

__all__ = [
    "Delay",
    "Synapse",
    "Delta",
    "Exponential",
    "DualExponential",
    "Alpha",
    "AMPA",
    "GABAa",
]


class Delay(Base):
    """A ring buffer that returns what was pushed ``steps`` pushes ago.

    Args:
        num: the length of the values (e.g. the number of presynaptic neurons).
        delay: the delay in ms; ``steps = round(delay / dt)``.
        dt: the time step (ms) the model will be run with.
        dtype: the dtype of the values (bool for spikes; floats for the spikes of a
            neuron with a surrogate spike function, ``spike_fun=``).

    ``push(x)`` stores ``x`` and returns the value pushed ``steps`` calls earlier
    (zeros/False at first); with ``steps == 0`` it returns ``x`` itself. Call it once
    per time step. State: ``buffer`` (``steps x num``) and ``index`` Variables.
    """

    def __init__(self, num: int, delay=0.0, dt=0.1, dtype=bool, name=None):
        super().__init__(name=name)
        _check_delay(f"Delay {self.name}", delay, dt)
        self.delay, self.dt = float(delay), float(dt)
        self.steps = int(round(self.delay / self.dt))
        self.buffer = bm.Variable(bm.zeros((max(self.steps, 1), num), dtype=dtype))
        self.index = bm.Variable(bm.zeros((), dtype=bm.int32))

    def check_dt(self, dt: float) -> None:
        """Raise a ValueError if the model is run with a time step other than the one
        the delay was counted in (``bp.Runner`` calls this before compiling)."""
        if self.steps and abs(dt - self.dt) > 1e-9 * max(dt, self.dt):
            raise ValueError(
                f"Delay {self.name}: built for dt = {self.dt} ms ({self.steps} steps of "
                f"{self.delay} ms), but run with dt = {dt} ms; pass dt={dt} to the synapse"
            )

    def push(self, x):
        if self.steps == 0:
            return x
        out = self.buffer[self.index].copy()
        self.buffer[self.index] = x
        self.index.value = (self.index + 1) % self.steps
        return out


def _check_delay(owner: str, delay, dt) -> None:
    """A ValueError naming ``owner`` unless ``delay`` is a finite number >= 0 and ``dt``
    a finite number > 0 (ms)."""
    for key, value in (("delay", delay), ("dt", dt)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{owner}: {key} must be a number (ms), got {value!r}")
    check_nonnegative(owner, delay=delay)
    check_positive(owner, dt=dt)


def _weights(owner: str, weight, num_synapses: int):
    """A Python float for a scalar weight, else a Variable of one weight per synapse."""
    check_finite(owner, weight=weight)
    if isinstance(weight, numbers.Real) or np.ndim(weight) == 0:
        return float(np.asarray(weight))
    arr = np.asarray(weight, dtype=float)
    if arr.shape != (num_synapses,):
        raise ValueError(
            f"{owner}: weight must be a number or one value per synapse "
            f"({num_synapses} in CSR order), got shape {arr.shape}"
        )
    return bm.Variable(bm.asarray(arr, dtype=bm.dftype()))


class Synapse(TwoEndConn):
    """Base class of the built-in synapses (and of user synapses that want the same
    options): weights, output type and delay, see the module docstring.

    Provides ``presynaptic_spikes()`` (``pre.spike`` through the delay),
    ``propagate(events)`` (the summed weights per postsynaptic neuron, event-driven)
    and ``output(g)`` (the current for ``post.input``: ``g``, or ``g * (E - post.V)``).
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=1.0,
        output="cuba",
        E=0.0,
        delay=0.0,
        dt=0.1,
        name=None,
    ):
        super().__init__(pre, post, conn, name=name)
        owner = f"{type(self).__name__} {self.name}"
        if output not in ("cuba", "coba"):
            raise ValueError(f"{owner}: output must be 'cuba' or 'coba', got {output!r}")
        if output == "coba" and not hasattr(post, "V"):
            raise ValueError(
                f"{owner}: output='coba' needs a membrane potential V on the post group "
                f"{post.name}, which has none"
            )
        check_finite(owner, E=E)
        _check_delay(owner, delay, dt)
        self.output_type = output
        self.coba = output == "coba"
        self.E = float(E)
        self.weight = _weights(owner, weight, self.num_synapses)
        # spikes wait in the delay with their dtype: bool, or floats (a neuron with a
        # surrogate spike function, whose gradient flows through the synapse)
        spike = getattr(pre, "spike", None)
        self.pre_delay = Delay(pre.num, delay, dt, dtype=bool if spike is None else spike.dtype)

    def presynaptic_spikes(self):
        """This step's presynaptic spikes: ``pre.spike`` from ``delay`` ms ago."""
        return self.pre_delay.push(self.pre.spike)

    def propagate(self, events):
        """The summed weights of the synapses of the neurons in ``events``, per target."""
        return bm.event_matvec(events, self.indptr, self.indices, self.weight, self.post.num)

    def output(self, g):
        """The current ``g`` delivers to the post group: ``g`` (cuba) or
        ``g * (E - post.V)`` (coba)."""
        if self.coba:
            return g * (self.E - self.post.V)
        return g


class Delta(Synapse):
    """Delta synapses: each spike delivers the charge ``weight`` within one step.

    The post group receives ``weight / dt`` (the summed weights of this step's spikes)
    for one step: with ``output='cuba'`` a LIF neuron with ``R = 1`` jumps by about
    ``weight / tau`` mV, whatever ``dt``; with ``'coba'`` the pulse is a conductance
    (``(weight / dt) * (E - V)``). No state.

    Defaults: ``weight`` 1 (generic), ``output='cuba'``, ``E`` 0 mV, no extra delay.
    """

    def update(self, t, dt):
        g = self.propagate(self.presynaptic_spikes())
        if self.coba:
            delta_coba_output(g, self.post.V, self.post.input, dt, self.E, out=(self.post.input,))
        else:
            self.post.input += g / dt


def exp_dg(g, t, tau):
    return -g / tau


def exp_decay(g, t, tau, dt=0.1):
    """The exact step of ``dg/dt = -g / tau``: ``g * exp(-dt / tau)`` (one ``exp`` per
    step when ``tau`` is a number)."""
    return g * bm.exp(-dt / tau)


@bm.elementwise
def delta_coba_output(g, V, I_ext, dt, E):
    """The input after a conductance pulse ``g / dt`` (the summed weights of this step's
    spikes, per postsynaptic neuron): ``I_ext + (g / dt) (E - V)``. One fused loop in
    Numba code (``bm.elementwise``)."""
    return I_ext + (g / dt) * (E - V)


@bm.elementwise
def exp_cuba_step(g, g_in, I_ext, dt, tau):
    """The exact step of a current-based exponential synapse, per postsynaptic neuron:
    ``g`` decays and takes the arriving weights ``g_in``; ``g`` is added to the input
    ``I_ext``. Returns the new ``g`` and ``I_ext``. One fused loop in Numba code
    (``bm.elementwise``)."""
    g = g * bm.exp(-dt / tau) + g_in
    return g, I_ext + g


@bm.elementwise
def exp_coba_step(g, g_in, V, I_ext, dt, tau, E):
    """The exact step of a conductance-based exponential synapse, per postsynaptic
    neuron: ``g`` decays and takes the arriving weights ``g_in``; the current
    ``g (E - V)`` is added to the input ``I_ext``. Returns the new ``g`` and ``I_ext``. One fused
    loop in Numba code (``bm.elementwise``)."""
    g = g * bm.exp(-dt / tau) + g_in
    return g, I_ext + g * (E - V)


class Exponential(Synapse):
    r"""Exponential synapses: ``dg/dt = -g / tau``; a spike adds ``weight`` to ``g``.

    Integrated exactly (``method='exact'``, the default: :func:`exp_decay`; any
    ``bp.odeint`` method of ``exp_dg`` may be asked for instead). ``g`` (one per
    postsynaptic neuron) jumps in the step the spike arrives and decays as
    ``weight * exp(-s / tau)`` ``s`` ms later.

    Defaults: a generic synapse, not a published one: ``tau`` = 8 ms and ``weight`` 1
    are BrainPy's defaults (``ExpCUBA``). The COBA benchmark (Brette et al. 2007) uses
    5 ms (excitatory) and 10 ms (inhibitory): ``examples/coba.py``.
    """

    def __init__(self, pre, post, conn, weight=1.0, tau=8.0, method="exact", **kwargs):
        super().__init__(pre, post, conn, weight=weight, **kwargs)
        check_positive(f"{type(self).__name__} {self.name}", tau=tau)
        self.tau = tau
        self.g = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))
        self.exact = method == "exact"
        self.integral = exp_decay if self.exact else odeint(exp_dg, method=method)

    def update(self, t, dt):
        spikes = self.presynaptic_spikes()
        if self.exact:  # one fused step
            g_in = self.propagate(spikes)
            I_ext = self.post.input
            if self.coba:
                V = self.post.V
                exp_coba_step(self.g, g_in, V, I_ext, dt, self.tau, self.E, out=(self.g, I_ext))
            else:
                exp_cuba_step(self.g, g_in, I_ext, dt, self.tau, out=(self.g, I_ext))
            return
        g = self.integral(self.g, t, self.tau, dt=dt)
        self.g.value = g + self.propagate(spikes)
        self.post.input += self.output(self.g)


def dual_dg(g, t, h, tau_decay):
    return -g / tau_decay + h


def dual_dh(h, t, tau_rise):
    return -h / tau_rise


_DUAL_STEPS: dict = {}  # (method, coba) -> (integral, step), both bm.elementwise


def _dual_steps(method, coba):
    """``(integral, step)`` of the dual-exponential synapses, both ``bm.elementwise`` (one
    fused loop over the postsynaptic neurons in Numba code): ``step`` integrates ``g``
    and ``h``, adds ``scale * h_in`` (the arriving weights) to ``h`` and the output of
    the new ``g`` to the input (``coba``: ``g (E - V)``); it returns the new ``g``,
    ``h`` and input. Made once per method and output, shared by every synapse."""
    key = (method, coba)
    if key not in _DUAL_STEPS:
        integral = odeint(JointEq(dual_dg, dual_dh), method=method)

        def dual_coba_step(g, h, h_in, V, I_ext, t, dt, tau_decay, tau_rise, scale, E):
            g_new, h_new = integral(g, h, t, tau_decay, tau_rise, dt=dt)
            return g_new, h_new + scale * h_in, I_ext + g_new * (E - V)

        def dual_cuba_step(g, h, h_in, I_ext, t, dt, tau_decay, tau_rise, scale):
            g_new, h_new = integral(g, h, t, tau_decay, tau_rise, dt=dt)
            return g_new, h_new + scale * h_in, I_ext + g_new

        step = dual_coba_step if coba else dual_cuba_step
        _DUAL_STEPS[key] = bm.elementwise(integral), bm.elementwise(step)
    return _DUAL_STEPS[key]


class DualExponential(Synapse):
    r"""Dual-exponential synapses.

    .. math:: \frac{dg}{dt} = -\frac{g}{\tau_{decay}} + h \qquad
              \frac{dh}{dt} = -\frac{h}{\tau_{rise}}

    A spike adds to ``h`` so that the response of ``g`` peaks at ``weight``:
    ``g(s) = weight * (exp(-s / tau_decay) - exp(-s / tau_rise)) / norm``, ``s`` ms
    after the step the spike arrives in, with ``norm`` the maximum of the difference.
    Integrated with RK4 by default (the two equations are coupled; exponential Euler
    would hold ``h`` over a step).

    Defaults: generic, not a published synapse: ``tau_decay`` 10 ms, ``tau_rise``
    1 ms, ``weight`` 1 (BrainPy's ``DualExponential`` defaults).
    """

    def __init__(
        self, pre, post, conn, weight=1.0, tau_decay=10.0, tau_rise=1.0, method="rk4", **kwargs
    ):
        super().__init__(pre, post, conn, weight=weight, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        check_positive(owner, **self._time_constants(tau_decay, tau_rise))
        self.tau_decay, self.tau_rise = tau_decay, tau_rise
        self.scale = self._peak_scale(owner)
        self.g = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))
        self.h = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))
        self.integral, self.step = _dual_steps(method, self.coba)

    def _time_constants(self, tau_decay, tau_rise) -> dict:
        """The time constants as the constructor was given them (named for errors)."""
        return {"tau_decay": tau_decay, "tau_rise": tau_rise}

    def _peak_scale(self, owner):
        """The jump of ``h`` per unit weight that makes the response of ``g`` peak at 1."""
        td, tr = float(self.tau_decay), float(self.tau_rise)
        if not tr < td:
            raise ValueError(
                f"{owner}: tau_rise ({tr}) must be smaller than tau_decay ({td}); "
                "use Alpha for equal time constants"
            )
        tau = td * tr / (td - tr)
        peak_time = tau * math.log(td / tr)
        return 1.0 / (tau * (math.exp(-peak_time / td) - math.exp(-peak_time / tr)))

    def update(self, t, dt):
        h_in = self.propagate(self.presynaptic_spikes())
        td, tr, scale, I_ext = self.tau_decay, self.tau_rise, self.scale, self.post.input
        if self.coba:
            V = self.post.V
            self.step(
                self.g, self.h, h_in, V, I_ext, t, dt, td, tr, scale, self.E,
                out=(self.g, self.h, I_ext),
            )  # fmt: skip
        else:
            self.step(
                self.g, self.h, h_in, I_ext, t, dt, td, tr, scale, out=(self.g, self.h, I_ext)
            )


class Alpha(DualExponential):
    r"""Alpha-function synapses: ``g(s) = weight * (s / tau) * exp(1 - s / tau)``, ``s``
    ms after the step the spike arrives in (peak ``weight`` at ``s = tau``).

    The dual-exponential equations with ``tau_rise = tau_decay = tau``.

    Defaults: generic, not a published synapse: ``tau`` 8 ms, ``weight`` 1 (BrainPy's
    ``Alpha`` defaults).
    """

    def __init__(self, pre, post, conn, weight=1.0, tau=8.0, method="rk4", **kwargs):
        super().__init__(
            pre, post, conn, weight=weight, tau_decay=tau, tau_rise=tau, method=method, **kwargs
        )
        self.tau = tau

    def _time_constants(self, tau_decay, tau_rise) -> dict:
        return {"tau": tau_decay}

    def _peak_scale(self, owner):
        return math.e / float(self.tau_decay)


def kinetic_dg(g, t, T, alpha, beta):
    return alpha * T * (1.0 - g) - beta * g


_KINETIC_STEPS: dict = {}  # method -> (integral, step), both bm.elementwise


def _kinetic_steps(method):
    """``(integral, step)`` of the kinetic receptor models, both ``bm.elementwise`` (one
    fused loop over the presynaptic neurons in Numba code): ``step`` records the arrival
    time of this step's spikes, sets the transmitter ``[T]`` for the ``T_duration`` ms
    after an arrival and integrates ``g``; it returns the new ``t_arrival`` and ``g``.
    Made once per method, shared by every synapse."""
    if method not in _KINETIC_STEPS:
        integral = odeint(kinetic_dg, method=method)

        def kinetic_step(spike, t_arrival, g, t, dt, T, T_duration, alpha, beta):
            t_arrival = bm.where(spike, t, t_arrival)
            transmitter = ((t - t_arrival) < T_duration - 0.5 * dt) * T
            return t_arrival, integral(g, t, transmitter, alpha, beta, dt=dt)

        _KINETIC_STEPS[method] = bm.elementwise(integral), bm.elementwise(kinetic_step)
    return _KINETIC_STEPS[method]


@bm.elementwise
def coba_output(g, V, I_ext, E):
    """The input plus the current of conductance ``g``: ``I_ext + g (E - V)``. One fused
    loop in Numba code (``bm.elementwise``)."""
    return I_ext + g * (E - V)


class AMPA(Synapse):
    r"""AMPA receptors: the kinetic model of Destexhe, Mainen & Sejnowski (1994).

    .. math:: \frac{dg}{dt} = \alpha [T] (1 - g) - \beta g

    ``[T]`` is ``T`` (mM) for ``T_duration`` ms after a presynaptic spike arrives, 0
    otherwise. The open fraction ``g`` depends only on the presynaptic neuron, so it is
    kept per presynaptic neuron (``syn.g``, length ``pre.num``), and the postsynaptic
    conductance is ``sum(weight * g[pre])`` over the synapses onto each neuron
    (``bp.math.event_matvec`` with ``g`` as values). Output ``'coba'`` with
    ``E = 0`` mV by default. Exponential Euler is exact here (``[T]`` is constant over a
    step).

    Defaults: the two-state AMPA model of Destexhe, Mainen & Sejnowski (1994, Neural
    Comput. 6:14; J. Comput. Neurosci. 1:195): ``alpha`` = 1.1e6 /(M s) = 1.1
    /(mM ms), ``beta`` = 190 /s = 0.19 /ms, ``E`` = 0 mV, a transmitter pulse of
    ``T`` = 1 mM for ``T_duration`` = 1 ms (the same values in Ermentrout & Terman
    2010, sec. 7.1). ``weight`` (the maximal conductance, in the post group's units)
    is not from the paper: BrainPy's default 0.42.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=0.42,
        alpha=1.1,
        beta=0.19,
        T=1.0,
        T_duration=1.0,
        output="coba",
        E=0.0,
        method="exp_euler",
        **kwargs,
    ):
        super().__init__(pre, post, conn, weight=weight, output=output, E=E, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        check_positive(owner, alpha=alpha, beta=beta, T=T, T_duration=T_duration)
        self.alpha, self.beta, self.T, self.T_duration = alpha, beta, T, T_duration
        self.g = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.t_arrival = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()) - 1e7)
        self.integral, self.step = _kinetic_steps(method)

    def update(self, t, dt):
        spikes = self.presynaptic_spikes()
        self.step(
            spikes, self.t_arrival, self.g, t, dt, self.T, self.T_duration, self.alpha,
            self.beta, out=(self.t_arrival, self.g),
        )  # fmt: skip
        g_post, I_ext = self.propagate(self.g), self.post.input
        if self.coba:
            coba_output(g_post, self.post.V, I_ext, self.E, out=(I_ext,))
        else:
            self.post.input += g_post


class GABAa(AMPA):
    """GABA_A receptors: the kinetic model of :class:`AMPA` with GABA_A's rates and
    ``E = -80`` mV.

    Defaults: the two-state GABA_A model of Destexhe, Mainen & Sejnowski (1994, as
    for :class:`AMPA`): ``alpha`` = 5e6 /(M s) = 5 /(mM ms), ``beta`` = 180 /s =
    0.18 /ms, ``E`` = -80 mV, ``T`` = 1 mM for ``T_duration`` = 1 ms. ``weight`` is
    BrainPy's default 0.04, not from the paper.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=0.04,
        alpha=5.0,
        beta=0.18,
        T=1.0,
        T_duration=1.0,
        output="coba",
        E=-80.0,
        method="exp_euler",
        **kwargs,
    ):
        super().__init__(
            pre,
            post,
            conn,
            weight=weight,
            alpha=alpha,
            beta=beta,
            T=T,
            T_duration=T_duration,
            output=output,
            E=E,
            method=method,
            **kwargs,
        )
