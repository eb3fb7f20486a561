"""Checkpoints: safetensors + JSON, atomic, no pickle; a resumed run repeats bit for bit."""
import json

import numpy as np
import pytest

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.data.datasets import make_moons
from gradiente.io import load_file, load_metadata, save_model
from gradiente.optim.lr_scheduler import StepLR
from gradiente.train import Trainer, load_checkpoint, save_checkpoint

pytest.importorskip("safetensors")


def _run_objects():
    X, y = make_moons(60, noise=0.2, random_state=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = StepLR(opt, step_size=1, gamma=0.7)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False)
    return trainer, loader


def test_resume_is_bit_for_bit(tmp_path):
    g.manual_seed(0)
    straight, loader = _run_objects()
    straight.fit(loader, epochs=4)

    g.manual_seed(0)
    first, loader = _run_objects()
    first.fit(loader, epochs=2)
    path = tmp_path / "run.safetensors"
    first.save_checkpoint(path)

    g.manual_seed(12345)  # a fresh process would start from another state: the checkpoint must restore it
    resumed, loader = _run_objects()
    resumed.load_checkpoint(path)
    assert resumed.epoch == 2 and resumed.history.epochs == [1, 2]
    resumed.fit(loader, epochs=2)

    for (k, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert straight.history["loss"] == resumed.history["loss"]
    assert straight.history["lr"] == resumed.history["lr"]
    a_state, b_state = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    for i in a_state:
        assert a_state[i]["step"] == b_state[i]["step"]
        np.testing.assert_array_equal(a_state[i]["exp_avg_sq"].numpy(), b_state[i]["exp_avg_sq"].numpy())


def test_file_layout_is_safetensors_plus_json(tmp_path):
    g.manual_seed(0)
    trainer, loader = _run_objects()
    trainer.fit(loader, epochs=1)
    path = tmp_path / "c.safetensors"
    trainer.save_checkpoint(path)
    tensors = load_file(path)
    assert "model.0.weight" in tensors and "model.1.running_mean" in tensors
    assert any(k.startswith("optimizer.state.") and k.endswith(".exp_avg") for k in tensors)
    doc = json.loads(load_metadata(path)["gradiente"])
    assert doc["format"] == "gradiente-checkpoint" and doc["epoch"] == 1
    assert doc["optimizer"]["class"] == "Adam" and doc["scheduler"]["class"] == "StepLR"
    assert doc["rng_state"]["bit_generator"] == "PCG64"
    with open(path, "rb") as f:
        assert b"\x80\x04" not in f.read(16)  # not a pickle stream
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load
    assert torch_load(str(path))["model.0.weight"].shape == torch.Size([16, 2])


def test_functional_api_roundtrips_extra_values(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(g.randn(4, 3)).sum().backward()
    opt.step()
    extra = {"note": "hi", "betas": (0.9, 0.99), "scores": [1, 2.5, float("inf"), float("nan")],
             "arr": np.arange(4, dtype=np.int32), "t": g.ones(2), "s": np.float32(1.5),
             "by_class": {0: "cat", 1: "dog"}, "__odd": None}
    path = tmp_path / "f.safetensors"
    save_checkpoint(path, model, opt, epoch=7, extra=extra)
    other = nn.Linear(3, 2)
    opt2 = optim.SGD(other.parameters(), lr=0.5, momentum=0.9)
    info = load_checkpoint(path, other, opt2)
    np.testing.assert_array_equal(other.weight.numpy(), model.weight.numpy())
    assert opt2.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(opt2.state_dict()["state"][0]["momentum_buffer"].numpy(),
                                  opt.state_dict()["state"][0]["momentum_buffer"].numpy())
    e = info["extra"]
    assert info["epoch"] == 7 and e["note"] == "hi" and e["betas"] == (0.9, 0.99)
    assert e["scores"][:3] == [1, 2.5, float("inf")] and np.isnan(e["scores"][3])
    assert e["arr"].dtype == np.int32 and e["arr"].tolist() == [0, 1, 2, 3]
    assert isinstance(e["t"], g.Tensor) and e["t"].tolist() == [1.0, 1.0]
    assert e["s"] == np.float32(1.5) and isinstance(e["s"], np.float32)
    assert e["by_class"] == {0: "cat", 1: "dog"} and e["__odd"] is None


def test_rng_state_is_restored(tmp_path):
    model = nn.Linear(2, 2)
    g.manual_seed(5)
    path = tmp_path / "r.safetensors"
    save_checkpoint(path, model)
    expected = g.rand(3).numpy()
    g.manual_seed(77)
    load_checkpoint(path, model)
    np.testing.assert_array_equal(g.rand(3).numpy(), expected)
    g.manual_seed(77)
    load_checkpoint(path, model, restore_rng=False)
    assert not np.array_equal(g.rand(3).numpy(), expected)


def test_checkpoint_errors(tmp_path):
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    plain = tmp_path / "w.safetensors"
    save_model(model, plain)
    with pytest.raises(ValueError, match="not a gradiente checkpoint"):
        load_checkpoint(plain, model)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model)
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_checkpoint(path, model, opt)
    save_checkpoint(path, model, opt)
    with pytest.raises(TypeError, match="holds SGD state, but the optimizer given is Adam"):
        load_checkpoint(path, model, optim.Adam(model.parameters()))
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        load_checkpoint(path, nn.Linear(3, 2))
    with pytest.raises(TypeError, match="cannot store a builtin_function_or_method .* without pickle"):
        save_checkpoint(path, model, extra={"f": print})
    with pytest.raises(TypeError, match="dict key"):
        save_checkpoint(path, model, extra={(1, 2): 3})
