"""Control flow that carries state, on the jax backend.

Two faces share one mechanism:

- the structured API, ``for_loop``, ``while_loop``, ``cond`` and ``ifelse``, whose
  bodies and branches may read and update Variables in place;
- the runtime of the native-control-flow conversion (:mod:`.autograph`):
  ``if_stmt``, ``for_stmt``, ``while_stmt``, which keep Python semantics on concrete
  values and build ``lax`` control flow on traced ones.

The mechanism: a body is first traced abstractly (``jax.eval_shape``) while a
:class:`_Recorder` listens to Variable writes, which tells which Variables it updates
and what types it returns. Those Variables' values join the loop carry (or the branch
operands); inside the ``lax`` body they are installed as the Variables' values, and
after the primitive the results are written back through ``Variable.value``, which
reports the write to an enclosing ``bp.math.jit``. A tracer never stays in a Variable:
every value installed for tracing is restored. A body that writes in place into a
``JaxArray`` that is not a Variable (and that it did not create) is refused with a
:class:`~brainjit.math._jax._trace.JitStateError` naming it, and the array keeps its
value: the loop or branch could not carry the write, and the array would keep a tracer
(each body runs as a :class:`~brainjit.math._jax._trace.Frame`).
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax import _trace, numpy_dispatch
from brainjit.math._jax.ndarray import JaxArray, Variable, unwrap, wrap
from brainjit.math._spellings import check_dyn_vars, check_remat, make_functions

__all__ = ["for_loop", "while_loop", "cond", "ifelse", "make_loop", "make_while", "make_cond"]


class _Undefined:
    """Marks a local name not yet assigned before a converted statement."""

    def __repr__(self) -> str:
        return "<undefined>"


UNDEFINED = _Undefined()


class ControlFlowError(TypeError, ValueError):
    """A loop or condition on traced values that cannot be compiled (a TypeError like
    ``bp.math.jit``'s other control-flow errors, and a ValueError for type mismatches)."""


def is_traced(x) -> bool:
    """Whether ``x`` (or the array it wraps) is a JAX tracer."""
    if isinstance(x, JaxArray):
        x = x._value
    return isinstance(x, jax.core.Tracer)


# -- recording the Variables a body writes ----------------------------------------------


class _Recorder(_trace.Frame):
    """Listens on the trace stack: remembers written Variables and their values before."""

    __slots__ = ("written", "before")

    def __init__(self) -> None:
        super().__init__()
        self.written: dict[int, Variable] = {}
        self.before: dict[int, object] = {}

    def on_read(self, var) -> None:
        pass

    def on_write(self, var) -> None:
        key = id(var)
        if key not in self.written:
            self.written[key] = var
            self.before[key] = var._value

    def restore(self) -> None:
        for key, var in self.written.items():
            var._value = self.before[key]


def _discover(fn, *args, where: str):
    """Trace ``fn(*args)`` abstractly: (output shapes, Variables it writes)."""
    recorders: list = []

    def probe(*a):
        recorder = _Recorder()  # made inside: it runs in eval_shape's JAX trace
        recorders.append(recorder)
        _trace.push(recorder)
        try:
            out = fn(*a)
        except jax.errors.TracerArrayConversionError as err:
            raise numpy_dispatch.conversion_error(err, where) from None
        finally:
            _trace.pop(recorder)
            recorder.restore()
            arrays = recorder.restore_arrays()
        if arrays:
            raise _trace.array_write_error(where, arrays)
        return out

    with _trace.LOCK:  # tracers go into Variables: not for other threads to see
        out = jax.eval_shape(probe, *args)
    return out, list(recorders[-1].written.values())


def _as_array(value, name: str, where: str):
    if isinstance(value, JaxArray):
        return value.value
    if isinstance(value, (jax.Array, np.ndarray, np.generic, bool, int, float, complex)):
        return jnp.asarray(value)
    raise ControlFlowError(
        f"{where}: the variable {name!r} holds a {type(value).__name__}, which a compiled "
        "loop or condition cannot carry; only arrays and numbers can change inside it."
    )


# -- functions that write Variables, as pure functions -----------------------------------


class _Stateful:
    """``fn(*args)`` that may write Variables, as a pure ``(var_values, *args)`` function.

    The Variables are found by an abstract trace of ``fn`` on ``example_args``
    (shapes); ``vars`` can be widened afterwards (branches share the union). ``where``
    names the statement in errors.
    """

    def __init__(self, fn, *example_args, where: str) -> None:
        self.fn = fn
        self.where = where
        _, self.vars = _discover(fn, *example_args, where=where)

    def initial(self) -> list:
        return [v.value for v in self.vars]

    def __call__(self, var_values, *args):
        saved = [v._value for v in self.vars]
        for v, value in zip(self.vars, var_values):
            v._value = value
        try:
            with _body_frame(self.where):
                out = self.fn(*args)
            return [v._value for v in self.vars], out
        except jax.errors.TracerArrayConversionError as err:
            raise numpy_dispatch.conversion_error(err, self.where) from None
        finally:
            for v, value in zip(self.vars, saved):
                v._value = value

    def write_back(self, var_values) -> None:
        for v, value in zip(self.vars, var_values):
            v.value = value  # reported to an enclosing jit as a write


@contextlib.contextmanager
def _body_frame(where: str):
    """Run a body or branch as its own trace level (a :class:`_trace.Frame`): refuse its
    in-place writes into JaxArrays that are not Variables and that it did not make."""
    frame = _trace.Frame()  # made here: it runs in the body's JAX trace
    _trace.push(frame)
    try:
        yield
    finally:
        _trace.pop(frame)
        arrays = frame.restore_arrays()
    if arrays:
        raise _trace.array_write_error(where, arrays)


def _union(stateful: list[_Stateful]) -> None:
    """Make every function thread the union of the Variables any of them writes."""
    union: dict[int, Variable] = {}
    for s in stateful:
        for v in s.vars:
            union.setdefault(id(v), v)
    for s in stateful:
        s.vars = list(union.values())


def _names_of(stateful: _Stateful, local_names: list[str]) -> list[str]:
    variables = [repr(getattr(v, "_name", None) or "a Variable") for v in stateful.vars]
    return [repr(n) for n in local_names] + variables


def _check_types(names, before, after, where: str, what: str) -> None:
    for name, a, b in zip(names, before, after):
        a_shape, a_dtype = jnp.shape(a), jnp.result_type(a)
        if a_shape != b.shape or a_dtype != b.dtype:
            raise ControlFlowError(f"{where}: {what(name, a_dtype, list(a_shape), b)}")


def _loop_msg(name, dtype, shape, b) -> str:
    return (
        f"{name} is {dtype}{shape} before the loop but {b.dtype}{list(b.shape)} after one "
        "iteration; a compiled loop keeps the shape and dtype of what it carries "
        "(initialise it with its final type)."
    )


# -- the local state of converted statements -------------------------------------------


class _Locals:
    """The local names a converted statement assigns, and which of them ``lax`` carries.

    Names UNDEFINED before the statement, or holding non-array objects, are passed
    through unchanged; arrays and numbers are carried by value. A JaxArray (Variable)
    bound to a name is carried by its value: if the body updates that object in place,
    the object receives the final value; if the body rebinds the name, the name gets a
    new JaxArray and the object is left as it was.
    """

    def __init__(self, values: tuple, names: tuple, where: str) -> None:
        self.objects = values
        self.where = where
        self.carried = [
            i for i, v in enumerate(values) if isinstance(v, JaxArray) or _is_array_like(v)
        ]
        self.names = [names[i] for i in self.carried]
        self._names = names
        self.rebound: set[int] = set()

    def initial(self) -> list:
        return [_as_array(self.objects[i], n, self.where) for i, n in zip(self.carried, self.names)]

    @contextlib.contextmanager
    def installed(self, carry):
        """The state tuple with ``carry`` installed (JaxArrays' values swapped in)."""
        objs = list(self.objects)
        saved = {}
        for i, value in zip(self.carried, carry):
            if isinstance(objs[i], JaxArray):
                saved[i] = objs[i]._value
                objs[i]._value = value
            else:
                objs[i] = value
        try:
            yield tuple(objs)
        finally:
            for i, value in saved.items():
                self.objects[i]._value = value

    def pure(self, body, outputs: list[int] | None = None):
        """``body(state, *extra) -> state`` as ``f(carried_values, *extra) -> values``.

        ``outputs`` are the indices of the names returned (default: the carried ones).
        """
        outputs = self.carried if outputs is None else outputs

        def f(carry, *extra):
            with self.installed(carry) as state:
                out = body(state, *extra)
                for i in self.carried:
                    if isinstance(self.objects[i], JaxArray) and out[i] is not self.objects[i]:
                        self.rebound.add(i)
                return [_as_array(out[i], self._names[i], self.where) for i in outputs]

        return f

    def defined_after(self, body, carry) -> list[bool]:
        """Which names ``body`` leaves holding arrays (found by an abstract trace)."""
        found: list[bool] = []

        def probe(c):
            with self.installed(c) as state:
                out = body(state)
                found.extend(isinstance(v, JaxArray) or _is_array_like(v) for v in out)
            return 0

        _discover(probe, carry, where=self.where)
        return found

    def finish(self, final: list, outputs: list[int] | None = None) -> tuple:
        """The names' values after the statement."""
        outputs = self.carried if outputs is None else outputs
        objs = list(self.objects)
        for i, value in zip(outputs, final):
            obj = objs[i]
            if isinstance(obj, JaxArray) and i not in self.rebound:
                obj.value = value  # updated in place: the object keeps the result
            else:
                objs[i] = wrap(value)
        return tuple(objs)


def _is_array_like(v) -> bool:
    return isinstance(v, (jax.Array, np.ndarray, np.generic, bool, int, float, complex))


# -- runtime of converted statements ---------------------------------------------------


def call(func, *args, **kwargs):
    """Call ``func``, converting its control flow first if it is user code."""
    from brainjit.math._jax import autograph

    return autograph.convert_callable(func)(*args, **kwargs)


def and_(a, b_thunk):
    """``a and b`` in a converted condition: elementwise when ``a`` is traced."""
    if is_traced(a):
        return wrap(jnp.logical_and(unwrap(a), unwrap(b_thunk())))
    return a and b_thunk()


def or_(a, b_thunk):
    """``a or b`` in a converted condition: elementwise when ``a`` is traced."""
    if is_traced(a):
        return wrap(jnp.logical_or(unwrap(a), unwrap(b_thunk())))
    return a or b_thunk()


def not_(a):
    """``not a`` in a converted condition."""
    if is_traced(a):
        return wrap(jnp.logical_not(unwrap(a)))
    return not a


class TracedRange:
    """``range(start, stop, step)`` with traced bounds."""

    def __init__(self, start, stop, step) -> None:
        self.start, self.stop, self.step = start, stop, step


def range_(*args):
    """``range`` that accepts traced bounds (then the loop becomes a ``fori_loop``)."""
    if not any(is_traced(a) for a in args):
        return range(*(int(unwrap(a)) for a in args))
    if len(args) == 1:
        start, stop, step = 0, args[0], 1
    elif len(args) == 2:
        (start, stop), step = args, 1
    else:
        start, stop, step = args
    if is_traced(step):
        raise ControlFlowError("range(): the step of a compiled loop must be a static int")
    return TracedRange(unwrap(start), unwrap(stop), int(step))


def python_test(test, where: str, why: str):
    """A condition kept in Python (its body uses ``why``): refuse a traced one."""
    if is_traced(test):
        raise ControlFlowError(
            f"{where}: this condition depends on a traced value and its body uses "
            f"'{why}', which a compiled condition or loop cannot do. Assign the result to "
            "a variable instead, or use bp.math.cond / bp.math.while_loop explicitly."
        )
    return test


def python_iter(iterable, where: str, why: str):
    """An iterable kept in Python (its loop uses ``why``): refuse a traced one."""
    if isinstance(iterable, TracedRange) or is_traced(iterable):
        raise ControlFlowError(
            f"{where}: this loop runs over a traced value and its body uses '{why}', "
            "which a compiled loop cannot do. Restructure it without "
            f"'{why}', or use bp.math.for_loop / bp.math.while_loop explicitly."
        )
    return iterable


def if_stmt(test, true_fn, false_fn, values: tuple, names: tuple, where: str):
    """``if test: ... else: ...`` (converted)."""
    if not is_traced(test):
        return true_fn(values) if test else false_fn(values)
    pred = _predicate(test, where)
    local = _Locals(values, names, where)
    init = local.initial()
    # the names both branches leave holding arrays are the outputs
    defined = [local.defined_after(fn, init) for fn in (true_fn, false_fn)]
    outputs = [i for i in range(len(names)) if defined[0][i] and defined[1][i]]
    for i, name in enumerate(names):
        if defined[0][i] != defined[1][i] and values[i] is UNDEFINED:
            raise ControlFlowError(
                f"{where}: {name!r} is assigned in only one branch of a condition on a "
                "traced value; assign it before the 'if' or in every branch."
            )
    branches = [_Stateful(local.pure(fn, outputs), init, where=where) for fn in (true_fn, false_fn)]
    _union(branches)
    vv = branches[0].initial()
    shapes = [jax.eval_shape(b, vv, init) for b in branches]
    _check_types(
        _names_of(branches[0], [names[i] for i in outputs]),
        [*shapes[0][1], *shapes[0][0]],
        [*shapes[1][1], *shapes[1][0]],
        where,
        lambda n, dt, sh, b: (
            f"the branches give {n} different types: {dt}{sh} in one and "
            f"{b.dtype}{list(b.shape)} in the other"
        ),
    )
    new_vv, final = jax.lax.cond(pred, branches[0], branches[1], vv, init)
    branches[0].write_back(new_vv)
    return local.finish(final, outputs)


def _predicate(test, where: str):
    value = unwrap(test)
    if jnp.shape(value) != ():
        raise ControlFlowError(
            f"{where}: a condition must be a single boolean, got an array of shape "
            f"{jnp.shape(value)} (use .any() or .all())"
        )
    return jnp.asarray(value).astype(bool)


def _loop(local: _Locals, body, extra_shapes, run, where: str):
    """Build a compiled loop over ``body``; ``run(stateful, init)`` runs the primitive."""
    init = local.initial()
    stateful = _Stateful(local.pure(body), init, *extra_shapes, where=where)
    vv = stateful.initial()
    out_vv, out_local = jax.eval_shape(stateful, vv, init, *extra_shapes)
    _check_types(
        _names_of(stateful, local.names), [*init, *vv], [*out_local, *out_vv], where, _loop_msg
    )
    new_vv, final = run(stateful, (vv, init))
    stateful.write_back(new_vv)
    return local.finish(final)


def for_stmt(iterable, body, values: tuple, names: tuple, where: str):
    """``for x in iterable: ...`` (converted)."""
    if isinstance(iterable, TracedRange):
        start, stop, step = iterable.start, iterable.stop, iterable.step
        count = jnp.maximum(0, (stop - start + step - (1 if step > 0 else -1)) // step)
        index = jax.ShapeDtypeStruct((), jnp.result_type(start, stop))

        def run(stateful, carry):
            def step_fn(k, c):
                return stateful(*c, start + k * step)

            return jax.lax.fori_loop(0, count, step_fn, carry)

        return _loop(_Locals(values, names, where), body, (index,), run, where)
    if is_traced(iterable):
        xs = unwrap(iterable)
        item = jax.ShapeDtypeStruct(xs.shape[1:], xs.dtype)

        def item_body(state, x):
            return body(state, wrap(x))  # loop items are JaxArrays, as in Python

        def run(stateful, carry):
            return jax.lax.scan(lambda c, x: (stateful(*c, x), None), carry, xs)[0]

        return _loop(_Locals(values, names, where), item_body, (item,), run, where)
    for item in iterable:
        values = body(values, item)
    return values


def while_stmt(test_fn, body, values: tuple, names: tuple, where: str):
    """``while test: ...`` (converted)."""
    test = test_fn(values)
    if not is_traced(test):
        while test:
            values = body(values)
            test = test_fn(values)
            if is_traced(test):
                raise ControlFlowError(
                    f"{where}: the loop condition became a traced value after some "
                    "iterations; make it depend on traced values from the start (e.g. "
                    "start the counter as an array) or keep it static."
                )
        return values
    local = _Locals(values, names, where)

    def run(stateful, carry):
        def cond_fn(c):
            var_values, loc = c
            saved = [v._value for v in stateful.vars]
            for v, value in zip(stateful.vars, var_values):
                v._value = value
            try:
                with _body_frame(where), local.installed(loc) as state:
                    return _predicate(test_fn(state), where)
            finally:
                for v, value in zip(stateful.vars, saved):
                    v._value = value

        return jax.lax.while_loop(cond_fn, lambda c: stateful(*c), carry)

    return _loop(local, body, (), run, where)


# -- the structured API -------------------------------------------------------------------


def _as_tuple(operands) -> tuple:
    return tuple(operands) if isinstance(operands, (tuple, list)) else (operands,)


def _unwrapped(fn):
    """``fn`` taking and returning raw arrays (its arguments wrapped as JaxArrays)."""

    def f(*args):
        return unwrap(fn(*(wrap(a) for a in args)))

    return f


def for_loop(
    body_fun, operands, reverse: bool = False, unroll: int = 1, remat=False, dyn_vars=None
):
    """Run ``body_fun(*xs)`` for each slice ``xs`` of ``operands`` along axis 0.

    ``operands`` is an array or a tuple of arrays of the same length. Variables that
    the body updates in place keep their updates. The body's return values are
    stacked along a new leading axis and returned.

    >>> V = bp.math.Variable(bp.math.zeros(1))
    >>> def step(i):
    ...     V.value = V.value + i
    ...     return V.value
    >>> bp.math.for_loop(step, bp.math.arange(3.))        # doctest: +SKIP
    JaxArray([[0.], [1.], [3.]], dtype=float32)

    ``remat`` trades computation for memory in gradients (reverse mode: ``bm.grad``
    & co), with ``jax.checkpoint``. Backpropagation through the loop needs, for every
    step, what the step computed; by default all of it is kept from the forward pass.

    - ``remat=True`` (BrainPy's spelling): each step is checkpointed. Only what the
      loop carries (the Variables it updates) is kept per step; the rest of a step is
      computed again during the backward pass.
    - ``remat=k`` (an int): blocks of ``k`` steps are checkpointed (an outer loop over
      the blocks, each an inner loop of ``k`` steps). The carry is kept only at the
      start of each block; during the backward pass each block is run again, keeping
      its ``k`` steps. Memory: about ``n / k`` carries plus ``k`` steps' intermediates
      instead of ``n`` steps' (``k`` near ``sqrt(n)`` keeps the least); time: one more
      forward pass. A length that ``k`` does not divide ends with a shorter block.

    The results (values and gradients) are those of the plain loop: only what is kept
    changes. ``unroll`` applies to the steps (the inner loop).

    ``dyn_vars`` (BrainPy's spelling: the Variables the body updates) is optional:
    they are found by tracing; what it lists must be Variables.
    """
    check_dyn_vars(dyn_vars, "bp.math.for_loop")
    block = check_remat(remat, "bp.math.for_loop")
    xs = tuple(jnp.asarray(unwrap(o)) for o in _as_tuple(operands))
    items = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
    stateful = _Stateful(_unwrapped(body_fun), *items, where="bp.math.for_loop")

    def step(vv, x):
        return stateful(vv, *x)

    if block:
        final, stacked = _remat_scan(step, stateful.initial(), xs, block, reverse, unroll)
    else:
        final, stacked = jax.lax.scan(step, stateful.initial(), xs, reverse=reverse, unroll=unroll)
    stateful.write_back(final)
    return wrap(stacked) if stacked is not None else None


def _remat_scan(step, init, xs: tuple, block: int, reverse: bool, unroll: int):
    """``lax.scan(step, init, xs, reverse=reverse)`` with ``jax.checkpoint`` on every
    step (``block == 1``) or on blocks of ``block`` steps (nested scans; a last, shorter
    block for the remainder)."""
    if block == 1:
        return jax.lax.scan(jax.checkpoint(step), init, xs, reverse=reverse, unroll=unroll)
    n = xs[0].shape[0]
    if reverse:  # the same loop on the reversed operands, the records reversed back
        xs = tuple(jnp.flip(x, 0) for x in xs)
    tmap = jax.tree_util.tree_map

    @jax.checkpoint
    def run_block(carry, xs_block):
        return jax.lax.scan(step, carry, xs_block, unroll=unroll)

    q, r = divmod(n, block)
    carry, parts = init, []
    if q:
        head = tuple(x[: q * block].reshape((q, block) + x.shape[1:]) for x in xs)
        carry, ys = jax.lax.scan(run_block, carry, head)
        parts.append(tmap(lambda y: y.reshape((q * block,) + y.shape[2:]), ys))
    if r or not q:
        carry, ys = run_block(carry, tuple(x[q * block :] for x in xs))
        parts.append(ys)
    stacked = parts[0] if len(parts) == 1 else tmap(lambda a, b: jnp.concatenate([a, b]), *parts)
    if reverse:
        stacked = tmap(lambda y: jnp.flip(y, 0), stacked)
    return carry, stacked


def while_loop(body_fun, cond_fun, operands, dyn_vars=None):
    """``while cond_fun(*operands): operands = body_fun(*operands)``; returns operands.

    Variables updated in the body keep their updates. Both functions receive the
    operands unpacked; the body returns the new operands (same shapes and dtypes).
    ``dyn_vars`` (BrainPy's spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.while_loop")
    single = not isinstance(operands, (tuple, list))
    values = _as_tuple(operands)
    names = tuple(f"operand {i}" for i in range(len(values)))

    def body(state):
        out = body_fun(*state)
        return (out,) if single else _as_tuple(out)

    out = while_stmt(lambda s: cond_fun(*s), body, values, names, "bp.math.while_loop")
    return out[0] if single else out


def cond(pred, true_fun, false_fun, operands=(), dyn_vars=None):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Variables updated in either branch keep their updates (a branch that does not
    write a Variable passes it through). Branches must return the same types.
    ``dyn_vars`` (BrainPy's spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.cond")
    return _ifelse([pred], [true_fun, false_fun], operands, "bp.math.cond")


def ifelse(conditions, branches, operands=(), dyn_vars=None):
    """The first branch whose condition holds (the last branch if none does).

    ``conditions`` has one boolean fewer than ``branches``. ``dyn_vars`` (BrainPy's
    spelling) is optional and checked, as in :func:`for_loop`.
    """
    check_dyn_vars(dyn_vars, "bp.math.ifelse")
    return _ifelse(conditions, branches, operands, "bp.math.ifelse")


def _ifelse(conditions, branches, operands, where: str):
    conditions = list(_as_tuple(conditions))
    branches = list(branches)
    if len(conditions) != len(branches) - 1:
        raise ValueError(
            f"ifelse: {len(branches)} branches need {len(branches) - 1} conditions, "
            f"got {len(conditions)}"
        )
    args = _as_tuple(operands)
    if not any(is_traced(c) for c in conditions):
        for c, branch in zip(conditions, branches):
            if c:
                return branch(*args)
        return branches[-1](*args)
    preds = jnp.stack([_predicate(c, "ifelse") for c in conditions])
    index = jnp.where(preds.any(), jnp.argmax(preds), len(conditions))  # first true wins
    raw = tuple(unwrap(a) for a in args)
    fns = [_Stateful(_unwrapped(b), *raw, where=where) for b in branches]
    _union(fns)
    vv = fns[0].initial()
    shapes = [jax.eval_shape(f, vv, *raw)[1] for f in fns]
    for other in shapes[1:]:
        if _describe(other) != _describe(shapes[0]):
            raise ControlFlowError(
                "ifelse/cond: the branches return different types: "
                f"{_describe(shapes[0])} and {_describe(other)}"
            )
    if len(fns) == 2:
        new_vv, out = jax.lax.cond(preds[0], fns[0], fns[1], vv, *raw)
    else:
        new_vv, out = jax.lax.switch(index, fns, vv, *raw)
    fns[0].write_back(new_vv)
    return wrap(out)


def _describe(tree) -> str:
    leaves, structure = jax.tree_util.tree_flatten(tree)
    text = ", ".join(f"{x.dtype}{list(x.shape)}" for x in leaves) or "nothing"
    return text if structure.num_leaves <= 1 and structure.num_nodes <= 1 else f"({text})"


def _wrap_leaf(x):
    return wrap(x) if isinstance(x, jax.Array) else x


_MADE = make_functions(for_loop, while_loop, cond, _wrap_leaf)
make_loop = _MADE["make_loop"]
make_while = _MADE["make_while"]
make_cond = _MADE["make_cond"]
