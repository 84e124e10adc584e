"""How brainjit drives Numba, for short cold builds: the options of functions that only
compiled code calls, and a fix to Numba's compile time applied on import.

Every Numba dispatcher compiles, besides its code, a CPython wrapper (so Python can call
it) and a C-callable wrapper (so it can be passed around as a first-class function).
The functions ``bp.math.jit`` generates for the methods a jitted function calls, and
the ``@overload`` implementations of ``bp.math.elementwise``, are only ever called from
compiled code: :data:`INNER` leaves both wrappers out (about 0.1 s per function on the
benchmark machine, a sixth of the cold build of the COBA network).

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

from numba.core import compiler, compiler_machinery, typed_passes
from numba.extending import overload
from numba.np import arrayobj

INNER = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
"""``numba.njit`` options of functions called only from compiled code (no wrappers)."""


@compiler_machinery.register_pass(mutates_CFG=False, analysis_only=True)
class _StopAfterTyping(compiler_machinery.FunctionPass):
    _name = "brainjit_stop_after_typing"

    def __init__(self):
        compiler_machinery.FunctionPass.__init__(self)

    def run_pass(self, state):
        raise compiler._EarlyPipelineCompletion(state.return_type)


class _TypingPipeline(compiler.CompilerBase):
    """Numba's nopython pipeline up to and including type inference."""

    def define_pipelines(self):
        full = compiler.DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm = compiler_machinery.PassManager("brainjit_typing")
        for pass_class, description in full.passes:
            pm.add_pass(pass_class, description)
            if pass_class is typed_passes.NopythonTypeInference:
                break
        pm.add_pass(_StopAfterTyping, "stop after type inference")
        pm.finalize()
        return [pm]


def return_type(dispatcher, arg_types: tuple):
    """The type ``dispatcher`` returns for arguments of ``arg_types``, from Numba's type
    inference alone: no code is generated (``dispatcher.compile`` would also lower and
    optimise it, and emit machine code). Raises Numba's typing errors."""
    from numba.core.registry import cpu_target

    flags = compiler.Flags()
    dispatcher.targetdescr.options.parse_as_flags(flags, dispatcher.targetoptions)
    typing_context = cpu_target.typing_context
    target_context = cpu_target.target_context
    typing_context.refresh()
    target_context.refresh()
    return compiler.compile_extra(
        typing_context,
        target_context,
        dispatcher.py_func,
        tuple(arg_types),
        None,
        flags,
        dict(dispatcher.locals),
        pipeline_class=_TypingPipeline,
    )


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


def apply() -> None:
    """Point Numba's slice assignment at :func:`raise_shape_mismatch` (idempotent).

    ``fancy_setslice`` looks ``raise_with_shape_context`` up in its module's globals
    each time it lowers an assignment, so replacing the module attribute is enough. If
    a future Numba renames it, nothing is replaced and Numba's own version is used.
    """
    if hasattr(arrayobj, "raise_with_shape_context"):
        arrayobj.raise_with_shape_context = raise_shape_mismatch


apply()
