"""Networks: a small E/I network gives identical spikes on both backends (plain Python
loop of net.update, and compiled), the update order (synapses first) and its reason,
attribute access to nodes, nested networks, bad input.

Identical spikes are checked with JAX in float64 (``jax.enable_x64`` inside the test);
in float32 the network is compared statistically (total spike count within 15%).
"""

import numpy as np
import pytest
from dyn_helpers import assert_same_records, backend64, run

import brainjit as bp

N_E, N_I = 80, 20


def ei_network(order="default"):
    """A COBA-like E/I network of LIF neurons with exponential conductance synapses."""
    lif = dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=5.0)
    E, I = bp.dyn.LIF(N_E, **lif), bp.dyn.LIF(N_I, **lif)  # noqa: E741
    V0 = np.random.default_rng(42).normal(-55.0, 5.0, N_E + N_I)
    E.V[:] = bp.math.asarray(V0[:N_E])
    I.V[:] = bp.math.asarray(V0[N_E:])
    exc = dict(weight=0.6, tau=5.0, output="coba", E=0.0)
    inh = dict(weight=6.7, tau=10.0, output="coba", E=-80.0)
    syns = dict(
        E2E=bp.dyn.Exponential(E, E, bp.conn.FixedProb(0.1, seed=1), **exc),
        E2I=bp.dyn.Exponential(E, I, bp.conn.FixedProb(0.1, seed=2), **exc),
        I2E=bp.dyn.Exponential(I, E, bp.conn.FixedProb(0.1, seed=3), **inh),
        I2I=bp.dyn.Exponential(I, I, bp.conn.FixedProb(0.1, seed=4), **inh),
    )
    if order == "default":
        return bp.Network(E=E, I=I, **syns)
    return bp.Network(**dict(reversed(list(syns.items()))), I=I, E=E)


def drive(net, i):
    net.E.input += 20.0
    net.I.input += 20.0


def spikes(net):
    return {"E": np.asarray(net.E.spike).copy(), "I": np.asarray(net.I.spike).copy()}


def test_ei_network_identical_spikes_on_both_backends():
    steps = 300  # 30 ms
    results = {}
    for backend in ("numpy", "jax"):
        for jit in (False, True):
            with backend64(backend):
                net = ei_network()
                results[backend, jit] = run(net, steps, jit=jit, drive=drive, record=spikes)
    reference = results["numpy", False]
    total = sum(r["E"].sum() + r["I"].sum() for r in reference)
    assert total > 50, total
    for key, records in results.items():
        assert_same_records(reference, records, rtol=0, what=str(key))


def test_float32_jax_network_statistically_equivalent():
    steps = 300
    with backend64("numpy"):
        counts64 = sum(r["E"].sum() for r in run(ei_network(), steps, drive=drive, record=spikes))
    bp.math.use_backend("jax")  # float32
    net = ei_network()
    assert net.E.V.dtype == np.float32
    counts32 = sum(r["E"].sum() for r in run(net, steps, jit=True, drive=drive, record=spikes))
    assert abs(counts32 - counts64) <= 0.15 * counts64, (counts32, counts64)


def test_insertion_order_does_not_change_the_result(backend):
    a, b = ei_network(), ei_network(order="reversed")
    assert [type(n).__name__ for n in a.synapse_nodes] == ["Exponential"] * 4
    assert [n.name for n in b.other_nodes] == [b.I.name, b.E.name]
    jit = backend == "jax"  # (jax: compiled, faster than 100 eager steps)
    ra = run(a, 100, jit=jit, drive=drive, record=spikes)
    rb = run(b, 100, jit=jit, drive=drive, record=spikes)
    assert_same_records(ra, rb, rtol=0, what="reversed order")


class Logger(bp.DynamicalSystem):
    log: list = []

    def update(self, t, dt):
        Logger.log.append(self.name)


class LoggingSyn(bp.dyn.TwoEndConn):
    def update(self, t, dt):
        Logger.log.append(self.name)


def test_update_order_synapses_first_then_others():
    g1, g2 = bp.dyn.LIF(2, name="g1"), bp.dyn.LIF(2, name="g2")
    a, b = Logger(name="a"), Logger(name="b")
    s1 = LoggingSyn(g1, g2, bp.conn.All2All(), name="s1")
    s2 = LoggingSyn(g2, g1, bp.conn.All2All(), name="s2")
    inner = bp.Network(b, s2, name="inner")
    net = bp.Network(a, s1, inner, first=g1)
    Logger.log.clear()
    net.update(0.0, 0.1)
    # synapses of net first (s1), then the other nodes in order: a, inner (its synapse s2
    # first, then b), g1
    assert Logger.log == ["s1", "a", "s2", "b"]
    assert [n.name for n in net.synapse_nodes] == ["s1"]
    assert [n.name for n in net.other_nodes] == ["a", "inner", "g1"]


def test_nodes_reachable_by_name_and_paths(backend):
    net = ei_network()
    assert net.E is net["E"] and net.E2I.pre is net.E and net.E2I.post is net.I
    E = bp.dyn.LIF(3)
    net2 = bp.Network(E)
    assert getattr(net2, E.name) is E and net2.node_names == (E.name,)
    paths = net.vars()
    assert f"{net.name}.E.V" in paths and f"{net.name}.I.spike" in paths
    assert f"{net.name}.E2E.g" in paths
    nodes = net.nodes()
    assert f"{net.name}.E" in nodes and f"{net.name}.E2E" in nodes
    with pytest.raises(KeyError, match="no node 'X'"):
        net["X"]


def test_network_called_and_jitted_as_an_object(backend):
    net = ei_network()
    step = bp.math.jit(net)  # __call__ is update
    for i in range(5):
        drive(net, i)
        step(i * 0.1, 0.1)
    assert np.all(np.asarray(net.E.input) == 0.0)


def test_network_bad_input():
    E = bp.dyn.LIF(2)
    with pytest.raises(TypeError, match="nodes must be DynamicalSystems"):
        bp.Network(E, 3.0)
    with pytest.raises(ValueError, match="two nodes are called 'X'"):
        bp.Network(bp.dyn.LIF(2, name="X"), X=E)
    with pytest.raises(ValueError, match="not a free attribute name"):
        bp.Network(update=E)
    with pytest.raises(NotImplementedError, match="must implement update"):
        bp.DynamicalSystem().update(0.0, 0.1)
    # lists and dicts of nodes are unpacked
    net = bp.Network([E, bp.dyn.LIF(2, name="Y")], {"Z": bp.dyn.LIF(1)})
    assert net.node_names == (E.name, "Y", "Z")


def test_network_without_synapses_compiles(backend):
    """A Network of neuron groups only (no synapse to loop over) compiles, and the
    compiled run equals the step-by-step one."""
    lif = dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=5.0)
    nets = [bp.Network(A=bp.dyn.LIF(10, **lif), B=bp.dyn.LIF(5, **lif)) for _ in range(2)]
    spikes = []
    for net, per_step in zip(nets, (False, True)):
        runner = bp.Runner(
            net,
            monitors=["A.spike", "B.V"],
            inputs=[("A.input", 25.0), ("B.input", 12.0)],
            progress_bar=False,
        )
        runner.run(30.0, per_step=per_step)
        spikes.append(runner.mon)
    assert spikes[0]["A.spike"].sum() > 0
    np.testing.assert_array_equal(spikes[0]["A.spike"], spikes[1]["A.spike"])
    np.testing.assert_allclose(spikes[0]["B.V"], spikes[1]["B.V"], rtol=1e-6)
