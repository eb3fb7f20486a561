"""Shared pieces of the attention-family experiments: small sequence models and the translation task."""
import time

import numpy as np

import gradiente as g
from gradiente import nn
from gradiente.nn import functional as F


class SequenceTransformer(nn.Module):
    """(N, T, features) -> linear embedding + learned positions -> pre-norm encoder -> mean over T -> linear.

    The attention counterpart of :class:`SequenceLSTM` (seed 002 §4.8).
    """

    def __init__(self, in_features, out_features, d_model=64, nhead=4, num_layers=2, dim_feedforward=128,
                 max_len=1024, pool="mean"):
        super().__init__()
        self.embed = nn.Linear(in_features, d_model)
        self.pos = nn.LearnedPositionalEmbedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, out_features)
        self.pool = pool

    def forward(self, x):
        if x.ndim == 2:
            x = x.unsqueeze(-1)
        h = self.encoder(self.pos(self.embed(x)))
        return self.head(h.mean(dim=1) if self.pool == "mean" else h[:, -1])


class SequenceLSTM(nn.Module):
    """(N, T, features) -> LSTM (or GRU) -> last hidden state -> linear (seed 002 §4.6-§4.7)."""

    def __init__(self, in_features, out_features, hidden_size=64, num_layers=1, cell="LSTM"):
        super().__init__()
        self.rnn = getattr(nn, cell)(in_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, out_features)

    def forward(self, x):
        if x.ndim == 2:
            x = x.unsqueeze(-1)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def median_step_time(model, x, y, loss_fn, steps=3):
    """Median wall time of one training step (forward, backward, Adam update), after one warm-up step."""
    opt = g.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


# ---------------------------------------------------------------------------- translation
def train_translation(config, recorder=None):
    """Train the digits -> Spanish words Transformer (seed 002 §4.8) with teacher forcing.

    Returns (model, data, metrics) with greedy and beam-search exact match on the held-out numbers.
    """
    from gradiente.data.datasets.text import number_translation_data
    from gradiente.models.transformer import Seq2SeqTransformer, exact_match
    g.manual_seed(config.get("seed", 0))
    d = number_translation_data(config["n_train"], config.get("n_test", 500), max_number=config["max_number"],
                                seed=config.get("seed", 0))
    model = Seq2SeqTransformer(len(d["src_vocab"]), len(d["tgt_vocab"]), d_model=config.get("d_model", 64),
                               nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                               dim_feedforward=config.get("ff", 128), dropout=config.get("dropout", 0.0))
    epochs = config["epochs"]
    opt = g.optim.Adam(model.parameters(), lr=config.get("lr", 2e-3))
    sched = g.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    src, tgt = d["train_src"], d["train_tgt"]
    bs = config.get("batch_size", 64)
    rng = np.random.default_rng(config.get("seed", 0))
    max_len = d["test_tgt"].shape[1]
    t_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        perm = rng.permutation(len(src))
        total = 0.0
        for i in range(0, len(src), bs):
            b = perm[i:i + bs]
            logits = model(src[b], tgt[b][:, :-1])  # teacher forcing: the true previous tokens go in
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), g.tensor(tgt[b][:, 1:].reshape(-1)),
                                   ignore_index=d["tgt_vocab"].pad_id)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(b)
        sched.step()
        row = {"train_loss": total / len(src), "time_s": time.perf_counter() - t0}
        if epoch == epochs or epoch % max(1, epochs // 5) == 0:
            row["val_exact_match"] = exact_match(model.greedy_decode(d["test_src"][:200], max_len=max_len),
                                                 d["test_tgt"][:200, 1:], d["tgt_vocab"])
        if recorder is not None:
            recorder.log_epoch(epoch, **row)
    train_time = time.perf_counter() - t_start
    greedy = exact_match(model.greedy_decode(d["test_src"], max_len=max_len), d["test_tgt"][:, 1:], d["tgt_vocab"])
    beam = exact_match(model.beam_search(d["test_src"], beam_size=4, max_len=max_len), d["test_tgt"][:, 1:],
                       d["tgt_vocab"])
    return model, d, {"greedy_exact_match": greedy, "beam_exact_match": beam, "train_time_s": train_time,
                      "n_test": int(len(d["test_src"]))}


def cross_attention_maps(model, src, tgt_in):
    """Per-head cross-attention weights of the last decoder layer, (heads, T, S), for one pair (post-norm layers)."""
    with g.no_grad():
        model.eval()
        memory, src_pad = model.encode(src)
        T = tgt_in.shape[1]
        causal = np.triu(np.ones((T, T), dtype=bool), k=1)
        x = model._embed(model.tgt_embed, g.tensor(tgt_in))
        layers = list(model.transformer.decoder.layers)
        for layer in layers[:-1]:
            x = layer(x, memory, tgt_mask=causal, memory_key_padding_mask=src_pad)
        last = layers[-1]
        x = last.norm1(x + last._sa_block(x, causal, None, False))
        _, w = last.multihead_attn(x, memory, memory, key_padding_mask=src_pad, average_attn_weights=False)
    return w.numpy()[0]
