"""PyNN's own example scripts, unchanged, on brainjit.pynn and on pyNN.nest.

Each script from PyNN 0.13's ``examples/`` runs as PyNN's README says to run it, with
the simulator's name as its argument: ``python -m brainjit.pynn SCRIPT brainjit ...``
(brainjit's runner makes ``pyNN.brainjit`` importable, see ``brainjit/pynn/__main__.py``)
and ``python SCRIPT nest ...`` in NEST's environment. The script's own output files
(``Results/*.pkl``, Neo) and printout are read back and compared::

    python benchmarks/peers/pynn_examples.py --pynn-src /tmp/pynn-src \\
        --nest-python /tmp/nestvenv/bin/python [--backends numpy jax] [--only Izhikevich]

(PyNN's examples are in its source distribution; see docs/pynn.md.) On the NEST side
the scripts run through a shim that changes two things (``NEST_PATCH``): NEST stamps
spikes on the time grid (``setup(spike_precision='on_grid')``: brainjit.pynn's spike
times; pyNN.nest's default is NEST's precise off-grid times), and one PyNN 0.13 bug is
patched: with NumPy 2 its connectors fail on a one-to-one projection of one cell
(``Izhikevich.py``, ``simple_STDP.py``); brainjit.pynn builds that projection without
PyNN's loop and needs no patch.

What is compared (NEST's integrators differ from brainjit's for the conductance and
nonlinear cells: adaptive RKF45 at 1e-3 absolute tolerance, see docs/pynn.md):

- deterministic single cells (Izhikevich, HH, current injection, simple_STDP,
  tsodyksmarkram): spike times equal (the same grid steps), the largest difference of
  ``v`` (mV) and of the conductances (relative), simple_STDP's final weights;
- random ones (the noisy current, stochastic synapses, VAbenchmarks' networks, whose
  Poisson input or stochastic release draws from each simulator's own generator):
  the statistics side by side.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

#: name: (script, extra arguments)
EXAMPLES = {
    "Izhikevich": ("Izhikevich.py", []),
    "HH_cond_exp": ("HH_cond_exp2.py", []),
    "current_injection": ("current_injection.py", []),
    "simple_STDP": ("simple_STDP.py", []),
    "tsodyksmarkram": ("tsodyksmarkram.py", []),
    "stochastic_synapses": ("stochastic_synapses.py", []),
    "VAbenchmarks_COBA": ("VAbenchmarks.py", ["COBA"]),
    "VAbenchmarks_CUBA": ("VAbenchmarks.py", ["CUBA"]),
}

# PyNN 0.13 with NumPy 2: a connector's column of one cell is a NumPy scalar, whose
# ``nonzero()`` NumPy 2 refuses; give PyNN a 1-element array instead (NEST side only).
NEST_PATCH = """
import runpy, sys
import numpy as np
from pyNN.parameters import LazyArray
_by_column = LazyArray.by_column
def by_column(self, mask=None):
    for col in _by_column(self, mask):
        yield np.atleast_1d(col) if isinstance(col, np.generic) else col
LazyArray.by_column = by_column
# spikes on the time grid, as brainjit.pynn stamps them (pyNN.nest's default is NEST's
# precise 'off_grid' spike times, which shift spikes by a fraction of a step)
import pyNN.nest
_setup = pyNN.nest.setup
def setup(*args, **kwargs):
    kwargs.setdefault("spike_precision", "on_grid")
    if len(args) < 2 and kwargs.get("min_delay", "auto") == "auto":
        kwargs["min_delay"] = args[0] if args else kwargs.get("timestep", 0.1)
    return _setup(*args, **kwargs)
