"""ViT on the 8x8 digits: patches plus a class token through an encoder reach 95% test accuracy (seed 002 §4.8)."""
import time

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.utils import count_flops, count_parameters, load_digits_data
from gradiente.models.vit import ViT
from gradiente.nn import functional as F


def _accuracy(model, X, y):
    model.eval()
    with g.no_grad():
        acc = float((model(g.tensor(X)).numpy().argmax(1) == y).mean())
    model.train()
    return acc


@register
class ViTDigitsExperiment(Experiment):
    name = "attention_vit"
    title = "A Vision Transformer reads the digits as a sequence of patches and reaches 95% test accuracy"
    claim = ("Cut into 2x2 patches (16 tokens) or 4x4 patches (4 tokens) plus a class token, the 8x8 digits are classified by an "
             "encoder-only Transformer with an MLP head at 95% test accuracy or more: attention needs no "
             "convolution to see an image, only patches and positional embeddings.")
    seed_ref = "seed 002 §4.8 (Vision Transformer: patches, encoder only, MLP head)"

    def configs(self, quick):
        if quick:
            return [{"patch": 4, "epochs": 3, "dim": 64, "depth": 3, "seed": 0}]
        return [{"patch": p, "epochs": 40, "dim": 64, "depth": 3, "seed": s} for p in (2, 4) for s in (0, 1)]

    def run(self, config, recorder):
        g.manual_seed(config["seed"])
        Xtr, ytr, Xte, yte = load_digits_data(n_val=360, flat=False, seed=0)
        model = ViT(8, config["patch"], 10, dim=config["dim"], depth=config["depth"], heads=4,
                    mlp_dim=2 * config["dim"])
        opt = g.optim.Adam(model.parameters(), lr=2e-3)
        sched = g.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"])
        rng = np.random.default_rng(config["seed"])
        t_all = time.perf_counter()
        for epoch in range(1, config["epochs"] + 1):
            t0 = time.perf_counter()
            perm = rng.permutation(len(Xtr))
            total = 0.0
            for i in range(0, len(perm), 64):
                b = perm[i:i + 64]
                loss = F.cross_entropy(model(g.tensor(Xtr[b])), g.tensor(ytr[b]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.item()) * len(b)
            sched.step()
            recorder.log_epoch(epoch, train_loss=total / len(perm), val_acc=_accuracy(model, Xte, yte),
                               time_s=time.perf_counter() - t0)
        return {"test_acc": _accuracy(model, Xte, yte), "train_acc": _accuracy(model, Xtr, ytr),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xte[:2])),
                "train_time_s": time.perf_counter() - t_all}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for r in runs:
            xs, ys = r.curve("val_acc")
            ax.plot(xs, ys, label=f"patch {r.config['patch']}, seed {r.config['seed']}")
        ax.axhline(0.95, color="k", ls="--", lw=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy")
        ax.set_title("ViT on the 8x8 digits (360 held-out images)")
        ax.legend()
        return [save_figure(fig, f"{fig_dir}/attention_vit.png")]

    def table(self, runs):
        return [{"patch": r.config["patch"], "seed": r.config["seed"], "epochs": r.config["epochs"],
                 "test acc": round(r.final["test_acc"], 4), "train acc": round(r.final["train_acc"], 4),
                 "params": r.final["params"], "FLOPs/sample": r.final["flops_per_sample"],
                 "train s": round(r.final["train_time_s"], 1)} for r in runs]

    def verdict(self, runs):
        full = [r for r in runs if r.config["epochs"] >= 20]
        if not full:
            best = max((r.final["test_acc"] for r in runs), default=0.0)
            return None, f"quick runs only (best test accuracy {best:.3f} after a few epochs); run without --quick"
        best = max(full, key=lambda r: r.final["test_acc"])
        accs = [r.final["test_acc"] for r in full if r.config["patch"] == best.config["patch"]]
        ok = bool(min(accs) >= 0.95)
        return ok, (f"with {best.config['patch']}x{best.config['patch']} patches the ViT reaches test accuracy "
                    f"{min(accs):.3f} to {max(accs):.3f} over {len(accs)} seeds")
