"""The vanishing gradient through time: Elman RNN vs LSTM vs GRU on the adding problem (seed 000 §6, seed 002 §4.5)."""
import numpy as np

from gradiente.data.datasets.sequences import adding_problem
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.recurrent_common import COLORS, MODELS, hidden_grad_norms, train_steps
from gradiente.lab.utils import count_flops, count_parameters
from gradiente.models.rnn import adding_model

BASELINE = 1.0 / 6.0  # MSE of always answering 1, the mean of the target


def _mse(out, y):
    return ((out - y) ** 2).mean()


@register
class RecurrentVanishingExperiment(Experiment):
    name = "recurrent_vanishing"
    title = "Vanishing gradient through time: the Elman RNN forgets, LSTM and GRU remember"
    claim = ("On the adding problem the answer depends on two inputs far apart in time. The Elman RNN's "
             "gradient dL/dh_t shrinks geometrically as it travels back, so for long sequences it stays at the "
             "baseline MSE of 1/6; the LSTM and GRU, whose states are updated additively through gates, learn to "
             "carry the gradient back (at PyTorch's initialisation their gradient vanishes too: the forget and "
             "update gates start near 1/2) and solve the task (MSE below 0.01 at T = 100).")
    seed_ref = "seed 000 §6 (RNN simple, gradiente desvanecedor; LSTM), seed 002 §4.5-§4.7"

    def configs(self, quick):
        if quick:
            return [{"model": m, "T": T, "steps": 120, "hidden": 32, "batch": 32, "lr": 3e-3, "seed": 0}
                    for T in (10, 30) for m in MODELS]
        # T = 100 first: the figure the claim is about
        return [{"model": m, "T": T, "steps": 3000 if T >= 100 else 1500, "hidden": 64, "batch": 64,
                 "lr": 3e-3, "seed": 0}
                for T in (100, 10, 50, 200) for m in MODELS]

    def run(self, config, recorder):
        T, B = config["T"], config["batch"]
        net = adding_model(config["model"], config["hidden"])
        data_rng = np.random.default_rng(1000 + config["seed"])
        Xte, yte = adding_problem(1000, T, random_state=12345)
        Xg, yg = adding_problem(256, T, random_state=999)
        recorder.log("grad_h_init", hidden_grad_norms(net, Xg, yg, _mse))

        def batch(step):
            return adding_problem(B, T, random_state=data_rng)

        def evaluate(m):
            return {"test_mse": float(_mse(m(Xte), yte).item())}

        metrics, elapsed = train_steps(net, _mse, batch, config["steps"], config["lr"], recorder, evaluate)
        gt = hidden_grad_norms(net, Xg, yg, _mse)
        recorder.log("grad_h_trained", gt)
        g0 = recorder.logs["grad_h_init"]
        return {"test_mse": metrics["test_mse"], "baseline_mse": BASELINE,
                "grad_first_over_last_init": g0[0] / max(g0[-1], 1e-30),
                "grad_first_over_last_trained": gt[0] / max(gt[-1], 1e-30),
                "train_time_s": elapsed, "params": count_parameters(net),
                "flops_per_sample": count_flops(net, Xte[:4])}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        Ts = sorted({r.config["T"] for r in runs})
        for m in MODELS:
            rs = sorted((r for r in runs if r.config["model"] == m), key=lambda r: r.config["T"])
            if rs:
                ax[0].plot([r.config["T"] for r in rs], [r.final["test_mse"] for r in rs], "o-",
                           color=COLORS[m], label=m)
        ax[0].axhline(BASELINE, ls="--", color="k", lw=1, label="always 1 (1/6)")
        ax[0].axhline(0.01, ls=":", color="grey", lw=1, label="0.01")
        ax[0].set_yscale("log")
        ax[0].set_xlabel("sequence length T")
        ax[0].set_ylabel("test MSE")
        ax[0].set_title("adding problem: final test MSE", fontsize=10)
        Tshow = 100 if 100 in Ts else Ts[-1]
        for i, key in ((1, "grad_h_init"), (2, "grad_h_trained")):
            for m in MODELS:
                for r in runs:
                    if r.config["model"] == m and r.config["T"] == Tshow and key in r.logs:
                        v = np.asarray(r.logs[key])
                        ax[i].semilogy(np.arange(1, len(v) + 1), v / v[-1], color=COLORS[m], label=m)
            ax[i].set_xlabel("time step t")
            ax[i].set_ylabel("||dL/dh_t|| / ||dL/dh_T||")
            ax[i].set_title(f"gradient reaching h_t, T = {Tshow} ({'at init' if i == 1 else 'trained'})", fontsize=10)
        for a in ax:
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/recurrent_vanishing.png")]

    def table(self, runs):
        rows = []
        for r in sorted(runs, key=lambda r: (r.config["T"], MODELS.index(r.config["model"]))):
            rows.append({"model": r.config["model"], "T": r.config["T"], "steps": r.config["steps"],
                         "test MSE": r.final["test_mse"],
                         "||dL/dh_1|| / ||dL/dh_T|| (init)": r.final["grad_first_over_last_init"],
                         "||dL/dh_1|| / ||dL/dh_T|| (trained)": r.final["grad_first_over_last_trained"],
                         "params": r.final["params"], "train time (s)": r.final["train_time_s"]})
        return rows

    def verdict(self, runs):
        Tmax = max(r.config["T"] for r in runs)
        T = 100 if any(r.config["T"] == 100 for r in runs) else Tmax
        by = {r.config["model"]: r for r in runs if r.config["T"] == T}
        if set(by) != set(MODELS):
            return None, f"runs of all three models at T = {T} are needed"
        rnn, lstm, gru = (by[m].final["test_mse"] for m in MODELS)
        decay = {m: by[m].final["grad_first_over_last_init"] for m in MODELS}
        kept = {m: by[m].final["grad_first_over_last_trained"] for m in MODELS}
        gated_solve = lstm < 0.01 and gru < 0.01
        rnn_fails = rnn > 0.5 * BASELINE
        text = (f"at T = {T} the test MSE is {rnn:.4f} for the Elman RNN (baseline {BASELINE:.3f}), {lstm:.4f} "
                f"for the LSTM and {gru:.4f} for the GRU; at initialisation ||dL/dh_1|| / ||dL/dh_T|| is "
                f"{decay['RNN']:.1e} (RNN), {decay['LSTM']:.1e} (LSTM), {decay['GRU']:.1e} (GRU), after training "
                f"{kept['RNN']:.1e}, {kept['LSTM']:.1e} and {kept['GRU']:.1e}")
        if T < 100:
            return None, text + " (quick runs: too short to decide the T = 100 claim)"
        carried = min(kept["LSTM"], kept["GRU"]) > 1e3 * kept["RNN"]
        return gated_solve and rnn_fails and carried, text
