"""MLP against CNN on images: parameters, FLOPs, accuracy, time, and accuracy on shifted images (seed 000 §5)."""
import time

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.conv_common import FlatMLP, shifted_accuracy
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train
from gradiente.models import LeNet5

MODELS = ("mlp", "lenet")


def build(kind):
    if kind == "mlp":
        return FlatMLP(64, [256, 128])
    return LeNet5(image_size=8)


@register
class MLPvsCNNExperiment(Experiment):
    name = "conv_mlp_vs_cnn"
    title = "A CNN matches an MLP on images with less than half the parameters, and tolerates shifted images better"
    claim = ("Convolution shares one small kernel over all positions (locality and parameter sharing), so a "
             "LeNet-style CNN reaches at least the MLP's accuracy on the 8x8 digits with fewer parameters, and "
             "its accuracy drops less when the test images are shifted by a pixel or two (translation "
             "equivariance of the convolution plus pooling).")
    seed_ref = "seed 000 §5 (convolution), seed 001 (CNN), seed 002 §4.2 (LeNet), seed 003 (inductive bias)"

    def setup(self):
        load_digits_data(flat=False)

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"model": m, "epochs": 15 if quick else 40, "seed": s} for m in MODELS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data(flat=False)
        model = build(config["model"])
        opt = g.optim.Adam(model.parameters(), lr=2e-3)
        t = time.perf_counter()
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder,
                    eval_train=False)
        elapsed = time.perf_counter() - t
        final = {"test_acc": out["history"][-1]["val_acc"], "train_time_s": elapsed,
                 "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}
        for s in (1, 2):
            final[f"shift{s}_acc"] = shifted_accuracy(model, Xv, yv, s)
        return final

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for i, m in enumerate(MODELS):
            rs = [r for r in runs if r.config["model"] == m]
            for j, r in enumerate(rs):
                xs, ys = r.curve("val_acc")
                ax[0].plot(xs, ys, color=f"C{i}", label=m if j == 0 else None)
            if rs:
                accs = [np.mean([r.final[k] for r in rs]) for k in ("test_acc", "shift1_acc", "shift2_acc")]
                ax[1].plot([0, 1, 2], accs, "o-", color=f"C{i}",
                           label=f"{m} ({rs[0].final['params']:,} params)")
        ax[0].set(xlabel="epoch", ylabel="test accuracy", title="learning curves (8x8 digits)")
        ax[1].set(xlabel="test images shifted by (pixels)", ylabel="accuracy", title="translation", xticks=[0, 1, 2])
        for a in ax:
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/conv_mlp_vs_cnn.png")]

    def table(self, runs):
        rows = []
        for m in MODELS:
            rs = [r for r in runs if r.config["model"] == m]
            if rs:
                rows.append({"model": m, "params": rs[0].final["params"],
                             "FLOPs/sample": rs[0].final["flops_per_sample"],
                             **{k: float(np.mean([r.final[k] for r in rs]))
                                for k in ("test_acc", "shift1_acc", "shift2_acc", "train_time_s")}})
        return rows

    def verdict(self, runs):
        by = {r["model"]: r for r in self.table(runs)}
        if set(by) != set(MODELS):
            return None, "both the MLP and the CNN runs are needed"
        m, c = by["mlp"], by["lenet"]
        drop_m, drop_c = m["test_acc"] - m["shift2_acc"], c["test_acc"] - c["shift2_acc"]
        ok = c["test_acc"] >= m["test_acc"] - 0.005 and c["params"] < m["params"] and drop_c < drop_m
        return ok, (f"LeNet reaches {c['test_acc']:.3f} test accuracy with {c['params']:,} parameters against the "
                    f"MLP's {m['test_acc']:.3f} with {m['params']:,}; shifting the test images by 2 pixels costs "
                    f"the CNN {drop_c:.3f} and the MLP {drop_m:.3f}")
