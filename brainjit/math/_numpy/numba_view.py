"""What Numba-compiled code sees of ``bp.math`` on the numpy backend.

Compiled code must call NumPy's own functions, which Numba compiles natively. This
module builds *views*: module objects shaped like ``brainjit``, ``brainjit.math``,
``brainjit.math.random`` ... whose attributes are the NumPy functions (or Numba-compiled
equivalents) behind our thin wrappers. The jit machinery substitutes them for the real
modules in the globals of the functions it compiles.
"""

from __future__ import annotations

import types

import numba
import numpy as np
from numba.extending import overload

from brainjit.math._numpy import bits, vmath
from brainjit.math._numpy import random as _random


@numba.njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


def seed_numba(seed: int) -> None:
    """Seed the generator Numba-compiled code draws from."""
    _seed(int(seed))


@overload(_random.bernoulli)
def _bernoulli_impl(p=0.5, size=None):
    if isinstance(size, (numba.types.NoneType, numba.types.Omitted)) or size is None:

        def impl(p=0.5, size=None):
            return np.random.random() < p

    else:

        def impl(p=0.5, size=None):
            return np.random.random(size) < p

    return impl


@overload(_random.truncated_normal)
def _truncated_normal_impl(lower, upper, size=None, scale=None):
    def draw(lower, upper):
        while True:
            x = np.random.standard_normal()
            if lower <= x <= upper:
                return x

    draw = numba.njit(draw)
    scalar = isinstance(size, (numba.types.NoneType, numba.types.Omitted)) or size is None
    unscaled = isinstance(scale, (numba.types.NoneType, numba.types.Omitted)) or scale is None

    if scalar:

        def impl(lower, upper, size=None, scale=None):
            x = draw(lower, upper)
            return x if unscaled else x * scale

    else:

        def impl(lower, upper, size=None, scale=None):
            out = np.empty(size)
            flat = out.reshape(-1)
            for i in range(flat.size):
                flat[i] = draw(lower, upper)
            return out if unscaled else out * scale

    return impl


# NumPy distributions Numba lacks (or lacks with ``size``): what compiled code calls for
# them (random_view); each draws element by element from Numba's own samplers.


def _no_size(size) -> bool:
    return isinstance(size, (numba.types.NoneType, numba.types.Omitted)) or size is None


def random_integers(low, high=None, size=None):
    """Integers in [low, high] (``[1, low]`` without ``high``)."""
    return np.random.random_integers(low, high, size)


def negative_binomial(n, p, size=None):
    """Failures before the ``n``-th success."""
    return np.random.negative_binomial(n, p, size)


def noncentral_f(dfnum, dfden, nonc, size=None):
    """Noncentral F floats."""
    return np.random.noncentral_f(dfnum, dfden, nonc, size)


def multivariate_normal(mean, cov, size=None, check_valid="warn", tol=1e-8):
    """Multivariate normal vectors (compiled: ``cov`` is not checked)."""
    return np.random.multivariate_normal(mean, cov, size, check_valid, tol)


@numba.njit
def _multivariate_normal_rows(mean, cov, n):
    """``n`` rows as NumPy draws them: ``z @ (sqrt(s)[:, None] * v) + mean``, from the SVD."""
    m = np.asarray(mean, dtype=np.float64)
    _, s, v = np.linalg.svd(np.asarray(cov, dtype=np.float64))
    factor = np.sqrt(s).reshape(-1, 1) * v
    z = np.random.standard_normal(n * m.shape[0]).reshape(n, m.shape[0])
    return z @ factor + m


@overload(multivariate_normal)
def _multivariate_normal_impl(mean, cov, size=None, check_valid="warn", tol=1e-8):
    if _no_size(size):

        def impl(mean, cov, size=None, check_valid="warn", tol=1e-8):
            return _multivariate_normal_rows(mean, cov, 1)[0]

    elif isinstance(size, numba.types.Integer):

        def impl(mean, cov, size=None, check_valid="warn", tol=1e-8):
            return _multivariate_normal_rows(mean, cov, size)

    else:

        def impl(mean, cov, size=None, check_valid="warn", tol=1e-8):
            n = 1
            for d in size:
                n *= d
            return _multivariate_normal_rows(mean, cov, n).reshape(size + (len(mean),))

    return impl


