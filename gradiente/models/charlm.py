"""Character-level language model (seed 001: autoregressive model, x_t ~ P(x_t | x_{t-1}, ..., x_1)).

An ``Embedding`` turns each character into a vector, a recurrent layer
(LSTM by default; seed 002 §4.6) summarises the prefix in its state h_t, and a
linear layer gives the logits of the next character, P(x_{t+1} | h_t).

:func:`train_char_lm` trains on any text (a file the user gives, or
:func:`gradiente.data.datasets.sequences.default_corpus`) with truncated
backpropagation through time: the text is cut into ``batch_size`` parallel
streams, read ``seq_len`` characters at a time, and the state is carried
from one chunk to the next but detached, so the gradient flows back at most
``seq_len`` steps. The gradient norm is clipped (seed 002 §3.7).
:meth:`CharLM.sample` writes text with a temperature.
"""
import math
import time

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..random import get_generator
from ..tensor import Tensor

_KINDS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


class CharLM(nn.Module):
    """Embedding -> RNN/LSTM/GRU -> Linear: logits of the next character at every step."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1, kind="LSTM", dropout=0.0):
        super().__init__()
        if kind.upper() not in _KINDS:
            raise ValueError(f"CharLM: unknown kind {kind!r}; expected 'RNN', 'LSTM' or 'GRU'")
        self.kind = kind.upper()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = _KINDS[self.kind](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                     dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """``ids`` (B, T) integers -> (logits (B, T, vocab_size), final state)."""
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state

    @staticmethod
    def detach_state(state):
        """Cut the graph behind a carried state (truncated BPTT)."""
        if state is None:
            return None
        if isinstance(state, tuple):
            return tuple(s.detach() for s in state)
        return state.detach()

    def sample(self, vocab, prime="", length=200, temperature=1.0):
        """Write ``length`` characters after ``prime``, drawing each from softmax(logits / temperature).

        A low temperature sharpens the distribution (safe, repetitive text);
        a high one flattens it (varied text, more mistakes). Draws come from
        gradiente's seeded generator.
        """
        if temperature <= 0:
            raise ValueError(f"CharLM.sample: temperature must be > 0, got {temperature}")
        rng = get_generator()
        was = self.training
        self.eval()
        out = []
        with no_grad():
            state = None
            if prime:
                ids = vocab.encode(prime)
                logits, state = self(Tensor(ids[None, :]), state)
                last = logits.numpy()[0, -1]
            else:
                start = int(rng.integers(len(vocab)))
                out.append(vocab.decode([start]))
                logits, state = self(Tensor(np.array([[start]])), state)
                last = logits.numpy()[0, -1]
            for _ in range(length - len(out)):
                z = last.astype(np.float64) / temperature
                p = np.exp(z - z.max())
                p /= p.sum()
                nxt = int(rng.choice(len(p), p=p))
                out.append(vocab.decode([nxt]))
                logits, state = self(Tensor(np.array([[nxt]])), state)
                last = logits.numpy()[0, -1]
        self.train(was)
        return prime + "".join(out)


def batchify(ids, batch_size):
    """Cut a 1-D token stream into ``batch_size`` parallel streams: (batch_size, n // batch_size)."""
    ids = np.asarray(ids)
    n = (ids.size // batch_size) * batch_size
    if n == 0:
        raise ValueError(f"batchify: {ids.size} tokens cannot fill {batch_size} streams")
    return ids[:n].reshape(batch_size, -1)


def train_char_lm(model, ids, epochs=10, seq_len=64, batch_size=16, lr=3e-3, clip=1.0, recorder=None,
                  val_ids=None):
    """Train ``model`` on the token stream ``ids`` with truncated BPTT; returns the per-epoch history.

    Each epoch reads the ``batch_size`` parallel streams from start to end in
    chunks of ``seq_len``; the state flows from chunk to chunk (detached).
    The loss is the mean cross-entropy per character (in nats; ``bpc`` =
    loss / ln 2 bits per character).
    """
    from .. import optim
    from ..nn import functional as F
    from ..nn.utils import clip_grad_norm_

    streams = batchify(ids, batch_size)
    if streams.shape[1] < 2:
        raise ValueError("train_char_lm: the text is too short for this batch_size")
    opt = optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        state, total, count = None, 0.0, 0
        for i in range(0, streams.shape[1] - 1, seq_len):
            j = min(i + seq_len, streams.shape[1] - 1)
            x, y = Tensor(streams[:, i:j]), Tensor(streams[:, i + 1:j + 1])
            logits, state = model(x, CharLM.detach_state(state))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            if clip:
                clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += float(loss.item()) * (j - i)
            count += j - i
        row = {"train_loss": total / count, "time_s": time.perf_counter() - t0}
        if val_ids is not None:
            row["val_loss"] = evaluate_char_lm(model, val_ids)
        row["train_bpc"] = row["train_loss"] / math.log(2)
        history.append(row)
        if recorder is not None:
            recorder.log_epoch(epoch, **row)
    return history


def evaluate_char_lm(model, ids, seq_len=256):
    """Mean cross-entropy per character (nats) of ``model`` on the stream ``ids``."""
    from ..nn import functional as F

    ids = np.asarray(ids)
    model.eval()
    total, state = 0.0, None
    with no_grad():
        for i in range(0, ids.size - 1, seq_len):
            j = min(i + seq_len, ids.size - 1)
            logits, state = model(Tensor(ids[None, i:j]), state)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Tensor(ids[i + 1:j + 1])).item()) * (j - i)
    model.train()
    return total / (ids.size - 1)


def from_text(text=None, path=None, **model_kwargs):
    """(model, vocab, ids) for a text: ``text``, the file at ``path`` (UTF-8), or the default corpus."""
    from ..data.datasets.sequences import default_corpus
    from ..data.datasets.text import CharVocab

    if path is not None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    if text is None:
        text = default_corpus()
    vocab = CharVocab(text)
    return CharLM(len(vocab), **model_kwargs), vocab, vocab.encode(text)
