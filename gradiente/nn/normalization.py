"""Normalisation layers (seed 002 §2.8): ``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``.

Parameter and buffer names, shapes, defaults and update rules follow
PyTorch's, so ``state_dict`` keys are ``weight``, ``bias``, ``running_mean``,
``running_var`` and ``num_batches_tracked``.
"""
import numpy as _np

from ..autograd import no_grad
from ..creation import ones, zeros
from ..ops import norm as _N
from ..tensor import Tensor
from ._checks import check_int
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` (seed 002 §2.8).

    y = (x - mu_L) / sqrt(sigma_L^2 + eps) * weight + bias, with the mean and
    (biased) variance over the normalised axes; the same in training and
    evaluation. ``weight`` starts at 1, ``bias`` at 0.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(*self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, input):
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): expected input with trailing shape {self.normalized_shape}, "
                f"got shape {tuple(input.shape)}"
            )
        return _N.LayerNorm.apply(input, self.weight, self.bias, ndim=k, eps=self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


def add_and_norm(norm, x, sublayer_out):
    """norm(x + sublayer_out), the post-norm residual block of seed 002 §4.8 (Transformer, BERT).

    A :class:`LayerNorm` makes the sum inside its kernel (block by block in cache, not as a
    separate pass); any other normalisation module gets the sum.
    """
    if type(norm) is not LayerNorm:
        return norm(x + sublayer_out)
    return _N.LayerNorm.apply(sublayer_out, norm.weight, norm.bias, x, ndim=len(norm.normalized_shape),
                              eps=norm.eps)


class _BatchNorm(Module):
    """Batch normalisation over every axis but channel axis 1 (seed 002 §2.8).

    Training: normalise with the batch mean and biased variance, and update
    running_mean <- (1 - momentum) running_mean + momentum mu_B and
    running_var <- (1 - momentum) running_var + momentum sigma_B^2 n/(n-1)
    (``momentum=None``: a cumulative average, 1 / num_batches_tracked).
    Evaluation: normalise with the running statistics. With
    ``track_running_stats=False`` batch statistics are used in both modes.
    """

    _expected_ndim = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        check_int(type(self).__name__, "num_features", num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype))
            self.bias = Parameter(zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(_np.array(0, dtype=_np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            self.bias.data[...] = 0

    def _check_input(self, input):
        name = type(self).__name__
        if input.ndim not in self._expected_ndim:
            dims = " or ".join(f"{d}-d" for d in self._expected_ndim)
            raise ValueError(f"{name}({self.num_features}): expected {dims} input, got shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): expected {self.num_features} channels on dim 1, "
                f"got input of shape {tuple(input.shape)}"
            )

    def forward(self, input):
        self._check_input(input)
        use_batch = self.training or self.running_mean is None
        if use_batch and input.data.size // self.num_features <= 1:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected more than 1 value per channel when "
                f"training, got input of shape {tuple(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        update = self.training and self.track_running_stats
        if update:
            with no_grad():
                self.num_batches_tracked.data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        rm = self.running_mean.data if self.running_mean is not None and (update or not use_batch) else None
        rv = self.running_var.data if self.running_var is not None and (update or not use_batch) else None
        return _N.BatchNorm.apply(input, self.weight, self.bias, running_mean=rm, running_var=rv,
                                  training=use_batch, momentum=factor, eps=self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) input (seed 002 §2.8), e.g. after a ``Linear``."""

    _expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) input, one mean and variance per channel (seed 002 §2.8)."""

    _expected_ndim = (4,)
