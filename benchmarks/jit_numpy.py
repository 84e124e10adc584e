"""Benchmarks of bp.math.jit on the numpy backend (Numba).

(a) The tutorial's LogisticRegression (num_dim=10, float64, 30 iterations): plain NumPy,
    the bp.Base object without jit, jit(obj), a hand-written numba.njit function of the
    same array code, jit(obj, parallel=True) and a hand-written njit(parallel=True),
    side by side in one run.
(b) Per-call cost of a jitted method doing ``self.x += 1`` on a 10-element Variable
    against a bare numba.njit function taking the array.
(c) Compile time of the first call (fresh cache) and in a second process with the
    on-disk cache warm (cache=True).

Medians of --repeats runs. The table is printed and written to benchmarks/RESULTS.md
(the section between the jit_numpy markers is replaced).

    python benchmarks/jit_numpy.py                      # 2,000,000 points
    python benchmarks/jit_numpy.py --points 20000000    # the tutorial's size (~1.6 GB)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import brainjit as bp  # noqa: E402

DEFAULT_POINTS = 2_000_000


def markers(points: int) -> tuple[str, str]:
    """The RESULTS.md markers of this run's section (one section per problem size)."""
    tag = "jit_numpy" if points == DEFAULT_POINTS else f"jit_numpy points={points}"
    return f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"


# -- (a) logistic regression ---------------------------------------------------------------
class LogisticRegression(bp.Base):
    def __init__(self, dimension):
        super().__init__()
        self.dimension = dimension
        self.w = bp.math.Variable(2.0 * bp.math.ones(dimension) - 1.3)

    def __call__(self, X, Y):
        u = bp.math.dot(((1.0 / (1.0 + bp.math.exp(-Y * bp.math.dot(X, self.w))) - 1.0) * Y), X)
        self.w[:] = self.w - u


def lr_numpy(w, X, Y):
    u = np.dot(((1.0 / (1.0 + np.exp(-Y * np.dot(X, w))) - 1.0) * Y), X)
    w[:] = w - u


lr_njit = numba.njit(lr_numpy)
lr_njit_parallel = numba.njit(parallel=True)(lr_numpy)


def bench_logistic(points: int, iterations: int, repeats: int) -> dict[str, list[float]]:
    bp.math.random.seed(0)
    X = bp.math.random.random((points, 10))
    Y = bp.math.random.random(points)
    Xp, Yp = X.view(np.ndarray), Y.view(np.ndarray)
    w0 = 2.0 * np.ones(10) - 1.3

    def run_object(f, obj):
        f(X, Y)  # first call compiles (not timed)
        obj.w.value = w0
        return (lambda: f(X, Y)), (lambda: np.asarray(obj.w))

    def run_function(f):
        w = w0.copy()
        f(w, Xp, Yp)
        w[:] = w0
        return (lambda: f(w, Xp, Yp)), (lambda: w)

    plain = LogisticRegression(10)
    j1 = LogisticRegression(10)
    j2 = LogisticRegression(10)
    variants = [
        ("plain NumPy function", *run_function(lr_numpy)),
        ("bp.Base object, no jit", *run_object(plain, plain)),
        ("jit(obj)", *run_object(bp.math.jit(j1), j1)),
        ("numba.njit, hand-written", *run_function(lr_njit)),
        ("jit(obj, parallel=True)", *run_object(bp.math.jit(j2, parallel=True), j2)),
        ("numba.njit(parallel=True), hand-written", *run_function(lr_njit_parallel)),
    ]
    times = {name: [] for name, _, _ in variants}
    results = {}
    clock = time.perf_counter
    order_rng = np.random.default_rng(1)
    for _ in range(repeats):
        # interleaved step by step, so that changes in the machine's load hit all alike,
        # in a random order: a step that follows a NumPy step pays for the memory NumPy
        # gave back (page faults), which a fixed order would always charge to one variant
        totals = dict.fromkeys(times, 0.0)
        for _ in range(iterations):
            for i in order_rng.permutation(len(variants)):
                name, step, _ = variants[i]
                t0 = clock()
                step()
                totals[name] += clock() - t0
        for name, total in totals.items():
            times[name].append(total)
    for name, _, result in variants:
        results[name] = result().copy()
    reference = results["plain NumPy function"]
    for name, value in results.items():
        # every variant did repeats * iterations steps from the same start
        if not np.allclose(value, reference, rtol=1e-6):
            raise AssertionError(f"{name} disagrees with NumPy: {value} vs {reference}")
    return times


