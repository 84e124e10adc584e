"""The numpy backend: NumPy arrays, compiled by Numba."""

from brainjit.math import _numba  # noqa: F401  (its fix to Numba applies on import)
from brainjit.math._clear import clear_cache
from brainjit.math._elementwise import elementwise
from brainjit.math._numpy import ops, random, surrogate
from brainjit.math._numpy.activations import FUNCTIONS as _ACTIVATIONS
from brainjit.math._numpy.autodiff import FUNCTIONS as _JAX_ONLY
from brainjit.math._numpy.control_flow import (
    cond,
    for_loop,
    ifelse,
    make_cond,
    make_loop,
    make_while,
    while_loop,
)
from brainjit.math._numpy.event import event_matvec
from brainjit.math._numpy.event_select import (
    event_csr_gather,
    event_csr_scatter,
    event_csr_select,
)
from brainjit.math._numpy.jit import jit
from brainjit.math._numpy.ndarray import Parameter, TrainVar, Variable, ndarray
from brainjit.math._numpy.ops import as_module

NAMESPACE = dict(ops.NAMESPACE)
NAMESPACE.update(
    ndarray=ndarray,
    Array=ndarray,
    Variable=Variable,
    TrainVar=TrainVar,
    Parameter=Parameter,
    for_loop=for_loop,
    while_loop=while_loop,
    cond=cond,
    ifelse=ifelse,
    make_loop=make_loop,
    make_while=make_while,
    make_cond=make_cond,
    jit=jit,
    clear_cache=clear_cache,
    event_matvec=event_matvec,
    event_csr_select=event_csr_select,
    event_csr_gather=event_csr_gather,
    event_csr_scatter=event_csr_scatter,
    elementwise=elementwise,
    random=as_module("brainjit.math.random", random.__doc__, random.NAMESPACE),
)
NAMESPACE.update(_JAX_ONLY)  # grad, vmap & co: raise, pointing to the jax backend
# the activations: bp.math.activations.NAME, and bp.math.NAME (as in BrainPy) except
# tanh, which stays NumPy's (the same function)
NAMESPACE["activations"] = as_module(
    "brainjit.math.activations", "Activation functions (BrainPy's bm.activations).", _ACTIVATIONS
)
NAMESPACE.update({k: v for k, v in _ACTIVATIONS.items() if k not in NAMESPACE})

# segment reductions, pre/syn/post and sparse products (BrainPy 2.x's names)
from brainjit.math._numpy import pre2post as _pre2post  # noqa: E402
from brainjit.math._numpy import segment as _segment  # noqa: E402
from brainjit.math._numpy import sparse as _sparse  # noqa: E402

NAMESPACE.update({k: getattr(_segment, k) for k in _segment.__all__})
NAMESPACE.update({k: getattr(_sparse, k) for k in _sparse.__all__})
NAMESPACE.update({k: getattr(_pre2post, k) for k in _pre2post.__all__})

# spike functions with surrogate gradients: bp.math.surrogate.NAME (BrainPy's bm.surrogate)
NAMESPACE["surrogate"] = as_module(
    "brainjit.math.surrogate", surrogate._surrogate.__doc__, surrogate.NAMESPACE
)
