"""The building blocks of models: ``DynamicalSystem``, ``NeuGroup``, ``TwoEndConn``,
``Network``.

Everything a model does in a time step is its ``update(t, dt)`` method: ``t`` the
current time and ``dt`` the step, in ms, plain numbers (traced values under the jax
backend's jit). State lives in Variables and is written in place, so the same class
runs eagerly and under ``bp.math.jit`` on both backends. See ``docs/models.md``.

Conventions shared by the built-in models, the Runner and user models:

- a neuron group (``NeuGroup``) holds 1-D Variables of length ``num``: ``V`` (membrane
  potential, where the model has one), ``spike`` (bool: fired in this step),
  ``t_last_spike`` (time of the last spike, ``-1e7`` before any) and ``input`` (float:
  the external and synaptic current summed into the group for this step; the group's
  ``update`` reads it and sets it back to 0 at its end);
- a synapse (``TwoEndConn``) reads ``pre.spike`` (the spikes of the previous step),
  updates its own state and adds its current into ``post.input``;
- ``Network.update`` updates every synapse first, then every other node.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from brainjit import conn as _conn
from brainjit.base import Base

__all__ = [
    "DynamicalSystem",
    "NeuGroup",
    "TwoEndConn",
    "Network",
    "check_finite",
    "check_positive",
    "check_nonnegative",
]


def _as_numbers(owner, key, value) -> np.ndarray:
    """``value`` as a float array; a TypeError naming ``owner`` and ``key`` if it is not
    a number or an array of numbers."""
    if isinstance(value, (str, bytes)):
        arr = None
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            arr = None
    if arr is None:
        raise TypeError(f"{owner}: {key} must be a number or an array of numbers, got {value!r}")
    return arr


def _describe(arr: np.ndarray, bad: np.ndarray, value) -> str:
    """``value`` for an error message: the number itself, or the first offending element
    of an array and its index."""
    if arr.ndim == 0:
        return repr(value) if type(value) in (int, float) else repr(float(arr))
    index = np.argwhere(bad)[0]
    where = int(index[0]) if index.size == 1 else tuple(int(i) for i in index)
    return f"{float(arr[tuple(index)])!r} at index {where}"


def check_finite(owner, **params) -> None:
    """Raise a ValueError naming ``owner``, the parameter and the value if a parameter
    (a number or an array of numbers) is NaN or infinite; a TypeError if it is not a
    number. ``None`` (an unset optional parameter) passes.

    ``owner`` is how the error names the model: its type and name (``"LIF LIF0"``).
    Every built-in model checks its numeric parameters and initial values with this (or
    :func:`check_positive`) in its constructor, before anything is compiled, so that a
    NaN or an infinity cannot run silently to NaN potentials or frozen neurons.
    """
    for key, value in params.items():
        if value is None:
            continue
        arr = _as_numbers(owner, key, value)
        bad = ~np.isfinite(arr)
        if np.any(bad):
            raise ValueError(f"{owner}: {key} must be finite, got {_describe(arr, bad, value)}")


def check_positive(owner, **params) -> None:
    """Raise a ValueError naming ``owner``, the parameter and the value if a parameter
    is not a finite number > 0 (every element, for an array); see :func:`check_finite`."""
    check_finite(owner, **params)
    for key, value in params.items():
        arr = np.asarray(value, dtype=float)
        bad = ~(arr > 0)
        if np.any(bad):
            raise ValueError(f"{owner}: {key} must be > 0, got {_describe(arr, bad, value)}")


def check_nonnegative(owner, **params) -> None:
    """Raise a ValueError naming ``owner``, the parameter and the value if a parameter
    is not a finite number >= 0 (every element, for an array); see :func:`check_finite`."""
    check_finite(owner, **params)
    for key, value in params.items():
        arr = np.asarray(value, dtype=float)
        bad = ~(arr >= 0)
        if np.any(bad):
            raise ValueError(f"{owner}: {key} must be >= 0, got {_describe(arr, bad, value)}")


def _as_size(size, owner: str) -> tuple[int, ...]:
    dims = size if isinstance(size, (tuple, list)) else (size,)
    shape = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0:
            raise ValueError(
                f"{owner}: size must be a positive int or a tuple of positive ints, got {size!r}"
            )
        shape.append(int(d))
    if not shape:
        raise ValueError(f"{owner}: size must not be an empty tuple")
    return tuple(shape)


class DynamicalSystem(Base):
    """A model with state (Variables) and a time step ``update(t, dt)``.

    Subclasses implement ``update(self, t, dt)``; calling the object calls ``update``,
    so ``bp.math.jit(model)`` compiles one step.
    """

    def update(self, t, dt):
        """Advance the state from time ``t`` by one step of ``dt`` (ms)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(self, t, dt)")

    def __call__(self, t, dt):
        return self.update(t, dt)


