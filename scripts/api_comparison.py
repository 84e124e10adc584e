"""Generate ``docs/api_comparison.md`` (NumPy's names in bp.math) and ``docs/backends.md``.

``docs/api_comparison.md``: for each public name of ``numpy``, ``numpy.linalg`` and
``numpy.fft``, whether ``jax.numpy`` has it, and whether ``bp.math`` provides it on the
numpy and on the jax backend (with the reason where it does not). It ends with the
coverage of the names NumPy and jax.numpy share, per backend.

``docs/backends.md``: brainjit's own API on the two backends (``scripts/backends_table.py``):
every name of ``bp.math`` and its submodules that is not NumPy's and exists on one
backend only, or has another signature on each, with the reason; and the documented
differences in behaviour. A one-backend name without a reason is an error.

    python scripts/api_comparison.py            # rewrite both files
    python scripts/api_comparison.py --check    # exit 1 if either file is out of date

``tests/math/test_api_comparison.py`` checks that the committed files are current and
probes every name api_comparison.md lists as implemented against NumPy.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import brainjit as bp  # noqa: E402
from brainjit.math._numpy.ops import EXCLUDED  # noqa: E402

OUTPUT = ROOT / "docs" / "api_comparison.md"
BACKENDS = ("numpy", "jax")
# (title, NumPy module, jax.numpy module, attribute path in bp.math: "" for bp.math itself)
MODULES = (
    ("numpy", np, jnp, ""),
    ("numpy.linalg", np.linalg, jnp.linalg, "linalg"),
    ("numpy.fft", np.fft, jnp.fft, "fft"),
)
# names that bp.math provides in its own way, not as a copy of NumPy's object
OWN = {("numpy", "random"): "bp.math.random: brainjit's random API (RandomState-style)"}
# where an implemented name knowingly differs from NumPy on a backend (shown in the table;
# the probe in tests/math/test_api_comparison.py tolerates mismatches only for these)
DIFFERENCES = {
    ("numpy", "can_cast"): {"jax": "arrays are 32-bit unless x64 is enabled"},
    ("numpy", "conj"): {"jax": "booleans stay boolean (NumPy: int8)"},
    ("numpy", "conjugate"): {"jax": "booleans stay boolean (NumPy: int8)"},
    ("numpy", "convolve"): {"jax": "boolean inputs give numbers (NumPy: logical)"},
    ("numpy", "einsum_path"): {"jax": "the path lacks NumPy's leading 'einsum_path' marker"},
    ("numpy", "correlate"): {"jax": "boolean inputs give numbers (NumPy: logical)"},
    ("numpy", "isscalar"): {"jax": "0-d arrays count as scalars (JAX reductions return them)"},
    ("numpy", "polyder"): {"jax": "integer coefficients give floats"},
    ("numpy", "polymul"): {"jax": "integer coefficients give floats"},
    ("numpy", "polydiv"): {"jax": "the remainder keeps the dividend's length (leading zeros)"},
    ("numpy", "reciprocal"): {"jax": "integers give floats (NumPy: integer division)"},
    ("numpy", "roots"): {"jax": "always complex (NumPy: real when every root is real)"},
    ("numpy", "spacing"): {"jax": "booleans/small ints in float32 (NumPy: float16)"},
    ("numpy", "trapezoid"): {"jax": "booleans are summed as numbers (NumPy: logical or)"},
    ("numpy", "trim_zeros"): {"jax": "complex zeros by real part; returns an array for lists"},
    ("numpy.linalg", "eigvals"): {"jax": "always complex (NumPy: real when all are real)"},
    ("numpy.linalg", "lstsq"): {
        "jax": "residuals of a square system have shape (1,) (NumPy: (0,))"
    },
}
# why jax.numpy lacking a name keeps it off the jax backend
NOT_IN_JAX = "not in jax.numpy"
UNWRAPPED = "not provided by bp.math"


def kind_of(obj) -> str:
    """A short description of what a NumPy name is."""
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, np.ufunc):
        return "ufunc"
    if isinstance(obj, type):
        return "scalar type" if issubclass(obj, np.generic) else "class"
    if callable(obj):
        return "function"
    return "constant"


def public_names(module) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def backend_module(backend: str, path: str):
    """``bp.math`` (or ``bp.math.<path>``) with ``backend`` active."""
    with bp.math.backend(backend):
        module = bp.math if not path else getattr(bp.math, path)
        return {name: getattr(module, name) for name in dir(module)}


def status(name: str, title: str, members: dict, in_jax: bool, backend: str) -> str:
    if name in members:
        own = OWN.get((title, name))
        differs = DIFFERENCES.get((title, name), {}).get(backend)
        if own:
            return f"implemented ({own})"
        return f"implemented (differs: {differs})" if differs else "implemented"
    if title == "numpy" and name in EXCLUDED:
        return f"missing: {EXCLUDED[name]}"
    if backend == "jax" and not in_jax:
        return f"missing: {NOT_IN_JAX}"
    return f"missing: {UNWRAPPED}"


def rows(title, np_module, jax_module, path):
    """One dict per public name of ``np_module``."""
    members = {b: backend_module(b, path) for b in BACKENDS}
    out = []
    for name in public_names(np_module):
        in_jax = hasattr(jax_module, name)
        out.append(
            {
                "name": name,
                "kind": kind_of(getattr(np_module, name)),
                "in_jax": in_jax,
                **{b: status(name, title, members[b], in_jax, b) for b in BACKENDS},
            }
        )
    return out


def coverage(table: dict, backend: str, callables_only: bool) -> tuple[int, int]:
    """(implemented, total) over the names NumPy and jax.numpy share."""
    done = total = 0
    for entries in table.values():
        for row in entries:
            if not row["in_jax"] or (callables_only and row["kind"] not in CALLABLE_KINDS):
                continue
            total += 1
            done += row[backend].startswith("implemented")
    return done, total


CALLABLE_KINDS = ("function", "ufunc", "class", "scalar type")


def percent(done: int, total: int) -> str:
    return f"{done}/{total} ({100 * done / total:.1f}%)"


def generate() -> str:
    """The text of ``docs/api_comparison.md``."""
    table = {title: rows(title, m, jm, path) for title, m, jm, path in MODULES}
    lines = [
        "# Comparison Table: NumPy names in bp.math",
        "",
        "<!-- generated by scripts/api_comparison.py; do not edit by hand -->",
        "",
        f"Generated with NumPy {np.__version__} and JAX {jax.__version__}. For every public "
        "name of `numpy`, `numpy.linalg` and `numpy.fft`: whether `jax.numpy` has it, and "
        "its status in `bp.math` on each backend (`bp.math.NAME`, `bp.math.linalg.NAME`, "
        "`bp.math.fft.NAME`). Implemented names behave as NumPy's (checked against NumPy by "
        "`tests/math/test_api_comparison.py`); on the jax backend they compute in JAX's "
        "default 32-bit precision unless `bp.math.enable_x64()` is called, and return "
        "`JaxArray`.",
        "",
        "## Coverage",
        "",
        "Names that NumPy and jax.numpy share (the issue's requirement: at least 95% on each "
        "backend):",
        "",
    ]
    for backend in BACKENDS:
        lines.append(
            f"- coverage {backend} backend: callables "
            f"{percent(*coverage(table, backend, True))}, all names "
            f"{percent(*coverage(table, backend, False))}"
        )
    for title, entries in table.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| name | kind | in jax.numpy | numpy backend | jax backend |",
            "|---|---|---|---|---|",
        ]
        for row in entries:
            lines.append(
                f"| `{row['name']}` | {row['kind']} | {'yes' if row['in_jax'] else 'no'} "
                f"| {row['numpy']} | {row['jax']} |"
            )
    return "\n".join(lines) + "\n"


def outputs() -> dict[Path, str]:
    """Every generated file and its text."""
    import backends_table  # noqa: PLC0415  (scripts/ is on sys.path: this file's folder)

    return {OUTPUT: generate(), backends_table.OUTPUT: backends_table.generate()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if args.check:
            if (path.read_text() if path.exists() else "") != text:
                stale.append(str(path.relative_to(ROOT)))
            continue
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"{', '.join(stale)} out of date; run python {__file__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
