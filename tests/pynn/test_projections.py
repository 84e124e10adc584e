"""Projections of brainjit.pynn: the connectors, get/set/save, FromList/FromFile round
trips, heterogeneous delays and Assemblies as pre/post.

References: PyNN's ``pyNN.mock`` backend (the same connector with the same seeded
``NumpyRNG`` makes the same connections, in the same order: brainjit.pynn keeps
PyNN's creation order), the values written, and for the runs the analytic conductance
of ``IF_cond_exp``: a spike of weight ``w`` stamped ``s`` through a synapse of delay
``d`` adds ``w`` to ``gsyn_exc`` at ``t = s + d`` (NEST's convention), which then decays
as ``exp(-(t - s - d) / tau_syn_E)``.
"""

import numpy as np
import pytest

pytest.importorskip("pyNN")

import pyNN.mock as mock  # noqa: E402
from pyNN.random import NumpyRNG  # noqa: E402
from pyNN.random import RandomDistribution as RD  # noqa: E402

import brainjit.pynn as sim  # noqa: E402

CONNECTORS = {
    "all_to_all": lambda m: m.AllToAllConnector(allow_self_connections=False),
    "one_to_one": lambda m: m.OneToOneConnector(),
    "fixed_probability": lambda m: m.FixedProbabilityConnector(0.4, rng=NumpyRNG(5)),
    "fixed_number_pre": lambda m: m.FixedNumberPreConnector(3, rng=NumpyRNG(5)),
    "fixed_number_post": lambda m: m.FixedNumberPostConnector(2, rng=NumpyRNG(6)),
    "fixed_total_number": lambda m: m.FixedTotalNumberConnector(12, rng=NumpyRNG(7)),
    "from_list": lambda m: m.FromListConnector(
        [(0, 1, 0.2, 1.0), (3, 4, 0.3, 2.0), (5, 0, 0.1, 0.7)]
    ),
    "distance_dependent": lambda m: m.DistanceDependentProbabilityConnector(
        "exp(-d/2)", rng=NumpyRNG(8)
    ),
    "array": lambda m: m.ArrayConnector(np.arange(30).reshape(6, 5) % 3 == 0),
}


def _connections(m, make_connector, view=False):
    """``prj.get(['weight', 'delay'], 'list')`` of a projection made by simulator ``m``:
    weights a distance expression, delays drawn from a seeded distribution."""
    m.setup(timestep=0.1, min_delay=0.1)
    try:
        pre = m.Population(6, m.IF_cond_exp(), structure=m.space.Line(dx=1.0))
        post = m.Population(5, m.IF_cond_exp(), structure=m.space.Line(dx=1.0, x0=0.5))
        if view:
            pre, post = pre[[0, 2, 3, 4, 5, 1]], post[0:5]
        synapse = m.StaticSynapse(
            weight="0.1 + 0.05 * d", delay=RD("uniform", (0.5, 2.0), rng=NumpyRNG(3))
        )
        prj = m.Projection(pre, post, make_connector(m), synapse)
        return prj.get(["weight", "delay"], format="list")
    finally:
        m.end()


@pytest.mark.parametrize("view", [False, True], ids=["populations", "views"])
@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_connectors_match_pynn_mock(name, view):
    expected = np.array(_connections(mock, CONNECTORS[name], view), dtype=float)
    got = np.array(_connections(sim, CONNECTORS[name], view), dtype=float)
    assert len(got) == len(expected) > 0
    np.testing.assert_array_equal(got[:, :3], expected[:, :3], err_msg=name)
    # delays as they run: on the 0.1 ms grid (as NEST reports them)
    np.testing.assert_allclose(got[:, 3], np.round(expected[:, 3] / 0.1) * 0.1, atol=1e-12)
    assert np.unique(got[:, 3]).size > 1 or name in ("one_to_one", "from_list")


VECTORISED = {
    "all_to_all": lambda m: m.AllToAllConnector(),
    "all_to_all_no_self": lambda m: m.AllToAllConnector(allow_self_connections=False),
    "one_to_one": lambda m: m.OneToOneConnector(),
    "fixed_probability": lambda m: m.FixedProbabilityConnector(0.3, rng=NumpyRNG(5)),
    "fixed_probability_no_self": lambda m: m.FixedProbabilityConnector(
        0.3, allow_self_connections=False, rng=NumpyRNG(5)
    ),
}


def _homogeneous_connections(m, make_connector, target):
    """Connections (with a number as weight and delay) of a 9-cell population onto
    ``target``: itself, a view of it (self-connections by cell id), or an Assembly."""
    m.setup(timestep=0.1, min_delay=0.1)
    try:
        pop = m.Population(9, m.IF_cond_exp())
        other = m.Population(4, m.IF_cond_exp())
        pre, post = {
            "itself": (pop, pop),
            "views": (pop[1:9], pop[[0, 3, 2, 1, 4, 5, 6, 7]]),
            "assembly": (pop + other, other + pop),
        }[target]
        connector = make_connector(m)
        prj = m.Projection(pre, post, connector, m.StaticSynapse(weight=0.2, delay=0.5))
        # the same connector again (PyNN draws from a copy of its generator: the same
        # connections again) and a new one
        prj2 = m.Projection(pre, post, connector, m.StaticSynapse(weight=0.1))
        prj3 = m.Projection(pre, post, make_connector(m), m.StaticSynapse(weight=0.3))
        return [prj.get(["weight", "delay"], format="list")] + [
            p.get("weight", format="list") for p in (prj2, prj3)
        ]
    finally:
        m.end()


