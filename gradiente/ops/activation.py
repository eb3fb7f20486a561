"""Activation functions as fused kernels (seed 000 §3, seed 002 §2.5).

Each forward saves what its derivative needs, so the backward is one
vectorised expression and large |z| never overflows: exponentials are only
taken of non-positive numbers (or overflow harmlessly to a correct 0), and
log(1 + e^z) is written as max(z, 0) + log1p(e^-|z|). Piecewise functions are
written with arithmetic on masks rather than ``where``, which is several
times slower on large float arrays. Each ``backward_graph`` (``create_graph=True``)
writes the same derivative with tensor operations, so it can be differentiated again.
"""
import math

import numpy as _np

from ..autograd import Function, constant
from ..backend import xp
from ..parallel import parallel_for
from .layout import dense_cover

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z). For z < -88 (float32) e^-z overflows to inf and the result is 0,
    the correctly rounded value, so the overflow is silenced; no NaN can appear."""
    with xp.errstate(over="ignore"):
        e = xp.exp(-z)
    if type(e) is not xp.ndarray:  # 0-d input gives a NumPy scalar
        return xp.asarray(1 / (1 + e))
    e += 1
    return xp.reciprocal(e, out=e)


_ERF = _np.frompyfunc(math.erf, 1, 1)


def erf(x):
    """The error function, vectorised (GELU's Gaussian CDF, seed 002 §2.5).

    float64 input uses the correctly rounded ``math.erf`` element by element
    (exact, slower: meant for gradient checks); other dtypes use the
    Abramowitz-Stegun 7.1.26 rational form (absolute error below 1.5e-7,
    about one float32 rounding step) computed in the input's dtype.
    """
    if x.dtype == _np.float64:
        return _ERF(x).astype(_np.float64)
    a = xp.abs(x)
    if a.ndim == 0:  # NumPy scalars have no out= buffers
        t = 1 / (1 + 0.3275911 * a)
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        return xp.copysign(1 - poly * xp.exp(-a * a), x)
    # the same operations in the same order, in place: a third of the memory traffic
    t = a * 0.3275911
    t += 1
    xp.reciprocal(t, out=t)
    p = t * 1.061405429
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        p += c
        p *= t
    xp.multiply(a, a, out=a)
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    p *= a
    xp.subtract(1, p, out=p)
    return xp.copysign(p, x, out=p)


class Step(Function):
    """Heaviside step u(z) = 1 if z >= 0 else 0, the perceptron's activation (seed 002 §2.1).

    Its derivative is 0 wherever it exists, so no gradient flows through it;
    the perceptron learns with its own rule instead (see ``nn.Perceptron``).
    """

    def forward(self, z):
        self.shape, self.dtype = z.shape, z.dtype
        return (z >= 0).astype(z.dtype)

    def backward(self, g):
        return xp.zeros(self.shape, dtype=self.dtype)

    def backward_graph(self, g):
        return constant(xp.zeros(self.shape, dtype=self.dtype))


class Sigmoid(Function):
    """sigma(z) = 1 / (1 + e^-z);  sigma' = sigma (1 - sigma).  Stable for any z."""

    def forward(self, z):
        self.out = _sigmoid(z)
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)

    def backward_graph(self, g):
        out = self.output(self.out)
        return g * out * (1 - out)


class Tanh(Function):
    """tanh' = 1 - tanh^2."""

    def forward(self, z):
        self.out = xp.tanh(z)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)

    def backward_graph(self, g):
        out = self.output(self.out)
        return g * (1 - out * out)


_ZERO_ROW = 8192  # values per row of the blocked maximum (best of 1,024 to 16,384 on 8K-1M values)
_zero_rows = {}


def _relu_into(z, out):
    """out = max(z, 0) for flat ``z`` and ``out``; keeps NaN, as PyTorch's relu.

    NumPy's maximum against the scalar 0 runs about 2.4 times slower than against an array of
    zeros (its vector loop needs two arrays), so ``z`` is read as rows of 8,192 values against
    one cached row of zeros (LeNet-5's 301,056 activations: 111 -> 45 us).
    """
    zeros = _zero_rows.get(z.dtype)
    if zeros is None:
        zeros = _zero_rows[z.dtype] = xp.zeros(_ZERO_ROW, dtype=z.dtype)
    rows = z.size // _ZERO_ROW
    body = rows * _ZERO_ROW
    if rows:
        xp.maximum(z[:body].reshape(rows, _ZERO_ROW), zeros, out=out[:body].reshape(rows, _ZERO_ROW))
    xp.maximum(z[body:], zeros[:z.size - body], out=out[body:])


