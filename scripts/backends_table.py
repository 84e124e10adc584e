"""Generate ``docs/backends.md``: brainjit's own API on the numpy and the jax backend.

Compares, name by name, ``bp.math`` and each of its submodules (``random``,
``activations``, ``linalg``, ``fft`` and any added later) on the two backends, leaving
out NumPy's own names (``docs/api_comparison.md`` covers those):

- a name on one backend only must have a reason in ``ONE_BACKEND``;
- a function or class on both whose signature differs must have one in ``SIGNATURES``;
- a reason for a name that no longer differs is an error too (the table stays true).

``BEHAVIOUR`` lists the documented differences in behaviour of names both backends
have. Run through ``scripts/api_comparison.py`` (which writes both files; ``--check``
fails if either is out of date), or alone::

    python scripts/backends_table.py [--check]
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import brainjit as bp  # noqa: E402

OUTPUT = ROOT / "docs" / "backends.md"
BACKENDS = ("numpy", "jax")
# NumPy's names, whose status on each backend docs/api_comparison.md gives
NUMPY_COVERED = {"": np, "linalg": np.linalg, "fft": np.fft}

# why a name of brainjit's own API exists on one backend only ("bp.math.<path>")
ONE_BACKEND = {
    "bp.math.JaxArray": (
        "the jax backend's array class (a mutable wrapper of a `jax.Array`); the numpy "
        "backend's is `bp.math.ndarray`. Portable code names `bp.math.Array` or "
        "`bp.math.ndarray`: the active backend's class on both"
    ),
    "bp.math.grad": (
        "automatic differentiation needs JAX: use `bp.math.use_backend('jax')` "
        "(NumPy and Numba do not differentiate)"
    ),
    "bp.math.value_and_grad": "automatic differentiation needs JAX (as `grad`)",
    "bp.math.vector_grad": "automatic differentiation needs JAX (as `grad`)",
    "bp.math.random.DEFAULT": (
        "the jax backend's default generator, a `RandomState` whose PRNG key is a "
        "Variable (jitted code threads it); the numpy backend draws from NumPy's and "
        "Numba's global generators, which `seed`, `get_state` and `set_state` reach"
    ),
    "bp.math.random.split_key": (
        "a fresh JAX PRNG key split from the default generator's (BrainPy 2.x's "
        "`bm.random.split_key`): the numpy backend's generators have no key"
    ),
    "bp.math.random.get_bit_generator": (
        "`numpy.random`'s own (the bit generator behind NumPy's global generator); the "
        "jax backend's generator is a key: `bp.math.random.DEFAULT`"
    ),
    "bp.math.random.set_bit_generator": (
        "`numpy.random`'s own (as `get_bit_generator`); on the jax backend seed with "
        "`bp.math.random.seed`"
    ),
}

# why a function or class on both backends takes other parameters on each
SIGNATURES = {
    "bp.math.jit": (
        "the compilers' own options: Numba's `parallel=True` (accepted and ignored under "
        "jax) and further Numba options on the numpy backend; `static_argnums`, "
        "`static_argnames`, `donate` and `auto_control_flow` (native Python control flow "
        "converted) on the jax backend. `target`/`func` is the first argument on both"
    ),
    "bp.math.Array": (
        "the array class itself: `bp.math.ndarray(shape, dtype, ...)` is "
        "`numpy.ndarray`'s constructor, `JaxArray(value, dtype)` wraps a value; create "
        "arrays with `bp.math.array`/`asarray`/`zeros`, the same on both"
    ),
    "bp.math.random.get_state": (
        "NumPy's `get_state(legacy=True)` on the numpy backend; the jax backend's state "
        "is the key, there is no legacy tuple to choose"
    ),
    "bp.math.random.ranf": (
        "NumPy's deprecated alias of `random_sample`, passed through on the numpy backend; "
        "the jax backend spells out its `size`"
    ),
    "bp.math.random.sample": (
        "NumPy's alias of `random_sample`, passed through on the numpy backend; the jax "
        "backend spells out its `size`"
    ),
    "bp.math.random.shuffle": (
        "the jax backend also takes `axis` (as `numpy.random.Generator.shuffle`); "
        "NumPy's legacy `shuffle` shuffles axis 0 only"
    ),
}

# documented differences in behaviour of what both backends have:
# (topic, numpy backend, jax backend, where it is documented)
BEHAVIOUR = (
    (
        "array type",
        "`bp.math.ndarray`, a subclass of `numpy.ndarray`; slices are views",
        "`JaxArray` over an immutable `jax.Array`; a slice is a copy (write through the "
        "array: `x[1:3] = ...`)",
        "arrays.md; the example above",
    ),
    (
        "precision",
        "float64/int64 (NumPy's); `set_dfloat(float32)` for float32 model state",
        "float32/int32 unless `bp.math.enable_x64()`; a 64-bit dtype asked for is an error",
        "arrays.md",
    ),
    (
        "`bp.math.jit`",
        "Numba: the method's source is rewritten and compiled; only what Numba compiles "
        "runs inside (arrays, scalars, tuples, loops, NumPy functions)",
        "XLA: the function is traced; anything JAX traces runs inside; it may run on a GPU/TPU",
        "jit.md",
    ),
    (
        "`show_code=True`",
        "prints the generated Python source that Numba compiles",
        "prints the traced program (jaxpr)",
        "jit.md",
    ),
    (
        "Python `if`/`for`/`while` on values computed in jitted code (a condition on a "
        "whole array is refused on both, naming the line)",
        "compiled natively by Numba",
        "converted to `cond`/`for_loop`/`while_loop` (`auto_control_flow=True`)",
        "control_flow.md; jit.md",
    ),
    (
        "a Python `for i in range(n)` with a constant `n` in jitted code",
        "compiled natively by Numba: compile time does not depend on `n`",
        "more than 8 iterations: rolled into one `lax.fori_loop` (compile time and memory "
        "flat in `n`, `grad` works through it); a body that needs a concrete `i` unrolls, "
        "with the reason in `show_code` (and a warning from 100 iterations)",
        "control_flow.md",
    ),
    (
        "`for_loop`, `while_loop`, `cond`, `ifelse` in jitted code",
        "written out as the loop or `if` they stand for, compiled by Numba",
        "`jax.lax.scan`/`while_loop`/`cond`; writes into non-Variable arrays refused",
        "control_flow.md",
    ),
    (
        "random numbers",
        "NumPy's global generator (eager) and Numba's per-thread generators (compiled); "
        "`seed` seeds both",
        "a PRNG key held in a Variable (`random.DEFAULT`), split at every draw, also in "
        "jitted code; the same seed draws other numbers than on the numpy backend",
        "arrays.md",
    ),
    (
        "`random.hypergeometric`",
        "NumPy's",
        "draws one item at a time: its cost grows with `nsample`",
        "arrays.md",
    ),
    (
        "`softmax`, `log_softmax`, `standardize` in compiled code",
        "the last axis only (Numba)",
        "any axis",
        "arrays.md",
    ),
    (
        "`grad`, `value_and_grad`, `vector_grad`, `jacobian`, `hessian`, `vmap` ...",
        "an error that says to use the jax backend: Numba neither differentiates nor vectorises",
        "with respect to arguments and Variables; `(var_grads, arg_grads)` when both",
        "jit.md",
    ),
    (
        "`Runner(devices=..., mesh=...)`",
        "an error naming the jax backend: one machine",
        "the network is partitioned over the devices (`jax.sharding`)",
        "scaling.md",
    ),
    (
        "NumPy's functions (`np.exp`) on `bp.math` arrays in compiled code",
        "NumPy's own: Numba compiles them (and maps `bp.math.exp` to `np.exp`)",
        "run `bp.math`'s (`__array_ufunc__`/`__array_function__`); a function JAX lacks, or "
        "NumPy given a raw traced value, is an error naming the line and `bp.math.<name>`",
        "migrating.md",
    ),
    (
        "`bp.math.elementwise` in compiled code",
        "one fused Numba loop over the neurons (`out=` writes in place)",
        "the function applied to whole arrays (XLA fuses it)",
        "models.md",
    ),
    (
        "`bp.math.event_matvec`",
        "a Numba loop over the neurons that fired",
        "on the CPU the same Numba kernel called from XLA (`jax.ffi`); on a GPU/TPU a "
        "gather of the rows of the neurons that fired; differentiable",
        "models.md; design.md",
    ),
    (
        "`event_csr_select`, `event_csr_gather`, `event_csr_scatter` (plastic synapses: the "
        "synapses of the neurons that fired)",
        "exactly the entries of the rows that fired, in row order (a Numba loop; the length "
        "follows the spikes)",
        "every entry (static shapes), those of rows that did not fire out of range: writes "
        "drop them, gathers clamp",
        "plasticity.md",
    ),
    (
        "`segment_*`, `pre2syn`, `syn2post_*`, `pre2post_*`, `csr_matvec`, `sparse_matmul`",
        "serial Numba loops, also in compiled code except `sparse_matmul` (a dict: eager "
        "only); compiled, `num_segments` may be left to the ids",
        "`jax.ops.segment_*` and gathers, differentiable; in jitted code `num_segments` "
        "must be given (a static size)",
        "connectivity.md",
    ),
    (
        "a `bp.math.jit` function under JAX's own `jax.jit`, `jax.grad`, `jax.vmap`",
        "not applicable (no JAX)",
        "works: Variables are read; a write whose value JAX traces is refused",
        "control_flow.md",
    ),
    (
        "threads",
        "compiled code runs in the calling thread; one model per thread",
        "jitted calls are serialised by one lock (computation still overlaps)",
        "jit.md",
    ),
    (
        "`clear_cache()`",
        "frees compiled functions no object uses (Numba cannot free machine code)",
        "forgets every traced program and calls `jax.clear_caches()`",
        "jit.md",
    ),
)


def members(backend: str, path: str) -> dict:
    """The public names of ``bp.math`` (or ``bp.math.<path>``) with ``backend`` active."""
    with bp.math.backend(backend):
        module = bp.math
        for part in filter(None, path.split(".")):
            module = getattr(module, part)
        return {n: getattr(module, n) for n in dir(module) if not n.startswith("_")}


def submodules() -> list[str]:
    """``""`` (bp.math itself) and the path of every public submodule on either backend."""
    found = set()
    for backend in BACKENDS:
        found |= {n for n, v in members(backend, "").items() if isinstance(v, types.ModuleType)}
    return ["", *sorted(found)]


def own_names(path: str, names) -> set[str]:
    """``names`` less NumPy's (for bp.math, bp.math.linalg, bp.math.fft)."""
    numpy_module = NUMPY_COVERED.get(path)
    if numpy_module is None:
        return set(names)
    return {n for n in names if not hasattr(numpy_module, n)}


