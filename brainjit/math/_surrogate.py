"""``bp.math.surrogate``: spike functions with surrogate gradients (both backends).

A spiking neuron emits a spike when its potential crosses a threshold: the spike is the
Heaviside step ``H(x)`` of ``x = V - V_th`` (mV), whose derivative is 0 almost
everywhere, so gradient descent through spikes gets exactly 0. A *surrogate* spike
function keeps the exact step in the forward pass and uses, in the backward pass, the
derivative of a smooth step ``f_alpha(x)`` that rises from 0 to 1 around ``x = 0``
(Neftci, Mostafa & Zenke 2019). ``alpha`` is the steepness (per mV when ``x`` is in
mV): the larger, the closer ``f_alpha`` is to the step and the narrower its derivative.

Smooth step ``f_alpha(x)`` -> backward ``f_alpha'(x)``:

- ``sigmoid``: ``1 / (1 + exp(-alpha x))`` -> ``alpha s (1 - s)``, ``s = f_alpha(x)``;
- ``fast_sigmoid``: ``alpha x / (2 (1 + alpha |x|)) + 1/2`` ->
  ``alpha / (2 (1 + alpha |x|)**2)``;
- ``arctan``: ``arctan(pi alpha x / 2) / pi + 1/2`` ->
  ``(alpha / 2) / (1 + (pi alpha x / 2)**2)``;
- ``piecewise_linear``: ``clip(alpha x + 1/2, 0, 1)`` -> ``alpha`` where
  ``|x| < 1 / (2 alpha)``, else 0;
- ``piecewise_quadratic``: ``alpha x - alpha**2 x |x| / 2 + 1/2`` for ``|x| <= 1/alpha``
  (0 below, 1 above) -> ``max(0, alpha - alpha**2 |x|)``;
- ``gaussian``: ``(1 + erf(alpha x)) / 2`` -> ``alpha / sqrt(pi) exp(-(alpha x)**2)``.

Every backward function integrates to 1 over ``x`` (the step's height).
``fast_sigmoid`` (also ``super_spike``) is SuperSpike's surrogate (Zenke & Ganguli
2018, ``(1 + alpha |x|)**-2``) times ``alpha / 2``, which normalises it so;
``sigmoid`` and ``arctan`` have BrainPy's definitions and defaults
(``brainpy.math.surrogate``), as has ``piecewise_quadratic``.

Each is a function, ``bm.surrogate.sigmoid(x, alpha=4.0, origin=False)``, and a class
whose instances are spike functions with their parameters bound,
``bm.surrogate.Sigmoid(alpha=4.0)``: pass one to a built-in neuron
(``bp.dyn.LIF(n, spike_fun=bm.surrogate.Sigmoid())``). Forward, both return exactly
``x >= 0`` as a float array (``x``'s float dtype; integers and booleans give the
default float dtype), on both backends; on the numpy backend (no gradients) they
compile in Numba code, so that model code is the same on both. ``origin=True`` (BrainPy's
spelling) computes the smooth step ``f_alpha(x)`` itself in the forward pass too, with
its exact derivative: the *smoothed model*, whose gradients a finite-difference
estimate can check.

Only the gradient with respect to ``x`` is defined: ``alpha`` is a constant (its
gradient is 0 with ``origin=False``).
"""

from __future__ import annotations

import numbers

__all__ = ["SURROGATES", "Surrogate", "ZeroGradientWarning", "make_classes"]

#: name -> (class name, default alpha, one-line description)
SURROGATES = {
    "sigmoid": ("Sigmoid", 4.0, "the logistic sigmoid ``1 / (1 + exp(-alpha x))``"),
    "fast_sigmoid": (
        "FastSigmoid",
        10.0,
        "the fast sigmoid of SuperSpike (Zenke & Ganguli 2018): "
        "``alpha x / (2 (1 + alpha |x|)) + 1/2``",
    ),
    "arctan": ("Arctan", 2.0, "``arctan(pi alpha x / 2) / pi + 1/2`` (BrainPy's)"),
    "piecewise_linear": ("PiecewiseLinear", 1.0, "the ramp ``clip(alpha x + 1/2, 0, 1)``"),
    "piecewise_quadratic": (
        "PiecewiseQuadratic",
        1.0,
        "the piecewise quadratic step of BrainPy, whose derivative is the triangle "
        "``max(0, alpha - alpha**2 |x|)``",
    ),
    "gaussian": ("Gaussian", 1.0, "``(1 + erf(alpha x)) / 2`` (a Gaussian derivative)"),
}
ALIASES = {"super_spike": "fast_sigmoid"}  # function aliases (and their classes)
CLASS_ALIASES = {"SuperSpike": "FastSigmoid"}


