"""Matrix product, batched and broadcast like ``torch.matmul`` (z = W a + b, seed 000 §1)."""
from ..autograd import Function, sum_to, unbroadcast
from ..backend import xp


class MatMul(Function):
    """C = A B;  dL/dA = dL/dC B^T,  dL/dB = A^T dL/dC (seed 000 §2, eq. 4).

    1-D operands are promoted to a row (A) or a column (B) vector for the
    product and the added axis is dropped from the gradient again; batch
    dimensions broadcast, and their gradients are summed back by ``unbroadcast``.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if na else None), (a.T @ g if nb else None)
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * b if na else None), (g * a if nb else None)
        a2, b2, g2 = a, b, g
        if a.ndim == 1:
            a2, g2 = a[None, :], g2[..., None, :]
        if b.ndim == 1:
            b2, g2 = b[:, None], g2[..., None]
        ga = gb = None
        if na:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
            ga = unbroadcast(ga, a.shape)
        if nb:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:
                gb = gb[..., 0]
            gb = unbroadcast(gb, b.shape)
        return ga, gb

    def backward_graph(self, g):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.mT if na else None), (a.mT @ g if nb else None)
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if na else None), (g * a if nb else None)
        a2, b2, g2 = a, b, g
        if a.ndim == 1:
            a2, g2 = a.unsqueeze(0), g2.unsqueeze(-2)
        if b.ndim == 1:
            b2, g2 = b.unsqueeze(1), g2.unsqueeze(-1)
        ga = gb = None
        if na:
            ga = g2 @ b2.mT
            if a.ndim == 1:
                ga = ga.squeeze(-2)
            ga = sum_to(ga, a.data.shape)
        if nb:
            gb = a2.mT @ g2
            if b.ndim == 1:
                gb = gb.squeeze(-1)
            gb = sum_to(gb, b.data.shape)
        return ga, gb