def signature(obj):
    """(name, kind) of each parameter (``*args``/``**kwargs`` whatever their names), or None."""
    if isinstance(obj, types.ModuleType) or not callable(obj):
        return None
    try:
        parameters = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    var = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return tuple((p.kind.name, "" if p.kind in var else p.name) for p in parameters)


def full_name(path: str, name: str) -> str:
    return ".".join(filter(None, ("bp.math", path, name)))


def error_stubs() -> dict:
    """{name: reason} of the numpy backend's names that only raise, pointing to jax.

    They exist so that code naming them imports (``bp.math.grad`` & co, defined in
    ``brainjit/math/_numpy/autodiff.py`` with the reason); a call raises.
    """
    try:
        from brainjit.math._numpy import autodiff  # noqa: PLC0415
    except ImportError:  # not there: no such names
        return {}
    return {id(f): autodiff.REASON for f in autodiff.FUNCTIONS.values()}


def compare() -> tuple[list, list]:
    """([(full name, backend that has it, what the other has)], [(full name, numpy
    signature, jax's)]); the other has "absent" or "error" (a function that raises)."""
    only, signatures = [], []
    stubs = error_stubs()
    for path in submodules():
        names = {b: members(b, path) for b in BACKENDS}
        for name in sorted(own_names(path, names["numpy"].keys() | names["jax"].keys())):
            have = [b for b in BACKENDS if name in names[b]]
            if len(have) == 1:
                only.append((full_name(path, name), have[0], "absent"))
                continue
            stub = [b for b in BACKENDS if id(names[b][name]) in stubs]
            if stub:
                other = next(b for b in BACKENDS if b not in stub)
                only.append((full_name(path, name), other, "error"))
                continue
            if isinstance(names["numpy"][name], types.ModuleType):
                continue
            sig = {b: signature(names[b][name]) for b in BACKENDS}
            if None not in sig.values() and sig["numpy"] != sig["jax"]:
                signatures.append((full_name(path, name), names["numpy"][name], names["jax"][name]))
    return only, signatures


