"""``bp.math.elementwise``: a per-element function, fused into one loop in Numba code.

Model updates are mostly element-by-element: each neuron's new state depends on its own
old state and a few numbers. Written with arrays (``bm.where``, ``bm.exp``, ...), every
operation is a separate pass over the population with its own temporary array. XLA
fuses such passes by itself; Numba does not (an array operation costs 1-4 µs for a few
thousand neurons, a fused loop a fraction of that, and repeated transcendental
functions are computed once per neuron).

``elementwise(f)`` marks a function written with ``bp.math`` operations that act element
by element, and returns a function that calls it:

- eagerly (both backends) and under JAX: ``f`` itself, on whole arrays;
- in code compiled by ``bp.math.jit`` on the numpy backend: one loop over the elements
  that calls ``f`` compiled for scalars (``f`` goes through the same rewriter as other
  compiled functions). Array arguments must all have the same shape; numbers are passed
  to every element. The results are new arrays of that shape (one per returned value;
  ``f`` may return a tuple).

``out=(a, b, ...)`` (one array per returned value, of the arguments' shape) writes the
results into those arrays, in place, and returns them: in Numba code no array is
allocated at all. An output may be one of the inputs (``out=(self.V, ...)`` with
``self.V`` an argument): each element is read before it is written.

The implementation is a Numba ``@overload`` of the returned function, generated per
argument types when Numba compiles a call: which arguments are arrays, and the result
types (from ``f`` compiled for the element types), are known then.

An output that is also an input (``out=(V, ...)`` with ``V`` an argument) needs one
more fact that the types do not give: that the two are the same array. Written through
two names, LLVM's check for overlapping arrays fails at run time and the vectorised loop
is skipped (the scalar loop is 2-3x slower). The numpy backend's rewriter sees the call
and calls :func:`with_aliases` where an ``out`` element is the same name as an argument;
the loop then reads and writes that array through one name.
"""

from __future__ import annotations

import inspect
import linecache

import numba
import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload

from brainjit.math import _numba

__all__ = ["elementwise"]


def elementwise(f):
    """Mark ``f`` as an element-by-element function (see the module docstring).

    ``f`` takes its arguments by position or keyword (no ``*args``/``**kwargs``) and
    returns a value or a tuple of values; applied to arrays of one shape (and numbers)
    it must give what applying it to each element would give. Usable as a decorator.
    """
    if not inspect.isfunction(f):
        raise TypeError(f"bp.math.elementwise: expected a Python function, got {f!r}")
    signature = inspect.signature(f)
    for p in signature.parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(
                f"bp.math.elementwise({f.__qualname__}): parameter {p.name!r} must be a "
                "plain positional parameter (no *args, **kwargs or keyword-only)"
            )

    if "out" in signature.parameters:
        raise TypeError(f"bp.math.elementwise({f.__qualname__}): 'out' is reserved for the outputs")

    return _register(f, signature, ())


def _register(f, signature: inspect.Signature, aliases: tuple):
    """A caller of ``f`` with its Numba overload (``aliases``: see :func:`with_aliases`)."""
    call = _caller(f, signature)
    call.__brainjit_elementwise__ = f
    call.__brainjit_aliases__ = aliases
    # error_model="numpy": x / 0 gives inf or nan, as the function applied to arrays
    # does (and the loop has no exit for ZeroDivisionError, so LLVM can vectorise it)
    # and no Python wrappers: only compiled code calls it (brainjit.math._numba.INNER)
    options = {"nogil": True, "error_model": "numpy", **_numba.INNER}
    overload(call, jit_options=options)(_typer(f, signature, aliases))
    return call


_VARIANTS: dict = {}


def with_aliases(call, aliases: tuple):
    """The function ``call`` (made by :func:`elementwise`) for calls in which output ``k``
    is the argument named ``name``, for each ``(k, name)`` in ``aliases``: the same
    results, computed by a loop that reads and writes that array through one name (so
    that LLVM vectorises it). The loop checks that the two are the same array."""
    f = call.__brainjit_elementwise__
    aliases = tuple(aliases)
    if not aliases:
        return call
    key = (f, aliases)
    variant = _VARIANTS.get(key)
    if variant is None:
        variant = _VARIANTS[key] = _register(f, inspect.signature(f), aliases)
    return variant


_KERNELS: dict = {}


def _kernel(f, float32: bool = False):
    """``f`` rewritten for Numba (the numpy backend's ``jit``) and compiled for calls
    from the loop only, which LLVM inlines it into (``forceinline``); with
    ``float32``, its float literals and constants are float32 (for float32 arrays).
    The rewriter asks for it (:func:`kernel_key`) while it digests code that calls
    ``elementwise(f)``, before that code is compiled or loaded from Numba's on-disk
    cache: the kernel's generated modules are imported by then, as cached code that
    refers to them needs."""
    kernel = _KERNELS.get((f, float32))
    if kernel is None:
        from brainjit.math._numpy.jit import compiled_only  # the rewriter

        # error_model="numpy": x / 0 gives inf or nan, as f applied to arrays does, and
        # the loop has no exit for ZeroDivisionError, so LLVM can vectorise it
        unit = compiled_only(
            f,
            forceinline=True,
            error_model="numpy",
            float_literals="float32" if float32 else "float64",
        )
        kernel = _KERNELS[(f, float32)] = unit.dispatcher
        if not float32:
            _KEYS[f] = unit.key
    return kernel


