"""Shared fixtures: every test starts on the numpy backend and may ask for either."""

import pytest

import brainjit as bp


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
