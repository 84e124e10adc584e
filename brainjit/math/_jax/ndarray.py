"""``JaxArray`` and the jax backend's ``Variable``.

JAX arrays are immutable. ``JaxArray`` is a thin *mutable* wrapper: it holds a
``jax.Array`` in ``.value`` and implements in-place operations (``x[i] = v``,
``x += 1`` ...) by computing a new array (functional ``.at[]`` updates underneath)
and swapping ``.value``, so ``id(x)`` never changes and the dtype and shape are kept
(results are cast back, as NumPy does for in-place operations). It is a registered
pytree, so it passes through ``jax.jit``, ``jax.grad`` and ``jax.vmap``.
"""

from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math import _config, _variable
from brainjit.math._jax import _trace

__all__ = ["JaxArray", "Variable", "TrainVar", "Parameter", "check_dtype", "unwrap", "wrap"]

_WIDE = {np.dtype(t) for t in ("float64", "int64", "uint64", "complex128")}
_PYTHON_TYPES = (int, float, complex, bool)


def check_dtype(func_name: str, dtype) -> None:
    """Refuse a 64-bit dtype while JAX runs in 32-bit mode, instead of truncating it."""
    if dtype is None or dtype in _PYTHON_TYPES or _config.x64_enabled():
        return
    try:
        requested = np.dtype(dtype)
    except TypeError:
        return
    if requested in _WIDE:
        raise ValueError(
            f"bp.math.{func_name}(dtype={requested}) on the jax backend: JAX computes in "
            "32 bits unless 64-bit mode is on. Call bp.math.enable_x64() first, or ask "
            f"for {requested.name.replace('64', '32').replace('128', '64')}."
        )


def _new(cls, value):
    obj = object.__new__(cls)
    obj._value = value
    return obj


