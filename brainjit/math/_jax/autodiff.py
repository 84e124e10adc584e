"""Automatic differentiation over functions and objects with Variables (jax backend).

``grad``, ``value_and_grad``, ``vector_grad``, ``jacrev`` (= ``jacobian``), ``jacfwd``
and ``hessian``: ``grad(f, grad_vars=obj.train_vars())`` differentiates ``f`` with
respect to Variables
(a Variable, a list/tuple or a dict of them: the gradients come back in the same
structure) and/or positional arguments (``argnums``). Inside, the values of the
Variables to differentiate are swapped for JAX's tracers while ``f`` runs under
:func:`jax.value_and_grad` (:func:`jax.vjp` for :func:`vector_grad`, :func:`jax.jacrev`,
:func:`jax.jacfwd`, :func:`jax.hessian` for the others); every other
Variable is read as it is, and whatever ``f`` writes into Variables (a counter, the
random key, a running mean) is carried out as an auxiliary output and stored after the
call, so updates persist. The transforms compose with ``bp.math.jit`` in both orders.

``dyn_vars=`` (BrainPy's spelling) is accepted and checked
(:func:`brainjit.math._spellings.check_dyn_vars`): the trace finds the Variables a
function uses by itself.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from brainjit.math._jax import _trace, autograph
from brainjit.math._jax.jit import (
    JitStateError,
    _control_flow_error,
    _input_leaf,
    _is_array,
    _output_leaf,
    _state_value,
    describe,
)
from brainjit.math._jax.ndarray import JaxArray, Variable
from brainjit.math._spellings import check_dyn_vars

__all__ = [
    "grad",
    "value_and_grad",
    "vector_grad",
    "jacobian",
    "jacrev",
    "jacfwd",
    "hessian",
    "GradFunction",
]

_JACOBIANS = ("jacrev", "jacfwd", "hessian")  # modes whose output may be any array


def _is_variable(x) -> bool:
    return isinstance(x, Variable)


def _grad_leaf(x):
    """A gradient as a JaxArray; the float0 "gradient" of an integer input (``allow_int``)
    as JAX gives it."""
    if getattr(x, "dtype", None) == jax.dtypes.float0:
        return x
    return _output_leaf(x)


class GradFunction:
    """A function that returns gradients (made by :func:`grad`, :func:`value_and_grad`,
    :func:`vector_grad`); see those for what it returns."""

    def __init__(
        self,
        func,
        grad_vars,
        argnums,
        has_aux,
        return_value,
        mode,
        dyn_vars=None,
        holomorphic=False,
        allow_int=False,
    ) -> None:
        check_dyn_vars(dyn_vars, f"bp.math.{mode}")
        self._holomorphic = bool(holomorphic)
        self._allow_int = bool(allow_int)
        if not callable(func):
            raise TypeError(
                f"bp.math.{mode}() expects a function, a bound method or a callable object, "
                f"got {type(func).__name__}"
            )
        self._func = func
        self._mode = mode
        self._has_aux = bool(has_aux)
        self._return_value = bool(return_value)
        self._name = getattr(func, "__qualname__", None) or type(func).__name__
        if grad_vars is None:
            leaves, self._tree = [], None
        else:
            leaves, self._tree = jax.tree_util.tree_flatten(grad_vars, is_leaf=_is_variable)
            for leaf in leaves:
                if not isinstance(leaf, Variable):
                    raise TypeError(
                        f"bp.math.{mode}(grad_vars=...) takes Variables (a Variable, or a "
                        f"list, tuple or dict of them); found a {type(leaf).__name__}."
                    )
        # a Variable listed twice is differentiated once
        self._vars: list = []
        self._index: list[int] = []
        position: dict[int, int] = {}
        for leaf in leaves:
            if id(leaf) not in position:
                position[id(leaf)] = len(self._vars)
                self._vars.append(leaf)
            self._index.append(position[id(leaf)])
        if argnums is None and grad_vars is None:
            argnums = 0
        self._argnums = argnums
        if argnums is None:
            self._argnums_tuple = ()
        elif isinstance(argnums, int):
            self._argnums_tuple = (argnums,)
        else:
            self._argnums_tuple = tuple(argnums)
        for a in self._argnums_tuple:
            if not isinstance(a, int) or a < 0:
                raise ValueError(f"bp.math.{mode}: argnums must be non-negative ints, got {a!r}")
        functools.update_wrapper(self, func, updated=())

    def __call__(self, *args, **kwargs):
        with _trace.LOCK:  # the trace puts tracers into Variables: not for other threads
            return self._call(*args, **kwargs)

    def _call(self, *args, **kwargs):
        mode, name = self._mode, self._name
        argnums = self._argnums_tuple
        if argnums and max(argnums) >= len(args):
            raise TypeError(
                f"bp.math.{mode}({name}): argnums={self._argnums} but the call has only "
                f"{len(args)} positional argument(s)."
            )
        uvars = self._vars
        values = [var.value for var in uvars]  # reads, seen by an enclosing jit
        diff = tuple(args[i] for i in argnums)
        diff = tuple(a.value if type(a) is JaxArray else a for a in diff)
        written: list = []

        def pure(var_values, diff_args):
            trace = _trace.StateTrace()
            for var in uvars:
                trace.adopt(var)
            _trace.push(trace)
            try:
                for var, value in zip(uvars, var_values):
                    var._value = value
                full = list(args)
                for i, a in zip(argnums, diff_args):
                    full[i] = a
                full = jax.tree_util.tree_map(_input_leaf, full, is_leaf=_is_array)
                kw = jax.tree_util.tree_map(_input_leaf, kwargs, is_leaf=_is_array)
                # Variables among the differentiated arguments are jax's copies: not state
                # (the other arguments are the caller's objects, Variables as usual)
                for leaf in jax.tree_util.tree_leaves(diff_args, is_leaf=_is_array):
                    if isinstance(leaf, Variable):
                        _trace.mark_local(leaf)
                try:
                    # native if/for/while on traced values work as under jit
                    out = autograph.convert_callable(self._func)(*full, **kw)
                except (
                    jax.errors.ConcretizationTypeError,
                    jax.errors.TracerIntegerConversionError,
                ) as err:
                    raise _control_flow_error(err, f"bp.math.{mode}({name})", []) from None
                del full, kw
                aux = None
                if self._has_aux:
                    if not (isinstance(out, (tuple, list)) and len(out) == 2):
                        raise TypeError(
                            f"bp.math.{mode}({name}, has_aux=True): the function must return "
                            f"a pair (output, aux); it returned a {type(out).__name__}."
                        )
                    out, aux = out
                    aux = jax.tree_util.tree_map(_output_leaf, aux, is_leaf=_is_array)
                out = jax.tree_util.tree_map(
                    lambda x: x.value if isinstance(x, JaxArray) else x, out, is_leaf=_is_array
                )
                if mode in ("grad", "value_and_grad"):
                    shape = getattr(out, "shape", None)
                    if not isinstance(out, (jax.Array, float, int)) or shape not in (None, ()):
                        what = (
                            f"an array of shape {tuple(shape)}"
                            if shape is not None
                            else (f"a {type(out).__name__}")
                        )
                        raise TypeError(
                            f"bp.math.{mode}({name}): the function returned {what}; {mode} "
                            "differentiates a scalar output (shape ()). For the gradient of "
                            "the sum of a non-scalar output (the vector-Jacobian product with "
                            "ones) use bp.math.vector_grad, or reduce the output first "
                            "(.sum(), .mean())."
                        )
                escaped = trace.escaped()
                if escaped:
                    with jax.ensure_compile_time_eval():
                        for var in escaped:
                            var._value = jnp.zeros(var._value.shape, var._value.dtype)
                    raise JitStateError(
                        f"bp.math.{mode}({name}): "
                        + ", ".join(map(describe, escaped))
                        + " was created inside the differentiated function and is still "
                        "referenced after it; create Variables outside (e.g. in __init__)."
                        " (Its value was reset to zeros.)"
                    )
                written[:] = trace.written.values()
                new_values = [_state_value(var) for var in written]
            finally:
                _trace.pop(trace)
                arrays = trace.restore_arrays()  # JaxArrays that are not Variables
                trace.restore()
            if arrays:  # their new values would be traced: refused, as in control flow
                raise _trace.array_write_error(f"bp.math.{mode}({name})", arrays)
            return out, (aux, new_values)

        if mode == "vector_grad":
            value, vjp, (aux, new_values) = jax.vjp(pure, values, diff, has_aux=True)
            var_grads, arg_grads = vjp(jax.tree_util.tree_map(jnp.ones_like, value))
            grads = self._assemble(var_grads, arg_grads)
        elif mode in _JACOBIANS:
            grads, (value, aux, new_values) = self._jacobian(pure, values, diff)
        else:
            (value, (aux, new_values)), (var_grads, arg_grads) = jax.value_and_grad(
                pure,
                argnums=(0, 1),
                has_aux=True,
                holomorphic=self._holomorphic,
                allow_int=self._allow_int,
            )(values, diff)
            grads = self._assemble(var_grads, arg_grads)
        for var, new in zip(written, new_values):
            var.value = new  # the function's writes persist (seen by an enclosing jit)
        value = jax.tree_util.tree_map(_output_leaf, value)
        if mode == "value_and_grad":
            return ((value, aux), grads) if self._has_aux else (value, grads)
        if self._return_value and self._has_aux:
            return grads, value, aux
        if self._return_value:
            return grads, value
        if self._has_aux:
            return grads, aux
        return grads

    def _jacobian(self, pure, values, diff):
        """The Jacobian (or Hessian) of ``pure`` at ``(values, diff)``, in the layout of
        :meth:`_assemble`, and ``(value, aux, new_values)``."""

        def joint(x):  # one input (the Variables' values, the arguments): as jax.jacrev
            out, (aux, new_values) = pure(*x)
            return out, (out, aux, new_values)

        x = (values, diff)
        holo = self._holomorphic
        if self._mode == "jacrev":
            jac, extra = jax.jacrev(
                joint, has_aux=True, holomorphic=holo, allow_int=self._allow_int
            )(x)
        elif self._mode == "jacfwd":
            jac, extra = jax.jacfwd(joint, has_aux=True, holomorphic=holo)(x)
        else:
            rev = jax.jacrev(joint, has_aux=True, holomorphic=holo)
            jac, extra = jax.jacfwd(rev, has_aux=True, holomorphic=holo)(x)
        out_tree = jax.tree_util.tree_structure(extra[0])
        x_tree = jax.tree_util.tree_structure(x)

        if self._mode == "hessian":  # d/dx of (d/dx of the output): x's layout twice
            outer = [self._assemble(*block) for block in x_tree.flatten_up_to(jac)]
            return self._assemble(*x_tree.unflatten(outer)), extra
        # jax's layout: the output's structure outside, the derivatives of each leaf inside
        blocks = [self._assemble(*sub) for sub in out_tree.flatten_up_to(jac)]
        return out_tree.unflatten(blocks), extra

    def _assemble(self, var_grads, arg_grads):
        arg_grads = jax.tree_util.tree_map(_grad_leaf, arg_grads, is_leaf=_is_array)
        if isinstance(self._argnums, int):
            arg_grads = arg_grads[0]
        if self._tree is None:
            return arg_grads
        unique = [jax.tree_util.tree_map(_grad_leaf, g, is_leaf=_is_array) for g in var_grads]
        var_grads = jax.tree_util.tree_unflatten(self._tree, [unique[i] for i in self._index])
        if self._argnums is None:
            return var_grads
        return var_grads, arg_grads

    def __repr__(self) -> str:
        return f"<bp.math.{self._mode} of {self._name}>"


_ARGS = """
    Args:
        func: the function (or bound method, or callable object) to differentiate.
        grad_vars: Variables to differentiate with respect to: a Variable, or a list,
            tuple or dict of them (``obj.train_vars()``); their gradients come back in
            the same structure.
        argnums: positions of the arguments to differentiate with respect to (an int or
            a tuple of ints); 0 when ``grad_vars`` is not given either.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is passed through.
        dyn_vars: BrainPy's list of the Variables ``func`` uses (a Variable, a list,
            tuple or dict of them, ``model.vars()``): optional, checked, not needed (the
            trace finds them).
        holomorphic: ``func`` is holomorphic (complex inputs and outputs), as in JAX
            (not :func:`vector_grad`).
        allow_int: allow integer inputs, whose gradient has JAX's trivial dtype float0
            (:func:`grad`, :func:`value_and_grad`, :func:`jacrev` only)."""

_GRADS = """
    ``grads`` are the gradients of ``grad_vars`` if only they are given, those of the
    arguments if only ``argnums`` is (one array for an int, a tuple for a tuple), else
    ``(var_grads, arg_grads)``. Variables that ``func`` writes keep their new values.
