"""Numerical configuration shared by the backends: the 64-bit mode of JAX and the float
dtype of models' state."""

from __future__ import annotations

import sys


def enable_x64() -> None:
    """Let the jax backend compute in 64 bits (float64/int64), as the numpy backend does.

    JAX computes in 32 bits by default; asking a jax-backend function for a 64-bit dtype
    without this raises an error instead of silently truncating.
    """
    import jax

    jax.config.update("jax_enable_x64", True)


def disable_x64() -> None:
    """Return the jax backend to JAX's default 32-bit mode."""
    import jax

    jax.config.update("jax_enable_x64", False)


def x64_enabled() -> bool:
    """Whether the jax backend computes in 64 bits (False when JAX was never imported)."""
    if "jax" not in sys.modules:
        return False
    import jax

    return bool(jax.config.jax_enable_x64)


_DFLOAT = None  # set by set_dfloat; None: the backend's own default


def set_dfloat(dtype=None) -> None:
    """Set the float dtype of the state models create (``bp.dyn`` neurons, synapses
    and inputs: membrane potentials, conductances, gating variables ...), on both
    backends; ``None`` goes back to each backend's default (:func:`dftype`).

    ``bp.math.set_dfloat(bp.math.float32)`` runs the numpy backend in single precision,
    as the jax backend does by default: twice the neurons per vector instruction in
    compiled loops (``bp.math.elementwise`` computes in float32 when its arrays are
    float32). Check that the accuracy suffices for the model (``docs/simulation.md``).
    Array functions (``bp.math.zeros`` ...) keep NumPy's and JAX's own defaults, and
    float64 on the jax backend needs :func:`enable_x64` as any 64-bit array there does.
    """
    global _DFLOAT
    if dtype is None:
        _DFLOAT = None
        return
    import numpy as np

    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"set_dfloat: expected float32 or float64, got {dtype!r}")
    _DFLOAT = dt


def dftype():
    """The float dtype of models' state: the one given to :func:`set_dfloat`, else the
    active backend's default (numpy: float64; jax: float32, float64 after
    :func:`enable_x64`)."""
    import numpy as np

    if _DFLOAT is not None:
        return _DFLOAT
    from brainjit.math._backend import get_backend_name

    if get_backend_name() == "jax" and not x64_enabled():
        return np.dtype(np.float32)
    return np.dtype(np.float64)