# -- (b) per-call cost ---------------------------------------------------------------------
class Counter(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(np.zeros(10))

    def update(self):
        self.x += 1


@numba.njit
def bare_update(x):
    x += 1


def bench_call(repeats: int) -> dict[str, list[float]]:
    counter = Counter()
    method = bp.math.jit(counter.update)
    array = np.zeros(10)
    method()
    bare_update(array)
    number = 100_000
    cases = [
        ("numba.njit f(x), bare", "f(x)", {"f": bare_update, "x": array}),
        ("jit(obj.update)()", "m()", {"m": method}),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(repeats):  # interleaved
        for name, stmt, env in cases:
            times[name].append(timeit.timeit(stmt, number=number, globals=env) / number)
    return times


# -- (c) compile time ------------------------------------------------------------------------
_COMPILE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    t_start = time.perf_counter()
    sys.path.insert(0, {root!r})
    import numba
    import numpy as np
    import brainjit as bp

    class LogisticRegression(bp.Base):
        def __init__(self, dimension):
            super().__init__()
            self.dimension = dimension
            self.w = bp.math.Variable(2.0 * bp.math.ones(dimension) - 1.3)

        def __call__(self, X, Y):
            u = bp.math.dot(((1.0 / (1.0 + bp.math.exp(-Y * bp.math.dot(X, self.w))) - 1.0) * Y), X)
            self.w[:] = self.w - u

    def lr_numpy(w, X, Y):
        u = np.dot(((1.0 / (1.0 + np.exp(-Y * np.dot(X, w))) - 1.0) * Y), X)
        w[:] = w - u

    X, Y = np.random.random((100, 10)), np.random.random(100)
    t0 = time.perf_counter()
    if sys.argv[1] == "jit":
        lr = LogisticRegression(10)
        f = bp.math.jit(lr, cache=True)
        args = (X, Y)
    else:
        f = numba.njit(cache=True)(lr_numpy)
        args = (np.ones(10), X, Y)
    t1 = time.perf_counter()
    f(*args)
    t2 = time.perf_counter()
    print(t1 - t0, t2 - t1)
    """
)


def bench_compile(repeats: int) -> list[tuple]:
    times: dict[tuple, list] = {}
    for _ in range(repeats):
        for mode in ("jit", "njit"):
            with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
                script = Path(work) / "model.py"
                script.write_text(_COMPILE_SCRIPT.format(root=str(ROOT)))
                env = {**os.environ, "BRAINJIT_CACHE_DIR": cache, "NUMBA_CACHE_DIR": cache}
                for run in ("fresh", "warm"):
                    out = subprocess.run(
                        [sys.executable, str(script), mode],
                        capture_output=True,
                        text=True,
                        env=env,
                        check=True,
                        cwd=work,
                    ).stdout.split()
                    times.setdefault((mode, run, "setup"), []).append(float(out[0]))
                    times.setdefault((mode, run, "call"), []).append(float(out[1]))
    m = {k: statistics.median(v) for k, v in times.items()}
    return [
        ("jit(obj): rewrite + write files", m["jit", "fresh", "setup"]),
        ("jit(obj): first call (Numba compiles), fresh cache", m["jit", "fresh", "call"]),
        ("jit(obj): first call, second process, cache=True warm", m["jit", "warm", "call"]),
        ("hand-written njit(cache=True): first call, fresh", m["njit", "fresh", "call"]),
        ("hand-written njit(cache=True): first call, second process", m["njit", "warm", "call"]),
    ]


# -- report --------------------------------------------------------------------------------
def _fmt_seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    if t >= 1e-6:
        return f"{t * 1e6:.2f} µs"
    return f"{t * 1e9:.0f} ns"


def _ratio(times: list[float], reference: list[float]) -> float:
    return statistics.median(t / r for t, r in zip(times, reference))


def report(args, logistic, calls, compiles) -> str:
    start, end = markers(args.points)
    lines = [
        start,
        "## bp.math.jit, numpy backend (`benchmarks/jit_numpy.py`"
        + (")" if args.points == DEFAULT_POINTS else f", {args.points:,} points)"),
        "",
        f"Command: `python benchmarks/jit_numpy.py --points {args.points} "
        f"--iterations {args.iterations} --repeats {args.repeats}"
        + (f" --only {args.only}" if args.only else "")
        + "`  ",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}; "
        f"{time.strftime('%Y-%m-%d')}. Medians of {args.repeats} runs.",
        "",
    ]
    if logistic:
        lines += [
            f"### (a) LogisticRegression, {args.points:,} points x 10, float64, "
            f"{args.iterations} iterations",
            "",
            "Ratios are medians of the per-repeat ratios (the variants run interleaved).",
            "",
            "| variant | time | vs hand-written njit (same mode) | vs plain NumPy |",
            "|---|---:|---:|---:|",
        ]
        for name, ts in logistic.items():
            ref = "numba.njit, hand-written"
            if "parallel" in name:
                ref = "numba.njit(parallel=True), hand-written"
            lines.append(
                f"| {name} | {_fmt_seconds(statistics.median(ts))} "
                f"| {_ratio(ts, logistic[ref]):.3f} "
                f"| {_ratio(ts, logistic['plain NumPy function']):.3f} |"
            )
        lines.append("")
    if calls:
        bare = calls["numba.njit f(x), bare"]
        lines += [
            "### (b) per-call cost, `self.x += 1` on a 10-element Variable",
            "",
            "| call | time per call | vs bare njit |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {name} | {_fmt_seconds(statistics.median(ts))} | {_ratio(ts, bare):.2f} |"
            for name, ts in calls.items()
        ]
        lines.append("")
    if compiles:
        lines += [
            "### (c) compile time (LogisticRegression, each process fresh)",
            "",
            "| step | time |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {_fmt_seconds(t)} |" for name, t in compiles]
        lines.append("")
    lines.append(end)
    return "\n".join(lines)


def write_results(section: str, path: Path, points: int) -> None:
    start, end = markers(points)
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["logistic", "call", "compile"], default=None)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    logistic = calls = compiles = None
    if args.only in (None, "logistic"):
        logistic = bench_logistic(args.points, args.iterations, args.repeats)
    if args.only in (None, "call"):
        calls = bench_call(max(args.repeats, 15))
    if args.only in (None, "compile"):
        compiles = bench_compile(args.repeats)
    section = report(args, logistic, calls, compiles)
    print(section)
    if not args.no_write:
        write_results(section, HERE / "RESULTS.md", args.points)


if __name__ == "__main__":
    main()
