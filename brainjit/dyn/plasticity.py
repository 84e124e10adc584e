r"""Long-term synaptic plasticity: :class:`PlasticSynapse` (the base class of plastic
synapses, for rules of one's own), :class:`STDP` (pair-based) and :class:`TripletSTDP`
(Pfister & Gerstner 2006).

A plastic synapse is a :class:`~brainjit.dyn.synapses.Synapse` (CSR connectivity,
``output='cuba'``/``'coba'``, ``delay``) whose weights, one per synapse in CSR order,
are a Variable (``syn.weight``) that the rule changes while the model runs: readable
after a run, monitorable by the Runner (``monitors={'w': ('syn.weight', ids)}``, a subset
of the synapses, recorded every ``monitor_every`` steps).

**A step** (``update(t, dt)``, in this order):

1. the presynaptic spikes that arrive now (``pre.spike`` of the previous step, through
   the ``delay``) are transmitted with the weights as they are, before this step's
   changes (``tau`` > 0: exponential synapses ``dg/dt = -g / tau``, a spike adds its
   weight to ``g``; ``tau=None``: a pulse of ``weight / dt`` for one step, like
   ``bp.dyn.Delta``);
2. :meth:`PlasticSynapse.on_step` ``(t, dt)``: every step (e.g. the decay of traces);
3. :meth:`PlasticSynapse.on_pre` ``(spikes, w, pre, post, t, dt)`` on the synapses of
   the presynaptic neurons whose spikes arrive now; returns their new weights;
4. :meth:`PlasticSynapse.on_post` ``(spikes, w, pre, post, t, dt)`` on the synapses
   onto the postsynaptic neurons that fired (``post.spike`` of the previous step, no
   delay); returns their new weights.

So the time of a pair is the difference of the *arrival* of the presynaptic spike at
the synapse and the postsynaptic spike: ``lag = t_post - (t_pre + delay)``; a
presynaptic spike and a postsynaptic spike in the same step count as ``lag = 0``, pre
before post (Brian2's order of its ``on_pre`` and ``on_post`` pathways).

The updates are event-driven on the sparse projection (``bp.math.event_csr_select``):
on the numpy backend the hooks see only the synapses of the neurons that fired (the
rows of the presynaptic CSR, or of its transpose, built once at construction, for the
postsynaptic side), so a step costs O(neurons + the synapses of the spikes), not
O(synapses). On the jax backend (static shapes) they see, when at most about 1/64 of
a side's neurons fired, the synapses of those neurons padded to a fixed number (rows of
a padded table, built once), else every synapse; the returned weights of synapses
whose neuron did not fire (padding, or the others) are dropped (``_Side``).
"""

from __future__ import annotations

import numpy as np

from brainjit import math as bm
from brainjit.dyn.base import check_finite, check_nonnegative, check_positive
from brainjit.dyn.synapses import Synapse, delta_coba_output, exp_coba_step, exp_cuba_step

__all__ = ["PlasticSynapse", "STDP", "TripletSTDP"]


def _transpose(indptr: np.ndarray, indices: np.ndarray, post_num: int):
    """The CSR by postsynaptic neuron of a CSR by presynaptic neuron: ``(post_indptr,
    post_syn, post_pre)``: the synapses onto post neuron ``j`` are
    ``post_syn[post_indptr[j]:post_indptr[j + 1]]`` (their CSR positions, ascending),
    from the presynaptic neurons ``post_pre[...]``."""
    counts = np.diff(indptr).astype(np.int64)
    pre_of = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    order = np.argsort(indices, kind="stable")
    post_indptr = np.zeros(post_num + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=post_num), out=post_indptr[1:])
    return post_indptr, order.astype(np.int64), pre_of[order]


