"""The Comparison Table (docs/api_comparison.md) is current, and what it promises holds.

Every name the table lists as implemented on a backend exists there and is probed
against NumPy: NumPy's function and ours are called with the same simple arguments (a
few argument patterns per name: arrays of floats, ints and booleans, a second array,
an axis, a scalar ...). Wherever both accept a call, ours must return the same values
(allclose; float32 tolerance under jax), the same shape, the same dtype (numpy backend)
or the same kind of dtype (jax backend, which computes in 32 bits), and this backend's
array type; a name the table marks "differs" may differ from NumPy as it says, but must
still match NumPy on some call. On the numpy backend every call NumPy accepts must be
accepted; on the jax backend a call may instead raise (JAX refuses some inputs NumPy
takes, e.g. ordering complex numbers: an error, never a wrong result), but at least one
call per name must match NumPy. Names that need particular arguments have hand-written
probes (CUSTOM); the few that cannot be probed are listed in UNPROBED with the reason,
and must stay a small minority. The jax backend compares 2 calls per name (XLA compiles
each); BRAINJIT_FULL_PROBE=1 compares every pattern.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import brainjit as bp

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "api_comparison.md"
SCRIPT = ROOT / "scripts" / "api_comparison.py"
ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \| (yes|no) \| ([^|]+) \| ([^|]+) \|$")
SECTIONS = {"numpy": "", "numpy.linalg": "linalg", "numpy.fft": "fft"}
NP_MODULES = {"": np, "linalg": np.linalg, "fft": np.fft}


def parse_table(text: str) -> dict:
    """{(submodule, name): {'kind', 'in_jax', 'numpy', 'jax'}} from the markdown table."""
    rows, section = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            section = SECTIONS.get(line[3:].strip())
            continue
        match = ROW.match(line)
        if match and section is not None:
            name, kind, in_jax, on_numpy, on_jax = (g.strip() for g in match.groups())
            rows[(section, name)] = {
                "kind": kind,
                "in_jax": in_jax == "yes",
                "numpy": on_numpy,
                "jax": on_jax,
            }
    return rows


COMMITTED = TABLE.read_text()
ROWS = parse_table(COMMITTED)


def implemented(backend: str) -> list[tuple[str, str]]:
    return sorted(key for key, row in ROWS.items() if row[backend].startswith("implemented"))


def load_script():
    spec = importlib.util.spec_from_file_location("api_comparison", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- the table


def test_table_lists_every_public_numpy_name():
    for sub, module in NP_MODULES.items():
        names = {n for n in dir(module) if not n.startswith("_")}
        listed = {name for (s, name) in ROWS if s == sub}
        assert listed == names, f"numpy{'.' + sub if sub else ''}: {names ^ listed}"


def test_regenerating_gives_the_committed_table():
    text = load_script().generate()
    versions = re.compile(r"Generated with NumPy \S+ and JAX \S+")
    if versions.search(text).group() == versions.search(COMMITTED).group():
        assert text == COMMITTED, "docs/api_comparison.md is stale: run scripts/api_comparison.py"
    else:  # other library versions: at least nothing listed as implemented went missing
        fresh = parse_table(text)
        for backend in ("numpy", "jax"):
            lost = [
                k for k in implemented(backend) if not fresh[k][backend].startswith("implemented")
            ]
            assert not lost, f"{backend}: listed as implemented, no longer provided: {lost}"


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_coverage_line_is_true_and_at_least_95_percent(backend):
    shared = [k for k, row in ROWS.items() if row["in_jax"]]
    done = [k for k in shared if ROWS[k][backend].startswith("implemented")]
    line = re.search(rf"^- coverage {backend} backend: .*$", COMMITTED, re.M).group()
    callables = re.search(r"callables (\d+)/(\d+)", line).groups()
    every = re.search(r"all names (\d+)/(\d+)", line).groups()
    assert (int(every[0]), int(every[1])) == (len(done), len(shared))
    assert int(callables[0]) / int(callables[1]) >= 0.95
    assert len(done) / len(shared) >= 0.95


def test_missing_names_say_why():
    for (sub, name), row in ROWS.items():
        for backend in ("numpy", "jax"):
            status = row[backend]
            assert status.startswith("implemented") or re.match(r"missing: \w", status), (
                sub,
                name,
                status,
            )


def test_table_has_no_executable_code_blocks():
    assert "```python" not in COMMITTED  # tests/test_docs.py would run it


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_implemented_names_exist_and_missing_ones_do_not(backend):
    bp.math.use_backend(backend)
    for (sub, name), row in ROWS.items():
        module = bp.math if not sub else getattr(bp.math, sub)
        has = hasattr(module, name)
        assert has == row[backend].startswith("implemented"), (backend, sub, name, row[backend])


# --------------------------------------------------------------------------- the probe

F2 = np.array([[0.5, -1.25, 2.0], [3.5, 0.75, -0.4]])
F1 = np.array([0.3, -0.7, 1.9, 2.4])
P1 = np.array([0.11, 0.45, 0.7, 0.9])  # in (0, 1)
S1 = np.array([-1.0, 0.2, 0.5, 3.0])  # sorted
N1 = np.array([1.0, np.nan, 3.0, 0.5])
I2 = np.array([[1, -2, 3], [4, 5, -6]])
I1 = np.array([3, 1, 2, 5])
U1 = np.array([1, 2, 3, 0])  # small non-negative ints (indices, shifts, a zero)
B1 = np.array([True, False, True, True])
B2 = np.array([[True, False, False], [True, True, False]])
C1 = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j, 0.5j])
SQ = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])  # symmetric positive definite
V3 = np.array([1.0, -2.0, 0.5])
W3 = np.array([0.3, 0.8, -1.5])
F3 = np.round(np.random.RandomState(0).uniform(-2, 2, (2, 3, 4)), 2)
U8 = np.array([3, 255, 16], dtype=np.uint8)
ARRAYS = dict(F2=F2, F1=F1, P1=P1, S1=S1, N1=N1, I2=I2, I1=I1, U1=U1, B1=B1, B2=B2, C1=C1)
ARRAYS.update(SQ=SQ, V3=V3, W3=W3, F3=F3, U8=U8)


class A:
    """A placeholder for one of the test arrays, converted to each backend's array."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


