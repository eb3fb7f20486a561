"""Convolutional workloads, gradiente beside PyTorch in one process (issue 4).

* LeNet-5 training step: batch 64 of 1x28x28, cross-entropy, SGD;
* LeNet-5 inference: batch 256, no graph;
* MNIST-1D CNN training step (batch 100 of length 40, Adam lr 1e-2) and the
  whole 6,000-step training of the paper's set-up, timed once for gradiente;
* single layers: conv2d 3x3 (batch 32, 16 -> 32 channels, 16x16) forward +
  backward, max_pool2d 2x2 forward + backward.

Both libraries start from the same weights and data; calls run interleaved
and the median of each is reported with the ratio gradiente / PyTorch
(below 1 means gradiente is faster). Timings on a shared machine are noisy:
compare ratios, not absolute times. ``--cpu-time`` times each call with the
process CPU clock instead of the wall clock: on a machine shared with other
jobs, and with both libraries on one thread (``--threads 1`` and
``OPENBLAS_NUM_THREADS=1``), it leaves out the time spent waiting for a core.

Importing gradiente raises glibc's mmap and trim thresholds for the process
(``gradiente.memory``), so freed arrays stay in the heap for the next step;
both libraries run under that setting. ``GRADIENTE_KEEP_FREED_MEMORY=0`` in
the environment measures both with the C library's defaults instead.

    python bench/bench_conv.py [--repeats 30] [--threads N] [--cpu-time] [--full-mnist1d]
"""
import argparse
import statistics
import time

import numpy as np

import gradiente as g
from gradiente.models import CNN1d, LeNet5


def _torch_lenet(torch):
    tn = torch.nn
    return tn.Sequential(tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(6, 16, 5), tn.ReLU(),
                         tn.MaxPool2d(2), tn.Flatten(), tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84),
                         tn.ReLU(), tn.Linear(84, 10))


def _torch_cnn1d(torch):
    tn = torch.nn
    return tn.Sequential(tn.Unflatten(1, (1, 40)), tn.Conv1d(1, 25, 5, 2, 1), tn.ReLU(), tn.Conv1d(25, 25, 3, 2, 1),
                         tn.ReLU(), tn.Conv1d(25, 25, 3, 2, 1), tn.ReLU(), tn.Flatten(), tn.Linear(125, 10))


def _copy(ours, theirs):
    """Give both models the same weights (parameters in the same order)."""
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data[...] = q.detach().numpy()


CLOCK = [time.perf_counter]


def _interleaved(fa, fb, repeats, warmup=3):
    clock = CLOCK[0]
    for _ in range(warmup):
        fa()
        fb()
    ta, tb = [], []
    for _ in range(repeats):
        t = clock()
        fa()
        ta.append(clock() - t)
        t = clock()
        fb()
        tb.append(clock() - t)
    return statistics.median(ta), statistics.median(tb)


def _train_step(model, opt, loss_fn, x, y):
    """One training step (zero_grad, forward, loss, backward, step), the same calls in either library."""
    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def _report(name, t_torch, t_ours, target=None):
    ratio = t_ours / t_torch
    tail = f"  (target <= {target})" if target is not None else ""
    print(f"{name:<38} torch {t_torch * 1e3:8.2f} ms   gradiente {t_ours * 1e3:8.2f} ms   ratio {ratio:5.2f}{tail}")
    return ratio


