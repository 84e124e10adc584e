"""Train a spiking classifier end to end on scikit-learn's handwritten digits (jax).

    BRAINJIT_BACKEND=jax python examples/train_digits.py              # 64-128-10, 15 epochs
    BRAINJIT_BACKEND=jax python examples/train_digits.py --plot loss.png --json

The 1797 8x8 digits of ``sklearn.datasets.load_digits`` (bundled with scikit-learn:
no download), 80% for training and 20% held out for the test accuracy. Each image is
rate-encoded into spikes: pixel j of intensity p_j in [0, 1] spikes with probability
``0.5 p_j`` in each of ``--steps`` steps of 1 ms (fresh spikes every epoch). The
network:

    64 input spike trains -> 128 LIF neurons (tau 10 ms, threshold 1, reset by
    subtraction) -> 10 leaky readout units (tau 5 ms, no spikes)

and the class scores are the readout potentials averaged over time. The spike's
derivative, 0 almost everywhere, is replaced by a surrogate (the fast sigmoid of
SuperSpike, ``1 / (1 + 5 |V - V_th|)**2``) in the backward pass only; the forward
pass keeps the exact threshold. The loss is the softmax cross-entropy; the gradient
comes by backpropagation through time over the whole simulation
(``bp.training.run_trials``: a batch of trials, one per image, in one compiled loop),
and optax's Adam updates the weights (``bp.training.Optax``), the whole train step in
one ``bp.math.jit``. Typical result: about 96% test accuracy after 15 epochs (a few seconds)
(``benchmarks/RESULTS.md``).

Gradient training needs the jax backend: on the numpy backend this script says so and
exits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import brainjit as bp

bm = bp.math


def load_data(seed: int, n_train: int | None = None):
    """Digits as (images in [0, 1], labels), split 80/20 into train and test."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(labels))
    images, labels = images[order], labels[order].astype(np.int32)
    split = int(0.8 * len(labels))
    train = images[:split], labels[:split]
    test = images[split:], labels[split:]
    if n_train is not None:  # a smaller problem (the quick test)
        train = train[0][:n_train], train[1][:n_train]
        test = test[0][: n_train // 4], test[1][: n_train // 4]
    return train, test


def encode(images, steps: int, rng) -> np.ndarray:
    """Rate code: (trials, steps, 64) spikes, pixel p spiking with probability 0.5 p."""
    probs = 0.5 * images[:, None, :]
    return (rng.random((len(images), steps, images.shape[1])) < probs).astype(np.float32)


def make_spike():
    """The Heaviside step with SuperSpike's fast-sigmoid derivative (steepness 5)."""
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def spike(x):
        return (x >= 0.0).astype(x.dtype)

    @spike.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return spike(x), dx / (1.0 + 5.0 * jnp.abs(x)) ** 2

    return spike


class SpikingClassifier(bp.DynamicalSystem):
    """Inputs -> LIF hidden layer -> leaky readout; state for ``trials`` trials.

    The update is written for one trial (``bp.training.run_trials`` maps it over the
    trial axis of the state). Times in ms, potentials in units of the threshold.
    """

    def __init__(self, trials, n_in=64, n_hidden=128, n_out=10, tau=10.0, tau_out=5.0, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W_in = bm.TrainVar(rng.normal(0, 3.0 / np.sqrt(n_in), (n_in, n_hidden)).astype("f4"))
        self.W_out = bm.TrainVar(
            rng.normal(0, 3.0 / np.sqrt(n_hidden), (n_hidden, n_out)).astype("f4")
        )
        self.tau, self.tau_out = tau, tau_out
        self.spike_fn = make_spike()
        self.x = bm.Variable(bm.zeros((trials, n_in)))  # input spikes of this step
        self.V = bm.Variable(bm.zeros((trials, n_hidden)))  # hidden potentials
        self.spike = bm.Variable(bm.zeros((trials, n_hidden)))
        self.out = bm.Variable(bm.zeros((trials, n_out)))  # readout potentials

    def update(self, t, dt):
        V = self.V + dt / self.tau * (-self.V + self.tau * (self.x @ self.W_in))
        spike = self.spike_fn(V - 1.0)
        self.spike.value = spike
        self.V.value = V - spike  # reset by subtraction
        self.out.value = self.out + dt / self.tau_out * (-self.out + self.spike @ self.W_out)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--steps", type=int, default=25, help="time steps of 1 ms per image")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam's learning rate")
    parser.add_argument("--n-train", type=int, default=None, help="fewer training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="train_digits.png", help="the loss curve (PNG)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-progress", action="store_true", help="no line per epoch")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args(argv)
    backend = bm.get_backend_name()
    if backend != "jax":
        print(
            "train_digits.py trains by gradient descent, which needs the jax backend (JAX's "
            f"automatic differentiation; the active backend is {backend!r}). Run it with "
            "BRAINJIT_BACKEND=jax python examples/train_digits.py"
        )
        if args.json:
            print(json.dumps({"backend": backend, "trained": False}))
        return {"backend": backend, "trained": False}

    import jax.numpy as jnp
    import optax

    (x_train, y_train), (x_test, y_test) = load_data(args.seed, args.n_train)
    B, T, dt = args.batch_size, args.steps, 1.0
    net = SpikingClassifier(B, n_hidden=args.hidden, seed=args.seed)
    opt = bp.training.Optax(optax.adam(args.lr), net.train_vars())

    def forward(spikes):
        net.reset_state()
        out = bp.training.run_trials(
            net, inputs=[("x", spikes, "iter", "=")], monitors=["out"], dt=dt
        )
        return out["out"].value.mean(axis=1)  # (trials, classes): scores averaged over time

    def loss_fn(spikes, labels, weights):
        logits = forward(spikes)
        losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
        return jnp.sum(losses * weights) / jnp.sum(weights)

    grad_fn = bm.grad(loss_fn, grad_vars=net.train_vars(), return_value=True)

    @bm.jit
    def train_step(spikes, labels, weights):
        grads, loss = grad_fn(spikes, labels, weights)
        opt.update(grads)
        return loss

    predict = bm.jit(lambda spikes: bm.argmax(forward(spikes), axis=1))
    rng = np.random.default_rng(args.seed + 1)

    def batches(images, labels, shuffle):
        """Full batches of B (the last one padded, its padding weighted 0)."""
        order = rng.permutation(len(labels)) if shuffle else np.arange(len(labels))
        for start in range(0, len(order), B):
            idx = order[start : start + B]
            weights = np.ones(B, np.float32)
            weights[len(idx) :] = 0.0
            idx = np.concatenate([idx, np.zeros(B - len(idx), idx.dtype)])
            yield encode(images[idx], T, rng), labels[idx], weights

    def accuracy(images, labels):
        correct = total = 0
        for spikes, y, w in batches(images, labels, shuffle=False):
            pred = np.asarray(predict(spikes))
            correct += int(((pred == y) * w).sum())
            total += int(w.sum())
        return correct / total

    start = time.perf_counter()
    losses, test_accs = [], []
    for epoch in range(args.epochs):
        epoch_losses = [
            float(train_step(s, y, w)) for s, y, w in batches(x_train, y_train, shuffle=True)
        ]
        losses.extend(epoch_losses)
        test_accs.append(accuracy(x_test, y_test))
        if not args.no_progress:
            print(
                f"  epoch {epoch + 1:3d}: loss {np.mean(epoch_losses):.4f}, "
                f"test accuracy {test_accs[-1]:.3f}",
                flush=True,
            )
    train_time = time.perf_counter() - start
    train_acc = accuracy(x_train, y_train)
    print(
        f"train_digits on the jax backend: 64-{args.hidden}-10 spiking network, {T} steps, "
        f"{args.epochs} epochs of {len(y_train)} images in {train_time:.1f} s: test accuracy "
        f"{test_accs[-1]:.3f} ({len(y_test)} images), train accuracy {train_acc:.3f}"
    )
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
        ax1.plot(losses, lw=0.8)
        ax1.set(xlabel="training step (batch)", ylabel="cross-entropy", title="loss")
        ax2.plot(np.arange(1, len(test_accs) + 1), test_accs, "o-")
        ax2.set(xlabel="epoch", ylabel="accuracy", title="test accuracy", ylim=(0, 1))
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"  loss curve saved to {args.plot}")
    summary = {
        "backend": backend,
        "trained": True,
        "epochs": args.epochs,
        "hidden": args.hidden,
        "steps": T,
        "train_images": len(y_train),
        "test_images": len(y_test),
        "test_accuracy": test_accs[-1],
        "train_accuracy": train_acc,
        "first_loss": losses[0],
        "last_loss": float(np.mean(losses[-max(1, len(losses) // args.epochs) :])),
        "train_s": train_time,
    }
    if args.json:
        print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