def vonmises(mu, kappa, size=None):
    """von Mises floats in [-pi, pi] (Numba's own are in [0, 2 pi))."""
    return np.random.vonmises(mu, kappa, size)


@overload(vonmises)
def _vonmises_impl(mu, kappa, size=None):
    if _no_size(size):

        def impl(mu, kappa, size=None):
            return np.mod(np.random.vonmises(mu, kappa) + np.pi, 2 * np.pi) - np.pi

    else:

        def impl(mu, kappa, size=None):
            return np.mod(np.random.vonmises(mu, kappa, size) + np.pi, 2 * np.pi) - np.pi

    return impl


@overload(random_integers)
def _random_integers_impl(low, high=None, size=None):
    no_high, scalar = _no_size(high), _no_size(size)

    def impl(low, high=None, size=None):
        lo, hi = (1, low) if no_high else (low, high)
        if scalar:
            return np.random.randint(lo, hi + 1)
        return np.random.randint(lo, hi + 1, size)

    return impl


@numba.njit
def _negative_binomial_one(n, p):
    return np.random.poisson(np.random.gamma(n, (1 - p) / p))


@overload(negative_binomial)
def _negative_binomial_impl(n, p, size=None):
    if _no_size(size):

        def impl(n, p, size=None):
            return _negative_binomial_one(n, p)

    else:

        def impl(n, p, size=None):
            out = np.empty(size, dtype=np.int64)
            flat = out.reshape(-1)
            for i in range(flat.size):
                flat[i] = _negative_binomial_one(n, p)
            return out

    return impl


@numba.njit
def _noncentral_f_one(dfnum, dfden, nonc):
    t = np.random.noncentral_chisquare(dfnum, nonc) * dfden
    return t / (np.random.chisquare(dfden) * dfnum)


@overload(noncentral_f)
def _noncentral_f_impl(dfnum, dfden, nonc, size=None):
    if _no_size(size):

        def impl(dfnum, dfden, nonc, size=None):
            return _noncentral_f_one(dfnum, dfden, nonc)

    else:

        def impl(dfnum, dfden, nonc, size=None):
            out = np.empty(size)
            flat = out.reshape(-1)
            for i in range(flat.size):
                flat[i] = _noncentral_f_one(dfnum, dfden, nonc)
            return out

    return impl


def where(condition, x=None, y=None):
    """``np.where``; compiled, it gives a number, not a 0-d array, when its three
    arguments are numbers (per-element code: ``bp.math.elementwise``), so no array is
    allocated per element."""
    if x is None and y is None:
        return np.where(condition)
    return np.where(condition, x, y)


def _absent(t) -> bool:
    return t is None or isinstance(t, (numba.types.NoneType, numba.types.Omitted))


_SCALARS = (numba.types.Number, numba.types.Boolean)


def _ndim(t) -> int | None:
    """0 for numbers and 0-d arrays, an array's ndim, None for anything else."""
    if isinstance(t, _SCALARS):
        return 0
    if isinstance(t, numba.types.Array):
        return t.ndim
    return None


@overload(where)
def _where_impl(condition, x=None, y=None):
    if all(isinstance(a, _SCALARS) for a in (condition, x, y)):
        return lambda condition, x=None, y=None: x if condition else y
    if _absent(x) and _absent(y):
        return lambda condition, x=None, y=None: np.where(condition)
    ndims = [_ndim(a) for a in (condition, x, y)]
    if set(ndims) == {0, 1}:
        return _where_1d(condition, x, y)
    return lambda condition, x=None, y=None: np.where(condition, x, y)