_KEYS: dict = {}


def kernel_key(f) -> str:
    """The digest of ``f``'s rewritten code and of everything it calls: the digest of
    code that calls ``elementwise(f)`` includes it, so that Numba's on-disk cache of that
    code is not reused once ``f`` (or a function it calls) changes."""
    _kernel(f)
    _kernel(f, float32=True)  # generated from the same code
    return _KEYS[f]


def _apply(f, out, args):
    """``f(*args)``, its results written into ``out`` when given (the eager and JAX
    path)."""
    result = f(*args)
    if out is None:
        return result
    results = result if isinstance(result, tuple) else (result,)
    if not isinstance(out, tuple) or len(out) != len(results):
        raise ValueError(
            f"bp.math.elementwise({f.__qualname__}): out must be a tuple of "
            f"{len(results)} array(s), one per returned value"
        )
    for target, value in zip(out, results):
        target[...] = value
    return out


def _parameters(signature: inspect.Signature) -> tuple[list[str], list[str], dict]:
    """Parameter names, their source (defaults from ``_defaults``), the defaults."""
    names = list(signature.parameters)
    params = []
    defaults: dict = {}
    for name, p in signature.parameters.items():
        if p.default is inspect.Parameter.empty:
            params.append(name)
        else:
            params.append(f"{name}=_defaults[{name!r}]")
            defaults[name] = p.default
    return names, params, defaults


def _exec(source: str, filename: str, scope: dict, name: str):
    """Define ``name`` from ``source``, its lines kept for tracebacks and ``inspect``."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), scope)
    return scope[name]


def _caller(f, signature: inspect.Signature):
    """The function ``elementwise`` returns: ``f``'s parameters plus ``out=None``."""
    names, params, defaults = _parameters(signature)
    source = (
        f"def {f.__name__}({', '.join(params)}, out=None):\n"
        f"    return _apply(_f, out, ({', '.join(names)}{',' if names else ''}))\n"
    )
    scope = {"_apply": _apply, "_f": f, "_defaults": defaults}
    call = _exec(source, f"<bp.math.elementwise {f.__qualname__}>", scope, f.__name__)
    call.__qualname__ = f.__qualname__
    call.__module__ = f.__module__
    call.__doc__ = f.__doc__
    return call


def _typer(f, signature: inspect.Signature, aliases: tuple):
    """The ``@overload`` implementation generator, with ``f``'s signature."""
    names, params, defaults = _parameters(signature)
    source = (
        f"def typer({', '.join(params)}, out=None):\n"
        f"    return _generate(_f, _names, [{', '.join(names)}], _defaults, out, _aliases)\n"
    )
    scope = {
        "_generate": _generate,
        "_f": f,
        "_names": names,
        "_defaults": defaults,
        "_aliases": aliases,
    }
    return _exec(source, f"<bp.math.elementwise typer of {f.__qualname__}>", scope, "typer")


def _element_type(t, float32: bool = False):
    """The type of one element of an argument of type ``t``; with ``float32``, a float
    number (not an array's element) is float32."""
    if not isinstance(t, types.Type):  # an omitted argument's default value
        t = numba.typeof(t)
    elif isinstance(t, types.Array) and t.ndim > 0:
        return t.dtype
    elif isinstance(t, types.Array):  # 0-d: its one value, a number
        t = t.dtype
    elif isinstance(t, types.Omitted):
        t = numba.typeof(t.value)
    if float32 and isinstance(t, types.Float):
        return types.float32
    return t


def _weak_float32(arg_types) -> bool:
    """Whether the float arrays among the arguments are all float32: the numbers then
    act as float32 (NumPy 2's and JAX's rule for Python scalars), and so do the
    function's float literals, so the loop computes in float32 (twice the elements per
    vector instruction)."""
    floats = {
        t.dtype.bitwidth
        for t in arg_types
        if isinstance(t, types.Array) and t.ndim > 0 and isinstance(t.dtype, types.Float)
    }
    return floats == {32}


def _aliased_outputs(aliases: tuple, names: list[str], arg_types: list, out) -> dict:
    """``{k: name}`` for the outputs that are array arguments (``aliases``) and may be
    written through the argument's name: a C-contiguous array of the output's type, so
    that the loop's view of it is the array itself, not a copy."""
    types_of = dict(zip(names, arg_types))
    same = {}
    for k, name in aliases:
        t = types_of.get(name)
        if (
            isinstance(t, types.Array)
            and t.ndim > 0
            and t.layout == "C"
            and k < len(out.types)
            and t.dtype == out.types[k].dtype
            and t.mutable
        ):
            same[k] = name
    return same


