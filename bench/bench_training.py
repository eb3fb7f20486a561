"""One training epoch with the Trainer, against a hand-written gradiente loop and PyTorch (CPU), same process.

    python bench/bench_training.py [--repeats 7] [--n 7680]

Cases (interleaved, median of the repeats, times in milliseconds):

- ``loader``: one shuffled pass of a DataLoader over (n, 784) float32 images
  and int64 labels, batch 128 (gradiente's TensorDataset fast path against
  ``torch.utils.data.DataLoader``);
- ``epoch``: one epoch of an MLP 784-256-128-10 (ReLU, cross-entropy, Adam,
  batch 128): ``Trainer.fit`` (with the accuracy metric), the same loop
  written by hand in gradiente, and the hand-written PyTorch loop.

The Trainer's own cost per batch is (Trainer - hand loop) / batches. On a
busy machine, ``OPENBLAS_NUM_THREADS=1`` (which also sets PyTorch to one
thread here) keeps thread oversubscription out of the comparison.
"""
import argparse
import os
import statistics
import time

import numpy as np

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.train import Trainer


def _median_ms(times):
    return 1000 * statistics.median(times)


def _hand_epoch(model, loss_fn, opt, loader):
    """One epoch of the plain training loop, the same calls in either library."""
    def epoch():
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n", type=int, default=7680, help="examples per epoch (a multiple of 128)")
    args = parser.parse_args()
    import torch
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    torch.manual_seed(0)
    g.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, 784)).astype(np.float32)
    y = rng.integers(0, 10, args.n)
    batches = args.n // 128

    g_loader = DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True)
    t_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                                           batch_size=128, shuffle=True)

    def g_model():
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    gm_trainer, gm_hand = g_model(), g_model()
    trainer = Trainer(gm_trainer, optim.Adam(gm_trainer.parameters(), lr=1e-3), nn.CrossEntropyLoss(), progress=False)
    hand_opt = optim.Adam(gm_hand.parameters(), lr=1e-3)
    hand_loss = nn.CrossEntropyLoss()
    tm = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                             torch.nn.Linear(128, 10))
    t_opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    t_loss = torch.nn.CrossEntropyLoss()

    def g_iter():
        for xb, yb in g_loader:
            pass

    def t_iter():
        for xb, yb in t_loader:
            pass

    def g_trainer_epoch():
        trainer.fit(g_loader, epochs=1)

    g_hand_epoch = _hand_epoch(gm_hand, hand_loss, hand_opt, g_loader)
    t_hand_epoch = _hand_epoch(tm, t_loss, t_opt, t_loader)

    cases = {"loader gradiente": g_iter, "loader torch": t_iter, "epoch Trainer": g_trainer_epoch,
             "epoch gradiente hand loop": g_hand_epoch, "epoch torch hand loop": t_hand_epoch}
    times = {k: [] for k in cases}
    for fn in cases.values():  # warm-up
        fn()
    for _ in range(args.repeats):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {k: _median_ms(v) for k, v in times.items()}
    print(f"n={args.n} examples, {batches} batches of 128, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads, median of {args.repeats}")
    for k, v in med.items():
        print(f"  {k:28s} {v:9.2f} ms")
    print(f"  loader ratio gradiente/torch       {med['loader gradiente'] / med['loader torch']:.3f}")
    print(f"  epoch ratio Trainer/torch          {med['epoch Trainer'] / med['epoch torch hand loop']:.3f}")
    print(f"  epoch ratio hand loop/torch        {med['epoch gradiente hand loop'] / med['epoch torch hand loop']:.3f}")
    overhead = (med["epoch Trainer"] - med["epoch gradiente hand loop"]) / batches
    print(f"  Trainer overhead per batch         {overhead:.3f} ms")


if __name__ == "__main__":
    main()