def _where_1d(condition, x, y):
    """``np.where(condition, x, y)`` for 1-D arrays and numbers (a neuron population's
    case): a plain loop, with NumPy's result dtype and broadcasting (each array of
    length 1 or n). Numba's own ``np.where`` goes through its general broadcasting code,
    which takes about 2 s to compile for each combination of argument types."""

    def dtype_of(t):
        return numba.np.numpy_support.as_dtype(t.dtype if isinstance(t, numba.types.Array) else t)

    dtype = np.promote_types(dtype_of(x), dtype_of(y))
    lines = ["def impl(condition, x=None, y=None):", "    n = 1"]
    elements = {}
    for name, t in (("condition", condition), ("x", x), ("y", y)):
        if isinstance(t, numba.types.Array) and t.ndim == 1:
            lines += [
                f"    m_{name} = {name}.shape[0]",
                f"    if m_{name} != 1:",
                f"        if n != 1 and m_{name} != n:",
                "            raise ValueError(_MISMATCH)",
                f"        n = m_{name}",
                f"    s_{name} = 0 if m_{name} == 1 else 1",
            ]
            elements[name] = f"{name}[i * s_{name}]"
        elif isinstance(t, numba.types.Array):  # 0-d
            elements[name] = f"{name}[()]"
        else:
            elements[name] = name
    lines += [
        "    out = np.empty(n, _dtype)",
        "    for i in range(n):",
        f"        out[i] = {elements['x']} if {elements['condition']} else {elements['y']}",
        "    return out",
    ]
    scope = {"np": np, "_dtype": dtype, "_MISMATCH": _WHERE_MISMATCH}
    exec("\n".join(lines), scope)
    return scope["impl"]


_WHERE_MISMATCH = "where: operands could not be broadcast together (1-D arrays of other lengths)"


# NumPy functions that compiled code calls in a form of ours: ``where`` (numbers for
# numbers), ``exp`` and ``expm1`` (vectorisable, :mod:`brainjit.math._numpy.vmath`),
# ``packbits`` (which Numba lacks, :mod:`brainjit.math._numpy.bits`)
_REPLACED = {
    id(np.where): where,
    id(np.exp): vmath.exp,
    id(np.expm1): vmath.expm1,
    id(np.packbits): bits.packbits,
}


def numpy_equivalent(obj):
    """The object compiled code should use in place of ``obj``: NumPy's own function, or
    the version of it in ``_REPLACED``."""
    inner = getattr(obj, "__wrapped__", obj)
    return _REPLACED.get(id(inner), inner)


def view_of(module: types.ModuleType, name: str | None = None) -> types.ModuleType:
    """A module whose attributes are the Numba-compilable equivalents of ``module``'s."""
    view = types.ModuleType(name or module.__name__)
    for key, value in vars(module).items():
        if key.startswith("__"):
            continue
        if key == "random" and isinstance(value, types.ModuleType):
            view.random = random_view()
        elif isinstance(value, types.ModuleType):
            view.__dict__[key] = view_of(value)
        else:
            view.__dict__[key] = numpy_equivalent(value)
    return view


def random_view() -> types.ModuleType:
    """``bp.math.random`` as compiled code sees it: Numba's ``np.random`` functions."""
    view = types.ModuleType("brainjit.math.random")
    for key in _random.NAMESPACE:
        if hasattr(np.random, key):
            view.__dict__[key] = getattr(np.random, key)
    view.bernoulli = _random.bernoulli  # compiled through the overloads above
    view.truncated_normal = _random.truncated_normal
    view.random_integers = random_integers
    view.negative_binomial = negative_binomial
    view.noncentral_f = noncentral_f
    view.multivariate_normal = multivariate_normal
    view.vonmises = vonmises
    view.ranf = view.sample = np.random.random_sample  # NumPy's aliases
    view.seed = np.random.seed
    return view


# -- what the jit machinery substitutes for the objects compiled code refers to ---------

_views: dict = {"key": None, "modules": {}, "wrapped": {}}


def _public_modules() -> dict[str, types.ModuleType]:
    """The brainjit modules whose names compiled code may refer to, by module name."""
    import sys

    from brainjit.math import _numpy

    found = {
        "brainjit": sys.modules["brainjit"],
        "brainjit.math": sys.modules["brainjit.math"],
        "brainjit.math.random": _numpy.NAMESPACE["random"],
    }
    for key in ("linalg", "fft", "activations"):
        module = _numpy.NAMESPACE.get(key)
        if isinstance(module, types.ModuleType):
            found[f"brainjit.math.{key}"] = module
    return found


