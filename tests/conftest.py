"""Shared fixtures: every test starts on the numpy backend and may ask for either.

The tests compile Numba code with LLVM at ``-O0`` (``NUMBA_OPT=0``, unless the variable
is set already): optimisation changes how fast compiled code runs, not what it computes
(brainjit asks for no fast-math), and it takes about a quarter of a cold compilation.
The example programs (``tests/test_examples.py``) run as users run them, at Numba's
default ``-O3``, and the on-disk cache keeps the levels apart (``brainjit/_cache.py``).
"""

import os

os.environ.setdefault("NUMBA_OPT", "0")  # before Numba is imported

import pytest  # noqa: E402

import brainjit as bp  # noqa: E402


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
