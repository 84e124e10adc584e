"""``bp.math.clear_cache()``: one function on both backends (the same object in both
namespaces), which clears the caches of every backend loaded in the process."""

from __future__ import annotations

import gc
import sys

_BACKEND_JITS = ("brainjit.math._numpy.jit", "brainjit.math._jax.jit")


def clear_cache() -> None:
    """Free the compiled code of objects that are gone, on every backend loaded.

    Compiled code is cached weakly on both backends: a model's compiled functions are
    freed with the model (its Runner, its jitted methods). This collects garbage that
    only reference cycles keep, then:

    - numpy backend: forgets the compiled functions kept for reuse by later objects
      with the same code (the last 32), so that those no live jitted function uses are
      freed with their generated modules, and the wrapper sources of dead jitted
      functions. Live jitted functions keep their compiled code. Numba's machine code
      is never freed (its LLVM engine keeps every module), and the on-disk cache
      (``BRAINJIT_CACHE_DIR``) stays: code compiled again with ``cache=True`` is loaded
      from it.
    - jax backend: forgets every compiled program of ``bp.math.jit`` (live jitted
      functions trace and compile again on their next call) and calls
      ``jax.clear_caches()``, which frees JAX's own caches: the programs JAX compiled
      for operations on arrays of each shape (eager ``jax.numpy`` calls), traced
      ``jax.jit`` functions, lowered and compiled programs. JAX's persistent
      compilation cache on disk, if enabled, stays.

    Memory given back to the allocator is not always returned to the operating system
    (the process's resident size may not shrink), but it is reused.
    """
    gc.collect()
    for name in _BACKEND_JITS:
        module = sys.modules.get(name)
        if module is not None:
            module.clear_cache()
    gc.collect()
