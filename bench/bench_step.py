"""One training step (forward, loss, backward, Adam step): gradiente, PyTorch and hand-written NumPy.

The benchmark of issue 2, two cases timed interleaved in one process (median of the rounds):

- XOR: 2-8-1 sigmoid MLP, batch 4, ``MSELoss``, Adam;
- MLP: 784-256-128-10 ReLU, batch 128, ``CrossEntropyLoss``, Adam.

"numpy by hand" is the same step written directly in NumPy (the analytic gradients and an in-place
Adam): the floor that an engine can approach. Targets of the issue: gradiente at most 0.5x PyTorch on
both, and the MLP within 1.3x of the NumPy floor.

    python bench/bench_step.py [--rounds 9] [--xor-steps 2000] [--mlp-steps 100]

On a busy machine use ``OPENBLAS_NUM_THREADS=1`` (PyTorch then gets one thread too).
"""
import argparse

import numpy as np

import gradiente as g

from _timing import median_us_interleaved, torch_or_none

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def _mlp_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)


def _step_fn(lib, model, loss_fn, x, y):
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def lib_xor(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1), nn.Sigmoid())
    return _step_fn(lib, model, nn.MSELoss(), lib.tensor(XOR_X), lib.tensor(XOR_Y))


def lib_mlp(lib):
    lib.manual_seed(0)
    nn = lib.nn
    x, y = _mlp_data()
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return _step_fn(lib, model, nn.CrossEntropyLoss(), lib.tensor(x), lib.tensor(y))


class _NumpyAdam:
    """Adam with PyTorch's update, in place (the floor's optimizer)."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, gr, m, v, w in zip(self.params, grads, self.m, self.v, self.tmp):
            m *= self.b1
            m += (1 - self.b1) * gr
            v *= self.b2
            np.multiply(gr, gr, out=w)
            w *= 1 - self.b2
            v += w
            np.sqrt(v, out=w)
            w /= np.sqrt(bc2)
            w += self.eps
            np.divide(m, w, out=w)
            w *= -self.lr / bc1
            p += w


def numpy_xor():
    rng = np.random.default_rng(0)
    w1, b1 = rng.uniform(-0.7, 0.7, (8, 2)).astype(np.float32), rng.uniform(-0.7, 0.7, 8).astype(np.float32)
    w2, b2 = rng.uniform(-0.35, 0.35, (1, 8)).astype(np.float32), rng.uniform(-0.35, 0.35, 1).astype(np.float32)
    opt = _NumpyAdam([w1, b1, w2, b2])
    x, y = XOR_X, XOR_Y

    def step():
        a1 = 1 / (1 + np.exp(-(x @ w1.T + b1)))
        out = 1 / (1 + np.exp(-(a1 @ w2.T + b2)))
        d = out - y
        (d * d).mean()
        gz2 = (2 / d.size) * d * out * (1 - out)
        gz1 = (gz2 @ w2) * a1 * (1 - a1)
        opt.step([gz1.T @ x, gz1.sum(0), gz2.T @ a1, gz2.sum(0)])
    return step


def numpy_mlp():
    x, y = _mlp_data()
    rng = np.random.default_rng(0)
    sizes = [(256, 784), (128, 256), (10, 128)]
    ws = [(rng.uniform(-1, 1, s) / np.sqrt(s[1])).astype(np.float32) for s in sizes]
    bs = [(rng.uniform(-1, 1, s[0]) / np.sqrt(s[1])).astype(np.float32) for s in sizes]
    opt = _NumpyAdam([ws[0], bs[0], ws[1], bs[1], ws[2], bs[2]])
    rows = np.arange(len(y))

    def step():
        z1 = x @ ws[0].T + bs[0]
        a1 = np.maximum(z1, 0)
        z2 = a1 @ ws[1].T + bs[1]
        a2 = np.maximum(z2, 0)
        z3 = a2 @ ws[2].T + bs[2]
        z3 -= z3.max(axis=1, keepdims=True)
        e = np.exp(z3)
        p = e / e.sum(axis=1, keepdims=True)
        -np.log(p[rows, y]).mean()
        d3 = p
        d3[rows, y] -= 1
        d3 /= len(y)
        d2 = (d3 @ ws[2]) * (z2 > 0)
        d1 = (d2 @ ws[1]) * (z1 > 0)
        opt.step([d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0), d3.T @ a2, d3.sum(0)])
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--xor-steps", type=int, default=2000)
    ap.add_argument("--mlp-steps", type=int, default=100)
    args = ap.parse_args()
    torch = torch_or_none()
    for name, make, floor, n in (("xor 2-8-1 (MSE, Adam)", lib_xor, numpy_xor, args.xor_steps),
                                 ("mlp 784-256-128-10 (CE, Adam)", lib_mlp, numpy_mlp, args.mlp_steps)):
        steps = {"gradiente": make(g), "numpy by hand": floor()}
        if torch is not None:
            steps["torch"] = make(torch)
        med = median_us_interleaved(steps, n, args.rounds)
        print(f"{name}: " + ", ".join(f"{k} {v:.1f} us" for k, v in med.items()))
        ratios = f"   gradiente / numpy by hand = {med['gradiente'] / med['numpy by hand']:.2f}x"
        if "torch" in med:
            ratios += f", gradiente / torch = {med['gradiente'] / med['torch']:.2f}x"
        print(ratios)


if __name__ == "__main__":
    main()