F2_, F1_, P1_, S1_, N1_, I2_, I1_, U1_, B1_, B2_, C1_, SQ_, V3_, W3_, F3_, U8_ = (
    A(n) for n in "F2 F1 P1 S1 N1 I2 I1 U1 B1 B2 C1 SQ V3 W3 F3 U8".split()
)

# argument patterns tried for every callable: (args, kwargs)
PATTERNS = [
    ((F1_,), {}),
    ((F2_,), {}),
    ((P1_,), {}),
    ((I1_,), {}),
    ((I2_,), {}),
    ((U1_,), {}),
    ((B1_,), {}),
    ((C1_,), {}),
    ((SQ_,), {}),
    ((N1_,), {}),
    ((F2_,), {"axis": 0}),
    ((F2_,), {"axis": 1}),
    ((I2_,), {"axis": 0}),
    ((B2_,), {"axis": 1}),
    ((F1_, P1_), {}),
    ((I1_, U1_), {}),
    ((B1_, B1_), {}),
    ((F2_, F2_), {}),
    ((SQ_, SQ_), {}),
    ((SQ_, V3_), {}),
    ((V3_, W3_), {}),
    ((P1_, S1_), {}),
    ((S1_, P1_), {}),
    ((F1_, 2), {}),
    ((I1_, 2), {}),
    ((F2_, 1), {}),
    ((F2_, 0), {}),
    ((U1_, 1), {}),
    ((F1_, 0.5), {}),
    ((F1_, 0.0, 1.0), {}),
    ((I1_, 2, 4), {}),
    ((B1_, F1_, P1_), {}),
    ((P1_, S1_, F1_), {}),
    ((F3_,), {}),
    ((F3_, 2), {}),
    (([F1_, P1_],), {}),
    (((F2_, F2_),), {"axis": 1}),
    (([B1_, ~B1], [F1_, P1_]), {}),
    ((3,), {}),
    ((5,), {}),
    (((2, 3),), {}),
    (((2, 3), 1.5), {}),
    ((0, 5), {}),
    ((0.0, 1.0, 5), {}),
    ((1.0, 100.0, 5), {}),
    ((3, 4), {}),
    ((8, 0.1), {}),
    ((-3, 2), {}),
    ((7, 3), {}),
]
DTYPE_PATTERNS = [
    (("float32",), {}),
    (("float32", "int32"), {}),
    (("int32", "float32"), {}),
    (("int8", "floating"), {}),
    ((F1_, "float32"), {}),
]

