"""Scaled dot-product attention as one fused kernel (seed 000 §7; seed 002 §4.8).

Forward, for queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    S = Q K^T * scale (+ mask),   P = softmax(S) along the keys,   O = dropout(P) V

with scale = 1 / sqrt(E) by default (the 1/sqrt(d_k) of seed 000 §7). Backward,
the chain rule written out node by node (seed 000 §2):

    dV = P'^T dO,  dP' = dO V^T,  dP = dP' * dropout mask / (1 - p)
    dS = P * (dP - sum_j dP_j P_j)          (softmax Jacobian, diag(P) - P P^T, in closed form)
    dQ = scale * dS K,  dK = scale * dS^T Q

Only the (..., L, S) probabilities are kept for backward.
"""
from ..autograd import Function, unbroadcast
from ..backend import xp
from ..random import get_generator


def _swap(a):
    return xp.swapaxes(a, -1, -2)


class ScaledDotProductAttention(Function):
    """softmax(Q K^T / sqrt(d_k)) V with masks and dropout, forward and backward in one node (seed 000 §7).

    ``attn_mask`` (an array, not differentiated) is boolean (True = may attend, as
    ``torch.nn.functional.scaled_dot_product_attention``) or additive (added to
    the scores, ``-inf`` blocks). A query whose keys are all blocked gets zero
    output and zero gradient instead of NaN. With ``return_weights=True`` the
    node has a second output, the attention weights after dropout.
    """

    def forward(self, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                return_weights=False):
        E = q.shape[-1]
        scale = 1.0 / (E ** 0.5) if scale is None else float(scale)
        self.scale = scale
        dtype = q.dtype
        s = q @ _swap(k)
        s *= dtype.type(scale)
        blocked = None
        if is_causal:
            L, S = s.shape[-2], s.shape[-1]
            blocked = xp.triu(xp.ones((L, S), dtype=bool), k=1)
        if attn_mask is not None:
            if attn_mask.dtype == bool:
                blocked = ~attn_mask if blocked is None else (blocked | ~attn_mask)
            else:
                s += attn_mask.astype(dtype, copy=False)
        if blocked is not None:
            xp.copyto(s, dtype.type(-xp.inf), where=blocked)
        m = s.max(axis=-1, keepdims=True)
        dead = ~xp.isfinite(m)  # rows with every key blocked
        if dead.any():
            m = xp.where(dead, dtype.type(0), m)
        xp.subtract(s, m, out=s)
        xp.exp(s, out=s)
        denom = s.sum(axis=-1, keepdims=True)
        if dead.any():
            denom = xp.where(denom == 0, dtype.type(1), denom)
        s /= denom
        p = s
        self.p = p
        self.drop = None
        pd = p
        if dropout_p > 0.0:
            keep = get_generator().random(p.shape, dtype=xp.float32 if dtype == xp.float32 else xp.float64) >= dropout_p
            self.drop = keep.astype(dtype) * dtype.type(1.0 / (1.0 - dropout_p))
            pd = p * self.drop
        self.pd = pd
        self.q, self.k, self.v = q, k, v
        out = pd @ v
        if return_weights:
            return out, pd
        return out

    def backward(self, g, g_weights=None):
        nq, nk, nv = self.needs_input_grad[:3]
        q, k, v, p, pd = self.q, self.k, self.v, self.p, self.pd
        gv = unbroadcast(_swap(pd) @ g, v.shape) if nv else None
        if not (nq or nk):
            return None, None, gv
        gp = g @ _swap(v)
        if g_weights is not None:
            gp += g_weights
        if self.drop is not None:
            gp *= self.drop
        # softmax backward: dS = P * (dP - <dP, P>)
        gs = gp
        gs -= (gp * p).sum(axis=-1, keepdims=True)
        gs *= p
        gs *= gs.dtype.type(self.scale)
        gq = unbroadcast(gs @ k, q.shape) if nq else None
        gk = unbroadcast(_swap(gs) @ q, k.shape) if nk else None
        return gq, gk, gv


def check_attention_inputs(name, q, k, v, attn_mask):
    """Raise a clear error when the shapes of q, k, v and the mask do not fit together."""
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{name}: query, key and value need at least 2 dims (..., L, E); got shapes "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{name}: query and key must have the same last dimension E; got query "
                         f"{tuple(q.shape)} and key {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{name}: key and value must have the same length S (dim -2); got key "
                         f"{tuple(k.shape)} and value {tuple(v.shape)}")
    try:
        xp.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: batch dims of query {tuple(q.shape)}, key {tuple(k.shape)} and value "
                         f"{tuple(v.shape)} do not broadcast") from None
    if attn_mask is not None:
        target = tuple(q.shape[:-1]) + (k.shape[-2],)
        try:
            ok = xp.broadcast_shapes(attn_mask.shape, target) == xp.broadcast_shapes(target)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: attn_mask of shape {tuple(attn_mask.shape)} does not broadcast to the "
                             f"scores' shape {target} (..., L, S)")
        if attn_mask.dtype != bool and attn_mask.dtype.kind != "f":
            raise TypeError(f"{name}: attn_mask must be bool or floating point, got dtype {attn_mask.dtype}")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(Q K^T * scale + mask) V, as ``torch.nn.functional.scaled_dot_product_attention`` (seed 000 §7).

    ``attn_mask``: bool (True = take part in attention) or float (added to the
    scores), broadcastable to (..., L, S). ``is_causal`` blocks the keys after
    each query (masked self-attention, seed 002 §4.8). ``dropout_p`` drops
    attention weights (always, as in PyTorch's functional form: pass 0.0 in eval).
    """
    from ..tensor import Tensor
    name = "scaled_dot_product_attention"
    for n, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {n} must be a Tensor, got {type(t).__name__}")
    mask = attn_mask.data if isinstance(attn_mask, Tensor) else (None if attn_mask is None else xp.asarray(attn_mask))
    check_attention_inputs(name, query, key, value, mask)
    if is_causal and mask is not None:
        raise ValueError(f"{name}: pass either attn_mask or is_causal=True, not both (as PyTorch)")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1), got {dropout_p}")
    return ScaledDotProductAttention.apply(query, key, value, attn_mask=mask, dropout_p=dropout_p,
                                           is_causal=is_causal, scale=scale)
