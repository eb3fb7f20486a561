"""Callbacks: code the :class:`~gradiente.train.Trainer` runs at the edges of epochs and batches.

- :class:`EarlyStopping` stops when the validation metric stops improving:
  the remedy against over-fitting of seed 002 §3.3 (train longer only while
  the validation set still gains);
- :class:`LRSchedulerCallback` steps a learning-rate scheduler (seed 002 §3.8);
- :class:`ModelCheckpoint` saves the model (and optimizer) when the monitored
  value improves.

Every hook receives the trainer; ``logs`` is the dict of the epoch's numbers
(``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``time``).
"""
import math

import numpy as _np


class Callback:
    """Base class; override the hooks you need."""

    def on_fit_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, batch, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_fit_end(self, trainer):
        pass


_MAX_WORDS = ("acc", "f1", "precision", "recall", "auc")


def resolve_mode(mode, monitor, owner):
    """'min' or 'max'; ``"auto"`` picks 'max' for accuracy-like names and 'min' otherwise."""
    if mode == "auto":
        return "max" if any(w in monitor for w in _MAX_WORDS) else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{owner}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def monitored_value(logs, monitor, owner):
    if monitor not in logs:
        hint = " (pass val_loader to fit, or monitor a training value)" if monitor.startswith("val_") else ""
        raise KeyError(f"{owner}: monitored value {monitor!r} is not in the epoch logs; "
                       f"available: {sorted(logs)}{hint}")
    return float(logs[monitor])


class _Monitor:
    """Tracks the best value of ``monitor`` with ``min_delta``."""

    def __init__(self, monitor, mode, min_delta, owner):
        self.monitor = monitor
        self.mode = resolve_mode(mode, monitor, owner)
        if min_delta < 0:
            raise ValueError(f"{owner}: min_delta must be >= 0, got {min_delta}")
        self.min_delta = float(min_delta)
        self.owner = owner
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf

    def improved(self, value):
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (seed 002 §3.3).

    With ``restore_best=True`` the weights of the best epoch are put back into
    the model when fit ends.
    """

    def __init__(self, monitor="val_loss", patience=5, mode="auto", min_delta=0.0, restore_best=True):
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer, got {patience!r}")
        self._monitor = _Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor = monitor
        self.mode = self._monitor.mode
        self.patience = patience
        self.restore_best = restore_best
        self.on_fit_begin(None)

    @property
    def best(self):
        return self._monitor.best

    def on_fit_begin(self, trainer):
        self._monitor.reset()
        self.wait = 0
        self.best_epoch = None
        self.stopped_epoch = None
        self.best_state = None

    def on_epoch_end(self, trainer, epoch, logs):
        value = monitored_value(logs, self.monitor, "EarlyStopping")
        if self._monitor.improved(value):
            self._monitor.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best:
                self.best_state = {k: v.data.copy() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_fit_end(self, trainer):
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)


def _is_plateau(scheduler):
    return any(c.__name__ == "ReduceLROnPlateau" for c in type(scheduler).__mro__)


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler once per epoch (``interval="epoch"``) or per batch (``"step"``).

    A ``ReduceLROnPlateau`` scheduler is stepped with the monitored value
    (``val_loss`` by default; ``loss`` when there is no validation set).
    """

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if not hasattr(scheduler, "step"):
            raise TypeError(f"LRSchedulerCallback: scheduler must have a step() method, got {type(scheduler).__name__}")
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'step', got {interval!r}")
        if interval == "step" and _is_plateau(scheduler):
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau needs a monitored value; use interval='epoch'")
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor

    def on_batch_end(self, trainer, batch, logs):
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, trainer, epoch, logs):
        if self.interval != "epoch":
            return
        if _is_plateau(self.scheduler):
            monitor = self.monitor
            if monitor not in logs and monitor.startswith("val_") and monitor[4:] in logs:
                monitor = monitor[4:]
            self.scheduler.step(monitored_value(logs, monitor, "LRSchedulerCallback"))
        else:
            self.scheduler.step()


class ModelCheckpoint(Callback):
    """Save a checkpoint when ``monitor`` improves (or every epoch with ``save_best_only=False``).

    ``path`` may hold fields filled from the epoch (1-based) and the logs,
    e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.safetensors"``. A full
    checkpoint (model, optimizer, scheduler, epoch, history, random state;
    see :func:`~gradiente.train.save_checkpoint`) is written, or only the
    model's weights with ``save_weights_only=True``.
    """

    def __init__(self, path, monitor="val_loss", mode="auto", save_best_only=True, save_weights_only=False,
                 min_delta=0.0):
        self.path = str(path)
        self.monitor = monitor
        self._monitor = _Monitor(monitor, mode, min_delta, "ModelCheckpoint")
        self.mode = self._monitor.mode
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.best_path = None
        self.best_epoch = None

    @property
    def best(self):
        return self._monitor.best

    def on_fit_begin(self, trainer):
        # keep the best across several fit() calls on one trainer (a resumed run continues the comparison)
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best_only:
            value = monitored_value(logs, self.monitor, "ModelCheckpoint")
            if not self._monitor.improved(value):
                return
            self._monitor.best = value
            self.best_epoch = epoch
        fields = {k: v for k, v in logs.items() if isinstance(v, (int, float, _np.floating))}
        try:
            path = self.path.format(epoch=epoch + 1, **fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint: cannot fill path {self.path!r} from epoch and logs "
                             f"{sorted(fields)} ({exc!r})") from None
        if self.save_weights_only:
            from ..io import save_model
            save_model(trainer.model, path)
        else:
            trainer.save_checkpoint(path)
        self.best_path = path