# names probed with their own patterns only (the generic ones are meaningless for them)
EXTRA_ONLY = {"frombuffer", "geomspace", "fromstring"}
# names with their own argument patterns (or their own check)
EXTRA_PATTERNS = {
    "geomspace": [
        ((1.0, 100.0, 5), {}),
        ((P1_, np.array([3.0, 2.0, 5.0, 1.5])), {}),
        ((1.0, 8.0, 4), {"endpoint": False}),
    ],
    "einsum": [(("ij->ji", F2_), {}), (("ij,jk->ik", SQ_, SQ_), {}), (("i,i", F1_, P1_), {})],
    "astype": DTYPE_PATTERNS,
    "can_cast": DTYPE_PATTERNS,
    "issubdtype": DTYPE_PATTERNS,
    "isdtype": [((np.float32, "real floating"), {}), ((np.int8, "integral"), {})],
    "unpackbits": [((U8_,), {})],
    "vecmat": [((V3_, SQ_), {})],
    "promote_types": DTYPE_PATTERNS,
    "result_type": DTYPE_PATTERNS,
    "choose": [((np.array([0, 1, 0, 1]), [F1_, P1_]), {})],
    "take_along_axis": [((F2_, np.argsort(F2, axis=1), 1), {})],
    "unravel_index": [((U1_, (2, 2)), {})],
    "ravel_multi_index": [(((np.array([0, 1, 1]), np.array([2, 0, 1])), (2, 3)), {})],
    "bincount": [((U1_,), {}), ((U1_, P1_), {})],
    "digitize": [((F1_, S1_), {})],
    "histogram": [((F1_,), {"bins": 3}), ((F1_, S1_), {})],
    "histogram2d": [((F1_, P1_), {"bins": 2})],
    "histogramdd": [((np.stack([F1, P1], 1),), {"bins": 2})],
    "histogram_bin_edges": [((F1_, 3), {})],
    "interp": [((P1_, S1_, F1_), {})],
    "insert": [((F1_, 1, 5.0), {})],
    "delete": [((F1_, 1), {}), ((F2_, 0), {"axis": 1})],
    "pad": [((F1_, 2), {}), ((F2_, ((1, 0), (0, 2))), {"mode": "edge"})],
    "split": [((F1_, 2), {})],
    "array_split": [((F1_, 3), {})],
    "vsplit": [((np.ones((4, 2)), 2), {})],
    "hsplit": [((F1_, 2), {})],
    "dsplit": [((F3_, 2), {})],
    "searchsorted": [((S1_, P1_), {}), ((S1_, P1_), {"side": "right"})],
    "lexsort": [(((F1_, P1_),), {})],
    "tensordot": [((SQ_, SQ_), {"axes": 1})],
    "trim_zeros": [((np.array([0.0, 0.0, 1.0, 2.0, 0.0]),), {})],
    "polyfit": [((F1_, P1_, 2), {})],
    "polyval": [((V3_, F1_), {})],
    "resize": [((F1_, (2, 3)), {})],
    "reshape": [((F2_, (3, 2)), {}), ((F2_, -1), {})],
    "broadcast_to": [((F1_, (2, 4)), {})],
    "broadcast_shapes": [(((2, 1), (1, 3)), {})],
    "moveaxis": [((F3_, 0, 2), {})],
    "swapaxes": [((F3_, 0, 2), {})],
    "rollaxis": [((F3_, 2), {})],
    "permute_dims": [((F3_, (2, 0, 1)), {})],
    "transpose": [((F3_, (2, 0, 1)), {})],
    "tile": [((F1_, 2), {}), ((F2_, (2, 1)), {})],
    "repeat": [((F2_, 2), {"axis": 1})],
    "roll": [((F2_, 1), {"axis": 1})],
    "select": [(([B1_, ~B1], [F1_, P1_]), {"default": -1.0})],
    "place": [],  # in place: see CUSTOM
    "block": [(([[SQ_, SQ_], [SQ_, SQ_]],), {})],
    "meshgrid": [((F1_, V3_), {}), ((F1_, V3_), {"indexing": "ij"})],
    "ix_": [((U1_, np.array([0, 2])), {})],
    "fill_diagonal": [],
    "diag_indices": [((3,), {})],
    "tril_indices": [((3,), {}), ((3, 1), {})],
    "triu_indices": [((3,), {}), ((3, 1), {})],
    "einsum_path": [],
    "unstack": [((F2_,), {})],
    "tril": [((SQ_,), {}), ((F2_, 1), {})],
    "triu": [((SQ_,), {}), ((F2_, -1), {})],
    "frombuffer": [
        ((np.arange(4.0).tobytes(),), {}),
        ((np.arange(4, dtype="int32").tobytes(), "int32"), {}),
    ],
    "fromstring": [(("1 2 3",), {"sep": " "})],
    "full": [(((2, 3), 1.5), {})],
    "full_like": [((F2_, 2.5), {})],
    "apply_along_axis": [],
    "average": [((F2_,), {"axis": 0, "weights": np.array([1.0, 3.0])})],
    "gradient": [((F1_,), {}), ((F2_,), {})],
    "piecewise": [],
    "cross": [((V3_, W3_), {})],
    "linspace": [((0.0, 1.0, 5), {}), ((0.0, 1.0, 4), {"endpoint": False})],
    "arange": [((5,), {}), ((0, 5), {}), ((0.0, 1.0, 0.25), {}), ((1, 10, 3), {})],
    "clip": [((F1_, 0.0, 1.0), {}), ((I1_, 2, 4), {})],
    "where": [((B1_, F1_, P1_), {}), ((B1_,), {})],
    "nan_to_num": [((N1_,), {}), ((np.array([np.inf, -np.inf, np.nan, 1.0]),), {})],
    "isin": [((I1_, U1_), {})],
    "setdiff1d": [((I1_, U1_), {})],
    "ldexp": [((F1_, U1_), {})],
    "put_along_axis": [],
    "put": [],
    "iscomplexobj": [((C1_,), {}), ((F1_,), {})],
    "round": [((F1_, 1), {})],
    "around": [((F1_, 1), {})],
    "percentile": [((F1_, 30.0), {})],
    "nanpercentile": [((N1_, 30.0), {})],
    "quantile": [((F1_, 0.3), {})],
    "nanquantile": [((N1_, 0.3), {})],
    "argpartition": [],  # order within the parts is unspecified: see CUSTOM
    "vander": [((V3_,), {}), ((V3_, 2), {})],
    "matrix_power": [((SQ_, 2), {})],
    "tensorinv": [((np.eye(4).reshape(4, 2, 2) * 2.0,), {"ind": 1})],
    "tensorsolve": [((np.eye(4).reshape(2, 2, 4) * 2.0, np.ones((2, 2))), {})],
    "lstsq": [((SQ_, V3_), {"rcond": None})],
    "multi_dot": [(([SQ_, SQ_, V3_],), {})],
    "norm": [((F2_,), {}), ((F1_,), {"ord": 1}), ((SQ_,), {"ord": "fro"})],
    "vector_norm": [((F2_,), {}), ((F1_,), {"ord": 1})],
    "matrix_norm": [((SQ_,), {})],
    "cond": [((SQ_,), {})],
    "fftfreq": [((8,), {}), ((8, 0.1), {})],
    "rfftfreq": [((8,), {}), ((8, 0.1), {})],
    "irfft": [((C1_,), {}), ((F1_,), {"n": 6})],
    "hfft": [((C1_,), {})],
}


