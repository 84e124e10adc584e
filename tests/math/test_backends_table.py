"""docs/backends.md (scripts/backends_table.py) is current, and its checks can fail.

The table is generated from the live ``bp.math`` namespaces of both backends: a name of
brainjit's own API on one backend only, or with another signature on each, needs a
reason in the script, and a reason for a difference that is gone is an error too.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest

import brainjit as bp

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "backends_table.py"


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location("backends_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def differences(table):
    return table.compare()


def test_regenerating_gives_the_committed_file(table):
    text = table.generate()  # raises if a difference has no reason
    assert text == table.OUTPUT.read_text(), (
        "docs/backends.md is stale: run python scripts/api_comparison.py"
    )


def test_one_backend_names_exist_on_that_backend_only(differences):
    """Each listed name is on its backend; on the other it is absent or raises, naming
    the backend to use."""
    only, _ = differences
    assert only, "no one-backend name: drop this test's premise, keep the table"
    for name, backend, other in only:
        path, _, attr = name.removeprefix("bp.math").lstrip(".").rpartition(".")
        for b in ("numpy", "jax"):
            with bp.math.backend(b):
                module = bp.math
                for part in filter(None, path.split(".")):
                    module = getattr(module, part)
                if b == backend or other == "error":
                    assert hasattr(module, attr), (name, b)
                else:
                    assert not hasattr(module, attr), (name, b)
                if b != backend and other == "error":
                    with pytest.raises(NotImplementedError, match=f"{backend} backend"):
                        getattr(module, attr)(lambda x: x)


def test_signature_differences_are_real(differences):
    _, signatures = differences
    for name, on_numpy, on_jax in signatures:
        assert inspect.signature(on_numpy) != inspect.signature(on_jax), name


def test_a_missing_reason_is_an_error(table, differences, monkeypatch):
    only, signatures = differences
    name = only[0][0]
    monkeypatch.delitem(table.ONE_BACKEND, name)
    with pytest.raises(ValueError, match=rf"{name}: on one backend only"):
        table.check(only, signatures)


def test_a_stale_reason_is_an_error(table, differences, monkeypatch):
    monkeypatch.setitem(table.SIGNATURES, "bp.math.zeros", "no longer true")
    with pytest.raises(ValueError, match=r"bp.math.zeros: SIGNATURES .* no longer differ"):
        table.check(*differences)


def test_own_names_leave_out_numpy_names(table):
    assert table.own_names("", ["zeros", "jit", "pi"]) == {"jit"}
    assert table.own_names("linalg", ["norm", "LinAlgError"]) == set()
    assert table.own_names("random", ["normal", "split_key"]) == {"normal", "split_key"}


def test_random_draws_have_the_same_signature_on_both_backends():
    signatures = {}
    for b in ("numpy", "jax"):
        with bp.math.backend(b):
            signatures[b] = str(inspect.signature(bp.math.random.normal))
            assert "test" not in dir(bp.math.random)  # numpy.random's pytest runner
    assert signatures["numpy"] == signatures["jax"] == "(loc=0.0, scale=1.0, size=None)"


def test_check_option_reports_a_stale_file(table, tmp_path, monkeypatch, capsys):
    stale = tmp_path / "backends.md"
    stale.write_text("old\n")
    monkeypatch.setattr(table, "OUTPUT", stale)
    monkeypatch.setattr(table, "ROOT", tmp_path)
    assert table.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert table.main([]) == 0 and table.main(["--check"]) == 0
