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
from ..parallel import parallel_blocks
from ..random import get_generator

_BLOCK = 1 << 17  # score entries per block: its scores and probabilities (512 KB each in float32) fill the L2
_MIN_DENOM = 1e-9  # a row whose sum of e^(s - shift) is below this gets its own shift (see _softmax)


def _softmax(s, out):
    """softmax over the last axis of scores ``s`` (..., L, S) into ``out``, shifted once per (L, S) matrix.

    softmax is the same for any shift of a row; PyTorch subtracts each row's max, but a max over
    rows of a few dozen keys costs more than the rest of the softmax, while the max M of a whole
    matrix is one long reduction. With M subtracted no exponential overflows, and a row whose sum
    of e^(s - M) is at least ``_MIN_DENOM`` has its max within 21 + ln(S) of M, so its largest
    terms keep their precision and those that underflow weigh below 1e-28. The rows that fall
    short (a few rows in some heads of all-MiniLM-L6-v2, and rows with every key blocked) are
    redone with their own max.
    """
    m = s.max(axis=(-2, -1), keepdims=True)
    m[~xp.isfinite(m)] = 0  # a matrix with every score blocked: its rows are redone below
    xp.subtract(s, m, out=out)
    xp.exp(out, out=out)
    denom = xp.einsum("...j->...", out)
    low = denom < _MIN_DENOM
    if low.any():
        out[low] = _softmax_rows(s[low])
        denom[low] = 1
    xp.reciprocal(denom, out=denom)
    out *= denom[..., None]


def _softmax_rows(x):
    """softmax of each row of a 2-D array, in place, shifted by the row's max; a row with every key
    blocked (all -inf) gives zeros instead of NaN."""
    m = x.max(axis=-1, keepdims=True)
    m[~xp.isfinite(m)] = 0
    x -= m
    xp.exp(x, out=x)
    denom = x.sum(axis=-1, keepdims=True)
    denom[denom == 0] = 1
    x /= denom
    return x


def _swap(a):
    return xp.swapaxes(a, -1, -2)


def _pad(a, ndim):
    return a.reshape((1,) * (ndim - a.ndim) + a.shape) if a is not None and a.ndim < ndim else a


def _rows(a, block):
    """The part of ``a`` that block ``block`` (a slice of the first batch dim) uses: shared when that dim is 1."""
    return a if a is None or a.shape[0] == 1 else a[block]