"""


def _make(mode, func, grad_vars, argnums, has_aux, return_value, **options):
    if func is None:  # a decorator with arguments: @bp.math.grad(grad_vars=...)
        return lambda f: _make(mode, f, grad_vars, argnums, has_aux, return_value, **options)
    return GradFunction(func, grad_vars, argnums, has_aux, return_value, mode, **options)


def grad(
    func=None,
    grad_vars=None,
    argnums=None,
    has_aux=False,
    return_value=False,
    *,
    dyn_vars=None,
    holomorphic=False,
    allow_int=False,
):
    return _make(
        "grad", func, grad_vars, argnums, has_aux, return_value,
        dyn_vars=dyn_vars, holomorphic=holomorphic, allow_int=allow_int,
    )  # fmt: skip


def value_and_grad(
    func=None,
    grad_vars=None,
    argnums=None,
    has_aux=False,
    *,
    dyn_vars=None,
    holomorphic=False,
    allow_int=False,
):
    return _make(
        "value_and_grad", func, grad_vars, argnums, has_aux, False,
        dyn_vars=dyn_vars, holomorphic=holomorphic, allow_int=allow_int,
    )  # fmt: skip


def vector_grad(
    func=None, grad_vars=None, argnums=None, has_aux=False, return_value=False, *, dyn_vars=None
):
    return _make("vector_grad", func, grad_vars, argnums, has_aux, return_value, dyn_vars=dyn_vars)


def jacrev(
    func=None,
    grad_vars=None,
    argnums=None,
    has_aux=False,
    return_value=False,
    *,
    dyn_vars=None,
    holomorphic=False,
    allow_int=False,
):
    return _make(
        "jacrev", func, grad_vars, argnums, has_aux, return_value,
        dyn_vars=dyn_vars, holomorphic=holomorphic, allow_int=allow_int,
    )  # fmt: skip


def jacfwd(
    func=None,
    grad_vars=None,
    argnums=None,
    has_aux=False,
    return_value=False,
    *,
    dyn_vars=None,
    holomorphic=False,
):
    return _make(
        "jacfwd", func, grad_vars, argnums, has_aux, return_value,
        dyn_vars=dyn_vars, holomorphic=holomorphic,
    )  # fmt: skip


def hessian(
    func=None,
    grad_vars=None,
    argnums=None,
    has_aux=False,
    return_value=False,
    *,
    dyn_vars=None,
    holomorphic=False,
):
    return _make(
        "hessian", func, grad_vars, argnums, has_aux, return_value,
        dyn_vars=dyn_vars, holomorphic=holomorphic,
    )  # fmt: skip


jacobian = jacrev


grad.__doc__ = f"""The gradient of a scalar-valued function (jax backend).
{_ARGS}
        return_value: also return the function's output.

    Returns:
        a function returning ``grads``; ``(grads, value)`` with ``return_value``;
        ``(grads, aux)`` with ``has_aux``; ``(grads, value, aux)`` with both.
{_GRADS}
    >>> f = bp.math.grad(lambda x: (x ** 2).sum())
    >>> f(bp.math.ones(3))          # JaxArray([2., 2., 2.])
