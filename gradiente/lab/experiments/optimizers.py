"""Optimizers: SGD, momentum, Nesterov, Adagrad, Adadelta, RMSprop and Adam on digits and on Rosenbrock (seed 002 §3.7)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train

# (optimizer class, keyword arguments on the digits MLP, keyword arguments on the 2-D surface)
SETTINGS = {
    "sgd": ("SGD", {"lr": 0.05}, {"lr": 1e-3}),
    "momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 1e-3, "momentum": 0.9}),
    "nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {"lr": 0.01}, {"lr": 0.5}),
    "adadelta": ("Adadelta", {"lr": 1.0}, {"lr": 1.0}),
    "rmsprop": ("RMSprop", {"lr": 1e-3}, {"lr": 0.01}),
    "adam": ("Adam", {"lr": 1e-3}, {"lr": 0.05}),
}
START = (-1.5, 2.0)


def rosenbrock(p):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: a curved valley with its minimum at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def make(name, params, which):
    cls, digits_kw, surface_kw = SETTINGS[name]
    return getattr(g.optim, cls)(params, **(digits_kw if which == "digits" else surface_kw))


@register
class OptimizersExperiment(Experiment):
    name = "optimizers"
    title = "Momentum and adaptive optimizers converge faster than plain gradient descent"
    claim = ("With the same budget of steps, momentum, Nesterov and Adam reach a lower loss than plain "
             "(stochastic) gradient descent, on a real task and along the curved valley of a 2-D loss surface.")
    seed_ref = "seed 002 §3.7 (optimizers), seed 003 (SGD with momentum)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"optimizer": o, "epochs": 5 if quick else 30, "steps_2d": 1000 if quick else 3000, "seed": s}
                for o in SETTINGS for s in seeds]

    def run(self, config, recorder):
        # the 2-D loss surface path
        p = g.tensor(np.array(START, dtype=np.float64), requires_grad=True)
        opt = make(config["optimizer"], [p], "surface")
        path = [p.data.tolist()]
        values = []
        for _ in range(config["steps_2d"]):
            loss = rosenbrock(p)
            values.append(float(loss.item()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if not np.all(np.isfinite(p.data)):
                break
            path.append(p.data.tolist())
        recorder.log("path_2d", path)
        recorder.log("loss_2d", values)
        # the real task: a one-hidden-layer MLP on the digits
        Xtr, ytr, Xv, yv = load_digits_data()
        model = MLP(64, [64], 10, act="relu")
        opt = make(config["optimizer"], model.parameters(), "digits")
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder)
        last = out["history"][-1]
        final_xy = path[-1]
        return {"train_loss": last["train_loss"], "val_acc": last.get("val_acc"),
                "rosenbrock_final": float(rosenbrock(np.array(final_xy))) if np.all(np.isfinite(final_xy)) else float("inf"),
                "distance_to_min": float(np.hypot(final_xy[0] - 1, final_xy[1] - 1)),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        names = list(SETTINGS)
        first = {}
        for r in runs:
            first.setdefault(r.config["optimizer"], r)
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
        u = np.linspace(-2, 2, 200)
        v = np.linspace(-1, 3, 200)
        A, B = np.meshgrid(u, v)
        ax[0].contour(A, B, np.log10(rosenbrock(np.stack([A, B]))), levels=20, cmap="Greys", linewidths=0.6)
        ax[0].plot(1, 1, "k*", ms=12)
        for name, r in first.items():
            path = np.array(r.logs["path_2d"])
            ax[0].plot(path[:, 0], path[:, 1], "-", color=f"C{names.index(name)}", lw=1.4, label=name)
        ax[0].set_xlim(-2, 2)
        ax[0].set_ylim(-1, 3)
        ax[0].set_title("paths on the Rosenbrock surface from (-1.5, 2); minimum at (1, 1)", fontsize=10)
        ax[0].legend(fontsize=8)
        for name, r in first.items():
            xs, ys = r.curve("train_loss")
            ax[1].semilogy(xs, ys, "o-", color=f"C{names.index(name)}", label=name)
        ax[1].set_xlabel("epoch")
        ax[1].set_ylabel("training loss (digits MLP)")
        ax[1].legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/optimizers.png")]

    def table(self, runs):
        rows = []
        for name in SETTINGS:
            rs = [r for r in runs if r.config["optimizer"] == name]
            if rs:
                rows.append({"optimizer": name,
                             "final train loss": float(np.mean([r.final["train_loss"] for r in rs])),
                             "val accuracy": float(np.mean([r.final["val_acc"] for r in rs])),
                             "Rosenbrock f at end": float(np.mean([r.final["rosenbrock_final"] for r in rs])),
                             "distance to (1,1)": float(np.mean([r.final["distance_to_min"] for r in rs]))})
        return rows

    def verdict(self, runs):
        by = {r["optimizer"]: r for r in self.table(runs)}
        need = {"sgd", "momentum", "adam"}
        if not need <= set(by):
            return None, "the sgd, momentum and adam runs are needed to decide"
        sgd = by["sgd"]["final train loss"]
        faster = [n for n in ("momentum", "nesterov", "adam") if n in by and by[n]["final train loss"] < sgd]
        surf = [n for n in ("momentum", "nesterov", "adam")
                if n in by and by[n]["Rosenbrock f at end"] < by["sgd"]["Rosenbrock f at end"]]
        ok = {"momentum", "adam"} <= set(faster)
        return ok, (f"after the same number of epochs plain SGD's training loss is {sgd:.3g}; "
                    + ", ".join(f"{n} {by[n]['final train loss']:.3g}" for n in by if n != "sgd")
                    + f"; on Rosenbrock {', '.join(surf) or 'none'} end lower than SGD")
