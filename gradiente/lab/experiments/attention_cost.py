"""Cost and parallelism: an LSTM is linear in length and sequential; attention is quadratic but parallel (seed 001, seed 000 §8)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.attention_common import SequenceLSTM, SequenceTransformer, median_step_time
from gradiente.lab.utils import count_flops, count_parameters
from gradiente.nn import functional as F

D = 64


def build(kind, length):
    if kind == "lstm":
        return SequenceLSTM(D, 10, hidden_size=D)
    return SequenceTransformer(D, 10, d_model=D, nhead=4, num_layers=1, dim_feedforward=2 * D, max_len=length)


@register
class AttentionCostExperiment(Experiment):
    name = "attention_cost"
    title = "Cost and parallelism: an LSTM takes T sequential steps, attention one step of T^2 work"
    claim = ("For a sequence of length T an LSTM must run T dependent steps (cost linear in T, nothing to "
             "parallelise across time), while a Transformer encoder layer does its work in one parallel step "
             "whose attention cost grows as T^2: its FLOPs grow faster than linearly, and on a CPU (no parallel "
             "hardware to exploit) its step time grows at least as fast as the LSTM's. The crossover length "
             "is reported.")
    seed_ref = "seed 001 (differences: sequential vs parallel), seed 000 §8 (comparison table), seed 002 §4.8"

    def configs(self, quick):
        # quick mode still reaches T = 512, where the T^2 attention work outweighs the T-linear layers
        lengths = [16, 128, 512] if quick else [16, 32, 64, 128, 256, 512]
        return [{"model": m, "length": L, "batch": 16, "steps": 3 if quick else 5, "seed": 0}
                for L in lengths for m in ("lstm", "transformer")]

    def run(self, config, recorder):
        g.manual_seed(config["seed"])
        L, B = config["length"], config["batch"]
        model = build(config["model"], L)
        x = g.randn(B, L, D)
        y = g.tensor(np.arange(B) % 10)
        t = median_step_time(model, x, y, F.cross_entropy, steps=config["steps"])
        seq_steps = L if config["model"] == "lstm" else 1
        return {"step_time_ms": 1e3 * t, "sequential_steps": seq_steps, "params": count_parameters(model),
                "flops_per_sample": count_flops(model, x)}

    def _series(self, runs, kind, key):
        rs = sorted((r for r in runs if r.config["model"] == kind), key=lambda r: r.config["length"])
        return [r.config["length"] for r in rs], [r.final[key] for r in rs]

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for kind, c in (("lstm", "C0"), ("transformer", "C1")):
            xs, ys = self._series(runs, kind, "step_time_ms")
            axes[0].loglog(xs, ys, "o-", color=c, label=kind)
            xs, ys = self._series(runs, kind, "sequential_steps")
            axes[1].loglog(xs, ys, "o-", color=c, label=kind)
        axes[0].set_xlabel("sequence length T")
        axes[0].set_ylabel("training step time (ms)")
        axes[0].set_title("time per step (batch 16, d=64)")
        axes[1].set_xlabel("sequence length T")
        axes[1].set_ylabel("dependent (sequential) steps")
        axes[1].set_title("steps that cannot run in parallel")
        for ax in axes:
            ax.legend()
        return [save_figure(fig, f"{fig_dir}/attention_cost.png")]

    def table(self, runs):
        rows = []
        for r in sorted(runs, key=lambda r: (r.config["length"], r.config["model"])):
            rows.append({"T": r.config["length"], "model": r.config["model"],
                         "step ms": round(r.final["step_time_ms"], 2), "sequential steps": r.final["sequential_steps"],
                         "params": r.final["params"], "FLOPs/sample": r.final["flops_per_sample"]})
        return rows

    def verdict(self, runs):
        lx, ly = self._series(runs, "lstm", "step_time_ms")
        tx, ty = self._series(runs, "transformer", "step_time_ms")
        if len(lx) < 2 or lx != tx:
            return None, "both models at two or more lengths are needed"
        slope_l = np.polyfit(np.log(lx[-2:]), np.log(ly[-2:]), 1)[0]
        slope_t = np.polyfit(np.log(tx[-2:]), np.log(ty[-2:]), 1)[0]
        _, fx = self._series(runs, "transformer", "flops_per_sample")
        _, fl = self._series(runs, "lstm", "flops_per_sample")
        flop_slope_t = np.polyfit(np.log(tx[-2:]), np.log(fx[-2:]), 1)[0]
        slower = [b > a for a, b in zip(ly, ty)]
        # the crossover: from this length on, the Transformer step stays slower than the LSTM's
        cross = next((L for i, L in enumerate(lx) if all(slower[i:])), None)
        where = f"the Transformer step is slower than the LSTM's from T = {cross} on" if cross else \
            f"the Transformer step stays faster up to T = {lx[-1]} (no crossover in this range)"
        ok = bool(flop_slope_t > 1.05 and slope_t >= slope_l - 0.1)
        return ok, (f"over the last lengths the step time grows as T^{slope_l:.2f} for the LSTM (T sequential "
                    f"steps) and T^{slope_t:.2f} for the Transformer (one parallel step; its FLOPs grow as "
                    f"T^{flop_slope_t:.2f}); {where}")
