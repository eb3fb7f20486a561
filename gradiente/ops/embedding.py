"""Embedding lookup (a row gather) and its backward as a sorted segment sum.

Forward: out[...] = W[idx[...]]. Backward: dL/dW[v] is the sum of the
output gradients at every position where idx == v. Instead of a scattered
``np.add.at`` (slow), the positions are sorted by index once and each run of
equal indices is summed with one ``np.add.reduceat``.
"""
from ..autograd import Function
from ..backend import xp


class Embedding(Function):
    """out = weight[indices];  dL/dweight[v] = sum over {i : indices_i = v} of dL/dout_i (zero at padding_idx)."""

    def forward(self, weight, indices, padding_idx=None):
        self.indices, self.wshape, self.padding_idx = indices, weight.shape, padding_idx
        return xp.take(weight, indices, axis=0)

    def backward(self, g):
        V, D = self.wshape
        flat = self.indices.reshape(-1)
        g2 = g.reshape(-1, D)
        gw = xp.zeros((V, D), dtype=g.dtype)
        if flat.size:
            order = xp.argsort(flat, kind="stable")
            s = flat[order]
            starts = xp.flatnonzero(xp.concatenate(([True], s[1:] != s[:-1])))
            gw[s[starts]] = xp.add.reduceat(g2[order], starts, axis=0)
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
