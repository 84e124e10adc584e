"""Autodiff and vectorisation on the numpy backend: not available (they need JAX).

``bp.math.grad``, ``value_and_grad``, ``vector_grad``, ``jacobian``, ``jacrev``,
``jacfwd``, ``hessian``, ``vmap`` and ``pmap`` exist under the numpy backend so that code
naming them imports, and raise :class:`NotImplementedError` saying to switch to the jax
backend (``bp.math.use_backend('jax')``): Numba has no automatic differentiation and no
vectorising transformation.
"""

from __future__ import annotations

__all__ = ["NAMES", "FUNCTIONS", "REASON"]

#: Why these names are on the jax backend only (for the table of backend differences).
REASON = "autodiff/vectorisation need JAX"

NAMES = (
    "grad",
    "value_and_grad",
    "vector_grad",
    "jacobian",
    "jacrev",
    "jacfwd",
    "hessian",
    "vmap",
    "pmap",
)


def _jax_only(name: str):
    def function(*args, **kwargs):
        raise NotImplementedError(
            f"bp.math.{name} needs the jax backend ({REASON}; the numpy backend compiles "
            "with Numba, which has neither). Call bp.math.use_backend('jax') before "
            "building the model and the function (model code is the same on both "
            "backends)."
        )

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``bp.math.{name}`` on the numpy backend: raises NotImplementedError ({REASON}). "
        "Use ``bp.math.use_backend('jax')``."
    )
    return function


FUNCTIONS = {name: _jax_only(name) for name in NAMES}
