"""Regularisation penalties as loss terms (seed 002 §3.10): L1 (lasso), L2 (ridge), elastic net.

A penalty is added to the loss, ``loss = criterion(out, y) + lam * l2_penalty(model.parameters())``,
so its gradient flows through backward like any other term. This is not the
same thing as an optimizer's ``weight_decay``:

- ``weight_decay=lam`` in ``SGD``/``Adam`` adds lam * theta to each gradient
  inside the optimizer step; for SGD that equals adding (lam / 2) * l2_penalty
  to the loss (note the 1/2), but the penalty never shows up in the loss value.
- ``AdamW`` decays the weights directly (decoupled from the adaptive scaling),
  which no loss term reproduces.
- L1 and elastic net exist only as loss terms.

See ``docs/regularization.md``. Pass the tensors to penalise, e.g.
``[p for n, p in model.named_parameters() if not n.endswith("bias")]``.
"""
from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from .module import Module


class _Penalty(Function):
    """sum over all tensors of |theta| (order 1) or theta^2 (order 2);  d/dtheta = sign(theta) or 2 theta."""

    def forward(self, *params, order=2):
        self.params, self.order = params, order
        if order == 1:
            total = sum(float(xp.abs(p).sum()) for p in params)
        else:
            total = sum(float(xp.vdot(p.reshape(-1), p.reshape(-1))) for p in params)
        return xp.asarray(total, dtype=params[0].dtype)

    def backward(self, g):
        out = []
        for p, need in zip(self.params, self.needs_input_grad):
            if not need:
                out.append(None)
            elif self.order == 1:
                out.append(g * xp.sign(p))
            else:
                out.append((2 * g) * p)
        return tuple(out)


def _tensors(name, params):
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Tensor):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError(f"{name}: expected at least one tensor to penalise, got none")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: expected tensors (or a Module), item {i} is {type(p).__name__}")
        if p.data.dtype.kind != "f":
            raise TypeError(f"{name}: item {i} has dtype {p.data.dtype}; penalties apply to floating point tensors")
    return params


def l1_penalty(params):
    """L1 (lasso) term sum_i |theta_i| (seed 002 §3.10); multiply by lambda. Pushes weights to exactly zero."""
    return _Penalty.apply(*_tensors("l1_penalty", params), order=1)


def l2_penalty(params):
    """L2 (ridge) term sum_i theta_i^2 (seed 002 §3.10), without a 1/2; multiply by lambda."""
    return _Penalty.apply(*_tensors("l2_penalty", params), order=2)


def elastic_net_penalty(params, l1_ratio=0.5):
    """Elastic net l1_ratio * sum |theta| + (1 - l1_ratio) * sum theta^2 (seed 002 §3.10); multiply by lambda.

    The notes' lambda_1 sum|theta| + lambda_2 sum theta^2 is
    ``lam * elastic_net_penalty(params, l1_ratio)`` with lambda_1 = lam * l1_ratio
    and lambda_2 = lam * (1 - l1_ratio).
    """
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"elastic_net_penalty: l1_ratio must be in [0, 1], got {l1_ratio}")
    params = _tensors("elastic_net_penalty", params)
    return l1_penalty(params) * l1_ratio + l2_penalty(params) * (1.0 - l1_ratio)
