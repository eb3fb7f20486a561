"""``Trainer``: the training loop of seed 002 §3, written once (fit, evaluate, predict).

One epoch visits the training set in mini-batches; for each batch the model
runs forward, the loss measures how far its output is from the target
(seed 002 §3.4), backpropagation computes the gradient of the loss for every
parameter (§3.6), and the optimizer moves the parameters against it (§3.5,
§3.7). After each epoch the validation set says how well the model
generalises (§3.2-§3.3); callbacks may stop early, step the learning rate
(§3.8) or save a checkpoint.
"""
import math
import sys
import time

import numpy as _np

from ..autograd import no_grad
from ..backend import xp
from ..tensor import Tensor
from .callbacks import Callback, LRSchedulerCallback
from .history import History
from .metrics import get_metric


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _batch_size(target, inputs):
    for x in (target,) + tuple(inputs):
        if isinstance(x, Tensor) and x.ndim:
            return x.shape[0]
        if isinstance(x, _np.ndarray) and x.ndim:
            return x.shape[0]
    return 1


class Trainer:
    """Fit ``model`` with ``optimizer`` on ``loss_fn(output, target)``.

    Args:
        model: a :class:`~gradiente.nn.Module` (called as ``model(*inputs)``).
        optimizer: a :mod:`gradiente.optim` optimizer over the model's parameters.
        loss_fn: ``loss_fn(output, target)`` returning a scalar tensor (e.g. ``nn.CrossEntropyLoss()``).
        metrics: names (``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``; the last three macro
            averaged), :class:`~gradiente.train.metrics.Metric` objects or functions ``fn(output, target)``;
            ``()`` for none (regression). Binary scores are thresholded at 0.5 (probabilities); for a
            single logit use ``metrics.AccuracyMetric(threshold=0.0)``.
        callbacks: :class:`~gradiente.train.callbacks.Callback` objects, run in order.
        scheduler: a learning-rate scheduler, stepped after every epoch (with the validation loss for
            ``ReduceLROnPlateau``); for per-batch stepping pass ``LRSchedulerCallback(s, interval="step")``.
        grad_clip: ``None``; a number (clip the gradients' global L2 norm to it); or a dict
            ``{"max_norm": m, "norm_type": 2}`` or ``{"clip_value": v}``.
        progress: ``True`` (a tqdm bar when tqdm is installed, one printed line per epoch otherwise),
            ``"plain"`` (printed lines), or ``False`` (silent).

    Each batch of a loader is ``(input, target)``, or ``(input_1, ..., input_k, target)``.
    """

    def __init__(self, model, optimizer, loss_fn, metrics=("accuracy",), callbacks=(), scheduler=None,
                 grad_clip=None, progress=True):
        if not callable(model) or not hasattr(model, "parameters"):
            raise TypeError(f"Trainer: model must be a Module, got {type(model).__name__}")
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
            raise TypeError(f"Trainer: optimizer must have step() and zero_grad(), got {type(optimizer).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, got {type(loss_fn).__name__}")
        if isinstance(metrics, str):
            metrics = (metrics,)
        for m in metrics:
            get_metric(m)  # fail now on an unknown name
        callbacks = list(callbacks or ())
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback objects, got {type(cb).__name__}")
        if progress not in (True, False, "plain", "tqdm"):
            raise ValueError(f"Trainer: progress must be True, False, 'plain' or 'tqdm', got {progress!r}")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.metrics = tuple(metrics)
        self.scheduler = scheduler
        if scheduler is not None:
            callbacks.insert(0, LRSchedulerCallback(scheduler))
        self.callbacks = callbacks
        self._clip = self._make_clip(grad_clip)
        self.grad_clip = grad_clip
        self.progress = progress
        self.history = History()
        self.epoch = 0
        self.stop_training = False

    # ------------------------------------------------------------- helpers
    def _make_clip(self, grad_clip):
        if grad_clip is None:
            return None
        from ..nn.utils import clip_grad_norm_, clip_grad_value_
        if isinstance(grad_clip, bool) or not isinstance(grad_clip, (int, float, dict)):
            raise TypeError(f"Trainer: grad_clip must be None, a number or a dict, got {grad_clip!r}")
        if isinstance(grad_clip, (int, float)):
            grad_clip = {"max_norm": float(grad_clip)}
        if set(grad_clip) <= {"max_norm", "norm_type"} and "max_norm" in grad_clip:
            max_norm, norm_type = grad_clip["max_norm"], grad_clip.get("norm_type", 2.0)
            if max_norm <= 0:
                raise ValueError(f"Trainer: grad_clip max_norm must be > 0, got {max_norm}")
            return lambda params: clip_grad_norm_(params, max_norm, norm_type=norm_type)
        if set(grad_clip) == {"clip_value"}:
            value = grad_clip["clip_value"]
            if value <= 0:
                raise ValueError(f"Trainer: grad_clip clip_value must be > 0, got {value}")
            return lambda params: clip_grad_value_(params, value)
        raise ValueError(f"Trainer: grad_clip dict must be {{'max_norm': m[, 'norm_type': p]}} or "
                         f"{{'clip_value': v}}, got keys {sorted(grad_clip)}")

    @staticmethod
    def _split(batch):
        if isinstance(batch, (tuple, list)) and len(batch) >= 2:
            return tuple(batch[:-1]), batch[-1]
        raise TypeError(f"Trainer: each batch must be (inputs..., target); got a {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))

    def _params(self):
        return [p for g in self.optimizer.param_groups for p in g["params"]] if hasattr(
            self.optimizer, "param_groups") else list(self.model.parameters())

    def _say(self, text):
        if self.progress is False:
            return
        tqdm = _tqdm() if self.progress in (True, "tqdm") else None
        if tqdm is not None:
            tqdm.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def _bar(self, loader, desc):
        if self.progress not in (True, "tqdm"):
            return None
        tqdm = _tqdm()
        if tqdm is None:
            if self.progress == "tqdm":
                raise ImportError("Trainer(progress='tqdm') needs the tqdm package: pip install gradiente[lab]")
            return None
        try:
            total = len(loader)
        except TypeError:
            total = None
        return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)

    # --------------------------------------------------------------- loops
    def compute_loss(self, inputs, output, target):
        """``loss_fn(output, target)``; subclasses may use the inputs too (e.g. distillation)."""
        return self.loss_fn(output, target)

    def _run(self, loader, train, epoch=None, desc=""):
        accumulators = [get_metric(m) for m in self.metrics]
        for m in accumulators:
            m.reset()  # Metric objects given by the user are reused for every epoch and evaluation
        loss_sum, count = 0.0, 0
        bar = self._bar(loader, desc)
        model, opt = self.model, self.optimizer
        params = self._params() if train and self._clip is not None else None
        try:
            for b, batch in enumerate(loader):
                inputs, target = self._split(batch)
                output = model(*inputs)
                loss = self.compute_loss(inputs, output, target)
                if not isinstance(loss, Tensor) or loss.numel() != 1:
                    raise TypeError(f"Trainer: loss_fn must return a scalar tensor, got "
                                    f"{type(loss).__name__}{' of shape ' + str(tuple(loss.shape)) if isinstance(loss, Tensor) else ''}")
                value = float(loss.data)
                if not math.isfinite(value):
                    where = f"epoch {epoch + 1}, batch {b + 1}" if train else f"evaluation batch {b + 1}"
                    raise RuntimeError(f"Trainer: the loss is {value} at {where} "
                                       f"(of {len(loader) if hasattr(loader, '__len__') else '?'}); "
                                       "the learning rate may be too high, or the inputs hold NaN/Inf")
                if train:
                    opt.zero_grad()
                    loss.backward()
                    if params is not None:
                        self._clip(params)
                    opt.step()
                n = _batch_size(target, inputs)
                loss_sum += value * n
                count += n
                if accumulators:
                    out = output.detach() if isinstance(output, Tensor) else output
                    for m in accumulators:
                        m.update(out, target)
                if train:
                    for cb in self.callbacks:
                        cb.on_batch_end(self, b, {"loss": value})
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss_sum / count:.4f}", refresh=False)
        finally:
            if bar is not None:
                bar.close()
        if count == 0:
            raise ValueError(f"Trainer: the {'training' if train else 'evaluation'} loader yielded no batches")
        logs = {"loss": loss_sum / count}
        for m in accumulators:
            logs[m.name] = float(m.compute())
        return logs

    def fit(self, train_loader, val_loader=None, epochs=1):
        """Train for ``epochs`` more epochs; returns the :class:`History` (all epochs so far)."""
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"Trainer.fit: epochs must be a non-negative integer, got {epochs!r}")
        self.stop_training = False
        for cb in self.callbacks:
            cb.on_fit_begin(self)
        last = self.epoch + epochs
        for _ in range(epochs):
            epoch = self.epoch
            for cb in self.callbacks:
                cb.on_epoch_begin(self, epoch)
            lr = self._lr()
            start = time.perf_counter()
            self.model.train()
            logs = self._run(train_loader, True, epoch, desc=f"epoch {epoch + 1}/{last}")
            if val_loader is not None:
                val = self.evaluate(val_loader)
                logs.update({"val_" + k: v for k, v in val.items()})
            if lr is not None:
                logs["lr"] = lr
            logs["time"] = time.perf_counter() - start
            self.epoch += 1
            self.history.append(self.epoch, logs)
            self._say(self._format(epoch, last, logs))
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, logs)
            if self.stop_training:
                self._say(f"stopped early after epoch {epoch + 1}")
                break
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _lr(self):
        groups = getattr(self.optimizer, "param_groups", None)
        if groups and "lr" in groups[0]:
            return float(groups[0]["lr"])
        return None

    @staticmethod
    def _format(epoch, last, logs):
        parts = [f"epoch {epoch + 1}/{last}"]
        for k, v in logs.items():
            if k == "time":
                continue
            parts.append(f"{k} {v:.4g}" if k == "lr" else f"{k} {v:.4f}")
        parts.append(f"({logs['time']:.2f} s)")
        return "  ".join(parts)

    def evaluate(self, loader):
        """Loss and metrics on ``loader`` in eval mode, without a graph: a dict like ``{"loss": ..., "accuracy": ...}``."""
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        try:
            with no_grad():
                return self._run(loader, False)
        finally:
            self.model.train(was_training)

    def predict(self, data, batch_size=256):
        """The model's outputs (eval mode, no graph) for a tensor / array of inputs or a loader.

        From a loader, batches of ``(inputs..., target)`` use the inputs only,
        and a 1-tuple batch ``(inputs,)`` is the inputs. Outputs are concatenated
        along the first dimension.
        """
        if isinstance(data, (Tensor, _np.ndarray)):
            x = data if isinstance(data, Tensor) else Tensor(data)
            if x.ndim == 0:
                raise ValueError("Trainer.predict: inputs must have a batch dimension, got a 0-d tensor")
            batches = ((x[i:i + batch_size],) for i in range(0, x.shape[0], batch_size))
        else:
            batches = (tuple(b) if isinstance(b, (tuple, list)) else (b,) for b in data)
            batches = (b if len(b) == 1 else b[:-1] for b in batches)
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        outs = []
        try:
            with no_grad():
                for inputs in batches:
                    out = self.model(*inputs)
                    outs.append(out if isinstance(out, tuple) else (out,))
        finally:
            self.model.train(was_training)
        if not outs:
            raise ValueError("Trainer.predict: no inputs")
        merged = tuple(Tensor._wrap(xp.concatenate([o[i].data for o in outs]), False, None, 0)
                       for i in range(len(outs[0])))
        return merged[0] if len(merged) == 1 else merged

    # --------------------------------------------------------- checkpoints
    def save_checkpoint(self, path):
        """Save model, optimizer, scheduler, epoch count, history and random state (atomic; no pickle)."""
        from .checkpoint import save_checkpoint
        save_checkpoint(path, self.model, self.optimizer, self.scheduler, epoch=self.epoch,
                        extra={"history": self.history.to_dict()})

    def load_checkpoint(self, path, strict=True):
        """Restore a :meth:`save_checkpoint`: the next ``fit`` continues as if training had never stopped."""
        from .checkpoint import load_checkpoint
        info = load_checkpoint(path, self.model, self.optimizer, self.scheduler, strict=strict)
        self.epoch = int(info["epoch"] or 0)
        extra = info.get("extra") or {}
        if isinstance(extra, dict) and "history" in extra:
            self.history = History.from_dict(extra["history"])
        return info
