"""What the training benchmark's scripts share (``benchmarks/training.py``): the
network, its data, the command line, a NumPy reference of its gradients, and the JSON
line.

The scripts run in their own virtual environments (brainjit's, ``.venv-brainpy``,
``.venv-snntorch``), so this module uses only the standard library and NumPy.

The network (identical in every framework; potentials in units of the threshold,
times in ms, dt = 1 ms, ``T`` steps, a batch of ``B`` trials, float32 unless asked):

    I_t = x_t W_in                               x_t: (B, n_in) input spikes (0 or 1)
    v_t = beta v_{t-1} + I_t - theta sg(s_{t-1})  hidden LIF potentials (B, n_hidden)
    s_t = H(v_t - theta)                         spikes; backward: sigmoid surrogate
    o_t = beta_o o_{t-1} + s_t W_out             readout: leaky integrator (B, n_out)
    loss = cross-entropy(mean_t o_t, labels)     averaged over the batch

with ``beta = exp(-dt / tau)``, ``tau = 10 ms``, ``beta_o = exp(-dt / tau_o)``,
``tau_o = 20 ms``, threshold ``theta = 1``, ``v_0 = o_0 = 0``, ``s_0 = 0``, no biases.
The reset is *by subtraction*, one step late and without gradient (``sg``: stop
gradient): exactly snnTorch's ``snn.Leaky(beta, reset_mechanism="subtract")`` (its
default ``reset_delay=True``, whose reset signal is detached). The surrogate: the
forward pass is the step ``H``, the backward pass the derivative of the logistic
sigmoid of slope ``ALPHA``, ``alpha s (1 - s)`` with ``s = 1 / (1 + exp(-alpha x))``
(snnTorch's ``surrogate.sigmoid(slope)``, BrainPy's and brainjit's
``surrogate.sigmoid(x, alpha)``; they differ only in ``H(0)``, a tie that float inputs
never hit). The optimiser: Adam (lr 1e-3, betas 0.9 / 0.999, eps 1e-8) on ``W_in``
and ``W_out``.

Data (written by the driver as .npy files, read by every script): the inputs are
Bernoulli spikes, p = 0.05 per input per step (50 Hz), labels uniform in 0..n_out-1,
``W_in ~ N(0, 0.3^2)`` (about 8% of hidden neurons fire per step),
``W_out ~ N(0, 1 / n_hidden)``; all from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

DT = 1.0  # ms
TAU = 10.0  # ms, hidden LIF
TAU_OUT = 20.0  # ms, readout
THETA = 1.0  # threshold (the unit of potential)
ALPHA = 4.0  # sigmoid surrogate slope, per unit of potential
P_IN = 0.05  # input spike probability per step
LR = 1e-3  # Adam
BETA = math.exp(-DT / TAU)
BETA_OUT = math.exp(-DT / TAU_OUT)

#: name -> default of the network's size (the issue's: 1000 LIF, 100 steps, batch 32)
SIZE = dict(inputs=100, hidden=1000, outputs=10, steps=100, batch=32)


def make_data(folder: str | Path, seed: int = 0, **size) -> Path:
    """Write ``x.npy`` (steps, batch, inputs; float32 0/1), ``y.npy`` (batch; int64),
    ``w_in.npy`` and ``w_out.npy`` (float64) into ``folder``; return it."""
    n = {**SIZE, **size}
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x = (rng.random((n["steps"], n["batch"], n["inputs"])) < P_IN).astype(np.float32)
    y = rng.integers(0, n["outputs"], n["batch"]).astype(np.int64)
    w_in = rng.standard_normal((n["inputs"], n["hidden"])) * 0.3
    w_out = rng.standard_normal((n["hidden"], n["outputs"])) / math.sqrt(n["hidden"])
    for name, value in dict(x=x, y=y, w_in=w_in, w_out=w_out).items():
        np.save(folder / f"{name}.npy", value)
    return folder


def load_data(folder: str | Path, dtype: str) -> dict[str, np.ndarray]:
    """The arrays of :func:`make_data`, floats in ``dtype`` (labels int64)."""
    folder = Path(folder)
    data = {k: np.load(folder / f"{k}.npy") for k in ("x", "y", "w_in", "w_out")}
    for k in ("x", "w_in", "w_out"):
        data[k] = data[k].astype(dtype)
    return data


def reference(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Loss, gradients and spike count of the network, by hand-written backpropagation
    through time in NumPy (in the dtype of ``data``; float64 for the check): the
    independent reference of every framework's gradients."""
    x, y, w_in, w_out = data["x"], data["y"], data["w_in"], data["w_out"]
    steps, batch, _ = x.shape
    v = np.zeros((batch, w_in.shape[1]), w_in.dtype)
    s = np.zeros_like(v)
    o = np.zeros((batch, w_out.shape[1]), w_out.dtype)
    vs, ss, total = [], [], np.zeros_like(o)
    for t in range(steps):
        v = BETA * v + x[t] @ w_in - THETA * s
        s = (v > THETA).astype(v.dtype)
        o = BETA_OUT * o + s @ w_out
        total += o
        vs.append(v)
        ss.append(s)
    logits = total / steps
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(batch), y].mean()
    g_logits = np.exp(logp)
    g_logits[np.arange(batch), y] -= 1.0
    g_logits /= batch
    g_in, g_out = np.zeros_like(w_in), np.zeros_like(w_out)
    a = np.zeros_like(o)  # dL/do_t, through the readout's leak
    dv_next = np.zeros_like(v)  # dL/dv_{t+1}
    for t in reversed(range(steps)):
        a = g_logits / steps + BETA_OUT * a
        g_out += ss[t].T @ a
        sig = 1.0 / (1.0 + np.exp(-ALPHA * (vs[t] - THETA)))
        dv = (a @ w_out.T) * ALPHA * sig * (1.0 - sig) + BETA * dv_next
        g_in += x[t].T @ dv
        dv_next = dv
    return {
        "loss": np.asarray(loss),
        "g_in": g_in,
        "g_out": g_out,
        "spikes": np.asarray(sum(float(s_.sum()) for s_ in ss)),
    }


