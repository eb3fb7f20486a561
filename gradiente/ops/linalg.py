"""Matrix product, batched and broadcast like ``torch.matmul`` (z = W a + b, seed 000 §1)."""
from ..autograd import Function, unbroadcast
from ..backend import xp


class MatMul(Function):
    """C = A B;  dL/dA = dL/dC B^T,  dL/dB = A^T dL/dC (seed 000 §2, eq. 4)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        na, nb = self.needs_input_grad
        ga = gb = None
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if na:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = ga.reshape(ga.shape[:-2] + (a.shape[-1],)) if a.ndim == 1 else ga
            ga = unbroadcast(ga, a.shape)
        if nb:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = gb.reshape(gb.shape[:-2] + (b.shape[0],)) if b.ndim == 1 else gb
            gb = unbroadcast(gb, b.shape)
        return ga, gb
