"""bp.math.elementwise: the same results as the function applied to whole arrays, eagerly
on both backends, inside bp.math.jit on both backends (Numba: one fused loop), with
``out=`` in place (also when an output is an input), and clear errors."""

import numpy as np
import pytest

import brainjit as bp

bm = bp.math
RNG = np.random.default_rng(0)


@bm.elementwise
def lif_like(V, I_ext, t_last, t, dt, V_th=-50.0, V_reset=-60.0, tau=20.0):
    V_inf = -60.0 + I_ext
    V_new = V_inf + (V - V_inf) * bm.exp(-dt / tau)
    refractory = (t - t_last) < 5.0
    V_new = bm.where(refractory, V, V_new)
    spike = V_new >= V_th
    return bm.where(spike, V_reset, V_new), spike, bm.where(spike, t, t_last)


@bm.elementwise
def rate(V):
    return 0.1 * (V + 40.0) / (1.0 - bm.exp(-(V + 40.0) / 10.0))


@bm.elementwise
def halves(x):
    return x.split(".")  # no str methods on numbers: a typing error


def reference(V, I_ext, t_last, t, dt, V_th=-50.0, V_reset=-60.0, tau=20.0):
    V_inf = -60.0 + I_ext
    V_new = V_inf + (V - V_inf) * np.exp(-dt / tau)
    refractory = (t - t_last) < 5.0
    V_new = np.where(refractory, V, V_new)
    spike = V_new >= V_th
    return np.where(spike, V_reset, V_new), spike, np.where(spike, t, t_last)


def inputs(shape=(300,)):
    V = RNG.normal(-52.0, 4.0, shape)
    I_ext = RNG.uniform(0.0, 25.0, shape)
    t_last = np.where(RNG.random(shape) < 0.2, 9.0, -1e7)
    return V, I_ext, t_last


class Group(bp.Base):
    def __init__(self, V, I_ext, t_last):
        super().__init__()
        self.V = bm.Variable(bm.asarray(V))
        self.I_ext = bm.Variable(bm.asarray(I_ext))
        self.t_last = bm.Variable(bm.asarray(t_last))
        self.spike = bm.Variable(bm.zeros(V.shape, dtype=bool))
        self.r = bm.Variable(bm.zeros(V.shape))

    def step(self, t, dt):
        lif_like(
            self.V, self.I_ext, self.t_last, t, dt, out=(self.V, self.spike, self.t_last)
        )  # outputs are inputs: read before written
        self.r.value = rate(self.V)

    def returned(self, t, dt):
        return lif_like(self.V, self.I_ext, self.t_last, t, dt, -51.0, tau=10.0)


@pytest.mark.parametrize("shape", [(300,), (12, 25)])
def test_compiled_and_eager_equal_the_array_function(backend, shape):
    V, I_ext, t_last = inputs(shape)
    group = Group(V, I_ext, t_last)
    step = bm.jit(group.step)
    expected = [V, None, t_last]
    for k in range(5):
        t = 10.0 + k * 0.1
        step(t, 0.1)
        expected = reference(expected[0], I_ext, expected[2], t, 0.1)
        tol = dict(rtol=1e-6, atol=1e-4) if backend == "jax" else dict(rtol=0, atol=0)
        np.testing.assert_allclose(np.asarray(group.V), expected[0], **tol)
        np.testing.assert_array_equal(np.asarray(group.spike), expected[1])
        np.testing.assert_allclose(np.asarray(group.t_last), expected[2], **tol)
    assert np.asarray(group.spike).dtype == bool
    r = 0.1 * (expected[0] + 40.0) / (1.0 - np.exp(-(expected[0] + 40.0) / 10.0))
    np.testing.assert_allclose(np.asarray(group.r), r, rtol=1e-5 if backend == "jax" else 1e-14)


def views(V, I_ext, t_last):
    """lif_like on views that are not C-contiguous: strided 1-D, transposed 2-D."""
    strided = lif_like(V[::3, 1], I_ext[1::3, 2], t_last[::3, 0], 10.0, 0.1)
    transposed = lif_like(V.T, I_ext.T, t_last.T, 10.0, 0.1)
    return strided, transposed


def test_views_that_are_not_contiguous():
    V, I_ext, t_last = inputs((30, 4))
    compiled = bm.jit(views)(V, I_ext, t_last)
    expected = (
        reference(V[::3, 1], I_ext[1::3, 2], t_last[::3, 0], 10.0, 0.1),
        reference(V.T, I_ext.T, t_last.T, 10.0, 0.1),
    )
    for got, ref in zip(compiled, expected):
        for g, r in zip(got, ref):
            assert np.asarray(g).shape == r.shape
            np.testing.assert_array_equal(np.asarray(g), r)


def test_returned_values_positional_and_keyword_defaults(backend):
    V, I_ext, t_last = inputs()
    group = Group(V, I_ext, t_last)
    V_new, spike, t_new = bm.jit(group.returned)(10.0, 0.1)
    ref = reference(V, I_ext, t_last, 10.0, 0.1, -51.0, tau=10.0)
    # numpy: within 2 ulp (NumPy's own exp, the reference, is a SIMD kernel of its own on
    # AVX-512 machines, 1 ulp from the libm exp that Numba calls)
    tol = 1e-5 if backend == "jax" else 2 * np.finfo(np.float64).eps
    np.testing.assert_allclose(np.asarray(V_new), ref[0], rtol=tol, atol=tol)
    np.testing.assert_array_equal(np.asarray(spike), ref[1])
    eager = lif_like(V, I_ext, t_last, 10.0, 0.1, -51.0, tau=10.0)
    np.testing.assert_allclose(np.asarray(eager[0]), ref[0], rtol=tol, atol=tol)