def backend_value(x, bm):
    """A test value as the active backend takes it (arrays converted; lists kept)."""
    if isinstance(x, A):
        return bm.array(ARRAYS[x.name])  # a copy, as NumPy gets one
    if isinstance(x, np.ndarray):
        return bm.array(x)
    if isinstance(x, list):
        return [backend_value(i, bm) for i in x]
    if isinstance(x, tuple):
        return tuple(backend_value(i, bm) for i in x)
    return x


def numpy_value(x):
    if isinstance(x, A):
        return ARRAYS[x.name].copy()
    if isinstance(x, list):
        return [numpy_value(i) for i in x]
    if isinstance(x, tuple):
        return tuple(numpy_value(i) for i in x)
    return x


class NotComparable(Exception):
    """NumPy's result is of a kind the generic comparison does not handle."""


def jax_kind(dtype: np.dtype) -> str:
    return "iu"[dtype.kind == "u"] if dtype.kind in "iu" else dtype.kind


def compare(expected, actual, backend: str, where: str = "result") -> None:
    """Assert that ``actual`` (ours) matches NumPy's ``expected``."""
    import jax

    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{where}: {type(actual)} is not a sequence"
        assert len(actual) == len(expected), f"{where}: length {len(actual)} != {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, backend, f"{where}[{i}]")
        return
    if isinstance(expected, np.dtype) or (
        isinstance(expected, type) and issubclass(expected, np.generic)
    ):
        want, got = np.dtype(expected), np.dtype(actual)
        if backend == "numpy":
            assert got == want, f"{where}: dtype {got} != {want}"
        else:
            assert jax_kind(got) == jax_kind(want), f"{where}: dtype {got} vs {want}"
        return
    if isinstance(expected, (bool, int, float, complex, np.generic, np.ndarray)):
        if isinstance(expected, np.ndarray):
            if expected.dtype.kind not in "biufc":
                raise NotComparable(f"dtype {expected.dtype}")
            if backend == "numpy" and type(expected) is not np.ndarray:  # np.matrix ...
                assert type(actual) is type(expected), f"{where}: {type(actual).__name__}"
            elif backend == "numpy":
                assert isinstance(actual, bp.math.ndarray), (
                    f"{where}: {type(actual).__name__} is not bp.math.ndarray"
                )
            else:
                assert isinstance(actual, bp.math.JaxArray) or (
                    np.ndim(actual) == 0 and not isinstance(actual, jax.Array)
                ), f"{where}: {type(actual).__name__} is not a JaxArray"
        got = np.asarray(actual)
        want = np.asarray(expected)
        assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
        if backend == "numpy":
            assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
        else:
            assert jax_kind(got.dtype) == jax_kind(want.dtype), (
                f"{where}: dtype {got.dtype} vs NumPy's {want.dtype}"
            )
        if want.dtype.kind in "biu":
            assert np.array_equal(got, want), f"{where}: {got} != {want}"
        else:
            rtol, atol = (1e-9, 1e-12) if backend == "numpy" else (2e-4, 2e-5)
            if want.dtype == np.float16:  # NumPy computes small inputs in half precision
                rtol = max(rtol, 2e-3)
            finite = np.abs(want[np.isfinite(want)])
            if backend == "jax" and finite.size:  # float32: relative to the largest value
                atol = max(atol, 2e-6 * float(finite.max()))
            assert np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True), (
                f"{where}:\nours  {got}\nnumpy {want}"
            )
        return
    if expected is None:
        assert actual is None, f"{where}: {actual!r} is not None"
        return
    raise NotComparable(type(expected).__name__)