def parser(description: str) -> argparse.ArgumentParser:
    """The command line shared by the training scripts."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", required=True, help="folder of make_data's .npy files")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--iters", type=int, default=10, help="timed training steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (compile)")
    p.add_argument("--threads", type=int, default=1, help="threads (0: library default)")
    p.add_argument(
        "--grads",
        help="write loss and gradients at the initial weights to this .npz, then exit",
    )
    return p


def current_rss_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def save_grads(path: str, loss, g_in, g_out, spikes) -> None:
    """The gradient check's output: loss, dL/dW_in, dL/dW_out, hidden spike count."""
    np.savez(
        path,
        loss=np.asarray(loss, np.float64),
        g_in=np.asarray(g_in, np.float64),
        g_out=np.asarray(g_out, np.float64),
        spikes=np.asarray(spikes, np.float64),
    )


def time_steps(step, warmup: int, iters: int) -> dict:
    """Run ``warmup + iters`` training steps, ``step()`` each (it returns the loss as a
    float once the new weights are ready), and time the last ``iters``.

    Returns ``step_s`` (wall-clock seconds of each timed step), ``cpu_s`` (the CPU
    seconds this process spent in it, all its threads: steadier than the wall clock on
    a loaded machine, and equal to it for a single-threaded step on an idle one),
    ``first_s`` (the first step, compilation included), ``rss_before_mb`` (resident MB
    before the first step) and ``losses`` (every step's, warm-up included)."""
    rss_before = current_rss_mb()
    losses, wall, cpu = [], [], []
    for _ in range(warmup + iters):
        t0, c0 = time.perf_counter(), time.process_time()
        losses.append(step())
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return {
        "step_s": wall[warmup:],
        "cpu_s": cpu[warmup:],
        "first_s": wall[0],
        "rss_before_mb": rss_before,
        "losses": losses,
    }


def emit(framework: str, timing: dict, **extra) -> dict:
    """Print the one JSON line of a timing run (last on stdout) and return it:
    :func:`time_steps`'s ``timing``, the peak resident MB and ``extra``."""
    result = {"framework": framework, **timing, "peak_rss_mb": peak_rss_mb(), **extra}
    sys.stdout.flush()
    print(json.dumps(result), flush=True)
    return result


def skip(framework: str, note: str) -> None:
    """Print a JSON line saying that the framework is absent, and exit with status 3."""
    print(json.dumps({"framework": framework, "skipped": note}), flush=True)
    sys.exit(3)