@pytest.mark.parametrize("target", ["itself", "views", "assembly"])
@pytest.mark.parametrize("name", sorted(VECTORISED))
def test_vectorised_connectors_match_pynn_mock(name, target, monkeypatch):
    """With numbers as parameters, brainjit.pynn builds these connectors' matrices with
    NumPy (no per-cell loop), in blocks of columns (here 2 columns a block), drawing
    PyNN's random numbers in PyNN's order: the same connections in the same order."""
    from brainjit.pynn import _connect

    if name == "one_to_one" and target == "views":
        pytest.skip("views of different sizes")
    expected = _homogeneous_connections(mock, VECTORISED[name], target)

    def loop(*args, **kwargs):
        raise AssertionError("PyNN's per-cell loop ran")

    monkeypatch.setattr(sim.Projection, "_convergent_connect", loop)
    monkeypatch.setattr(_connect, "BLOCK", 18)
    got = _homogeneous_connections(sim, VECTORISED[name], target)
    for g, e in zip(got, expected):
        assert len(g) == len(e) > 0
        np.testing.assert_allclose(np.array(g, float), np.array(e, float), rtol=0, atol=1e-12)


def test_one_to_one_single_cells():
    """PyNN 0.13's own loop fails on a one-to-one projection of one cell onto one
    (NumPy 2 refuses ``nonzero`` of a 0-d array; PyNN's ``Izhikevich.py`` does it):
    brainjit.pynn makes the connection."""
    sim.setup(timestep=0.1, min_delay=0.1)
    try:
        a, b = sim.Population(1, sim.IF_curr_exp()), sim.Population(3, sim.IF_curr_exp())
        prj = sim.Projection(a, b[1:2], sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
        assert prj.get(["weight"], format="list") == [(0, 0, 3.0)]
    finally:
        sim.end()


def test_get_set_formats_and_save_round_trip(tmp_path):
    sim.setup(timestep=0.1)
    try:
        pre = sim.Population(4, sim.IF_cond_exp())
        post = sim.Population(3, sim.IF_cond_exp())
        # (pre, post, delay): (0, 0) twice
        conns = [(0, 0, 0.1), (0, 2, 0.2), (1, 1, 0.3), (3, 0, 0.4), (3, 2, 0.5), (2, 1, 0.6),
                 (0, 0, 0.7)]  # fmt: skip
        prj = sim.Projection(
            pre, post, sim.FromListConnector(conns, column_names=["delay"]), sim.StaticSynapse()
        )
        weights = np.arange(12.0).reshape(4, 3) / 10
        prj.set(weight=weights)
        listed = prj.get(["weight", "delay"], format="list")
        order = [c[:2] for c in listed]
        assert order == [(0, 0), (3, 0), (0, 0), (1, 1), (2, 1), (0, 2), (3, 2)]  # by post
        np.testing.assert_allclose([c[2] for c in listed], [weights[i, j] for i, j in order])
        by_post = sorted(conns, key=lambda c: c[1])
        np.testing.assert_allclose([c[3] for c in listed], [c[2] for c in by_post])
        no_address = prj.get(["weight", "delay"], format="list", with_address=False)
        assert no_address == [c[2:] for c in listed]
        # array: the sum of the weights of a pair (PyNN's default), NaN where none
        w_sum = prj.get("weight", format="array")
        pairs = [c[:2] for c in conns]
        expected = np.full((4, 3), np.nan)
        for i, j in set(pairs):
            expected[i, j] = weights[i, j] * pairs.count((i, j))
        np.testing.assert_allclose(w_sum, expected)
        (d_min,) = prj.get(["delay"], format="array", multiple_synapses="min")
        assert d_min[0, 0] == pytest.approx(0.1) and np.isnan(d_min[1, 0])
        (d_max,) = prj.get(["delay"], format="array", multiple_synapses="max")
        assert d_max[0, 0] == pytest.approx(0.7) and d_max[3, 2] == pytest.approx(0.5)
        # save('all') and FromFileConnector: the same connections again
        path = str(tmp_path / "prj.txt")
        prj.save("all", path)
        again = sim.Projection(pre, post, sim.FromFileConnector(path), sim.StaticSynapse())
        assert again.get(["weight", "delay"], format="list") == prj.get(
            ["weight", "delay"], format="list"
        )
        # save('weight', format='array'): zeros where there is no connection
        path = str(tmp_path / "w.txt")
        prj.save("weight", path, format="array")
        np.testing.assert_allclose(np.loadtxt(path), np.nan_to_num(expected))
    finally:
        sim.end()


CELL = {"v_thresh": 100.0, "tau_syn_E": 2.0}
#: one source to four cells: weights 0.1, 0.2, 0.3, 0.4; delays drawn per synapse
TO_A = {"weight": np.array([[0.1, 0.2, 0.3, 0.4]]), "delay": ("uniform", (0.1, 3.0), 11)}
# Assembly(src, src2) -> Assembly(a, b): indices in the assemblies
ASSEMBLY_LIST = [(0, 4, 0.5, 1.0), (2, 5, 0.7, 0.5), (1, 6, 0.9, 0.2), (2, 0, 0.3, 0.1)]
SPIKES = [1.0, 2.0, 3.0]  # of src[0], src[1], src2[0]


@pytest.fixture(scope="module", params=["numpy", "jax"])
def delay_net(request):
    """One spike source to four cells through four delays; an Assembly of two spike
    source populations onto an Assembly of two cell populations; run, weights of the
    assembly projection doubled, reset, run again."""
    sim.setup(timestep=0.1, min_delay=0.1, backend=request.param)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[SPIKES[0]], [SPIKES[1]]]))
    src2 = sim.Population(1, sim.SpikeSourceArray(spike_times=[SPIKES[2]]))
    a, b = sim.Population(4, sim.IF_cond_exp(**CELL)), sim.Population(3, sim.IF_cond_exp(**CELL))
    name, bounds, seed = TO_A["delay"]
    synapse = sim.StaticSynapse(weight=TO_A["weight"], delay=RD(name, bounds, rng=NumpyRNG(seed)))
    to_a = sim.Projection(src[0:1], a, sim.AllToAllConnector(), synapse)
    prj = sim.Projection(
        sim.Assembly(src, src2), sim.Assembly(a, b), sim.FromListConnector(ASSEMBLY_LIST)
    )
    a.record("gsyn_exc")
    b.record("gsyn_exc")
    sim.run(6.0)
    to_a_list = to_a.get(["weight", "delay"], format="list")
    listed = prj.get(["weight", "delay"], format="list")
    doubled = np.full((3, 7), np.nan)
    for i, j, w, _ in listed:
        doubled[i, j] = 2 * w
    prj.set(weight=doubled)
    doubled = prj.get("weight", format="list")
    sim.reset()
    sim.run(6.0)
    out = {
        "to_a": to_a_list,
        "listed": listed,
        "doubled": doubled,
        "g": [
            np.hstack([p.get_data().segments[k].analogsignals[0].magnitude for p in (a, b)])
            for k in range(2)
        ],
        "t": np.asarray(a.get_data().segments[0].filter(name="gsyn_exc")[0].times),
    }
    sim.end()
    return out


