"""PyNN's current sources for ``brainjit.pynn``: each injected population gets one
brainjit node that writes the source's current into the cells' ``i_inj`` every step."""

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, electrodes

from brainjit import math as bm
from brainjit.pynn import _models, simulator
from brainjit.pynn.standardmodels import identity_translations

__all__ = ["DCSource"]


class _CurrentSource(StandardCurrentSource):
    """What the current sources share: native parameters kept in a dict, the cells
    injected into, one brainjit node per target population."""

    def __init__(self, **parameters):
        super().__init__(**parameters)
        self._native = {}
        self._targets = []  # (population, indices)
        self._nodes = None
        parameter_space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        parameter_space.update(**parameters)
        self.set_native_parameters(self.translate(parameter_space))
        simulator.state.current_sources.append(self)

    def get_native_parameters(self):
        return ParameterSpace(dict(self._native))

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        for name, value in parameters.items():
            if isinstance(value, Sequence):
                value = value.value
            self._native[name] = value
        if self._nodes is not None:
            with bm.backend(simulator.state.backend):
                for node in self._nodes:
                    node.set_parameters(self._native)

    def inject_into(self, cells):
        by_population = {}
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            by_population.setdefault(id(cell.parent), (cell.parent, []))[1].append(
                cell.parent.id_to_index(cell)
            )
        for population, index in by_population.values():
            self._targets.append((population, np.asarray(index, dtype=np.int64)))
        self._nodes = None
        simulator.state.network_changed()

    def _brainjit_nodes(self):
        if self._nodes is None:
            with bm.backend(simulator.state.backend):
                self._nodes = [
                    self.brainjit_model(pop._model, index, self._native)
                    for pop, index in self._targets
                ]
        return self._nodes


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = identity_translations(electrodes.DCSource)
    brainjit_model = _models.DCInjection
