"""PyNN on brainjit: ``import brainjit.pynn as sim`` runs a PyNN script on brainjit.

Built on PyNN's own ``common`` classes (install the extra: ``pip install
brainjit[pynn]``), the way ``pyNN.nest`` and ``pyNN.brian2`` are. ``sim.setup(timestep=0.1,
backend='numpy' | 'jax')`` picks brainjit's backend; each ``sim.run`` is one compiled
loop of ``bp.Runner`` over the whole network, built once and reused by later runs.
See ``docs/pynn.md``.
"""

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from brainjit.pynn.control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from brainjit.pynn.populations import Assembly, Population, PopulationView  # noqa: F401
from brainjit.pynn.procedural_api import (  # noqa: F401
    connect,
    create,
    record,
    record_gsyn,
    record_v,
)
from brainjit.pynn.projections import Projection  # noqa: F401
from brainjit.pynn.standardmodels.cells import *  # noqa: F403
from brainjit.pynn.standardmodels.electrodes import *  # noqa: F403
from brainjit.pynn.standardmodels.synapses import *  # noqa: F403


def list_standard_models():
    """The names of the standard cell types ``brainjit.pynn`` runs."""
    return [
        obj.__name__
        for obj in globals().values()
        if isinstance(obj, type)
        and issubclass(obj, StandardCellType)
        and obj is not StandardCellType
        and obj.__name__[0] != "_"
    ]
