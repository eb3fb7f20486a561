"""Multi-head attention, as ``torch.nn.MultiheadAttention`` (seed 000 §7; seed 002 §4.8).

    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V),   MultiHead = Concat(head_1..head_h) W^O

The h projections W_i^Q of all heads are stored as one matrix (PyTorch's
``in_proj_weight``, rows [W^Q; W^K; W^V]) and applied in one matrix product;
the heads are then a reshape, and the h attentions one batched call of the
fused :class:`~gradiente.ops.attention.ScaledDotProductAttention` kernel.
"""
from ..autograd import Function
from ..backend import xp
from ..creation import empty, zeros
from ..ops import cat
from ..ops.attention import ScaledDotProductAttention
from ..ops.linear import Linear as _LinearFn
from ..tensor import Tensor
from . import init
from .linear import Linear
from ._checks import check_int
from .module import Module
from .parameter import Parameter


class SplitHeads(Function):
    """(N, L, n*h*d) -> n arrays (N, h, L, d): the n projections (q, k, v) split into heads.

    Backward puts the n head gradients back side by side (the inverse reshape).
    """

    def forward(self, x, n=1, heads=1):
        N, L, F = x.shape
        self.shape = x.shape
        parts = x.reshape(N, L, n, heads, F // (n * heads)).transpose(2, 0, 3, 1, 4)
        return tuple(parts[i] for i in range(n)) if n > 1 else parts[0]

    def backward(self, *gs):
        N, L, F = self.shape
        n, (_, h, _, d) = len(gs), gs[0].shape
        out = xp.empty((N, L, n, h, d), dtype=gs[0].dtype)
        for i, g in enumerate(gs):  # one copy, straight into the (N, L, n*h*d) layout
            out[:, :, i] = g.transpose(0, 2, 1, 3)
        return out.reshape(N, L, F)


class MergeHeads(Function):
    """(N, h, L, d) -> (N, L, h*d): Concat(head_1, ..., head_h) of seed 000 §7."""

    def forward(self, x):
        self.shape = x.shape
        N, h, L, d = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, L, h * d)

    def backward(self, g):
        N, h, L, d = self.shape
        return g.reshape(N, L, h, d).transpose(0, 2, 1, 3)


def _mask_array(mask, name, dtype):
    if mask is None:
        return None
    arr = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    if arr.dtype != bool and arr.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be a bool or float tensor, got dtype {arr.dtype}")
    return arr


def _to_additive(mask, dtype):
    """PyTorch's convention for MultiheadAttention: a True entry is *blocked* (-inf); floats are added."""
    if mask.dtype == bool:
        out = xp.zeros(mask.shape, dtype=dtype)
        out[mask] = -xp.inf
        return out
    return mask.astype(dtype, copy=False)