def wrap(x):
    """Wrap jax arrays in ``x`` (an array, or a tuple/list of them) as JaxArrays."""
    if isinstance(x, jax.Array):
        return _new(JaxArray, x)
    if isinstance(x, (tuple, list)) and any(isinstance(i, jax.Array) for i in x):
        items = [wrap(i) for i in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return x


def unwrap(x):
    """Replace JaxArrays in ``x`` (also inside tuples, lists and dicts) by their values."""
    if isinstance(x, JaxArray):
        return x.value
    if isinstance(x, (tuple, list)):
        return type(x)(unwrap(i) for i in x)
    if isinstance(x, dict):
        return {k: unwrap(v) for k, v in x.items()}
    return x


def _lists_as_arrays(args: tuple):
    """``args`` with its list/tuple arguments as arrays (None if there are none).

    jax.numpy refuses lists where NumPy takes them as arrays (``jnp.sum([1, 2])``); a
    call that failed with lists among its arguments is retried with this.
    """
    if not any(isinstance(a, (list, tuple)) for a in args):
        return None
    return tuple(_as_array(a) for a in args)


def _as_array(x):
    """A list/tuple as an array; a ragged one as a sequence of arrays (concatenate's input)."""
    if not isinstance(x, (list, tuple)):
        return x
    try:
        return jnp.asarray(x)
    except (TypeError, ValueError):
        return type(x)(_as_array(i) for i in x)


def _index(index):
    """An index as JAX takes it: JaxArrays unwrapped, lists as integer arrays (NumPy rule)."""
    if isinstance(index, JaxArray):
        return index.value
    if isinstance(index, list):
        return jnp.asarray(unwrap(index))
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    return index


def _is_row_index(index, old) -> bool:
    """An integer index of one row (a Python int in bounds, normalised, or a 0-d integer
    tracer) into an array of at least one dimension."""
    if old.ndim == 0:
        return False
    if isinstance(index, int) and not isinstance(index, bool):
        return 0 <= index < old.shape[0]
    return (
        isinstance(index, jax.Array)
        and index.ndim == 0
        and jnp.issubdtype(index.dtype, jnp.integer)
    )


def _check_bounds(index, shape) -> None:
    """NumPy's IndexError for an integer index out of bounds (JAX clamps reads and drops
    writes silently). Checked for indices made of ints and slices, which are static."""
    if isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
        index = (index,)
    elif not isinstance(index, tuple) or len(index) > len(shape):
        return
    for axis, i in enumerate(index):
        if isinstance(i, slice):
            continue
        if not isinstance(i, (int, np.integer)) or isinstance(i, (bool, np.bool_)):
            return  # arrays, None, Ellipsis ...: left to JAX
        if not -shape[axis] <= i < shape[axis]:
            raise IndexError(f"index {i} is out of bounds for axis {axis} with size {shape[axis]}")


_Tracer = jax.core.Tracer


def _foreign_write_error(arr) -> _trace.JitStateError:
    """A traced value written into an array that lives outside a JAX transformation
    brainjit does not control (``jax.jit``, ``jax.grad``, ``jax.vmap`` ...)."""
    kind = "Variable" if isinstance(arr, Variable) else "JaxArray"
    name = getattr(arr, "_name", None)
    what = f"{kind} {name!r}" if name else f"a {kind} of shape {tuple(arr._value.shape)}"
    return _trace.JitStateError(
        f"{what} is written inside a JAX transformation (jax.jit, jax.grad, jax.vmap, "
        "jax.lax control flow ...): the new value is traced there and cannot be kept after "
        "it, so the write is refused (the array keeps its value). Use bp.math.jit, "
        "bp.math.grad, bp.math.for_loop / while_loop / cond instead (they carry Variables "
        "in and out), or keep the function pure: pass x.value in and return the new value. "
        "Reading arrays inside JAX transformations is fine."
    )


def _fast_unwrap(x):
    return x.value if isinstance(x, JaxArray) else x


class JaxArray:
    """A mutable array of the jax backend (see the module docstring).

    >>> x = JaxArray(jnp.zeros(3))
    >>> x[1] = 5.
    >>> x += 1
    >>> x
    JaxArray([1., 6., 1.], dtype=float32)
    """

    # (weakly referenceable: bp.math.jit, control flow and grad remember the arrays
    # written in traced code without keeping them alive)
    __slots__ = ("_value", "__weakref__")
    # NumPy's binary operators defer to ours: np.ones(3) + x is a JaxArray, as x + np.ones(3)
    __array_priority__ = 100

    def __init__(self, value, dtype=None):
        if isinstance(value, JaxArray):
            value = value.value
        if dtype is not None or not isinstance(value, jax.Array):
            check_dtype(type(self).__name__, dtype)
            value = jnp.asarray(value, dtype=dtype)
        self._value = value

    # -- the wrapped array -------------------------------------------------------
    @property
    def value(self) -> jax.Array:
        """The wrapped ``jax.Array``."""
        return self._value

    @value.setter
    def value(self, new) -> None:
        new = self._checked(new)
        if _trace.ACTIVE[0]:  # jit: a non-Variable array written in traced code: restored
            _trace.write_array(self)
        self._value = new

    def _checked(self, new):
        new = _fast_unwrap(new)
        old = self._value
        if not isinstance(new, jax.Array):
            _variable.check_assign(self, old.shape, old.dtype, new)
            return jnp.asarray(new, dtype=old.dtype)
        if new.shape != old.shape or new.dtype != old.dtype:
            _variable.check_assign(self, old.shape, old.dtype, new)
        if isinstance(new, _Tracer) and not isinstance(old, _Tracer) and not _trace.storable(new):
            raise _foreign_write_error(self)
        return new

    def update(self, new) -> None:
        """Replace the value (same shape and dtype), as ``x.value = new``."""
        self.value = new

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied to the host)."""
        return np.asarray(self.value)

    def __array__(self, dtype=None, copy=None):
        out = np.asarray(self.value, dtype=dtype)
        return out.copy() if copy else out

    def __jax_array__(self) -> jax.Array:
        """The wrapped array: ``jax.numpy`` functions take JaxArrays (and Variables)."""
        return self.value

    # -- properties --------------------------------------------------------------
    shape = property(lambda self: self.value.shape, doc="The shape.")
    ndim = property(lambda self: self.value.ndim, doc="The number of dimensions.")
    size = property(lambda self: self.value.size, doc="The number of elements.")
    dtype = property(lambda self: self.value.dtype, doc="The dtype.")
    itemsize = property(lambda self: self.value.itemsize, doc="Bytes per element.")
    nbytes = property(lambda self: self.value.nbytes, doc="Bytes of all the elements.")
    T = property(lambda self: _new(JaxArray, self.value.T), doc="The transpose.")
    real = property(lambda self: _new(JaxArray, self.value.real), doc="The real part.")
    imag = property(lambda self: _new(JaxArray, self.value.imag), doc="The imaginary part.")
    mT = property(lambda self: _new(JaxArray, self.value.mT), doc="Transpose of the last axes.")

    # -- Python protocol ---------------------------------------------------------
    def __repr__(self) -> str:
        value = self._value
        name = type(self).__name__
        if isinstance(value, jax.core.Tracer):
            return f"{name}({value})"
        return _variable.repr_as(name, np.asarray(value))

    def __str__(self) -> str:
        return str(self._value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __complex__(self) -> complex:
        return complex(self.value)

    def __index__(self) -> int:
        return operator.index(self.value)

    def __round__(self, ndigits=None):
        if ndigits is None:
            return round(self.item())
        return _new(JaxArray, jnp.round(self.value, ndigits))

    def __contains__(self, item) -> bool:
        return bool((self.value == _fast_unwrap(item)).any())

    __hash__ = None  # mutable, like numpy.ndarray

    # -- indexing ----------------------------------------------------------------
    def __getitem__(self, index):
        value = self.value
        _check_bounds(index, value.shape)
        return _new(JaxArray, value[_index(index)])

    def __setitem__(self, index, new) -> None:
        old = self.value
        _check_bounds(index, old.shape)
        index = _index(index)
        new = _fast_unwrap(new)
        if not isinstance(new, jax.Array) or new.dtype != old.dtype:
            new = jnp.asarray(new).astype(old.dtype)  # NumPy casts the value to the array's dtype
        if (
            isinstance(index, (jax.Array, np.ndarray))
            and index.dtype == bool
            and index.shape == old.shape
            and np.ndim(new) == 0
        ):
            # a boolean mask: jnp.where also works on traced masks
            self.value = jnp.where(index, jnp.asarray(new, dtype=old.dtype), old)
        elif _is_row_index(index, old) and jnp.ndim(new) < old.ndim:
            # x[i] = row: a dynamic-update-slice, which XLA updates in place inside loops
            # (a scatter's out-of-bounds handling reads the old row and makes XLA copy
            # the whole array every iteration: a monitor buffer per time step)
            i = index if isinstance(index, int) else jnp.where(index < 0, index + len(old), index)
            row = jnp.broadcast_to(new, old.shape[1:])
            self.value = jax.lax.dynamic_update_index_in_dim(old, row, i, 0)
        else:
            self.value = old.at[index].set(new)

    # -- in-place methods (ndarray semantics) -------------------------------------
    def fill(self, value) -> None:
        """Set every element to ``value`` (in place)."""
        self.value = jnp.full_like(self.value, _fast_unwrap(value))

    def sort(self, axis=-1, kind=None, order=None) -> None:
        """Sort in place, as ``numpy.ndarray.sort``."""
        self.value = jnp.sort(self.value, axis=axis)

    def partition(self, kth, axis=-1, kind=None, order=None) -> None:
        """Partially sort in place, as ``numpy.ndarray.partition``."""
        self.value = jnp.partition(self.value, kth, axis=axis)

    def put(self, indices, values) -> None:
        """Set ``self.flat[indices] = values`` (in place)."""
        flat = self.value.ravel().at[_index(indices)].set(_fast_unwrap(values))
        self.value = flat.reshape(self.shape)

    def tolist(self):
        """The data as nested Python lists."""
        return np.asarray(self.value).tolist()

    def item(self, *args):
        """The element at ``args`` as a Python scalar."""
        return np.asarray(self.value).item(*args)

    def view(self, dtype=None, *args, **kwargs):
        """A reinterpretation of the data as ``dtype`` (``view()`` alone returns self)."""
        if dtype is None:
            return self
        check_dtype("JaxArray.view", dtype)
        return _new(JaxArray, self.value.view(dtype))

    def astype(self, dtype, *args, **kwargs):
        """A copy cast to ``dtype`` (64-bit dtypes need ``bp.math.enable_x64()``)."""
        check_dtype("JaxArray.astype", dtype)
        return _new(JaxArray, self.value.astype(dtype, *args, **kwargs))

    def tobytes(self, order="C") -> bytes:
        """The raw data as bytes."""
        return np.asarray(self.value).tobytes(order)

    def block_until_ready(self):
        """Wait until the value is computed (JAX dispatches asynchronously); returns self."""
        self.value.block_until_ready()
        return self


# binary operators: forward and reflected forms
_BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "matmul": operator.matmul,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
}
_COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
_UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert}
# ndarray methods delegated to jax.Array (results wrapped)
_METHODS = (
    "all any argmax argmin argpartition argsort choose clip compress conj conjugate copy "
    "cumprod cumsum diagonal dot flatten max mean min nonzero prod ptp ravel repeat "
    "reshape round searchsorted squeeze std sum swapaxes take trace transpose var"
).split()


def _binary(op):
    def forward(self, other):
        return _new(JaxArray, op(self.value, _fast_unwrap(other)))

    def reflected(self, other):
        return _new(JaxArray, op(_fast_unwrap(other), self.value))

    def inplace(self, other):
        old = self.value
        self.value = op(old, _fast_unwrap(other)).astype(old.dtype)
        return self

    return forward, reflected, inplace


for _name, _op in _BINARY.items():
    _f, _r, _i = _binary(_op)
    setattr(JaxArray, f"__{_name}__", _f)
    setattr(JaxArray, f"__r{_name}__", _r)
    if _name != "matmul":
        setattr(JaxArray, f"__i{_name}__", _i)

for _name in _COMPARE:
    setattr(JaxArray, f"__{_name}__", _binary(getattr(operator, _name))[0])

for _name, _op in _UNARY.items():
    setattr(JaxArray, f"__{_name}__", lambda self, _op=_op: _new(JaxArray, _op(self.value)))


def _divmod(self, other):
    q, r = divmod(self.value, _fast_unwrap(other))
    return _new(JaxArray, q), _new(JaxArray, r)


def _rdivmod(self, other):
    q, r = divmod(_fast_unwrap(other), self.value)
    return _new(JaxArray, q), _new(JaxArray, r)


JaxArray.__divmod__ = _divmod
JaxArray.__rdivmod__ = _rdivmod


def _method(name):
    def method(self, *args, **kwargs):
        if "dtype" in kwargs:
            check_dtype(f"JaxArray.{name}", kwargs["dtype"])
        func = getattr(self.value, name)
        args, kwargs = unwrap(args), unwrap(kwargs)
        try:
            return wrap(func(*args, **kwargs))
        except (TypeError, ValueError) as error:
            retry = _lists_as_arrays(args)  # x.take([0, 2]): lists as arrays, as NumPy
            if retry is None:
                raise
            try:
                out = func(*retry, **kwargs)
            except Exception:
                raise error from None
        return wrap(out)

    method.__name__ = name
    method.__doc__ = f"As ``numpy.ndarray.{name}`` (returns JaxArray)."
    return method


for _name in _METHODS:
    setattr(JaxArray, _name, _method(_name))


def _truth_method(name):
    def method(self, *args, **kwargs):
        value = self.value
        if jnp.iscomplexobj(value):  # nonzero is true (jax.Array.all looks at the real part)
            value = value != 0
        return wrap(getattr(value, name)(*unwrap(args), **unwrap(kwargs)))

    method.__name__ = name
    method.__doc__ = f"As ``numpy.ndarray.{name}`` (returns JaxArray)."
    return method


JaxArray.all = _truth_method("all")
JaxArray.any = _truth_method("any")


class Variable(JaxArray):
    """Mutable model state on the jax backend.

    A ``JaxArray`` whose reads and writes are seen by ``bp.math.jit``: inside jitted
    code it reads the current value, and what is written to it persists after the
    call. ``.value = x`` must keep the shape and dtype.

    >>> v = Variable(jnp.zeros(2))
    >>> v.value = jnp.ones(2)
    """

    __slots__ = ("_name",)

    def __init__(self, value, dtype=None, name: str | None = None):
        value = _fast_unwrap(value)
        check_dtype(type(self).__name__, dtype)
        if dtype is None:
            dtype = jnp.asarray(value).dtype  # a concrete dtype: no weak types in state
        self._value = jnp.asarray(value, dtype=dtype)
        self._name = name
        if _trace.ACTIVE[0]:  # created inside jitted code: local to the trace
            _trace.created(self)

    @property
    def value(self) -> jax.Array:
        """The current value (reading it inside jitted code makes it an input)."""
        if _trace.ACTIVE[0]:
            _trace.read(self)
        return self._value

    @value.setter
    def value(self, new) -> None:
        new = self._checked(new)
        if _trace.ACTIVE[0]:
            _trace.write(self)
        self._value = new

    __hash__ = object.__hash__  # hashable by identity, so it can key dicts and sets


class TrainVar(Variable):
    """A trainable Variable (collected by ``Base.train_vars()``; what ``grad`` differentiates)."""

    __slots__ = ()


class Parameter(TrainVar):
    """A trainable parameter: a :class:`TrainVar` (BrainPy's ``bm.Parameter``; here it is
    collected by ``Base.train_vars()`` and kept by ``reset_state()`` like every TrainVar)."""

    __slots__ = ()


def _flatten(x):
    return (x._value,), None


def _flatten_variable(x):
    return (x.value,), None  # a read that jit sees (a Variable passed into a jax function)


def _unflatten_as(cls):
    def unflatten(aux, children):
        obj = _new(cls, children[0])
        if cls is not JaxArray:
            obj._name = None
            if _trace.ACTIVE[0]:  # made from traced values: not state of an enclosing jit
                _trace.mark_local(obj)
        return obj

    return unflatten


for _cls in (JaxArray, Variable, TrainVar, Parameter):
    _flat = _flatten if _cls is JaxArray else _flatten_variable
    jax.tree_util.register_pytree_node(_cls, _flat, _unflatten_as(_cls))

_variable.register(Variable, TrainVar)


def _not_an_array(x):
    raise TypeError(
        f"a {type(x).__name__} where JAX needs a jax.Array (for example the output of a "
        "function differentiated by jax.grad): use its .value (x.value), or bp.math's own "
        "transformations (bp.math.grad, bp.math.jit ...), which take JaxArrays."
    )


def _register_with_jax() -> None:
    """Let JAX's primitives (``jax.lax.add(x, y)``) take JaxArrays as their values (JAX's
    value handlers), and name ``.value`` where JAX needs the type of a JaxArray that is
    not flattened as a pytree (the output of ``jax.grad``'s function). Private JAX
    tables: skipped if their layout changed (JaxArrays then reach jax.numpy only, through
    ``__jax_array__``)."""
    try:
        from jax._src import core as jax_core
        from jax._src import dtypes as jax_dtypes

        handlers = jax_dtypes.canonicalize_value_handlers
        avals = jax_core.pytype_aval_mappings
    except (ImportError, AttributeError):  # pragma: no cover
        return

    def value_of(x):
        return jax_dtypes.canonicalize_value(x.value)

    for cls in (JaxArray, Variable, TrainVar, Parameter):
        handlers[cls] = value_of
        avals[cls] = _not_an_array


_register_with_jax()

# NumPy functions on JaxArrays (np.exp(x) in traced code runs bp.math.exp)
from brainjit.math._jax import numpy_dispatch  # noqa: E402, F401