def _wrapped_functions() -> dict[int, object]:
    """id(bp.math wrapper) -> the NumPy object it wraps, for every numpy-backend wrapper."""
    from brainjit.math import _numpy

    out: dict[int, object] = {}

    def add(namespace):
        for value in namespace.values():
            inner = getattr(value, "__wrapped__", None)
            if inner is not None and not isinstance(value, types.ModuleType):
                out[id(value)] = numpy_equivalent(value)

    add(_numpy.NAMESPACE)
    add(_random.NAMESPACE)
    for key in ("linalg", "fft", "activations"):
        module = _numpy.NAMESPACE.get(key)
        if isinstance(module, types.ModuleType):
            add(vars(module))
    return out


def _refresh_views() -> None:
    import sys

    bpmath = sys.modules["brainjit.math"]
    from brainjit.math import _numpy

    key = (len(vars(bpmath)), len(_numpy.NAMESPACE), id(bpmath.__dict__.get("zeros")))
    if _views["key"] == key:
        return
    wrapped = _wrapped_functions()
    modules = _public_modules()
    views: dict[int, types.ModuleType] = {}
    random_module = modules["brainjit.math.random"]
    views[id(random_module)] = random_view()

    from brainjit.math import _numpy

    def build(module: types.ModuleType, name: str, members=None) -> types.ModuleType:
        view = types.ModuleType(name, f"What compiled code sees of {name}.")
        views[id(module)] = view
        for attr, value in list((members or vars(module)).items()):
            if attr.startswith("_"):
                continue
            if isinstance(value, types.ModuleType):
                if id(value) in views:
                    view.__dict__[attr] = views[id(value)]
                elif value.__name__.startswith("brainjit"):
                    view.__dict__[attr] = build(value, f"{name}.{attr}")
                else:
                    view.__dict__[attr] = value
            else:
                view.__dict__[attr] = wrapped.get(id(value), value)
        return view

    for name in ("brainjit.math.linalg", "brainjit.math.fft"):
        if name in modules:
            build(modules[name], name)
    # bp.math as the numpy backend defines it, whichever backend is active
    members = {**vars(modules["brainjit.math"]), **_numpy.NAMESPACE}
    math_view = build(modules["brainjit.math"], "brainjit.math", members)
    top = build(modules["brainjit"], "brainjit")
    top.math = math_view
    _views.update(key=key, modules=views, wrapped=wrapped)


def compiled_equivalent(value):
    """What compiled code should see in place of ``value``.

    brainjit modules become views whose attributes are NumPy's functions; a ``bp.math``
    wrapper becomes the NumPy function (or ufunc) it wraps; anything else is itself.
    """
    _refresh_views()
    if isinstance(value, types.ModuleType):
        return _views["modules"].get(id(value), value)
    return _views["wrapped"].get(id(value), value)


def is_view(value) -> bool:
    """True for the module views built here (brainjit modules as compiled code sees them)."""
    _refresh_views()
    return isinstance(value, types.ModuleType) and any(
        value is view for view in _views["modules"].values()
    )


def known_to_numba(func) -> bool:
    """True when Numba compiles calls to the Python function ``func`` by itself
    (an ``@overload``-ed function, ``register_jitable`` ...)."""
    module = getattr(func, "__module__", None) or ""
    if module.split(".")[0] in ("numpy", "numba"):
        return True  # never rewrite NumPy's or Numba's own Python code
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()  # imports Numba's NumPy implementations
    context = cpu_target.typing_context
    context.refresh()
    try:
        context.resolve_value_type(func)
    except (ValueError, TypeError, numba.core.errors.TypingError):
        return False
    return True


_numpy_paths: dict[int, str] = {}


def numpy_path(value) -> str | None:
    """'numpy.exp', 'numpy.random.normal' ...: where ``value`` lives in NumPy, if it is a
    NumPy function, ufunc or type.

    Compiled code refers to NumPy's functions through these names: Numba's parallel
    transformations (``parallel=True``) recognise NumPy calls by them.
    """
    if not _numpy_paths:
        for prefix, module in (
            ("numpy", np),
            ("numpy.random", np.random),
            ("numpy.linalg", np.linalg),
            ("numpy.fft", np.fft),
        ):
            for name in dir(module):
                if name.startswith("_"):
                    continue
                obj = getattr(module, name, None)
                if callable(obj) and not isinstance(obj, types.ModuleType):
                    _numpy_paths.setdefault(id(obj), f"{prefix}.{name}")
    if not callable(value):
        return None
    return _numpy_paths.get(id(value))
