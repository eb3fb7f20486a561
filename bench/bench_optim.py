"""Time of one optimizer step on the 784-256-128-10 MLP's parameters, gradiente beside PyTorch.

The parameters (235,146 numbers in 6 tensors) hold fixed random gradients;
each round times ``step()`` of gradiente and of PyTorch (its default CPU
path), interleaved in one process, and the median over rounds is reported
with the ratio. A hand-written NumPy Adam (the same in-place operations with
no framework around them) gives the floor, and a full gradiente training step
(forward, cross-entropy, backward, Adam) puts the Adam step in proportion.

    python bench/bench_optim.py [--steps 50] [--rounds 9]
"""
import argparse
import statistics

import numpy as np

import gradiente as g

from _timing import time_per_call

SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
CONFIGS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("Adam", dict(lr=1e-3)),
    ("Adam", dict(lr=1e-3, amsgrad=True)),
    ("AdamW", dict(lr=1e-3)),
    ("Adagrad", dict(lr=1e-2)),
    ("Adadelta", dict()),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True)),
]


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(np.float32) * 0.05 for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) * 0.01 for s in SHAPES]
    return params, grads


def _gradiente_step(name, kwargs):
    params, grads = _arrays()
    ps = [g.nn.Parameter(g.tensor(p)) for p in params]
    for p, gr in zip(ps, grads):
        p.grad = g.tensor(gr)
    return getattr(g.optim, name)(ps, **kwargs).step


def _torch_step(torch, name, kwargs):
    params, grads = _arrays()
    ps = [torch.nn.Parameter(torch.tensor(p)) for p in params]
    for p, gr in zip(ps, grads):
        p.grad = torch.tensor(gr)
    return getattr(torch.optim, name)(ps, **kwargs).step


def _numpy_adam_step(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The floor: Adam written directly with in-place NumPy calls, state in plain lists."""
    params, grads = _arrays()
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    ws = [np.empty_like(p) for p in params]
    t = [0]

    def step():
        t[0] += 1
        bc2 = (1 - beta2 ** t[0]) ** 0.5
        size = lr * bc2 / (1 - beta1 ** t[0])
        for p, gr, m, v, w in zip(params, grads, ms, vs, ws):
            m *= beta1
            np.multiply(gr, 1 - beta1, out=w)
            m += w
            v *= beta2
            np.multiply(gr, 1 - beta2, out=w)
            w *= gr
            v += w
            np.sqrt(v, out=w)
            w += eps * bc2
            np.divide(m, w, out=w)
            w *= -size
            p += w
    return step


def _median_interleaved(fns, steps, rounds):
    for fn in fns:
        fn()
    samples = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            samples[i].append(time_per_call(fn, steps))
    return [statistics.median(s) for s in samples]


def _training_step():
    """One full gradiente training step on the MLP (batch 128), with Adam."""
    rng = np.random.default_rng(0)
    x = g.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = g.tensor(rng.integers(0, 10, 128))
    g.manual_seed(0)
    model = g.nn.Sequential(g.nn.Linear(784, 256), g.nn.ReLU(), g.nn.Linear(256, 128), g.nn.ReLU(),
                            g.nn.Linear(128, 10))
    opt = g.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        g.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own choice)")
    args = parser.parse_args()
    try:
        import torch
        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
    except ImportError:
        torch = None
    print(f"optimizer step on the 784-256-128-10 MLP ({sum(int(np.prod(s)) for s in SHAPES):,} parameters), "
          f"median of {args.rounds} rounds x {args.steps} steps, microseconds")
    print(f"{'optimizer':58s} {'gradiente':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, kwargs in CONFIGS:
        fns = [_gradiente_step(name, kwargs)]
        if torch is not None:
            fns.append(_torch_step(torch, name, kwargs))
        times = _median_interleaved(fns, args.steps, args.rounds)
        label = name + "(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        if torch is not None:
            print(f"{label:58s} {times[0] * 1e6:10.1f} {times[1] * 1e6:10.1f} {times[0] / times[1]:7.2f}")
        else:
            print(f"{label:58s} {times[0] * 1e6:10.1f}")
    if torch is not None:
        ours, fused = _median_interleaved([_gradiente_step("Adam", dict(lr=1e-3)),
                                           _torch_step(torch, "Adam", dict(lr=1e-3, fused=True))],
                                          args.steps, args.rounds)
        print(f"\nAdam: gradiente {ours * 1e6:.1f} us, PyTorch fused CPU kernel {fused * 1e6:.1f} us "
              f"(ratio {ours / fused:.2f})")
    ours, floor = _median_interleaved([_gradiente_step("Adam", dict(lr=1e-3)), _numpy_adam_step()],
                                      args.steps, args.rounds)
    print(f"Adam: gradiente {ours * 1e6:.1f} us, hand-written NumPy {floor * 1e6:.1f} us "
          f"(ratio {ours / floor:.2f})")
    try:
        train = _training_step()
    except AttributeError as exc:  # a component not available in this checkout
        print(f"full training step skipped: {exc}")
        return
    full, adam = _median_interleaved([train, _gradiente_step("Adam", dict(lr=1e-3))], args.steps, args.rounds)
    print(f"full gradiente training step (forward, cross-entropy, backward, Adam): {full * 1e6:.1f} us; "
          f"the Adam step is {adam / full:.0%} of it")


if __name__ == "__main__":
    main()
