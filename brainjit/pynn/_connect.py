"""Connecting a projection: PyNN's connectors, vectorised where that is exact.

PyNN's map connectors (``AllToAll``, ``OneToOne``, ``FixedProbability``) build their
connections one postsynaptic cell at a time, in Python: for VA's 4000 cells that loop
costs more than a second of simulation. When the synapse parameters are numbers, the
connections they make depend only on the connectivity matrix, so :func:`connect` builds
that matrix with NumPy, in blocks of columns, drawing exactly the random numbers PyNN
would draw in the same order (one uniform per pair, column by column, from a copy of
the connector's ``NumpyRNG``, as PyNN's lazy arrays do), and hands all connections to
the projection at once, in PyNN's order (by postsynaptic cell, then presynaptic cell).
Anything else (random or distance-dependent weights, other connectors or generators, a
progress callback) runs PyNN's own code. ``tests/pynn/test_projections.py`` checks that
both give the same connections.
"""

from __future__ import annotations

import copy

import numpy as np
from pyNN import connectors
from pyNN.common import Population
from pyNN.random import NumpyRNG

BLOCK = 1 << 22  # pairs per block of columns (bounds the memory of the matrix)


def connect(projection, connector) -> None:
    """Connect ``projection`` as ``connector.connect(projection)`` does."""
    parameters = _homogeneous_parameters(projection)
    columns = _column_blocks(projection, connector) if parameters is not None else None
    if columns is None:
        connector.connect(projection)
        return
    pre, post = [], []
    for start, mask in columns:
        cols, rows = np.nonzero(mask)  # mask[column, pre]: PyNN's order
        pre.append(rows)
        post.append(cols + start)
    pre = np.concatenate(pre) if pre else np.zeros(0, np.int64)
    post = np.concatenate(post) if post else np.zeros(0, np.int64)
    if pre.size == 0:
        return
    if connector.safe:
        _check(projection, parameters)
    projection._connect_arrays(pre, post, parameters)


def _homogeneous_parameters(projection) -> dict | None:
    """The synapse type's native parameters as numbers, or None if any is not one
    (a random distribution, an array, a function of distance or index)."""
    space = projection.synapse_type.native_parameters
    space.shape = (projection.pre.size, projection.post.size)
    values = {}
    for name, value in space.items():
        if callable(value.base_value) or not value.is_homogeneous:
            return None
        value = value.evaluate(simplify=True)
        if np.ndim(value) != 0:
            return None
        values[name] = value
    return values


def _check(projection, parameters) -> None:
    """PyNN's ``safe`` checks of the parameters (e.g. a weight's sign for its receptor)."""
    syn = projection.synapse_type
    for name, check in getattr(syn, "parameter_checks", {}).items():
        native = syn.translations[name]["translated_name"]
        if native in parameters:
            check(parameters[native], projection)


def _column_blocks(projection, connector):
    """Blocks ``(first column, mask[column, pre])`` of the connectivity matrix, or None
    when ``connector`` is not one whose matrix is built here."""
    if connector.callback is not None or getattr(connector, "location_selector", None):
        return None
    n_pre, n_post = projection.pre.size, projection.post.size
    kind = type(connector)
    if kind is connectors.OneToOneConnector:
        if n_pre != n_post:
            return None  # PyNN raises: let it
        return _blocks(n_pre, n_post, lambda pre, post: pre == post)
    self_mask = _self_mask(projection, connector)
    if self_mask is False:
        return None
    if kind is connectors.AllToAllConnector:
        return _blocks(n_pre, n_post, self_mask or (lambda pre, post: np.ones_like(pre == post)))
    if kind is connectors.FixedProbabilityConnector and type(connector.rng) is NumpyRNG:
        # PyNN draws from a copy of the generator (``random_map < p`` deep-copies the
        # lazy array and its generator): the connector's own generator never advances
        p, rng = connector.p_connect, copy.deepcopy(connector.rng)

        def draw(pre, post):
            # PyNN draws n_pre uniforms per postsynaptic cell, cell after cell
            u = rng.next(pre.size * post.size, "uniform", {"low": 0.0, "high": 1.0})
            mask = u.reshape(post.size, pre.size).T < p
            return mask & self_mask(pre, post) if self_mask else mask

        return _blocks(n_pre, n_post, draw)
    return None


def _self_mask(projection, connector):
    """None (self-connections allowed), a function ``(pre, post) -> allowed`` of index
    grids, or False (a rule built only by PyNN's code: ``'NoMutual'``)."""
    allow = getattr(connector, "allow_self_connections", True)
    if allow is True:
        return None
    if allow is not False:
        return False
    pre_ids = np.asarray(projection.pre.all_cells, dtype=np.int64)
    post_ids = np.asarray(projection.post.all_cells, dtype=np.int64)
    same = (
        isinstance(projection.pre, Population)
        and isinstance(projection.post, Population)
        and projection.pre == projection.post
    )
    if same:
        return lambda pre, post: pre != post
    return lambda pre, post: pre_ids[pre] != post_ids[post]


def _blocks(n_pre, n_post, matrix):
    """Yield ``(first column, mask)`` with ``mask[column - first, pre] =
    matrix(pre, post)[pre, column]``, a block of columns at a time, in column order."""
    width = max(1, BLOCK // max(n_pre, 1))
    pre = np.arange(n_pre)[:, None]
    for start in range(0, n_post, width):
        post = np.arange(start, min(start + width, n_post))[None, :]
        yield start, np.asarray(matrix(pre, post), dtype=bool).T
