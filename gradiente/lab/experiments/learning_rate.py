"""Learning rate: too small crawls, too large diverges, a good one (or a schedule) converges (seed 002 §3.8)."""
import math

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

SETTINGS = {"too small": 1e-4, "good": 0.1, "too large": 8.0, "good + cosine schedule": 0.3}


@register
class LearningRateExperiment(Experiment):
    name = "learning_rate"
    title = "Too small a learning rate crawls, too large diverges"
    claim = ("Gradient descent with a tiny learning rate barely lowers the loss, with a too large one the loss "
             "explodes (diverges), and a well chosen rate, or a larger one decayed by a schedule, converges.")
    seed_ref = "seed 002 §3.8 (learning rate and schedules), seed 003 (gradient descent)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"setting": k, "lr": lr, "epochs": 8 if quick else 40, "seed": s}
                for k, lr in SETTINGS.items() for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [64, 64], 10, act="relu")
        opt = g.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9)
        sched = g.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"]) if "schedule" in config["setting"] else None
        with g.no_grad():
            init_loss = float(cross_entropy(model(g.tensor(Xtr)), g.tensor(ytr)).item())
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder,
                    scheduler=sched)
        last = out["history"][-1]
        loss = last["train_loss"]
        diverged = out["diverged"] or not math.isfinite(loss) or loss > init_loss
        return {"initial_loss": init_loss, "train_loss": loss if math.isfinite(loss) else float("inf"),
                "val_acc": last.get("val_acc", 0.0) if not out["diverged"] else 0.0, "diverged": bool(diverged),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4.2))
        names = list(SETTINGS)
        shown = set()
        for r in runs:
            k = r.config["setting"]
            xs, ys = r.curve("train_loss")
            ys = [y if isinstance(y, float) and math.isfinite(y) else np.nan for y in ys]
            ax.semilogy([0] + xs, [r.final["initial_loss"]] + ys, "o-", color=f"C{names.index(k)}",
                        label=None if k in shown else f"{k} (lr={r.config['lr']})", alpha=0.8)
            if r.final.get("diverged"):
                ax.plot(xs[-1] if xs else 0, r.final["initial_loss"], "x", color=f"C{names.index(k)}", ms=12)
            shown.add(k)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (x: diverged)")
        ax.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/learning_rate.png")]

    def table(self, runs):
        rows = []
        for k in SETTINGS:
            rs = [r for r in runs if r.config["setting"] == k]
            if rs:
                rows.append({"setting": k, "lr": rs[0].config["lr"],
                             "final train loss": float(np.mean([r.final["train_loss"] for r in rs])),
                             "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
                             "diverged runs": sum(bool(r.final["diverged"]) for r in rs), "runs": len(rs)})
        return rows

    def verdict(self, runs):
        by = {r["setting"]: r for r in self.table(runs)}
        if not {"too small", "good", "too large"} <= set(by):
            return None, "the three fixed learning rates are needed to decide"
        small, good, large = by["too small"], by["good"], by["too large"]
        ok = (large["diverged runs"] == large["runs"] and good["diverged runs"] == 0
              and small["final train loss"] > 2 * good["final train loss"])
        sched = by.get("good + cosine schedule")
        tail = (f"; lr {sched['lr']} with a cosine schedule ends at {sched['final train loss']:.3g}"
                if sched else "")
        return ok, (f"lr {small['lr']} ends at loss {small['final train loss']:.3g}, lr {good['lr']} at "
                    f"{good['final train loss']:.3g}, lr {large['lr']} diverged in {large['diverged runs']} of "
                    f"{large['runs']} runs{tail}")
