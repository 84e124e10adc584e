"""Memory and time of backpropagation through time, plain and with rematerialisation.

The network: 1000 ``bp.dyn.LIF`` neurons with a surrogate spike function
(``bm.surrogate.Sigmoid()``), a recurrent ``bp.dyn.Exponential`` synapse (fixed
probability 0.02, about 20 synapses per neuron) and 100 rate-coded input channels
(spikes at 20 Hz) through a trained input matrix ``W`` (a ``TrainVar``, 100 x 1000).
The loss: the squared distance of each neuron's spike count to a target rate, after
``n`` steps of 0.1 ms run by ``bp.training.run`` (one ``bm.for_loop``). Its gradient
with respect to ``W`` by ``bm.jit(bm.grad(...))``:

- *plain*: everything each step computed is kept for the backward pass (memory grows
  with ``n``);
- ``remat=True``: each step checkpointed (``jax.checkpoint``): only the carry (the
  Variables) is kept per step;
- ``remat=k``: blocks of ``k`` steps checkpointed: the carry every ``k`` steps, and
  one block's intermediates at a time during the backward pass.

Each case is a fresh process (jax on the CPU); reported: the first call (trace,
compile and run, s), a later call (the best of 2, s), the growth of the process's peak
RSS during the first call over what it had after building the model (MB), and the
summed absolute gradient (the same up to float32 rounding in every case of one ``n``).

The 10-step row is the fixed cost (tracing and compiling, a few buffers): what a
longer run adds to it is what the backward pass keeps.

Usage: python benchmarks/training_memory.py [--steps 10 1000 10000 100000] [--remat ...]
       [--timeout 900] [--no-write]
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

N, N_IN, DT, RATE_HZ, TARGET_HZ = 1000, 100, 0.1, 20.0, 10.0


def measure(n_steps: int, remat) -> dict:
    """One measurement, in this process (run by :func:`child` in a fresh one)."""
    import resource
    import time

    import jax
    import jax.numpy as jnp
    import numpy as np

    import brainjit as bp

    bm = bp.math
    bm.use_backend("jax")
    rng = np.random.default_rng(0)

    class Net(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.E = bp.dyn.LIF(
                N, V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0,
                V_initial=rng.uniform(-60.0, -50.0, N), spike_fun=bm.surrogate.Sigmoid(),
            )  # fmt: skip
            conn = bp.conn.FixedProb(0.02, seed=1)
            self.rec = bp.dyn.Exponential(self.E, self.E, conn, weight=0.5, tau=5.0)
            self.W = bm.TrainVar(jnp.asarray(rng.normal(1.0, 1.0, (N_IN, N)), jnp.float32))
            self.x = bm.Variable(jnp.zeros(N_IN))
            self.count = bm.Variable(jnp.zeros(N))

        def update(self, t, dt):
            self.E.input += 20.0 * (self.x @ self.W)
            self.rec.update(t, dt)
            self.E.update(t, dt)
            self.count += self.E.spike

    net = Net()
    p = RATE_HZ * DT / 1000.0
    drive = jnp.asarray(rng.random((n_steps, N_IN)) < p, jnp.float32)
    target = TARGET_HZ * n_steps * DT / 1000.0

    def loss():
        net.reset_state()
        bp.training.run(net, inputs=[("x", drive, "iter", "=")], dt=DT, remat=remat)
        return jnp.mean((net.count.value - target) ** 2)

    f = bm.jit(bm.grad(loss, grad_vars=net.train_vars()))

    def result() -> float:
        grads = jax.block_until_ready(f())
        return float(sum(jnp.abs(g).sum() for g in jax.tree_util.tree_leaves(grads)))

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    value = result()
    first = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        result()
        times.append(time.perf_counter() - t0)
    return {"first": first, "call": min(times), "peak_mb": (peak - base) / 1024, "value": value}


def child(n_steps: int, remat, timeout: float) -> dict | str:
    """:func:`measure` in a fresh process (its peak memory is its own), or why it did
    not finish (killed after ``timeout`` seconds, or out of memory)."""
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import training_memory; "
        f"print('RESULT', json.dumps(training_memory.measure({n_steps}, {remat!r})))"
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
        raise SystemExit(f"the worker (n = {n_steps}, remat={remat!r}) failed")
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


def parse_remat(text: str):
    """'plain' -> False, 'True' -> True, a number -> that int."""
    if text == "plain":
        return False
    if text == "True":
        return True
    return int(text)


def reading(results: dict) -> str:
    """What the table says, at the longest run measured plain (computed, not typed)."""
    ns = [n for (n, remat) in results if remat is False]
    if not ns:
        return ""
    n = max(ns)
    plain = results[n, False]
    blocks = {k: r for (m, k), r in results.items() if m == n and k not in (True, False)}
    text = f"Reading: at n = {n}, plain BPTT's peak is {plain['peak_mb']:.0f} MB"
    fixed = results.get((min(ns), False)) if min(ns) < n else None
    if fixed:
        text += f" (the {min(ns)}-step run's fixed cost: {fixed['peak_mb']:.0f} MB)"
    if blocks:
        best = min(blocks, key=lambda k: blocks[k]["peak_mb"])
        mem = [r["peak_mb"] / plain["peak_mb"] for r in blocks.values()]
        time = [r["call"] / plain["call"] for r in blocks.values()]
        text += (
            f"; with blocks of k steps it is {min(mem):.2f}-{max(mem):.2f}x that (least at "
            f"k = {best}: {blocks[best]['peak_mb']:.0f} MB), and a gradient takes "
            f"{min(time):.2f}-{max(time):.2f}x the time of plain BPTT: the backward pass "
            "runs each block forward again, but writes and reads far less saved data"
        )
    if (n, True) in results:
        r = results[n, True]
        text += (
            f". `remat=True` is {r['peak_mb'] / plain['peak_mb']:.2f}x the memory and "
            f"{r['call'] / plain['call']:.2f}x the time: it keeps the whole carry (every "
            "Variable of the network) at every step, more than plain BPTT keeps of a LIF "
            "step, so checkpointing each step helps only models whose steps compute much "
            "more than they carry; blocks are what bound the memory of long runs"
        )
    return text + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 1000, 10_000, 100_000])
    parser.add_argument(
        "--remat",
        nargs="+",
        default=["plain", "True", "10", "32", "100", "316", "1000"],
        help="cases: plain, True or a block length k (blocks longer than n are skipped)",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    header = (
        "| steps | remat | first call (s) | gradient (s) | peak memory (MB) | memory / plain "
        "| time / plain | sum of abs(gradient) |\n|---:|---|---:|---:|---:|---:|---:|---:|"
    )
    print(header, flush=True)
    rows, results = [], {}
    for n in args.steps:
        plain = None
        for text in args.remat:
            remat = parse_remat(text)
            if remat is not True and remat is not False and remat >= n:
                continue
            r = child(n, remat, args.timeout)
            label = {False: "plain BPTT", True: "`True` (every step)"}.get(remat, f"`{remat}`")
            if isinstance(r, str):
                row = f"| {n} | {label} | {r} | | | | | |"
            else:
                results[n, remat] = r
                if remat is False:
                    plain = r
                ratio = (
                    f"{r['peak_mb'] / plain['peak_mb']:.2f} | {r['call'] / plain['call']:.2f}"
                    if plain
                    else " | "
                )
                row = (
                    f"| {n} | {label} | {r['first']:.1f} | {r['call']:.2f} | "
                    f"{r['peak_mb']:.0f} | {ratio} | {r['value']:.6g} |"
                )
            rows.append(row)
            print(row, flush=True)
    if args.no_write:
        return
    text = "\n".join(
        [
            "## Memory of BPTT: rematerialisation (`benchmarks/training_memory.py`)",
            "",
            f"The gradient of a loss over n steps (dt = {DT} ms) of {N} LIF neurons with a "
            "surrogate spike (`bm.surrogate.Sigmoid()`), a recurrent Exponential synapse "
            f"(p = 0.02) and {N_IN} rate-coded inputs through a trained matrix, by "
            "`bm.jit(bm.grad(...))` of `bp.training.run(..., remat=...)`. *plain*: every "
            "step's intermediates kept; `remat=True`: each step checkpointed "
            "(`jax.checkpoint`); `remat=k`: blocks of k steps checkpointed (nested scans). "
            "First call = trace + compile + run; gradient = a later call (best of 2); peak "
            "memory = growth of the process's peak RSS during the first call (a fresh "
            "process per row; the 10-step row is the fixed cost of tracing and compiling); "
            "the summed absolute gradient is the same in every row of one n (float32 "
            "rounding).",
            "",
            header,
            *rows,
            "",
            reading(results),
            "",
            f"Command: `{shlex.join(['python', 'benchmarks/training_memory.py', *sys.argv[1:]])}` "
            f"(code: {commit()}). Machine: {machine()}.",
        ]
    )
    write_section("training_memory", text)


if __name__ == "__main__":
    main()