def _generate(f, names: list[str], arg_types: list, defaults: dict, out, aliases=()):
    """The loop implementation for these argument types."""
    label = f"bp.math.elementwise({f.__qualname__})"
    arrays = [n for n, t in zip(names, arg_types) if isinstance(t, types.Array) and t.ndim > 0]
    if not arrays:
        raise TypingError(f"{label}: at least one argument must be an array in compiled code")
    ndims = {t.ndim for t in arg_types if isinstance(t, types.Array) and t.ndim > 0}
    if len(ndims) > 1:
        raise TypingError(
            f"{label}: the array arguments must have the same shape, got arrays of "
            f"{sorted(ndims)} dimensions"
        )
    # compiled for one element (once per element types): LLVM inlines it into the loop,
    # hoists what does not depend on the element and shares repeated subexpressions
    float32 = _weak_float32(arg_types)
    kernel = _kernel(f, float32)
    element_types = tuple(_element_type(t, float32) for t in arg_types)
    try:
        kernel.compile(element_types)
    except Exception as exc:  # noqa: BLE001 - reported with the function's name
        raise TypingError(f"{label}: cannot compile it for one element: {exc}") from exc
    result = kernel.overloads[element_types].signature.return_type
    outputs = list(result.types) if isinstance(result, types.BaseTuple) else [result]
    for t in outputs:
        if not isinstance(t, (types.Number, types.Boolean)):
            raise TypingError(f"{label}: it must return numbers or a tuple of numbers, got {t}")
    dtypes = [numba.np.numpy_support.as_dtype(t) for t in outputs]
    in_place = not (out is None or isinstance(out, (types.NoneType, types.Omitted)))
    if in_place:
        if not isinstance(out, types.BaseTuple) or len(out) != len(outputs):
            raise TypingError(f"{label}: out must be a tuple of {len(outputs)} array(s), got {out}")
        ndim = next(iter(ndims))
        for t in out.types:
            if not isinstance(t, types.Array) or t.layout != "C" or t.ndim != ndim:
                raise TypingError(
                    f"{label}: out must hold C-contiguous arrays of the arguments' shape"
                )

    first = arrays[0]
    # 1-D arrays (a population's Variables) are indexed as they are; others through a
    # C-contiguous 1-D view (a copy where they are not contiguous)
    flat = next(iter(ndims)) == 1
    params = [f"{n}=_ew_defaults[{n!r}]" if n in defaults else n for n in names]
    lines = [
        f"def impl({', '.join(params)}, out=None):",
        f"    _ew__shape = {first}.shape",
        f"    _ew__n = {first}.size",
    ]
    for name in arrays[1:]:
        lines += [
            f"    if {name}.shape != _ew__shape:",
            f"        raise ValueError('{label}: the array arguments must have the same shape')",
        ]
    elements = []
    for name, t, e in zip(names, arg_types, element_types):
        if name in arrays:
            if flat and t.layout == "C":
                lines.append(f"    _ew_a_{name} = {name}")
            else:
                lines.append(f"    _ew_a_{name} = _ew_np.ascontiguousarray({name}).reshape(_ew__n)")
            elements.append(f"_ew_a_{name}[_ew__i]")
            continue
        value = f"{name}[()]" if isinstance(t, types.Array) else name  # 0-d: its value
        if float32 and e == types.float32:
            lines.append(f"    _ew_s_{name} = _ew_np.float32({value})")
            value = f"_ew_s_{name}"
        elements.append(value)
    same = _aliased_outputs(aliases, names, arg_types, out) if in_place else {}
    for k in range(len(outputs)):
        if in_place:
            lines += [
                f"    if out[{k}].shape != _ew__shape:",
                f"        raise ValueError('{label}: out must have the arguments\\' shape')",
            ]
            if k in same:  # the argument's array itself, under its name in the loop
                lines += [
                    f"    if out[{k}].ctypes.data != {same[k]}.ctypes.data:",
                    f"        raise ValueError('{label}: out[{k}] is not {same[k]}')",
                    f"    _ew__out{k} = _ew_a_{same[k]}",
                ]
            else:
                view = "" if flat else ".reshape(_ew__n)"
                lines.append(f"    _ew__out{k} = out[{k}]{view}")
        else:
            lines.append(f"    _ew__out{k} = _ew_np.empty(_ew__n, _ew_dtype{k})")
    lines += [
        "    for _ew__i in range(_ew__n):",
        f"        _ew__r = _ew_kernel({', '.join(elements)})",
    ]
    reshape = "" if flat else ".reshape(_ew__shape)"
    if isinstance(result, types.BaseTuple):
        lines += [f"        _ew__out{k}[_ew__i] = _ew__r[{k}]" for k in range(len(outputs))]
        shaped = "(" + "".join(f"_ew__out{k}{reshape}, " for k in range(len(outputs))) + ")"
    else:
        lines.append("        _ew__out0[_ew__i] = _ew__r")
        shaped = f"_ew__out0{reshape}"
    lines.append(f"    return {'out' if in_place else shaped}")
    scope = {"_ew_np": np, "_ew_kernel": kernel, "_ew_defaults": defaults}
    scope.update({f"_ew_dtype{k}": dtype for k, dtype in enumerate(dtypes)})
    exec(compile("\n".join(lines) + "\n", f"<{label} loop>", "exec"), scope)
    return scope["impl"]
