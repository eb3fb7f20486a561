"""Batch size: full-batch gradient descent vs SGD vs mini-batches, per epoch and per second (seed 002 §3.7)."""
import math

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

# batch size (None: the whole training set) and learning rate of each method
SETTINGS = {"full batch": (None, 0.5), "SGD (batch 1)": (1, 0.005), "mini-batch 32": (32, 0.1)}
TARGET = 0.3


def time_to(run, key="train_loss", target=TARGET):
    """Wall-clock seconds until ``key`` first falls to ``target`` (inf if never)."""
    for row in run.epochs:
        v = row.get(key)
        if isinstance(v, float) and v <= target:
            return row["wall_s"]
    return math.inf


@register
class MinibatchExperiment(Experiment):
    name = "minibatch"
    title = "Mini-batches beat full-batch gradient descent in time"
    claim = ("Per epoch full-batch gradient descent makes one careful step and pure SGD many noisy ones; "
             "mini-batches combine cheap vectorised steps with many updates, reaching a given loss in the least "
             "wall-clock time.")
    seed_ref = "seed 002 §3.7 (batch, stochastic and mini-batch gradient descent), seed 003"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"method": k, "batch_size": b, "lr": lr, "epochs": 6 if quick else 30, "seed": s}
                for k, (b, lr) in SETTINGS.items() for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [64], 10, act="relu")
        opt = g.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9)
        bs = config["batch_size"] or len(Xtr)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], bs, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        return {"train_loss": last["train_loss"], "val_acc": last.get("val_acc"), "steps": out["steps"],
                "train_time_s": out["time_s"], "params": count_parameters(model),
                "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        names = list(SETTINGS)
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        shown = set()
        for r in runs:
            k = r.config["method"]
            c = f"C{names.index(k)}"
            xs, ys = r.curve("train_loss")
            _, ts = r.curve("wall_s")
            lab = None if k in shown else k
            ax[0].semilogy(xs, ys, "o-", color=c, label=lab)
            ax[1].semilogy(ts, ys, "o-", color=c, label=lab)
            shown.add(k)
        for a in ax:
            a.axhline(TARGET, color="grey", ls=":", lw=1)
            a.set_ylabel("training loss")
            a.legend(fontsize=8)
        ax[0].set_xlabel("epoch")
        ax[1].set_xlabel("wall-clock time (s)")
        return [save_figure(fig, f"{fig_dir}/minibatch.png")]

    def table(self, runs):
        rows = []
        for k in SETTINGS:
            rs = [r for r in runs if r.config["method"] == k]
            if rs:
                rows.append({"method": k, "batch size": rs[0].config["batch_size"] or "all",
                             "steps": rs[0].final["steps"],
                             "final train loss": float(np.mean([r.final["train_loss"] for r in rs])),
                             "train time (s)": float(np.mean([r.final["train_time_s"] for r in rs])),
                             f"time to loss {TARGET} (s)": float(np.median([time_to(r) for r in rs]))})
        return rows

    def verdict(self, runs):
        by = {r["method"]: r for r in self.table(runs)}
        if not {"full batch", "mini-batch 32"} <= set(by):
            return None, "the full-batch and mini-batch runs are needed to decide"
        key = f"time to loss {TARGET} (s)"
        mb, fb = by["mini-batch 32"][key], by["full batch"][key]
        sgd = by.get("SGD (batch 1)", {}).get(key, math.inf)
        ok = mb < fb and mb <= sgd
        fmt = lambda t: "never" if math.isinf(t) else f"{t:.2f} s"  # noqa: E731
        return ok, (f"time to reach training loss {TARGET}: mini-batch {fmt(mb)}, full batch {fmt(fb)}, "
                    f"SGD with batch 1 {fmt(sgd)}")
