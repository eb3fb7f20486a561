"""``History``: the numbers of every epoch of a training run (seed 002 §3.3).

Training and validation curves side by side are how over- and under-fitting
show (seed 002 §3.3): a training loss that keeps falling while the validation
loss rises is over-fitting.
"""
import math

from .callbacks import resolve_mode


class History:
    """Per-epoch logs: ``history["val_loss"]`` is the list of validation losses, one per epoch.

    Keys: ``loss`` and each metric (training), ``val_`` + the same
    (validation, when a validation loader is given), ``lr`` (the learning
    rate of the first parameter group during the epoch) and ``time`` (seconds
    the epoch took, validation included). ``epochs`` holds the 1-based epoch
    numbers, so that a resumed run continues the count.
    """

    def __init__(self):
        self.history = {}
        self.epochs = []

    def append(self, epoch, logs):
        n = len(self.epochs)
        for k in logs:
            if k not in self.history:
                self.history[k] = [math.nan] * n
        for k, values in self.history.items():
            values.append(float(logs[k]) if k in logs else math.nan)
        self.epochs.append(int(epoch))

    def __getitem__(self, key):
        if key not in self.history:
            raise KeyError(f"History: no {key!r}; recorded: {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def __len__(self):
        return len(self.epochs)

    def keys(self):
        return self.history.keys()

    @property
    def last(self):
        """The logs of the last epoch, as a dict."""
        return {k: v[-1] for k, v in self.history.items()} if self.epochs else {}

    def best(self, monitor="val_loss", mode="auto"):
        """``(epoch, value)`` of the best epoch for ``monitor`` (the 1-based epoch number)."""
        mode = resolve_mode(mode, monitor, "History.best")
        values = self[monitor]
        finite = [(v, i) for i, v in enumerate(values) if not math.isnan(v)]
        if not finite:
            raise ValueError(f"History.best: no recorded value of {monitor!r}")
        v, i = min(finite) if mode == "min" else max(finite, key=lambda t: (t[0], -t[1]))
        return self.epochs[i], v

    def to_dict(self):
        return {"epochs": list(self.epochs), "history": {k: list(v) for k, v in self.history.items()}}

    @classmethod
    def from_dict(cls, d):
        h = cls()
        h.epochs = [int(e) for e in d.get("epochs", [])]
        h.history = {k: [float(x) for x in v] for k, v in d.get("history", {}).items()}
        return h

    def plot(self, path=None, metrics=None):
        """Training and validation curves, one panel per quantity (seed 002 §3.3); needs matplotlib.

        ``metrics`` lists the quantities (default: ``loss`` and every metric
        recorded); each panel shows the training value and its ``val_`` twin.
        Saves to ``path`` when given; returns the matplotlib figure.
        """
        try:
            from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone
        except ImportError as exc:
            raise ImportError("History.plot needs matplotlib: pip install gradiente[lab]") from exc
        if not self.epochs:
            raise ValueError("History.plot: nothing recorded yet")
        if metrics is None:
            metrics = [k for k in self.history if not k.startswith("val_") and k not in ("lr", "time")]
        for m in metrics:
            if m not in self.history and "val_" + m not in self.history:
                raise KeyError(f"History.plot: no {m!r}; recorded: {sorted(self.history)}")
        fig = Figure(figsize=(4.5 * len(metrics), 3.4))
        axes = fig.subplots(1, len(metrics), squeeze=False)
        for ax, m in zip(axes[0], metrics):
            for key, label in ((m, "training"), ("val_" + m, "validation")):
                if key in self.history:
                    ax.plot(self.epochs, self.history[key], marker="o", markersize=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_title(m)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig

    def __repr__(self):
        keys = ", ".join(sorted(self.history))
        return f"History(epochs={len(self.epochs)}, keys=[{keys}])"
