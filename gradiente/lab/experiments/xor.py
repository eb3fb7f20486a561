"""XOR: the perceptron rule cannot learn it, a one-hidden-layer MLP can (seed 004; seed 001 perceptron)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, rng

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([0, 1, 1, 0], dtype=np.float32)
GRID = 25


def _grid():
    u = np.linspace(-0.5, 1.5, GRID, dtype=np.float32)
    a, b = np.meshgrid(u, u)
    return np.stack([a.ravel(), b.ravel()], 1)


@register
class XorExperiment(Experiment):
    name = "xor"
    title = "A single perceptron cannot learn XOR; an MLP can"
    claim = ("XOR is not linearly separable, so the perceptron y = sign(w.x + b) never classifies all four "
             "points, while a network with one hidden layer learns it exactly.")
    seed_ref = "seed 004 (XOR, Minsky and Papert); seed 001 (perceptron y = sign(w.x))"

    def configs(self, quick):
        seeds = range(3) if quick else range(10)
        out = [{"model": "perceptron", "seed": s} for s in seeds]
        out += [{"model": "mlp", "hidden": 4, "seed": s} for s in seeds]
        return out

    def run(self, config, recorder):
        epochs = 100 if config["model"] == "perceptron" else 1500
        if config["model"] == "perceptron":
            w = rng().normal(0, 0.1, 2).astype(np.float32)
            b = np.float32(0)
            for epoch in range(1, epochs + 1):
                errors = 0
                for x, t in zip(X, Y):  # Rosenblatt's rule: w <- w + lr (t - y) x
                    y = float(x @ w + b > 0)
                    if y != t:
                        errors += 1
                        w += 0.1 * (t - y) * x
                        b += np.float32(0.1 * (t - y))
                acc = float(np.mean((X @ w + b > 0) == Y))
                if epoch % 10 == 0 or epoch == 1:
                    recorder.log_epoch(epoch, train_acc=acc, errors=errors)
            grid = (_grid() @ w + b > 0).astype(np.float32)
            recorder.log("grid", grid.tolist())
            return {"train_acc": acc, "params": 3, "flops_per_sample": 4}
        model = MLP(2, [config["hidden"]], 1, act="tanh")
        opt = g.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        xt, yt = g.tensor(X), g.tensor(Y[:, None])
        for epoch in range(1, epochs + 1):
            p = g.sigmoid(model(xt))
            loss = ((p - yt) ** 2).mean()  # squared error of seed 004
            opt.zero_grad()
            loss.backward()
            opt.step()
            if epoch % 50 == 0 or epoch == 1:
                acc = float(np.mean((p.data[:, 0] > 0.5) == Y))
                recorder.log_epoch(epoch, train_loss=float(loss.item()), train_acc=acc)
        with g.no_grad():
            p = g.sigmoid(model(xt)).data[:, 0]
            grid = g.sigmoid(model(g.tensor(_grid()))).data[:, 0]
        recorder.log("grid", grid.tolist())
        return {"train_acc": float(np.mean((p > 0.5) == Y)), "final_loss": float(((p - Y) ** 2).mean()),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(X))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
        for model, ax in zip(("perceptron", "mlp"), axes[:2]):
            r = next((r for r in runs if r.config["model"] == model), None)
            if r is None:
                continue
            grid = np.array(r.logs["grid"]).reshape(GRID, GRID)
            ax.imshow(grid, origin="lower", extent=(-0.5, 1.5, -0.5, 1.5), cmap="coolwarm", vmin=0, vmax=1)
            ax.scatter(X[:, 0], X[:, 1], c=Y, cmap="coolwarm", edgecolors="k", s=90, vmin=0, vmax=1)
            ax.set_title(f"{model}: accuracy {r.final['train_acc']:.2f}")
        ax = axes[2]
        for r in runs:
            xs, ys = r.curve("train_acc")
            ax.plot(xs, ys, color="C0" if r.config["model"] == "perceptron" else "C1", alpha=0.6,
                    label=r.config["model"])
        h, lab = ax.get_legend_handles_labels()
        ax.legend(dict(zip(lab, h)).values(), dict(zip(lab, h)).keys())
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy on the 4 XOR points")
        return [save_figure(fig, f"{fig_dir}/xor.png")]

    def table(self, runs):
        rows = []
        for model in ("perceptron", "mlp"):
            rs = [r for r in runs if r.config["model"] == model]
            if rs:
                accs = [r.final["train_acc"] for r in rs]
                rows.append({"model": model, "seeds": len(rs), "mean accuracy": float(np.mean(accs)),
                             "seeds solved": sum(a == 1.0 for a in accs), "params": rs[0].final.get("params")})
        return rows

    def verdict(self, runs):
        p = [r.final["train_acc"] for r in runs if r.config["model"] == "perceptron"]
        m = [r.final["train_acc"] for r in runs if r.config["model"] == "mlp"]
        if not p or not m:
            return None, "both models are needed to decide"
        solved = sum(a == 1.0 for a in m)
        ok = max(p) < 1.0 and solved >= 0.8 * len(m)
        return ok, (f"the perceptron reached at most {max(p):.2f} accuracy over {len(p)} seeds; "
                    f"the MLP solved XOR in {solved} of {len(m)} seeds")
