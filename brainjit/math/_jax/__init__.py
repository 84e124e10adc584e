"""The jax backend: JaxArray over jax.Array, compiled by XLA."""

from brainjit.math._jax import ops, random
from brainjit.math._jax.ndarray import JaxArray, TrainVar, Variable
from brainjit.math._numpy.ops import as_module

NAMESPACE = dict(ops.NAMESPACE)
NAMESPACE.update(
    JaxArray=JaxArray,
    Array=JaxArray,
    Variable=Variable,
    TrainVar=TrainVar,
    random=as_module("brainjit.math.random", random.__doc__, random.NAMESPACE),
)