def call_numpy(func, args, kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return func(*numpy_value(args), **numpy_value(kwargs))


def positional_limit(func) -> int | None:
    """How many positional arguments ``func`` takes before NumPy's ``out`` (None: no limit)."""
    if isinstance(func, np.ufunc):
        return func.nin
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, param in enumerate(params):
        if param.kind in (param.VAR_POSITIONAL, param.KEYWORD_ONLY, param.VAR_KEYWORD):
            return None
        if param.name == "out":
            return i
    return None


# patterns compared per name on the jax backend (XLA compiles each call: ~0.1 s); set
# BRAINJIT_FULL_PROBE=1 to compare every pattern, as on the numpy backend
JAX_DEPTH = 10_000 if os.environ.get("BRAINJIT_FULL_PROBE") else 2
# never called with the generic patterns: they write files or change global state (the
# numpy backend's are NumPy's own functions; save/savez/load have a probe in CUSTOM)
NOT_CALLED = {
    "savetxt",
    "savez_compressed",
    "tofile",
    "loadtxt",
    "genfromtxt",
    "fromregex",
    "seterr",
    "seterrcall",
    "setbufsize",
    "set_printoptions",
    "memmap",
}
# results whose order NumPy leaves unspecified
UNORDERED = {"unique_values"}
# integer division by zero: NumPy gives 0, JAX leaves it unspecified
INTEGER_DIVISION = {"floor_divide", "remainder", "mod", "fmod", "divmod"}


def meaningless(sub: str, name: str, args: tuple) -> bool:
    """Patterns whose NumPy result is a quirk nobody relies on."""
    try:
        values = [np.asarray(numpy_value(a)) for a in args if not isinstance(a, str)]
    except ValueError:  # a ragged sequence
        return False
    if name in INTEGER_DIVISION and len(args) == 2:
        return values[1].dtype.kind in "biu" and not np.all(values[1])
    if name.startswith("histogram"):  # complex samples
        return any(v.dtype.kind == "c" for v in values)
    if sub == "fft" and not name.endswith("freq"):  # 0-d input: NumPy returns it as it is
        return bool(values) and values[0].ndim == 0
    return False


def pattern_class(args: tuple, kwargs: dict) -> tuple:
    """What kind of call a pattern is (the jax backend compares one pattern per class)."""

    def kind(x):
        if isinstance(x, A):
            return ARRAYS[x.name].dtype.kind
        if isinstance(x, np.ndarray):
            return x.dtype.kind
        if isinstance(x, (list, tuple)):
            return "seq"
        return type(x).__name__

    return tuple(kind(a) for a in args) + tuple(sorted(kwargs))


def probe(sub: str, name: str, backend: str) -> tuple[int, list[str], list[str]]:
    """Probe one name on the active backend: (patterns compared, mismatches, refusals).

    A mismatch is a call NumPy and ours both accept with different results; a refusal a
    call NumPy accepts and ours raises on (an error, not a wrong result).
    """
    bm = bp.math
    ours = getattr(bm if not sub else getattr(bm, sub), name)
    theirs = getattr(NP_MODULES[sub], name)
    if name in NOT_CALLED:
        return 0, [], []
    extra = EXTRA_PATTERNS.get(name, [])
    patterns = extra if name in EXTRA_ONLY else extra + PATTERNS
    limit = positional_limit(theirs)
    compared, mismatches, refusals, seen = 0, [], [], set()
    for args, kwargs in patterns:
        if (limit is not None and len(args) > limit) or meaningless(sub, name, args):
            continue
        cls = pattern_class(args, kwargs)
        if backend == "jax" and (cls in seen or max(compared, len(refusals)) >= JAX_DEPTH):
            continue  # XLA compiles every new call: a few patterns, one per kind of call
        try:
            expected = call_numpy(theirs, args, kwargs)
        except Exception:
            continue  # NumPy refuses this pattern: nothing to compare
        is_type = isinstance(expected, type) and issubclass(expected, np.generic)
        if (callable(expected) and not is_type) or isinstance(
            expected, (str, bytes, dict, types.GeneratorType)
        ):
            continue
        call = f"{name}{args!r}" + (f" {kwargs}" if kwargs else "")
        seen.add(cls)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                actual = ours(*backend_value(args, bm), **backend_value(kwargs, bm))
        except Exception as error:
            refusals.append(f"{call}: NumPy accepts it, ours raised {error!r}"[:400])
            continue
        if name in UNORDERED:
            expected, actual = np.sort(expected), bm.sort(actual)
        try:
            compare(expected, actual, backend)
        except NotComparable:
            continue
        except AssertionError as error:
            mismatches.append(f"{call}: {error}"[:600])
            continue
        compared += 1
    return compared, mismatches, refusals


# --------------------------------------------------------------------------- custom probes


def _custom_eig(bm, backend):
    w, v = bm.linalg.eig(bm.asarray(SQ))
    assert isinstance(w, bm.ndarray)
    w_np = np.linalg.eig(SQ)[0]
    np.testing.assert_allclose(np.sort(np.asarray(w).real), np.sort(w_np.real), rtol=1e-5)
    np.testing.assert_allclose(SQ @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-4)


def _custom_eigh(bm, backend):
    w, v = bm.linalg.eigh(bm.asarray(SQ))
    compare(np.linalg.eigh(SQ)[0], w, backend)
    np.testing.assert_allclose(
        np.abs(np.asarray(v)), np.abs(np.linalg.eigh(SQ)[1]), rtol=1e-3, atol=1e-5
    )


def _custom_svd(bm, backend):
    u, s, vh = bm.linalg.svd(bm.asarray(F2))
    compare(np.linalg.svd(F2)[1], s, backend)
    u, s, vh = (np.asarray(t) for t in (u, s, vh))
    np.testing.assert_allclose(u[:, :2] * s @ vh[:2], F2, atol=1e-5)


def _custom_qr(bm, backend):
    q, r = bm.linalg.qr(bm.asarray(SQ))
    q, r = np.asarray(q), np.asarray(r)
    np.testing.assert_allclose(q @ r, SQ, atol=1e-5)
    np.testing.assert_allclose(np.abs(r), np.abs(np.linalg.qr(SQ)[1]), rtol=1e-4, atol=1e-5)


def _inplace(func_name, *args):
    def check(bm, backend):
        want = F2.copy()
        assert getattr(np, func_name)(want, *numpy_value(args)) is None
        got = bm.asarray(F2.copy())
        before = id(got)
        assert getattr(bm, func_name)(got, *backend_value(args, bm)) is None
        assert id(got) == before
        compare(want, got, backend)

    return check


def _custom_piecewise(bm, backend):
    want = np.piecewise(F1, [F1 < 0, F1 > 2], [lambda x: -x, lambda x: 2 * x, 0.5])
    x = bm.asarray(F1)
    got = bm.piecewise(x, [x < 0, x > 2], [lambda x: -x, lambda x: 2 * x, 0.5])
    compare(want, got, backend)


def _custom_apply_along_axis(bm, backend):
    f = lambda row: row * 2.0 + row[0]
    compare(np.apply_along_axis(f, 1, F2), bm.apply_along_axis(f, 1, bm.asarray(F2)), backend)


def _custom_apply_over_axes(bm, backend):
    want = np.apply_over_axes(np.sum, F3, [0, 2])
    compare(want, bm.apply_over_axes(bm.sum, bm.asarray(F3), [0, 2]), backend)


def _custom_vectorize(bm, backend):
    f = lambda a, b: a * 2 + b
    compare(np.vectorize(f)(F1, P1), bm.vectorize(f)(bm.asarray(F1), bm.asarray(P1)), backend)


def _custom_frompyfunc(bm, backend):
    f = bm.frompyfunc(lambda a, b: a * 2 + b, 2, 1)
    got = np.asarray(f(bm.asarray(I1), bm.asarray(U1)), dtype=float)
    np.testing.assert_allclose(got, I1 * 2 + U1)


def _custom_fromfunction(bm, backend):
    f = lambda i, j: i * 3 + j
    compare(np.fromfunction(f, (2, 3)), bm.fromfunction(f, (2, 3)), backend)


def _custom_partition(bm, backend):
    got = np.asarray(bm.partition(bm.asarray(F1), 1))
    want = np.partition(F1, 1)
    np.testing.assert_allclose(np.sort(got), np.sort(want), rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)  # the kth element is in place
    assert got[:1].max() <= got[1] <= got[2:].min()


def _custom_argpartition(bm, backend):
    idx = np.asarray(bm.argpartition(bm.asarray(F1), 1))
    assert sorted(idx.tolist()) == [0, 1, 2, 3]
    assert set(idx[:2].tolist()) == set(np.argpartition(F1, 1)[:2].tolist())


def _custom_einsum_path(bm, backend):
    path = bm.einsum_path("ij,jk,k->i", bm.asarray(SQ), bm.asarray(SQ), bm.asarray(V3))[0]
    want = np.einsum_path("ij,jk,k->i", SQ, SQ, V3)[0]
    if backend == "jax":  # the documented difference: no leading marker
        want = want[1:]
    assert list(path) == list(want)


def _custom_indexers(bm, backend):
    compare(np.r_[F1, P1], bm.r_[bm.asarray(F1), bm.asarray(P1)], backend)
    compare(np.c_[F1, P1], bm.c_[bm.asarray(F1), bm.asarray(P1)], backend)
    compare(np.mgrid[0:3, 0:2], bm.mgrid[0:3, 0:2], backend)
    compare(tuple(np.ogrid[0:3, 0:2]), tuple(bm.ogrid[0:3, 0:2]), backend)
    assert bm.s_[1:3] == np.s_[1:3] and bm.index_exp[1:3] == np.index_exp[1:3]


def _custom_constants(bm, backend):
    for name in ("pi", "e", "inf", "euler_gamma"):
        assert getattr(bm, name) == getattr(np, name), name
    assert np.isnan(bm.nan) and bm.newaxis is None


def _custom_info(bm, backend):
    assert bm.finfo(bm.float32).eps == np.finfo(np.float32).eps
    assert bm.iinfo(bm.int32).max == np.iinfo(np.int32).max
    assert bm.iinfo(bm.int8).min == -128


def _custom_save_load(bm, backend, tmp_path):
    path = tmp_path / "x.npy"
    bm.save(path, bm.asarray(F2))
    compare(np.load(path), bm.load(path), backend)
    archive = tmp_path / "x.npz"
    bm.savez(archive, a=bm.asarray(F1))
    np.testing.assert_allclose(np.load(archive)["a"], F1, rtol=1e-6)


def _custom_printoptions(bm, backend):
    assert bm.get_printoptions()["precision"] == np.get_printoptions()["precision"]
    with bm.printoptions(precision=2):
        assert np.get_printoptions()["precision"] == 2
    old = np.get_printoptions()
    try:
        bm.set_printoptions(precision=3)
        assert np.get_printoptions()["precision"] == 3
    finally:
        np.set_printoptions(**old)


def _custom_fromfile(bm, backend, tmp_path):
    path = tmp_path / "x.bin"
    F1.tofile(path)
    compare(np.fromfile(path), bm.fromfile(path), backend)
    compare(np.fromfile(path, dtype=np.int32), bm.fromfile(path, dtype=bm.int32), backend)


def _custom_lstsq(bm, backend):
    x, residuals, rank, s = bm.linalg.lstsq(bm.asarray(F2.T), bm.asarray(V3), rcond=None)
    x_np, residuals_np, rank_np, s_np = np.linalg.lstsq(F2.T, V3, rcond=None)
    compare(x_np, x, backend)
    compare(residuals_np, residuals, backend)  # an overdetermined system: one residual
    assert int(rank) == rank_np
    compare(s_np, s, backend)
    x = bm.linalg.lstsq(bm.asarray(SQ), bm.asarray(V3), rcond=None)[0]
    compare(np.linalg.lstsq(SQ, V3, rcond=None)[0], x, backend)


def _custom_eigvals(bm, backend):
    got = np.asarray(bm.linalg.eigvals(bm.asarray(SQ)))
    want = np.linalg.eigvals(SQ)
    np.testing.assert_allclose(np.sort(got.real), np.sort(want.real), rtol=1e-5)
    np.testing.assert_allclose(got.imag, 0, atol=1e-5)


def _custom_polydiv(bm, backend):
    q, r = bm.polydiv(bm.asarray(F1), bm.asarray(V3[:2]))
    q_np, r_np = np.polydiv(F1, V3[:2])
    compare(q_np, q, backend)
    r = np.asarray(r)
    compare(r_np, bm.asarray(r[len(r) - len(r_np) :]), backend)  # jax: leading zeros kept
    np.testing.assert_allclose(r[: len(r) - len(r_np)], 0, atol=1e-5)


def _custom_ndarray(bm, backend):
    assert isinstance(bm.zeros(3), bm.ndarray)


def _custom_dtype(bm, backend):
    assert bm.dtype("float32") == np.dtype("float32")


def _custom_ufunc_class(bm, backend):
    assert isinstance(bm.ufunc, type)


def _custom_array_api(bm, backend):
    assert isinstance(bm.__array_namespace_info__(), object)


def _custom_from_dlpack(bm, backend):
    compare(np.asarray(F1), bm.from_dlpack(np.asarray(F1)), backend)


def _custom_fromiter(bm, backend):
    compare(np.fromiter(range(4), dtype=np.int32), bm.fromiter(range(4), dtype=bm.int32), backend)


def _custom_mask_indices(bm, backend):
    compare(np.mask_indices(3, np.triu), bm.mask_indices(3, bm.triu), backend)


CUSTOM = {
    ("linalg", "eig"): _custom_eig,
    ("linalg", "eigh"): _custom_eigh,
    ("linalg", "svd"): _custom_svd,
    ("linalg", "qr"): _custom_qr,
    ("", "fill_diagonal"): _inplace("fill_diagonal", 7.0),
    ("", "place"): _inplace("place", F2 > 1, np.array([9.0, 8.0])),
    ("", "put"): _inplace("put", np.array([0, 4]), np.array([-1.0, -2.0])),
    ("", "put_along_axis"): _inplace("put_along_axis", np.array([[0], [2]]), 5.0, 1),
    ("", "copyto"): _inplace("copyto", np.ones((2, 3))),
    ("", "piecewise"): _custom_piecewise,
    ("", "apply_along_axis"): _custom_apply_along_axis,
    ("", "apply_over_axes"): _custom_apply_over_axes,
    ("", "vectorize"): _custom_vectorize,
    ("", "frompyfunc"): _custom_frompyfunc,
    ("", "fromfunction"): _custom_fromfunction,
    ("", "argpartition"): _custom_argpartition,
    ("", "partition"): _custom_partition,
    ("", "einsum_path"): _custom_einsum_path,
    ("", "r_"): _custom_indexers,
    ("", "c_"): _custom_indexers,
    ("", "mgrid"): _custom_indexers,
    ("", "ogrid"): _custom_indexers,
    ("", "s_"): _custom_indexers,
    ("", "index_exp"): _custom_indexers,
    ("", "pi"): _custom_constants,
    ("", "e"): _custom_constants,
    ("", "inf"): _custom_constants,
    ("", "nan"): _custom_constants,
    ("", "newaxis"): _custom_constants,
    ("", "euler_gamma"): _custom_constants,
    ("", "finfo"): _custom_info,
    ("", "iinfo"): _custom_info,
    ("", "save"): _custom_save_load,
    ("", "savez"): _custom_save_load,
    ("", "load"): _custom_save_load,
    ("", "printoptions"): _custom_printoptions,
    ("", "get_printoptions"): _custom_printoptions,
    ("", "set_printoptions"): _custom_printoptions,
    ("", "ndarray"): _custom_ndarray,
    ("", "fromfile"): _custom_fromfile,
    ("", "polydiv"): _custom_polydiv,
    ("linalg", "lstsq"): _custom_lstsq,
    ("linalg", "eigvals"): _custom_eigvals,
    ("", "dtype"): _custom_dtype,
    ("", "ufunc"): _custom_ufunc_class,
    ("", "from_dlpack"): _custom_from_dlpack,
    ("", "fromiter"): _custom_fromiter,
    ("", "mask_indices"): _custom_mask_indices,
}

# implemented names that are not probed, and why (both backends unless stated)
UNPROBED = {
    ("", "empty"): "values are uninitialised: shape and dtype are probed in test_namespace",
    ("", "empty_like"): "values are uninitialised: shape and dtype are probed in test_namespace",
    ("", "fft"): "a module: probed name by name below",
    ("", "linalg"): "a module: probed name by name below",
    ("", "random"): "brainjit's own random API: tests/math/test_random.py",
    ("", "array_repr"): "text: differs by design (JaxArray(...), float32 digits)",
    ("", "array_str"): "text: float32 digits under jax",
}


def probe_keys(backend):
    return [k for k in implemented(backend)]


def _is_type_name(sub, name):
    return ROWS[(sub, name)]["kind"] in ("scalar type", "class")


@pytest.mark.parametrize(
    "backend,key",
    [("numpy", k) for k in probe_keys("numpy")] + [("jax", k) for k in probe_keys("jax")],
    ids=lambda v: v if isinstance(v, str) else ".".join(filter(None, v)),
)
def test_implemented_name_matches_numpy(backend, key, tmp_path):
    bp.math.use_backend(backend)
    bm = bp.math
    sub, name = key
    if key in UNPROBED:
        pytest.skip(UNPROBED[key])
    if key in CUSTOM:
        check = CUSTOM[key]
        if "tmp_path" in check.__code__.co_varnames[: check.__code__.co_argcount]:
            check(bm, backend, tmp_path)
        else:
            check(bm, backend)
        return
    theirs = getattr(NP_MODULES[sub], name)
    ours = getattr(bm if not sub else getattr(bm, sub), name)
    kind = ROWS[key]["kind"]
    if kind == "scalar type":  # dtypes: NumPy's own, or the same dtype (jax: the same kind)
        if ours is theirs:
            return
        compare(theirs, ours, backend, name)
        assert np.asarray(ours(1)) == 1
        return
    if kind == "constant":
        if isinstance(theirs, (int, float, bool, np.generic)):
            assert ours == theirs or (np.isnan(ours) and np.isnan(theirs))
            return
        assert type(ours) is type(theirs), (type(ours), type(theirs))
        return
    if kind == "class" and not callable(theirs):  # pragma: no cover - no such name today
        pytest.fail(f"{name}: unexpected non-callable class")
    compared, mismatches, refusals = probe(sub, name, backend)
    differs = "differs" in ROWS[key][backend]
    if not differs:
        assert not mismatches, "\n".join(mismatches)
    if backend == "numpy":  # NumPy's own function: every call NumPy takes must work
        assert not refusals, "\n".join(refusals)
    if compared == 0 and backend == "numpy" and not ROWS[key]["in_jax"]:
        # a NumPy-only name (text, dates, files, NumPy's error state ...): it must be
        # NumPy's own object, at most wrapped to return bp.math.ndarray
        assert getattr(ours, "__wrapped__", ours) is theirs, f"{name}: not NumPy's {name}"
        return
    if kind == "class" and compared == 0:
        assert isinstance(ours, type), f"{name}: {ours!r} is not a class"
        return
    assert compared > 0, f"{name}: no argument pattern NumPy accepts; add one to EXTRA_PATTERNS"


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_bulk_of_the_names_is_probed(backend):
    names = [k for k in implemented(backend) if ROWS[k]["in_jax"]]
    unprobed = [k for k in names if k in UNPROBED]
    assert len(unprobed) <= 0.05 * len(names), unprobed
