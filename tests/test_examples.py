"""Every script in examples/ runs to completion on both backends (with its quick settings).

The backend comes from ``$BRAINJIT_BACKEND`` (the default of the examples' ``--backend``);
a script that prints a JSON summary must report the backend it ran on.
"""

import json
import os
import subprocess
from pathlib import Path

import fast_compile
import pytest
from preloaded_python import run_python

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
BACKENDS = ("numpy", "jax")
# command-line arguments that keep an example short in the test suite
_SMALL = ["--no-plot", "--no-progress", "--json"]
QUICK_ARGS: dict[str, list[str]] = {
    "coba.py": ["--scale", "0.1", "--duration", "50", *_SMALL],
    "cuba.py": ["--scale", "0.1", "--duration", "50", *_SMALL],
    "cobahh.py": ["--scale", "0.1", "--duration", "50", *_SMALL],
    "decision_making.py": ["--scale", "0.05", "--duration", "300", *_SMALL],
    "stdp_song2000.py": ["--inputs", "100", "--duration", "200", *_SMALL],
    "fit_rates.py": [
        "--neurons",
        "20",
        "--steps",
        "40",
        "--trials",
        "2",
        "--iterations",
        "3",
        *_SMALL,
    ],
    "train_digits.py": [
        "--epochs",
        "1",
        "--n-train",
        "128",
        "--hidden",
        "32",
        "--steps",
        "10",
        *_SMALL,
    ],
}
# scripts that run every backend unless told one: told the backend under test
BACKEND_ARG = {"math_tour.py"}


def run_example(script: Path, backend: str, tmp_path: Path) -> subprocess.CompletedProcess:
    args = list(QUICK_ARGS.get(script.name, []))
    if script.name in BACKEND_ARG:
        args += ["--backend", backend]
    # ``python script args`` in a process forked from one that has imported brainjit's
    # dependencies (not brainjit): preloaded_python.py; compiled at the compilers'
    # default optimisation levels, as users run them (the other tests: fast_compile.py)
    env = {**fast_compile.as_users_run(os.environ), "MPLBACKEND": "Agg"}
    env["BRAINJIT_BACKEND"] = backend
    return run_python(script, args, cwd=tmp_path, timeout=900, env=env)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, backend, tmp_path):
    result = run_example(script, backend, tmp_path)
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    if "--json" in QUICK_ARGS.get(script.name, []):
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["backend"] == backend, summary
    if script.name in BACKEND_ARG:
        other = next(b for b in BACKENDS if b != backend)
        assert f"on the {backend} backend" in result.stdout
        assert f"on the {other} backend" not in result.stdout


def test_there_are_examples():
    assert EXAMPLES
