"""GPT: a decoder-only Transformer language model (seed 002 §4.8), sampling with temperature and top-k.

tokens -> embedding + learned positions -> pre-norm blocks of masked
self-attention and MLP (no cross-attention: there is no encoder) ->
LayerNorm -> linear layer to next-token logits. Trained to predict token t+1
from tokens 1..t, it continues a text.
"""
import numpy as _np

from ..autograd import no_grad
from ..backend import xp
from ..nn.container import ModuleList
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.positional import LearnedPositionalEmbedding
from ..nn.transformer import TransformerEncoderLayer
from ..random import get_generator
from ..tensor import Tensor


class GPT(Module):
    """``GPT(vocab_size, block_size, n_layer, n_head, n_embd)``: (N, T) ids -> (N, T, vocab_size) logits."""

    def __init__(self, vocab_size, block_size=64, n_layer=2, n_head=4, n_embd=64, dropout=0.0):
        super().__init__()
        from ..nn import Dropout, Embedding, LayerNorm
        self.block_size = block_size
        self.tok_emb = Embedding(vocab_size, n_embd)
        self.pos_emb = LearnedPositionalEmbedding(block_size, n_embd)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList([
            TransformerEncoderLayer(n_embd, n_head, 4 * n_embd, dropout, activation="gelu", batch_first=True,
                                    norm_first=True) for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd)
        self.head = Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx):
        idx = idx if isinstance(idx, Tensor) else Tensor(xp.asarray(idx, dtype=xp.int64))
        if idx.ndim != 2:
            raise ValueError(f"GPT: expected token ids of shape (N, T), got {tuple(idx.shape)}")
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"GPT: sequence length {T} exceeds block_size={self.block_size}")
        causal = xp.triu(xp.ones((T, T), dtype=bool), k=1)  # masked self-attention: no peeking ahead
        x = self.drop(self.pos_emb(self.tok_emb(idx)))
        for block in self.blocks:
            x = block(x, src_mask=causal)
        return self.head(self.ln_f(x))

    @no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Append ``max_new_tokens`` tokens sampled from softmax(logits / temperature), among the top-k if given."""
        if temperature <= 0:
            raise ValueError(f"GPT.generate: temperature must be > 0, got {temperature}")
        was = self.training
        self.eval()
        ids = _np.array(idx.data if isinstance(idx, Tensor) else idx, dtype=_np.int64)
        if ids.ndim == 1:
            ids = ids[None]
        rng = get_generator()
        for _ in range(max_new_tokens):
            logits = self(ids[:, -self.block_size:]).data[:, -1].astype(_np.float64) / temperature
            if top_k is not None:
                k = min(int(top_k), logits.shape[-1])
                kth = _np.sort(logits, axis=-1)[:, -k][:, None]
                logits = _np.where(logits < kth, -_np.inf, logits)
            p = _np.exp(logits - logits.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            nxt = _np.array([rng.choice(p.shape[-1], p=row) for row in p])
            ids = _np.concatenate([ids, nxt[:, None]], axis=1)
        self.train(was)
        return ids