class NeuGroup(DynamicalSystem):
    """A group of ``num`` neurons (or spike sources) of one kind.

    Args:
        size: the number of neurons, or a shape (``(10, 10)``); ``size`` keeps it as a
            tuple and ``num`` is the product. Variables are 1-D, of length ``num``.
        name: a unique name (default: the class name and a counter).

    Subclasses create their Variables (``V``, ``spike``, ``t_last_spike``, ``input``:
    see the module docstring) in ``__init__`` and implement ``update(t, dt)``.
    """

    def __init__(self, size, name: str | None = None):
        super().__init__(name=name)
        self.size = _as_size(size, type(self).__name__)
        self.num = math.prod(self.size)


def _csr_of(conn, pre: NeuGroup, post: NeuGroup, owner: str):
    """(indptr, indices, connector or None) from a connector, a (indptr, indices) pair or
    a dense boolean matrix; checked against the sizes of both groups."""
    where = f"{owner} from {pre.name} ({pre.num} neurons) to {post.name} ({post.num} neurons)"
    if isinstance(conn, _conn.Connector):
        if conn.pre_size is None:
            conn(pre.size, post.size)
        if conn.pre_num != pre.num or conn.post_num != post.num:
            raise ValueError(
                f"{where}: the connectivity {type(conn).__name__} was built for "
                f"{conn.pre_num} pre and {conn.post_num} post neurons; build it for "
                f"{pre.name} and {post.name} or pass it unbuilt"
            )
        return conn.indptr, conn.indices, conn
    if isinstance(conn, (tuple, list)) and len(conn) == 2:
        indptr, indices = (np.asarray(a) for a in conn)
        if indptr.ndim != 1 or not np.issubdtype(indptr.dtype, np.integer):
            raise ValueError(f"{where}: indptr must be a 1-D integer array")
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError(f"{where}: indices must be a 1-D integer array")
        if indptr.size != pre.num + 1:
            raise ValueError(
                f"{where}: indptr must have pre_num + 1 = {pre.num + 1} entries, "
                f"got {indptr.size} ({indptr.size - 1} presynaptic neurons)"
            )
        if int(indptr[0]) != 0 or int(indptr[-1]) != indices.size or np.any(np.diff(indptr) < 0):
            raise ValueError(f"{where}: indptr must rise from 0 to len(indices) = {indices.size}")
        if indices.size and (indices.min() < 0 or indices.max() >= post.num):
            raise ValueError(
                f"{where}: indices must be post ids in [0, {post.num}), got "
                f"{int(indices.min())} .. {int(indices.max())}"
            )
        return indptr, indices, None
    if isinstance(conn, np.ndarray) and conn.ndim == 2:
        if conn.shape != (pre.num, post.num):
            raise ValueError(
                f"{where}: the connection matrix must have shape ({pre.num}, {post.num}), "
                f"got {conn.shape}"
            )
        built = _conn.MatConn(conn)(pre.size, post.size)
        return built.indptr, built.indices, built
    raise TypeError(
        f"{where}: conn must be a bp.conn connector, an (indptr, indices) CSR pair or a "
        f"dense (pre, post) boolean matrix, got {type(conn).__name__}"
    )


