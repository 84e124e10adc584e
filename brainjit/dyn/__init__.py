"""``bp.dyn``: dynamical systems — neuron groups, synapses, spike sources, networks.

>>> E = bp.dyn.LIF(3200, V_rest=-60., V_reset=-60., V_th=-50., tau=20., t_ref=5.)
>>> E2E = bp.dyn.Exponential(E, E, bp.conn.FixedProb(0.02), weight=0.6, tau=5.,
...                          output='coba', E=0.)
>>> net = bp.dyn.Network(E2E, E=E)
>>> net.update(0.0, 0.1)            # one step; bp.Runner runs many, compiled

See ``docs/models.md`` for writing your own models.
"""

from brainjit.dyn.base import (
    DynamicalSystem,
    Network,
    NeuGroup,
    TwoEndConn,
    check_finite,
    check_nonnegative,
    check_positive,
)
from brainjit.dyn.neurons import HH, LIF, AdEx, ExpIF, Izhikevich, TraubHH
from brainjit.dyn.nmda import NMDA
from brainjit.dyn.plasticity import STDP, PlasticSynapse, TripletSTDP
from brainjit.dyn.sources import PoissonGroup, SpikeTimeGroup
from brainjit.dyn.stp import STP
from brainjit.dyn.synapses import (
    AMPA,
    Alpha,
    Delay,
    Delta,
    DualExponential,
    Exponential,
    GABAa,
    Synapse,
)

__all__ = [
    "DynamicalSystem",
    "NeuGroup",
    "TwoEndConn",
    "Network",
    "check_finite",
    "check_positive",
    "check_nonnegative",
    "LIF",
    "ExpIF",
    "AdEx",
    "Izhikevich",
    "HH",
    "TraubHH",
    "PoissonGroup",
    "SpikeTimeGroup",
    "Delay",
    "Synapse",
    "Delta",
    "Exponential",
    "DualExponential",
    "Alpha",
    "AMPA",
    "GABAa",
    "PlasticSynapse",
    "STDP",
    "TripletSTDP",
    "NMDA",
    "STP",
]
