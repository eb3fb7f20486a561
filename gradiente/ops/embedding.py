"""Embedding lookup (a row gather) and its backward without ``np.add.at``.

Forward: out[...] = W[idx[...]]. Backward: dL/dW[v] is the sum of the
output gradients at every position where idx == v. ``np.add.at`` (and even
``np.add.reduceat``, which pays a fixed cost per segment) is slow, so:

- small tables (V x n small): one matrix product onehot(idx)^T @ G;
- otherwise: sort the positions by index; the first occurrence of every index
  is written with one fancy assignment, the k-th repeats (k = 1, 2, ...) are
  added in one vectorised step each (indices within one step are distinct),
  and the few very frequent indices (a padding token, say) are summed
  one by one, accumulating in float64.
"""
from ..autograd import Function
from ..backend import xp

_ONEHOT_LIMIT = 1 << 21  # V * n elements of the one-hot matrix
_MAX_RANK = 8  # repeats handled by vectorised steps; longer runs are summed individually


def _segment_sum(flat, g2, V):
    """gw[v] = sum of rows g2[i] with flat[i] == v, for v in range(V)."""
    n, D = g2.shape
    if V * n <= _ONEHOT_LIMIT:
        onehot = (xp.arange(V)[:, None] == flat[None, :]).astype(g2.dtype)
        return onehot @ g2
    order = xp.argsort(flat, kind="stable")
    s, gs = flat[order], g2[order]
    new = xp.empty(n, dtype=bool)
    new[0] = True
    xp.not_equal(s[1:], s[:-1], out=new[1:])
    starts = xp.flatnonzero(new)
    lengths = xp.diff(xp.append(starts, n))
    gw = xp.zeros((V, D), dtype=g2.dtype)
    gw[s[starts]] = gs[starts]
    if lengths.max() == 1:
        return gw
    seg = xp.cumsum(new) - 1
    rank = xp.arange(n) - starts[seg]
    light = lengths[seg] <= _MAX_RANK
    for k in range(1, min(_MAX_RANK, int(lengths.max()))):
        rows = xp.flatnonzero((rank == k) & light)
        if rows.size == 0:
            break
        gw[s[rows]] += gs[rows]
    for h in xp.flatnonzero(lengths > _MAX_RANK):
        a = starts[h]
        gw[s[a]] = gs[a:a + lengths[h]].sum(axis=0, dtype=xp.float64)
    return gw


class Embedding(Function):
    """out = weight[indices];  dL/dweight[v] = sum over {i : indices_i = v} of dL/dout_i (zero at padding_idx)."""

    def forward(self, weight, indices, padding_idx=None):
        self.indices, self.wshape, self.padding_idx = indices, weight.shape, padding_idx
        return xp.take(weight, indices, axis=0)

    def backward(self, g):
        V, D = self.wshape
        flat = self.indices.reshape(-1)
        if flat.size:
            gw = _segment_sum(flat, g.reshape(-1, D), V)
        else:
            gw = xp.zeros((V, D), dtype=g.dtype)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at integer ``input`` indices."""
    from ..tensor import Tensor
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    idx = input.data if isinstance(input, Tensor) else xp.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: indices must be an integer tensor (use .long()), got dtype {idx.dtype}"
        )
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-d (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    V = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= V):
        bad = idx[(idx < 0) | (idx >= V)].reshape(-1)[0]
        raise ValueError(f"embedding: index {int(bad)} is out of range for num_embeddings={V} (valid: 0..{V - 1})")
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings={V}")
        padding_idx %= V
    return Embedding.apply(weight, idx, padding_idx=padding_idx)
