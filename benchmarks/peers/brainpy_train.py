"""The training benchmark's network in BrainPy 2.x (JAX, CPU), for benchmarks/training.py.

    .venv-brainpy/bin/python benchmarks/peers/brainpy_train.py --data DIR
    .venv-brainpy/bin/python benchmarks/peers/brainpy_train.py --data DIR --grads g.npz

Written as BrainPy's own training examples write a model: a ``bp.DynamicalSystem``
whose weights are ``bm.TrainVar`` and whose state (hidden potentials, spikes, readout)
is ``bm.Variable`` with a leading batch axis; one time step is a method, the whole run
``bm.for_loop`` over the inputs' time axis; the spike ``bm.surrogate.sigmoid(v - 1,
alpha)``, the reset ``jax.lax.stop_gradient`` of the last spikes (BrainPy
2.9 has no ``bm.stop_gradient``) (the network of
``_train_common.py``); ``bp.losses.cross_entropy_loss`` of the time-averaged readout;
``bm.grad(..., grad_vars=train_vars, return_value=True)`` and ``bp.optim.Adam`` inside
one ``bm.jit``-compiled training step. BrainPy's Adam folds the bias correction into
the learning rate (``eps`` added to ``sqrt(v)``, not to ``sqrt(v_hat)``): the same cost
as PyTorch's. Single-threaded XLA by default (``--threads 1``). Prints one JSON line
last; exits with status 3 and a note if BrainPy is not installed.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _train_common as c  # noqa: E402


def main(argv=None) -> dict | None:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    if args.threads == 1:  # before jax starts
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    try:
        import brainpy as bp
        import brainpy.math as bm
        import jax
    except ImportError as error:
        c.skip("brainpy", f"BrainPy is not installed ({error}); run benchmarks/peers/setup.sh")
    bm.set_platform("cpu")
    if args.dtype == "float64":
        bm.enable_x64()
        bm.set_float(bm.float64)
    data = c.load_data(args.data, args.dtype)
    x = bm.asarray(data["x"])
    y = bm.asarray(data["y"])
    batch, hidden, outputs = x.shape[1], data["w_in"].shape[1], data["w_out"].shape[1]

    class SNN(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.w_in = bm.TrainVar(bm.asarray(data["w_in"]))
            self.w_out = bm.TrainVar(bm.asarray(data["w_out"]))
            self.v = bm.Variable(bm.zeros((batch, hidden)))
            self.s = bm.Variable(bm.zeros((batch, hidden)))
            self.o = bm.Variable(bm.zeros((batch, outputs)))

        def step(self, x_t):
            self.v.value = (
                c.BETA * self.v + x_t @ self.w_in - c.THETA * jax.lax.stop_gradient(self.s.value)
            )
            self.s.value = bm.surrogate.sigmoid(self.v.value - c.THETA, alpha=c.ALPHA)
            self.o.value = c.BETA_OUT * self.o + self.s @ self.w_out
            return self.o.value, self.s.value.sum()

        def loss(self, x, y):
            self.v.value = bm.zeros_like(self.v)
            self.s.value = bm.zeros_like(self.s)
            self.o.value = bm.zeros_like(self.o)
            outs, counts = bm.for_loop(self.step, x)
            loss = bp.losses.cross_entropy_loss(outs.mean(axis=0), y)
            return loss, counts.sum()

    net = SNN()
    train_vars = net.train_vars().unique()
    grad = bm.grad(net.loss, grad_vars=train_vars, return_value=True, has_aux=True)
    opt = bp.optim.Adam(lr=c.LR, train_vars=train_vars, beta1=0.9, beta2=0.999, eps=1e-8)

    if args.grads:
        grads, loss, count = bm.jit(grad)(x, y)
        g = {k.split(".")[-1]: v for k, v in grads.items()}  # "SNN0.w_in" -> "w_in"
        c.save_grads(args.grads, loss, bm.as_numpy(g["w_in"]), bm.as_numpy(g["w_out"]), count)
        return None

    @bm.jit
    def train_step(x, y):
        grads, loss, _ = grad(x, y)
        opt.update(grads)
        return loss

    def timed_step():
        loss = train_step(x, y)
        jax.block_until_ready((bm.as_jax(net.w_in.value), bm.as_jax(net.w_out.value)))
        return float(loss)

    return c.emit(
        "brainpy",
        c.time_steps(timed_step, args.warmup, args.iters),
        version=bp.__version__,
        jax_version=jax.__version__,
        dtype=args.dtype,
    )


if __name__ == "__main__":
    main()
