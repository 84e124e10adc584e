"""The backend switch: bp.math.use_backend / get_backend_name / backend(...)."""

import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import brainjit as bp


def run_fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (a first import of brainjit) and return stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_numpy_is_the_default_and_jax_is_imported_lazily():
    out = run_fresh(
        """
        import sys
        import brainjit as bp
        print(bp.math.get_backend_name(), "jax" in sys.modules, type(bp.math.zeros(2)).__mro__[1])
        bp.math.use_backend("jax")
        print(bp.math.get_backend_name(), "jax" in sys.modules)
        """
    )
    assert out.splitlines() == ["numpy False <class 'numpy.ndarray'>", "jax True"]


def test_version():
    assert isinstance(bp.__version__, str) and bp.__version__.count(".") >= 1


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_use_backend_switches_and_get_backend_name_reports(name):
    bp.math.use_backend(name)
    assert bp.math.get_backend_name() == name
    array_type = np.ndarray if name == "numpy" else bp.math.JaxArray
    assert isinstance(bp.math.zeros(3), array_type)


def test_backend_names_are_case_insensitive():
    bp.math.use_backend("JAX")
    assert bp.math.get_backend_name() == "jax"


@pytest.mark.parametrize("bad", ["torch", "", "nump", "numba"])
def test_unknown_backend_is_a_value_error_listing_the_valid_ones(bad):
    with pytest.raises(ValueError) as info:
        bp.math.use_backend(bad)
    message = str(info.value)
    assert repr(bad) in message and "'numpy'" in message and "'jax'" in message
    assert bp.math.get_backend_name() == "numpy"  # unchanged


@pytest.mark.parametrize("bad", [None, 1, jax])
def test_backend_name_must_be_a_string(bad):
    with pytest.raises(TypeError, match="backend name"):
        bp.math.use_backend(bad)


def test_backend_context_manager_restores_the_previous_backend():
    with bp.math.backend("jax"):
        assert bp.math.get_backend_name() == "jax"
        assert isinstance(bp.math.ones(2), bp.math.JaxArray)
        with bp.math.backend("numpy"):
            assert bp.math.get_backend_name() == "numpy"
        assert bp.math.get_backend_name() == "jax"
    assert bp.math.get_backend_name() == "numpy"
    assert type(bp.math.ones(2)).__module__.startswith("brainjit.math._numpy")


def test_backend_context_manager_restores_on_error():
    with pytest.raises(RuntimeError):
        with bp.math.backend("jax"):
            raise RuntimeError("boom")
    assert bp.math.get_backend_name() == "numpy"


def test_backend_context_manager_with_unknown_name_changes_nothing():
    with pytest.raises(ValueError):
        with bp.math.backend("nope"):
            pass  # pragma: no cover
    assert bp.math.get_backend_name() == "numpy"


def test_switching_rebinds_the_public_names():
    numpy_names = {n: getattr(bp.math, n) for n in ("zeros", "sum", "linalg", "fft", "random")}
    assert not hasattr(bp.math, "JaxArray")  # jax-only names are absent under numpy
    bp.math.use_backend("jax")
    for name, obj in numpy_names.items():
        assert getattr(bp.math, name) is not obj, name
    assert bp.math.ndarray is bp.math.JaxArray
    assert bp.math.Variable.__module__.startswith("brainjit.math._jax")
    assert bp.math.random.RandomState.__module__.startswith("brainjit.math._jax")
    bp.math.use_backend("numpy")
    for name, obj in numpy_names.items():
        assert getattr(bp.math, name) is obj, name
    assert not hasattr(bp.math, "JaxArray")


def test_from_import_sees_the_active_backend():
    bp.math.use_backend("jax")
    from brainjit.math import zeros

    assert isinstance(zeros(2), bp.math.JaxArray)


def test_arrays_keep_their_type_across_a_switch():
    a = bp.math.arange(3)
    bp.math.use_backend("jax")
    b = bp.math.arange(3)
    bp.math.use_backend("numpy")
    from brainjit.math._jax.ndarray import JaxArray

    assert isinstance(a, np.ndarray) and not isinstance(a, JaxArray)
    assert isinstance(b, JaxArray)
    np.testing.assert_array_equal(np.asarray(b), a)


def test_the_shared_helpers_stay_through_switches():
    for name in ("jax", "numpy"):
        bp.math.use_backend(name)
        for helper in ("use_backend", "get_backend_name", "backend", "enable_x64", "is_variable"):
            assert callable(getattr(bp.math, helper)), helper
