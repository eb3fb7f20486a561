"""Transfer learning: pretrain on digits 0-4, transfer to 5-9 with few examples (seed 002 §3.11)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train
from gradiente.train.transfer import freeze, param_groups_for_finetune, replace_head

MODES = ("from scratch", "frozen features", "fine-tuning")
SOURCE, TARGET = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
HEAD = "8"  # index of the classifier in the Sequential below
FEATURES = 5  # layers 0-4 (the convolutions and the pooling) are the feature extractor


def small_cnn(n_classes):
    """conv 3x3 (16) - ReLU - conv 3x3 (32) - ReLU - max-pool 2 - 64 ReLU units - classifier (seed 002 §4)."""
    nn = g.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, n_classes))


@register
class TransferExperiment(Experiment):
    name = "transfer"
    title = "Transfer learning helps when the new task has few examples"
    claim = ("Features learned on digits 0-4 carry over to digits 5-9: with only a few labelled examples per new "
             "class, new top layers on the frozen pretrained convolutional feature extractor (or fine-tuning the pretrained net) beats "
             "the same net trained from scratch.")
    seed_ref = "seed 002 §3.11 (transfer learning: freeze, replace the head, fine-tune)"

    def setup(self):
        load_digits_data(flat=False)

    def configs(self, quick):
        seeds = [0, 1] if quick else [0, 1, 2, 3, 4]
        shots = [2] if quick else [1, 2, 5, 20]
        return [{"shots_per_class": k, "pretrain_epochs": 8 if quick else 15, "epochs": 40 if quick else 100,
                 "seed": s} for k in shots for s in seeds]

    def run(self, config, recorder):
        """Pretrain once on the source digits, then train the three modes on the same few target examples."""
        Xs, ys, Xsv, ysv = load_digits_data(classes=SOURCE, n_val=100, flat=False)
        base = small_cnn(len(SOURCE))
        pre = train(base, g.optim.Adam(base.parameters(), lr=2e-3), cross_entropy, Xs, ys,
                    config["pretrain_epochs"], 32, Xsv, ysv)
        pretrained = {k: v.data.copy() for k, v in base.state_dict().items()}
        Xt, yt, Xtv, ytv = load_digits_data(classes=TARGET, n_val=400, seed=config["seed"], flat=False)
        k = config["shots_per_class"]
        few = np.concatenate([np.flatnonzero(yt == c)[:k] for c in range(len(TARGET))])
        final = {"source_val_acc": pre["history"][-1]["val_acc"], "n_train": int(len(few))}
        for i, mode in enumerate(MODES):
            model = small_cnn(len(SOURCE))
            if mode == "from scratch":
                replace_head(model, HEAD, g.nn.Linear(64, len(TARGET)))
                opt = g.optim.Adam(model.parameters(), lr=1e-2)
            else:
                model.load_state_dict({k: g.tensor(v) for k, v in pretrained.items()})
                replace_head(model, HEAD, g.nn.Linear(64, len(TARGET)))
                if mode == "frozen features":
                    for j in range(FEATURES):
                        freeze(model[j])
                    opt = g.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
                else:
                    opt = g.optim.Adam(param_groups_for_finetune(model, head_lr=1e-2, body_lr=1e-3, head=HEAD),
                                       lr=1e-2)
            hist = train(model, opt, cross_entropy, Xt[few], yt[few], config["epochs"], 32, Xtv, ytv,
                         eval_train=False)["history"]
            for e, row in enumerate(hist, 1):
                if e % 5 == 0 or e == 1:
                    recorder.log_epoch(i * 10000 + e, mode=mode, val_acc=row["val_acc"])
            key = mode.replace(" ", "_").replace("-", "_")
            final[f"{key}_val_acc"] = hist[-1]["val_acc"]
            final[f"{key}_trainable"] = count_parameters(model, trainable_only=True)
            recorder.log(f"curve_{key}", [row["val_acc"] for row in hist])
        final["params"] = count_parameters(model)
        final["flops_per_sample"] = count_flops(model, g.tensor(Xtv[:8]))
        return final

    def _rows(self, runs):
        rows = []
        for k in sorted({r.config["shots_per_class"] for r in runs}):
            rs = [r for r in runs if r.config["shots_per_class"] == k]
            for m in MODES:
                key = m.replace(" ", "_").replace("-", "_")
                accs = [r.final[f"{key}_val_acc"] for r in rs]
                rows.append({"examples per class": k, "mode": m, "val accuracy": float(np.mean(accs)),
                             "std": float(np.std(accs)), "seeds": len(rs),
                             "trainable params": rs[0].final[f"{key}_trainable"]})
        return rows

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        rows = self._rows(runs)
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        shots = sorted({r["examples per class"] for r in rows})
        width = 0.8 / len(MODES)
        for i, m in enumerate(MODES):
            rs = {r["examples per class"]: r for r in rows if r["mode"] == m}
            ax[0].bar([j + i * width for j in range(len(shots))], [rs[k]["val accuracy"] for k in shots], width,
                      yerr=[rs[k]["std"] for k in shots], color=f"C{i}", label=m)
        ax[0].set_xticks([j + width for j in range(len(shots))])
        ax[0].set_xticklabels([f"{k} per class" for k in shots])
        ax[0].set_ylabel("validation accuracy on digits 5-9")
        ax[0].legend(fontsize=8)
        k0 = shots[0] if shots else None
        for r in runs:
            if r.config["shots_per_class"] != k0:
                continue
            for i, m in enumerate(MODES):
                curve = r.logs.get(f"curve_{m.replace(' ', '_').replace('-', '_')}", [])
                ax[1].plot(range(1, len(curve) + 1), curve, "-", color=f"C{i}", alpha=0.7,
                           label=m if r is runs[0] else None)
        ax[1].set_xlabel("epoch on the target task")
        ax[1].set_ylabel(f"validation accuracy ({k0} examples per class)")
        ax[1].legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/transfer.png")]

    def table(self, runs):
        return self._rows(runs)

    def verdict(self, runs):
        rows = self._rows(runs)
        if not rows:
            return None, "no runs"
        k = min(r["examples per class"] for r in rows)
        by = {r["mode"]: r["val accuracy"] for r in rows if r["examples per class"] == k}
        s = by["from scratch"]
        best = max(by["frozen features"], by["fine-tuning"])
        return best > s, (f"with {k} labelled example(s) per new class: from scratch {s:.3f}, frozen pretrained "
                          f"features {by['frozen features']:.3f}, fine-tuning {by['fine-tuning']:.3f} validation "
                          f"accuracy")
