"""Numerical configuration shared by the backends (64-bit mode of JAX)."""

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
