"""Fused affine map z = x W^T + b (seed 000 §1, z = W a + b, written for a batch of row vectors).

Backward (seed 000 §2): dL/dx = dL/dz W,  dL/dW = (dL/dz)^T x,  dL/db = sum over the batch of dL/dz.
"""
from ..autograd import Function


class Linear(Function):
    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, g):
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        gx = g @ self.weight if need_x else None
        g2 = g.reshape(-1, g.shape[-1])
        gw = g2.T @ self.x.reshape(-1, self.x.shape[-1]) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb
