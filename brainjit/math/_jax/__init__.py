"""The jax backend: JaxArray over jax.Array, compiled by XLA."""

from brainjit.math._clear import clear_cache
from brainjit.math._elementwise import elementwise
from brainjit.math._jax import (
    _jax_fixes,  # noqa: F401  (an aborted trace frees its constants)
    ops,
    random,
    surrogate,
)
from brainjit.math._jax.activations import FUNCTIONS as _ACTIVATIONS
from brainjit.math._jax.autodiff import (
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    value_and_grad,
    vector_grad,
)
from brainjit.math._jax.control_flow import (
    cond,
    for_loop,
    ifelse,
    make_cond,
    make_loop,
    make_while,
    while_loop,
)
from brainjit.math._jax.event import event_matvec
from brainjit.math._jax.event_select import (
    event_csr_gather,
    event_csr_scatter,
    event_csr_select,
)
from brainjit.math._jax.jit import jit
from brainjit.math._jax.ndarray import JaxArray, Parameter, TrainVar, Variable
from brainjit.math._jax.vmap import pmap, vmap
from brainjit.math._numpy.ops import as_module

NAMESPACE = dict(ops.NAMESPACE)
NAMESPACE.update(
    JaxArray=JaxArray,
    Array=JaxArray,
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
    random=as_module("brainjit.math.random", random.__doc__, random.NAMESPACE),
    jit=jit,
    clear_cache=clear_cache,
    grad=grad,
    value_and_grad=value_and_grad,
    vector_grad=vector_grad,
    jacobian=jacobian,
    jacrev=jacrev,
    jacfwd=jacfwd,
    hessian=hessian,
    vmap=vmap,
    pmap=pmap,
    event_matvec=event_matvec,
    event_csr_select=event_csr_select,
    event_csr_gather=event_csr_gather,
    event_csr_scatter=event_csr_scatter,
    elementwise=elementwise,
)
# the activations: bp.math.activations.NAME, and bp.math.NAME (as in BrainPy) except
# tanh, which stays NumPy's (the same function)
NAMESPACE["activations"] = as_module(
    "brainjit.math.activations", "Activation functions (BrainPy's bm.activations).", _ACTIVATIONS
)
NAMESPACE.update({k: v for k, v in _ACTIVATIONS.items() if k not in NAMESPACE})

# segment reductions, pre/syn/post and sparse products (BrainPy 2.x's names)
from brainjit.math._jax import pre2post as _pre2post  # noqa: E402
from brainjit.math._jax import segment as _segment  # noqa: E402
from brainjit.math._jax import sparse as _sparse  # noqa: E402

NAMESPACE.update({k: getattr(_segment, k) for k in _segment.__all__})
NAMESPACE.update({k: getattr(_sparse, k) for k in _sparse.__all__})
NAMESPACE.update({k: getattr(_pre2post, k) for k in _pre2post.__all__})

# spike functions with surrogate gradients: bp.math.surrogate.NAME (BrainPy's bm.surrogate)
NAMESPACE["surrogate"] = as_module(
    "brainjit.math.surrogate", surrogate._surrogate.__doc__, surrogate.NAMESPACE
)