class TwoEndConn(DynamicalSystem):
    """Base class of synapses: a projection from a ``pre`` group onto a ``post`` group.

    Args:
        pre, post: the presynaptic and postsynaptic ``NeuGroup``.
        conn: a ``bp.conn`` connector (built here for the two groups if it is not built
            yet, else checked against their sizes), an ``(indptr, indices)`` CSR pair by
            presynaptic neuron, or a dense ``(pre.num, post.num)`` boolean matrix.
        name: a unique name.

    Sets ``pre``, ``post``, ``conn`` (the connector, or None for a CSR pair),
    ``indptr``, ``indices`` (NumPy arrays: constants of compiled code) and
    ``num_synapses``. Subclasses implement ``update(t, dt)``: read ``self.pre.spike``,
    update their Variables and add their current into ``self.post.input``.
    """

    def __init__(self, pre: NeuGroup, post: NeuGroup, conn, name: str | None = None):
        super().__init__(name=name)
        owner = f"{type(self).__name__} {self.name}"
        for role, group in (("pre", pre), ("post", post)):
            if not isinstance(group, NeuGroup):
                raise TypeError(f"{owner}: {role} must be a NeuGroup, got {group!r}")
        self.pre = pre
        self.post = post
        indptr, indices, connector = _csr_of(conn, pre, post, owner)
        self.conn = connector
        self.indptr = indptr
        self.indices = indices
        self.num_synapses = int(indices.size)


class Network(DynamicalSystem):
    """A model made of other models: neuron groups, synapses, sub-networks.

    ``Network(E, I, E2I, ..., name=None, **named)``: positional nodes are reachable as
    attributes under their own names (``net.LIF0``), keyword nodes under the keyword
    (``net.E``); lists, tuples and dicts of nodes are unpacked.

    ``update(t, dt)`` updates every synapse (``TwoEndConn``) first, then every other
    node, each in the order given. Why synapses first: in the step from ``t`` every
    synapse sees the spikes that every group emitted in the previous step and delivers
    its current into ``post.input`` before any group integrates, so the result does not
    depend on the order in which nodes were listed, and a spike reaches its targets in
    the next step (the minimal transmission delay is one ``dt``, the same for every
    synapse).
    """

    def __init__(self, *nodes, name: str | None = None, **named_nodes):
        super().__init__(name=name)
        found: dict[str, DynamicalSystem] = {}

        def add(key, node):
            if isinstance(node, (list, tuple)):
                for item in node:
                    add(None, item)
                return
            if isinstance(node, dict):
                for k, item in node.items():
                    add(k, item)
                return
            if not isinstance(node, DynamicalSystem):
                raise TypeError(
                    f"Network {self.name}: nodes must be DynamicalSystems (neuron groups, "
                    f"synapses, networks), got {node!r}"
                )
            key = node.name if key is None else key
            if not isinstance(key, str) or not key.isidentifier():
                raise ValueError(f"Network {self.name}: node names must be identifiers: {key!r}")
            if key in found and found[key] is not node:
                raise ValueError(f"Network {self.name}: two nodes are called {key!r}")
            if key in vars(self) or hasattr(type(self), key):
                raise ValueError(f"Network {self.name}: {key!r} is not a free attribute name")
            found[key] = node

        for node in nodes:
            add(None, node)
        for key, node in named_nodes.items():
            add(key, node)
        for key, node in found.items():
            setattr(self, key, node)
        unique = list({id(n): n for n in found.values()}.values())
        #: the nodes, updated in this order: every synapse, then every other node
        self.synapse_nodes = tuple(n for n in unique if isinstance(n, TwoEndConn))
        self.other_nodes = tuple(n for n in unique if not isinstance(n, TwoEndConn))
        self.node_names = tuple(found)

    def update(self, t, dt):
        for node in self.synapse_nodes:
            node.update(t, dt)
        for node in self.other_nodes:
            node.update(t, dt)

    def __getitem__(self, key: str) -> DynamicalSystem:
        """``net['E']``: a node by the name it was given."""
        if key not in self.node_names:
            raise KeyError(f"Network {self.name} has no node {key!r}; nodes: {self.node_names}")
        return getattr(self, key)
