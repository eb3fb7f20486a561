"""Regularisation on a small training set: none, L1, L2, elastic net, dropout (seed 002 §3.10, §2.5)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

# (L1 strength, L2 strength, dropout probability)
SETTINGS = {"none": (0.0, 0.0, 0.0), "L1": (1e-3, 0.0, 0.0), "L2": (0.0, 3e-3, 0.0),
            "elastic net": (5e-4, 3e-3, 0.0), "dropout": (0.0, 0.0, 0.5)}
SPARSE = 1e-3


def penalty_fn(model, l1, l2):
    """lambda1 sum|W| + lambda2 sum W^2 over the weight matrices (biases are not penalised), seed 002 §3.10."""
    weights = [lin.weight for lin in model.linears()]

    def penalty(_model):
        total = 0.0
        for w in weights:
            if l1:
                total = total + l1 * w.abs().sum()
            if l2:
                total = total + l2 * (w * w).sum()
        return total
    return penalty if (l1 or l2) else None


@register
class RegularizationExperiment(Experiment):
    name = "regularization"
    title = "Dropout and L1/L2 penalties reduce overfitting; L1 makes weights sparse"
    claim = ("On a small training set with noisy labels (300 digits, 30% of the labels replaced at random) a large "
             "MLP memorises the data; an L2 penalty, elastic net or dropout shrink the gap between training and "
             "validation accuracy, and an L1 penalty drives many weights to zero.")
    seed_ref = "seed 002 §3.10 (L1, L2, elastic net), seed 002 §2.7 (inverted dropout), seed 003 (regularisation)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2, 3, 4]
        return [{"reg": k, "n_train": 300, "label_noise": 0.3, "epochs": 70 if quick else 200,
                 "seed": s}
                for k in SETTINGS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data(seed=config["seed"])
        n = config["n_train"]
        Xtr, ytr = Xtr[:n], ytr[:n].copy()
        noise = np.random.default_rng(1000 + config["seed"])
        flip = noise.random(n) < config["label_noise"]
        ytr[flip] = noise.integers(0, 10, int(flip.sum()))
        l1, l2, p = SETTINGS[config["reg"]]
        model = MLP(64, [256, 256], 10, act="relu", dropout=p)
        opt = g.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder,
                    penalty=penalty_fn(model, l1, l2))
        last = out["history"][-1]
        w = np.concatenate([lin.weight.data.ravel() for lin in model.linears()])
        return {"train_acc": last["train_acc"], "val_acc": last["val_acc"],
                "gap": last["train_acc"] - last["val_acc"], "sparsity": float(np.mean(np.abs(w) < SPARSE)),
                "weight_l2": float(np.sqrt(np.sum(w.astype(np.float64) ** 2))),
                "weights": np.histogram(np.log10(np.abs(w) + 1e-12), bins=40, range=(-8, 0))[0].tolist(),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        names = list(SETTINGS)
        fig, ax = plt.subplots(1, 3, figsize=(16, 4.2))
        shown = set()
        for r in runs:
            k = r.config["reg"]
            c = f"C{names.index(k)}"
            xs, tr = r.curve("train_acc")
            _, va = r.curve("val_acc")
            ax[0].plot(xs, tr, "-", color=c, alpha=0.8, label=None if k in shown else f"{k} train")
            ax[0].plot(xs, va, "--", color=c, alpha=0.8, label=None if k in shown else f"{k} val")
            if k not in shown:
                edges = np.linspace(-8, 0, 41)
                ax[2].stairs(r.final["weights"], edges, color=c, label=k)
            shown.add(k)
        ax[0].set_xlabel("epoch")
        ax[0].set_ylabel("accuracy (solid: train, dashed: validation)")
        ax[0].legend(fontsize=7, ncol=2)
        rows = self.table(runs)
        ax[1].bar([r["regularisation"] for r in rows], [r["train - val accuracy"] for r in rows],
                  color=[f"C{names.index(r['regularisation'])}" for r in rows])
        ax[1].set_ylabel("train - validation accuracy (overfitting gap)")
        ax[1].tick_params(axis="x", rotation=20)
        ax[2].set_xlabel("log10 |w|")
        ax[2].set_ylabel("number of weights")
        ax[2].legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/regularization.png")]

    def table(self, runs):
        rows = []
        for k in SETTINGS:
            rs = [r for r in runs if r.config["reg"] == k]
            if rs:
                rows.append({"regularisation": k, "train accuracy": float(np.mean([r.final["train_acc"] for r in rs])),
                             "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
                             "train - val accuracy": float(np.mean([r.final["gap"] for r in rs])),
                             f"weights with |w| < {SPARSE}": float(np.mean([r.final["sparsity"] for r in rs])),
                             "||W||": float(np.mean([r.final["weight_l2"] for r in rs]))})
        return rows

    def verdict(self, runs):
        by = {r["regularisation"]: r for r in self.table(runs)}
        if "none" not in by or len(by) < 3:
            return None, "the unregularised run and some regularised ones are needed to decide"
        gap0 = by["none"]["train - val accuracy"]
        key = f"weights with |w| < {SPARSE}"
        smaller = [k for k in ("L2", "elastic net", "dropout") if k in by and by[k]["train - val accuracy"] < gap0]
        sparse = "L1" in by and by["L1"][key] > 2 * by["none"][key] + 0.05
        ok = len(smaller) >= 2 and sparse
        return ok, (f"the train-validation gap is {gap0:.3f} without regularisation and "
                    + ", ".join(f"{k} {by[k]['train - val accuracy']:.3f}" for k in by if k != "none")
                    + f"; L1 leaves {by.get('L1', {}).get(key, float('nan')):.1%} of weights below {SPARSE} "
                      f"against {by['none'][key]:.1%} without a penalty")
