"""Optimisers for a model's TrainVars: optax's, with their state held in Variables.

``bp.training.Optax(optax.adam(1e-3), model.train_vars())`` wraps any optax
``GradientTransformation``. Its state (Adam's moments, the step count, a schedule's
counter) lives in ``bp.math.Variable``\\ s, so ``opt.update(grads)`` reads and writes
state like any model code: inside ``bp.math.jit`` the compiled train step threads the
optimiser's state with the model's, and the whole step (loss, gradients, update)
compiles once. We use optax, the standard JAX optimiser library, rather than writing
our own optimisers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import brainjit.math as bm
from brainjit.base import Base
from brainjit.training._backend import require_jax

__all__ = ["Optax"]


def _is_var(x) -> bool:
    return bm.is_variable(x)


def _plain(x):
    """A gradient leaf as a jax array (JaxArray unwrapped)."""
    value = getattr(x, "value", x)
    return jnp.asarray(value)


class Optax(Base):
    """An optax optimiser applied to Variables, its state held in Variables (jax).

    Args:
        tx: an optax ``GradientTransformation`` (``optax.adam(1e-3)``,
            ``optax.chain(optax.clip_by_global_norm(1.), optax.sgd(0.1))``, ...).
        train_vars: the Variables to optimise: ``model.train_vars()`` (a dict), a list
            or tuple of Variables, or one Variable. Usually TrainVars, but any
            floating-point Variable can be optimised.
        name: a unique name (default ``Optax0``, ``Optax1``, ...).

    ``update(grads)`` takes the gradients in the same structure as ``train_vars`` --
    the layout ``bp.math.grad(loss, grad_vars=train_vars)`` returns -- and applies one
    step of ``tx`` to the Variables in place. The optimiser's state is
    ``opt.states`` (a list of Variables, the leaves of ``tx.init``'s pytree), so
    ``bp.math.jit`` carries it like the model's state, ``opt.vars()`` lists it and
    ``bp.save_state(opt, ...)`` checkpoints it. ``opt.state`` is the optax state as
    optax builds it (a pytree of jax arrays), for inspection.

    >>> opt = bp.training.Optax(optax.adam(1e-2), model.train_vars())
    >>> grad_fn = bp.math.grad(loss, grad_vars=model.train_vars(), return_value=True)
    >>> @bp.math.jit
    ... def train_step(x, y):
    ...     grads, value = grad_fn(x, y)
    ...     opt.update(grads)
    ...     return value

    Raises:
        NotImplementedError: on the numpy backend (gradient training needs jax).
        TypeError: a target is not a Variable, or not floating point.
        ValueError: a Variable is listed twice; ``update`` got gradients of another
            structure or shape than the Variables.
    """

    def __init__(self, tx, train_vars, name: str | None = None):
        require_jax("bp.training.Optax")
        super().__init__(name=name)
        if not (hasattr(tx, "init") and hasattr(tx, "update")):
            raise TypeError(
                f"{self.name}: tx must be an optax GradientTransformation (such as "
                f"optax.adam(1e-3)), got {type(tx).__name__}"
            )
        if hasattr(train_vars, "items") and not isinstance(train_vars, dict):
            train_vars = dict(train_vars.items())
        leaves, treedef = jax.tree_util.tree_flatten(train_vars, is_leaf=_is_var)
        if not leaves:
            raise ValueError(
                f"{self.name}: no Variables to optimise (train_vars is empty: does the "
                "model hold bp.math.TrainVar parameters?)"
            )
        seen = set()
        for path, leaf in zip(_paths_of(treedef), leaves):
            if not bm.is_variable(leaf):
                raise TypeError(
                    f"{self.name}: train_vars{path} is a {type(leaf).__name__}, not a "
                    "bp.math.Variable; pass model.train_vars(), or a list of Variables"
                )
            if not jnp.issubdtype(leaf.dtype, jnp.inexact):
                raise TypeError(
                    f"{self.name}: train_vars{path} has dtype {leaf.dtype}; only "
                    "floating-point Variables can be optimised"
                )
            if id(leaf) in seen:
                raise ValueError(
                    f"{self.name}: train_vars{path} lists a Variable a second time; each "
                    "Variable must appear once (it would be updated twice per step)"
                )
            seen.add(id(leaf))
        self.tx = tx
        # the model's Variables, held out of this object's vars() (a checkpoint of the
        # optimiser holds its own state only)
        self._held = _Held(tuple(leaves))
        self._treedef = treedef
        state = tx.init(self._params())
        state_leaves, self._state_def = jax.tree_util.tree_flatten(state)
        self.states = [bm.Variable(jnp.asarray(leaf)) for leaf in state_leaves]

    def _params(self):
        return jax.tree_util.tree_unflatten(self._treedef, [v.value for v in self._held.targets])

    @property
    def state(self):
        """The optax state (the pytree ``tx.init`` made), from the current Variables."""
        return jax.tree_util.tree_unflatten(self._state_def, [s.value for s in self.states])

    def update(self, grads) -> None:
        """One optimiser step: ``tx.update`` of ``grads`` (the structure of
        ``train_vars``), applied to the Variables in place (``optax.apply_updates``).
        Works inside and outside ``bp.math.jit``."""
        if hasattr(grads, "items") and not isinstance(grads, dict):
            grads = dict(grads.items())
        leaves, treedef = jax.tree_util.tree_flatten(
            grads, is_leaf=lambda x: isinstance(x, bm.ndarray)
        )
        if treedef != self._treedef:
            raise ValueError(
                f"{self.name}.update: the gradients have the structure {treedef}, but the "
                f"optimised Variables have {self._treedef}. Pass the gradients that "
                "bp.math.grad(..., grad_vars=<the same train_vars>) returns."
            )
        grads = []
        for path, leaf, var in zip(_paths_of(self._treedef), leaves, self._held.targets):
            g = _plain(leaf)
            if g.shape != var.shape:
                raise ValueError(
                    f"{self.name}.update: the gradient at {path} has shape {g.shape}, its "
                    f"Variable {var.shape}"
                )
            grads.append(g.astype(var.dtype))
        import optax  # imported by the caller's tx already

        params = self._params()
        grads = jax.tree_util.tree_unflatten(self._treedef, grads)
        updates, new_state = self.tx.update(grads, self.state, params)
        new_params = optax.apply_updates(params, updates)
        for var, value in zip(self._held.targets, jax.tree_util.tree_leaves(new_params)):
            var.value = value.astype(var.dtype)
        new_leaves = jax.tree_util.tree_leaves(new_state)
        if len(new_leaves) != len(self.states):
            raise ValueError(
                f"{self.name}.update: {type(self.tx).__name__} changed the structure of its "
                "state between steps; this optimiser cannot keep its state in Variables"
            )
        for var, value in zip(self.states, new_leaves):
            var.value = jnp.asarray(value).astype(var.dtype)

    def __repr__(self) -> str:
        return f"<{self.name}: optax optimiser of {len(self._held.targets)} Variable(s)>"


def _paths_of(treedef) -> list[str]:
    """How an error names each leaf: ``['W']``, ``[0]``, ``''``."""
    dummy = jax.tree_util.tree_unflatten(treedef, list(range(treedef.num_leaves)))
    flat, _ = jax.tree_util.tree_flatten_with_path(dummy)
    out = []
    for keys, _leaf in flat:
        out.append("".join(str(k) for k in keys) or "")
    return out


class _Held:
    """A reference that ``Base.vars()`` does not walk into."""

    __slots__ = ("targets",)

    def __init__(self, targets: tuple) -> None:
        self.targets = targets
