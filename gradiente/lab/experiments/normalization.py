"""Normalisation: a deep MLP with no normalisation, BatchNorm or LayerNorm (seed 002 §2.6)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, grad_norms, load_digits_data, train

NORMS = ("none", "batch", "layer")


@register
class NormalizationExperiment(Experiment):
    name = "normalization"
    title = "Normalisation stabilises and speeds up the training of deep nets"
    claim = ("A deep MLP (20 hidden layers, PyTorch's default initialisation) barely trains without "
             "normalisation; with BatchNorm or LayerNorm after every linear layer the activations are re-centred "
             "and re-scaled and the same net converges.")
    seed_ref = "seed 002 §2.8 (batch and layer normalisation)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"norm": n, "depth": 20, "width": 64, "epochs": 5 if quick else 30, "seed": s}
                for n in NORMS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [config["width"]] * config["depth"], 10, act="relu", norm=config["norm"])
        model.zero_grad()
        cross_entropy(model(g.tensor(Xtr[:256])), g.tensor(ytr[:256])).backward()
        recorder.log("grad_norm_init", grad_norms(model))
        model.zero_grad()
        opt = g.optim.Adam(model.parameters(), lr=1e-3)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        return {"train_loss": last["train_loss"], "val_acc": last.get("val_acc", 0.0),
                "epoch_time_s": float(np.mean([h["time_s"] for h in out["history"]])),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 3, figsize=(16, 4.2))
        shown = set()
        for r in runs:
            n = r.config["norm"]
            c = f"C{NORMS.index(n)}"
            lab = None if n in shown else n
            xs, ys = r.curve("train_loss")
            ax[0].semilogy(xs, ys, "o-", color=c, label=lab)
            xs, ys = r.curve("val_acc")
            ax[1].plot(xs, ys, "o-", color=c, label=lab)
            if n not in shown:
                gn = r.logs["grad_norm_init"]
                ax[2].semilogy(range(1, len(gn) + 1), gn, "o-", color=c, label=n)
            shown.add(n)
        for a, yl, xl in zip(ax, ("training loss", "validation accuracy", "||dL/dW|| at initialisation"),
                             ("epoch", "epoch", "layer (input to output)")):
            a.set_ylabel(yl)
            a.set_xlabel(xl)
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/normalization.png")]

    def table(self, runs):
        rows = []
        for n in NORMS:
            rs = [r for r in runs if r.config["norm"] == n]
            if rs:
                rows.append({"normalisation": n,
                             "final train loss": float(np.mean([r.final["train_loss"] for r in rs])),
                             "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
                             "time per epoch (s)": float(np.mean([r.final["epoch_time_s"] for r in rs])),
                             "params": rs[0].final["params"]})
        return rows

    def verdict(self, runs):
        by = {r["normalisation"]: r for r in self.table(runs)}
        if not {"none", "batch", "layer"} <= set(by):
            return None, "runs without normalisation, with BatchNorm and with LayerNorm are needed to decide"
        base = by["none"]
        better = [n for n in ("batch", "layer") if by[n]["val accuracy"] > base["val accuracy"] + 0.05
                  and by[n]["final train loss"] < base["final train loss"]]
        return len(better) == 2, (
            f"after the same epochs the 20-layer net reaches {base['val accuracy']:.2f} validation accuracy without "
            f"normalisation, {by['batch']['val accuracy']:.2f} with BatchNorm and {by['layer']['val accuracy']:.2f} "
            f"with LayerNorm (training loss {base['final train loss']:.3g} / {by['batch']['final train loss']:.3g} "
            f"/ {by['layer']['final train loss']:.3g})")
