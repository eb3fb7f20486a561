"""The four families on one task: MLP, CNN, GRU and a small Transformer on MNIST-1D (seed 000 §8 made empirical)."""
import time

import numpy as np

import gradiente as g
from gradiente import nn
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.attention_common import SequenceLSTM, SequenceTransformer
from gradiente.lab.experiments.conv_mnist1d import build as build_mnist1d
from gradiente.lab.utils import count_flops, count_parameters
from gradiente.nn import functional as F

FAMILIES = ("mlp", "cnn", "gru", "transformer")
#: learning rates: the MNIST-1D reference set-up (Adam 1e-2) for MLP and CNN; smaller where it diverged
LR = {"mlp": 1e-2, "cnn": 1e-2, "gru": 3e-3, "transformer": 1e-3}


class PatchSequence(nn.Module):
    """(N, 40) -> (N, 40 / patch, patch): the signal as a sequence of short patches for a sequence model."""

    def __init__(self, body, patch):
        super().__init__()
        self.body, self.patch = body, patch

    def forward(self, x):
        return self.body(x.reshape(x.shape[0], -1, self.patch))


def build(kind):
    if kind == "gru":
        return PatchSequence(SequenceLSTM(1, 10, hidden_size=64, cell="GRU"), 1)
    if kind == "transformer":
        return PatchSequence(SequenceTransformer(4, 10, d_model=64, nhead=4, num_layers=2, dim_feedforward=128,
                                                 max_len=10), 4)
    return build_mnist1d(kind)  # the MNIST-1D reference MLP and CNN


@register
class FamiliesExperiment(Experiment):
    name = "attention_families"
    title = "The four families on MNIST-1D: parameters, FLOPs, time and accuracy side by side"
    claim = ("On one sequence-classification task (MNIST-1D, 40 samples per signal) the comparison table of "
             "seed 000 §8 becomes numbers: the dense network ignores order and is cheapest; the CNN's locality "
             "and weight sharing give the best accuracy per parameter; the GRU reads the signal step by step; "
             "the Transformer, reading 10 patches with attention, learns the task too (well above the MLP) "
             "at a higher cost per sample.")
    seed_ref = "seed 000 §8 (comparison table), seed 001 (similarities and differences), seed 003 (inductive bias)"

    def setup(self):
        from gradiente.data.datasets import load_mnist1d
        load_mnist1d(as_tensor=False)

    def configs(self, quick):
        steps = 100 if quick else 2500
        seeds = [0] if quick else [0, 1]
        return [{"model": m, "steps": steps, "batch": 100, "seed": s} for m in FAMILIES for s in seeds]

    def run(self, config, recorder):
        from gradiente.data.datasets import load_mnist1d
        X, y, Xt, yt = load_mnist1d(as_tensor=False)
        g.manual_seed(config["seed"])
        model = build(config["model"])
        opt = g.optim.Adam(model.parameters(), lr=LR[config["model"]])
        rng = np.random.default_rng(config["seed"])
        steps, every = config["steps"], max(1, config["steps"] // 15)
        t_train = 0.0

        def acc(Xa, ya):
            model.eval()
            with g.no_grad():
                out = np.concatenate([model(g.tensor(Xa[i:i + 500])).numpy() for i in range(0, len(Xa), 500)])
            model.train()
            return float((out.argmax(1) == ya).mean())
        for step in range(1, steps + 1):
            b = rng.integers(0, len(X), config["batch"])
            t0 = time.perf_counter()
            loss = F.cross_entropy(model(g.tensor(X[b])), g.tensor(y[b]))
            opt.zero_grad()
            loss.backward()
            if config["model"] in ("gru", "transformer"):
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            t_train += time.perf_counter() - t0
            if step % every == 0 or step == steps:
                recorder.log_epoch(step, train_loss=float(loss.item()), test_acc=acc(Xt, yt))
        t0 = time.perf_counter()
        test_acc = acc(Xt, yt)
        infer_ms = 1e3 * (time.perf_counter() - t0) / len(Xt)
        return {"test_acc": test_acc, "params": count_parameters(model),
                "flops_per_sample": count_flops(model, g.tensor(Xt[:2])), "train_time_s": t_train,
                "step_ms": 1e3 * t_train / steps, "infer_ms_per_sample": infer_ms}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for i, kind in enumerate(FAMILIES):
            rs = [r for r in runs if r.config["model"] == kind]
            for j, r in enumerate(rs):
                xs, ys = r.curve("test_acc")
                axes[0].plot(xs, ys, color=f"C{i}", label=kind if j == 0 else None)
            if rs:
                axes[1].scatter([r.final["params"] for r in rs], [r.final["test_acc"] for r in rs], color=f"C{i}",
                                s=60, label=kind)
        axes[0].set_xlabel("training step")
        axes[0].set_ylabel("test accuracy")
        axes[1].set_xscale("log")
        axes[1].set_xlabel("parameters")
        axes[1].set_ylabel("final test accuracy")
        for ax in axes:
            ax.legend()
        return [save_figure(fig, f"{fig_dir}/attention_families.png")]

    def table(self, runs):
        rows = []
        for kind in FAMILIES:
            rs = [r for r in runs if r.config["model"] == kind]
            if rs:
                rows.append({"family": kind, "seeds": len(rs), "params": rs[0].final["params"],
                             "FLOPs/sample": rs[0].final["flops_per_sample"],
                             "step ms": round(float(np.mean([r.final["step_ms"] for r in rs])), 2),
                             "inference ms/sample": round(float(np.mean([r.final["infer_ms_per_sample"] for r in rs])), 4),
                             "test acc": round(float(np.mean([r.final["test_acc"] for r in rs])), 3)})
        return rows

    def verdict(self, runs):
        mean = {k: np.mean([r.final["test_acc"] for r in runs if r.config["model"] == k])
                for k in FAMILIES if any(r.config["model"] == k for r in runs)}
        if len(mean) < 4:
            return None, "all four families are needed"
        if max(r.config["steps"] for r in runs) < 1000:
            return None, ("quick runs only: " + ", ".join(f"{k} {v:.2f}" for k, v in mean.items())
                          + "; run without --quick")
        ok = bool(mean["transformer"] > mean["mlp"] + 0.05 and mean["cnn"] > mean["mlp"])
        return ok, "mean test accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in mean.items())