class ScaledDotProductAttention(Function):
    """softmax(Q K^T / sqrt(d_k)) V with masks and dropout, forward and backward in one node (seed 000 §7).

    ``attn_mask`` (an array, not differentiated) is boolean (True = may attend, as
    ``torch.nn.functional.scaled_dot_product_attention``) or additive (added to
    the scores, ``-inf`` blocks). A query whose keys are all blocked gets zero
    output and zero gradient instead of NaN. With ``return_weights=True`` the
    node has a second output, the attention weights after dropout.

    When q, k and v share their first batch dimension, the batch is processed in
    blocks of it, small enough that a block's scores stay in cache through the
    softmax, and the blocks are shared among threads; each step is the formula
    above applied to the block.
    """

    def forward(self, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                return_weights=False):
        E = q.shape[-1]
        dtype = q.dtype
        self.shapes = q.shape, k.shape, v.shape
        self.scale = scale = dtype.type(1.0 / (E ** 0.5) if scale is None else float(scale))
        ndim = max(q.ndim, k.ndim, v.ndim, 2 if attn_mask is None else attn_mask.ndim)
        q, k, v, attn_mask = (_pad(a, ndim) for a in (q, k, v, attn_mask))
        L, S = q.shape[-2], k.shape[-2]
        batch = xp.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        blocked = None  # True where a query may not attend a key
        if is_causal:
            blocked = xp.triu(xp.ones((1,) * (ndim - 2) + (L, S), dtype=bool), k=1)
        additive = None
        if attn_mask is not None:
            if attn_mask.dtype == bool:
                blocked = ~attn_mask if blocked is None else (blocked | ~attn_mask)
            else:
                additive = attn_mask.astype(dtype, copy=False)
        if blocked is not None:  # one additive mask: adding -inf is cheaper than a masked copy on every block
            inf = xp.where(blocked, dtype.type(-xp.inf), dtype.type(0))
            additive = inf if additive is None else additive + inf
        p = xp.empty(batch + (L, S), dtype=dtype)
        out = xp.empty(batch + (L, v.shape[-1]), dtype=dtype)
        drop = None
        if dropout_p > 0.0:
            keep = get_generator().random(p.shape, dtype=xp.float32 if dtype == xp.float32 else xp.float64) >= dropout_p
            drop = keep.astype(dtype) * dtype.type(1.0 / (1.0 - dropout_p))
        pd = p if drop is None else xp.empty_like(p)
        n = batch[0] if batch else 1
        self.split = n > 1 and all(a.shape[0] == n for a in (q, k, v)) and (
            additive is None or additive.shape[0] in (1, n))
        self.items = n

        def block(rows):
            s = xp.matmul(_rows(q, rows), _swap(_rows(k, rows)))
            s *= scale
            if additive is not None:
                s += _rows(additive, rows)
            _softmax(s, p[rows])
            if drop is not None:
                xp.multiply(p[rows], drop[rows], out=pd[rows])
            xp.matmul(pd[rows], _rows(v, rows), out=out[rows])

        self._for_blocks(p.size // n, block)
        self.p, self.pd, self.drop = p, pd, drop
        self.q, self.k, self.v = q, k, v
        if return_weights:
            return out, pd
        return out

    def _for_blocks(self, per_item, work):
        """Run ``work(rows)`` over cache-sized slices of the first batch dim, on threads (or once on all of it)."""
        if not self.split:
            work(slice(None))
            return
        per_item = max(per_item, 1)
        parallel_blocks(self.items, max(1, _BLOCK // per_item), work, grain=(1 << 16) // per_item)

    def backward(self, g, g_weights=None):
        needs = self.needs_input_grad[:3]
        q, k, v, p, pd, drop, scale = self.q, self.k, self.v, self.p, self.pd, self.drop, self.scale
        # each gradient in its input's memory order: for heads split from one (N, L, 3 h d) array, the
        # copy back into that layout (SplitHeads' backward) then moves rows of h d values, not of d
        grads = [xp.empty_like(a) if need else None for a, need in zip((q, k, v), needs)]

        def product(i, rows, a, b):
            """Gradient i's rows = a @ b: written in place, or summed over broadcast dims first."""
            dst = grads[i][rows]
            if xp.broadcast_shapes(a.shape[:-2], b.shape[:-2]) == dst.shape[:-2]:
                xp.matmul(a, b, out=dst)
            else:
                dst[...] = unbroadcast(a @ b, dst.shape)

        def block(rows):
            gb, pb, qb, kb, vb = g[rows], p[rows], q[rows], k[rows], v[rows]
            if needs[2]:
                product(2, rows, _swap(pd[rows]), gb)  # dV = P'^T dO
            if needs[0] or needs[1]:
                gs = gb @ _swap(vb)  # dP' = dO V^T
                if g_weights is not None:
                    gs += g_weights[rows]
                if drop is not None:
                    gs *= drop[rows]
                # softmax backward: dS = P * (dP - <dP, P>)
                gs -= xp.einsum("...j,...j->...", gs, pb)[..., None]
                gs *= pb
                gs *= scale
                if needs[0]:
                    product(0, rows, gs, kb)
                if needs[1]:
                    product(1, rows, _swap(gs), qb)

        self._for_blocks(p.size // max(self.items, 1), block)
        return tuple(None if gr is None else gr.reshape(shape) for gr, shape in zip(grads, self.shapes))


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
