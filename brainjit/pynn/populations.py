"""``Population``, ``PopulationView`` and ``Assembly`` of ``brainjit.pynn``: PyNN's
common classes, each population backed by one brainjit model (``pop._model``) whose
per-cell parameter Variables ``Population.set`` writes and ``get`` reads."""

from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from brainjit import math as bm
from brainjit.pynn import simulator
from brainjit.pynn.recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator

    @property
    def receptor_types(self):
        """The receptor types common to all the populations, in the first one's order
        (PyNN's common Assembly returns an unordered set: a Projection onto an Assembly
        would take 'excitatory' or 'inhibitory' as default depending on string hashing)."""
        shared = set.intersection(*(set(p.celltype.receptor_types) for p in self.populations))
        return [r for r in self.populations[0].celltype.receptor_types if r in shared]


def _lazy(values, size) -> LazyArray:
    """Initial values as PyNN keeps them: a LazyArray, homogeneous when they are equal
    (``p.initial_values['v'].evaluate(simplify=True)`` is then a number)."""
    values = np.asarray(values, dtype=float)
    if values.size and np.all(values == values.flat[0]):
        return LazyArray(float(values.flat[0]), shape=(size,), dtype=float)
    return LazyArray(values, shape=(size,), dtype=float)


def _evaluate(value, size, mask=None):
    """A lazyarray / number / array as a NumPy array of the cells (``mask``: a subset)."""
    if hasattr(value, "evaluate"):
        value.shape = (size,)
        arr = value.evaluate(simplify=False)
    else:
        arr = np.broadcast_to(np.asarray(value, dtype=float), (size,))
    arr = np.asarray(arr, dtype=float)
    return arr if mask is None else arr[mask]


class _Native:
    """What populations and views share: native parameters read from and written to the
    model's Variables, for all cells or those of ``self._index``."""

    def _model_and_index(self):
        raise NotImplementedError

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            native = self._get_native_parameters(*native_names)
            return self.celltype.reverse_translate(native)
        return self._get_native_parameters(*names)

    def _host_values(self) -> dict:
        """``{native name: float64 array}``: the numeric parameters as they were set. The
        model holds them in its own float type (float32 on jax); ``get`` returns these
        (``tau_m=0.987`` reads back 0.987, not 0.9869999885559082) while the model
        still holds the same values rounded."""
        pop = self.grandparent if isinstance(self, common.PopulationView) else self
        return pop.__dict__.setdefault("_host", {})

    def _get_native_parameters(self, *names):
        model, index = self._model_and_index()
        host = self._host_values()
        values = {}
        with bm.backend(simulator.state.backend):
            for name in names:
                current = np.asarray(model.get_native(name))
                kept = host.get(name)
                # the kept values, unless the model holds others (in float32 terms)
                if kept is not None and np.array_equal(
                    kept.astype(np.float32), current.astype(np.float32)
                ):  # fmt: skip
                    current = kept
                values[name] = simplify(current[index])
        return ParameterSpace(values, shape=(index.size,))

    def _set_parameters(self, parameter_space):
        model, index = self._model_and_index()
        # with a mask (every cell is local), PyNN turns a value of a wrong type into
        # InvalidParameterValueError
        parameter_space.evaluate(mask=self._mask_local, simplify=False)
        host = self._host_values()
        with bm.backend(simulator.state.backend):
            for name, value in parameter_space.items():
                model.set_native(name, index, value)
                if name in host:
                    try:
                        host[name][index] = np.asarray(value, dtype=float)
                    except (TypeError, ValueError):
                        del host[name]

    def initialize(self, **initial_values):
        """Set the initial values of state variables (PyNN's ``initialize``): written into
        the model now, and kept (evaluated once: a random distribution is drawn once) as
        the values ``reset()`` restores."""
        for variable, value in initial_values.items():
            values = _evaluate(LazyArray(value, shape=(self.size,), dtype=float), self.size)
            self._set_initial_value_array(variable, values)
            self._keep_initial_value(variable, values)

    def _set_initial_value_array(self, variable, value):
        model, index = self._model_and_index()
        translations = getattr(self.celltype, "state_variable_translations", None)
        native = variable
        if translations and variable in translations:
            native = translations[variable]["translated_name"]
        full = _evaluate(value, self.size)
        if not hasattr(model, native):
            raise errors.NonExistentParameterError(
                variable, self.celltype.__class__.__name__, list(self.celltype.recordable)
            )
        with bm.backend(simulator.state.backend):
            var = getattr(model, native)
            arr = np.array(var.value, copy=True)
            arr[index] = full
            var.value = bm.asarray(arr, dtype=arr.dtype)


class PopulationView(_Native, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _model_and_index(self):
        return self.grandparent._model, np.asarray(self.index_in_grandparent(np.arange(self.size)))

    def _keep_initial_value(self, variable, values):
        """The population's initial values (what reset() restores) take ``values`` for
        this view's cells."""
        parent = self.grandparent
        _, index = self._model_and_index()
        if variable in parent.initial_values:
            full = np.array(_evaluate(parent.initial_values[variable], parent.size))
        else:
            full = np.zeros(parent.size)
        full[index] = values
        parent.initial_values[variable] = _lazy(full, parent.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_Native, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _model_and_index(self):
        return self._model, np.arange(self.size)

    def _keep_initial_value(self, variable, values):
        self.initial_values[variable] = _lazy(values, self.size)

    def _create_cells(self):
        id_range = np.arange(simulator.state.id_counter, simulator.state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in id_range], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        if isinstance(self.celltype, StandardCellType):
            parameter_space = self.celltype.native_parameters
        else:
            parameter_space = self.celltype.parameter_space
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        with bm.backend(simulator.state.backend):
            self._model = self.celltype.brainjit_model(
                self.size, dict(parameter_space.items()), simulator.state.dt
            )
        host = self._host_values()
        for name, value in parameter_space.items():
            try:
                host[name] = np.array(np.broadcast_to(np.asarray(value, float), (self.size,)))
            except (TypeError, ValueError):  # not numbers (spike_times: Sequences)
                pass
        for cell in self.all_cells:
            cell.parent = self
        simulator.state.id_counter += self.size
        simulator.state.populations.append(self)
        simulator.state.network_changed()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)
