"""Initialisation in a deep net: zeros, small random, Xavier, Kaiming; activation statistics by layer (seed 002 §3.9)."""

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

INITS = ("zeros", "small random", "xavier", "kaiming")
# each initialisation is tried with the activation it was designed for and with the other one
ACTS = ("tanh", "relu")


def initialise(model, scheme, act):
    with g.no_grad():
        for lin in model.linears():
            if scheme == "zeros":
                g.nn.init.zeros_(lin.weight)
            elif scheme == "small random":
                g.nn.init.normal_(lin.weight, 0.0, 0.01)
            elif scheme == "xavier":
                g.nn.init.xavier_normal_(lin.weight, gain=g.nn.init.calculate_gain(act))
            elif scheme == "kaiming":
                g.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu" if act == "relu" else "tanh")
            else:
                raise ValueError(f"unknown initialisation {scheme!r}")
            g.nn.init.zeros_(lin.bias)


@register
class InitializationExperiment(Experiment):
    name = "initialization"
    title = "Xavier and Kaiming initialisation keep a deep net's activations alive"
    claim = ("With weights drawn with variance 2/(fan_in + fan_out) (Xavier, for tanh) or 2/fan_in (Kaiming, "
             "for ReLU) the activations keep their scale through many layers; all-zero weights make every unit "
             "identical (symmetry is never broken) and small random weights make the signal vanish with depth.")
    seed_ref = "seed 002 §3.9 (initialisation: Xavier/Glorot, He/Kaiming)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"init": i, "activation": a, "depth": 12, "width": 64, "epochs": 4 if quick else 20, "seed": s}
                for a in ACTS for i in INITS for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [config["width"]] * config["depth"], 10, act=config["activation"])
        initialise(model, config["init"], config["activation"])
        model.record = True
        with g.no_grad():
            model(g.tensor(Xv))
        model.record = False
        stds = [float(a.std()) for a in model.activations]
        recorder.log("act_std_init", stds)
        opt = g.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        w = model.blocks[1].linear.weight.data
        distinct = int(np.unique(np.round(w, 6), axis=0).shape[0])  # distinct rows: 1 means symmetric units
        return {"val_acc": last.get("val_acc", 0.0), "train_loss": last["train_loss"],
                "act_std_first": stds[0], "act_std_last": stds[-1], "distinct_units_layer2": distinct,
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
        seen = set()
        for r in runs:
            key = (r.config["activation"], r.config["init"])
            if key in seen:
                continue
            seen.add(key)
            a = ax[ACTS.index(r.config["activation"])]
            stds = np.maximum(np.array(r.logs["act_std_init"]), 1e-12)
            a.semilogy(range(1, len(stds) + 1), stds, "o-", color=f"C{INITS.index(r.config['init'])}",
                       label=f"{r.config['init']} (val acc {r.final['val_acc']:.2f})")
        for a, act in zip(ax, ACTS):
            a.set_title(f"{act}: activation std per layer at initialisation", fontsize=10)
            a.set_xlabel("hidden layer")
            a.set_ylabel("std (zeros shown at 1e-12)")
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/initialization.png")]

    def table(self, runs):
        rows = []
        for a in ACTS:
            for i in INITS:
                rs = [r for r in runs if r.config["activation"] == a and r.config["init"] == i]
                if rs:
                    rows.append({"activation": a, "init": i,
                                 "act std layer 1": float(np.mean([r.final["act_std_first"] for r in rs])),
                                 "act std last layer": float(np.mean([r.final["act_std_last"] for r in rs])),
                                 "distinct units (layer 2)": int(np.min([r.final["distinct_units_layer2"] for r in rs])),
                                 "val accuracy": float(np.mean([r.final["val_acc"] for r in rs]))})
        return rows

    def verdict(self, runs):
        by = {(r["activation"], r["init"]): r for r in self.table(runs)}
        need = [("tanh", "xavier"), ("relu", "kaiming"), ("relu", "small random"), ("relu", "zeros")]
        if not all(k in by for k in need):
            return None, "the xavier/tanh, kaiming/relu, small random and zeros runs are needed to decide"
        alive = all(by[k]["act std last layer"] > 0.1 * by[k]["act std layer 1"] for k in need[:2])
        small = by[("relu", "small random")]
        vanish = small["act std last layer"] < 1e-3 * max(small["act std layer 1"], 1e-30)
        zeros = by[("relu", "zeros")]
        stuck = zeros["distinct units (layer 2)"] <= 1
        ok = alive and vanish and stuck
        return ok, (f"last-layer activation std: Xavier/tanh {by[need[0]]['act std last layer']:.3g}, Kaiming/ReLU "
                    f"{by[need[1]]['act std last layer']:.3g}, small random/ReLU {small['act std last layer']:.1e}; "
                    f"all-zero weights leave {zeros['distinct units (layer 2)']} distinct unit(s) per layer and "
                    f"{zeros['val accuracy']:.2f} accuracy vs {by[need[1]]['val accuracy']:.2f} for Kaiming")
