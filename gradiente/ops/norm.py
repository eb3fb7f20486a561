"""Layer and batch normalisation as fused kernels (seed 002 §2.8).

Both compute x_hat = (x - mu) / sqrt(sigma^2 + eps), y = gamma x_hat + beta,
with the (biased) mean and variance taken over the normalised axes. The
backward is written out once instead of through a dozen primitive nodes:

    dL/dx = (1 / sigma) [g' - mean(g') - x_hat mean(g' x_hat)],  g' = gamma dL/dy,

the means taken over the same axes; dL/dgamma = sum g x_hat and dL/dbeta =
sum g over the other axes. In evaluation, batch norm uses fixed running
statistics, so dL/dx = g' / sigma.
"""
from ..autograd import Function
from ..backend import xp
from ..parallel import parallel_blocks


def _normalize_backward(g, xhat, rstd, gamma, axes, batch_stats):
    gh = g * gamma if gamma is not None else g
    if not batch_stats:
        return gh * rstd
    return rstd * (gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True))


def _row_sums(a, b=None):
    """Sum of each row of a 2-D array (of a * b when b is given); einsum is several times faster than
    ``sum(axis=1)`` on rows of a few hundred floats."""
    return xp.einsum("ij->i", a) if b is None else xp.einsum("ij,ij->i", a, b)


_BLOCK = 1 << 16  # elements per block of rows: a block's arrays (256 KB each in float32) stay in the L2 cache


