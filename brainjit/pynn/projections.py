"""``Projection`` of ``brainjit.pynn``: PyNN's common class, its connections kept as
arrays (in the order the connector made them) and run as brainjit synapse groups.

The connector calls ``_convergent_connect`` once per postsynaptic cell; the arrays are
turned into synapses when the network is first built: one group
(:class:`~brainjit.pynn._models.StaticGroup`, or the plastic group of the synapse type)
per delay in steps, each a CSR by presynaptic cell with one weight Variable. ``get``,
``set`` and ``save`` read and write those Variables through a permutation (the order of
creation, as PyNN's other backends); changing delays rebuilds the groups.
"""

from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.core import is_listlike
from pyNN.parameters import ParameterSpace
from pyNN.space import Space

from brainjit import math as bm
from brainjit.pynn import _connect, simulator
from brainjit.pynn.standardmodels.synapses import StaticSynapse


class Connection(common.Connection):
    """One connection of a projection (PyNN's ``Connection``): its attributes are read
    from and written to the projection's arrays."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index
        self.presynaptic_index = int(projection._pre_index[index])
        self.postsynaptic_index = int(projection._post_index[index])

    def _get(self, name):
        return float(self.projection._attribute(name)[self.index])

    def _set(self, name, value):
        values = self.projection._attribute(name).copy()
        values[self.index] = value
        self.projection._write_attribute(name, values)

    def _get_weight(self):
        return self._get("weight")

    def _set_weight(self, w):
        self._set("weight", w)

    def _get_delay(self):
        return self._get("delay")

    def _set_delay(self, d):
        self._set("delay", d)

    weight = property(_get_weight, _set_weight)
    delay = property(_get_delay, _set_delay)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


def _population_and_index(target, indices):
    """The population behind ``target`` (a Population or a view) and the indices in it
    of ``indices`` (indices in ``target``)."""
    indices = np.asarray(indices, dtype=np.int64)
    if isinstance(target, common.PopulationView):
        return target.grandparent, np.asarray(target.index_in_grandparent(indices), np.int64)
    return target, indices


def _partition(target, indices):
    """``indices`` (in ``target``: a Population, view or Assembly) by population: the
    populations, and for each index the number of its population in that list and its
    index in it. An Assembly's cells are its populations' cells in turn."""
    indices = np.asarray(indices, dtype=np.int64)
    if not isinstance(target, common.Assembly):
        population, local = _population_and_index(target, indices)
        return [population], np.zeros(indices.size, np.int64), local
    populations, which, local = [], np.zeros(indices.size, np.int64), np.zeros_like(indices)
    bounds = np.cumsum([0] + [p.size for p in target.populations])
    part = np.searchsorted(bounds, indices, side="right") - 1
    for k, member in enumerate(target.populations):
        sel = np.nonzero(part == k)[0]
        population, idx = _population_and_index(member, indices[sel] - bounds[k])
        if population not in populations:
            populations.append(population)
        which[sel] = populations.index(population)
        local[sel] = idx
    return populations, which, local


class _PartitionedGroups:
    """The synapse groups of a projection from or onto an Assembly: one set of groups
    (what the synapse type makes) per pair of presynaptic and postsynaptic populations,
    ``parts`` as ``(connections, groups)`` (the connections' creation-order indices);
    reads and writes go to the parts."""

    def __init__(self, parts, size):
        self.parts = parts
        self.size = size
        self.nodes = [node for _, groups in parts for node in groups.nodes]

    def dynamic_names(self) -> tuple:
        return self.parts[0][1].dynamic_names() if self.parts else ("weight",)

    def read(self, name) -> np.ndarray:
        out = np.empty(self.size)
        for sel, groups in self.parts:
            out[sel] = groups.read(name)
        return out

    def write(self, name, values) -> None:
        values = np.asarray(values, dtype=float)
        for sel, groups in self.parts:
            groups.write(name, values[sel])


def _join(chunks, sizes, dtype) -> np.ndarray:
    """One array of ``chunks`` (numbers or arrays; chunk ``i`` stands for ``sizes[i]``
    connections): a ``np.repeat`` when all are numbers."""
    if not chunks:
        return np.zeros(0, dtype)
    if not any(isinstance(c, np.ndarray) for c in chunks):
        return np.repeat(np.asarray(chunks, dtype=dtype), sizes)
    return np.concatenate(
        [np.asarray(c, dtype) if isinstance(c, np.ndarray) else np.full(n, c, dtype)
         for c, n in zip(chunks, sizes)]
    )  # fmt: skip


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse  # the synapse type when none is given

    def __init__(
        self,
        presynaptic_population,
        postsynaptic_population,
        connector,
        synapse_type=None,
        source=None,
        receptor_type=None,
        space=None,
        label=None,
    ):
        common.Projection.__init__(
            self,
            presynaptic_population,
            postsynaptic_population,
            connector,
            synapse_type,
            source,
            receptor_type,
            Space() if space is None else space,
            label,
        )
        # what _convergent_connect received, one entry per call (see _collect)
        self._pre_chunks, self._post_chunks, self._size_chunks = [], [], []
        self._attr_chunks: dict[str, list] = {}
        self._groups = None  # brainjit synapse groups, built on first use
        self._arrays = None  # (pre, post, {name: values}) in creation order
        simulator.state.projections.append(self)
        simulator.state.network_changed()
        _connect.connect(self, connector)

    # -- what connectors call ----------------------------------------------------------------
    def _convergent_connect(
        self, presynaptic_indices, postsynaptic_index, location_selector=None, **parameters
    ):
        """Connect the cells ``presynaptic_indices`` to ``postsynaptic_index`` (PyNN's
        connectors call this once per postsynaptic cell)."""
        if location_selector is not None:
            raise NotImplementedError("brainjit.pynn does not support multicompartment models")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        self._connect_arrays(pre, int(postsynaptic_index), parameters)

    def _connect_arrays(self, pre, post, parameters):
        """Append the connections ``pre[k] -> post`` (a number, or an array as long as
        ``pre``) with ``parameters`` (numbers, or arrays as long as ``pre``). Only
        appends to lists: a number stays a number (expanded once, in :meth:`_collect`),
        nothing per synapse in Python."""
        size = pre.size
        if size == 0:
            return
        if self._arrays is not None:
            self._collect()  # the chunks from the current values (set() included)
        self._pre_chunks.append(pre)
        self._post_chunks.append(post)
        self._size_chunks.append(size)
        chunks = self._attr_chunks
        for name, value in parameters.items():
            if not isinstance(value, float):
                value = np.asarray(value, dtype=float)
                if value.ndim == 0:
                    value = float(value)
                elif value.shape != (size,):
                    value = np.broadcast_to(value.ravel(), (size,))
            chunks.setdefault(name, []).append(value)
        self._arrays = None
        if self._groups is not None:
            self._groups = None
            simulator.state.network_changed()

    # -- the arrays, in creation order ---------------------------------------------------------
    def _collect(self):
        """``(pre, post, {name: values})``, one entry per connection in the order of
        creation: the chunks that ``_convergent_connect`` appended, joined once (and
        kept as one chunk each)."""
        if self._arrays is None:
            sizes = np.asarray(self._size_chunks, dtype=np.int64)
            if self._pre_chunks:
                pre = np.concatenate(self._pre_chunks)
            else:
                pre = np.zeros(0, np.int64)
            post = _join(self._post_chunks, sizes, np.int64)
            attrs = {k: _join(v, sizes, float) for k, v in self._attr_chunks.items()}
            self._arrays = (pre, post, attrs)
        pre, post, attrs = self._arrays
        # later chunks append to these (attrs: the current values, set() included)
        self._pre_chunks, self._post_chunks, self._size_chunks = [pre], [post], [pre.size]
        self._attr_chunks = {k: [v] for k, v in attrs.items()}
        return self._arrays

    @property
    def _pre_index(self):
        return self._collect()[0]

    @property
    def _post_index(self):
        return self._collect()[1]

    def __len__(self):
        return int(self._pre_index.size)

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    def _attribute(self, name) -> np.ndarray:
        """The current values of attribute ``name``, one per connection (creation
        order): from the synapse groups' Variables once they exist. Delays as they run:
        rounded to the time grid (as NEST reports them)."""
        attrs = self._collect()[2]
        if name == "delay" and "delay" in attrs:
            dt = simulator.state.dt
            # 3 steps of 0.1 ms: 0.3, not 0.30000000000000004
            return np.round(np.round(attrs["delay"] / dt) * dt, 12)
        if self._groups is not None and name in self._groups.dynamic_names():
            return self._groups.read(name)
        if name not in attrs and len(self) == 0:
            return np.zeros(0)  # a projection without connections
        if name not in attrs:
            raise KeyError(f"{self.synapse_type.__class__.__name__} has no attribute {name!r}")
        return attrs[name]

    def _write_attribute(self, name, values) -> None:
        values = np.asarray(values, dtype=float)
        attrs = self._collect()[2]
        if self._groups is not None:
            for key in self._groups.dynamic_names():  # keep what the run changed
                attrs[key] = self._groups.read(key)
        attrs[name] = values
        if self._groups is not None:
            if name in self._groups.dynamic_names():
                self._groups.write(name, values)
            else:  # a structural change (e.g. delays): build the groups again
                self._groups = None
                simulator.state.network_changed()

    # -- PyNN's get / set -----------------------------------------------------------------------
    def _set_attributes(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        pre, post = self._pre_index, self._post_index
        for name, value in parameter_space.items():
            if name == "dendritic_delay_fraction":
                raise NotImplementedError(
                    "brainjit.pynn: dendritic_delay_fraction is fixed when the STDPMechanism "
                    "is made (1: the whole delay dendritic)"
                )
            if is_listlike(value) and np.ndim(value) == 2:
                values = np.asarray(value, dtype=float)[pre, post]
            else:
                values = np.broadcast_to(np.asarray(value, dtype=float), pre.shape)
            self._write_attribute(name, values)

    def _native_values(self, name):
        values = self._attribute(name)
        ps = ParameterSpace({name: values}, shape=values.shape)
        ps = self.synapse_type.reverse_translate(ps)
        ps.evaluate()
        # one connection: PyNN may give a number
        return np.broadcast_to(np.asarray(ps[name], dtype=float), values.shape)

    def _get_attributes_as_arrays(self, attribute_names, multiple_synapses="sum"):
        aggregate = {
            "sum": (np.add.at, 0.0),
            "min": (np.minimum.at, np.inf),
            "max": (np.maximum.at, -np.inf),
        }
        if multiple_synapses not in aggregate:
            raise NotImplementedError(f"multiple_synapses={multiple_synapses!r}")
        func, fill = aggregate[multiple_synapses]
        pre, post = self._view_indices()
        values = []
        for name in attribute_names:
            arr = np.full((self.pre.size, self.post.size), fill)
            func(arr, (pre, post), self._native_values(name))
            empty = np.ones((self.pre.size, self.post.size), bool)
            empty[pre, post] = False
            arr[empty] = np.nan
            values.append(arr)
        return values

    def _get_attributes_as_list(self, attribute_names):
        pre, post = self._view_indices()
        columns = []
        for name in attribute_names:
            if name == "presynaptic_index":
                columns.append(pre)
            elif name == "postsynaptic_index":
                columns.append(post)
            else:
                columns.append(self._native_values(name))
        if not columns:
            return []
        return [tuple(x) for x in np.array(columns, dtype=object).T.tolist()]

    def _view_indices(self):
        """Presynaptic and postsynaptic indices within ``self.pre`` / ``self.post``."""
        return self._pre_index, self._post_index

    # -- brainjit -------------------------------------------------------------------------------
    def _state_attributes(self) -> tuple:
        """The attributes that a run changes (they live in state Variables of the
        groups: a plastic synapse's ``weight``); ``reset()`` restores them."""
        nodes = self._brainjit_nodes()
        state = {id(var) for node in nodes for var in node.dynamic_variables()}
        return tuple(
            name
            for name in self._groups.dynamic_names()
            if any(id(getattr(node, name, None)) in state for node in nodes)
        )

    def _brainjit_nodes(self) -> list:
        if self._groups is None:
            pre_pops, pre_which, pre = _partition(self.pre, self._pre_index)
            post_pops, post_which, post = _partition(self.post, self._post_index)
            attrs = self._collect()[2]
            with bm.backend(simulator.state.backend):
                if len(pre_pops) == 1 and len(post_pops) == 1:
                    self._groups = self.synapse_type.brainjit_groups(
                        self, pre_pops[0]._model, post_pops[0]._model, pre, post, attrs
                    )
                else:  # an Assembly: one set of groups per pair of populations
                    pair = pre_which * len(post_pops) + post_which
                    parts = []
                    for key in np.unique(pair):
                        sel = np.nonzero(pair == key)[0]
                        i, j = divmod(int(key), len(post_pops))
                        groups = self.synapse_type.brainjit_groups(
                            self, pre_pops[i]._model, post_pops[j]._model, pre[sel], post[sel],
                            {k: np.asarray(v)[sel] for k, v in attrs.items()},
                        )  # fmt: skip
                        parts.append((sel, groups))
                    self._groups = _PartitionedGroups(parts, len(self))
        return self._groups.nodes