def merge_masks(attn_mask, key_padding_mask, N, heads, L, S, dtype, module="MultiheadAttention"):
    """One mask for the fused kernel, of shape broadcastable to (N, heads, L, S).

    Both inputs follow ``torch.nn.MultiheadAttention``: True = not allowed to attend.
    The result is boolean (True = allowed) when both are boolean, additive otherwise.
    """
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if attn_mask.shape != (L, S):
                raise ValueError(f"{module}: the shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                 f"but should be {(L, S)}")
            attn_mask = attn_mask[None, None]
        elif attn_mask.ndim == 3:
            if attn_mask.shape != (N * heads, L, S):
                raise ValueError(f"{module}: the shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                 f"but should be {(N * heads, L, S)}")
            attn_mask = attn_mask.reshape(N, heads, L, S)
        else:
            raise ValueError(f"{module}: attn_mask must be 2D or 3D, got {attn_mask.ndim}D")
    if key_padding_mask is not None:
        if key_padding_mask.shape != (N, S):
            raise ValueError(f"{module}: expected key_padding_mask of shape {(N, S)}, "
                             f"got {tuple(key_padding_mask.shape)}")
        key_padding_mask = key_padding_mask[:, None, None, :]
    masks = [m for m in (attn_mask, key_padding_mask) if m is not None]
    if not masks:
        return None
    if all(m.dtype == bool for m in masks):
        blocked = masks[0] if len(masks) == 1 else (masks[0] | masks[1])
        return ~blocked
    out = _to_additive(masks[0], dtype)
    if len(masks) == 2:
        out = out + _to_additive(masks[1], dtype)
    return out


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's arguments, parameters and state_dict keys (seed 000 §7).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(attn_output, attn_weights)``; inputs are (L, N, E), or (N, L, E) with
    ``batch_first=True``, or unbatched (L, E). Masks follow PyTorch: a True
    entry of a bool mask is a position that may *not* be attended; float masks
    are added to the scores.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=None):
        super().__init__()
        check_int("MultiheadAttention", "embed_dim", embed_dim)
        check_int("MultiheadAttention", "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """As PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, batch_first={self.batch_first}"

    # ------------------------------------------------------------ projections
    def _weights(self, i):
        """Weight and bias of projection i (0 = query, 1 = key, 2 = value)."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight[i * E:(i + 1) * E]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[i]
        b = self.in_proj_bias[i * E:(i + 1) * E] if self.in_proj_bias is not None else None
        return w, b

    def _project(self, query, key, value):
        """Q, K, V split into heads, each (N, h, len, head_dim)."""
        h = self.num_heads
        if query is key and key is value and self._qkv_same_embed_dim:
            qkv = _LinearFn.apply(query, self.in_proj_weight, self.in_proj_bias)
            return SplitHeads.apply(qkv, n=3, heads=h)
        q = SplitHeads.apply(_LinearFn.apply(query, *self._weights(0)), n=1, heads=h)
        if key is value and self._qkv_same_embed_dim:
            E = self.embed_dim
            w = self.in_proj_weight[E:]
            b = self.in_proj_bias[E:] if self.in_proj_bias is not None else None
            k, v = SplitHeads.apply(_LinearFn.apply(key, w, b), n=2, heads=h)
            return q, k, v
        k = SplitHeads.apply(_LinearFn.apply(key, *self._weights(1)), n=1, heads=h)
        v = SplitHeads.apply(_LinearFn.apply(value, *self._weights(2)), n=1, heads=h)
        return q, k, v

    def _check(self, query, key, value):
        name = "MultiheadAttention"
        for n, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {n} must be a Tensor, got {type(t).__name__}")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: query, key and value must all be 3D (batched) or 2D (unbatched); got shapes "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        for n, t, d in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != d:
                raise ValueError(f"{name}(embed_dim={self.embed_dim}): expected {n} with last dimension {d}, "
                                 f"got shape {tuple(t.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: key and value must have the same length and batch, got shapes "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        if query.ndim == 3:
            bdim = 0 if self.batch_first else 1
            if query.shape[bdim] != key.shape[bdim]:
                raise ValueError(f"{name}: query and key have different batch sizes ({query.shape[bdim]} and "
                                 f"{key.shape[bdim]}); batch_first={self.batch_first}")

    # ---------------------------------------------------------------- forward
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        self._check(query, key, value)
        unbatched = query.ndim == 2
        same_kv = key is value
        same_qkv = query is key and same_kv
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, -1) if isinstance(key_padding_mask, Tensor) \
                    else xp.asarray(key_padding_mask).reshape(1, -1)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if same_qkv:
            key = value = query
        elif same_kv:
            value = key
        N, L, _ = query.shape
        S = key.shape[1]
        h = self.num_heads
        dtype = query.dtype
        q, k, v = self._project(query, key, value)
        kpm = _mask_array(key_padding_mask, "key_padding_mask", dtype)
        am = _mask_array(attn_mask, "attn_mask", dtype)
        if am is None and is_causal:
            am = xp.triu(xp.ones((L, S), dtype=bool), k=1)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.reshape(1, 1, h, self.head_dim).transpose(1, 2).expand(N, h, 1, self.head_dim)], dim=2)
            v = cat([v, self.bias_v.reshape(1, 1, h, self.head_dim).transpose(1, 2).expand(N, h, 1, self.head_dim)], dim=2)
            am, kpm, S = _pad_masks(am, kpm, S)
        if self.add_zero_attn:
            z = zeros(N, h, 1, self.head_dim, dtype=dtype)
            k, v = cat([k, z], dim=2), cat([v, z], dim=2)
            am, kpm, S = _pad_masks(am, kpm, S)
        mask = merge_masks(am, kpm, N, h, L, S, dtype)
        p = self.dropout if self.training else 0.0
        if need_weights:
            out, weights = ScaledDotProductAttention.apply(q, k, v, attn_mask=mask, dropout_p=p, return_weights=True)
            if average_attn_weights:
                weights = weights.mean(dim=1)
        else:
            out = ScaledDotProductAttention.apply(q, k, v, attn_mask=mask, dropout_p=p)
            weights = None
        out = self.out_proj(MergeHeads.apply(out))
        if unbatched:
            out = out.squeeze(0)
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights


def _pad_masks(attn_mask, key_padding_mask, S):
    """Add a column for one extra key (bias_k or the zero key) to both masks, allowing it."""
    if attn_mask is not None:
        pad = [(0, 0)] * (attn_mask.ndim - 1) + [(0, 1)]
        attn_mask = xp.pad(attn_mask, pad)
    if key_padding_mask is not None:
        key_padding_mask = xp.pad(key_padding_mask, [(0, 0), (0, 1)])
    return attn_mask, key_padding_mask, S + 1


__all__ = ["MultiheadAttention", "SplitHeads", "MergeHeads", "merge_masks"]
