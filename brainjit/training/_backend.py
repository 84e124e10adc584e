"""The one check every training tool shares: gradient training needs the jax backend."""

from __future__ import annotations

import brainjit.math as bm


def require_jax(what: str) -> None:
    """Raise a clear error unless the jax backend is active.

    Numba has no automatic differentiation, so gradient training (optimisers, the
    differentiable training loop) exists on the jax backend only.
    """
    if bm.get_backend_name() != "jax":
        raise NotImplementedError(
            f"{what} needs the jax backend (gradient training uses JAX's automatic "
            f"differentiation, which Numba does not have; the active backend is "
            f"{bm.get_backend_name()!r}). Call bp.math.use_backend('jax') before building "
            "the model, or run with BRAINJIT_BACKEND=jax."
        )