class ReLU(Function):
    """relu(z) = max(0, z);  relu' = 1 for z > 0, else 0."""

    def forward(self, z):
        if self.needs_input_grad[0]:
            self.mask = z > 0
        # a convolution's output may be a permuted view, or rows with gaps (see dense_cover); below two
        # rows of zeros the plain maximum is as fast
        cover = dense_cover(z) if z.size >= 2 * _ZERO_ROW else None
        if cover is None:
            return xp.maximum(z, 0)
        view, restore, used = cover
        out = xp.empty_like(view)
        flat_z, flat_out = view.reshape(-1), out.reshape(-1)

        def work(first, last):
            _relu_into(flat_z[first:last], flat_out[first:last])
        parallel_for(view.size, work, grain=1 << 18)  # one cheap pass: only large arrays repay a thread
        if used is not None:
            out = out[..., :used]
        return out.transpose(restore)

    def backward(self, g):
        return g * self.mask

    def backward_graph(self, g):
        return g * constant(self.mask.astype(g.dtype))


class LeakyReLU(Function):
    """max(alpha z, z) for alpha < 1 (seed 002 §2.5): slope 1 for z > 0, ``negative_slope`` otherwise."""

    def forward(self, z, negative_slope=0.01):
        d = (z > 0).astype(z.dtype)
        d *= 1 - negative_slope
        d += negative_slope
        self.d = d  # the local derivative: 1 or the slope
        return z * d

    def backward(self, g):
        return g * self.d

    def backward_graph(self, g):
        return g * constant(self.d)


class PReLU(Function):
    """PReLU(z) = z for z >= 0, a z otherwise, with a learned per-channel slope ``a`` (seed 002 §2.5).

    ``weight`` has one entry, shared by every element, or one per channel
    (dimension 1 of the input). d/dz = 1 or a;  d/da = sum of z over z < 0.
    """

    def forward(self, z, weight):
        if weight.size > 1 and z.ndim >= 2:
            shape = [1] * z.ndim
            shape[1] = weight.size
            w = weight.reshape(shape)
        else:
            w = weight.reshape(()) if weight.size == 1 else weight
        self.z, self.w, self.wshape = z, w, weight.shape
        self.neg = z <= 0
        self.d = self.neg * (w - 1) + 1  # 1 for z > 0, a otherwise
        return z * self.d

    def backward(self, g):
        gz = gw = None
        if self.needs_input_grad[0]:
            gz = g * self.d
        if self.needs_input_grad[1]:
            contrib = g * self.z * self.neg
            if self.w.ndim == 0:
                gw = contrib.sum().reshape(self.wshape)
            elif contrib.ndim == 1:
                gw = contrib
            else:
                axes = (0,) + tuple(range(2, contrib.ndim))
                gw = contrib.sum(axis=axes).reshape(self.wshape)
        return gz, gw

    def backward_graph(self, g):
        z, weight = self.inputs
        neg = constant(self.neg.astype(self.d.dtype))
        w = weight.reshape(*self.w.shape)
        gz = gw = None
        if self.needs_input_grad[0]:
            gz = g * (1 + neg * (w - 1))
        if self.needs_input_grad[1]:
            contrib = g * z * neg
            if w.ndim == 0:
                gw = contrib.sum().reshape(*self.wshape)
            elif contrib.ndim == 1:
                gw = contrib
            else:
                gw = contrib.sum(dim=(0,) + tuple(range(2, contrib.ndim))).reshape(*self.wshape)
        return gz, gw


