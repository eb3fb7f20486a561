"""Loss functions as fused kernels (seed 002 §3.4; seed 000 §2-§3).

Each loss is one :class:`Function` that computes the per-element loss and
its reduction ('mean', 'sum' or 'none') in forward, and writes dL/d(input)
directly in backward. The best-known case is softmax followed by
cross-entropy: the Jacobian of softmax collapses, and dL/dz = softmax(z) -
onehot(y) (seed 000 §3), so the logits' gradient is one subtraction.

``backward_graph`` (``create_graph=True``) writes the same gradient with tensor
operations, e.g. (softmax(z) - onehot(y)) g with a differentiable softmax.

The ``functional`` forms below validate their arguments and raise errors
that name the loss and the shapes involved.
"""

from ..autograd import Function, constant
from ..backend import xp
from .activation import _sigmoid

REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.size else xp.asarray(xp.nan, dtype=loss.dtype)
    if reduction == "sum":
        return loss.sum()
    return loss


def _grad_scale(g, reduction, n):
    """dL/d(per-element loss): g itself for 'none' and 'sum', g / n for 'mean'."""
    if reduction == "mean":
        return g / n
    return g


def _class_last(x):
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C); (N, C) stays."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_back(g2, shape):
    """Inverse of :func:`_class_last` for a gradient."""
    if len(shape) == 2:
        return g2
    if len(shape) == 1:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(g2.reshape(moved), -1, 1)


