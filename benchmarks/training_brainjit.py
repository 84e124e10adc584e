"""The training benchmark's network in brainjit (jax backend), for benchmarks/training.py.

    python benchmarks/training_brainjit.py --data DIR                   # bm code
    python benchmarks/training_brainjit.py --data DIR --variant pure    # pure JAX
    python benchmarks/training_brainjit.py --data DIR --grads g.npz

The network of ``benchmarks/peers/_train_common.py``, in two spellings:

- ``bm`` (brainjit's row): a ``bp.Base`` whose weights are ``bm.TrainVar`` and whose
  state (hidden potentials, spikes, readout; a leading batch axis) is ``bm.Variable``;
  one time step is a method and the run is ``bm.for_loop`` over the inputs' time axis;
  the spike ``bm.surrogate.sigmoid(v - 1, alpha)``, the reset the stopped gradient of
  the last spikes; ``bm.grad(loss, grad_vars=model.train_vars(), return_value=True,
  has_aux=True)`` and ``bp.training.Optax(optax.adam(1e-3), model.train_vars())``
  inside one ``bm.jit``-compiled training step -- what a user of brainjit writes.
- ``pure``: the same in hand-written JAX (``jax.lax.scan``, a ``jax.custom_jvp`` spike,
  ``jax.value_and_grad``, ``optax.adam``, ``jax.jit``), the floor that brainjit's
  wrapping could at best reach.

Single-threaded XLA by default (``--threads 1``). Prints one JSON line last.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
import _train_common as c  # noqa: E402


def bm_model(data):
    """(train step, loss-and-gradients function, model) written with brainjit."""
    import jax
    import optax

    import brainjit as bp

    bm = bp.math
    x0 = data["x"]
    batch, hidden, outputs = x0.shape[1], data["w_in"].shape[1], data["w_out"].shape[1]

    class SNN(bp.Base):
        def __init__(self):
            super().__init__()
            self.w_in = bm.TrainVar(bm.asarray(data["w_in"]))
            self.w_out = bm.TrainVar(bm.asarray(data["w_out"]))
            self.v = bm.Variable(bm.zeros((batch, hidden), dtype=data["w_in"].dtype))
            self.s = bm.Variable(bm.zeros((batch, hidden), dtype=data["w_in"].dtype))
            self.o = bm.Variable(bm.zeros((batch, outputs), dtype=data["w_in"].dtype))

        def step(self, x_t):
            reset = c.THETA * jax.lax.stop_gradient(self.s.value)
            self.v.value = c.BETA * self.v + x_t @ self.w_in - reset
            self.s.value = bm.surrogate.sigmoid(self.v - c.THETA, alpha=c.ALPHA)
            self.o.value = c.BETA_OUT * self.o + self.s @ self.w_out
            return self.o.value, self.s.sum()

        def loss(self, x, y):
            self.v.value = bm.zeros_like(self.v)
            self.s.value = bm.zeros_like(self.s)
            self.o.value = bm.zeros_like(self.o)
            outs, counts = bm.for_loop(self.step, x)
            logits = outs.mean(axis=0).value  # a JaxArray: its jax.Array for optax
            loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
            return loss, counts.sum()

    model = SNN()
    grad = bm.grad(model.loss, grad_vars=model.train_vars(), return_value=True, has_aux=True)
    opt = bp.training.Optax(optax.adam(c.LR, b1=0.9, b2=0.999, eps=1e-8), model.train_vars())

    @bm.jit
    def train_step(x, y):
        grads, loss, _ = grad(x, y)
        opt.update(grads)
        return loss

    def grads(x, y):
        g, loss, count = bm.jit(grad)(x, y)
        by_name = {k.split(".")[-1]: v for k, v in g.items()}
        return loss, by_name["w_in"], by_name["w_out"], count

    def weights():
        return model.w_in.value, model.w_out.value

    return train_step, grads, weights


def pure_model(data):
    """The same network in hand-written JAX: (train step, gradients, weights)."""
    import jax
    import jax.numpy as jnp
    import optax

    @jax.custom_jvp
    def spike(x):
        return (x > 0).astype(x.dtype)

    @spike.defjvp
    def _spike_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        sig = jax.nn.sigmoid(c.ALPHA * x)
        return spike(x), c.ALPHA * sig * (1 - sig) * dx

    def loss_fn(params, x, y):
        batch = x.shape[1]
        hidden, outputs = params["w_in"].shape[1], params["w_out"].shape[1]
        dtype = params["w_in"].dtype

        def step(carry, x_t):
            v, s, o = carry
            v = c.BETA * v + x_t @ params["w_in"] - c.THETA * jax.lax.stop_gradient(s)
            s = spike(v - c.THETA)
            o = c.BETA_OUT * o + s @ params["w_out"]
            return (v, s, o), (o, s.sum())

        init = (
            jnp.zeros((batch, hidden), dtype),
            jnp.zeros((batch, hidden), dtype),
            jnp.zeros((batch, outputs), dtype),
        )
        _, (outs, counts) = jax.lax.scan(step, init, x)
        loss = optax.softmax_cross_entropy_with_integer_labels(outs.mean(axis=0), y).mean()
        return loss, counts.sum()

    tx = optax.adam(c.LR, b1=0.9, b2=0.999, eps=1e-8)
    state = {"params": {"w_in": jnp.asarray(data["w_in"]), "w_out": jnp.asarray(data["w_out"])}}
    state["opt"] = tx.init(state["params"])
    value_and_grad = jax.value_and_grad(loss_fn, has_aux=True)

    @jax.jit
    def update(params, opt_state, x, y):
        (loss, _), g = value_and_grad(params, x, y)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def train_step(x, y):
        state["params"], state["opt"], loss = update(state["params"], state["opt"], x, y)
        return loss

    def grads(x, y):
        (loss, count), g = jax.jit(value_and_grad)(state["params"], x, y)
        return loss, g["w_in"], g["w_out"], count

    def weights():
        return state["params"]["w_in"], state["params"]["w_out"]

    return train_step, grads, weights


VARIANTS = {"bm": bm_model, "pure": pure_model}


def main(argv=None) -> dict | None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--variant", choices=sorted(VARIANTS), default="bm")
    args = p.parse_args(argv)
    if args.threads == 1:  # before jax starts
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    import jax
    import numpy as np

    import brainjit as bp

    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    bp.math.use_backend("jax")
    data = c.load_data(args.data, args.dtype)
    x, y = jax.numpy.asarray(data["x"]), jax.numpy.asarray(data["y"])
    train_step, grads, weights = VARIANTS[args.variant](data)

    if args.grads:
        loss, g_in, g_out, count = grads(x, y)
        c.save_grads(args.grads, loss, np.asarray(g_in), np.asarray(g_out), count)
        return None

    def timed_step():
        loss = train_step(x, y)
        jax.block_until_ready(weights())
        return float(loss)

    return c.emit(
        "brainjit" if args.variant == "bm" else "jax",
        c.time_steps(timed_step, args.warmup, args.iters),
        variant=args.variant,
        version=bp.__version__ if hasattr(bp, "__version__") else "",
        jax_version=jax.__version__,
        dtype=args.dtype,
    )


if __name__ == "__main__":
    main()
