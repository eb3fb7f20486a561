"""safetensors files: round trips, metadata, PyTorch interoperability, atomic writes, errors."""
import os

import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.io import atomic_write_bytes, load_file, load_metadata, load_model, save_file, save_model

pytest.importorskip("safetensors")


def test_roundtrip_dtypes_and_metadata(tmp_path):
    p = tmp_path / "t.safetensors"
    data = {"w": g.randn(3, 4), "i": np.arange(5, dtype=np.int64), "b": np.array([True, False]),
            "d": g.randn(2, dtype=g.float64), "s": np.float32(2.5), "e": np.zeros((0, 3), np.float32),
            "be": np.arange(3, dtype=">i4")}
    save_file(data, p, metadata={"note": "hello"})
    out = load_file(p)
    assert set(out) == set(data)
    for k, v in data.items():
        ref = v.numpy() if isinstance(v, g.Tensor) else np.asarray(v)
        np.testing.assert_array_equal(out[k].numpy(), ref)
        assert out[k].shape == ref.shape  # 0-d stays 0-d (BatchNorm's num_batches_tracked)
        assert out[k].dtype == ref.dtype.newbyteorder("=")
    assert load_metadata(p) == {"note": "hello"}
    out["w"].data[0, 0] = 99.0  # loaded tensors are writable copies
    assert load_file(p)["w"].numpy()[0, 0] != 99.0


def test_model_roundtrip_and_pytorch_reads_the_file(tmp_path):
    p = tmp_path / "m.safetensors"
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    save_model(model, p)
    other = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    load_model(other, p)
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    ref.load_state_dict(torch_load(str(p)))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(), model(g.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    wrong = nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        load_model(wrong, p)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "a.bin"
    atomic_write_bytes(p, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(p, b"new")
    monkeypatch.undo()
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "no" / "x.bin", b"")


def test_errors(tmp_path):
    with pytest.raises(TypeError, match="dict of name -> tensor"):
        save_file([g.zeros(2)], tmp_path / "x")
    with pytest.raises(TypeError, match="value of 'a' must be a Tensor"):
        save_file({"a": [1, 2]}, tmp_path / "x")
    with pytest.raises(TypeError, match="tensor names must be strings"):
        save_file({1: g.zeros(2)}, tmp_path / "x")
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        save_file({"a": g.zeros(2)}, tmp_path / "x", metadata={"k": 1})
    with pytest.raises(TypeError, match="complex64"):
        save_file({"a": np.zeros(2, np.complex64)}, tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="load_file"):
        load_file(tmp_path / "missing")
    (tmp_path / "junk").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{bad}")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load_file(tmp_path / "junk")


def test_missing_package_names_the_extra(monkeypatch, tmp_path):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("safetensors"):
            raise ImportError("no safetensors")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"gradiente\[io\]"):
        save_file({"a": g.zeros(2)}, tmp_path / "x")
