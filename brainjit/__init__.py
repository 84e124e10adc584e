"""brainjit: brain dynamics programming, compiled just in time on NumPy/Numba or JAX.

>>> import brainjit as bp
>>> bp.math.use_backend('numpy')     # the default; or 'jax'
>>> v = bp.math.Variable(bp.math.zeros(3))
"""

from brainjit import math
from brainjit._version import __version__
from brainjit.base import Base

__all__ = ["__version__", "math", "Base"]

from brainjit.integrators import JointEq, odeint, sdeint  # noqa: E402

__all__ += ["JointEq", "odeint", "sdeint"]

from brainjit import conn  # noqa: E402

__all__ += ["conn"]

from brainjit import dyn, inputs  # noqa: E402
from brainjit.dyn import DynamicalSystem, Network, NeuGroup  # noqa: E402

__all__ += ["dyn", "inputs", "DynamicalSystem", "Network", "NeuGroup"]

from brainjit import running, visualize  # noqa: E402
from brainjit.running import Runner  # noqa: E402

__all__ += ["running", "visualize", "Runner"]

from brainjit import checkpoint  # noqa: E402
from brainjit.checkpoint import load_state, save_state  # noqa: E402

__all__ += ["checkpoint", "save_state", "load_state"]

from brainjit import training  # noqa: E402

__all__ += ["training"]
