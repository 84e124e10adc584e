"""How brainjit drives Numba, for short cold builds: the options of functions that only
compiled code calls, and two changes to how Numba builds code, applied on import.

Every Numba dispatcher compiles, besides its code, a CPython wrapper (so Python can call
it) and a C-callable wrapper (so it can be passed around as a first-class function).
The functions ``bp.math.jit`` generates for the methods a jitted function calls, and
the ``@overload`` implementations of ``bp.math.elementwise``, are only ever called from
compiled code: :data:`INNER` leaves both wrappers out (about 0.1 s per function on the
benchmark machine, a sixth of the cold build of the COBA network).

Such a function's machine code is never run either. Numba links a callee into each
caller as LLVM IR, and optimises and emits machine code for the caller with the callee
in it; yet it also emits the callee's own machine code as soon as the callee is
compiled (to find its Python wrapper, which these functions do not have). For the
Hodgkin-Huxley network that is every level of calls emitted once more: 1.2 s of a 9 s
cold build; and every level optimised once more too (LLVM's module passes over the
callee, then again over the caller with the callee inlined): another second.
:func:`apply` makes a function without a Python wrapper *link-only*: its library gets
Numba's per-function optimisations as before, but its module passes run and its machine
code is emitted only in its callers, or if something asks for its own code (a pointer
to one of its functions, or its object code for Numba's disk cache; neither happens for
these functions). What it needs at run time, its environment (the object dynamic
exceptions are raised through), is filled in when the machine code of a caller that
contains it is emitted, as Numba does for the callee's own code.

Assigning an array to a slice (``x[...] = y``, ``x[:] = y``, ``buf[i] = row``) makes
Numba emit a shape check whose error path formats both shapes into the message with
f-strings (``numba.np.arrayobj.raise_with_shape_context``). Typing and compiling that
string formatting costs about 3 s per process and per pair of ranks (measured with Numba
0.68 on the benchmark machine: the first ``x[:] = y`` in a process compiles in 3.1 s, the
next in 0.3 s), a quarter of a cold build of the COBA network. :func:`apply` points
Numba at an equivalent that raises the same ``ValueError`` with the two shapes as
arguments of the exception instead (Numba's dynamic exceptions), which compiles in
milliseconds::

    ValueError('cannot assign: the value cannot be broadcast to the target (value
    shape, target shape)', (3,), (10,))

Only the message of an error that was already raised changes; the check itself and
everything else Numba generates stay as they were.
"""

from __future__ import annotations

import weakref

from numba import _dynfunc
from numba.core import codegen, cpu, typed_passes
from numba.extending import overload
from numba.np import arrayobj

from brainjit import _cache

INNER = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
"""``numba.njit`` options of functions called only from compiled code (no wrappers)."""


MESSAGE = "cannot assign: the value cannot be broadcast to the target (value shape, target shape)"


def raise_shape_mismatch(src_shapes, index_shape):
    """Raise the ValueError of a slice assignment whose shapes do not broadcast
    (Numba-compiled only)."""
    raise ValueError(MESSAGE, src_shapes, index_shape)


@overload(raise_shape_mismatch, target="CPU")
def _raise_shape_mismatch_impl(src_shapes, index_shape):
    def impl(src_shapes, index_shape):
        raise ValueError(MESSAGE, src_shapes, index_shape)

    return impl


# -- link-only libraries ----------------------------------------------------------------

# the environment of each link-only function, by the name of the global that points to it
# (weakly: the function's compiled code holds it, and goes with its dispatcher)
_ENVIRONMENTS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _defines(library, name: str) -> bool:
    try:
        return not library._final_module.get_function(name).is_declaration
    except NameError:
        return False


def _get_executable(self, library, fndesc, env):
    """``CPUContext.get_executable``: a function without a Python wrapper (only compiled
    code calls it) gets no machine code of its own, and its library becomes link-only."""
    if library._finalized or _defines(library, fndesc.llvm_cpython_wrapper_name):
        return _NUMBA["get_executable"](self, library, fndesc, env)
    library._brainjit_link_only = True
    _ENVIRONMENTS[self.get_env_name(fndesc)] = env
    # what Numba makes for a function without a wrapper: a callable at address 0, which
    # only identifies the compiled function (and keeps its library alive)
    return _dynfunc.make_function(
        fndesc.lookup_module(),
        fndesc.qualname.split(".")[-1],
        f"compiled wrapper for {fndesc.qualname!r}",
        0,
        env,
        (library,),
    )


