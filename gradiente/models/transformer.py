"""An encoder-decoder Transformer for translation (seed 002 §4.8), with greedy and beam-search decoding.

Source tokens -> embedding * sqrt(d_model) + sinusoidal positions -> encoder;
target tokens (shifted right, starting with ``<bos>``) -> embedding +
positions -> decoder with masked self-attention and cross-attention to the
encoder's output -> linear layer to vocabulary logits. Training uses teacher
forcing: the decoder reads the true previous tokens and predicts the next one
at every position at once.
"""
import math

import numpy as _np

from ..autograd import no_grad
from ..backend import xp
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.positional import SinusoidalPositionalEncoding
from ..nn.transformer import Transformer
from ..tensor import Tensor


def _ids(x, name):
    t = x if isinstance(x, Tensor) else Tensor(xp.asarray(x, dtype=xp.int64))
    if t.ndim != 2 or t.data.dtype.kind not in "iu":
        raise ValueError(f"Seq2SeqTransformer: {name} must be an (N, L) integer array, got shape "
                         f"{tuple(t.shape)} and dtype {t.dtype}")
    return t


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - _np.log(_np.exp(z).sum(axis=-1, keepdims=True))


class Seq2SeqTransformer(Module):
    """Translator: ``forward(src, tgt_in)`` -> logits (N, T, tgt_vocab); ``greedy_decode`` and ``beam_search``.

    ``pad_id``, ``bos_id`` and ``eos_id`` are the special token ids of both vocabularies.
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=64, nhead=4, num_encoder_layers=2,
                 num_decoder_layers=2, dim_feedforward=128, dropout=0.1, max_len=256, pad_id=0, bos_id=1,
                 eos_id=2, norm_first=False, activation="relu"):
        super().__init__()
        from ..nn import Embedding
        self.src_embed = Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embed = Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.pos = SinusoidalPositionalEncoding(d_model, max_len=max_len, dropout=dropout)
        self.transformer = Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                       dropout, activation=activation, batch_first=True, norm_first=norm_first)
        self.generator = Linear(d_model, tgt_vocab_size)
        self.d_model = d_model
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id

    def _embed(self, emb, ids):
        return self.pos(emb(ids) * math.sqrt(self.d_model))

    def encode(self, src):
        src = _ids(src, "src")
        pad = src.data == self.pad_id
        return self.transformer.encoder(self._embed(self.src_embed, src), src_key_padding_mask=pad), pad

    def decode(self, tgt_in, memory, src_pad):
        tgt_in = _ids(tgt_in, "tgt_in")
        T = tgt_in.shape[1]
        causal = xp.triu(xp.ones((T, T), dtype=bool), k=1)
        tgt_pad = tgt_in.data == self.pad_id
        h = self.transformer.decoder(self._embed(self.tgt_embed, tgt_in), memory, tgt_mask=causal,
                                     tgt_key_padding_mask=tgt_pad if tgt_pad.any() else None,
                                     memory_key_padding_mask=src_pad)
        return self.generator(h)

    def forward(self, src, tgt_in):
        memory, src_pad = self.encode(src)
        return self.decode(tgt_in, memory, src_pad)

    @no_grad()
    def greedy_decode(self, src, max_len=32):
        """The most probable token at each step, until ``<eos>`` or ``max_len``: (N, <= max_len) ids."""
        was = self.training
        self.eval()
        memory, src_pad = self.encode(src)
        N = memory.shape[0]
        ys = _np.full((N, 1), self.bos_id, dtype=_np.int64)
        done = _np.zeros(N, dtype=bool)
        for _ in range(max_len):
            logits = self.decode(ys, memory, src_pad).data[:, -1]
            nxt = logits.argmax(-1)
            nxt[done] = self.pad_id
            ys = _np.concatenate([ys, nxt[:, None]], axis=1)
            done |= nxt == self.eos_id
            if done.all():
                break
        self.train(was)
        return ys[:, 1:]

    @no_grad()
    def beam_search(self, src, beam_size=4, max_len=32, length_penalty=0.0):
        """Keep the ``beam_size`` most probable prefixes at each step (sum of log-probabilities).

        Finished hypotheses keep their score; the best is chosen by score / len^length_penalty.
        Returns (N, <= max_len) ids, like :meth:`greedy_decode`.
        """
        if beam_size < 1:
            raise ValueError(f"beam_search: beam_size must be >= 1, got {beam_size}")
        was = self.training
        self.eval()
        memory, src_pad = self.encode(src)
        N, S, E = memory.shape
        B = beam_size
        mem = Tensor(xp.repeat(memory.data, B, axis=0))
        pad = xp.repeat(src_pad, B, axis=0)
        ys = _np.full((N * B, 1), self.bos_id, dtype=_np.int64)
        scores = _np.full((N, B), -_np.inf)
        scores[:, 0] = 0.0
        done = _np.zeros((N, B), dtype=bool)
        lengths = _np.zeros((N, B))
        for _ in range(max_len):
            logp = _log_softmax(self.decode(ys, mem, pad).data[:, -1].astype(_np.float64))
            V = logp.shape[-1]
            logp = logp.reshape(N, B, V)
            # a finished beam only continues with <pad> at no cost
            fin = _np.full(V, -_np.inf)
            fin[self.pad_id] = 0.0
            logp = _np.where(done[..., None], fin, logp)
            cand = (scores[..., None] + logp).reshape(N, B * V)
            top = _np.argsort(-cand, axis=1, kind="stable")[:, :B]
            beam, tok = top // V, top % V
            scores = _np.take_along_axis(cand, top, axis=1)
            rows = (_np.arange(N)[:, None] * B + beam).reshape(-1)
            ys = _np.concatenate([ys[rows], tok.reshape(-1, 1)], axis=1)
            prev_done = _np.take_along_axis(done, beam, axis=1)
            lengths = _np.take_along_axis(lengths, beam, axis=1) + ~prev_done
            done = prev_done | (tok == self.eos_id)
            if done.all():
                break
        final = scores / _np.maximum(lengths, 1) ** length_penalty
        best = final.argmax(axis=1)
        self.train(was)
        return ys.reshape(N, B, -1)[_np.arange(N), best, 1:]


def exact_match(pred_ids, tgt_ids, vocab):
    """Fraction of rows whose decoded tokens (up to ``<eos>``) equal the target's."""
    hits = [vocab.decode(p) == vocab.decode(t) for p, t in zip(pred_ids, tgt_ids)]
    return float(_np.mean(hits))
