"""The classic perceptron (seed 002 §2.1; seed 001, y = sign(w^T x); seed 004, XOR).

One neuron with a step activation, y = u(b + w . x), trained not by
backpropagation (the step has zero derivative) but by Rosenblatt's rule,
sample after sample:

    w <- w + eta (y - y_hat) x,    b <- b + eta (y - y_hat).

It converges whenever the classes are linearly separable (AND, OR) and never
on XOR, which no single line separates (Minsky and Papert; seed 004).
"""
from ..autograd import no_grad
from ..backend import xp
from ..creation import zeros
from ..ops.activation import step as _step
from ..ops.linear import Linear as _LinearFn
from ..tensor import Tensor
from ._checks import check_int
from .module import Module
from .parameter import Parameter


class Perceptron(Module):
    """y = step(x W^T + b) with ``weight`` (out_features, in_features) and ``bias`` (out_features,), both
    starting at zero; learns with :meth:`step` (one pass of the perceptron rule) or :meth:`fit`."""

    def __init__(self, in_features, out_features=1, lr=1.0, dtype=None):
        super().__init__()
        check_int("Perceptron", "in_features", in_features)
        check_int("Perceptron", "out_features", out_features)
        if not lr > 0:
            raise ValueError(f"Perceptron: learning rate lr must be positive, got {lr}")
        self.in_features, self.out_features, self.lr = in_features, out_features, lr
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype))
        self.bias = Parameter(zeros(out_features, dtype=dtype))

    def reset_parameters(self):
        self.weight.data[...] = 0
        self.bias.data[...] = 0

    def _check(self, x):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Perceptron(in_features={self.in_features}): expected input of shape (N, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )

    def forward(self, x):
        """The step of the affine map, 1 where b + w . x >= 0 else 0 (shape (N, out_features))."""
        self._check(x)
        return _step(_LinearFn.apply(x, self.weight, self.bias))

    def _targets(self, x, target):
        t = target.data if isinstance(target, Tensor) else xp.asarray(target)
        t = t.reshape(len(t), -1) if t.ndim == 1 else t
        if t.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"Perceptron: targets must have shape ({x.shape[0]},) or ({x.shape[0]}, {self.out_features}), "
                f"got {tuple(t.shape)}"
            )
        if not xp.isin(t, (0, 1)).all():
            raise ValueError("Perceptron: targets must be 0 or 1 (the step function's outputs)")
        return t.astype(self.weight.data.dtype)

    def step(self, x, target, lr=None):
        """One pass of the perceptron rule over the samples, in order; returns the number of mistakes.

        The loop over samples is the algorithm itself: each update changes
        the prediction for the next sample.
        """
        x = x if isinstance(x, Tensor) else Tensor(x)
        self._check(x)
        t = self._targets(x, target)
        eta = self.lr if lr is None else lr
        W, b = self.weight.data, self.bias.data
        X = x.data.astype(W.dtype, copy=False)
        mistakes = 0
        with no_grad():
            for i in range(X.shape[0]):
                y_hat = (X[i] @ W.T + b >= 0).astype(W.dtype)
                err = t[i] - y_hat
                if err.any():
                    mistakes += 1
                    W += eta * err[:, None] * X[i][None, :]
                    b += eta * err
        return mistakes

    def fit(self, x, target, epochs=100, lr=None):
        """Repeat :meth:`step` until an epoch makes no mistake or ``epochs`` run out.

        Returns the list of mistakes per epoch; ``self.converged_`` tells
        whether the last epoch was error free (never for XOR).
        """
        history = []
        for _ in range(epochs):
            history.append(self.step(x, target, lr))
            if history[-1] == 0:
                break
        self.converged_ = bool(history) and history[-1] == 0
        return history

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, lr={self.lr}"
