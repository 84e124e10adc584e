"""Every script in examples/ runs to completion (with its quick settings)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# command-line arguments that keep an example short in the test suite
_SMALL = ["--no-plot", "--no-progress", "--json"]
QUICK_ARGS: dict[str, list[str]] = {
    "coba.py": ["--scale", "0.1", "--duration", "50", *_SMALL],
    "cuba.py": ["--backend", "jax", "--scale", "0.1", "--duration", "50", *_SMALL],
    "cobahh.py": ["--backend", "jax", "--scale", "0.1", "--duration", "50", *_SMALL],
    "decision_making.py": ["--scale", "0.05", "--duration", "300", *_SMALL],
}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script), *QUICK_ARGS.get(script.name, [])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"


def test_there_are_examples():
    assert EXAMPLES
