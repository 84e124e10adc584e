"""Bounded memory (issue 17, point 8): models built and dropped in a loop free what they
compiled, and ``bp.math.clear_cache()`` exists on both backends.

The full measurement (200 models per backend) is ``benchmarks/memory.py``.
"""

import gc
import importlib
import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np
import pytest

import brainjit as bp

ROOT = Path(__file__).resolve().parents[2]


def _live_traces() -> int:
    from jax._src.interpreters.partial_eval import DynamicJaxprTrace

    gc.collect()
    return sum(type(o) is DynamicJaxprTrace for o in gc.get_objects())


class _Model(bp.Base):
    def __init__(self, c):
        super().__init__()
        self.v = bp.math.Variable(bp.math.zeros(3))
        self.c = bp.math.arange(1000.0) + c  # a constant of the compiled code

    def update(self):
        self.v.value = self.v.value + self.c[:3]


def test_jax_first_call_leaves_no_trace_behind():
    """The first call of a jitted method traces twice; the aborted discovery trace
    (and everything it holds: the constants) must not outlive the call."""
    bp.math.use_backend("jax")
    f = bp.math.jit(_Model(0.0).update)
    f()
    del f
    before = _live_traces()
    for i in range(5):
        f = bp.math.jit(_Model(float(i)).update)
        f()
        del f
    assert _live_traces() - before == 0


def test_jax_constant_of_a_dead_model_is_freed():
    bp.math.use_backend("jax")
    model = _Model(1.0)
    constant = weakref.ref(model.c.value)  # the jax.Array the compiled code closes over
    f = bp.math.jit(model.update)
    f()
    np.testing.assert_allclose(np.asarray(model.v.value), [1.0, 2.0, 3.0])
    core = weakref.ref(f._core)
    del model, f
    gc.collect()
    bp.math.clear_cache()
    assert core() is None
    assert constant() is None


def test_jax_error_in_traced_code_frees_the_trace():
    """Any exception out of a jax trace (here in plain jax.jit) frees the trace's
    constants (brainjit.math._jax._jax_fixes)."""
    bp.math.use_backend("jax")
    import jax
    import jax.numpy as jnp

    def make():
        big = jnp.arange(10_000.0)

        @jax.jit
        def f(x):
            x = x + big.sum()  # big: a constant of the trace
            raise RuntimeError(f"stop {x}")

        return f, weakref.ref(big)

    f, ref = make()
    before = _live_traces()
    with pytest.raises(RuntimeError, match="stop"):
        f(1.0)
    del f
    assert _live_traces() - before == 0
    assert ref() is None


def test_jax_event_plan_compiles_nothing_per_shape():
    """CSR tables go to the device without jnp.asarray, which compiles (and keeps) a
    program for every new shape of NumPy array."""
    bp.math.use_backend("jax")
    from jax._src.interpreters import pxla

    from brainjit.math._jax import event

    event._Plan(np.array([0, 1, 3], np.int32), np.array([0, 0, 1], np.int32), 2)
    before = pxla._cached_compilation.cache_info().currsize
    for n in range(5, 10):  # new numbers of synapses
        indptr = np.array([0, n], np.int32)
        event._Plan(indptr, np.zeros(n, np.int32), 2)
    assert pxla._cached_compilation.cache_info().currsize == before


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_clear_cache_on_both_backends(name):
    bp.math.use_backend(name)
    assert bp.math.clear_cache is not None
    model = _Model(2.0)
    f = bp.math.jit(model.update)
    f()
    alive = weakref.ref(model)
    del model, f
    bp.math.clear_cache()
    assert alive() is None
    # a new model with the same code compiles (or reuses) and runs after a clear
    model = _Model(2.0)
    f = bp.math.jit(model.update)
    f()
    np.testing.assert_allclose(np.asarray(model.v.value), [2.0, 3.0, 4.0])


def test_numpy_clear_cache_drops_dead_wrapper_sources():
    import linecache

    numpy_jit = importlib.import_module("brainjit.math._numpy.jit")

    model = _Model(3.0)
    f = bp.math.jit(model.update)
    f()
    filename = f.__brainjit_jit__._wrapper_filename()
    assert filename in linecache.cache
    del model, f
    bp.math.clear_cache()
    assert filename not in linecache.cache
    assert filename not in numpy_jit._WRAPPERS