class ELU(Function):
    """ELU(z) = z for z > 0, alpha (e^z - 1) otherwise (seed 002 §2.5); ELU' = 1 or ELU(z) + alpha."""

    def forward(self, z, alpha=1.0, scale=1.0):
        neg = alpha * xp.expm1(xp.minimum(z, 0))  # 0 for z > 0
        out = xp.maximum(z, 0) + neg
        # derivative: 1 for z > 0, ELU(z) + alpha = neg + alpha otherwise
        d = neg + alpha
        d += (z > 0) * (1 - alpha)
        if scale != 1.0:
            out *= scale
            d *= scale
        self.d, self.alpha, self.scale = d, alpha, scale
        return out

    def backward(self, g):
        return g * self.d

    def backward_graph(self, g):
        z = self.inputs[0]
        pos = (z.data > 0).astype(self.d.dtype)
        neg = constant(1 - pos)
        # e^(z * neg) is e^z for z <= 0 and 1 (never an overflow) where the derivative is the constant 1
        return g * (constant(pos * self.scale) + neg * (z * neg).exp() * (self.alpha * self.scale))


class SELU(ELU):
    """SELU(z) = scale * ELU(z, alpha) with the fixed constants of seed 002 §2.5 (self-normalising)."""

    def forward(self, z):
        return super().forward(z, alpha=SELU_ALPHA, scale=SELU_SCALE)


_BLOCK = 65536  # elements per block of the GELU kernel (see _gelu_float32)
_SIGN_BIT = _np.int32(-(2 ** 31))  # 0x80000000: the sign bit of a float32 seen as an int32
# Abramowitz-Stegun 7.1.26 coefficients times 1/2: sum_k a_k t^k e^-u^2 / 2 = Phi(-|z|), u = z / sqrt 2
_AS_P = 0.3275911 / math.sqrt(2)
_AS_HALF = tuple(0.5 * a for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_AS_PHI = tuple(h / _INV_SQRT_2PI for h in _AS_HALF)  # the same sum times phi(z) instead of e^-u^2 is Phi(-|z|)


def _gelu_float32(z, with_grad):
    """GELU of a float32 array block by block; returns (out, GELU'(z)), the derivative only ``with_grad``.

    The tail Phi(-|z|) = erfc(|z| / sqrt 2) / 2 comes from the same rational form as ``erf``, with
    t = 1 / (1 + P|z|) computed as c / (c + |z|), c = 1/P. Without gradients,
    GELU(z) = max(z, 0) - |z| Phi(-|z|) (no cancellation for negative z); with them,
    Phi(z) = 1/2 + sign(z) (1/2 - Phi(-|z|)), GELU = z Phi(z) and GELU' = Phi(z) + z phi(z).
    Working on blocks of the flattened array keeps the temporaries in cache: a whole-array version
    makes some twenty passes over memory, which cost more than the arithmetic. The blocks are larger
    than the L2 cache: NumPy's cost per call (about a microsecond for each of the ~20 steps) weighs
    more than the L2 misses, and 65,536 values ran faster than 16,384 (4.4 ms against 5.4 ms on
    1.8 million values, one thread).
    """
    shape = z.shape
    z = xp.ascontiguousarray(z).reshape(-1)
    out = xp.empty_like(z)
    deriv = xp.empty_like(z) if with_grad else None
    coef, c_inv = (_AS_PHI if with_grad else _AS_HALF), 1 / _AS_P

    def work(first, last):
        size = min(last - first, _BLOCK)
        a, t, p, e = (xp.empty(size, dtype=z.dtype) for _ in range(4))
        sign = xp.empty(size, dtype=xp.int32) if with_grad else None
        for start in range(first, last, _BLOCK):
            stop = min(start + _BLOCK, last)
            zb, ob = z[start:stop], out[start:stop]
            m = stop - start
            ab, tb, pb, eb = a[:m], t[:m], p[:m], e[:m]
            xp.abs(zb, out=ab)
            xp.add(ab, c_inv, out=tb)
            xp.divide(c_inv, tb, out=tb)  # t = 1 / (1 + P |z|)
            xp.multiply(tb, coef[0], out=pb)
            for c in coef[1:]:
                pb += c
                pb *= tb
            xp.square(zb, out=eb)
            eb *= -0.5
            xp.exp(eb, out=eb)  # e^(-z^2/2)
            if with_grad:
                eb *= _INV_SQRT_2PI  # phi(z)
                pb *= eb  # Phi(-|z|)
                xp.subtract(0.5, pb, out=pb)
                # copysign through the sign bit: numpy's copysign is several times slower than two integer ops
                xp.bitwise_and(zb.view(xp.int32), _SIGN_BIT, out=sign[:m])
                xp.bitwise_or(pb.view(xp.int32), sign[:m], out=pb.view(xp.int32))
                pb += 0.5  # Phi(z)
                xp.multiply(zb, pb, out=ob)
                db = deriv[start:stop]
                xp.multiply(zb, eb, out=db)
                db += pb
            else:
                pb *= eb
                pb *= ab
                xp.maximum(zb, 0, out=ob)
                ob -= pb

    parallel_for(z.size, work)
    return out.reshape(shape), (deriv.reshape(shape) if with_grad else None)


class GELU(Function):
    """GELU(z) = z Phi(z), Phi the standard normal CDF (seed 002 §2.5).

    ``approximate='none'``: Phi(z) = (1 + erf(z / sqrt 2)) / 2, GELU' = Phi(z) + z phi(z).
    ``approximate='tanh'``: the notes' form 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))).
    """

    def forward(self, z, approximate="none"):
        self.z, self.approximate = z, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.t = xp.tanh(k * (z + 0.044715 * z * z * z))
            return 0.5 * z * (1 + self.t)
        if z.dtype == xp.float32 and z.ndim > 0:
            out, self.deriv = _gelu_float32(z, self.needs_input_grad[0])
            return out
        cdf = 0.5 * (1 + erf(z * (1 / math.sqrt(2))))
        if self.needs_input_grad[0]:
            self.deriv = cdf + z * xp.exp(-0.5 * z * z) * _INV_SQRT_2PI
        return z * cdf

    def backward(self, g):
        z = self.z
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.t
            d = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * 0.044715 * z * z)
            return g * d
        return g * self.deriv  # Phi(z) + z phi(z), from forward

    def backward_graph(self, g):
        z = self.inputs[0]
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = (k * (z + 0.044715 * z * z * z)).tanh()
            return g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * 0.044715 * z * z))
        return g * (NormalCDF.apply(z) + z * _normal_pdf(z))


