"""The Trainer (seed 002 §3): parity with a PyTorch loop, history, evaluate/predict, errors, progress."""
import os

import numpy as np
import pytest

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.data.datasets import make_moons
from gradiente.train import Callback, Trainer

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "train_reference.npz")


def _mlp(i=4, h=8, o=3):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


def _moons(n=64):
    X, y = make_moons(n, noise=0.1, random_state=0)
    return TensorDataset(X, y)


def test_matches_recorded_pytorch_trajectory():
    ref = np.load(FIX)
    model = _mlp()
    model.load_state_dict({k[5:]: ref[k] for k in ref.files if k.startswith("init.")})
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(),
                      progress=False)
    hist = trainer.fit(DataLoader(TensorDataset(ref["X"], ref["y"]), batch_size=4), epochs=2)
    np.testing.assert_allclose(hist["loss"], ref["losses"], rtol=1e-5)
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), ref["final." + k], rtol=1e-5, atol=1e-6)


def test_matches_live_pytorch_loop_with_adam_and_clipping():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 4)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    model = _mlp()
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    topt = torch.optim.Adam(ref.parameters(), lr=0.05)
    for _ in range(3):
        for i in range(0, 20, 6):
            loss = torch.nn.functional.cross_entropy(ref(torch.from_numpy(X[i:i + 6])), torch.from_numpy(y[i:i + 6]))
            topt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
            topt.step()
    Trainer(model, optim.Adam(model.parameters(), lr=0.05), nn.CrossEntropyLoss(), grad_clip=0.5,
            progress=False).fit(DataLoader(TensorDataset(X, y), batch_size=6), epochs=3)
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), ref.state_dict()[k].numpy(), rtol=1e-4, atol=1e-5)


def test_history_evaluate_and_continued_fit():
    ds = _moons()
    model = _mlp(2, 16, 2)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.05), nn.CrossEntropyLoss(),
                      metrics=("accuracy", "f1"), progress=False)
    loader = DataLoader(ds, batch_size=16, shuffle=True)
    hist = trainer.fit(loader, DataLoader(ds, batch_size=64), epochs=3)
    assert set(hist.keys()) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr", "time"}
    assert len(hist) == 3 and hist.epochs == [1, 2, 3] and all(t > 0 for t in hist["time"])
    assert hist["lr"] == [0.05] * 3
    hist = trainer.fit(loader, epochs=2)
    assert hist.epochs == [1, 2, 3, 4, 5] and np.isnan(hist["val_loss"][-1])
    assert hist["loss"][-1] < hist["loss"][0]
    logs = trainer.evaluate(DataLoader(ds, batch_size=10))
    with g.no_grad():
        out = model(ds.tensors[0])
        ref_loss = nn.CrossEntropyLoss()(out, ds.tensors[1]).item()
    assert logs["loss"] == pytest.approx(ref_loss, rel=1e-5)
    assert logs["accuracy"] == pytest.approx(g.train.accuracy(out, ds.tensors[1]))
    assert model.training  # evaluate restores the mode
    assert hist.best("val_accuracy")[0] in (1, 2, 3)


def test_predict_tensor_array_and_loader():
    ds = _moons(30)
    model = _mlp(2, 8, 2)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False)
    with g.no_grad():
        full = model(ds.tensors[0]).numpy()
    np.testing.assert_allclose(trainer.predict(ds.tensors[0], batch_size=7).numpy(), full, rtol=1e-6)
    np.testing.assert_allclose(trainer.predict(ds.tensors[0].numpy()).numpy(), full, rtol=1e-6)
    np.testing.assert_allclose(trainer.predict(DataLoader(ds, batch_size=8)).numpy(), full, rtol=1e-6)
    only_x = DataLoader(TensorDataset(ds.tensors[0]), batch_size=8)
    out = trainer.predict(only_x)
    assert out.shape == (30, 2) and not out.requires_grad


def test_nan_loss_names_epoch_and_batch():
    X = np.ones((8, 2), np.float32)
    X[5] = np.nan
    model = _mlp(2, 4, 2)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False)
    with pytest.raises(RuntimeError, match=r"loss is nan at epoch 1, batch 3"):
        trainer.fit(DataLoader(TensorDataset(X, np.zeros(8, np.int64)), batch_size=2), epochs=1)


def test_regression_with_mse_and_no_metrics():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    model = nn.Linear(3, 1)
    loader = DataLoader(TensorDataset(X, y), batch_size=8)
    with pytest.raises(ValueError, match=r"metrics=\(\)"):
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), progress=False).fit(loader)
    hist = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), metrics=(),
                   progress=False).fit(loader, epochs=30)
    assert set(hist.keys()) == {"loss", "lr", "time"} and hist["loss"][-1] < 1e-3


def test_progress_output(capsys):
    ds = _moons(16)
    model = _mlp(2, 4, 2)
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress="plain").fit(
        DataLoader(ds, batch_size=8), epochs=2)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "accuracy" in out
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=False).fit(
        DataLoader(ds, batch_size=8), epochs=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    pytest.importorskip("tqdm")
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=True).fit(
        DataLoader(ds, batch_size=8), epochs=1)
    assert "epoch 1/1" in capsys.readouterr().out


