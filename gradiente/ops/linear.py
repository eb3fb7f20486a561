"""Fused affine map z = x W^T + b (seed 000 §1, z = W a + b, written for a batch of row vectors).

Backward (seed 000 §2): dL/dx = dL/dz W,  dL/dW = (dL/dz)^T x,  dL/db = sum over the batch of dL/dz;
``backward_graph`` writes the same three products with tensor operations (create_graph).

Inputs with more than two dims (N, L, features) are multiplied as one (N*L, features)
matrix: NumPy's matmul would otherwise loop over N small products, up to twice slower.
"""
from ..autograd import Function


def _rows(a):
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


class Linear(Function):
    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        out = _rows(x) @ weight.T
        if bias is not None:
            out += bias
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, g):
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        g2 = _rows(g)
        gx = None
        if need_x:
            gx = g2 @ self.weight
            if g.ndim != 2:
                gx = gx.reshape(g.shape[:-1] + (self.weight.shape[1],))
        gw = g2.T @ _rows(self.x) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb

    def backward_graph(self, g):
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        x, weight = self.inputs[:2]
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if need_x:
            gx = g2 @ weight
            if g.ndim != 2:
                gx = gx.reshape(*(g.shape[:-1] + (weight.shape[1],)))
        if need_w:
            gw = g2.mT @ (x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
        if need_b:
            gb = g2.sum(dim=0)
        return gx, gw, gb
