"""$BRAINJIT_BACKEND picks the backend at ``import brainjit``."""

import os
import subprocess
import sys

import pytest

CODE = "import sys, brainjit as bp; print(bp.math.get_backend_name(), 'jax' in sys.modules)"


def run_with(value):
    env = {k: v for k, v in os.environ.items() if k != "BRAINJIT_BACKEND"}
    if value is not None:
        env["BRAINJIT_BACKEND"] = value
    return subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.mark.parametrize(
    "value,expected",
    [(None, "numpy False"), ("", "numpy False"), ("jax", "jax True"), ("JAX", "jax True")],
)
def test_environment_variable_selects_the_backend(value, expected):
    result = run_with(value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_unknown_backend_in_the_environment_is_a_clear_error():
    result = run_with("torch")
    assert result.returncode != 0
    assert "BRAINJIT_BACKEND='torch' names no backend" in result.stderr
    assert "'numpy', 'jax'" in result.stderr