def test_callback_hooks_order():
    calls = []

    class Spy(Callback):
        def on_fit_begin(self, trainer):
            calls.append("fit_begin")

        def on_epoch_begin(self, trainer, epoch):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, trainer, batch, logs):
            calls.append(f"batch {batch}")

        def on_epoch_end(self, trainer, epoch, logs):
            calls.append(f"epoch_end {epoch}")

        def on_fit_end(self, trainer):
            calls.append("fit_end")

    model = _mlp(2, 4, 2)
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), callbacks=[Spy()],
            progress=False).fit(DataLoader(_moons(8), batch_size=4), DataLoader(_moons(8), batch_size=4), epochs=2)
    assert calls == ["fit_begin", "epoch_begin 0", "batch 0", "batch 1", "epoch_end 0",
                     "epoch_begin 1", "batch 0", "batch 1", "epoch_end 1", "fit_end"]


def test_argument_and_batch_errors():
    model = _mlp(2, 4, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match="Trainer: model must be a Module"):
        Trainer(object(), opt, loss)
    with pytest.raises(TypeError, match="optimizer must have step"):
        Trainer(model, object(), loss)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        Trainer(model, opt, 3)
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        Trainer(model, opt, loss, metrics=("auc",))
    with pytest.raises(ValueError, match="progress must be"):
        Trainer(model, opt, loss, progress="fancy")
    with pytest.raises(TypeError, match="callbacks must be Callback"):
        Trainer(model, opt, loss, callbacks=[print])
    with pytest.raises(ValueError, match="grad_clip dict"):
        Trainer(model, opt, loss, grad_clip={"norm": 1.0})
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        Trainer(model, opt, loss, grad_clip=0.0)
    trainer = Trainer(model, opt, loss, progress=False)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        trainer.fit(DataLoader(_moons(8)), epochs=-1)
    with pytest.raises(TypeError, match=r"each batch must be \(inputs\.\.\., target\)"):
        trainer.fit(DataLoader(TensorDataset(g.zeros(4, 2)), batch_size=2))
    with pytest.raises(ValueError, match="loader yielded no batches"):
        trainer.fit(DataLoader(TensorDataset(g.zeros(0, 2), g.zeros(0)), batch_size=2))
    bad = Trainer(model, opt, lambda o, t: o, progress=False)
    with pytest.raises(TypeError, match=r"loss_fn must return a scalar tensor, got Tensor of shape \(2, 2\)"):
        bad.fit(DataLoader(_moons(4), batch_size=2))


def test_clip_by_value_bounds_the_update():
    model = nn.Linear(2, 1, bias=False)
    w0 = model.weight.numpy().copy()
    X = np.full((4, 2), 100.0, np.float32)
    Trainer(model, optim.SGD(model.parameters(), lr=1.0), nn.MSELoss(), metrics=(), progress=False,
            grad_clip={"clip_value": 0.01}).fit(DataLoader(TensorDataset(X, np.zeros((4, 1), np.float32)),
                                                           batch_size=4))
    np.testing.assert_allclose(np.abs(model.weight.numpy() - w0), 0.01, rtol=1e-5)


def test_binary_logit_model_with_thresholded_accuracy():
    from gradiente.train.metrics import AccuracyMetric
    X, y = make_moons(64, noise=0.05, random_state=1)
    target = y.float().reshape(-1, 1)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.05), nn.BCEWithLogitsLoss(),
                      metrics=(AccuracyMetric(threshold=0.0),), progress=False)
    hist = trainer.fit(DataLoader(TensorDataset(X, target), batch_size=16, shuffle=True), epochs=30)
    logits = trainer.predict(X)
    assert hist["accuracy"][-1] > 0.8  # with threshold 0.5 on logits it would read the wrong class
    assert trainer.evaluate(DataLoader(TensorDataset(X, target), batch_size=64))["accuracy"] == pytest.approx(
        float(((logits.numpy() > 0) == (target.numpy() > 0.5)).mean()))


def test_progress_without_tqdm(monkeypatch, capsys):
    import gradiente.train.trainer as trainer_module
    monkeypatch.setattr(trainer_module, "_tqdm", lambda: None)
    model = _mlp(2, 4, 2)
    loader = DataLoader(_moons(8), batch_size=4)
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress=True).fit(loader)
    assert "epoch 1/1" in capsys.readouterr().out  # plain lines instead of a bar
    with pytest.raises(ImportError, match=r"gradiente\[lab\]"):
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), progress="tqdm").fit(loader)


def test_history_roundtrip_best_and_plot(tmp_path):
    from gradiente.train import History
    h = History()
    h.append(1, {"loss": 1.0, "val_loss": 0.9, "accuracy": 0.5})
    h.append(2, {"loss": 0.5, "val_loss": 0.95, "accuracy": 0.7, "val_accuracy": 0.6})
    assert h["val_accuracy"][0] != h["val_accuracy"][0] and h["val_accuracy"][1] == 0.6  # NaN where missing
    assert h.best("val_loss") == (1, 0.9) and h.best("accuracy") == (2, 0.7)
    back = History.from_dict(h.to_dict())
    assert back.epochs == [1, 2] and back["loss"] == [1.0, 0.5] and back.last["accuracy"] == 0.7
    with pytest.raises(KeyError, match="no 'f1'"):
        h["f1"]
    pytest.importorskip("matplotlib")
    h.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    with pytest.raises(KeyError, match="History.plot: no 'f1'"):
        h.plot(metrics=["f1"])
