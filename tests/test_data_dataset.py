"""Data sets and splits (seed 002 §3.2): TensorDataset, Subset, ConcatDataset, random_split, 80/10/10."""
import numpy as np
import pytest

import gradiente as g
from gradiente.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split, train_val_test_split


def _ds(n=10):
    return TensorDataset(g.arange(n * 2, dtype=g.float32).reshape(n, 2), g.arange(n))


def test_tensor_dataset_items_and_len():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    np.testing.assert_array_equal(x.numpy(), [6.0, 7.0])
    assert y.item() == 3 and y.dtype == np.int64
    assert isinstance(x, g.Tensor) and not x.requires_grad


def test_tensor_dataset_accepts_arrays():
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.array([0, 1, 2]))
    assert len(ds) == 3 and ds[2][1].item() == 2


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\[3, 4\]"):
        TensorDataset(g.zeros(3, 2), g.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(g.tensor(1.0))


def test_subset_and_concat():
    ds = _ds(6)
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4 and sub[1][1].item() == 0
    assert Subset(ds, g.tensor([5, 1])).indices.tolist() == [5, 1]  # e.g. from g.randperm
    cat = ConcatDataset([ds, sub])
    assert len(cat) == 8
    assert cat[6][1].item() == 4 and cat[-1][1].item() == 0 and cat[5][1].item() == 5
    with pytest.raises(IndexError, match="out of range"):
        cat[8]
    both = ds + sub
    assert isinstance(both, ConcatDataset) and len(both) == 8
    with pytest.raises(IndexError, match=r"Subset: indices must lie in \[-6, 6\)"):
        Subset(ds, [6])
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_random_split_lengths_disjoint_and_seeded():
    ds = _ds(10)
    g.manual_seed(3)
    a = [s.indices.tolist() for s in random_split(ds, [7, 3])]
    g.manual_seed(3)
    b = [s.indices.tolist() for s in random_split(ds, [7, 3])]
    assert a == b
    assert sorted(a[0] + a[1]) == list(range(10)) and len(a[0]) == 7
    c = [s.indices.tolist() for s in random_split(ds, [7, 3], generator=5)]
    d = [s.indices.tolist() for s in random_split(ds, [7, 3], generator=np.random.default_rng(5))]
    assert c == d


@pytest.mark.parametrize("n,fracs", [(10, [0.8, 0.1, 0.1]), (11, [0.5, 0.5]), (7, [0.3, 0.3, 0.4]), (1797, [0.8, 0.1, 0.1])])
def test_random_split_fraction_sizes_match_torch(n, fracs):
    torch = pytest.importorskip("torch")
    ours = [len(s) for s in random_split(_ds(n), fracs)]
    theirs = [len(s) for s in torch.utils.data.random_split(range(n), fracs)]
    assert ours == theirs


def test_train_val_test_split_default_80_10_10():
    ds = _ds(100)
    tr, va, te = train_val_test_split(ds)
    assert (len(tr), len(va), len(te)) == (80, 10, 10)
    idx = np.concatenate([tr.indices, va.indices, te.indices])
    assert sorted(idx.tolist()) == list(range(100))
    tr2, te2 = train_val_test_split(ds, (0.9, 0.1))
    assert (len(tr2), len(te2)) == (90, 10)


def test_split_errors():
    ds = _ds(10)
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.4])
    with pytest.raises(ValueError, match="2 or 3 fractions"):
        train_val_test_split(ds, (0.25, 0.25, 0.25, 0.25))
    with pytest.raises(TypeError, match="generator"):
        random_split(ds, [5, 5], generator="seed")


def test_base_dataset_requires_getitem():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
