"""Compile time and memory of a native ``for i in range(n)`` loop in jitted jax code.

The model: a small network (``bp.dyn.LIF`` neurons, an ``Exponential`` synapse with
fixed-probability connections) and a method whose body is a Python loop with a
constant trip count::

    def run(self):
        for i in range(self.n_steps):  # a constant
            self.E.input += self.w
            self.net.update(i * DT, DT)
        return self.E.V.sum()

compiled two ways on the jax backend: ``bp.math.jit(model.run)`` (forward) and
``bp.math.jit(bp.math.grad(model.run, grad_vars=model.train_vars()))`` (a gradient
with respect to the input weights ``w``, a ``TrainVar``). Each measurement is one
fresh process; reported:

- *first call*: the first call's trace + compile + run time (s);
- *call*: a later call's run time (ms, the best of 5);
- *peak memory*: the growth of the process's peak RSS (``ru_maxrss``) over what it
  had after building the model, that is, what tracing and compiling took (MB);
- the result (the summed potential, or the summed gradient), the same for the rolled
  and the unrolled loop.

*Before*: the loop unrolled (``static_loops.ROLL_ABOVE`` raised, which is what every
static loop did before rolling), for n <= --max-unrolled; *after*: the loop rolled
into one ``lax.fori_loop``, for n up to --max-rolled. For comparison, the forward
method on the numpy backend (Numba compiles the loop as a loop) at the rolled sizes.

Usage: python benchmarks/static_loops.py [--size 20] [--max-unrolled 100]
       [--max-rolled 10000] [--timeout 600] [--code TEXT] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _results import machine, write_section  # noqa: E402

DT = 0.1


def measure(kind: str, n_steps: int, rolled: bool, size: int) -> dict:
    """One measurement, in this process (run by :func:`child` in a fresh one)."""
    import resource
    import time

    import jax
    import numpy as np

    import brainjit as bp
    from brainjit.math._jax import static_loops

    bp.math.use_backend("numpy" if kind == "numpy" else "jax")
    if not rolled:
        static_loops.ROLL_ABOVE = 10**9  # every static loop unrolls, as before
    bp.math.random.seed(0)

    class Model(bp.Base):
        def __init__(self, num, n_steps):
            super().__init__()
            self.n_steps = n_steps
            self.E = bp.dyn.LIF(num, V_initial=bp.math.random.uniform(0.0, 20.0, num))
            conn = bp.conn.FixedProb(0.2, seed=1)
            self.syn = bp.dyn.Exponential(self.E, self.E, conn, weight=1.0)
            self.net = bp.dyn.Network(self.E, self.syn)
            self.w = bp.math.TrainVar(bp.math.ones(num) * 5.0)

        def run(self):
            for i in range(self.n_steps):
                self.E.input += self.w
                self.net.update(i * DT, DT)
            return self.E.V.sum()

    model = Model(size, n_steps)
    if kind in ("jit", "numpy"):
        f = bp.math.jit(model.run)
    else:
        f = bp.math.jit(bp.math.grad(model.run, grad_vars=model.train_vars()))

    def result(out) -> float:
        leaves = jax.tree_util.tree_leaves(out, is_leaf=lambda x: isinstance(x, np.ndarray))
        if kind != "numpy":
            jax.block_until_ready(leaves)
        return float(sum(np.asarray(x).sum() for x in leaves))

    state = {k: v.value for k, v in model.vars().items()}
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    value = result(f())
    first = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(5):
        for k, v in model.vars().items():
            v.value = state[k]
        t0 = time.perf_counter()
        result(f())
        times.append(time.perf_counter() - t0)
    return {
        "first": first,
        "call_ms": min(times) * 1e3,
        "peak_mb": (peak - base) / 1024,
        "value": value,
        "traces": getattr(f, "num_traces", None),
    }


def child(kind: str, n_steps: int, rolled: bool, size: int, timeout: float) -> dict | str:
    """:func:`measure` in a fresh process (its peak memory is its own), or why it
    did not finish (killed after ``timeout`` seconds, or out of memory)."""
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import static_loops; "
        f"print('RESULT', json.dumps(static_loops.measure({kind!r}, {n_steps}, "
        f"{rolled}, {size})))"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"not done after {timeout:.0f} s"
    if out.returncode == -9 or "MemoryError" in out.stderr or "RESOURCE_EXHAUSTED" in out.stderr:
        return "out of memory"
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"the worker ({kind}, n = {n_steps}, rolled={rolled}) failed")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def commit() -> str:
    """The measured brainjit's commit (``git describe --always --dirty``), or "unknown"."""
    import brainjit

    out = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=Path(brainjit.__file__).resolve().parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20, help="neurons")
    parser.add_argument("--max-unrolled", type=int, default=100)
    parser.add_argument("--max-rolled", type=int, default=10_000)
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds one measurement may take"
    )
    parser.add_argument(
        "--code", default=None, help="what code is measured (default: its git commit)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    unrolled_ns = [n for n in (10, 50, 100, 200, 500) if n <= args.max_unrolled]
    rolled_ns = [n for n in (10, 50, 100, 1000, 10_000) if n <= args.max_rolled]
    rows = []
    header = (
        "| model | loop | n | first call (s) | call (ms) | peak memory (MB) | result |\n"
        "|---|---|---:|---:|---:|---:|---:|"
    )
    print(header)
    cases = [
        (kind, rolled, ns)
        for kind in ("jit", "grad")
        for rolled, ns in ((False, unrolled_ns), (True, rolled_ns))
    ]
    cases.append(("numpy", True, rolled_ns))  # Numba compiles the loop as a loop
    labels = {"jit": "forward", "grad": "gradient", "numpy": "forward, numpy backend"}
    for kind, rolled, ns in cases:
        for n in ns:
            r = child(kind, n, rolled, args.size, args.timeout)
            loop = "unrolled (before)" if not rolled else "rolled (after)"
            what = f"| {labels[kind]} | {'Numba loop' if kind == 'numpy' else loop} | {n} | "
            if isinstance(r, str):  # it did not finish
                row = what + f"{r} | | | |"
            else:
                row = what + (
                    f"{r['first']:.2f} | {r['call_ms']:.2f} | {r['peak_mb']:.0f} | "
                    f"{r['value']:.6g} |"
                )
            rows.append(row)
            print(row, flush=True)
    if args.no_write:
        return
    text = "\n".join(
        [
            "## Long static loops in jitted jax code (`benchmarks/static_loops.py`)",
            "",
            f"A `for i in range(n)` loop over the update of a network of {args.size} LIF "
            "neurons with an Exponential synapse (20% connectivity), under "
            "`bp.math.jit` (forward) and `bp.math.jit(bp.math.grad(...))` (gradient "
            "with respect to the input weights). *Before*: the loop unrolled (every "
            "static loop, before rolling); *after*: rolled into one `lax.fori_loop`. "
            "First call = trace + compile + run; peak memory = growth of the process's "
            "peak RSS during the first call (each row a fresh process); result = the "
            "summed potential or gradient (equal for both loops). The numpy backend's "
            "rows: the same method under `bp.math.jit`, which Numba compiles as a loop "
            "(its initial potentials come from its own random generator, hence another "
            "result).",
            "",
            header,
            *rows,
            "",
            f"Command: `{shlex.join(['python', 'benchmarks/static_loops.py', *sys.argv[1:]])}` "
            f"(code: {args.code or commit()}). Machine: {machine()}.",
        ]
    )
    write_section("static_loops", text)


if __name__ == "__main__":
    main()
