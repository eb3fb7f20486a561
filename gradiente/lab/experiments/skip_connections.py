"""Skip connections: a deep plain MLP against the same depth with residual connections (seed 002 §2.7)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, grad_norms, load_digits_data, train

KINDS = ("plain", "residual")


@register
class SkipConnectionsExperiment(Experiment):
    name = "skip_connections"
    title = "Skip connections let depth train"
    claim = ("A plain 30-layer MLP hardly trains: the gradient reaching its first layers is tiny. Adding the "
             "input of each block to its output (a = f(z) + a_prev) gives the gradient a direct path, and the "
             "same depth trains.")
    seed_ref = "seed 002 §2.9 (skip / residual connections), seed 002 §4.4 (ResNet)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"kind": k, "depth": 30, "width": 64, "epochs": 5 if quick else 30, "seed": s}
                for k in KINDS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [config["width"]] * config["depth"], 10, act="relu",
                    residual=config["kind"] == "residual")
        model.zero_grad()
        cross_entropy(model(g.tensor(Xtr[:256])), g.tensor(ytr[:256])).backward()
        gn = grad_norms(model)
        recorder.log("grad_norm_init", gn)
        model.zero_grad()
        opt = g.optim.Adam(model.parameters(), lr=1e-3)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        return {"train_loss": last["train_loss"], "val_acc": last.get("val_acc", 0.0),
                "grad_ratio_first_last": gn[0] / max(gn[-1], 1e-30),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        shown = set()
        for r in runs:
            k = r.config["kind"]
            c = f"C{KINDS.index(k)}"
            xs, ys = r.curve("train_loss")
            ax[0].semilogy(xs, ys, "o-", color=c, label=None if k in shown else k)
            if k not in shown:
                gn = np.maximum(r.logs["grad_norm_init"], 1e-30)
                ax[1].semilogy(range(1, len(gn) + 1), gn, "o-", color=c, label=k)
            shown.add(k)
        ax[0].set_xlabel("epoch")
        ax[0].set_ylabel("training loss")
        ax[1].set_xlabel("layer (input to output)")
        ax[1].set_ylabel("||dL/dW|| at initialisation")
        for a in ax:
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/skip_connections.png")]

    def table(self, runs):
        rows = []
        for k in KINDS:
            rs = [r for r in runs if r.config["kind"] == k]
            if rs:
                rows.append({"network": k, "depth": rs[0].config["depth"],
                             "grad norm layer 1 / last (init)": float(np.mean([r.final["grad_ratio_first_last"] for r in rs])),
                             "final train loss": float(np.mean([r.final["train_loss"] for r in rs])),
                             "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
                             "params": rs[0].final["params"]})
        return rows

    def verdict(self, runs):
        by = {r["network"]: r for r in self.table(runs)}
        if set(by) != set(KINDS):
            return None, "both the plain and the residual runs are needed to decide"
        p, s = by["plain"], by["residual"]
        ok = s["val accuracy"] > p["val accuracy"] + 0.1
        return ok, (f"at depth {p['depth']} the plain MLP reaches {p['val accuracy']:.2f} validation accuracy and the "
                    f"residual one {s['val accuracy']:.2f}; the first layer's gradient is "
                    f"{p['grad norm layer 1 / last (init)']:.1e} of the last layer's without skips and "
                    f"{s['grad norm layer 1 / last (init)']:.1e} with them")
