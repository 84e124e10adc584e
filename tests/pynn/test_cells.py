"""PyNN's standard cells on brainjit against NEST (``pyNN.nest``, on-grid spikes).

The same PyNN script (``benchmarks/peers/pynn_nest_reference.py``: every cell type with
default parameters, a ``DCSource`` step and spikes through excitatory and inhibitory
``StaticSynapse``s, 150 ms at dt = 0.1 ms) ran on NEST 3.10; its records are stored in
``tests/pynn/data/nest_cells.npz``. Here it runs through ``brainjit.pynn`` on both
backends, once per backend (one network, one compilation), and each cell type's spike
times and traces are compared with NEST's.

Tolerances (``TOLERANCES``: max |brainjit - NEST| of ``v`` in mV, numpy / jax):

- Spike times: identical (the same grid step) for every type on both backends.
- Exactly integrated types (``IF_curr_exp``, ``IF_curr_alpha``, ``IF_curr_delta``: NEST's
  propagators; ``Izhikevich``: NEST's own forward Euler step): 1e-9 mV on numpy (the
  same arithmetic up to rounding; measured ~1e-13).
- ``IF_cond_exp``/``IF_cond_alpha``: NEST integrates with adaptive RKF45 at an absolute
  tolerance of 1e-3 (nS and mV), we with one RK4 step per dt with the conductances
  exact in time: 1e-3 mV, NEST's own tolerance (measured 3.5e-9 and 1.7e-4 mV: the
  alpha conductance's 0.3 ms rise is what RK4 at 0.1 ms resolves least well; 1.8e-7 µS
  on the alpha conductance, NEST's own error on it).
- ``EIF_cond_*``: both integrate ``v`` and ``w`` accurately (NEST: RKF45 at 1e-6 from
  0.01 ms; here RK4 in 0.01 ms substeps), but the exponential runaway before a spike
  amplifies any difference: in the last 0.1 ms before a spike ``v`` differs by up to
  0.02 mV (``SPIKE_WINDOW`` holds 1 ms around each spike to a looser bound, 0.1 mV).
  Elsewhere 5e-3 mV (measured 2.3e-3).
- ``HH_cond_exp``: NEST's RKF45 runs at an absolute tolerance of 1e-3, which during the
  action potential (dv/dt ~ 500 mV/ms) shifts the upstroke by a fraction of a step:
  ``v`` differs by up to ~10 mV within 1 ms of a spike, while our RK4 (0.01 ms
  substeps) is within 5e-3 mV of a converged solution (0.0005 ms substeps). Outside
  the spike windows: 0.1 mV (measured 0.047).
- jax is float32 (relative precision 6e-8: ~4e-6 mV at -65 mV per operation, a few
  hundred steps accumulate 1e-4): 1e-3 mV for the LIF types, 0.05 for EIF (near its
  runaway) and 0.1 for HH outside spike windows; Izhikevich's quadratic term amplifies
  rounding near its peak: 0.1 mV.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

pytest.importorskip("pyNN")

import brainjit.pynn as sim  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "pynn_nest_reference", ROOT / "benchmarks" / "peers" / "pynn_nest_reference.py"
)
REF = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(REF)
NEST = np.load(ROOT / "tests" / "pynn" / "data" / "nest_cells.npz")

#: ms before and after each spike where ``v`` is held to the looser ``window`` bound
SPIKE_WINDOW = 1.0

#: per cell type: max |dv| (mV) outside the spike windows (numpy, jax), within them
#: (numpy, jax), and max |d| of the other recordables (numpy, jax) in their units
TOLERANCES = {
    "IF_curr_exp": dict(v=(1e-9, 1e-3), window=(1e-9, 1e-3), other=(1e-9, 1e-6)),
    "IF_curr_alpha": dict(v=(1e-9, 1e-3), window=(1e-9, 1e-3), other=(1e-9, 1e-6)),
    "IF_curr_delta": dict(v=(1e-9, 1e-3), window=(1e-9, 1e-3), other=(1e-9, 1e-6)),
    "IF_cond_exp": dict(v=(1e-3, 1e-3), window=(1e-3, 1e-3), other=(1e-6, 1e-6)),
    "IF_cond_alpha": dict(v=(1e-3, 1e-3), window=(1e-3, 1e-3), other=(1e-6, 2e-6)),
    "EIF_cond_exp_isfa_ista": dict(v=(5e-3, 0.05), window=(0.1, 1.0), other=(1e-4, 1e-4)),
    "EIF_cond_alpha_isfa_ista": dict(v=(5e-3, 0.05), window=(0.1, 1.0), other=(1e-4, 1e-4)),
    "HH_cond_exp": dict(v=(0.1, 0.1), window=(15.0, 15.0), other=(1e-6, 1e-6)),
    "Izhikevich": dict(v=(1e-9, 0.1), window=(1e-9, 0.1), other=(1e-9, 1e-3)),
}


@pytest.fixture(scope="module", params=["numpy", "jax"])
def backend_results(request):
    """Every cell type's records on one backend (one network, compiled once)."""
    return request.param, REF.run_all(sim, backend=request.param)