def _class_last_graph(x):
    """:func:`_class_last` for a tensor in the graph."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    return x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


def _class_back_graph(g2, shape):
    """:func:`_class_back` for a tensor in the graph."""
    if len(shape) == 2:
        return g2
    if len(shape) == 1:
        return g2.reshape(*shape)
    n = len(shape)
    return g2.reshape(shape[0], *shape[2:], shape[1]).permute(0, n - 1, *range(1, n - 1))


def _row_scale_graph(g, reduction, n):
    """dL/d(per-sample loss) as a column tensor: g per sample ('none'), g / n ('mean') or g ('sum')."""
    if reduction == "none":
        return g.reshape(-1, 1)
    if reduction == "mean":
        return g / n if n else g * 0
    return g


def _log_softmax_rows(z):
    """Row-wise log softmax and softmax of a 2-d array, stable for any |z|."""
    shifted = z - z.max(axis=1, keepdims=True)
    e = xp.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    logp = shifted - xp.log(s)
    e /= s
    return logp, e


class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood over class dim 1 (seed 002 §3.4, seed 000 §3).

    With class indices y, the smoothed per-sample loss is
        l_i = (1 - eps) w[y_i] (-log p_{i,y_i}) + (eps / C) sum_c w_c (-log p_{i,c}),
    zero where y_i == ignore_index; 'mean' divides by sum_i w[y_i] over the
    kept samples (PyTorch's convention). With class probabilities t the loss
    is -sum_c w_c t'_{ic} log p_{ic}, t' = (1 - eps) t + eps / C, and 'mean'
    divides by the number of samples. Writing l_i = -sum_c a_{ic} log p_{ic},
    dl_i/dz_i = p_i sum_c a_{ic} - a_i, which is p - onehot(y) in the plain case.
    """

    def forward(self, z, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0,
                probabilities=False):
        self.shape = z.shape
        C = z.shape[1] if z.ndim > 1 else z.shape[0]
        logp, p = _log_softmax_rows(_class_last(z))
        self.p, self.weight, self.eps, self.reduction = p, weight, label_smoothing, reduction
        eps = label_smoothing
        batch_shape = (z.shape[0],) + tuple(z.shape[2:]) if z.ndim > 1 else ()
        self.probabilities = probabilities
        if probabilities:
            t = _class_last(target)
            if eps:
                t = t * (1 - eps) + eps / C
            a = t * weight if weight is not None else t
            self.a, self.logp = a, logp
            loss = -(a * logp).sum(axis=1)
            self.n = loss.shape[0]
            return _reduce(loss.reshape(batch_shape), reduction)
        y = target.reshape(-1)
        M = y.shape[0]
        rows = xp.arange(M)
        valid = y != ignore_index
        all_valid = bool(valid.all())
        ysafe = y if all_valid else xp.where(valid, y, 0)
        picked = logp[rows, ysafe]
        wy = weight[ysafe] if weight is not None else None
        loss = -picked if wy is None else -(wy * picked)
        if eps:
            loss = loss * (1 - eps)
            smooth = -(logp * weight).sum(axis=1) if weight is not None else -logp.sum(axis=1)
            loss = loss + smooth * (eps / C)
        if not all_valid:
            loss = xp.where(valid, loss, 0)
        if reduction == "mean":
            if wy is None:
                denom = int(valid.sum())
            else:
                denom = float((wy * valid).sum()) if not all_valid else float(wy.sum())
            self.n = denom
            out = loss.sum() / denom if denom else xp.asarray(xp.nan, dtype=z.dtype)
        else:
            self.n = 1
            out = _reduce(loss, reduction)
            if reduction == "none":
                out = out.reshape(batch_shape)
        self.rows, self.ysafe, self.valid, self.all_valid, self.wy = rows, ysafe, valid, all_valid, wy
        return out

    def backward(self, g):
        reduction = self.reduction
        if reduction == "none":
            gr = g.reshape(-1, 1)
        else:
            gr = (g / self.n if self.n else g * 0) if reduction == "mean" else g
        p, weight, eps = self.p, self.weight, self.eps
        C = p.shape[1]
        gz = gt = None
        if self.probabilities:
            a = self.a
            if self.needs_input_grad[0]:
                gz = (p * a.sum(axis=1, keepdims=True) - a) * gr
            if self.needs_input_grad[1]:
                w = (1 - eps) if weight is None else weight * (1 - eps)
                gt = _class_back(-(self.logp * w) * gr, self.shape)
            return (_class_back(gz, self.shape) if gz is not None else None), gt
        if not self.needs_input_grad[0]:
            return None, None
        rows, y, wy = self.rows, self.ysafe, self.wy
        if not self.all_valid:
            gr = gr * self.valid.reshape(-1, 1) if reduction == "none" else self.valid.reshape(-1, 1) * gr
        if weight is None and not eps:
            gz = p * gr
            gz[rows, y] -= gr[:, 0] if getattr(gr, "ndim", 0) == 2 else gr
            return _class_back(gz, self.shape), None
        gcol = xp.broadcast_to(gr, (p.shape[0], 1)).astype(p.dtype, copy=False)
        w_y = wy if wy is not None else 1
        wsum = float(weight.sum()) if weight is not None else C
        rowsum = (1 - eps) * w_y + (eps / C) * wsum
        if wy is None:
            gz = p * (gcol * rowsum)
        else:
            gz = p * (gcol * rowsum.reshape(-1, 1))
        if eps:
            gz -= (eps / C) * (weight if weight is not None else 1) * gcol
        hit = (1 - eps) * (wy if wy is not None else 1) * gcol[:, 0]
        gz[rows, y] -= hit
        return _class_back(gz, self.shape), None

    def backward_graph(self, g):
        """dl_i/dz_i = p_i sum_c a_ic - a_i with a differentiable p = softmax(z); a is constant for
        class indices and a function of the target tensor for class probabilities."""
        from .activation import LogSoftmax, Softmax
        z, target = self.inputs[:2]
        need_z, need_t = self.needs_input_grad[:2]
        gr = _row_scale_graph(g, self.reduction, self.n)
        z2 = _class_last_graph(z)
        weight, eps = self.weight, self.eps
        C = z2.shape[1]
        if self.probabilities:
            a = _class_last_graph(target)
            if eps:
                a = a * (1 - eps) + eps / C
            if weight is not None:
                a = a * constant(weight)
        else:
            onehot = xp.zeros(z2.shape, dtype=z.dtype)
            onehot[self.rows, self.ysafe] = 1
            a = (1 - eps) * onehot * (self.wy.reshape(-1, 1) if self.wy is not None else 1)
            if eps:
                a += (eps / C) * (weight if weight is not None else 1)
            if not self.all_valid:
                a *= self.valid.reshape(-1, 1)
            a = constant(a)
        gz = gt = None
        if need_z:
            gz = _class_back_graph((Softmax.apply(z2, dim=1) * a.sum(dim=1, keepdim=True) - a) * gr, self.shape)
        if need_t:
            w = (1 - eps) if weight is None else constant(weight * (1 - eps))
            gt = _class_back_graph(-(LogSoftmax.apply(z2, dim=1) * w) * gr, self.shape)
        return gz, gt


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities x: l_i = -w[y_i] x_{i, y_i} (seed 002 §3.4).

    'mean' divides by sum_i w[y_i] over samples whose target is not ignore_index.
    """

    def forward(self, x, target, weight=None, ignore_index=-100, reduction="mean"):
        self.shape, self.dtype, self.reduction = x.shape, x.dtype, reduction
        x2 = _class_last(x)
        batch_shape = (x.shape[0],) + tuple(x.shape[2:]) if x.ndim > 1 else ()
        y = target.reshape(-1)
        rows = xp.arange(y.shape[0])
        valid = y != ignore_index
        ysafe = xp.where(valid, y, 0)
        coef = valid.astype(x.dtype)
        if weight is not None:
            coef = coef * weight[ysafe]
        loss = -(coef * x2[rows, ysafe])
        self.rows, self.ysafe, self.coef = rows, ysafe, coef
        if reduction == "mean":
            self.n = float(coef.sum())
            return loss.sum() / self.n if self.n else xp.asarray(xp.nan, dtype=x.dtype)
        self.n = 1
        out = _reduce(loss, reduction)
        return out.reshape(batch_shape) if reduction == "none" else out

    def backward(self, g):
        gr = g.reshape(-1) if self.reduction == "none" else _grad_scale(g, self.reduction, self.n or 1)
        g2 = xp.zeros((self.rows.shape[0], self.shape[1] if len(self.shape) > 1 else self.shape[0]), dtype=self.dtype)
        g2[self.rows, self.ysafe] = -self.coef * gr
        return _class_back(g2, self.shape), None

    def backward_graph(self, g):
        gr = _row_scale_graph(g, self.reduction, self.n or 1)
        m = xp.zeros((self.rows.shape[0], self.shape[1] if len(self.shape) > 1 else self.shape[0]), dtype=self.dtype)
        m[self.rows, self.ysafe] = -self.coef
        return _class_back_graph(constant(m) * gr, self.shape), None


class MSELoss(Function):
    """Mean squared error (seed 002 §3.4): (x - y)^2;  d/dx = 2 (x - y), d/dy = -2 (x - y)."""

    def forward(self, x, y, reduction="mean"):
        self.diff = x - y
        self.reduction = reduction
        return _reduce(self.diff * self.diff, reduction)

    def backward(self, g):
        gx = _grad_scale(g, self.reduction, self.diff.size) * 2 * self.diff
        return (gx if self.needs_input_grad[0] else None), (-gx if self.needs_input_grad[1] else None)

    def backward_graph(self, g):
        x, y = self.inputs
        gx = _grad_scale(g, self.reduction, self.diff.size) * 2 * (x - y)
        return (gx if self.needs_input_grad[0] else None), (-gx if self.needs_input_grad[1] else None)


class L1Loss(Function):
    """Mean absolute error (seed 002 §3.4): |x - y|;  d/dx = sign(x - y) (0 where x == y)."""

    def forward(self, x, y, reduction="mean"):
        self.sign = xp.sign(x - y)
        self.reduction = reduction
        return _reduce(xp.abs(x - y), reduction)

    def backward(self, g):
        gx = _grad_scale(g, self.reduction, self.sign.size) * self.sign
        return (gx if self.needs_input_grad[0] else None), (-gx if self.needs_input_grad[1] else None)

    def backward_graph(self, g):
        gx = _grad_scale(g, self.reduction, self.sign.size) * constant(self.sign)
        return (gx if self.needs_input_grad[0] else None), (-gx if self.needs_input_grad[1] else None)


class BinaryCrossEntropy(Function):
    """BCE on probabilities (seed 002 §3.4): -w [y log x + (1 - y) log(1 - x)].

    As PyTorch does, each log is clamped at -100 so x = 0 or 1 gives a finite
    loss, and the derivative w (x - y) / (x (1 - x)) uses x (1 - x) >= 1e-12.
    """

    def forward(self, x, y, weight=None, reduction="mean"):
        with xp.errstate(divide="ignore"):
            logx = xp.maximum(xp.log(x), -100)
            log1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * logx + (1 - y) * log1mx)
        if weight is not None:
            loss = loss * weight
        self.x, self.y, self.w, self.reduction = x, y, weight, reduction
        self.logx, self.log1mx = logx, log1mx
        return _reduce(loss, reduction)

    def backward(self, g):
        gs = _grad_scale(g, self.reduction, self.x.size)
        if self.w is not None:
            gs = gs * self.w
        gx = gy = None
        if self.needs_input_grad[0]:
            x = self.x
            gx = gs * (x - self.y) / xp.maximum(x * (1 - x), 1e-12)
        if self.needs_input_grad[1]:
            gy = gs * (self.log1mx - self.logx)
        return gx, gy


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid + BCE fused, stable for any logit z (seed 002 §3.4).

    l = w [(1 - y) z + (1 + (q - 1) y) softplus(-z)] with q = pos_weight, where
    softplus(-z) = max(-z, 0) + log1p(e^-|z|) never overflows.
    dl/dz = w [(1 - y) - (1 + (q - 1) y) sigma(-z)]  (= w (sigma(z) - y) when q = 1);
    dl/dy = w [-z + (q - 1) softplus(-z)].
    """

    def forward(self, z, y, weight=None, pos_weight=None, reduction="mean"):
        sp = xp.maximum(-z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        lw = 1 + (pos_weight - 1) * y if pos_weight is not None else None
        loss = (1 - y) * z + (sp if lw is None else lw * sp)
        if weight is not None:
            loss = loss * weight
        self.z, self.y, self.sp, self.lw = z, y, sp, lw
        self.w, self.pw, self.reduction = weight, pos_weight, reduction
        return _reduce(loss, reduction)

    def backward(self, g):
        gs = _grad_scale(g, self.reduction, self.z.size)
        if self.w is not None:
            gs = gs * self.w
        gz = gy = None
        if self.needs_input_grad[0]:
            sig_neg = _sigmoid(-self.z)
            lw = 1 if self.lw is None else self.lw
            gz = gs * ((1 - self.y) - lw * sig_neg)
        if self.needs_input_grad[1]:
            d = -self.z if self.pw is None else -self.z + (self.pw - 1) * self.sp
            gy = gs * d
        return gz, gy

    def backward_graph(self, g):
        from .activation import Softplus
        z, y = self.inputs
        gs = _grad_scale(g, self.reduction, self.z.size)
        if self.w is not None:
            gs = gs * constant(self.w)
        gz = gy = None
        if self.needs_input_grad[0]:
            lw = 1 if self.pw is None else 1 + constant(self.pw - 1) * y
            gz = gs * ((1 - y) - lw * (-z).sigmoid())
        if self.needs_input_grad[1]:
            gy = gs * (-z if self.pw is None else -z + constant(self.pw - 1) * Softplus.apply(-z))
        return gz, gy


class KLDiv(Function):
    """Kullback-Leibler divergence with log-probability input x (seed 002 §3.12).

    Pointwise, log_target=False: y (log y - x), taken as 0 where y = 0;
    log_target=True: e^y (y - x). 'batchmean' divides the sum by the batch size.
    """

    def forward(self, x, y, reduction="mean", log_target=False):
        if log_target:
            ey = xp.exp(y)
            loss = ey * (y - x)
            self.ey = ey
        else:
            pos = y > 0
            logy = xp.log(xp.where(pos, y, 1))
            loss = xp.where(pos, y * (logy - x), 0)
            self.logy = logy
        self.x, self.y, self.log_target, self.reduction = x, y, log_target, reduction
        if reduction == "batchmean":
            self.n = x.shape[0] if x.ndim else 1
            return loss.sum() / self.n
        self.n = loss.size
        return _reduce(loss, reduction)

    def backward(self, g):
        gs = g / self.n if self.reduction in ("mean", "batchmean") else g
        gx = gy = None
        if self.log_target:
            if self.needs_input_grad[0]:
                gx = -gs * self.ey
            if self.needs_input_grad[1]:
                gy = gs * self.ey * (self.y - self.x + 1)
        else:
            if self.needs_input_grad[0]:
                gx = -gs * self.y
            if self.needs_input_grad[1]:
                gy = gs * (self.logy + 1 - self.x)
        return gx, gy

    def backward_graph(self, g):
        x, y = self.inputs
        gs = g / self.n if self.reduction in ("mean", "batchmean") else g
        gx = gy = None
        if self.log_target:
            ey = y.exp()
            if self.needs_input_grad[0]:
                gx = -gs * ey
            if self.needs_input_grad[1]:
                gy = gs * ey * (y - x + 1)
        else:
            if self.needs_input_grad[0]:
                gx = -gs * y
            if self.needs_input_grad[1]:
                pos = constant((self.y > 0).astype(self.x.dtype))
                gy = gs * ((y * pos + (1 - pos)).log() + 1 - x)
        return gx, gy


# ------------------------------------------------------------------ functional forms
def _tensor(x):
    from ..tensor import Tensor
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_reduction(name, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(repr(r) for r in allowed)}, got {reduction!r}")


def _check_input(name, input):
    from ..tensor import Tensor
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"{name}: input must be a floating point tensor, got dtype {input.data.dtype}")