pyNN.nest.setup = setup
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, script.rsplit('/', 1)[0])
runpy.run_path(script, run_name='__main__')
"""


def run_example(name: str, simulator: str, pynn_src: Path, nest_python: str | None = None):
    """Run example ``name`` on ``simulator`` ('nest', 'brainjit-numpy', 'brainjit-jax')
    in a fresh directory. Returns ``(data, stdout, seconds)``: ``data`` maps each
    ``Results/*.pkl`` file (its name without the simulator and date) to its Neo block."""
    script, extra = EXAMPLES[name]
    path = pynn_src / "examples" / script
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Results").mkdir()
        if simulator == "nest":
            patch = Path(tmp) / "nest_patch.py"
            patch.write_text(NEST_PATCH)
            cmd = [nest_python, str(patch), str(path), "nest", *extra]
        else:
            backend = simulator.split("-", 1)[1]
            cmd = [sys.executable, "-m", "brainjit.pynn", "--backend", backend]
            cmd += [str(path), "brainjit", *extra]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{name} on {simulator} failed:\n{proc.stderr[-3000:]}")
        return _read_results(Path(tmp) / "Results", simulator), proc.stdout, seconds


def _read_results(folder: Path, simulator: str) -> dict:
    from neo.io import PickleIO

    out = {}
    for file in sorted(folder.rglob("*.pkl")):
        key = file.stem
        for word in (simulator.split("-")[0], "nest", "brainjit"):
            key = key.replace(word, "")
        key = re.sub(r"_?\d{8}-\d{6}", "", key)  # the date of normalized_filename
        key = re.sub(r"_np\d+", "", key).strip("_")
        out[key] = PickleIO(str(file)).read_block()
    return out


def signals(block) -> dict[str, np.ndarray]:
    """The block's analog signals by name (first segment), as arrays (time, channel)."""
    return {s.name: np.asarray(s.magnitude) for s in block.segments[0].analogsignals}


def spike_times(block) -> list[np.ndarray]:
    return [np.asarray(st.rescale("ms").magnitude) for st in block.segments[0].spiketrains]


def _spikes_from_v(v: np.ndarray, dt: float, reset: bool) -> list[np.ndarray]:
    """For cells that record only ``v``: the samples after a reset (a fall of more than
    20 mV in one sample: Izhikevich) or after an upward crossing of 0 mV (HH)."""
    if reset:
        events = np.diff(v, axis=0) < -20.0
    else:
        events = (v[1:] >= 0.0) & (v[:-1] < 0.0)
    return [np.nonzero(events[:, c])[0] * dt for c in range(v.shape[1])]


def _final_weights(stdout: str) -> np.ndarray:
    text = stdout.split("Final weights:")[1].split("]")[0].strip(" [\n")
    return np.array([float(x) for x in text.split()])


def _rates_cvs(block, tstop: float) -> tuple[float, float]:
    trains = spike_times(block)
    rate = sum(t.size for t in trains) / len(trains) / (tstop / 1000.0)
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t)) for t in trains if t.size >= 3]
    return rate, float(np.mean(cvs)) if cvs else float("nan")


def compare(name: str, ref, got) -> dict:
    """Metrics of ``got`` (a run_example result) against ``ref`` (NEST's)."""
    (rdata, rout, _), (gdata, gout, _) = ref, got
    if set(rdata) != set(gdata):
        raise AssertionError(f"{name}: files {sorted(gdata)} vs NEST's {sorted(rdata)}")
    out = {}
    if name.startswith("VAbenchmarks"):
        for key in sorted(rdata):
            pop = "exc" if "exc" in key else "inh"
            (r_rate, r_cv), (g_rate, g_cv) = (_rates_cvs(d[key], 1000.0) for d in (rdata, gdata))
            out[f"rate {pop} (Hz)"] = (r_rate, g_rate)
            out[f"CV {pop}"] = (r_cv, g_cv)
            rt, gt = spike_times(rdata[key]), spike_times(gdata[key])
            same = sum(a.size == b.size and np.allclose(a, b, atol=1e-9) for a, b in zip(rt, gt))
            out[f"{pop} cells with NEST's spike train"] = f"{same} of {len(rt)}"
        return out
    for key in sorted(rdata):
        rs, gs = signals(rdata[key]), signals(gdata[key])
        label = key if len(rdata) > 1 else ""
        if name == "current_injection":  # cell 3: the noisy current (its own draws)
            dv = np.abs(rs["v"][:, :3] - gs["v"][:, :3]).max()
            out["max |dv| (mV), cells 0-2"] = dv
            window = slice(1000, 4500)  # 100-450 ms at 0.1 ms: after the onset
            out["noisy cell: sd of v (mV)"] = (rs["v"][window, 3].std(), gs["v"][window, 3].std())
            continue
        if name == "stochastic_synapses" and "stochastic" in key:
            out["stochastic: mean gsyn_inh (uS)"] = (rs["gsyn_inh"].mean(), gs["gsyn_inh"].mean())
            continue
        out[f"max |dv| (mV) {label}".strip()] = np.abs(rs["v"] - gs["v"]).max()
        for sig in sorted(set(rs) - {"v"}):
            scale = np.abs(rs[sig]).max()
            out[f"max |d{sig}| / max {sig} {label}".strip()] = (
                np.abs(rs[sig] - gs[sig]).max() / scale
            )
        rt, gt = spike_times(rdata[key]), spike_times(gdata[key])
        if not any(t.size for t in rt):  # only v recorded: spikes from v
            dt = float(rdata[key].segments[0].analogsignals[0].sampling_period.rescale("ms"))
            rt, gt = (_spikes_from_v(s["v"], dt, name == "Izhikevich") for s in (rs, gs))
        same = len(rt) == len(gt) and all(
            a.size == b.size and np.allclose(a, b, atol=1e-9) for a, b in zip(rt, gt)
        )
        out[f"spikes {label}".strip()] = f"{sum(t.size for t in rt)}, " + (
            "identical" if same else "DIFFER"
        )
    if name == "simple_STDP":
        rw, gw = _final_weights(rout), _final_weights(gout)
        out["final weights: max |dw| / max w"] = np.abs(rw - gw).max() / np.abs(rw).max()
    return out


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return " / ".join(_fmt(v) for v in value)
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pynn-src", type=Path, required=True)
    parser.add_argument("--nest-python", required=True)
    parser.add_argument("--backends", nargs="+", default=["numpy", "jax"])
    parser.add_argument("--only", nargs="+", default=list(EXAMPLES))
    parser.add_argument("--json", type=Path, help="write the metrics here")
    args = parser.parse_args()
    rows, record = [], {}
    for name in args.only:
        ref = run_example(name, "nest", args.pynn_src, args.nest_python)
        for backend in args.backends:
            got = run_example(name, f"brainjit-{backend}", args.pynn_src)
            metrics = compare(name, ref, got)
            record[f"{name} {backend}"] = {k: _fmt(v) for k, v in metrics.items()}
            for key, value in metrics.items():
                rows.append((name, backend, key, _fmt(value)))
            rows.append((name, backend, "wall s (NEST / brainjit)", f"{ref[2]:.1f} / {got[2]:.1f}"))
            print(*rows[-1], sep=" | ", flush=True)
    print("\n| example | backend | measure (NEST / brainjit where two) | value |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