def _native_lowering(self, state):
    """``BaseNativeLowering.run_pass``: a function compiled to be linked only (Numba's
    ``no_compile``: the helpers its lowering compiles with ``compile_internal``) is
    link-only as well (no ``get_executable`` sees it)."""
    result = _NUMBA["run_pass"](self, state)
    library = state.library
    if state.flags.no_compile and isinstance(library, codegen.JITCodeLibrary):
        if not library._finalized:
            library._brainjit_link_only = True
    return result


def _deferred(library) -> bool:
    """Whether ``library`` is link-only and its own code has not been asked for."""
    return getattr(library, "_brainjit_link_only", False) and not getattr(
        library, "_brainjit_emit", False
    )


def _finalize_final_module(self):
    """``CPUCodeLibrary._finalize_final_module``: no machine code for a link-only library
    (until asked for); after emitting any other, point the link-only functions linked
    into it at their environments."""
    if _deferred(self):
        self._finalized = True
        self._brainjit_pending = True
        return
    _NUMBA["_finalize_final_module"](self)
    self._brainjit_pending = False
    names = {gv.name for gv in self._final_module.global_variables}
    for name in names:
        env = _ENVIRONMENTS.get(name)
        if env is not None:
            self._codegen.set_env(name, env)


def _optimize_final_module(self):
    """``CPUCodeLibrary._optimize_final_module``: not for a link-only library, which is
    optimised inside each caller, with the caller (until its own code is asked for)."""
    if _deferred(self):
        return
    _NUMBA["_optimize_final_module"](self)


def _emit_pending(library) -> None:
    """Optimise a link-only library and emit its machine code, now that something
    needs it."""
    if getattr(library, "_brainjit_pending", False):
        library._brainjit_emit = True
        _optimize_final_module(library)
        _finalize_final_module(library)


def _get_pointer_to_function(self, name):
    """``JITCodeLibrary.get_pointer_to_function``: emits a link-only library's code first
    when it defines ``name``."""
    self._ensure_finalized()
    if getattr(self, "_brainjit_pending", False):
        if not _defines(self, name):
            return 0
        _emit_pending(self)
    return _NUMBA["get_pointer_to_function"](self, name)


def _serialize_using_object_code(self):
    """``CPUCodeLibrary.serialize_using_object_code``: emits a link-only library's code
    first (Numba's disk cache stores object code)."""
    self._ensure_finalized()
    _emit_pending(self)
    return _NUMBA["serialize_using_object_code"](self)


_PATCHES = (
    (typed_passes.BaseNativeLowering, "run_pass", _native_lowering),
    (cpu.CPUContext, "get_executable", _get_executable),
    (codegen.CPUCodeLibrary, "_optimize_final_module", _optimize_final_module),
    (codegen.CPUCodeLibrary, "_finalize_final_module", _finalize_final_module),
    (codegen.JITCodeLibrary, "get_pointer_to_function", _get_pointer_to_function),
    (codegen.CPUCodeLibrary, "serialize_using_object_code", _serialize_using_object_code),
)
_NUMBA: dict = {}  # Numba's own versions of what _PATCHES replaces


def apply() -> None:
    """Point Numba's slice assignment at :func:`raise_shape_mismatch` and make functions
    without a Python wrapper link-only (idempotent).

    ``fancy_setslice`` looks ``raise_with_shape_context`` up in its module's globals
    each time it lowers an assignment, so replacing the module attribute is enough. If
    a future Numba renames it, or any of the methods the link-only libraries replace,
    nothing is replaced and Numba's own version is used.
    """
    if hasattr(arrayobj, "raise_with_shape_context"):
        arrayobj.raise_with_shape_context = raise_shape_mismatch
    if _NUMBA or not all(hasattr(owner, name) for owner, name, _ in _PATCHES):
        return
    for owner, name, ours in _PATCHES:
        _NUMBA[name] = getattr(owner, name)
        setattr(owner, name, ours)


apply()
_cache.guard_numba_cache()  # Numba's disk cache: never stale, never fatal
