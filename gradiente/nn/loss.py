"""Loss modules (seed 002 §3.4, §3.12), as ``torch.nn``'s: each wraps a fused kernel of ``ops.loss``.

Class weights and ``pos_weight`` are registered as buffers, so they appear
in ``state_dict`` under the same keys as in PyTorch.
"""
from .. import ops as _ops  # noqa: F401  (keeps import order: tensor before ops.loss)
from ..ops import loss as _L
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        _L._check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction

    _reductions = _L.REDUCTIONS

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error, (1/n) sum (y - y_hat)^2 (seed 002 §3.4)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return _L.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (MAE), (1/n) sum |y - y_hat| (seed 002 §3.4)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return _L.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits with class indices or class probabilities (seed 002 §3.4, seed 000 §3).

    Input (N, C) or (N, C, d1, ...) or (C,); target (N, d1, ...) integer
    indices, or probabilities of the input's shape. ``weight`` (C,),
    ``ignore_index`` and ``label_smoothing`` behave as in PyTorch.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return _L.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                                reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (use after ``LogSoftmax``)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return _L.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                           reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (seed 002 §3.4); follows a ``Sigmoid``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, reduction)

    def forward(self, input, target):
        return _L.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one numerically stable kernel; ``pos_weight`` per class."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return _L.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                   pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence of log-probability input from a target distribution (seed 002 §3.12)."""

    _reductions = _L.REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return _L.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class DistillationLoss(Module):
    """Knowledge distillation loss (seed 002 §3.12), called as ``loss(student_logits, teacher_logits, labels)``.

        alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, labels)

    The T^2 factor: softening by T shrinks the soft term's gradients by 1/T^2,
    so multiplying by T^2 keeps the balance between the soft and hard terms
    set by ``alpha`` alone, whatever the temperature.
    """

    def __init__(self, T=4.0, alpha=0.5):
        super().__init__()
        if not T > 0:
            raise ValueError(f"DistillationLoss: temperature T must be positive, got {T}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"DistillationLoss: alpha must be in [0, 1], got {alpha}")
        self.T, self.alpha = T, alpha

    def forward(self, student_logits, teacher_logits, labels):
        return _L.distillation_loss(student_logits, teacher_logits, labels, T=self.T, alpha=self.alpha)

    def extra_repr(self):
        return f"T={self.T}, alpha={self.alpha}"
