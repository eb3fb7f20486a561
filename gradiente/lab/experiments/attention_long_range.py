"""Long-range dependencies: the adding problem at growing T, LSTM vs Transformer (seed 001, seed 000 §7-§8)."""
import time

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.attention_common import SequenceLSTM, SequenceTransformer
from gradiente.lab.utils import count_parameters
from gradiente.nn import functional as F

BASELINE_MSE = 1.0 / 6.0  # predicting the mean 1.0 for a sum of two U(0, 1) values


def adding_batch(rng, n, T):
    """The adding problem: values in U(0, 1) and two markers, one in the first tenth of the sequence.

    The target is the sum of the two marked values, so the answer depends on a
    token about T steps back from the end.
    """
    x = np.zeros((n, T, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, T), dtype=np.float32)
    first = rng.integers(0, max(1, T // 10), n)
    second = rng.integers(T // 2, T, n)
    rows = np.arange(n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None]
    return x, y


def build(kind, T):
    if kind == "lstm":
        return SequenceLSTM(2, 1, hidden_size=64)
    return SequenceTransformer(2, 1, d_model=64, nhead=4, num_layers=2, dim_feedforward=128, max_len=T)


@register
class LongRangeExperiment(Experiment):
    name = "attention_long_range"
    title = "Long-range dependencies: attention reaches a token T steps back in one hop, an LSTM must carry it"
    claim = ("In the adding problem the answer depends on a value marked near the start of the sequence. "
             "Self-attention connects any two positions directly, so a Transformer solves it at every length "
             "tried with the same training budget, while the LSTM, which must carry the value through T "
             "state updates (and gradients back through T steps), stays closer to the trivial baseline as T grows.")
    seed_ref = "seed 001 (long-range dependencies: recurrence vs attention), seed 000 §6-§8, seed 002 §4.7"

    def configs(self, quick):
        lengths = [40] if quick else [25, 50, 100, 200]
        steps, batch = (400, 32) if quick else (1500, 64)
        return [{"model": m, "T": T, "steps": steps, "batch": batch, "seed": 0}
                for T in lengths for m in ("lstm", "transformer")]

    def run(self, config, recorder):
        g.manual_seed(config["seed"])
        T, steps = config["T"], config["steps"]
        rng = np.random.default_rng(config["seed"])
        xte, yte = adding_batch(np.random.default_rng(1000), 512, T)
        model = build(config["model"], T)
        opt = g.optim.Adam(model.parameters(), lr=1e-3)
        t0 = time.perf_counter()
        every = max(1, steps // 15)
        for step in range(1, steps + 1):
            x, y = adding_batch(rng, config["batch"], T)
            loss = F.mse_loss(model(g.tensor(x)), g.tensor(y))
            opt.zero_grad()
            loss.backward()
            g.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step % every == 0 or step == steps:
                with g.no_grad():
                    model.eval()
                    mse = float(F.mse_loss(model(g.tensor(xte)), g.tensor(yte)).item())
                    model.train()
                recorder.log_epoch(step, train_loss=float(loss.item()), test_mse=mse)
        return {"test_mse": mse, "baseline_mse": BASELINE_MSE, "params": count_parameters(model),
                "train_time_s": time.perf_counter() - t0}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        Ts = sorted({r.config["T"] for r in runs})
        for kind, c in (("lstm", "C0"), ("transformer", "C1")):
            rs = sorted((r for r in runs if r.config["model"] == kind), key=lambda r: r.config["T"])
            axes[0].plot([r.config["T"] for r in rs], [r.final["test_mse"] for r in rs], "o-", color=c, label=kind)
            for r in rs:
                xs, ys = r.curve("test_mse")
                axes[1].semilogy(xs, ys, color=c, alpha=0.4 + 0.6 * Ts.index(r.config["T"]) / max(1, len(Ts) - 1),
                                 label=f"{kind} T={r.config['T']}")
        for ax in axes:
            ax.axhline(BASELINE_MSE, color="k", ls="--", lw=0.8)
        axes[0].set_xlabel("sequence length T")
        axes[0].set_ylabel("test MSE after training")
        axes[0].legend()
        axes[1].set_xlabel("training step")
        axes[1].set_ylabel("test MSE")
        axes[1].legend(fontsize=6)
        return [save_figure(fig, f"{fig_dir}/attention_long_range.png")]

    def table(self, runs):
        return [{"T": r.config["T"], "model": r.config["model"], "steps": r.config["steps"],
                 "test MSE": float(f"{r.final['test_mse']:.3g}"), "baseline MSE": round(BASELINE_MSE, 4),
                 "params": r.final["params"], "train s": round(r.final["train_time_s"], 1)}
                for r in sorted(runs, key=lambda r: (r.config["T"], r.config["model"]))]

    def verdict(self, runs):
        Tmax = max((r.config["T"] for r in runs), default=None)
        at = {r.config["model"]: r.final["test_mse"] for r in runs if r.config["T"] == Tmax}
        if len(at) < 2:
            return None, "both models are needed"
        tr = [r.final["test_mse"] for r in runs if r.config["model"] == "transformer"]
        ok = bool(max(tr) < 0.1 * BASELINE_MSE and at["transformer"] < at["lstm"])
        return ok, (f"at T = {Tmax} the test MSE is {at['transformer']:.4f} for the Transformer and "
                    f"{at['lstm']:.4f} for the LSTM (baseline {BASELINE_MSE:.3f}); the Transformer's worst over "
                    f"all lengths is {max(tr):.4f}")
