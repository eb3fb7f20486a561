"""Depth: a plain deep CNN against the ResNet of the same depth (seed 002 §4.4)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.conv_common import weight_grad_norm
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train
from gradiente.models import PlainCNN, ResNet

KINDS = ("plain", "resnet")


@register
class ConvDepthExperiment(Experiment):
    name = "conv_depth"
    title = "A deep plain CNN trains worse than the ResNet of the same depth"
    claim = ("Stacking more convolutional layers does not by itself help: a deep plain CNN (even with "
             "BatchNorm) trains more slowly and reaches a higher training loss than the ResNet of the same "
             "depth and width, whose identity shortcuts make each block a small correction to the identity "
             "and give the gradient a direct path to the first layers. With BatchNorm the plain network's "
             "first-layer gradient does not vanish (the figure shows its norm): the difference is how well "
             "the deep composition can be optimised.")
    seed_ref = "seed 002 §4.4 (ResNet, skip connections), seed 002 §2.9, seed 000 §2 (delta recursion)"

    def setup(self):
        load_digits_data(flat=False)

    def configs(self, quick):
        seeds = [0] if quick else [0, 1]
        blocks = 2 if quick else 5
        return [{"kind": k, "blocks_per_stage": blocks, "widths": [8, 16, 32], "epochs": 2 if quick else 12,
                 "seed": s} for k in KINDS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data(flat=False)
        n = config["blocks_per_stage"]
        cls = ResNet if config["kind"] == "resnet" else PlainCNN
        model = cls((n, n, n), tuple(config["widths"]), num_classes=10, in_channels=1)
        norms = []

        def on_batch(m, step):
            norms.append(weight_grad_norm(m.conv1))

        opt = g.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 64, Xv, yv, recorder=recorder,
                    on_batch=on_batch)
        recorder.log("first_layer_grad_norm", norms)
        last = out["history"][-1]
        return {"depth": model.depth, "train_loss": last["train_loss"], "val_acc": last.get("val_acc", 0.0),
                "first_grad_norm_mean": float(np.mean(norms)), "train_time_s": out["time_s"],
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        shown = set()
        for r in runs:
            k = r.config["kind"]
            c = f"C{KINDS.index(k)}"
            lab = None if k in shown else f"{k} ({r.final['depth']} layers)"
            shown.add(k)
            for a, key in ((ax[0], "train_loss"), (ax[1], "val_acc")):
                xs, ys = r.curve(key)
                a.plot(xs, ys, "o-", color=c, label=lab)
            gn = np.asarray(r.logs["first_layer_grad_norm"])
            w = max(len(gn) // 50, 1)
            ax[2].semilogy(np.convolve(gn, np.ones(w) / w, mode="valid"), color=c, label=lab)
        ax[0].set(xlabel="epoch", ylabel="training loss", title="training loss", yscale="log")
        ax[1].set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
        ax[2].set(xlabel="step", ylabel="||dL/dW|| of conv1", title="first-layer gradient norm")
        for a in ax:
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/conv_depth.png")]

    def table(self, runs):
        rows = []
        for k in KINDS:
            rs = [r for r in runs if r.config["kind"] == k]
            if rs:
                rows.append({"model": k, "depth": rs[0].final["depth"], "params": rs[0].final["params"],
                             **{key: float(np.mean([r.final[key] for r in rs]))
                                for key in ("train_loss", "val_acc", "first_grad_norm_mean", "train_time_s")}})
        return rows

    def verdict(self, runs):
        by = {r["model"]: r for r in self.table(runs)}
        if set(by) != set(KINDS):
            return None, "both the plain and the residual runs are needed"
        p, s = by["plain"], by["resnet"]
        ok = s["train_loss"] < p["train_loss"]
        return ok, (f"at depth {s['depth']}, the ResNet ends with training loss {s['train_loss']:.4f} and validation "
                    f"accuracy {s['val_acc']:.3f}; the plain CNN with {p['train_loss']:.4f} and {p['val_acc']:.3f}; "
                    f"mean first-layer gradient norm {s['first_grad_norm_mean']:.3g} (ResNet) against "
                    f"{p['first_grad_norm_mean']:.3g} (plain)")