def _same_shape(name, input, target):
    target = _tensor(target)
    if target.data.dtype.kind not in "fc":
        raise TypeError(
            f"{name}: target must be a floating point tensor like the input, got dtype {target.data.dtype} "
            f"(convert it with .float())"
        )
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}: target shape {tuple(target.shape)} differs from input shape {tuple(input.shape)}; "
            f"they must be equal (reshape one of them)"
        )
    if target.data.dtype != input.data.dtype:
        target = target.to(input.data.dtype)
    return target


def _class_weight(name, weight, C, dtype):
    if weight is None:
        return None
    w = _tensor(weight).data
    if w.shape != (C,):
        raise ValueError(f"{name}: weight must have shape ({C},), one entry per class, got {tuple(w.shape)}")
    return w.astype(dtype, copy=False)


def _class_targets(name, input, target, ignore_index, allow_probabilities):
    """Check class-index (or class-probability) targets for (N, C, d1, ...) or (C,) input."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    target = _tensor(target)
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    batch = (input.shape[0],) + tuple(input.shape[2:]) if input.ndim > 1 else ()
    kind = target.data.dtype.kind
    if kind == "f" and allow_probabilities:
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"{name}: got a floating point target of shape {tuple(target.shape)} for input of shape "
                f"{tuple(input.shape)}. Class indices must be an integer tensor (use .long()) of shape {batch}; "
                f"class probabilities must have the input's shape {tuple(input.shape)}"
            )
        return target.to(input.data.dtype) if target.data.dtype != input.data.dtype else target, True
    if kind not in "iu":
        raise TypeError(
            f"{name}: class indices must be an integer tensor (use .long()), got dtype {target.data.dtype}"
        )
    if tuple(target.shape) != batch:
        raise ValueError(
            f"{name}: input of shape {tuple(input.shape)} (classes on dim 1) needs a target of shape {batch}, "
            f"got {tuple(target.shape)}"
        )
    y = target.data
    bad = (y != ignore_index) & ((y < 0) | (y >= C))
    if bad.any():
        raise ValueError(
            f"{name}: target {int(y[bad].reshape(-1)[0])} is out of bounds; class indices must lie in "
            f"[0, {C - 1}] for {C} classes (or equal ignore_index={ignore_index})"
        )
    return target, False


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...) or (C,) (seed 002 §3.4, seed 000 §3).

    ``target`` holds class indices (integer, shape (N, d1, ...)) or class
    probabilities (float, the input's shape). One fused kernel: its backward
    is softmax(z) - onehot(y), scaled by weights and smoothing.
    """
    name = "cross_entropy"
    _check_input(name, input)
    _check_reduction(name, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target, probs = _class_targets(name, input, target, ignore_index, allow_probabilities=True)
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = _class_weight(name, weight, C, input.data.dtype)
    return CrossEntropy.apply(input, target if probs else target.data, weight=w, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=float(label_smoothing), probabilities=probs)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C, d1, ...) with class-index targets (seed 002 §3.4)."""
    name = "nll_loss"
    _check_input(name, input)
    _check_reduction(name, reduction)
    target, _ = _class_targets(name, input, target, ignore_index, allow_probabilities=False)
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = _class_weight(name, weight, C, input.data.dtype)
    return NLLLoss.apply(input, target.data, weight=w, ignore_index=ignore_index, reduction=reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error (seed 002 §3.4)."""
    _check_input("mse_loss", input)
    _check_reduction("mse_loss", reduction)
    return MSELoss.apply(input, _same_shape("mse_loss", input, target), reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error, MAE (seed 002 §3.4)."""
    _check_input("l1_loss", input)
    _check_reduction("l1_loss", reduction)
    return L1Loss.apply(input, _same_shape("l1_loss", input, target), reduction=reduction)


def _broadcast_weight(name, what, weight, shape, dtype):
    if weight is None:
        return None
    w = _tensor(weight).data
    try:
        ok = xp.broadcast_shapes(w.shape, tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{name}: {what} of shape {tuple(w.shape)} does not broadcast to the input shape {tuple(shape)}")
    return w.astype(dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities in [0, 1] (seed 002 §3.4)."""
    name = "binary_cross_entropy"
    _check_input(name, input)
    _check_reduction(name, reduction)
    target = _same_shape(name, input, target)
    x = input.data
    if x.size and (x.min() < 0 or x.max() > 1 or xp.isnan(x).any()):
        raise ValueError(
            f"{name}: all elements of input should be probabilities in [0, 1], got values in "
            f"[{float(xp.nanmin(x))}, {float(xp.nanmax(x))}]; for logits use binary_cross_entropy_with_logits"
        )
    w = _broadcast_weight(name, "weight", weight, input.shape, x.dtype)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable kernel; ``pos_weight`` weighs positives per class."""
    name = "binary_cross_entropy_with_logits"
    _check_input(name, input)
    _check_reduction(name, reduction)
    target = _same_shape(name, input, target)
    w = _broadcast_weight(name, "weight", weight, input.shape, input.data.dtype)
    pw = _broadcast_weight(name, "pos_weight", pos_weight, input.shape, input.data.dtype)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=w, pos_weight=pw, reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) with log-probability ``input`` (seed 002 §3.12).

    As in PyTorch, 'mean' averages over every element; 'batchmean' (sum / batch
    size) is the value that matches the mathematical definition of KL.
    """
    name = "kl_div"
    _check_input(name, input)
    _check_reduction(name, reduction, REDUCTIONS + ("batchmean",))
    return KLDiv.apply(input, _same_shape(name, input, target), reduction=reduction, log_target=bool(log_target))


def distillation_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.5, reduction="mean"):
    """Knowledge distillation loss (seed 002 §3.12; Hinton et al., 2015).

        alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, labels)

    The soft term compares the teacher's and the student's distributions
    softened by temperature T (KL with 'batchmean', the true per-sample mean).
    Its gradient with respect to the logits scales as 1/T^2, so the T^2 factor
    keeps the soft and hard terms on the same scale whatever T is. The teacher's
    logits are constants: they are detached, no gradient flows to the teacher.
    """
    from .activation import log_softmax
    name = "distillation_loss"
    _check_input(name, student_logits)
    _check_input(name, teacher_logits)
    if tuple(student_logits.shape) != tuple(teacher_logits.shape):
        raise ValueError(
            f"{name}: student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} must have the same shape"
        )
    if not T > 0:
        raise ValueError(f"{name}: temperature T must be positive, got {T}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"{name}: alpha must be in [0, 1], got {alpha}")
    if reduction != "mean":
        raise ValueError(f"{name}: only reduction='mean' is supported, got {reduction!r}")
    dim = 1 if student_logits.ndim > 1 else 0
    log_s = log_softmax(student_logits * (1.0 / T), dim=dim)
    log_t = log_softmax(teacher_logits.detach() * (1.0 / T), dim=dim)
    soft = kl_div(log_s, log_t, reduction="batchmean", log_target=True)
    if alpha == 1.0:
        return soft * (T * T)
    hard = cross_entropy(student_logits, labels)
    return soft * (alpha * T * T) + hard * (1 - alpha)