def _row_blocks(M, H, work):
    """Run ``work(rows)`` over slices of cache-sized blocks of rows, the blocks shared among threads."""
    parallel_blocks(M, max(1, _BLOCK // max(H, 1)), work, grain=(1 << 16) // max(H, 1))


class LayerNorm(Function):
    """Layer norm over the last ``ndim`` axes of each sample (seed 002 §2.8, mu_L and sigma_L^2).

    The input is seen as M rows of H features and processed in cache-sized blocks
    of rows (on several threads for large inputs): the row statistics are einsum
    reductions and every other step one elementwise pass on cached memory.
    ``residual`` (same shape as ``x``) normalises x + residual, the post-norm
    sublayer's LayerNorm(x + Sublayer(x)) of seed 002 §4.8, the sum made block by
    block in cache instead of as a separate pass; both inputs get the same gradient.
    """

    def forward(self, x, weight=None, bias=None, residual=None, ndim=1, eps=1e-5):
        shape = x.shape
        H = 1
        for n in shape[x.ndim - ndim:]:
            H *= n
        x2 = x.reshape(-1, H)
        M = x2.shape[0]
        w = None if weight is None else weight.reshape(-1)
        b = None if bias is None else bias.reshape(-1)
        out = xp.empty_like(x2)
        needs = self.needs_input_grad
        xhat = xp.empty_like(x2) if any(needs[:2] + needs[3:]) else out  # x_hat is kept for backward only
        rstd = xp.empty((M, 1), dtype=x2.dtype)

        r2 = None if residual is None else residual.reshape(-1, H)

        def work(rows):
            xs, xc, o, r = x2[rows], xhat[rows], out[rows], rstd[rows, 0]
            if r2 is not None:
                xs = xp.add(xs, r2[rows], out=xc)
            mean = _row_sums(xs)
            mean *= 1 / H
            xp.subtract(xs, mean[:, None], out=xc)
            xp.einsum("ij,ij->i", xc, xc, out=r)
            r *= 1 / H
            r += eps
            xp.sqrt(r, out=r)
            xp.reciprocal(r, out=r)
            xc *= r[:, None]
            if w is not None:
                xp.multiply(xc, w, out=o)
            elif xhat is not out:
                o[...] = xc
            if b is not None:
                o += b

        _row_blocks(M, H, work)
        self.xhat = None if xhat is out else xhat
        self.rstd, self.shape, self.H, self.w = rstd, shape, H, w
        self.has_bias = bias is not None
        self.has_residual = residual is not None
        self.wshape = None if weight is None else weight.shape
        self.bshape = None if bias is None else bias.shape
        return out.reshape(shape)

    def backward(self, g):
        need_w = self.needs_input_grad[1]
        need_b = self.has_bias and self.needs_input_grad[2]
        need_r = self.has_residual and self.needs_input_grad[3]
        need_x = self.needs_input_grad[0] or need_r
        H, xhat, rstd, w = self.H, self.xhat, self.rstd, self.w
        g2 = g.reshape(-1, H)
        gw = xp.einsum("ij,ij->j", g2, xhat) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        gx = None
        if need_x:
            gx = xp.empty_like(g2)

            def work(rows):
                # dL/dx = rstd (g' - mean(g') - x_hat mean(g' x_hat)),  g' = gamma g
                o, xh = gx[rows], xhat[rows]
                if w is not None:
                    xp.multiply(g2[rows], w, out=o)
                else:
                    o[...] = g2[rows]
                m1 = _row_sums(o)
                m1 *= 1 / H
                m2 = _row_sums(o, xh)
                m2 *= 1 / H
                o -= m1[:, None]
                o -= xh * m2[:, None]
                o *= rstd[rows]

            _row_blocks(g2.shape[0], H, work)
            gx = gx.reshape(self.shape)
        grads = (gx if self.needs_input_grad[0] else None,
                 gw.reshape(self.wshape) if need_w else None,
                 gb.reshape(self.bshape) if need_b else None)
        return (grads + (gx if need_r else None,)) if self.has_residual else grads


class BatchNorm(Function):
    """Batch norm over every axis but the channel axis 1 (seed 002 §2.8, mu_B and sigma_B^2).

    ``training=True``: batch statistics, and ``running_mean``/``running_var``
    (arrays, updated in place when given) move towards them:
    r <- (1 - momentum) r + momentum s, the variance unbiased (n / (n - 1)), as
    PyTorch does. ``training=False``: the running statistics normalise.
    """

    def forward(self, x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, C) + (1,) * (x.ndim - 2)
        if training:
            n = x.size // C
            mean = x.mean(axis=axes)
            xc = x - mean.reshape(shape)
            var = (xc * xc).mean(axis=axes)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * n / max(n - 1, 1) * var).astype(running_var.dtype, copy=False)
        else:
            mean, var = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
            xc = x - mean.reshape(shape)
        rstd = (1 / xp.sqrt(var + eps)).reshape(shape)
        xhat = xc * rstd
        self.xhat, self.rstd, self.training, self.axes = xhat, rstd, training, axes
        self.weight = weight.reshape(shape) if weight is not None else None
        self.has_bias = bias is not None
        out = xhat * self.weight if weight is not None else xhat
        if bias is not None:
            out = out + bias.reshape(shape)
        return out

    def backward(self, g):
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        gx = _normalize_backward(g, self.xhat, self.rstd, self.weight, self.axes, self.training) if need_x else None
        gw = (g * self.xhat).sum(axis=self.axes) if need_w else None
        gb = g.sum(axis=self.axes) if need_b else None
        return gx, gw, gb


# ------------------------------------------------------------------ functional forms
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes of each sample (seed 002 §2.8)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise ValueError(
            f"layer_norm: expected input with trailing shape {normalized_shape}, got shape {tuple(input.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise ValueError(f"layer_norm: {name} must have shape {normalized_shape}, got {tuple(p.shape)}")
    return LayerNorm.apply(input, weight, bias, ndim=k, eps=eps)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over all axes but channel axis 1 (seed 002 §2.8); running stats update in place."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {tuple(input.shape)}")
    C = input.shape[1]
    for name, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if p is not None and tuple(p.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},) for {C} channels, got {tuple(p.shape)}")
    rm = running_mean.data if running_mean is not None else None
    rv = running_var.data if running_var is not None else None
    if not training and (rm is None or rv is None):
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    if training and input.data.size // max(C, 1) <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of shape {tuple(input.shape)}"
        )
    return BatchNorm.apply(input, weight, bias, running_mean=rm, running_var=rv, training=bool(training),
                           momentum=momentum, eps=eps)
