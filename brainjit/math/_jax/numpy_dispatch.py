"""NumPy functions on JaxArrays: ``np.exp(x)`` in traced code runs ``bp.math.exp``.

Model code written for the numpy backend calls NumPy (``np.exp(-V / tau)``). On the
jax backend the arrays are JaxArrays, and inside compiled code (``bp.math.jit``, a
``for_loop`` body, an integrator step) their values are JAX tracers, which NumPy
cannot compute on. ``JaxArray`` implements NumPy's dispatch protocols
(``__array_ufunc__``, ``__array_function__``) with the functions here:

- when an argument holds a traced value, the call runs the ``bp.math`` function of the
  same name (jax backend; ``jax.numpy``'s where bp.math has none) and returns a
  JaxArray, so the same model code compiles on both backends;
- otherwise NumPy runs as it always did (the arrays are copied to NumPy; ``np.sum(x)``
  and the like call the JaxArray's method, as NumPy does for array-likes), except that
  ``ndarray <op> JaxArray`` stays a JaxArray, as the reflected operator made it.

A NumPy function with no counterpart raises a ``TypeError`` that names it, the line
of user code and what to use instead.
"""

from __future__ import annotations

import os
import re
import traceback

import jax
import jax.numpy as jnp
import numpy as np

from brainjit.math._jax.ndarray import JaxArray, unwrap, wrap

__all__ = ["array_ufunc", "array_function", "NumpyInJaxError"]

_Tracer = jax.core.Tracer


class NumpyInJaxError(TypeError):
    """A NumPy function called on traced values that has no jax counterpart."""


# ufuncs behind the operators: ``ndarray <op> JaxArray`` calls the JaxArray's reflected
# operator (a JaxArray), as before JaxArray took part in NumPy's dispatch
_REFLECTED = {
    np.add: "__radd__",
    np.subtract: "__rsub__",
    np.multiply: "__rmul__",
    np.true_divide: "__rtruediv__",
    np.floor_divide: "__rfloordiv__",
    np.remainder: "__rmod__",
    np.power: "__rpow__",
    np.matmul: "__rmatmul__",
    np.bitwise_and: "__rand__",
    np.bitwise_or: "__ror__",
    np.bitwise_xor: "__rxor__",
    np.left_shift: "__rlshift__",
    np.right_shift: "__rrshift__",
    np.equal: "__eq__",
    np.not_equal: "__ne__",
    np.less: "__gt__",
    np.less_equal: "__ge__",
    np.greater: "__lt__",
    np.greater_equal: "__le__",
}


def _traced(x) -> bool:
    if isinstance(x, JaxArray):
        return isinstance(x._value, _Tracer)
    if isinstance(x, _Tracer):
        return True
    if isinstance(x, (list, tuple)):
        return any(_traced(i) for i in x)
    return False


def _host(x):
    """``x`` with its JaxArrays as NumPy arrays (NumPy's own view of them)."""
    if isinstance(x, JaxArray):
        return np.asarray(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_host(i) for i in x)
    return x


def _wrap_tree(x):
    if isinstance(x, jax.Array):
        return wrap(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap_tree(i) for i in x)
    return x


_SKIP = tuple(
    os.path.dirname(path) + os.sep
    for path in (jax.__file__, np.__file__, os.path.dirname(os.path.dirname(__file__)))
)


def _user_line() -> str:
    """' at file:line: `code`' of the innermost frame of user code on the stack."""
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(_SKIP):
            code = f": `{frame.line.strip()}`" if frame.line else ""
            return f" at {frame.filename}:{frame.lineno}{code}"
    return ""


def _jax_function(module: str, name: str):
    """bp.math's function ``name`` of NumPy's ``module`` on the jax backend, else
    jax.numpy's (wrapped to return JaxArrays), else None."""
    from brainjit.math._jax import ops

    space = ops.NAMESPACE
    jnp_space = jnp
    for sub in module.split(".")[1:]:  # numpy.linalg -> bp.math.linalg, jnp.linalg
        found = space.get(sub)
        space = vars(found) if found is not None else {}
        jnp_space = getattr(jnp_space, sub, None)
    func = space.get(name)
    if callable(func):
        return func
    func = getattr(jnp_space, name, None)
    if callable(func):
        return lambda *args, **kwargs: _wrap_tree(func(*args, **kwargs))
    return None


