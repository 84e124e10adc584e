"""Benchmark of bp.math.jit on the jax backend against raw jax.jit.

    .venv/bin/python benchmarks/jit_jax.py [--quick]

(a) the tutorial's LogisticRegression (float32, 2,000,000 points, dimension 10):
    ``bp.math.jit(obj)`` vs ``jax.jit`` of the pure update on the same arrays;
(b) the per-call cost of a jitted object method ``self.x += 1`` on a 10-element
    Variable vs ``jax.jit`` with the state passed in and returned;
(c) the tutorial's gelu: jit vs no jit, on the jax backend and (when ``bp.math.jit``
    exists there) on the numpy backend.

Both sides of each comparison run interleaved in one process (repeat i of one, repeat
i of the other, ...) and the table shows medians over the repeats and their ratio. The
table is printed and written to this script's section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import brainjit as bp

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
START, END = "<!-- jit_jax:start -->", "<!-- jit_jax:end -->"


def interleaved(ours, reference, repeats: int, number: int) -> tuple[float, float, float]:
    """Seconds per call of ``ours`` and ``reference`` timed in alternation: their medians
    over the repeats, and the median of the per-repeat ratios (robust to a machine whose
    load changes during the run)."""
    a, b = [], []
    for _ in range(repeats):
        for f, samples in ((ours, a), (reference, b)):
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            samples.append((time.perf_counter() - t0) / number)
    ratio = statistics.median(x / y for x, y in zip(a, b))
    return statistics.median(a), statistics.median(b), ratio


# -- (a) LogisticRegression ---------------------------------------------------------------
class LogisticRegression(bp.Base):
    def __init__(self, dimension):
        super().__init__()
        self.dimension = dimension
        self.w = bp.math.Variable(2.0 * bp.math.ones(dimension) - 1.3)

    def __call__(self, X, Y):
        u = bp.math.dot(((1.0 / (1.0 + bp.math.exp(-Y * bp.math.dot(X, self.w))) - 1.0) * Y), X)
        self.w[:] = self.w - u


def raw_logistic_step(w, X, Y):
    u = jnp.dot(((1.0 / (1.0 + jnp.exp(-Y * jnp.dot(X, w))) - 1.0) * Y), X)
    return w - u


def bench_logistic(num_points: int, repeats: int, number: int) -> list[tuple]:
    bp.math.use_backend("jax")
    bp.math.random.seed(0)
    points = bp.math.random.random((num_points, 10))
    labels = bp.math.random.random(num_points)
    model = LogisticRegression(10)
    jit_model = bp.math.jit(model)
    raw = jax.jit(raw_logistic_step)
    state = {"w": 2.0 * jnp.ones(10, jnp.float32) - 1.3}
    X, Y = points.value, labels.value

    def ours():
        jit_model(points, labels)
        model.w.value.block_until_ready()

    def reference():
        state["w"] = raw(state["w"], X, Y)
        state["w"].block_until_ready()

    ours()
    reference()
    np.testing.assert_allclose(np.asarray(model.w), np.asarray(state["w"]), rtol=1e-4)
    t_ours, t_ref, ratio = interleaved(ours, reference, repeats, number)
    name = f"(a) LogisticRegression, float32, {num_points:,} x 10: one call"
    return [(name, t_ours * 1e3, t_ref * 1e3, "ms", ratio, "<= 1.05")]


# -- (b) per-call cost -------------------------------------------------------------------------
class Counter(bp.Base):
    def __init__(self):
        super().__init__()
        self.x = bp.math.Variable(bp.math.zeros(10))

    def update(self):
        self.x += 1


def bench_call_overhead(repeats: int, number: int) -> list[tuple]:
    bp.math.use_backend("jax")
    counter = Counter()
    update = bp.math.jit(counter.update)
    raw = jax.jit(lambda x: x + 1)
    state = {"x": jnp.zeros(10)}

    def reference():
        state["x"] = raw(state["x"])

    for _ in range(2000):
        update()
        reference()
    t_ours, t_ref, ratio = interleaved(update, reference, repeats, number)
    counter.x.value.block_until_ready()
    name = "(b) jitted method `self.x += 1` (10 elements): per call"
    return [(name, t_ours * 1e6, t_ref * 1e6, "us", ratio, "<= 1.5")]


# -- (c) gelu ----------------------------------------------------------------------------------
def gelu(x):
    sqrt = bp.math.sqrt(2 / bp.math.pi)
    cdf = 0.5 * (1.0 + bp.math.tanh(sqrt * (x + 0.044715 * (x**3))))
    y = x * cdf
    return y


def _gelu_row(backend: str, repeats: int, number: int) -> tuple:
    bp.math.use_backend(backend)
    jit = getattr(bp.math, "jit", None)
    if jit is None:
        return (f"(c) gelu, {backend} backend: bp.math.jit not available, skipped",)
    x = bp.math.random.random(100000)

    def block(r):
        return r.block_until_ready() if backend == "jax" else r

    try:
        gelu_jit = jit(gelu)
        block(gelu_jit(x))
    except Exception as err:  # the other backend's jit may still be in progress
        return (f"(c) gelu, {backend} backend: jit failed ({type(err).__name__}), skipped",)
    t_jit, t_plain, ratio = interleaved(
        lambda: block(gelu_jit(x)), lambda: block(gelu(x)), repeats, number
    )
    dtype = "float32" if backend == "jax" else "float64"
    name = f"(c) gelu, {backend} backend, 100,000 {dtype}: jit vs no jit"
    return (name, t_jit * 1e6, t_plain * 1e6, "us", ratio, "< 1")


def bench_gelu(repeats: int, number: int) -> list[tuple]:
    rows = [_gelu_row(backend, repeats, number) for backend in ("jax", "numpy")]
    bp.math.use_backend("jax")
    return rows


# -- report ------------------------------------------------------------------------------------
def table(rows) -> str:
    lines = [
        "| benchmark | brainjit | reference | unit | ratio | target |",
        "|---|---:|---:|---|---:|---|",
    ]
    for row in rows:
        if len(row) == 1:
            lines.append(f"| {row[0]} | - | - | | - | |")
            continue
        name, ours, ref, unit, ratio, target = row
        lines.append(f"| {name} | {ours:.4g} | {ref:.4g} | {unit} | {ratio:.3f} | {target} |")
    return "\n".join(lines)


def write_results(text: str) -> None:
    section = f"{START}\n{text}\n{END}"
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if START in old and END in old:
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: section, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer points and repeats")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    opts = parser.parse_args()
    q = opts.quick
    rows = []
    rows += bench_logistic(200_000 if q else 2_000_000, 5 if q else 15, 3 if q else 5)
    rows += bench_call_overhead(5 if q else 21, 2000 if q else 5000)
    rows += bench_gelu(5 if q else 15, 50 if q else 200)
    result = table(rows)
    print(result)
    if opts.no_write:
        return
    info = (
        f"## jit on the jax backend (`benchmarks/jit_jax.py`)\n\n"
        f"Command: `.venv/bin/python benchmarks/jit_jax.py{' --quick' if q else ''}` — "
        f"{datetime.date.today()}, {platform.machine()} with {os.cpu_count()} CPU(s), "
        f"Python {sys.version.split()[0]}, jax {jax.__version__} on "
        f"{jax.devices()[0].platform}. Medians of interleaved repeats; ratio = median "
        "over the repeats of brainjit / reference (the reference is raw `jax.jit` of the "
        "pure function, state passed in and returned, for (a) and (b); the same function "
        "without jit for (c)).\n\n"
    )
    write_results(info + result)


if __name__ == "__main__":
    main()
