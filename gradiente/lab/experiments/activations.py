"""Activations in a deep MLP: vanishing sigmoid gradients, dead ReLUs, SELU self-normalisation (seed 002 §2.5)."""
import math

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import (count_flops, count_parameters, cross_entropy, grad_norms, load_digits_data,
                                 train)

ACTS = ("sigmoid", "tanh", "relu", "selu", "gelu")


def lecun_normal_(model):
    """W ~ N(0, 1/fan_in), b = 0: the initialisation SELU's fixed point assumes (seed 002 §2.5, §3.9)."""
    with g.no_grad():
        for lin in model.linears():
            g.nn.init.normal_(lin.weight, 0.0, 1.0 / math.sqrt(lin.in_features))
            g.nn.init.zeros_(lin.bias)


def layer_stats(model, X):
    """Per hidden layer: mean and std of the activations, and the fraction of units that are 0 on every sample."""
    model.record = True
    with g.no_grad():
        model(g.tensor(X))
    model.record = False
    acts = model.activations
    return ([float(a.mean()) for a in acts], [float(a.std()) for a in acts],
            [float(np.mean(np.all(a <= 0, axis=0))) for a in acts])


def first_grad_norms(model, X, y):
    model.zero_grad()
    cross_entropy(model(g.tensor(X)), g.tensor(y)).backward()
    norms = grad_norms(model)
    model.zero_grad()
    return norms


@register
class ActivationsExperiment(Experiment):
    name = "activations"
    title = "Activations in a deep MLP: sigmoid gradients vanish, ReLUs die, SELU self-normalises"
    claim = ("In a deep MLP the sigmoid's derivative (at most 1/4) shrinks the gradient layer after layer, so the "
             "first layers barely learn; ReLU units can die (output 0 for every input); SELU keeps the "
             "activations near mean 0 and standard deviation 1 through depth.")
    seed_ref = "seed 002 §2.5 (activation functions, SELU constants), seed 000 §2 (delta recursion)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"activation": a, "depth": 10, "width": 64, "epochs": 3 if quick else 20, "seed": s}
                for a in ACTS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [config["width"]] * config["depth"], 10, act=config["activation"])
        lecun_normal_(model)
        means0, stds0, dead0 = layer_stats(model, Xv)
        g0 = first_grad_norms(model, Xtr[:256], ytr[:256])
        recorder.log("grad_norm_init", g0)
        recorder.log("act_mean_init", means0)
        recorder.log("act_std_init", stds0)
        opt = g.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 64, Xv, yv, recorder=recorder)
        means, stds, dead = layer_stats(model, Xv)
        g1 = first_grad_norms(model, Xtr[:256], ytr[:256])
        recorder.log("grad_norm_trained", g1)
        recorder.log("act_mean_trained", means)
        recorder.log("act_std_trained", stds)
        recorder.log("dead_fraction_trained", dead)
        last = out["history"][-1]
        return {"val_acc": last.get("val_acc", float("nan")), "train_loss": last["train_loss"],
                "grad_ratio_first_last": g0[0] / max(g0[-1], 1e-30),
                "dead_fraction": float(np.mean(dead)), "act_std_last_init": stds0[-1],
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 4, figsize=(16, 3.8))
        seen = set()
        for r in runs:
            a = r.config["activation"]
            if a in seen:
                continue
            seen.add(a)
            c = f"C{ACTS.index(a)}"
            gn = r.logs["grad_norm_init"]
            ax[0].semilogy(range(1, len(gn) + 1), gn, "o-", color=c, label=a)
            ax[1].plot(range(1, len(r.logs["act_std_init"]) + 1), r.logs["act_std_init"], "o-", color=c, label=a)
            ax[2].plot(range(1, len(r.logs["act_mean_init"]) + 1), r.logs["act_mean_init"], "o-", color=c, label=a)
            xs, ys = r.curve("val_acc")
            ax[3].plot(xs, ys, "o-", color=c, label=a)
        for a_, t, yl in zip(ax, ("gradient norm per layer (at init)", "activation std per layer (at init)",
                                  "activation mean per layer (at init)", "validation accuracy"),
                             ("||dL/dW||", "std", "mean", "accuracy")):
            a_.set_title(t, fontsize=10)
            a_.set_ylabel(yl)
            a_.set_xlabel("epoch" if "accuracy" in t else "layer (input to output)")
            a_.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/activations.png")]

    def table(self, runs):
        rows = []
        for a in ACTS:
            rs = [r for r in runs if r.config["activation"] == a]
            if not rs:
                continue
            rows.append({
                "activation": a,
                "grad norm layer 1 / last (init)": float(np.mean([r.final["grad_ratio_first_last"] for r in rs])),
                "act std last hidden (init)": float(np.mean([r.final["act_std_last_init"] for r in rs])),
                "dead units (trained)": float(np.mean([r.final["dead_fraction"] for r in rs])),
                "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
            })
        return rows

    def verdict(self, runs):
        by = {r["activation"]: r for r in self.table(runs)}
        if not {"sigmoid", "selu", "relu"} <= set(by):
            return None, "the sigmoid, ReLU and SELU runs are all needed to decide"
        ratio = by["sigmoid"]["grad norm layer 1 / last (init)"]
        selu_std = [s for r in runs if r.config["activation"] == "selu" for s in r.logs["act_std_init"]]
        selu_ok = 0.5 < min(selu_std) and max(selu_std) < 2.0
        vanishes = ratio < 1e-2
        dead = by["relu"]["dead units (trained)"]
        return vanishes and selu_ok, (
            f"the sigmoid net's first-layer gradient norm is {ratio:.1e} times its last layer's "
            f"({'orders of magnitude below' if vanishes else 'not orders of magnitude below'}); SELU's activation "
            f"std stays in [{min(selu_std):.2f}, {max(selu_std):.2f}] across layers "
            f"({'self-normalising' if selu_ok else 'not self-normalising'}); {dead:.1%} of ReLU units are dead "
            f"after training, sigmoid reaches {by['sigmoid']['val accuracy']:.2f} validation accuracy against "
            f"{by['selu']['val accuracy']:.2f} for SELU")
