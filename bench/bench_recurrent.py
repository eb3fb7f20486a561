"""One training step of a 1-layer RNN, LSTM and GRU, gradiente beside PyTorch in one process.

Set-up of issue 5: input 32, hidden 128, sequence length 50, batch 32; the
last hidden state goes to a linear layer of 10 classes, cross-entropy loss,
Adam. Both libraries start from the same weights and data; their steps run
interleaved, and the median over several rounds is reported with the ratio
gradiente / PyTorch (below 1 means gradiente is faster).

    python bench/bench_recurrent.py [--steps 20] [--rounds 7] [--threads N] [--cpu-time]
"""
import argparse
import statistics
import time

import numpy as np

import gradiente as g

from _timing import time_per_call

I, H, T, B, C = 32, 128, 50, 32, 10


def _cross_entropy(logits, target):
    """Mean softmax cross-entropy (seed 002 §3.2); the library's fused loss when it exists."""
    F = g.nn.functional
    if hasattr(F, "cross_entropy"):
        return F.cross_entropy(logits, target)
    m = logits.detach().amax(dim=1, keepdim=True)
    z = logits - m
    logp = z - z.exp().sum(dim=1, keepdim=True).log()
    return -logp[(np.arange(logits.shape[0]), target.data)].mean()


class GModel(g.nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = getattr(g.nn, kind)(I, H)
        self.fc = g.nn.Linear(H, C)

    def forward(self, x):
        _, h = self.rnn(x)
        if isinstance(h, tuple):
            h = h[0]
        return self.fc(h[-1])


def make_pair(kind, torch, x, y):
    """Twin models with equal weights; returns (gradiente step, torch step)."""
    g.manual_seed(0)
    gm = GModel(kind)
    tm = torch.nn.ModuleDict({"rnn": getattr(torch.nn, kind)(I, H), "fc": torch.nn.Linear(H, C)})
    with torch.no_grad():
        for name, p in tm.named_parameters():
            p.copy_(torch.from_numpy(dict(gm.named_parameters())[name].numpy()))
    gopt = g.optim.Adam(gm.parameters(), lr=1e-3)
    topt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    gx, gy = g.tensor(x), g.tensor(y)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def gstep():
        gopt.zero_grad()
        loss = _cross_entropy(gm(gx), gy)
        loss.backward()
        gopt.step()
        return float(loss.item())

    def tstep():
        topt.zero_grad()
        _, h = tm["rnn"](tx)
        if isinstance(h, tuple):
            h = h[0]
        loss = torch.nn.functional.cross_entropy(tm["fc"](h[-1]), ty)
        loss.backward()
        topt.step()
        return float(loss.item())

    return gstep, tstep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--kinds", default="RNN,LSTM,GRU")
    ap.add_argument("--cpu-time", action="store_true",
                    help="measure process CPU time instead of wall time (steadier on a busy machine; "
                         "meaningful with one thread each: OPENBLAS_NUM_THREADS=1 ... --threads 1)")
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    y = rng.integers(0, C, B).astype(np.int64)
    print(f"one training step: input {I}, hidden {H}, length {T}, batch {B}, last state -> Linear({H}, {C}), "
          f"cross-entropy, Adam; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"median of {args.rounds} rounds x {args.steps} steps, {'CPU' if args.cpu_time else 'wall'} time")
    print(f"{'model':6s} {'gradiente ms':>13s} {'torch ms':>9s} {'ratio':>6s}  first-step losses")
    for kind in args.kinds.split(","):
        gstep, tstep = make_pair(kind, torch, x, y)
        lg, lt = gstep(), tstep()
        for _ in range(2):
            gstep(), tstep()
        gt, tt = [], []
        for _ in range(args.rounds):
            gt.append(time_per_call(gstep, args.steps, clock))
            tt.append(time_per_call(tstep, args.steps, clock))
        mg, mt = statistics.median(gt), statistics.median(tt)
        print(f"{kind:6s} {mg * 1e3:13.2f} {mt * 1e3:9.2f} {mg / mt:6.2f}  {lg:.5f} / {lt:.5f}")


if __name__ == "__main__":
    main()
