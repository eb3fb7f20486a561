"""Generated sets (XOR, moons, circles, spirals), the digits, and the NPZ / CSV / IDX readers."""
import gzip

import numpy as np
import pytest

import gradiente as g
from gradiente.data.datasets import (load_csv, load_digits, load_idx, load_npz, make_circles, make_moons,
                                     make_spirals, save_idx, xor)


def test_xor_truth_table_and_noisy_samples():
    X, y = xor()
    np.testing.assert_array_equal(X.numpy(), [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y.numpy(), [0, 1, 1, 0])
    X, y = xor(n_samples=40, noise=0.05)
    assert X.shape == (40, 2) and X.dtype == np.float32
    corners = np.round(X.numpy())
    np.testing.assert_array_equal(np.logical_xor(corners[:, 0], corners[:, 1]).astype(int), y.numpy())
    with pytest.raises(ValueError, match="noise needs n_samples"):
        xor(noise=0.1)


@pytest.mark.parametrize("n", [10, 11])
def test_moons_and_circles_match_scikit_learn_without_noise(n):
    sk = pytest.importorskip("sklearn.datasets")
    for ours_fn, sk_fn in ((make_moons, sk.make_moons), (make_circles, sk.make_circles)):
        X, y = ours_fn(n, shuffle=False)
        Xs, ys = sk_fn(n, shuffle=False)
        np.testing.assert_allclose(X.numpy(), Xs, atol=1e-6)
        np.testing.assert_array_equal(y.numpy(), ys)


def test_generated_sets_are_seeded_and_labelled():
    g.manual_seed(1)
    a = make_moons(50, noise=0.1)
    g.manual_seed(1)
    b = make_moons(50, noise=0.1)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    c = make_moons(50, noise=0.1, random_state=4)
    d = make_moons(50, noise=0.1, random_state=4)
    np.testing.assert_array_equal(c[0].numpy(), d[0].numpy())
    X, y = make_spirals(301, n_classes=3, noise=0.0, shuffle=False)
    assert X.shape == (301, 2) and np.bincount(y.numpy()).tolist() == [101, 100, 100]
    r = np.linalg.norm(X.numpy(), axis=1)
    assert r.max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="make_spirals: n_classes"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="make_circles: factor"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="make_moons: noise"):
        make_moons(10, noise=-1)
    with pytest.raises(ValueError, match="make_moons: n_samples"):
        make_moons(1)


def test_load_digits_shapes_and_range():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= X.numpy().min() and X.numpy().max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    Xc, _ = load_digits(normalize=False, flatten=False)
    assert Xc.shape == (1797, 1, 8, 8) and Xc.numpy().max() == 16.0


def test_load_digits_without_scikit_learn_names_the_extra(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"gradiente\[data\]"):
        load_digits()


def test_load_npz(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, x=np.ones((3, 2)), y=np.array([0, 1, 2]))
    X, y = load_npz(p, "x", "y")
    assert X.dtype == np.float32 and y.dtype == np.int64 and X.shape == (3, 2)
    everything = load_npz(p)
    assert set(everything) == {"x", "y"}
    with pytest.raises(KeyError, match=r"no array named 'z'.*\['x', 'y'\]"):
        load_npz(p, "z")
    with pytest.raises(FileNotFoundError, match="load_npz"):
        load_npz(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="load_npz"):
        load_npz(bad)


def test_load_csv(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,label\n1.0,2.0,0\n3.0,4.5,1\n5,6,2\n")
    X, y = load_csv(p)
    np.testing.assert_array_equal(X.numpy(), [[1, 2], [3, 4.5], [5, 6]])
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2]
    X2, y2 = load_csv(p, target_column="a")
    assert y2.tolist() == [1, 3, 5] and X2.shape == (3, 2)
    q = tmp_path / "r.csv"
    q.write_text("0.5;1\n0.25;2\n")
    Xr, yr = load_csv(q, target_column=0, delimiter=";")
    assert yr.dtype == np.float32 and Xr.tolist() == [[1.0], [2.0]]
    assert load_csv(q, target_column=None, delimiter=";").shape == (2, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3\n")
    with pytest.raises(ValueError, match="row 2 .* has 1 columns, expected 2"):
        load_csv(bad)
    with pytest.raises(KeyError, match="no column named 'zz'"):
        load_csv(p, target_column="zz")
    text = tmp_path / "t.csv"
    text.write_text("1,x\n2,3\n")
    with pytest.raises(ValueError, match="non-numeric"):
        load_csv(text, header=False)


def _idx_bytes(array, code):
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
    return header + array.tobytes()


def test_load_idx_mnist_layout_plain_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = _idx_bytes(images, 0x08)
    assert raw[:4] == b"\x00\x00\x08\x03"  # the magic number of train-images-idx3-ubyte
    (tmp_path / "img-idx3-ubyte").write_bytes(raw)
    (tmp_path / "img-idx3-ubyte.gz").write_bytes(gzip.compress(raw))
    for name in ("img-idx3-ubyte", "img-idx3-ubyte.gz"):
        t = load_idx(tmp_path / name)
        assert t.dtype == np.uint8 and t.shape == (2, 3, 4)
        np.testing.assert_array_equal(t.numpy(), images)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    (tmp_path / "lab").write_bytes(_idx_bytes(labels, 0x08))
    assert load_idx(tmp_path / "lab").tolist() == [7, 2, 1]


def test_idx_big_endian_types_roundtrip(tmp_path):
    floats = np.array([[1.5, -2.0], [3.25, 0.0]], dtype=">f4")
    (tmp_path / "f").write_bytes(_idx_bytes(floats, 0x0D))
    out = load_idx(tmp_path / "f")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), floats.astype(np.float32))
    for arr in (np.arange(6, dtype=np.int32).reshape(2, 3) - 3, np.linspace(0, 1, 5)):
        save_idx(tmp_path / "r.gz", arr)
        np.testing.assert_array_equal(load_idx(tmp_path / "r.gz").numpy(), arr)
    with pytest.raises(TypeError, match="save_idx: dtype"):
        save_idx(tmp_path / "c", np.zeros(2, np.complex64))


def test_load_idx_errors(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_idx(tmp_path / "bad")
    short = _idx_bytes(np.zeros((2, 2), np.uint8), 0x08)[:-1]
    (tmp_path / "short").write_bytes(short)
    with pytest.raises(ValueError, match=r"holds 15 bytes, its header \(shape \(2, 2\)"):
        load_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError, match="load_idx"):
        load_idx(tmp_path / "missing")


def test_load_mnist_from_idx_files(tmp_path):
    from gradiente.data.datasets import load_mnist
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    save_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    save_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    X, y = load_mnist(tmp_path, train=False)
    assert X.shape == (5, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X.numpy()[:, 0], images / 255.0, rtol=1e-6)
    assert y.tolist() == [3, 1, 4, 1, 5]
    assert load_mnist(tmp_path, train=False, flatten=True, normalize=False)[0].shape == (5, 784)
    with pytest.raises(FileNotFoundError, match="neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path)
    save_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:4])
    with pytest.raises(ValueError, match="do not form a data set"):
        load_mnist(tmp_path, train=False)