def test_numpy_same_code_compiles_once_and_clear_cache_frees_it():
    """Models with the same code share the compiled functions (Numba cannot free
    machine code: compiling them again per model would add a copy each time); once no
    live object uses them, clear_cache frees them."""

    class Other(_Model):  # code that no other test compiles
        def update(self):
            self.v.value = self.v.value - self.c[:3]

    def run():
        model = Other(0.0)
        f = bp.math.jit(model.update)
        f()
        return weakref.ref(f.dispatcher)

    first = run()
    gc.collect()
    second = run()
    assert first() is not None
    assert second() is first()  # reused, not compiled again
    bp.math.clear_cache()
    assert first() is None  # no live model uses it: freed


def test_numpy_models_differing_in_a_float_constant_share_one_compiled_function():
    """A parameter sweep: objects that differ only in a float constant share one
    compiled function (the constant is an argument, not compiled in), each runs with
    its own value, frozen when it was compiled, and recompile() takes a new one."""

    class Sweep(bp.Base):  # code that no other test compiles
        def __init__(self, gain, n=3, flag=True):
            super().__init__()
            self.gain = gain  # a float: passed as an argument
            self.n = n  # an int: stays a literal
            self.flag = flag  # a bool: stays a literal
            self.v = bp.math.Variable(bp.math.ones(3))

        def update(self, x):
            if self.flag:
                self.v.value = self.v.value * self.gain + x * self.n

    with bp.math.backend("numpy"):
        models = [Sweep(1.0 + 0.5 * i) for i in range(3)]
        steps = [bp.math.jit(m.update) for m in models]
        for f in steps:
            f(1.0)
        assert steps[0].dispatcher is steps[1].dispatcher is steps[2].dispatcher
        assert len(steps[0].dispatcher.overloads) == 1  # compiled once
        for i, m in enumerate(models):
            np.testing.assert_allclose(np.asarray(m.v.value), [1.0 + 0.5 * i + 3.0] * 3)
        # frozen until recompile()
        models[0].gain = 10.0
        steps[0](0.0)
        np.testing.assert_allclose(np.asarray(models[0].v.value), [4.0] * 3)
        steps[0].recompile()
        steps[0](0.0)
        np.testing.assert_allclose(np.asarray(models[0].v.value), [40.0] * 3)
        assert steps[0].dispatcher is steps[1].dispatcher  # still the same code
        steps[1](0.0)  # the others keep their values
        np.testing.assert_allclose(np.asarray(models[1].v.value), [4.5 * 1.5] * 3)
        # an int or a bool constant that differs: code of its own
        other = Sweep(1.0, n=4)
        f = bp.math.jit(other.update)
        f(1.0)
        assert f.dispatcher is not steps[0].dispatcher
        np.testing.assert_allclose(np.asarray(other.v.value), [5.0] * 3)
        off = Sweep(1.0, flag=False)
        g = bp.math.jit(off.update)
        g(1.0)
        assert g.dispatcher is not steps[0].dispatcher
        np.testing.assert_allclose(np.asarray(off.v.value), [1.0] * 3)


_GROWTH = """
import gc, sys
sys.path.insert(0, {bench!r})
import memory
import brainjit as bp
bp.math.use_backend({backend!r})
for vary in {phases}:
    rss = []
    for i in range({models}):
        memory.build_and_run(i, vary=vary, duration=5.0)
        gc.collect()
        rss.append(memory.rss_mb())
    print("GROWTH", vary, rss[-1] - rss[{warmup} - 1])
"""

MODELS, WARMUP = 14, 6  # the growth over the last 8 of 14 models is measured


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, bounds",
    [
        # jax: before the fix 1.3-2 MB per model (aborted traces, per-shape programs);
        # now about 0.2 MB per model
        ("jax", {True: 8.0}),
        # numpy, in one process: the same code for every model (connectivity differs):
        # compiled once; then a float constant differs per model: passed as an argument,
        # compiled once too (before: about 3.5 MB of machine code per model)
        ("numpy", {False: 8.0, True: 8.0}),
    ],
)
def test_models_in_a_loop_do_not_grow(backend, bounds):
    """Models built, run and dropped in a loop: the resident size of the last 8 of 14
    grows by less than the bound (MB; a fresh process per backend)."""
    code = _GROWTH.format(
        bench=str(ROOT / "benchmarks"),
        backend=backend,
        models=MODELS,
        warmup=WARMUP,
        phases=tuple(bounds),
    )
    env = dict(os.environ, JAX_PLATFORMS="cpu", OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    growth = {
        line.split()[1] == "True": float(line.split()[2])
        for line in out.stdout.splitlines()
        if line.startswith("GROWTH")
    }
    assert set(growth) == set(bounds), out.stdout
    for vary, bound in bounds.items():
        what = "a constant varies" if vary else "the same code"
        assert growth[vary] < bound, f"{backend} ({what}): {growth[vary]:.1f} MB over 8 models"
