"""gradiente: deep learning from scratch on NumPy, one backpropagation engine under every architecture.

``import gradiente as g`` gives a PyTorch-like API: ``g.tensor``, ``g.nn``,
``g.optim``, ``g.utils.data``; see the README and ``docs/``.
"""
import numpy as _np

__version__ = "0.1.0"

from . import memory as _memory  # noqa: E402,F401  (glibc keeps freed arrays for the next step)

from .tensor import Tensor, Size, get_default_dtype, set_default_dtype  # noqa: E402
from .autograd import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled  # noqa: E402
from .random import manual_seed, seed, get_rng_state, set_rng_state  # noqa: E402
from .creation import (  # noqa: E402
    tensor, as_tensor, from_numpy, zeros, ones, full, empty, zeros_like, ones_like, full_like,
    eye, arange, linspace, rand, randn, randint, randperm, rand_like, randn_like,
)
from .ops import (  # noqa: E402
    add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, clip, maximum, minimum, where,
    sigmoid, tanh, relu, sum, mean, var, std, amax, amin, matmul, cat, concat, concatenate, stack,
    split, chunk, logsumexp, sin, cos, log1p, square, rsqrt, floor, ceil, round, trunc, sign, prod,
    cumsum, gather, index_select, tril, triu, flip, unbind, mm, bmm, dot, outer, softmax,
    log_softmax, sort, argsort, topk, nonzero, isclose, equal,
)
from .gradcheck import gradcheck, GradcheckError  # noqa: E402
from .parallel import get_num_threads, set_num_threads  # noqa: E402

float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int32 = int = _np.dtype(_np.int32)
int64 = long = _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)


def max(input, dim=None, keepdim=False):
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def permute(input, dims):
    return input.permute(*dims)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def norm(input, p="fro", dim=None, keepdim=False):
    """The vector norm of ``input`` over ``dim`` (all elements by default), as ``torch.norm``."""
    return input.norm(p, dim, keepdim)


def FloatTensor(data):
    """A float32 tensor (the legacy ``torch.FloatTensor(data)`` constructor)."""
    return tensor(data, dtype=float32)


def DoubleTensor(data):
    return tensor(data, dtype=float64)


def LongTensor(data):
    return tensor(data, dtype=int64)


def BoolTensor(data):
    return tensor(data, dtype=bool)


class device(str):
    """``gradiente.device("cpu")``: gradiente computes on the CPU (NumPy)."""

    def __new__(cls, name="cpu"):
        if str(name).split(":")[0] != "cpu":
            raise RuntimeError(f"device {name!r} is not available; gradiente computes on 'cpu'")
        return super().__new__(cls, "cpu")

    @property
    def type(self):
        return "cpu"


class cuda:
    """No CUDA device: ``gradiente.cuda.is_available()`` is False, as on a CPU-only PyTorch."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def manual_seed(seed):
        pass

    manual_seed_all = manual_seed


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def allclose(a, b, rtol=1e-5, atol=1e-8):
    return _np.allclose(_np.asarray(a.data if isinstance(a, Tensor) else a),
                        _np.asarray(b.data if isinstance(b, Tensor) else b), rtol=rtol, atol=atol)

from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from . import data, utils, train  # noqa: E402,F401
