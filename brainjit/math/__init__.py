"""``bp.math``: the array world of brainjit, on the active backend.

Every public name of NumPy's main namespace that ``jax.numpy`` also provides is
available here (``bp.math.zeros``, ``bp.math.sum``, ``bp.math.pi`` ...), together with
``bp.math.linalg``, ``bp.math.fft``, ``bp.math.random``, the array types
(``ndarray``; ``JaxArray`` under jax), ``Variable``/``TrainVar`` and ``jit``. Which
implementation a name resolves to depends on the active backend::

    bp.math.use_backend('jax')      # or 'numpy', the default
                                    # ($BRAINJIT_BACKEND at import: numpy if unset)
    with bp.math.backend('jax'):    # temporarily
        ...

See ``docs/api_comparison.md`` for the table of names on each backend.
"""

from brainjit.math import _backend
from brainjit.math._backend import backend, get_backend_name, use_backend
from brainjit.math._config import dftype, disable_x64, enable_x64, set_dfloat, x64_enabled
from brainjit.math._variable import is_trainvar, is_variable

__all__ = [
    "backend",
    "dftype",
    "disable_x64",
    "enable_x64",
    "get_backend_name",
    "is_trainvar",
    "is_variable",
    "set_dfloat",
    "use_backend",
    "x64_enabled",
]  # plus the active backend's namespace, installed by use_backend()

_backend.use_backend_from_environment()  # $BRAINJIT_BACKEND, else 'numpy'
