"""``Adadelta``: a step sized by the ratio of two moving RMS values (seed 002 §3.7).

With g the gradient at step t (after ``maximize`` and ``weight_decay``) and
decay rho:

    E[g^2]_t = rho * E[g^2]_{t-1} + (1 - rho) * g^2
    delta_t = sqrt(E[dx^2]_{t-1} + eps) / sqrt(E[g^2]_t + eps) * g
    E[dx^2]_t = rho * E[dx^2]_{t-1} + (1 - rho) * delta_t^2
    theta_t = theta_{t-1} - lr * delta_t

Moving averages instead of Adagrad's growing sum, so the effective learning
rate does not decay to zero (seed 002 §3.7); the units of delta match those of theta,
which is why the default ``lr`` is 1.
"""
from ..backend import xp
from .optimizer import Optimizer, _check_non_negative, _check_unit_interval


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (seed 002 §3.7).

    Args:
        params: parameters or parameter groups.
        lr (float): scale of delta before it is applied (default 1.0).
        rho (float): decay of the moving averages (default 0.9).
        eps (float): added inside the square roots (default 1e-6).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        maximize (bool): maximise the objective instead of minimising it.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        _check_non_negative("Adadelta", "learning rate", group["lr"])
        _check_unit_interval("Adadelta", "rho", group["rho"], closed=True)
        _check_non_negative("Adadelta", "epsilon", group["eps"])
        _check_non_negative("Adadelta", "weight_decay", group["weight_decay"])

    def _update_group(self, group):
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        for p, g in self._params_with_grad(group):
            d = p.data
            state = self._state(p, "square_avg", "acc_delta")
            state["step"] += 1
            sq, acc = state["square_avg"].data, state["acc_delta"].data
            g = self._prepare_grad(g, d, float(group["weight_decay"]), group["maximize"])
            w, delta = self._buffer(d, 1), self._buffer(d, 2)
            xp.multiply(g, 1 - rho, out=w)
            xp.multiply(w, g, out=w)
            xp.multiply(sq, rho, out=sq)
            xp.add(sq, w, out=sq)
            xp.sqrt(xp.add(sq, eps, out=w), out=w)
            xp.sqrt(xp.add(acc, eps, out=delta), out=delta)
            xp.divide(delta, w, out=delta)
            xp.multiply(delta, g, out=delta)
            xp.multiply(delta, 1 - rho, out=w)
            xp.multiply(w, delta, out=w)
            xp.multiply(acc, rho, out=acc)
            xp.add(acc, w, out=acc)
            xp.multiply(delta, -lr, out=delta)
            xp.add(d, delta, out=d)