class NormalCDF(Function):
    """Phi(z), the standard normal CDF;  Phi'(z) = phi(z) = e^(-z^2/2) / sqrt(2 pi).

    The derivative of GELU contains Phi: as an operation of its own it makes GELU differentiable twice.
    """

    def forward(self, z):
        self.z = z
        return 0.5 * (1 + erf(z * (1 / math.sqrt(2))))

    def backward(self, g):
        return g * xp.exp(-0.5 * self.z * self.z) * _INV_SQRT_2PI

    def backward_graph(self, g):
        return g * _normal_pdf(self.inputs[0])


def _normal_pdf(z):
    """phi(z) = e^(-z^2/2) / sqrt(2 pi) of a tensor, in the graph (create_graph)."""
    return (-0.5 * z * z).exp() * _INV_SQRT_2PI


class Softplus(Function):
    """softplus(z) = log(1 + e^(beta z)) / beta, linear where beta z > threshold;  derivative sigma(beta z)."""

    def forward(self, z, beta=1.0, threshold=20.0):
        bz = z * beta if beta != 1.0 else z
        linear = bz > threshold
        self.linear = linear if linear.any() else None
        self.bz, self.beta = bz, beta
        sp = xp.asarray(xp.maximum(bz, 0) + xp.log1p(xp.exp(-xp.abs(bz))))
        if beta != 1.0:
            sp /= beta
        if self.linear is not None:
            sp[linear] = z[linear]
        return sp

    def backward(self, g):
        s = _sigmoid(self.bz)
        if self.linear is not None:
            s[self.linear] = 1
        return g * s

    def backward_graph(self, g):
        z = self.inputs[0]
        s = (z * self.beta if self.beta != 1.0 else z).sigmoid()
        if self.linear is not None:
            lin = self.linear.astype(self.bz.dtype)
            s = s * constant(1 - lin) + constant(lin)
        return g * s