def reason(name: str) -> str | None:
    """Why ``name`` is on one backend only (``ONE_BACKEND``, else the stub's reason)."""
    if name in ONE_BACKEND:
        return ONE_BACKEND[name]
    path, _, attr = name.rpartition(".")
    if path != "bp.math":
        return None
    with bp.math.backend("numpy"):
        obj = getattr(bp.math, attr, None)
    return error_stubs().get(id(obj))


def check(only, signatures) -> None:
    """Raise ValueError if a difference has no reason, or a reason no difference."""
    problems = []
    for names, reasons, what in (
        ([n for n, *_ in only], ONE_BACKEND, "ONE_BACKEND"),
        ([n for n, *_ in signatures], SIGNATURES, "SIGNATURES"),
    ):
        known = {n for n in names if n in reasons or (what == "ONE_BACKEND" and reason(n))}
        missing = sorted(set(names) - known)
        stale = sorted(reasons.keys() - set(names))
        if missing:
            problems.append(
                f"{', '.join(missing)}: on one backend only or with another signature on "
                f"each, and no reason in {what} of scripts/backends_table.py: provide the "
                "name on both backends (an error that points to the other backend is fine) "
                "or add the reason"
            )
        if stale:
            problems.append(
                f"{', '.join(stale)}: {what} of scripts/backends_table.py gives a reason, "
                "but the backends no longer differ there: remove the entry"
            )
    if problems:
        raise ValueError("\n".join(problems))


