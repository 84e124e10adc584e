"""Shared fixtures: every test starts on the numpy backend and may ask for either.

The suite compiles with the compilers' optimisation off (``fast_compile.py``).
"""

import os

import fast_compile

fast_compile.apply()  # before Numba is imported and JAX starts

import pytest  # noqa: E402

import brainjit as bp  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Tests of optimised code (``@pytest.mark.optimised``) are skipped where the suite
    compiles without optimisation: tests/test_optimised.py runs them."""
    if not fast_compile.active():
        return
    skip = pytest.mark.skip(reason="optimised code: run by tests/test_optimised.py")
    for item in items:
        if item.get_closest_marker("optimised"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _restore_backend():
    bp.math.use_backend("numpy")
    yield
    bp.math.use_backend("numpy")


@pytest.fixture(params=["numpy", "jax"])
def backend(request):
    """Run the test once on each backend (the backend is active during the test)."""
    bp.math.use_backend(request.param)
    return request.param


@pytest.fixture(scope="module")
def private_cache_dir(tmp_path_factory):
    """Generated files go to a private cache directory for the module that asks
    (``pytestmark = pytest.mark.usefixtures("private_cache_dir")``)."""
    old = os.environ.get("BRAINJIT_CACHE_DIR")
    os.environ["BRAINJIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("jit-cache"))
    yield
    if old is None:
        os.environ.pop("BRAINJIT_CACHE_DIR", None)
    else:
        os.environ["BRAINJIT_CACHE_DIR"] = old
