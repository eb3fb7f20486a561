"""Capacity: under- and overfitting as width grows, and depth against width at equal parameter count (seed 002 §3.3, seed 003)."""

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

DEEP_LAYERS = 4


def deep_width(budget, n_in=2, n_out=3, layers=DEEP_LAYERS):
    """Width w of a ``layers``-hidden-layer MLP whose parameter count is closest to ``budget``."""
    count = lambda w: n_in * w + w + (layers - 1) * (w * w + w) + n_out * w + n_out  # noqa: E731
    return min(range(1, 1000), key=lambda w: abs(count(w) - budget))


def shallow_width(budget, n_in=2, n_out=3):
    return max(1, round((budget - n_out) / (n_in + 1 + n_out)))


def spirals(seed):
    from gradiente.data.datasets.synthetic import make_spirals

    X, y = make_spirals(1200, 3, noise=0.1, turns=2.0, random_state=seed)
    X = np.asarray(getattr(X, "data", X), dtype=np.float32)
    y = np.asarray(getattr(y, "data", y), dtype=np.int64)
    return X[:900], y[:900], X[900:], y[900:]


@register
class DepthVsWidthExperiment(Experiment):
    name = "depth_vs_width"
    title = "Capacity: width moves a net from under- to overfitting; depth is more compact than width"
    claim = ("A one-hidden-layer net that is too narrow underfits (low training accuracy) and a very wide one fits "
             "its small training set perfectly, opening a gap to validation; at an equal number of parameters a "
             "deeper, narrower net represents a winding decision boundary (three spirals) better than a wide "
             "shallow one.")
    seed_ref = "seed 002 §3.3 (underfitting and overfitting, capacity), seed 003 (depth), seed 004 (universal approximation)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        widths = [1, 4, 16, 64, 512] if quick else [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        out = [{"part": "width", "width": w, "n_train": 200, "epochs": 60 if quick else 200, "seed": s}
               for w in widths for s in seeds]
        budgets = [1000] if quick else [400, 1000, 3000]
        for b in budgets:
            for shape in ("shallow", "deep"):
                for s in seeds:
                    out.append({"part": "depth", "shape": shape, "budget": b, "epochs": 120 if quick else 300,
                                "seed": s})
        return out

    def run(self, config, recorder):
        if config["part"] == "width":
            Xtr, ytr, Xv, yv = load_digits_data(seed=config["seed"])
            Xtr, ytr = Xtr[:config["n_train"]], ytr[:config["n_train"]]
            model = MLP(64, [config["width"]], 10, act="relu")
            lr = 3e-3
        else:
            Xtr, ytr, Xv, yv = spirals(config["seed"])
            b = config["budget"]
            hidden = [shallow_width(b)] if config["shape"] == "shallow" else [deep_width(b)] * DEEP_LAYERS
            model = MLP(2, hidden, 3, act="relu")
            lr = 1e-2
        opt = g.optim.Adam(model.parameters(), lr=lr)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 64, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        return {"train_acc": last["train_acc"], "val_acc": last["val_acc"], "train_loss": last["train_loss"],
                "hidden": [b.linear.out_features for b in model.blocks],
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def _width_rows(self, runs):
        rows = []
        for w in sorted({r.config["width"] for r in runs if r.config["part"] == "width"}):
            rs = [r for r in runs if r.config["part"] == "width" and r.config["width"] == w]
            tr = float(np.mean([r.final["train_acc"] for r in rs]))
            va = float(np.mean([r.final["val_acc"] for r in rs]))
            rows.append({"part": "width (digits, 200 training samples)", "hidden layers": str([w]),
                         "params": rs[0].final["params"], "train accuracy": tr, "val accuracy": va, "gap": tr - va})
        return rows

    def _depth_rows(self, runs):
        rows = []
        keys = sorted({(r.config["budget"], r.config["shape"]) for r in runs if r.config["part"] == "depth"},
                      key=lambda k: (k[0], k[1] != "shallow"))
        for b, shape in keys:
            rs = [r for r in runs if r.config["part"] == "depth" and r.config["budget"] == b
                  and r.config["shape"] == shape]
            tr = float(np.mean([r.final["train_acc"] for r in rs]))
            va = float(np.mean([r.final["val_acc"] for r in rs]))
            rows.append({"part": f"depth (spirals, budget {b})", "hidden layers": str(rs[0].final["hidden"]),
                         "params": rs[0].final["params"], "train accuracy": tr, "val accuracy": va, "gap": tr - va,
                         "shape": shape, "budget": b})
        return rows

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        wr = self._width_rows(runs)
        if wr:
            ps = [r["params"] for r in wr]
            ax[0].semilogx(ps, [r["train accuracy"] for r in wr], "o-", label="train")
            ax[0].semilogx(ps, [r["val accuracy"] for r in wr], "s-", label="validation")
            for r in wr:
                ax[0].annotate(r["hidden layers"], (r["params"], r["val accuracy"]), fontsize=7,
                               textcoords="offset points", xytext=(0, -12))
            ax[0].set_xlabel("parameters (one hidden layer, width annotated)")
            ax[0].set_ylabel("accuracy")
            ax[0].set_title("digits with 200 training samples", fontsize=10)
            ax[0].legend(fontsize=8)
        dr = self._depth_rows(runs)
        for shape, c in (("shallow", "C0"), ("deep", "C1")):
            rs = [r for r in dr if r["shape"] == shape]
            if rs:
                ax[1].plot([r["params"] for r in rs], [r["val accuracy"] for r in rs], "o-", color=c,
                               label=f"{shape} ({'1' if shape == 'shallow' else DEEP_LAYERS} hidden layer(s))")
        if len({r["budget"] for r in dr}) > 1:
            ax[1].set_xscale("log")
        ax[1].set_xlabel("parameters")
        ax[1].set_ylabel("validation accuracy")
        ax[1].set_title("three spirals: equal parameter budgets", fontsize=10)
        ax[1].legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/depth_vs_width.png")]

    def table(self, runs):
        rows = self._width_rows(runs) + self._depth_rows(runs)
        return [{k: v for k, v in r.items() if k not in ("shape", "budget")} for r in rows]

    def verdict(self, runs):
        wr, dr = self._width_rows(runs), self._depth_rows(runs)
        if len(wr) < 2 or not dr:
            return None, "the width sweep and the depth comparison are both needed to decide"
        under = wr[0]["train accuracy"] < 0.7
        fits = wr[-1]["train accuracy"] > 0.99 and wr[-1]["gap"] > wr[0]["gap"]
        pairs = []
        for b in sorted({r["budget"] for r in dr}):
            s = next((r for r in dr if r["budget"] == b and r["shape"] == "shallow"), None)
            d = next((r for r in dr if r["budget"] == b and r["shape"] == "deep"), None)
            if s and d:
                pairs.append((b, s["val accuracy"], d["val accuracy"]))
        deeper = bool(pairs) and all(dv > sv for _, sv, dv in pairs)
        ok = under and fits and deeper
        return ok, (f"width {wr[0]['hidden layers']} reaches {wr[0]['train accuracy']:.2f} training accuracy and width "
                    f"{wr[-1]['hidden layers']} {wr[-1]['train accuracy']:.2f} (gap to validation "
                    f"{wr[-1]['gap']:.2f}); at equal parameters the deep net's validation accuracy is "
                    + ", ".join(f"{dv:.3f} vs {sv:.3f} shallow ({b} params)" for b, sv, dv in pairs))
