"""The training benchmark's network in snnTorch (PyTorch, CPU), for benchmarks/training.py.

    .venv-snntorch/bin/python benchmarks/peers/snntorch_train.py --data DIR
    .venv-snntorch/bin/python benchmarks/peers/snntorch_train.py --data DIR --grads g.npz

Written as snnTorch's tutorials write a feed-forward SNN: ``nn.Linear`` layers without
bias, ``snn.Leaky(beta, spike_grad=surrogate.sigmoid(slope), reset_mechanism=
"subtract")`` for the hidden LIF neurons (its default one-step-late, detached reset:
the network of ``_train_common.py``), ``snn.Leaky(beta_o, reset_mechanism="none")``
for the readout, whose membrane potential is the output; a Python loop over the time
steps (PyTorch's autograd records it), ``nn.functional.cross_entropy`` of the
time-averaged readout, ``torch.optim.Adam``. Single-threaded by default
(``torch.set_num_threads(1)``). Prints one JSON line last; exits with status 3 and a
note if snnTorch is not installed.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _train_common as c  # noqa: E402


def main(argv=None) -> dict | None:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        import snntorch as snn
        import torch
        from snntorch import surrogate
    except ImportError as error:
        c.skip("snntorch", f"snnTorch is not installed ({error}); run benchmarks/peers/setup.sh")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    torch.set_default_dtype(dtype)
    data = c.load_data(args.data, args.dtype)
    x = torch.from_numpy(data["x"])
    y = torch.from_numpy(data["y"])
    steps = x.shape[0]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(*data["w_in"].shape, bias=False)
            self.lif = snn.Leaky(
                beta=c.BETA,
                threshold=c.THETA,
                spike_grad=surrogate.sigmoid(slope=c.ALPHA),
                reset_mechanism="subtract",
            )
            self.fc2 = torch.nn.Linear(*data["w_out"].shape, bias=False)
            self.out = snn.Leaky(beta=c.BETA_OUT, reset_mechanism="none")
            with torch.no_grad():  # nn.Linear's weight is (out, in)
                self.fc1.weight.copy_(torch.from_numpy(data["w_in"].T))
                self.fc2.weight.copy_(torch.from_numpy(data["w_out"].T))

        def forward(self, x):
            mem = self.lif.reset_mem()
            mem_out = self.out.reset_mem()
            total = 0.0
            count = 0.0
            for t in range(steps):
                spk, mem = self.lif(self.fc1(x[t]), mem)
                spk = spk.to(mem.dtype)  # snnTorch's spikes are float32 (float64 check)
                _, mem_out = self.out(self.fc2(spk), mem_out)
                total = total + mem_out
                count = count + spk.detach().sum()
            return total / steps, count

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=c.LR, betas=(0.9, 0.999), eps=1e-8)

    if args.grads:
        logits, count = net(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        c.save_grads(
            args.grads,
            loss.item(),
            net.fc1.weight.grad.numpy().T,
            net.fc2.weight.grad.numpy().T,
            count.item(),
        )
        return None

    def train_step():
        opt.zero_grad(set_to_none=True)
        logits, _ = net(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.item()  # waits for nothing: PyTorch on the CPU is synchronous

    return c.emit(
        "snntorch",
        c.time_steps(train_step, args.warmup, args.iters),
        version=snn.__version__,
        torch_version=torch.__version__,
        threads=torch.get_num_threads(),
        dtype=args.dtype,
    )


if __name__ == "__main__":
    main()
