"""``RMSprop``: divide the gradient by a moving root mean square of past gradients (seed 002 §3.7).

With g the gradient at step t (after ``maximize`` and ``weight_decay``):

    v_t = alpha * v_{t-1} + (1 - alpha) * g^2
    centered:  gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g,  v~_t = v_t - gbar_t^2
    otherwise: v~_t = v_t
    with momentum mu > 0:  b_t = mu * b_{t-1} + g / (sqrt(v~_t) + eps),  theta_t = theta_{t-1} - lr * b_t
    otherwise:             theta_t = theta_{t-1} - lr * g / (sqrt(v~_t) + eps)

The moving average (instead of Adagrad's sum) keeps the effective learning
rate from decaying over training (seed 002 §3.7). ``centered`` normalises by
an estimate of the gradient's variance instead of its raw second moment.
"""
from ..backend import xp
from ..tensor import Tensor
from .optimizer import Optimizer, _check_non_negative


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (seed 002 §3.7).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-2).
        alpha (float): decay of the moving average of squared gradients (default 0.99).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        momentum (float): momentum factor (default 0).
        centered (bool): normalise by the estimated variance of the gradient (default False).
        maximize (bool): maximise the objective instead of minimising it.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        _check_non_negative("RMSprop", "learning rate", group["lr"])
        for key in ("eps", "momentum", "weight_decay", "alpha"):
            _check_non_negative("RMSprop", "epsilon" if key == "eps" else key, group[key])

    def _update_group(self, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        mu, centered = float(group["momentum"]), group["centered"]
        for p, g in self._params_with_grad(group):
            d = p.data
            state = self._state(p, "square_avg")
            if mu > 0 and state.get("momentum_buffer") is None:
                state["momentum_buffer"] = Tensor(xp.zeros_like(d))
            if centered and state.get("grad_avg") is None:
                state["grad_avg"] = Tensor(xp.zeros_like(d))
            state["step"] += 1
            sq = state["square_avg"].data
            g = self._prepare_grad(g, d, float(group["weight_decay"]), group["maximize"])
            w = self._buffer(d, 1)
            xp.multiply(g, 1 - alpha, out=w)
            xp.multiply(w, g, out=w)
            xp.multiply(sq, alpha, out=sq)
            xp.add(sq, w, out=sq)
            if centered:
                ga = state["grad_avg"].data
                xp.subtract(g, ga, out=w)
                xp.multiply(w, 1 - alpha, out=w)
                xp.add(ga, w, out=ga)
                xp.multiply(ga, ga, out=w)
                xp.subtract(sq, w, out=w)
                xp.sqrt(w, out=w)
            else:
                xp.sqrt(sq, out=w)
            xp.add(w, eps, out=w)
            xp.divide(g, w, out=w)
            if mu > 0:
                buf = state["momentum_buffer"].data
                xp.multiply(buf, mu, out=buf)
                xp.add(buf, w, out=buf)
                xp.multiply(buf, -lr, out=w)
            else:
                xp.multiply(w, -lr, out=w)
            xp.add(d, w, out=d)
