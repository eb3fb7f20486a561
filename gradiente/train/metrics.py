"""Classification metrics as plain functions on arrays or tensors (seed 002 §3.2-§3.3).

The loss is what training minimises; these numbers are what a person reads
on the validation and test sets to judge a model and to spot over- or
under-fitting (seed 002 §3.3). Arguments follow ``torchmetrics``' order,
``(preds, target)``: ``preds`` may be class labels (integers), logits or
probabilities of shape (N, C) (the arg-max is taken), or one score per
example for a binary task (thresholded at ``threshold``). The confusion
matrix has true classes in rows and predicted classes in columns (as
scikit-learn's). Classes that never occur give 0 instead of a division by
zero (scikit-learn's ``zero_division=0``).

The ``*Metric`` classes accumulate over the batches of an epoch (the
``Trainer`` uses them): an epoch's F1 is the F1 of the epoch's confusion
matrix, not the mean of per-batch F1 values.
"""
import numpy as _np

from ..backend import to_numpy
from ..tensor import Tensor


def _array(x, name, caller):
    if isinstance(x, Tensor):
        return to_numpy(x.data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor
        return x.detach().cpu().numpy()
    try:
        return _np.asarray(x)
    except Exception:
        raise TypeError(f"{caller}: {name} must be a tensor or an array, got {type(x).__name__}") from None


def _labels(preds, target, caller, threshold=0.5):
    """Predicted and true class labels, both 1-d int64 of the same length."""
    p = _array(preds, "preds", caller)
    t = _array(target, "target", caller)
    if t.dtype.kind == "f" and t.ndim >= 2 and t.shape == p.shape and t.shape[-1] > 1:
        t = t.argmax(-1)  # class probabilities or one-hot targets
    if t.dtype.kind == "f":
        if not _np.all(t == _np.round(t)):
            raise ValueError(f"{caller}: target must hold class labels (integers, or one-hot / probabilities of "
                             f"the same shape as preds), got non-integer values of dtype {t.dtype}; for a "
                             "regression loss, pass metrics=() to the Trainer")
        t = t.astype(_np.int64)
    elif t.dtype.kind not in "iub":
        raise TypeError(f"{caller}: target must hold class labels, got dtype {t.dtype}")
    if p.ndim == t.ndim + 1 and p.shape[-1] > 1:
        p = p.argmax(-1)
    elif p.dtype.kind == "f":
        if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
            p = p[..., 0]
        p = (p > threshold).astype(_np.int64)
    if p.shape != t.shape:
        raise ValueError(f"{caller}: preds of shape {tuple(_array(preds, 'preds', caller).shape)} do not match "
                         f"target of shape {tuple(_array(target, 'target', caller).shape)}; expected preds (N,), "
                         "(N, C) scores for target (N,), or equal shapes")
    return p.reshape(-1).astype(_np.int64), t.reshape(-1).astype(_np.int64)


def accuracy(preds, target, threshold=0.5):
    """The fraction of examples whose predicted class equals the target class.

    ``threshold`` applies to binary scores (one per example): use 0.5 for
    probabilities (after a sigmoid) and 0.0 for logits.
    """
    p, t = _labels(preds, target, "accuracy", threshold)
    if p.size == 0:
        raise ValueError("accuracy: preds and target are empty")
    return float((p == t).mean())


def _num_classes(p, t, num_classes, caller):
    seen = int(max(p.max(initial=-1), t.max(initial=-1))) + 1
    if min(p.min(initial=0), t.min(initial=0)) < 0:
        raise ValueError(f"{caller}: class labels must be non-negative")
    if num_classes is None:
        return max(seen, 1)
    if seen > num_classes:
        raise ValueError(f"{caller}: found class label {seen - 1} but num_classes={num_classes}")
    return int(num_classes)


def confusion_matrix(preds, target, num_classes=None, threshold=0.5):
    """A (C, C) int64 matrix: entry [i, j] counts examples of true class i predicted as class j."""
    p, t = _labels(preds, target, "confusion_matrix", threshold)
    c = _num_classes(p, t, num_classes, "confusion_matrix")
    return _np.bincount(t * c + p, minlength=c * c).reshape(c, c).astype(_np.int64)


def _safe_div(a, b):
    out = _np.zeros_like(a, dtype=_np.float64)
    _np.divide(a, b, out=out, where=b != 0)
    return out


def precision_recall_f1_from_confusion(cm, average="macro"):
    """(precision, recall, F1) from a confusion matrix; ``average``: "macro", "micro", "weighted" or None."""
    cm = _np.asarray(cm, dtype=_np.float64)
    tp = _np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    if average == "micro":
        total = cm.sum()
        acc = float(tp.sum() / total) if total else 0.0
        return acc, acc, acc
    precision = _safe_div(tp, predicted)
    recall = _safe_div(tp, actual)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    if average is None or average == "none":
        return precision, recall, f1
    if average == "macro":
        return float(precision.mean()), float(recall.mean()), float(f1.mean())
    if average == "weighted":
        w = actual / actual.sum() if actual.sum() else _np.zeros_like(actual)
        return float(precision @ w), float(recall @ w), float(f1 @ w)
    raise ValueError(f"average must be 'macro', 'micro', 'weighted' or None, got {average!r}")


def precision_recall_f1(preds, target, num_classes=None, average="macro", threshold=0.5):
    """Precision, recall and F1 score, averaged over classes (``average="macro"``) or per class (``None``).

    Precision of class k: of the examples predicted k, the fraction that are
    k; recall: of the examples that are k, the fraction predicted k; F1: their
    harmonic mean.
    """
    cm = confusion_matrix(preds, target, num_classes, threshold)
    return precision_recall_f1_from_confusion(cm, average)


def precision(preds, target, num_classes=None, average="macro", threshold=0.5):
    return precision_recall_f1(preds, target, num_classes, average, threshold)[0]


def recall(preds, target, num_classes=None, average="macro", threshold=0.5):
    return precision_recall_f1(preds, target, num_classes, average, threshold)[1]


def f1_score(preds, target, num_classes=None, average="macro", threshold=0.5):
    return precision_recall_f1(preds, target, num_classes, average, threshold)[2]


# ---------------------------------------------------------------- accumulators
class Metric:
    """Accumulates a metric over batches: ``reset()``, ``update(preds, target)``, ``compute()``."""

    name = "metric"

    def reset(self):
        raise NotImplementedError

    def update(self, preds, target):
        raise NotImplementedError

    def compute(self):
        raise NotImplementedError


class AccuracyMetric(Metric):
    name = "accuracy"

    def __init__(self, threshold=0.5):
        self.threshold = threshold
        self.reset()

    def reset(self):
        self.correct = 0
        self.total = 0

    def update(self, preds, target):
        p, t = _labels(preds, target, "accuracy", self.threshold)
        self.correct += int((p == t).sum())
        self.total += int(p.size)

    def compute(self):
        return self.correct / self.total if self.total else float("nan")


class ConfusionMetric(Metric):
    """Precision, recall or F1 (macro by default) of the confusion matrix summed over batches."""

    _INDEX = {"precision": 0, "recall": 1, "f1": 2}

    def __init__(self, kind, average="macro", num_classes=None, threshold=0.5):
        if kind not in self._INDEX:
            raise ValueError(f"ConfusionMetric: kind must be one of {sorted(self._INDEX)}, got {kind!r}")
        self.name = kind
        self.kind = kind
        self.average = average
        self.num_classes = num_classes
        self.threshold = threshold
        self.reset()

    def reset(self):
        self.cm = _np.zeros((0, 0), dtype=_np.int64)

    def update(self, preds, target):
        p, t = _labels(preds, target, self.name, self.threshold)
        c = _num_classes(p, t, self.num_classes, self.name)
        c = max(c, self.cm.shape[0])
        cm = _np.bincount(t * c + p, minlength=c * c).reshape(c, c)
        if self.cm.shape[0] < c:
            grown = _np.zeros((c, c), dtype=_np.int64)
            grown[:self.cm.shape[0], :self.cm.shape[0]] = self.cm
            self.cm = grown
        self.cm += cm

    def compute(self):
        if not self.cm.size:
            return float("nan")
        return precision_recall_f1_from_confusion(self.cm, self.average)[self._INDEX[self.kind]]


class MeanMetric(Metric):
    """The batch-size-weighted mean of ``fn(preds, target)`` over the batches (for user functions)."""

    def __init__(self, fn, name=None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "metric")
        self.reset()

    def reset(self):
        self.sum = 0.0
        self.count = 0

    def update(self, preds, target):
        n = len(target) if hasattr(target, "__len__") else 1
        value = self.fn(preds, target)
        self.sum += float(value.item() if isinstance(value, Tensor) else value) * n
        self.count += n

    def compute(self):
        return self.sum / self.count if self.count else float("nan")


_BUILTIN = {
    "accuracy": lambda: AccuracyMetric(),
    "acc": lambda: AccuracyMetric(),
    "precision": lambda: ConfusionMetric("precision"),
    "recall": lambda: ConfusionMetric("recall"),
    "f1": lambda: ConfusionMetric("f1"),
}


def get_metric(spec):
    """A fresh accumulator for a metric given by name ("accuracy", "precision", "recall", "f1"),
    as a :class:`Metric`, or as a function ``fn(preds, target) -> float``."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        if spec not in _BUILTIN:
            raise ValueError(f"unknown metric {spec!r}; choose from {sorted(_BUILTIN)} or pass a function")
        return _BUILTIN[spec]()
    if callable(spec):
        return MeanMetric(spec)
    raise TypeError(f"a metric must be a name, a Metric or a function, got {type(spec).__name__}")
