"""Callbacks: early stopping (seed 002 §3.3), learning-rate scheduling (§3.8), model checkpoints."""
import numpy as np
import pytest

from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.data.datasets import make_moons
from gradiente.io import load_file
from gradiente.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from gradiente.train import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, Trainer, load_checkpoint


def _setup(lr=0.05):
    X, y = make_moons(48, noise=0.1, random_state=0)
    ds = TensorDataset(X, y)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    return model, optim.SGD(model.parameters(), lr=lr), DataLoader(ds, batch_size=16), DataLoader(ds, batch_size=48)


class WeightLog(Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append(trainer.model.state_dict()["0.weight"].numpy().copy())


def test_early_stopping_stops_after_patience_and_restores_best():
    model, opt, train, val = _setup()
    log = WeightLog()
    # the loss falls every epoch, so with mode="max" only epoch 1 is ever "best"
    stop = EarlyStopping(monitor="val_loss", patience=2, mode="max", restore_best=True)
    hist = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[log, stop], progress=False).fit(train, val, epochs=10)
    assert len(hist) == 4 and stop.stopped_epoch == 3 and stop.best_epoch == 0
    np.testing.assert_array_equal(model.state_dict()["0.weight"].numpy(), log.weights[0])
    assert not np.array_equal(log.weights[0], log.weights[-1])


def test_early_stopping_keeps_going_while_improving():
    model, opt, train, val = _setup()
    stop = EarlyStopping(monitor="val_loss", patience=0)
    hist = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[stop], progress=False).fit(train, val, epochs=4)
    assert len(hist) == 4 and stop.stopped_epoch is None and stop.mode == "min"
    assert stop.best == pytest.approx(hist["val_loss"][stop.best_epoch])


def test_early_stopping_errors():
    model, opt, train, _ = _setup()
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[EarlyStopping()], progress=False)
    with pytest.raises(KeyError, match="'val_loss' is not in the epoch logs.*pass val_loader"):
        trainer.fit(train, epochs=1)
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    assert EarlyStopping(monitor="val_accuracy").mode == "max"


def test_scheduler_is_stepped_per_epoch():
    model, opt, train, _ = _setup(lr=0.4)
    hist = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=StepLR(opt, step_size=2, gamma=0.5),
                   progress=False).fit(train, epochs=5)
    assert hist["lr"] == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)  # after 5 steps: 0.4 * 0.5 ** (5 // 2)


def test_scheduler_per_batch():
    model, opt, train, _ = _setup(lr=1.0)
    cb = LRSchedulerCallback(StepLR(opt, step_size=1, gamma=0.5), interval="step")
    hist = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[cb], progress=False).fit(train, epochs=2)
    assert hist["lr"] == pytest.approx([1.0, 0.125])  # 3 batches per epoch


def test_reduce_on_plateau_gets_the_monitored_value():
    model, opt, train, val = _setup(lr=0.4)
    # mode="max" on a falling loss: every epoch after the first is "worse", so the rate halves each time
    sched = ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0)
    hist = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False).fit(train, val, epochs=4)
    assert hist["lr"] == pytest.approx([0.4, 0.4, 0.2, 0.1])
    assert sched.best == pytest.approx(hist["val_loss"][0])
    model2, opt2, train2, _ = _setup(lr=0.4)
    sched2 = ReduceLROnPlateau(opt2, mode="max", factor=0.5, patience=0)
    Trainer(model2, opt2, nn.CrossEntropyLoss(), scheduler=sched2, progress=False).fit(train2, epochs=2)
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.2)  # falls back to the training loss
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs a monitored value"):
        LRSchedulerCallback(sched2, interval="step")
    with pytest.raises(TypeError, match="step\\(\\) method"):
        LRSchedulerCallback(object())


def test_model_checkpoint_saves_best(tmp_path):
    model, opt, train, val = _setup()
    path = str(tmp_path / "best.safetensors")
    ckpt = ModelCheckpoint(path, monitor="val_accuracy")
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[ckpt], progress=False)
    hist = trainer.fit(train, val, epochs=4)
    best_epoch, best_value = hist.best("val_accuracy")
    assert ckpt.best_epoch + 1 == best_epoch and ckpt.best == best_value and ckpt.best_path == path
    info = load_checkpoint(path, restore_rng=False)
    assert info["epoch"] == best_epoch
    assert info["extra"]["history"]["epochs"] == list(range(1, best_epoch + 1))


def test_model_checkpoint_every_epoch_formatted_and_weights_only(tmp_path):
    model, opt, train, val = _setup()
    pattern = str(tmp_path / "w-{epoch:02d}-{val_loss:.3f}.safetensors")
    Trainer(model, opt, nn.CrossEntropyLoss(), progress=False,
            callbacks=[ModelCheckpoint(pattern, save_best_only=False, save_weights_only=True)]).fit(train, val, epochs=2)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("w-01-") and names[1].startswith("w-02-")
    weights = load_file(tmp_path / names[1])
    np.testing.assert_array_equal(weights["2.bias"].numpy(), model.state_dict()["2.bias"].numpy())
    bad = ModelCheckpoint(str(tmp_path / "{nope}.st"), save_best_only=False)
    with pytest.raises(ValueError, match="cannot fill path"):
        Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[bad], progress=False).fit(train, epochs=1)