class ZeroGradientWarning(UserWarning):
    """A gradient flows through a spike test that has none (a built-in neuron without a
    surrogate spike function): that part of the gradient is exactly 0."""


def check_alpha(where: str, alpha):
    """``alpha`` as a float, or a ValueError naming ``where``."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"{where}: alpha (the steepness, per unit of x) must be a number > 0")
    alpha = float(alpha)
    if not alpha > 0 or alpha == float("inf"):
        raise ValueError(f"{where}: alpha (the steepness) must be a finite number > 0, got {alpha}")
    return alpha


class Surrogate:
    """A spike function with a surrogate gradient and its parameters: ``s(x)``.

    ``s(x)`` is exactly ``x >= 0`` (as floats) forward and has the derivative of the
    smooth step of its kind backward (module docstring); with ``origin=True`` it is the
    smooth step itself. Pass one to a built-in neuron as ``spike_fun=``.

    Attributes: ``name`` (the function's name, e.g. ``'sigmoid'``), ``alpha``,
    ``origin``. ``function`` is ``f(x, alpha)``: the spike function on the active
    backend, usable in compiled code (Numba kernels on the numpy backend).
    """

    name = ""
    _functions: dict = {}  # backend name -> {(name, origin): f(x, alpha)}

    def __init__(self, alpha=None, origin: bool = False):
        default = SURROGATES[self.name][1]
        where = f"bm.surrogate.{type(self).__name__}"
        self.alpha = default if alpha is None else check_alpha(where, alpha)
        if not isinstance(origin, bool):
            raise ValueError(f"{where}: origin must be True or False, got {origin!r}")
        self.origin = origin

    @property
    def function(self):
        from brainjit.math import _backend

        backend = _backend.load(_backend.get_backend_name())
        return backend.surrogate.KERNELS[(self.name, self.origin)]

    def __call__(self, x):
        from brainjit.math import _backend

        backend = _backend.load(_backend.get_backend_name())
        return backend.surrogate.PUBLIC[self.name](x, self.alpha, self.origin)

    def __repr__(self):
        origin = ", origin=True" if self.origin else ""
        return f"bm.surrogate.{type(self).__name__}(alpha={self.alpha}{origin})"

    def __eq__(self, other):
        return (
            type(other) is type(self) and other.alpha == self.alpha and other.origin == self.origin
        )

    def __hash__(self):
        return hash((type(self), self.alpha, self.origin))


def _make_class(name: str):
    class_name, default, description = SURROGATES[name]
    doc = (
        f"Heaviside spike function with the surrogate gradient of {description}; "
        f"``alpha`` defaults to {default}. See :class:`Surrogate` and the module docstring."
    )
    return type(class_name, (Surrogate,), {"name": name, "__doc__": doc})


CLASSES = {SURROGATES[name][0]: _make_class(name) for name in SURROGATES}
CLASSES.update({alias: CLASSES[target] for alias, target in CLASS_ALIASES.items()})


def make_classes() -> dict:
    """The public classes (shared by both backends: their ``function`` resolves on the
    active backend)."""
    return dict(CLASSES, Surrogate=Surrogate, ZeroGradientWarning=ZeroGradientWarning)


def function_doc(name: str) -> str:
    class_name, default, description = SURROGATES.get(name, SURROGATES[ALIASES.get(name, name)])
    return (
        f"``{name}(x, alpha={default}, origin=False)``: exactly ``x >= 0`` (as floats) forward, "
        f"the derivative of {description} backward (jax backend); with ``origin=True`` that "
        f"smooth step forward too. The class ``{class_name}`` binds the parameters. See "
        "``bm.surrogate``'s docstring."
    )
