"""The jax backend: JaxArray over jax.Array, compiled by XLA."""

from brainjit.math._clear import clear_cache
from brainjit.math._elementwise import elementwise
from brainjit.math._jax import (
    _jax_fixes,  # noqa: F401  (an aborted trace frees its constants)
    ops,
    random,
)
from brainjit.math._jax.autodiff import grad, value_and_grad, vector_grad
from brainjit.math._jax.control_flow import cond, for_loop, ifelse, while_loop
from brainjit.math._jax.event import event_matvec
from brainjit.math._jax.jit import jit
from brainjit.math._jax.ndarray import JaxArray, TrainVar, Variable
from brainjit.math._numpy.ops import as_module

NAMESPACE = dict(ops.NAMESPACE)
NAMESPACE.update(
    JaxArray=JaxArray,
    Array=JaxArray,
    Variable=Variable,
    TrainVar=TrainVar,
    for_loop=for_loop,
    while_loop=while_loop,
    cond=cond,
    ifelse=ifelse,
    random=as_module("brainjit.math.random", random.__doc__, random.NAMESPACE),
    jit=jit,
    clear_cache=clear_cache,
    grad=grad,
    value_and_grad=value_and_grad,
    vector_grad=vector_grad,
    event_matvec=event_matvec,
    elementwise=elementwise,
)
