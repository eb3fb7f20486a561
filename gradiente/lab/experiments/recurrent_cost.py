"""Parameters and cost of the recurrent cells at equal hidden size: RNN : GRU : LSTM = 1 : 3 : 4 (seed 002 §4.5-§4.7)."""
import time

import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.recurrent_common import COLORS, MODELS
from gradiente.lab.utils import count_flops, count_parameters

INPUT, LENGTH, BATCH = 32, 50, 32


@register
class RecurrentCostExperiment(Experiment):
    name = "recurrent_cost"
    title = "Parameters and time per step: a GRU costs about 3/4 of an LSTM, an Elman RNN 1/4"
    claim = ("At equal hidden size H and input size I a recurrent layer has G (H I + H H + 2 H) parameters, with "
             "G = 1 gate block for the Elman RNN, 3 for the GRU and 4 for the LSTM: the GRU has 3/4 of the LSTM's "
             "parameters and multiply-adds, and its time per step follows.")
    seed_ref = "seed 002 §4.7 (GRU: simpler and cheaper than the LSTM), seed 002 §4.5-§4.6, seed 000 §6"

    def configs(self, quick):
        sizes = (32, 128) if quick else (32, 64, 128, 256)
        return [{"model": m, "hidden": h, "repeats": 3 if quick else 10, "seed": 0} for h in sizes for m in MODELS]

    def run(self, config, recorder):
        H = config["hidden"]
        layer = getattr(g.nn, config["model"])(INPUT, H, batch_first=True)
        x = g.randn(BATCH, LENGTH, INPUT)
        fwd, total = [], []
        for _ in range(config["repeats"] + 1):
            t0 = time.perf_counter()
            out, _ = layer(x)
            t1 = time.perf_counter()
            out.sum().backward()
            t2 = time.perf_counter()
            fwd.append(t1 - t0)
            total.append(t2 - t0)
        fwd, total = fwd[1:], total[1:]  # the first call warms up
        params = count_parameters(layer)
        recorder.log("forward_s", fwd)
        recorder.log("forward_backward_s", total)
        return {"params": params, "flops_per_sample": count_flops(layer, x),
                "forward_ms_per_step": 1e3 * float(np.median(fwd)) / LENGTH,
                "train_ms_per_step": 1e3 * float(np.median(total)) / LENGTH}

    def _get(self, runs, m, h, key):
        for r in runs:
            if r.config["model"] == m and r.config["hidden"] == h:
                return r.final[key]
        return None

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        sizes = sorted({r.config["hidden"] for r in runs})
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for m in MODELS:
            p = [self._get(runs, m, h, "params") for h in sizes]
            t = [self._get(runs, m, h, "train_ms_per_step") for h in sizes]
            ax[0].loglog(sizes, p, "o-", color=COLORS[m], label=m)
            ax[1].loglog(sizes, t, "o-", color=COLORS[m], label=m)
        ax[0].set_ylabel("parameters")
        ax[1].set_ylabel("forward + backward time per time step (ms)")
        ax[1].set_title(f"batch {BATCH}, length {LENGTH}, input {INPUT}", fontsize=10)
        for a in ax:
            a.set_xlabel("hidden size H")
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/recurrent_cost.png")]

    def table(self, runs):
        rows = []
        for h in sorted({r.config["hidden"] for r in runs}):
            lstm_p = self._get(runs, "LSTM", h, "params")
            lstm_t = self._get(runs, "LSTM", h, "train_ms_per_step")
            for m in MODELS:
                p, t = self._get(runs, m, h, "params"), self._get(runs, m, h, "train_ms_per_step")
                if p is None:
                    continue
                rows.append({"model": m, "hidden": h, "params": p,
                             "params / LSTM": p / lstm_p if lstm_p else None,
                             "FLOPs / sample": self._get(runs, m, h, "flops_per_sample"),
                             "train ms / step": t, "time / LSTM": t / lstm_t if lstm_t else None})
        return rows

    def verdict(self, runs):
        rows = [r for r in self.table(runs) if r["params / LSTM"] is not None]
        gru = [r for r in rows if r["model"] == "GRU"]
        rnn = [r for r in rows if r["model"] == "RNN"]
        if not gru or not rnn:
            return None, "runs of all three cells are needed"
        pg = float(np.mean([r["params / LSTM"] for r in gru]))
        pr = float(np.mean([r["params / LSTM"] for r in rnn]))
        tg = float(np.median([r["time / LSTM"] for r in gru]))
        tr = float(np.median([r["time / LSTM"] for r in rnn]))
        ok = abs(pg - 0.75) < 1e-9 and abs(pr - 0.25) < 1e-9 and tr < tg < 1.25
        return ok, (f"parameters relative to the LSTM: GRU {pg:.3f}, RNN {pr:.3f} (exactly 3/4 and 1/4); "
                    f"median time per step relative to the LSTM: GRU {tg:.2f}, RNN {tr:.2f}")
