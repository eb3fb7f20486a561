"""Activation functions as fused kernels (seed 000 §3, seed 002 §2.5).

Each forward saves what its derivative needs, so the backward is one
vectorised expression and large |z| never overflows.
"""
from ..autograd import Function
from ..backend import xp


class Sigmoid(Function):
    """sigma(z) = 1 / (1 + e^-z);  sigma' = sigma (1 - sigma).  Stable for any z."""

    def forward(self, z):
        e = xp.exp(-xp.abs(z))
        self.out = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)


class Tanh(Function):
    """tanh' = 1 - tanh^2."""

    def forward(self, z):
        self.out = xp.tanh(z)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class ReLU(Function):
    """relu(z) = max(0, z);  relu' = 1 for z > 0, else 0."""

    def forward(self, z):
        self.mask = z > 0
        return xp.maximum(z, 0)

    def backward(self, g):
        return g * self.mask