class SiLU(Function):
    """SiLU (swish) z sigma(z);  derivative sigma(z) (1 + z (1 - sigma(z)))."""

    def forward(self, z):
        self.z = z
        self.s = _sigmoid(z)
        return z * self.s

    def backward(self, g):
        s = self.s
        return g * s * (1 + self.z * (1 - s))

    def backward_graph(self, g):
        z = self.inputs[0]
        s = z.sigmoid()
        return g * s * (1 + z * (1 - s))


class Softmax(Function):
    """softmax(z)_i = e^(z_i - max z) / sum_j e^(z_j - max z) along ``dim`` (seed 002 §2.5, seed 000 §3).

    Backward (the Jacobian diag(p) - p p^T applied to g): p (g - sum(g p)).
    """

    def forward(self, z, dim=-1):
        e = xp.exp(z - z.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.out, self.dim = e, dim
        return e

    def backward(self, g):
        p = self.out
        gp = g * p
        return gp - p * gp.sum(axis=self.dim, keepdims=True)

    def backward_graph(self, g):
        p = self.output(self.out)
        gp = g * p
        return gp - p * gp.sum(dim=self.dim, keepdim=True)


class LogSoftmax(Function):
    """log softmax(z) = (z - max z) - log sum e^(z - max z): finite for any |z|.

    Backward: g - softmax(z) sum(g).
    """

    def forward(self, z, dim=-1):
        shifted = z - z.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.out, self.dim = out, dim
        return out

    def backward(self, g):
        return g - xp.exp(self.out) * g.sum(axis=self.dim, keepdims=True)

    def backward_graph(self, g):
        return g - self.output(self.out).exp() * g.sum(dim=self.dim, keepdim=True)


# ------------------------------------------------------------------ functional forms
def _as_tensor(x, name):
    from ..tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point tensor, got dtype {x.data.dtype}")
    return x


def check_dim(name, dim, ndim):
    """Normalise a possibly negative ``dim``; raise a clear error if it is out of range."""
    if not isinstance(dim, (int, _np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise ValueError(f"{name}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return dim % n if ndim else 0


def _implicit_softmax_dim(ndim):
    # PyTorch's legacy choice when dim is None: 0 for 0-, 1- and 3-d input, else 1
    return 0 if ndim in (0, 1, 3) else 1


def step(input):
    """Heaviside step, 1 where input >= 0 (seed 002 §2.1)."""
    return Step.apply(_as_tensor(input, "step"))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(_as_tensor(input, "leaky_relu"), negative_slope=float(negative_slope))


def prelu(input, weight):
    input = _as_tensor(input, "prelu")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
    if n != 1 and (input.ndim == 0 or n != channels):
        raise ValueError(
            f"prelu: weight has {n} parameters but the input of shape {tuple(input.shape)} has {channels} "
            f"channels (dimension 1); use 1 parameter or one per channel"
        )
    return PReLU.apply(input, weight)


def elu(input, alpha=1.0, inplace=False):
    return ELU.apply(_as_tensor(input, "elu"), alpha=float(alpha))


def selu(input, inplace=False):
    return SELU.apply(_as_tensor(input, "selu"))


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(_as_tensor(input, "gelu"), approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return Softplus.apply(_as_tensor(input, "softplus"), beta=float(beta), threshold=float(threshold))


def silu(input, inplace=False):
    return SiLU.apply(_as_tensor(input, "silu"))


def _apply_along_dim(function, name, input, dim, dtype):
    """``function`` applied along ``dim`` after the dtype cast; a 0-d input is treated as shape (1,)."""
    input = _as_tensor(input, name)
    if dtype is not None:
        input = input.to(dtype)
    dim = _implicit_softmax_dim(input.ndim) if dim is None else check_dim(name, dim, input.ndim)
    if input.ndim == 0:
        return function.apply(input.reshape(1), dim=0).reshape(())
    return function.apply(input, dim=dim)


def softmax(input, dim=None, dtype=None):
    """softmax along ``dim`` (seed 002 §2.5); ``dim=None`` picks PyTorch's legacy implicit dim."""
    return _apply_along_dim(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, dtype=None):
    """log softmax along ``dim``, stable at large |z|."""
    return _apply_along_dim(LogSoftmax, "log_softmax", input, dim, dtype)
