"""Arrays and Variables of the numpy backend.

``ndarray`` is a thin subclass of :class:`numpy.ndarray` whose only difference is the
tutorial's in-place semantics: every augmented assignment writes into the array's own
buffer and casts the result back to the array's dtype (NumPy 2 itself refuses
``v **= 2.`` on an integer array). ``Variable`` is an ``ndarray`` that marks mutable
model state: compiled code receives its plain base array (``.value``) and updates it in
place.
"""

from __future__ import annotations

import operator

import numpy as np

from brainjit.math import _variable

__all__ = ["ndarray", "Variable", "TrainVar", "Parameter"]

# augmented operator name -> the ufunc that computes it
_INPLACE_UFUNCS = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "truediv": np.true_divide,
    "floordiv": np.floor_divide,
    "mod": np.remainder,
    "pow": np.power,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
    "lshift": np.left_shift,
    "rshift": np.right_shift,
}


def _inplace(ufunc):
    def method(self, other):
        ufunc(self, other, out=self.view(np.ndarray), casting="unsafe")
        return self

    return method


class ndarray(np.ndarray):  # noqa: N801  (mirrors numpy.ndarray)
    """A NumPy array with the tutorial's in-place semantics (see module docstring)."""

    @property
    def value(self) -> np.ndarray:
        """The data as a plain :class:`numpy.ndarray` (a view, not a copy)."""
        return self.view(np.ndarray)

    @value.setter
    def value(self, new) -> None:
        _variable.check_assign(self, self.shape, self.dtype, new)
        self.view(np.ndarray)[...] = new

    def numpy(self) -> np.ndarray:
        """The data as a plain :class:`numpy.ndarray`."""
        return self.view(np.ndarray)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # as for plain NumPy arrays, full reductions (x.sum(), np.max(x)) give NumPy scalars
        if return_scalar:
            return array[()]
        if isinstance(array, ndarray):  # an out= argument: returned as it is
            return array
        return array.view(ndarray)

    def __repr__(self) -> str:
        # printed as NumPy prints its arrays; Variables print as Variable(...)
        name = "array" if type(self) is ndarray else type(self).__name__
        return _variable.repr_as(name, self.view(np.ndarray))


for _name, _ufunc in _INPLACE_UFUNCS.items():
    setattr(ndarray, f"__i{_name}__", _inplace(_ufunc))


class Variable(ndarray):
    """Mutable model state on the numpy backend.

    It is an ndarray (NumPy functions accept it, in-place operations mutate it);
    ``.value`` gives the plain ndarray and ``.value = x`` writes ``x`` into it, which
    must have the same shape and dtype. Results of arithmetic on a Variable are plain
    arrays, not Variables.

    >>> v = Variable(np.zeros(3))
    >>> v += 1
    >>> v.value
    array([1., 1., 1.])
    """

    def __new__(cls, value, dtype=None, name: str | None = None):
        obj = np.array(value, dtype=dtype).view(cls)  # always its own copy of the data
        if obj.dtype.kind not in "biufc":
            raise TypeError(
                f"{cls.__name__} holds numbers (bool, int, float, complex); got dtype "
                f"{obj.dtype} from {type(value).__name__}"
            )
        obj._name = name
        return obj

    def __array_finalize__(self, obj) -> None:
        self._name = getattr(obj, "_name", None)

    # ufunc results (v + 1, v.sum(), np.sin(v)) are plain arrays, not new Variables
    # (ndarray.__array_wrap__); so are indexing results and what the methods and the
    # properties below return (v.copy(), v.reshape(...), v.T ...), as on the jax backend

    def __getitem__(self, index):
        return _not_a_variable(super().__getitem__(index))

    def __reduce__(self):
        # pickle as a Variable with its data (ndarray pickling drops __dict__)
        return (type(self), (self.view(np.ndarray).copy(), None, self._name))

    __hash__ = object.__hash__  # hashable by identity, so it can key dicts and sets


def _not_a_variable(result):
    return result.view(ndarray) if isinstance(result, Variable) else result


def _returns_plain(name):
    base = getattr(np.ndarray, name)

    def method(self, *args, **kwargs):
        return _not_a_variable(base(self, *args, **kwargs))

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


# ndarray methods that return a new array (or a view) instead of working in place
_NEW_ARRAY_METHODS = (
    "all any argmax argmin argpartition argsort astype byteswap choose clip compress conj "
    "conjugate copy cumprod cumsum diagonal dot flatten getfield max mean min nonzero prod "
    "ravel repeat reshape round searchsorted squeeze std sum swapaxes take to_device trace "
    "transpose var view"
).split()
for _name in _NEW_ARRAY_METHODS:
    setattr(Variable, _name, _returns_plain(_name))
for _name in ("T", "mT", "real", "imag"):
    _base = getattr(np.ndarray, _name)
    setattr(
        Variable,
        _name,
        property(
            lambda self, _p=_base: _not_a_variable(_p.__get__(self)),
            None if _name in ("T", "mT") else (lambda self, new, _p=_base: _p.__set__(self, new)),
            doc=_base.__doc__,
        ),
    )


class TrainVar(Variable):
    """A trainable Variable (collected by ``Base.train_vars()``)."""


class Parameter(TrainVar):
    """A trainable parameter: a :class:`TrainVar` (BrainPy's ``bm.Parameter``; here it is
    collected by ``Base.train_vars()`` and kept by ``reset_state()`` like every TrainVar)."""


_variable.register(Variable, TrainVar)

# the operator module names are used by tests to cover every augmented assignment
INPLACE_OPERATORS = {name: getattr(operator, f"i{name}") for name in _INPLACE_UFUNCS}
