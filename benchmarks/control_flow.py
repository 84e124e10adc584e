"""Native Python loops converted by bp.math.jit against hand-written lax.fori_loop.

The same loop body is compiled two ways on the jax backend:

- brainjit: a method with a plain ``for _ in range(n_steps)`` loop over a neuron-like
  update of Variables, under ``bp.math.jit`` (the loop is converted to
  ``lax.fori_loop`` because ``n_steps`` is traced);
- reference: a pure function of the state with ``jax.lax.fori_loop`` under ``jax.jit``.

Reported: run time per call (median of interleaved repeats, and the median of the
per-repeat ratios), and the first call's trace + compile time of each.

Usage: python benchmarks/control_flow.py [--steps 2000] [--size 4000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write_section  # noqa: E402

import brainjit as bp  # noqa: E402

bp.math.use_backend("jax")

TAU, V_TH, DT = 10.0, 1.0, 0.1


class Neurons(bp.Base):
    """Leaky integrators with a threshold, run by a native Python loop."""

    def __init__(self, n):
        super().__init__()
        self.V = bp.math.Variable(bp.math.zeros(n))
        self.count = bp.math.Variable(bp.math.zeros(n))

    def run(self, current, n_steps):
        for _ in range(n_steps):
            self.V += (-self.V + current) * (DT / TAU)
            fired = self.V > V_TH
            self.V.value = bp.math.where(fired, 0.0, self.V)
            self.count += fired
        return self.count.value


def reference(V, count, current, n_steps):
    def body(_, state):
        V, count = state
        V = V + (-V + current) * (DT / TAU)
        fired = V > V_TH
        return jnp.where(fired, 0.0, V), count + fired

    return jax.lax.fori_loop(0, n_steps, body, (V, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    current = np.linspace(0.5, 3.0, args.size).astype(np.float32)
    model = Neurons(args.size)
    ours = bp.math.jit(model.run)
    ref = jax.jit(reference)
    V0 = jnp.zeros(args.size)
    c0 = jnp.zeros(args.size)
    cur = jnp.asarray(current)

    t0 = time.perf_counter()
    out = ours(cur, args.steps)
    np.asarray(out)
    compile_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    V1, c1 = ref(V0, c0, cur, args.steps)
    c1.block_until_ready()
    compile_ref = time.perf_counter() - t0
    # same result from the same start
    np.testing.assert_allclose(np.asarray(out), np.asarray(c1))

    t_ours, t_ref, ratios = [], [], []
    state = (V1, c1)
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours(cur, args.steps).value.block_until_ready()
        a = time.perf_counter() - t0
        t0 = time.perf_counter()
        state = ref(*state, cur, args.steps)
        state[1].block_until_ready()
        b = time.perf_counter() - t0
        t_ours.append(a)
        t_ref.append(b)
        ratios.append(a / b)

    rows = [
        (
            "run, per call",
            statistics.median(t_ours) * 1e3,
            statistics.median(t_ref) * 1e3,
            "ms",
            statistics.median(ratios),
            "<= 1.10",
        ),
        (
            "first call: trace + compile",
            compile_ours * 1e3,
            compile_ref * 1e3,
            "ms",
            compile_ours / compile_ref,
            "(reported)",
        ),
    ]
    command = "python benchmarks/control_flow.py " + " ".join(sys.argv[1:])
    lines = [
        "## Native loops under jit vs hand-written lax.fori_loop (`benchmarks/control_flow.py`)",
        "",
        f"Command: `{command.strip()}` — {machine()}. {args.size} neurons, "
        f"{args.steps} steps per call, median of {args.repeats} interleaved repeats; ratio = "
        "median of the per-repeat ratios brainjit / reference.",
        "",
        "| measure | brainjit (native `for`) | jax.jit + lax.fori_loop | unit | ratio | target |",
        "|---|---:|---:|---|---:|---|",
    ]
    lines += [f"| {n} | {a:.4g} | {b:.4g} | {u} | {r:.3f} | {t} |" for n, a, b, u, r, t in rows]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section("control_flow", table)


if __name__ == "__main__":
    main()
