"""A character-level language model: loss curve and samples at several temperatures (seed 001, seed 002 §4.6)."""
import math
import re

import numpy as np

from gradiente.lab import Experiment, register
from gradiente.lab.experiments.recurrent_common import COLORS
from gradiente.lab.utils import count_parameters
from gradiente.models.charlm import evaluate_char_lm, from_text, train_char_lm

TEMPERATURES = (0.5, 1.0, 1.5)
PRIME = "La red "


def unigram_entropy(ids):
    """Cross-entropy (nats per character) of the best model that ignores the past: the character frequencies."""
    p = np.bincount(ids) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def word_validity(sample, vocabulary):
    """Fraction of the sampled words (letters only) that occur in the training text."""
    words = re.findall(r"[^\W\d_]+", sample.lower())
    return sum(w in vocabulary for w in words) / max(len(words), 1)


@register
class RecurrentCharLMExperiment(Experiment):
    name = "recurrent_charlm"
    title = "An autoregressive character model learns the text; temperature trades safety for variety"
    claim = ("A recurrent language model trained to predict the next character (x_t ~ P(x_t | x_<t), seed 001) "
             "drives its cross-entropy well below that of the character frequencies alone, because its state "
             "remembers the prefix. Sampling with a low temperature gives text made of real words; raising the "
             "temperature gives more varied and more wrong text.")
    seed_ref = "seed 001 (modelos autorregresivos), seed 002 §4.6 (LSTM), seed 002 §4.5"

    def configs(self, quick):
        if quick:
            return [{"model": "LSTM", "hidden": 48, "epochs": 6, "seq_len": 48, "batch": 16, "seed": 0}]
        # the default corpus is short (about 3,000 characters): past ~40 epochs the models overfit it
        return [{"model": m, "hidden": 128, "epochs": 40, "seq_len": 64, "batch": 16, "seed": 0}
                for m in ("RNN", "LSTM", "GRU")]

    def run(self, config, recorder):
        model, vocab, ids = from_text(hidden_size=config["hidden"], kind=config["model"])
        n = int(0.9 * len(ids))
        train_ids, val_ids = ids[:n], ids[n:]
        hist = train_char_lm(model, train_ids, epochs=config["epochs"], seq_len=config["seq_len"],
                             batch_size=config["batch"], lr=3e-3, recorder=recorder, val_ids=val_ids)
        text_words = set(re.findall(r"[^\W\d_]+", vocab.decode(ids).lower()))
        samples, validity = {}, {}
        for T in TEMPERATURES:
            s = model.sample(vocab, PRIME, length=300, temperature=T)
            samples[str(T)] = s
            validity[str(T)] = word_validity(s[len(PRIME):], text_words)
        recorder.log("samples", samples)
        recorder.log("word_validity", validity)
        return {"val_loss": evaluate_char_lm(model, val_ids), "train_loss": hist[-1]["train_loss"],
                "best_val_loss": float(min(r["val_loss"] for r in hist)),
                "unigram_loss": unigram_entropy(train_ids), "val_bpc": hist[-1]["val_loss"] / math.log(2),
                "params": count_parameters(model),
                "train_time_s": float(sum(r["time_s"] for r in hist))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for r in runs:
            c = COLORS.get(r.config["model"], "C0")
            for key, ls in (("train_loss", "-"), ("val_loss", "--")):
                xs, ys = r.curve(key)
                ax[0].plot(xs, ys, ls, color=c, label=f"{r.config['model']} {key.split('_')[0]}")
            v = r.logs.get("word_validity", {})
            ax[1].plot([float(t) for t in v], list(v.values()), "o-", color=c, label=r.config["model"])
        if runs:
            ax[0].axhline(runs[0].final["unigram_loss"], color="k", ls=":", lw=1, label="character frequencies")
        ax[0].set_xlabel("epoch")
        ax[0].set_ylabel("cross-entropy (nats / character)")
        ax[0].set_title("next-character loss", fontsize=10)
        ax[1].set_xlabel("sampling temperature")
        ax[1].set_ylabel("sampled words found in the text")
        ax[1].set_ylim(0, 1)
        for a in ax:
            a.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/recurrent_charlm.png")]

    def table(self, runs):
        rows = []
        for r in runs:
            row = {"model": r.config["model"], "params": r.final["params"], "val loss": r.final["val_loss"],
                   "best val loss": r.final.get("best_val_loss"),
                   "unigram loss": r.final["unigram_loss"], "val bits/char": r.final["val_bpc"]}
            for t, s in r.logs.get("samples", {}).items():
                row[f"sample T={t}"] = s[:120].replace("\n", " ")
            rows.append(row)
        return rows

    def verdict(self, runs):
        best = min(runs, key=lambda r: r.final["best_val_loss"])
        v = best.logs.get("word_validity", {})
        vals = [v[str(t)] for t in TEMPERATURES if str(t) in v]
        learns = best.final["best_val_loss"] < 0.8 * best.final["unigram_loss"]
        monotone = len(vals) == len(TEMPERATURES) and vals[0] > vals[-1]
        text = (f"best model {best.config['model']}: validation loss {best.final['best_val_loss']:.3f} nats/char "
                f"(best epoch; {best.final['val_loss']:.3f} at the end) against "
                f"{best.final['unigram_loss']:.3f} for the character frequencies; sampled words found in the text: "
                + ", ".join(f"{x:.0%} at T={t}" for t, x in zip(TEMPERATURES, vals)))
        if best.config["epochs"] < 20:
            return None, text + " (quick run: too short to decide)"
        return learns and monotone, text