def _spike_mask(n_samples: int, spikes: list[np.ndarray]) -> np.ndarray:
    """True at the samples within ``SPIKE_WINDOW`` of a spike of the cell."""
    t = np.arange(n_samples) * REF.DT
    mask = np.zeros(n_samples, bool)
    for s in spikes:
        mask |= np.abs(t - s) <= SPIKE_WINDOW + 1e-9
    return mask


def measure(name: str, result: dict) -> dict:
    """Max differences to NEST of cell type ``name``: ``v`` outside and within spike
    windows, the other recordables, and whether the spike times agree."""
    out = {"v": 0.0, "window": 0.0, "other": 0.0, "spikes": True}
    for scenario in REF.SCENARIOS:
        for i in range(2):
            ours = result[f"{scenario}__spikes{i}"]
            nest = NEST[f"{name}__{scenario}__spikes{i}"]
            same = ours.shape == nest.shape and np.allclose(ours, nest, rtol=0, atol=1e-6)
            out["spikes"] &= bool(same)
        v_ours = result[f"{scenario}__v"]
        v_nest = NEST[f"{name}__{scenario}__v"]
        assert v_ours.shape == v_nest.shape
        for i in range(2):
            spikes = NEST[f"{name}__{scenario}__spikes{i}"]
            near = _spike_mask(v_nest.shape[0], spikes)
            diff = np.abs(v_ours[:, i] - v_nest[:, i])
            out["v"] = max(out["v"], float(diff[~near].max(initial=0.0)))
            out["window"] = max(out["window"], float(diff[near].max(initial=0.0)))
        for key in result:
            kind, variable = key.split("__")
            if kind != scenario or variable == "v" or variable.startswith("spikes"):
                continue
            nest = NEST[f"{name}__{key}"]
            assert result[key].shape == nest.shape, key
            out["other"] = max(out["other"], float(np.abs(result[key] - nest).max()))
    return out


@pytest.mark.parametrize("name", list(REF.CELLS))
def test_cell_against_nest(backend_results, name):
    """Spike times identical to NEST's; ``v`` and the other recordables within the
    tolerances of the module docstring."""
    backend, results = backend_results
    got = measure(name, results[name])
    k = 0 if backend == "numpy" else 1
    tol = TOLERANCES[name]
    assert got["spikes"], f"{name} ({backend}): spike times differ from NEST's"
    assert got["v"] <= tol["v"][k], (name, backend, got)
    assert got["window"] <= tol["window"][k], (name, backend, got)
    assert got["other"] <= tol["other"][k], (name, backend, got)
    # what the file records is what the cell type has
    expected = {r for r in getattr(sim, name).recordable if r != "spikes"}
    recorded = {key.split("__")[1] for key in results[name]}
    assert {r for r in recorded if not r.startswith("spikes")} == expected


def test_stored_reference_is_nontrivial():
    """The stored NEST records exercise what the comparison claims: every cell fires
    in both scenarios, and the inhibitory input moves ``v`` down."""
    for name in REF.CELLS:
        for scenario in REF.SCENARIOS:
            for i in range(2):
                assert NEST[f"{name}__{scenario}__spikes{i}"].size >= 1, (name, scenario, i)
        v = NEST[f"{name}__spikes__v"][:, 0]
        t = np.arange(v.size) * REF.DT
        before, after = v[np.searchsorted(t, 80.9)], v[np.searchsorted(t, 83.0)]
        assert after < before, name


@pytest.mark.parametrize(
    "name, values",
    [
        ("IF_curr_alpha", {"v": -60.0, "isyn_exc": 0.5, "isyn_inh": -0.25}),
        ("IF_cond_alpha", {"v": -58.0, "gsyn_exc": 0.01, "gsyn_inh": 0.02}),
        ("EIF_cond_exp_isfa_ista", {"v": -65.0, "w": 0.2, "gsyn_exc": 0.003}),
        ("HH_cond_exp", {"v": -62.0, "m": 0.1, "h": 0.8, "n": 0.3}),
        ("Izhikevich", {"v": -60.0, "u": -10.0}),
    ],
)
def test_initialize_writes_the_state(name, values):
    """PyNN's defaults, then ``initialize()``, land in the model's state Variables of
    the same names (cell 1 only: the others keep the defaults)."""
    sim.setup(timestep=0.1)
    cls = getattr(sim, name)
    pop = sim.Population(3, cls())
    for key, default in cls.default_initial_values.items():
        np.testing.assert_array_equal(np.asarray(getattr(pop._model, key).value), default)
    pop[1:2].initialize(**values)
    for key, value in values.items():
        expected = np.full(3, cls.default_initial_values[key])
        expected[1] = value
        np.testing.assert_array_equal(np.asarray(getattr(pop._model, key).value), expected)
    sim.end()