def describe(obj) -> str:
    try:
        return f"`{inspect.signature(obj)}`"
    except (TypeError, ValueError):  # pragma: no cover - only names with signatures get here
        return "?"


def generate() -> str:
    """The text of ``docs/backends.md``."""
    only, signatures = compare()
    check(only, signatures)
    lines = [
        "# The two backends",
        "",
        "<!-- generated by scripts/api_comparison.py (scripts/backends_table.py); do not "
        "edit by hand -->",
        "",
        "brainjit runs the same code on two backends: **numpy** (the default: NumPy arrays, "
        "compiled by Numba) and **jax** (JAX arrays, compiled by XLA for a CPU, GPU or "
        "TPU). Choose one in the code, `bp.math.use_backend('jax')` (or, for a while, "
        "`with bp.math.backend('jax'): ...`), or for a whole program from outside with "
        "the environment variable `BRAINJIT_BACKEND`, read at `import brainjit` "
        "(`numpy` when unset or empty; an unknown name is an error):",
        "",
        "```bash",
        "BRAINJIT_BACKEND=jax python examples/coba.py",
        "```",
        "",
        "The test suite runs every example of `docs/` and every script of `examples/` on "
        "both backends this way. This page lists what is *not* the same: the names of "
        "brainjit's own API (`bp.math` and its submodules, NumPy's names aside: see the "
        "[Comparison Table](api_comparison.md)) that only one backend has or that take "
        "other parameters on each, and the documented differences in behaviour. "
        "Everything else — `bp.dyn`, `bp.conn`, `bp.inputs`, the integrators, the "
        "`Runner` — is the same code on both.",
        "",
        "```python",
        "import brainjit as bp",
        "",
        'for name in ("numpy", "jax"):',
        "    with bp.math.backend(name):",
        "        x = bp.math.arange(5)",
        "        x[1:3][0] = 9  # writes into a view of x on numpy, into a copy on jax",
        "        print(bp.math.get_backend_name(), type(x).__name__, x.dtype, x)",
        "```",
        "",
        "## Names on one backend only",
        "",
        "| name | numpy backend | jax backend | why |",
        "|---|---|---|---|",
    ]
    for name, backend, other in only:
        absent = "—" if other == "absent" else f"raises, pointing to the {backend} backend"
        marks = ["yes" if b == backend else absent for b in BACKENDS]
        lines.append(f"| `{name}` | {marks[0]} | {marks[1]} | {reason(name)} |")
    if not only:
        lines.append("| (none) | | | |")
    lines += [
        "",
        "## Other parameters on each backend",
        "",
        "| name | numpy backend | jax backend | why |",
        "|---|---|---|---|",
    ]
    for name, on_numpy, on_jax in signatures:
        lines.append(
            f"| `{name}` | {describe(on_numpy)} | {describe(on_jax)} | {SIGNATURES[name]} |"
        )
    lines += [
        "",
        "## Differences in behaviour",
        "",
        "| what | numpy backend | jax backend | documented in |",
        "|---|---|---|---|",
    ]
    for topic, on_numpy, on_jax, doc in BEHAVIOUR:
        where = "; ".join(
            f"[{part}]({part})" if part.endswith(".md") else part for part in doc.split("; ")
        )
        lines.append(f"| {topic} | {on_numpy} | {on_jax} | {where} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if (OUTPUT.read_text() if OUTPUT.exists() else "") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date; run {__file__}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
