"""Per-step time of the engine on small graphs, gradiente beside PyTorch in one process.

A 2-8-1 sigmoid MLP on XOR (batch 4, MSE written with primitives) and an MLP
784-256-128-10 (ReLU, batch 128, softmax cross-entropy written with primitives):
forward, loss, backward and a plain SGD update under no_grad. The two libraries
run interleaved, the median of several rounds is reported, and their ratio.

    python bench/engine_overhead.py [--steps 2000] [--rounds 7] [--profile]

On a busy machine run it as ``OPENBLAS_NUM_THREADS=1 python bench/engine_overhead.py``: PyTorch then
gets one thread too, and thread oversubscription stays out of the comparison.
"""
import argparse

import numpy as np

import gradiente as g

from _timing import median_us_interleaved, torch_or_none


def _xor_data():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return x, y


def _mlp_data(rng):
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    return x, y


def gradiente_xor():
    x, y = _xor_data()
    g.manual_seed(0)
    model = g.nn.Sequential(g.nn.Linear(2, 8), g.nn.Sigmoid() if hasattr(g.nn, "Sigmoid") else _Sig(), g.nn.Linear(8, 1))
    params = list(model.parameters())
    xt, yt = g.tensor(x), g.tensor(y)

    def step():
        out = model(xt).sigmoid()
        loss = ((out - yt) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with g.no_grad():
            for p in params:
                p.data -= 0.1 * p.grad.data
    return step


class _Sig(g.nn.Module):
    def forward(self, x):
        return x.sigmoid()


def torch_xor(torch):
    x, y = _xor_data()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 1))
    params = list(model.parameters())
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        out = model(xt).sigmoid()
        loss = ((out - yt) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(0.1 * p.grad)
    return step


def _ce(lib, logits, onehot):
    m = logits.max(dim=1, keepdim=True)[0] if lib is not g else logits.amax(dim=1, keepdim=True)
    shifted = logits - m.detach()
    lse = shifted.exp().sum(dim=1, keepdim=True).log()
    return -((shifted - lse) * onehot).sum() / logits.shape[0]


def gradiente_mlp():
    x, y = _mlp_data(np.random.default_rng(0))
    onehot = np.eye(10, dtype=np.float32)[y]
    g.manual_seed(0)
    relu = g.nn.ReLU() if hasattr(g.nn, "ReLU") else _Relu()
    model = g.nn.Sequential(g.nn.Linear(784, 256), relu, g.nn.Linear(256, 128), relu, g.nn.Linear(128, 10))
    params = list(model.parameters())
    xt, ot = g.tensor(x), g.tensor(onehot)

    def step():
        loss = _ce(g, model(xt), ot)
        for p in params:
            p.grad = None
        loss.backward()
        with g.no_grad():
            for p in params:
                p.data -= 0.01 * p.grad.data
    return step


class _Relu(g.nn.Module):
    def forward(self, x):
        return x.relu()


def torch_mlp(torch):
    x, y = _mlp_data(np.random.default_rng(0))
    onehot = np.eye(10, dtype=np.float32)[y]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    params = list(model.parameters())
    xt, ot = torch.tensor(x), torch.tensor(onehot)

    def step():
        loss = _ce(torch, model(xt), ot)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(0.01 * p.grad)
    return step


def _sigmoid_np(z):
    return 1 / (1 + np.exp(-z))


def numpy_xor():
    """The same XOR step written by hand in NumPy: the floor an engine can approach."""
    x, y = _xor_data()
    rng = np.random.default_rng(0)
    w1, b1 = rng.uniform(-0.5, 0.5, (8, 2)).astype(np.float32), np.zeros(8, np.float32)
    w2, b2 = rng.uniform(-0.5, 0.5, (1, 8)).astype(np.float32), np.zeros(1, np.float32)

    def step():
        a1 = _sigmoid_np(x @ w1.T + b1)
        out = _sigmoid_np(a1 @ w2.T + b2)
        d = out - y
        (d * d).mean()
        gz2 = (2 / d.size) * d * out * (1 - out)
        gz1 = (gz2 @ w2) * a1 * (1 - a1)
        np.subtract(w2, 0.1 * (gz2.T @ a1), out=w2)
        np.subtract(b2, 0.1 * gz2.sum(0), out=b2)
        np.subtract(w1, 0.1 * (gz1.T @ x), out=w1)
        np.subtract(b1, 0.1 * gz1.sum(0), out=b1)
    return step


def numpy_mlp():
    x, y = _mlp_data(np.random.default_rng(0))
    onehot = np.eye(10, dtype=np.float32)[y]
    rng = np.random.default_rng(0)
    sizes = [(256, 784), (128, 256), (10, 128)]
    ws = [(rng.uniform(-1, 1, s) / np.sqrt(s[1])).astype(np.float32) for s in sizes]
    bs = [np.zeros(s[0], np.float32) for s in sizes]

    def step():
        a0 = x
        z1 = a0 @ ws[0].T + bs[0]
        a1 = np.maximum(z1, 0)
        z2 = a1 @ ws[1].T + bs[1]
        a2 = np.maximum(z2, 0)
        z3 = a2 @ ws[2].T + bs[2]
        z3 -= z3.max(axis=1, keepdims=True)
        e = np.exp(z3)
        s = e.sum(axis=1, keepdims=True)
        p = e / s
        -((z3 - np.log(s)) * onehot).sum() / len(x)
        d3 = (p - onehot) / len(x)
        d2 = (d3 @ ws[2]) * (z2 > 0)
        d1 = (d2 @ ws[1]) * (z1 > 0)
        for w, b, d, a in ((ws[2], bs[2], d3, a2), (ws[1], bs[1], d2, a1), (ws[0], bs[0], d1, a0)):
            w -= 0.01 * (d.T @ a)
            b -= 0.01 * d.sum(0)
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="cProfile the gradiente XOR step instead")
    args = ap.parse_args()
    if args.profile:
        import cProfile
        import pstats
        step = gradiente_xor()
        for _ in range(200):
            step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.steps):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    torch = torch_or_none()
    cases = [("xor 2-8-1", gradiente_xor, torch_xor, numpy_xor, args.steps),
             ("mlp 784-256-128-10", gradiente_mlp, torch_mlp, numpy_mlp, max(args.steps // 20, 20))]
    for name, gmake, tmake, nmake, n in cases:
        steps = {"gradiente": gmake(), "numpy by hand": nmake()}
        if torch is not None:
            steps["torch"] = tmake(torch)
        med = median_us_interleaved(steps, n, args.rounds)
        line = f"{name:20s}" + "".join(f"  {k} {v:8.1f} us" for k, v in med.items())
        line += f"  | gradiente/numpy {med['gradiente'] / med['numpy by hand']:.2f}x"
        if "torch" in med:
            line += f"  gradiente/torch {med['gradiente'] / med['torch']:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