def test_numba_loop_is_one_compiled_call():
    """In Numba code the call compiles to the generated loop (no Python per element):
    the compiled function runs with Numba's nopython dispatcher."""
    import numba

    V, I_ext, t_last = inputs()

    @numba.njit
    def direct(V, I_ext, t_last):
        return lif_like(V, I_ext, t_last, 10.0, 0.1)

    out = direct(V, I_ext, t_last)
    np.testing.assert_array_equal(out[0], reference(V, I_ext, t_last, 10.0, 0.1)[0])


def test_outputs_that_are_arguments_are_written_through_their_names():
    """The numpy rewriter sends ``f(V, ..., out=(V, ...))`` to the variant of ``f`` that
    knows output 0 is argument ``V`` (its loop then reads and writes one array, which
    LLVM vectorises); the variant gives the same results, and checks that the arrays it
    was told are the same are the same."""
    import numba

    from brainjit.math._elementwise import with_aliases

    with bm.backend("numpy"):
        g = Group(*inputs())
        step = bm.jit(g.step)
        step(10.0, 0.1)
    unit = step.__brainjit_jit__.unit
    variants = [v for v in unit.namespace.values() if getattr(v, "__brainjit_aliases__", ())]
    assert [v.__brainjit_aliases__ for v in variants] == [((0, "V"), (2, "t_last"))]
    assert with_aliases(lif_like, ((0, "V"), (2, "t_last"))) is variants[0]  # one per pattern

    aliased = with_aliases(lif_like, ((0, "V"),))

    @numba.njit
    def call(V, I_ext, t_last, V_out, spike):
        return aliased(V, I_ext, t_last, 10.0, 0.1, out=(V_out, spike, t_last))

    V, I_ext, t_last = inputs()
    want = reference(V, I_ext, t_last, 10.0, 0.1)
    spike = np.zeros(V.shape, bool)
    call(V, I_ext, t_last.copy(), V, spike)  # V is out[0], as told
    np.testing.assert_array_equal(V, want[0])
    np.testing.assert_array_equal(spike, want[1])
    with pytest.raises(ValueError, match=r"out\[0\] is not V"):
        call(V, I_ext, t_last.copy(), V.copy(), spike)


def test_errors():
    V, I_ext, t_last = inputs()

    class Bad(bp.Base):
        def __init__(self):
            super().__init__()
            self.a = bm.Variable(bm.zeros(5))
            self.b = bm.Variable(bm.zeros(6))

        def shapes(self):
            return rate(self.a) + lif_like(self.a, self.b, self.a, 0.0, 0.1)[0][:5]

        def scalars(self):
            return rate(1.0)

        def untypable(self):
            return halves(self.a)

    with pytest.raises(ValueError, match="same shape"):
        bm.jit(Bad().shapes)()
    with pytest.raises(Exception, match="at least one argument must be an array"):
        bm.jit(Bad().scalars)()
    # the element function is typed (not compiled) for the elements' types; its
    # typing errors name it
    with pytest.raises(Exception, match=r"halves\): cannot compile it for one element"):
        bm.jit(Bad().untypable)()
    with pytest.raises(ValueError, match="out must be a tuple of 3"):
        lif_like(V, I_ext, t_last, 0.0, 0.1, out=(V,))
    with pytest.raises(TypeError, match="'out' is reserved"):
        bm.elementwise(lambda x, out: x)
    with pytest.raises(TypeError, match="plain positional parameter"):
        bm.elementwise(lambda *xs: xs)


def test_callers_digest_follows_the_function():
    """Code calling an elementwise function is keyed (for Numba's on-disk cache) by the
    function's own rewritten code: two functions with the same signature and name but
    different bodies give different digests."""
    from brainjit.math._numpy.rewrite import _describe

    def make(scale):
        def f(x):
            return x * scale

        return bm.elementwise(f)

    a, b, c = make(2.0), make(3.0), make(2.0)
    assert _describe(a, {}) != _describe(b, {})
    assert _describe(a, {}) == _describe(c, {})


SCRIPT = """
import numpy as np
import brainjit as bp
bm = bp.math

@bm.elementwise
def decay(x, tau):
    return x * bm.exp(-0.1 / tau)

class G(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bm.Variable(bm.ones(8))

    def step(self):
        decay(self.x, 5.0, out=(self.x,))

g = G()
step = bm.jit(g.step, cache=True)
step()
print(float(np.asarray(g.x)[0]), sum(step.dispatcher.stats.cache_hits.values()))
"""


def test_cached_caller_loads_in_a_new_process(tmp_path):
    """Code that calls an elementwise function, cached on disk by one process, loads in
    the next (the kernel's generated modules are found) and gives the same result."""
    import os
    import subprocess
    import sys

    (tmp_path / "script.py").write_text(SCRIPT)
    import fast_compile  # at the default levels: Numba does not cache this code at -O0

    env = {**fast_compile.as_users_run(os.environ), "BRAINJIT_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "script.py"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    (first, hits0), (second, hits1) = (r.stdout.split() for r in runs)
    assert float(first) == float(second) == np.exp(-0.1 / 5.0)
    assert int(hits0) == 0 and int(hits1) >= 1