class _Side:
    """One side (presynaptic or postsynaptic) of a plastic synapse on the jax backend.

    The synapses of a neuron are a row of a CSR structure (``indptr``; ``ids``: the
    synapse of each entry, None: the entry itself; ``others``: the neuron at the other
    end). XLA needs static shapes, so a step cannot visit exactly the rows that fired;
    instead, when at most ``cap`` neurons fired (about ``rows / 64``, as
    ``bm.event_matvec``), their ids (``nonzero(size=cap)``) pick rows of a padded
    ``(rows + 1, max_row)`` table of synapse ids, and the hook sees those ``cap *
    max_row`` synapses (padding: the id ``num_synapses``, out of range, whose new
    weight is dropped). Otherwise (a burst, or when the table is not smaller than the
    synapses) the hook sees every synapse, and the weights of those without a spike are
    kept by a select. ``lax.cond`` (``bm.cond``) picks the path at run time. Below
    ``min_synapses`` synapses every step takes the second path: on the CPU a fused pass
    over a few thousand synapses costs less than ``nonzero``, the gathers and the cond
    (Song et al.'s 1000 inputs onto one neuron: 15 s against 30 s per 100 s).
    """

    min_synapses = 16384

    def __init__(self, indptr, ids, others, rows: int):
        counts = np.diff(np.asarray(indptr)).astype(np.int64)
        nnz = int(counts.sum())
        own = np.repeat(np.arange(rows, dtype=np.int64), counts)
        syn = np.arange(nnz, dtype=np.int64) if ids is None else np.asarray(ids, np.int64)
        others = np.asarray(others, np.int64)
        # every synapse in CSR order (synapse id s at position s): this side's neuron and
        # the other neuron of each
        order = np.argsort(syn, kind="stable")
        self.own_all = own[order].astype(np.int32)
        self.other_all = others[order].astype(np.int32)
        width = int(counts.max()) if rows and nnz else 0
        self.cap = max(1, -(-rows // 64))
        self.sparse = 0 < width and self.cap * width < nnz and nnz >= self.min_synapses
        if self.sparse:
            table = np.full((rows + 1, width), nnz, dtype=np.int32)  # row `rows`: padding
            other = np.zeros((rows + 1, width), dtype=np.int32)
            column = np.arange(nnz) - np.repeat(np.asarray(indptr)[:-1], counts)
            table[own, column] = syn
            other[own, column] = others
            self.table, self.other_table = table, other
        self.rows, self.nnz = rows, nnz

    def apply(self, owner, hook, spikes, t, dt, post_first):
        """``owner.weight`` updated by ``hook(spikes, w, pre, post, t, dt)`` on the
        synapses of the neurons that fired (``post_first``: this side is the
        postsynaptic one, so ``own`` ids are ``post``)."""
        import jax.numpy as jnp

        from brainjit.math._jax.ndarray import unwrap, wrap

        def call(w, own, other):
            pre, post = (other, own) if post_first else (own, other)
            return hook(spikes, w, pre, post, t, dt)

        def every(_):
            fired = jnp.asarray(unwrap(spikes))[self.own_all] != 0
            new = call(owner.weight.value, self.own_all, self.other_all)
            owner.weight.value = bm.where(wrap(fired), new, owner.weight.value)

        if not self.sparse:
            every(None)
            return

        def some(_):
            fired = jnp.asarray(unwrap(spikes)) != 0
            rows = jnp.nonzero(fired, size=self.cap, fill_value=self.rows)[0]
            syn = jnp.asarray(self.table)[rows].reshape(-1)
            own = jnp.broadcast_to(rows[:, None], (self.cap, self.table.shape[1])).reshape(-1)
            other = jnp.asarray(self.other_table)[rows].reshape(-1)
            weight = unwrap(owner.weight.value)
            w = weight.at[syn].get(mode="clip")
            new = jnp.asarray(unwrap(call(wrap(w), wrap(own), wrap(other))), weight.dtype)
            owner.weight.value = wrap(weight.at[syn].set(new, mode="drop"))

        count = jnp.sum(jnp.asarray(unwrap(spikes)) != 0)
        bm.cond(wrap(count <= self.cap), some, every, (wrap(count),))


class PlasticSynapse(Synapse):
    """The base class of plastic synapses: weights per synapse that a rule changes on
    presynaptic spikes, on postsynaptic spikes and every step.

    Args:
        pre, post: the presynaptic and postsynaptic groups (``post`` needs ``spike``).
        conn: a ``bp.conn`` connector, an ``(indptr, indices)`` CSR pair or a dense
            boolean matrix (see ``bp.dyn.TwoEndConn``).
        weight: the initial weights: a number (every synapse) or one per synapse in CSR
            order; ``syn.weight`` is always a Variable of one weight per synapse.
        tau: the decay time constant (ms) of the exponential synaptic variable ``g``
            (one per postsynaptic neuron; a spike adds its synapse's weight); ``None``:
            no ``g``, each spike delivers ``weight / dt`` for one step (``bp.dyn.Delta``).
        output: ``'cuba'`` (``g`` added to ``post.input``) or ``'coba'``
            (``g * (E - post.V)``, ``E`` in mV).
        E: the reversal potential (mV) of ``'coba'``.
        delay: the transmission delay (ms) of presynaptic spikes, on top of the one step
            of every synapse; the rule sees presynaptic spikes when they arrive.
        dt: the time step (ms) the model will be run with (for the delay).

    Subclasses create their state (traces: Variables of ``pre.num`` or ``post.num``
    values) in ``__init__`` and override the hooks, in plain Python that compiles on both
    backends like any ``update``:

    - ``on_step(self, t, dt)``: every step, before the spikes (decay traces here);
    - ``on_pre(self, spikes, w, pre, post, t, dt)``: ``spikes`` (bool, ``pre.num``) the
      presynaptic spikes that arrive now; ``w`` the weights of the synapses of those
      neurons, ``pre`` and ``post`` (ints) their presynaptic and postsynaptic neurons.
      Return the new weights (same length as ``w``). Per-neuron state (traces) is
      updated from ``spikes``;
    - ``on_post(self, spikes, w, pre, post, t, dt)``: the same for the postsynaptic
      neurons that fired (``spikes``, ``post.num``) and the synapses onto them.

    ``w``, ``pre`` and ``post`` are arrays over a selection of synapses: on the numpy
    backend exactly the synapses of the neurons that fired (in CSR order; possibly
    none), on the jax backend a fixed number of synapses that includes them (those of
    at most ``cap`` neurons that fired, padded; or every synapse in a burst), the
    returned weights of the others dropped. So a hook computes each synapse's new
    weight from that synapse's values only (gather per-neuron traces with ``trace[pre]``,
    ``trace[post]``) and does not reduce over or scatter into its arrays. The default
    hooks change nothing. Every value is in the units of the weights; times in ms.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=1.0,
        tau=5.0,
        output="cuba",
        E=0.0,
        delay=0.0,
        dt=0.1,
        name=None,
    ):
        super().__init__(pre, post, conn, weight=weight, output=output, E=E, delay=delay, dt=dt,
                         name=name)  # fmt: skip
        owner = f"{type(self).__name__} {self.name}"
        if not hasattr(post, "spike"):
            raise ValueError(f"{owner}: the post group {post.name} has no spike Variable")
        if tau is not None:
            check_positive(owner, tau=tau)
        self.tau = tau
        if not bm.is_variable(self.weight):  # one number: one Variable entry per synapse
            self.weight = bm.Variable(bm.full(self.num_synapses, self.weight, dtype=bm.dftype()))
        # every branch of transmit() is compiled: g and a number for its tau always
        # exist (with tau=None g stays 0)
        self.delta = tau is None
        self.tau_g = 1.0 if tau is None else float(tau)
        self.g = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))
        indptr, indices = np.asarray(self.indptr), np.asarray(self.indices)
        # the transpose, once: the synapses onto each postsynaptic neuron
        self.post_indptr, self.post_syn, self.post_pre = _transpose(indptr, indices, post.num)
        # which synapses the hooks see: on numpy those of the neurons that fired; on jax
        # (static shapes) those of at most `cap` neurons that fired, or every synapse
        if bm.get_backend_name() == "jax":
            self.pre_side = _Side(indptr, None, indices, pre.num)
            self.post_side = _Side(self.post_indptr, self.post_syn, self.post_pre, post.num)
            self.apply_hooks = self.update_jax
        else:
            self.apply_hooks = self.update_fired

    # -- the hooks ------------------------------------------------------------------
    def on_step(self, t, dt):
        """Every step, before the spikes (override: e.g. decay traces). Nothing here."""
        return None

    def on_pre(self, spikes, w, pre, post, t, dt):
        """The new weights of the synapses of the presynaptic neurons whose spikes arrive
        now (override). ``w`` unchanged here."""
        return w

    def on_post(self, spikes, w, pre, post, t, dt):
        """The new weights of the synapses onto the postsynaptic neurons that fired
        (override). ``w`` unchanged here."""
        return w

    # -- the step -------------------------------------------------------------------
    def transmit(self, spikes, dt):
        """Deliver this step's arriving ``spikes`` with the current weights."""
        g_in = self.propagate(spikes)
        I_ext = self.post.input
        if self.delta:
            if self.coba:
                delta_coba_output(g_in, self.post.V, I_ext, dt, self.E, out=(I_ext,))
            else:
                self.post.input += g_in / dt
        elif self.coba:
            V = self.post.V
            exp_coba_step(self.g, g_in, V, I_ext, dt, self.tau_g, self.E, out=(self.g, I_ext))
        else:
            exp_cuba_step(self.g, g_in, I_ext, dt, self.tau_g, out=(self.g, I_ext))

    def update(self, t, dt):
        pre_spike = self.presynaptic_spikes()
        post_spike = self.post.spike
        self.transmit(pre_spike, dt)
        self.on_step(t, dt)
        self.apply_hooks(pre_spike, post_spike, t, dt)

    def update_jax(self, pre_spike, post_spike, t, dt):
        """jax: the hooks on the synapses of the presynaptic, then the postsynaptic
        neurons that fired (see :class:`_Side`)."""
        self.pre_side.apply(self, self.on_pre, pre_spike, t, dt, post_first=False)
        self.post_side.apply(self, self.on_post, post_spike, t, dt, post_first=True)

    def update_fired(self, pre_spike, post_spike, t, dt):
        """numpy: the hooks on the synapses of the neurons that fired only."""
        syn, pre, post = bm.event_csr_select(pre_spike, self.indptr, self.indices)
        w = self.on_pre(pre_spike, bm.event_csr_gather(self.weight, syn), pre, post, t, dt)
        bm.event_csr_scatter(self.weight, syn, w)
        syn, post, pre = bm.event_csr_select(
            post_spike, self.post_indptr, self.post_pre, self.post_syn
        )
        w = self.on_post(post_spike, bm.event_csr_gather(self.weight, syn), pre, post, t, dt)
        bm.event_csr_scatter(self.weight, syn, w)


def _clip(w, w_min, w_max):
    """``w`` clipped to ``[w_min, w_max]`` (``minimum(maximum(...))``: the same result as
    ``clip``, and Numba compiles it several times faster)."""
    return bm.minimum(bm.maximum(w, w_min), w_max)


def _check_bounds(owner, w_min, w_max, weight):
    check_finite(owner, w_min=w_min, w_max=w_max)
    if not w_min < w_max:
        raise ValueError(f"{owner}: w_min ({w_min}) must be smaller than w_max ({w_max})")
    arr = np.asarray(weight, dtype=float)
    if np.any(arr < w_min) or np.any(arr > w_max):
        raise ValueError(
            f"{owner}: the initial weights must lie in [w_min, w_max] = [{w_min}, {w_max}], "
            f"got {arr.min()} .. {arr.max()}"
        )


class STDP(PlasticSynapse):
    r"""Pair-based spike-timing-dependent plasticity with exponential traces.

    Each presynaptic neuron has a trace :math:`x` (``syn.x_pre``) and each postsynaptic
    neuron a trace :math:`y` (``syn.x_post``), decaying with :math:`\tau_+` and
    :math:`\tau_-`:

    .. math::
        \frac{dx}{dt} = -\frac{x}{\tau_+}, \qquad \frac{dy}{dt} = -\frac{y}{\tau_-}

    On the arrival of a presynaptic spike: :math:`w \leftarrow w - A_- f_-(w)\, y`, then
    :math:`x \leftarrow x + 1` (``nearest=True``: :math:`x \leftarrow 1`). On a
    postsynaptic spike: :math:`w \leftarrow w + A_+ f_+(w)\, x`, then
    :math:`y \leftarrow y + 1` (or 1). After each change :math:`w` is clipped to
    ``[w_min, w_max]`` (hard bounds). Weight dependence:

    - ``'additive'``: :math:`f_+ = f_- = 1`;
    - ``'multiplicative'`` (soft bounds): :math:`f_+(w) = w_{max} - w`,
      :math:`f_-(w) = w - w_{min}`.

    So an isolated pair with ``lag = t_post - (t_pre + delay)`` changes the weight by
    :math:`A_+ e^{-lag/\tau_+}` if ``lag >= 0`` and :math:`-A_- e^{lag/\tau_-}` if
    ``lag < 0`` (additive, within the bounds); with ``nearest=False`` (all-to-all) every
    pair of spikes adds its term, with ``nearest=True`` only the nearest earlier spike
    of the other side counts (Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459,
    sec. 4.1; the formulation of Brian2's STDP example). Spike timing: see the module
    docstring (the same step counts as ``lag = 0``: potentiation).

    Args:
        pre, post, conn, weight, tau, output, E, delay, dt, name: see
            :class:`PlasticSynapse`.
        tau_plus, tau_minus: the trace time constants (ms).
        A_plus, A_minus: the amplitudes (> 0, in weight units; ``'multiplicative'``:
            per unit of distance to the bound).
        w_min, w_max: the hard bounds of the weights.
        nearest: all-to-all (False) or nearest-spike (True) interactions.
        weight_dependence: ``'additive'`` or ``'multiplicative'``.

    Defaults: Song, Miller & Abbott (2000, Nat. Neurosci. 3:919): ``tau_plus`` =
    ``tau_minus`` = 20 ms, ``A_plus`` = 0.005 and ``A_minus`` = 1.05 ``A_plus`` of the
    maximal weight ``w_max`` = 1 (the amplitudes are absolute: scale them with
    ``w_max``), ``w_min`` = 0; initial ``weight`` 0.5, synaptic ``tau`` 5 ms.
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=0.5,
        tau_plus=20.0,
        tau_minus=20.0,
        A_plus=0.005,
        A_minus=0.00525,
        w_min=0.0,
        w_max=1.0,
        nearest=False,
        weight_dependence="additive",
        **kwargs,
    ):
        super().__init__(pre, post, conn, weight=weight, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        check_positive(owner, tau_plus=tau_plus, tau_minus=tau_minus)
        check_nonnegative(owner, A_plus=A_plus, A_minus=A_minus)
        _check_bounds(owner, w_min, w_max, weight)
        if weight_dependence not in ("additive", "multiplicative"):
            raise ValueError(
                f"{owner}: weight_dependence must be 'additive' or 'multiplicative', "
                f"got {weight_dependence!r}"
            )
        if not isinstance(nearest, bool):
            raise TypeError(f"{owner}: nearest must be True or False, got {nearest!r}")
        self.tau_plus, self.tau_minus = float(tau_plus), float(tau_minus)
        self.A_plus, self.A_minus = float(A_plus), float(A_minus)
        self.w_min, self.w_max = float(w_min), float(w_max)
        self.nearest = nearest
        self.weight_dependence = weight_dependence
        self.multiplicative = weight_dependence == "multiplicative"
        self.x_pre = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.x_post = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))

    # the updates are fused loops on the numpy backend (bm.elementwise, in place with
    # out=): a chain of array expressions allocates at every operation
    def on_step(self, t, dt):
        _scale(self.x_pre, bm.exp(-dt / self.tau_plus), out=(self.x_pre,))
        _scale(self.x_post, bm.exp(-dt / self.tau_minus), out=(self.x_post,))

    def on_pre(self, spikes, w, pre, post, t, dt):
        y = self.x_post[post]
        if self.multiplicative:
            new = _soft_depress(w, y, self.A_minus, self.w_min, self.w_max)
        else:
            new = _additive(w, y, -self.A_minus, self.w_min, self.w_max)
        if self.nearest:
            self.x_pre.value = bm.where(spikes, 1.0, self.x_pre)
        else:
            _add(self.x_pre, spikes, out=(self.x_pre,))
        return new

    def on_post(self, spikes, w, pre, post, t, dt):
        x = self.x_pre[pre]
        if self.multiplicative:
            new = _soft_potentiate(w, x, self.A_plus, self.w_min, self.w_max)
        else:
            new = _additive(w, x, self.A_plus, self.w_min, self.w_max)
        if self.nearest:
            self.x_post.value = bm.where(spikes, 1.0, self.x_post)
        else:
            _add(self.x_post, spikes, out=(self.x_post,))
        return new


@bm.elementwise
def _scale(x, factor):
    """``x * factor`` (a trace's decay over a step)."""
    return x * factor


@bm.elementwise
def _add(x, spikes):
    """``x + spikes`` (a trace's increment at the spikes)."""
    return x + spikes


@bm.elementwise
def _additive(w, x, a, w_min, w_max):
    """``w + a x`` clipped to ``[w_min, w_max]`` (additive STDP; ``a < 0``: depression)."""
    return bm.minimum(bm.maximum(w + a * x, w_min), w_max)


@bm.elementwise
def _soft_depress(w, y, a, w_min, w_max):
    """``w - a (w - w_min) y`` clipped (multiplicative depression)."""
    return bm.minimum(bm.maximum(w - a * (w - w_min) * y, w_min), w_max)


@bm.elementwise
def _soft_potentiate(w, x, a, w_min, w_max):
    """``w + a (w_max - w) x`` clipped (multiplicative potentiation)."""
    return bm.minimum(bm.maximum(w + a * (w_max - w) * x, w_min), w_max)


class TripletSTDP(PlasticSynapse):
    r"""Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006, J. Neurosci.
    26:9673), all-to-all interactions.

    Two presynaptic traces, :math:`r_1` (:math:`\tau_+`) and :math:`r_2`
    (:math:`\tau_x`), and two postsynaptic ones, :math:`o_1` (:math:`\tau_-`) and
    :math:`o_2` (:math:`\tau_y`), each decaying exponentially and increased by 1 at each
    spike of its neuron (``syn.r1``, ``syn.r2``, ``syn.o1``, ``syn.o2``). On the arrival
    of a presynaptic spike:

    .. math:: w \leftarrow w - o_1 \left(A_2^- + A_3^-\, r_2(t^-)\right),
              \quad r_1 \leftarrow r_1 + 1, \; r_2 \leftarrow r_2 + 1

    On a postsynaptic spike:

    .. math:: w \leftarrow w + r_1 \left(A_2^+ + A_3^+\, o_2(t^-)\right),
              \quad o_1 \leftarrow o_1 + 1, \; o_2 \leftarrow o_2 + 1

    (:math:`t^-`: the value just before the spike's own increment), then ``w`` is
    clipped to ``[w_min, w_max]``. So a pre-post-post triplet (post spikes ``lag1`` and
    ``lag2 > lag1`` after the presynaptic arrival) changes ``w`` by
    :math:`A_2^+ e^{-lag_1/\tau_+} + e^{-lag_2/\tau_+}\,(A_2^+ + A_3^+ e^{-(lag_2 -
    lag_1)/\tau_y})`. Spike timing: see the module docstring.

    Args:
        pre, post, conn, weight, tau, output, E, delay, dt, name: see
            :class:`PlasticSynapse`.
        tau_plus, tau_x, tau_minus, tau_y: the trace time constants (ms).
        A2_plus, A3_plus, A2_minus, A3_minus: the amplitudes (>= 0, weight units).
        w_min, w_max: the hard bounds.

    Defaults: the minimal all-to-all model fitted to visual cortex data (Sjöström et al.
    2001) in Pfister & Gerstner (2006), Table 4: ``tau_plus`` = 16.8 ms, ``tau_minus`` =
    33.7 ms, ``tau_y`` = 125 ms, ``A2_plus`` = 5e-10, ``A3_plus`` = 6.2e-3,
    ``A2_minus`` = 7e-3, ``A3_minus`` = 0 (so ``tau_x`` does not matter: 101 ms, the
    value of their full model). Bounds ``[0, 1]``, initial ``weight`` 0.5 (not from
    the paper).
    """

    def __init__(
        self,
        pre,
        post,
        conn,
        weight=0.5,
        tau_plus=16.8,
        tau_x=101.0,
        tau_minus=33.7,
        tau_y=125.0,
        A2_plus=5e-10,
        A3_plus=6.2e-3,
        A2_minus=7e-3,
        A3_minus=0.0,
        w_min=0.0,
        w_max=1.0,
        **kwargs,
    ):
        super().__init__(pre, post, conn, weight=weight, **kwargs)
        owner = f"{type(self).__name__} {self.name}"
        check_positive(owner, tau_plus=tau_plus, tau_x=tau_x, tau_minus=tau_minus, tau_y=tau_y)
        check_nonnegative(
            owner, A2_plus=A2_plus, A3_plus=A3_plus, A2_minus=A2_minus, A3_minus=A3_minus
        )
        _check_bounds(owner, w_min, w_max, weight)
        self.tau_plus, self.tau_x = float(tau_plus), float(tau_x)
        self.tau_minus, self.tau_y = float(tau_minus), float(tau_y)
        self.A2_plus, self.A3_plus = float(A2_plus), float(A3_plus)
        self.A2_minus, self.A3_minus = float(A2_minus), float(A3_minus)
        self.w_min, self.w_max = float(w_min), float(w_max)
        self.r1 = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.r2 = bm.Variable(bm.zeros(pre.num, dtype=bm.dftype()))
        self.o1 = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))
        self.o2 = bm.Variable(bm.zeros(post.num, dtype=bm.dftype()))

    def on_step(self, t, dt):
        self.r1.value = self.r1 * bm.exp(-dt / self.tau_plus)
        self.r2.value = self.r2 * bm.exp(-dt / self.tau_x)
        self.o1.value = self.o1 * bm.exp(-dt / self.tau_minus)
        self.o2.value = self.o2 * bm.exp(-dt / self.tau_y)

    def on_pre(self, spikes, w, pre, post, t, dt):
        dw = self.o1[post] * (self.A2_minus + self.A3_minus * self.r2[pre])
        self.r1.value = self.r1 + spikes
        self.r2.value = self.r2 + spikes
        return _clip(w - dw, self.w_min, self.w_max)

    def on_post(self, spikes, w, pre, post, t, dt):
        dw = self.r1[pre] * (self.A2_plus + self.A3_plus * self.o2[post])
        self.o1.value = self.o1 + spikes
        self.o2.value = self.o2 + spikes
        return _clip(w + dw, self.w_min, self.w_max)