def _expected_g(t, connections):
    """gsyn_exc (µS) of the seven cells (a then b) from ``(source spike, post cell in
    the assembly, weight, delay)``."""
    g = np.zeros((t.size, 7))
    for spike, post, w, d in connections:
        arrival = spike + d
        after = t >= arrival - 1e-9
        g[after, post] += w * np.exp(-(t[after] - arrival) / CELL["tau_syn_E"])
    return g


def test_each_synapse_delivers_at_its_delay(delay_net):
    t = delay_net["t"]
    first = [(SPIKES[0], j, w, d) for _, j, w, d in delay_net["to_a"]]
    delays = [d for _, _, _, d in delay_net["to_a"]]
    assert np.unique(delays).size == 4  # each synapse its own delay
    # the delays drawn: those of the same seeded distribution, on the 0.1 ms grid
    name, bounds, seed = TO_A["delay"]
    drawn = RD(name, bounds, rng=NumpyRNG(seed)).next(4)
    np.testing.assert_allclose(delays, np.round(drawn / 0.1) * 0.1, atol=1e-6)
    spikes = [SPIKES[0], SPIKES[1], SPIKES[2]]
    assembly = [(spikes[i], j, w, d) for i, j, w, d in ASSEMBLY_LIST]
    g = delay_net["g"][0]
    np.testing.assert_allclose(g, _expected_g(t, first + assembly), rtol=1e-5, atol=1e-7)
    # the first step at which each cell of a receives: its synapse's delay after 1 ms
    arrival = [t[np.nonzero(g[:, j])[0][0]] for j in range(1, 4)]
    np.testing.assert_allclose(arrival, [SPIKES[0] + d for d in delays[1:]], atol=1e-6)


def test_assembly_projection(delay_net):
    got = delay_net["listed"]
    np.testing.assert_allclose(sorted(got), sorted(ASSEMBLY_LIST), rtol=1e-6)  # float32: jax
    assert [w for _, _, w in delay_net["doubled"]] == pytest.approx([2 * c[2] for c in got])
    # after reset(), the doubled weights act (the other projection's do not change)
    t = delay_net["t"]
    first = [(SPIKES[0], j, w, d) for _, j, w, d in delay_net["to_a"]]
    assembly = [(SPIKES[i], j, 2 * w, d) for i, j, w, d in ASSEMBLY_LIST]
    np.testing.assert_allclose(
        delay_net["g"][1], _expected_g(t, first + assembly), rtol=1e-5, atol=1e-7
    )
