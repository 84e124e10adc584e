"""Helpers for the bp.dyn tests: backends with 64-bit JAX, running and recording models."""

import contextlib

import numpy as np

import brainjit as bp

DT = 0.1


@contextlib.contextmanager
def backend64(name):
    """Activate backend ``name``; under jax, compute in float64 (scoped ``jax.enable_x64``)
    so that both backends can be compared to rounding error."""
    previous = bp.math.get_backend_name()
    bp.math.use_backend(name)
    try:
        if name == "jax":
            import jax

            with jax.enable_x64(True):
                yield
        else:
            yield
    finally:
        bp.math.use_backend(previous)


def snapshot(model):
    """Every Variable of ``model`` as a NumPy copy, keyed by its path without the root."""
    return {
        path.split(".", 1)[1]: np.array(np.asarray(var))
        for path, var in model.vars().items()
        if "pre_delay" not in path
    }


def run(model, steps, dt=DT, jit=False, drive=None, record=None):
    """Step ``model`` with a plain Python loop (eagerly, or through ``bp.math.jit``).

    ``drive(model, i)`` runs before each step (to set inputs); ``record(model)`` after it
    (default: every Variable). Returns the list of records.
    """
    step = bp.math.jit(model.update) if jit else model.update
    out = []
    for i in range(steps):
        if drive is not None:
            drive(model, i)
        step(i * dt, dt)
        out.append(snapshot(model) if record is None else record(model))
    return out


def stack(records):
    """A list of dicts of arrays -> a dict of stacked arrays (time first)."""
    return {key: np.stack([r[key] for r in records]) for key in records[0]}


def assert_same_records(a, b, rtol, atol=1e-9, what=""):
    a, b = stack(a), stack(b)
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if x.dtype == bool:
            mismatch = np.argwhere(x != y)
            where = mismatch[:5].tolist()
            assert mismatch.size == 0, f"{what} {key}: differs at (step, index) {where}"
        else:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"{what} {key}")


class Clamp(bp.dyn.NeuGroup):
    """A postsynaptic group whose V stays where it is set; synapses write into input,
    which the test reads (and clears) itself."""

    def __init__(self, size, V=-60.0):
        super().__init__(size)
        self.V = bp.math.Variable(bp.math.zeros(self.num) + V)
        self.input = bp.math.Variable(bp.math.zeros(self.num))
        self.spike = bp.math.Variable(bp.math.zeros(self.num, dtype=bool))
        self.t_last_spike = bp.math.Variable(bp.math.zeros(self.num) - 1e7)

    def update(self, t, dt):
        self.input[:] = 0.0


class Source(bp.dyn.NeuGroup):
    """A presynaptic group whose spikes the test sets by hand."""

    def __init__(self, size):
        super().__init__(size)
        self.spike = bp.math.Variable(bp.math.zeros(self.num, dtype=bool))

    def update(self, t, dt):
        pass