"""

value_and_grad.__doc__ = f"""The output and the gradient of a scalar-valued function.
{_ARGS}

    Returns:
        a function returning ``(value, grads)``, or ``((value, aux), grads)`` with
        ``has_aux`` (as :func:`jax.value_and_grad`).
{_GRADS}"""

vector_grad.__doc__ = f"""The gradient of the sum of a function's outputs (the
    vector-Jacobian product with ones): for functions with non-scalar outputs; for an
    element-wise function, the element-wise derivative (jax backend).
{_ARGS}
        return_value: also return the function's output.

    Returns:
        as :func:`grad`.
{_GRADS}"""

_JAC_RETURNS = """
    Returns:
        a function returning ``jac``; ``(jac, value)`` with ``return_value``;
        ``(jac, aux)`` with ``has_aux``; ``(jac, value, aux)`` with both (BrainPy 2.x's
        layout). ``jac`` is laid out as ``grads`` of :func:`grad` (``(var_jacs,
        arg_jacs)`` with both ``grad_vars`` and ``argnums``), each block of shape
        ``output.shape + input.shape``; for an output that is a tuple or dict, the
        output's structure is outside (as :func:`jax.jacrev`).
"""

jacrev.__doc__ = f"""The Jacobian of a function by reverse-mode differentiation (jax backend);
    ``bp.math.jacobian`` is the same function. Efficient for more inputs than outputs.
{_ARGS}
        return_value: also return the function's output.
{_JAC_RETURNS}
    >>> bp.math.jacrev(lambda x: x ** 2)(bp.math.arange(3.0))   # diag(0, 2, 4)
"""

jacfwd.__doc__ = f"""The Jacobian of a function by forward-mode differentiation (jax backend).
    Efficient for more outputs than inputs; the same result as :func:`jacrev`.
{_ARGS}
        return_value: also return the function's output.
{_JAC_RETURNS}"""

hessian.__doc__ = f"""The Hessian (matrix of second derivatives) of a scalar function (jax
    backend; ``jacfwd`` of ``jacrev``, as :func:`jax.hessian`).
{_ARGS}
        return_value: also return the function's output.

    Returns:
        a function returning ``hess`` (with ``value`` and ``aux`` as :func:`jacrev`).
        With one input (a Variable or an ``int`` argnums) ``hess`` is one array of shape
        ``input.shape * 2``; with several, the layout of ``grads`` of :func:`grad`
        nested twice: the rows of the inputs laid out as ``grads``, each row holding
        its blocks with every input laid out as ``grads`` (with ``grad_vars=v`` and
        ``argnums=(0, 1)``: ``hess[0][0]`` is the block (v, v), ``hess[0][1]`` the
        pair (v, x0), (v, x1); ``hess[1][0]`` the row of x0: ``((x0, v), ((x0, x0),
        (x0, x1)))``).
"""
