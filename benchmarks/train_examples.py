"""The two training examples at their full settings, recorded in RESULTS.md.

    python benchmarks/train_examples.py                   # seeds 0-4 of both examples
    python benchmarks/train_examples.py --seeds 0 --no-write

Runs ``examples/train_digits.py`` (a spiking classifier of scikit-learn's digits) and
``examples/fit_rates.py`` (a recurrent network fitted to target rates) once per seed,
each in its own process on the jax backend with its default settings, and writes the
test accuracies, the rate errors and the training times (per seed, and their mean and
standard deviation over the seeds) to the section ``train_examples`` of
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import machine, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, args: list[str]) -> dict:
    """Run ``examples/<name>`` with ``args`` on the jax backend; return its JSON summary."""
    cmd = [sys.executable, str(ROOT / "examples" / name), *args, "--no-plot", "--json"]
    env = {**os.environ, "BRAINJIT_BACKEND": "jax"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    lines = out.stdout.strip().splitlines()
    print(lines[-2], flush=True)  # the example's one-line result
    summary = json.loads(lines[-1])
    if not summary.get("trained"):
        raise RuntimeError(f"{name} did not train: {summary}")
    return summary


def mean_sd(values: list[float], fmt: str) -> str:
    """``mean +- sd`` (the sample standard deviation; just the value for one seed)."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} +- {format(statistics.stdev(values), fmt)}"


def wrap(text: str) -> str:
    """Fill the paragraphs of ``text`` to 88 columns, leaving tables and headings."""
    blocks = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("|", "#")):
            blocks.append(block)
        else:
            blocks.append(textwrap.fill(" ".join(block.split()), 88, break_on_hyphens=False))
    return "\n\n".join(blocks) + "\n"


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    digits = [run_example("train_digits.py", ["--seed", str(s)]) for s in args.seeds]
    rates = [run_example("fit_rates.py", ["--seed", str(s)]) for s in args.seeds]
    load = os.getloadavg()[0]
    d0, r0 = digits[0], rates[0]
    digit_rows = "\n".join(
        f"| {s} | {d['test_accuracy']:.3f} | {d['train_accuracy']:.3f} | "
        f"{d['first_loss']:.3f} -> {d['last_loss']:.3f} | {d['train_s']:.1f} |"
        for s, d in zip(args.seeds, digits)
    )
    rate_rows = "\n".join(
        f"| {s} | {r['rmse_before_hz']:.2f} | {r['rmse_after_hz']:.2f} | {r['train_s']:.1f} |"
        for s, r in zip(args.seeds, rates)
    )
    test_acc = mean_sd([d["test_accuracy"] for d in digits], ".3f")
    after = mean_sd([r["rmse_after_hz"] for r in rates], ".2f")
    before = mean_sd([r["rmse_before_hz"] for r in rates], ".2f")
    seeds = " ".join(map(str, args.seeds))
    text = wrap(f"""
## Training spiking networks: the two examples (`benchmarks/train_examples.py`)

`python benchmarks/train_examples.py --seeds {seeds}`: each example once per seed in its
own process, jax backend, its default settings. {machine()}; load average {load:.1f}
when done (a shared machine: the times vary with the load).

`examples/train_digits.py`: scikit-learn's `load_digits` ({d0["train_images"]} training
and {d0["test_images"]} held-out test images, a split per seed), rate-coded over
{d0["steps"]} steps of 1 ms, 64-{d0["hidden"]}-10 (LIF hidden layer, leaky readout),
surrogate gradient (fast sigmoid), BPTT by `bp.training.run_trials` over batches of 64
trials, optax Adam (learning rate 0.01), {d0["epochs"]} epochs, the whole train step one
`bp.math.jit`. Time: the whole training, compilation and per-epoch test evaluation
included. **Test accuracy {test_acc}** (mean +- sd over {len(digits)} seed(s)).

| seed | test accuracy | train accuracy | loss (first batch -> last epoch) | training (s) |
|---|---:|---:|---|---:|
{digit_rows}

`examples/fit_rates.py`: {r0["neurons"]} recurrent LIF neurons, {r0["steps"]} ms,
per-neuron sinusoidal target rates (20 +- 15 Hz), rates averaged over {r0["trials"]}
noisy trials, {r0["iterations"]} Adam steps (input, recurrent weights and biases). The
fit error: the rms difference between the trial-averaged rates and the targets, on a
fresh batch of noisy trials. **{before} Hz before, {after} Hz after training** (mean +-
sd over {len(rates)} seed(s)).

| seed | rms error before (Hz) | rms error after (Hz) | training (s) |
|---|---:|---:|---:|
{rate_rows}
""")
    print(text)
    if not args.no_write:
        write_section("train_examples", text)
        print("written to benchmarks/RESULTS.md (section 'train_examples')")
    return text


if __name__ == "__main__":
    main()
