"""PyNN's procedural API (``create``, ``connect``, ``record``) for ``brainjit.pynn``."""

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector

from brainjit.pynn import simulator
from brainjit.pynn.populations import Population
from brainjit.pynn.projections import Projection
from brainjit.pynn.standardmodels.synapses import StaticSynapse

create = common.build_create(Population)

connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)

record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