def no_counterpart_error(qualname: str, bp_name: str | None = None) -> NumpyInJaxError:
    """The error of ``numpy.<qualname>`` called on traced values (jax backend)."""
    hint = f"bp.math.{bp_name or qualname.split('.')[-1]}"
    return NumpyInJaxError(
        f"numpy.{qualname} is called on a traced value{_user_line()}: inside compiled code "
        "on the jax backend (bp.math.jit, loops, integrators) arrays are JAX values, which "
        f"NumPy cannot compute on, and numpy.{qualname} has no jax counterpart to run "
        f"instead. Use {hint} (or a jax.numpy function): bp.math names the right function "
        "on both backends."
    )


def _tb_user_line(tb) -> tuple[str, str]:
    """(' at file:line: `code`', code) of the innermost user frame of a traceback."""
    for frame in reversed(traceback.extract_tb(tb)):
        if not frame.filename.startswith(_SKIP):
            code = (frame.line or "").strip()
            text = f": `{code}`" if code else ""
            return f" at {frame.filename}:{frame.lineno}{text}", code
    return "", ""


def conversion_error(err, where: str) -> NumpyInJaxError:
    """A clear error for JAX's TracerArrayConversionError raised while tracing
    ``where``: NumPy was given a raw traced value (``np.exp(x.value)``)."""
    line, code = _tb_user_line(err.__traceback__)
    names = re.findall(r"\b(?:np|numpy)\.((?:\w+\.)*\w+)\s*\(", code)
    hint = ", ".join(f"bp.math.{n}" for n in dict.fromkeys(names)) or "bp.math.<name>"
    return NumpyInJaxError(
        f"{where}: NumPy was given a traced JAX value{line}. Inside compiled code on the "
        "jax backend values are abstract, and NumPy computes only on concrete arrays. Use "
        f"{hint} (the same name; it computes on JAX values and runs NumPy on the numpy "
        "backend), or call NumPy on the JaxArray itself rather than on its .value (NumPy "
        "functions given JaxArrays run their bp.math counterparts in traced code)."
    )


def array_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """``JaxArray.__array_ufunc__`` (see the module docstring)."""
    if any(_traced(x) for x in inputs) or any(_traced(v) for v in kwargs.values()):
        name = ufunc.__name__
        out = kwargs.get("out")
        func = _jax_function("numpy", name)
        if method != "__call__":
            func = getattr(getattr(jnp, name, None), method, None)
            if func is not None:
                jfunc = func
                func = lambda *a, **k: _wrap_tree(jfunc(*a, **k))  # noqa: E731
        if func is None or out is not None:
            raise no_counterpart_error(
                f"{name}.{method}" if method != "__call__" else name,
                name if out is None else f"{name} without out=",
            )
        return func(*(unwrap(x) for x in inputs), **unwrap(kwargs))
    if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in _REFLECTED:
        left, right = inputs
        if isinstance(right, JaxArray) and not isinstance(left, JaxArray):
            return getattr(right, _REFLECTED[ufunc])(left)
    kwargs = {k: _host(v) for k, v in kwargs.items()}
    return getattr(ufunc, method)(*(_host(x) for x in inputs), **kwargs)


def array_function(func, args: tuple, kwargs: dict):
    """``JaxArray.__array_function__`` (see the module docstring)."""
    if any(_traced(a) for a in args) or any(_traced(v) for v in kwargs.values()):
        module = func.__module__ or "numpy"
        name = func.__name__
        jfunc = _jax_function(module, name) if module.startswith("numpy") else None
        if jfunc is None:
            qual = f"{module.removeprefix('numpy').lstrip('.')}.{name}".lstrip(".")
            raise no_counterpart_error(qual)
        return jfunc(*args, **kwargs)
    implementation = getattr(func, "_implementation", None)
    if implementation is not None:
        return implementation(*args, **kwargs)
    return func(*_host(args), **{k: _host(v) for k, v in kwargs.items()})


def _install() -> None:
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return array_function(func, args, kwargs)

    JaxArray.__array_ufunc__ = __array_ufunc__
    JaxArray.__array_function__ = __array_function__


_install()