def lenet_pairs(torch):
    """Twin LeNet-5s: ((gradiente step, torch step) at batch 64, (gradiente, torch) inference at batch 256)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    tm, gm = _torch_lenet(torch), LeNet5()
    _copy(gm, tm)
    t_opt, g_opt = torch.optim.SGD(tm.parameters(), lr=0.01), g.optim.SGD(gm.parameters(), lr=0.01)
    t_loss, g_loss = torch.nn.CrossEntropyLoss(), g.nn.CrossEntropyLoss()
    xt, yt, xg, yg = torch.from_numpy(x), torch.from_numpy(y), g.tensor(x), g.tensor(y)
    t_step, g_step = _train_step(tm, t_opt, t_loss, xt, yt), _train_step(gm, g_opt, g_loss, xg, yg)
    xi = rng.standard_normal((256, 1, 28, 28)).astype(np.float32)
    xit, xig = torch.from_numpy(xi), g.tensor(xi)
    tm_eval, gm_eval = _torch_lenet(torch).eval(), LeNet5().eval()
    _copy(gm_eval, tm_eval)

    def t_inf():
        with torch.no_grad():
            tm_eval(xit)

    def g_inf():
        with g.no_grad():
            gm_eval(xig)

    return (g_step, t_step), (g_inf, t_inf)


def bench_lenet(torch, repeats):
    (g_step, t_step), (g_inf, t_inf) = lenet_pairs(torch)
    r1 = _report("LeNet-5 training step (batch 64)", *_interleaved(t_step, g_step, repeats), target=1.0)
    r2 = _report("LeNet-5 inference (batch 256)", *_interleaved(t_inf, g_inf, repeats), target=1.0)
    return r1, r2


def bench_cnn1d(torch, repeats):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((100, 40)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    tm, gm = _torch_cnn1d(torch), CNN1d()
    _copy(gm, tm)
    t_opt, g_opt = torch.optim.Adam(tm.parameters(), lr=1e-2), g.optim.Adam(gm.parameters(), lr=1e-2)
    t_loss, g_loss = torch.nn.CrossEntropyLoss(), g.nn.CrossEntropyLoss()
    xt, yt, xg, yg = torch.from_numpy(x), torch.from_numpy(y), g.tensor(x), g.tensor(y)
    t_step, g_step = _train_step(tm, t_opt, t_loss, xt, yt), _train_step(gm, g_opt, g_loss, xg, yg)
    return _report("MNIST-1D CNN training step (batch 100)", *_interleaved(t_step, g_step, repeats))


def conv3x3_pair(torch):
    """(gradiente, torch) forward + backward of one 3x3 convolution, 16 -> 32 channels, batch 32 of 16x16."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 16, 16, 16)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    xg, wg = g.tensor(x, requires_grad=True), g.tensor(w, requires_grad=True)

    def t_conv():
        torch.nn.functional.conv2d(xt, wt, padding=1).sum().backward()

    def g_conv():
        g.nn.functional.conv2d(xg, wg, padding=1).sum().backward()
    return g_conv, t_conv


def bench_layers(torch, repeats):
    g_conv, t_conv = conv3x3_pair(torch)
    _report("conv2d 3x3 16->32, 32x16x16, fwd+bwd", *_interleaved(t_conv, g_conv, repeats))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 16, 16, 16)).astype(np.float32)
    xt, xg = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)

    def t_pool():
        torch.nn.functional.max_pool2d(xt, 2).sum().backward()

    def g_pool():
        g.nn.functional.max_pool2d(xg, 2).sum().backward()

    _report("max_pool2d 2x2, 32x16x16x16, fwd+bwd", *_interleaved(t_pool, g_pool, repeats))


def full_mnist1d(steps=6000):
    """The paper's whole CNN training on MNIST-1D (Adam lr 1e-2, batch 100); time and test accuracy."""
    from gradiente.data.datasets import load_mnist1d

    X, y, Xt, yt = load_mnist1d(as_tensor=False)
    g.manual_seed(0)
    model = CNN1d()
    opt = g.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = g.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, len(X), 100) for _ in range(steps)]
    t, c = time.perf_counter(), time.process_time()
    for idx in batches:
        loss = loss_fn(model(g.tensor(X[idx])), g.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    with g.no_grad():
        acc = float((model(g.tensor(Xt)).numpy().argmax(1) == yt).mean())
    print(f"MNIST-1D CNN, {steps} steps: {elapsed:.2f} s wall, {cpu:.2f} s CPU (target <= 10 s), "
          f"test accuracy {acc:.3f}")
    return elapsed, acc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--full-mnist1d", action="store_true", help="also time the whole 6,000-step MNIST-1D training")
    ap.add_argument("--cpu-time", action="store_true", help="time calls with the process CPU clock")
    args = ap.parse_args(argv)
    import torch

    if args.cpu_time:
        CLOCK[0] = time.process_time
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), gradiente {g.__version__}, "
          f"numpy {np.__version__}, clock: {'process CPU time' if args.cpu_time else 'wall'}"
          f"{', freed memory kept' if g.memory.ENABLED else ', C library malloc defaults'}")
    bench_lenet(torch, args.repeats)
    bench_cnn1d(torch, args.repeats)
    bench_layers(torch, args.repeats)
    if args.full_mnist1d:
        full_mnist1d()


if __name__ == "__main__":
    main()
