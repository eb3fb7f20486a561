"""``gradiente demo``: the first claims of the notes, trained and measured in under a minute.

1. seed 004 (Minsky and Papert): the perceptron learning rule (seed 002 §2.1)
   learns AND and OR but not XOR, which is not linearly separable; a 2-2-1 and a
   2-4-1 sigmoid MLP trained by backpropagation (seed 002 §3.6) learn XOR.
2. An MLP on the 8x8 digits (seed 002 §4.1): test accuracy, time, learning curve.
"""
import time

import numpy as np

from . import nn, optim
from .autograd import no_grad
from .creation import tensor
from .random import manual_seed

_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
_GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def perceptron_truth_tables(epochs=100, lr=0.1):
    """Train a perceptron with its learning rule on each gate; returns {gate: (correct of 4, epochs, converged)}."""
    results = {}
    X = tensor(_INPUTS)
    for gate, targets in _GATES.items():
        p = nn.Perceptron(2)
        y = tensor(np.array(targets, dtype=np.float32))
        history = p.fit(X, y, epochs=epochs, lr=lr)
        correct = int((p(X).numpy()[:, 0] == np.array(targets)).sum())
        results[gate] = (correct, len(history), p.converged_)
    return results


def train_xor_mlp(hidden, steps=2000, lr=0.5, seed=0):
    """A 2-hidden-1 sigmoid MLP trained on XOR with MSE and SGD with momentum; returns (correct, loss, outputs)."""
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, hidden), nn.Sigmoid(), nn.Linear(hidden, 1), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.MSELoss()
    X = tensor(_INPUTS)
    y = tensor(np.array(_GATES["XOR"], dtype=np.float32)[:, None])
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    with no_grad():
        out = model(X).numpy()[:, 0]
    correct = int(((out > 0.5) == np.array(_GATES["XOR"], dtype=bool)).sum())
    return correct, float(loss.item()), out


def run_xor(seed=0, restarts=5):
    print("XOR (seed 004; seed 002 §2.1): the perceptron rule vs an MLP trained by backpropagation")
    for gate, (correct, epochs, converged) in perceptron_truth_tables().items():
        verdict = f"converged in {epochs} epochs" if converged else \
            f"no convergence in {epochs} epochs: XOR is not linearly separable"
        print(f"  perceptron rule, {gate:3s}: {correct}/4 correct ({verdict})")
    summary = {}
    for hidden in (2, 4):
        # A 2-2-1 net can stall in a local minimum for some initialisations, so report the restarts.
        solved = 0
        for r in range(restarts):
            correct, loss, out = train_xor_mlp(hidden, seed=seed + r)
            solved += correct == 4
            if r == 0:
                shown = ", ".join(f"{v:.2f}" for v in out)
                print(f"  MLP 2-{hidden}-1 sigmoid (seed {seed}): outputs [{shown}] for inputs 00 01 10 11, "
                      f"{correct}/4 correct, MSE {loss:.4f}")
        print(f"  MLP 2-{hidden}-1 sigmoid: XOR solved in {solved} of {restarts} initialisations")
        summary[hidden] = solved
    return summary


def train_digits_mlp(epochs=60, seed=0, batch_size=32, lr=1e-3):
    """MLP 64-128-64-10 (ReLU) on the digits, Adam; returns a dict of results and the curves."""
    from .data import DataLoader, TensorDataset, train_val_test_split
    from .data.datasets import load_digits
    from .random import get_generator

    manual_seed(seed)
    X, y = load_digits()
    train, val, test = train_val_test_split(TensorDataset(X, y), generator=get_generator())
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train, batch_size=batch_size, shuffle=True)

    def accuracy(ds):
        xs, ys = next(iter(DataLoader(ds, batch_size=len(ds))))
        model.eval()
        with no_grad():
            pred = model(xs).argmax(dim=1).numpy()
        model.train()
        return float((pred == ys.numpy()).mean())

    curve = []
    start = time.perf_counter()
    for epoch in range(epochs):
        total, n = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            n += len(yb)
        curve.append((epoch + 1, total / n, accuracy(val)))
    seconds = time.perf_counter() - start
    return {"test_acc": accuracy(test), "val_acc": curve[-1][2], "seconds": seconds, "curve": curve,
            "n_train": len(train), "n_test": len(test),
            "params": sum(p.numel() for p in model.parameters())}


def run_demo(epochs=60, seed=0, out=None):
    run_xor(seed=seed)
    print()
    print("Digits (1,797 8x8 images, 80/10/10 split, seed 002 §3.2): MLP 64-128-64-10, ReLU, Adam lr 1e-3, batch 32")
    try:
        res = train_digits_mlp(epochs=epochs, seed=seed)
    except ImportError as exc:
        print(f"  skipped: {exc}")
        return 1
    for epoch, loss, val in res["curve"]:
        if epoch == 1 or epoch % 10 == 0 or epoch == epochs:
            print(f"  epoch {epoch:3d}  train loss {loss:.4f}  val acc {val:.3f}")
    print(f"  {res['params']:,} parameters; test accuracy {res['test_acc']:.2%} on {res['n_test']} images; "
          f"training took {res['seconds']:.1f} s ({res['seconds'] / epochs * 1000:.0f} ms per epoch)")
    if out:
        _plot_curve(res["curve"], out)
    return 0


def _plot_curve(curve, out):
    import os
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (no figure: pip install gradiente[lab] for matplotlib)")
        return
    os.makedirs(out, exist_ok=True)
    epochs, loss, val = zip(*curve)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, loss, label="train loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, val, color="tab:orange", label="val accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax2.set_ylabel("accuracy")
    ax.set_title("MLP on the digits")
    fig.tight_layout()
    path = os.path.join(out, "demo_digits_curve.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"  learning curve written to {path}")
