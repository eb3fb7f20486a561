"""DataLoader (seed 002 §3.5, mini-batches): batching, shuffling seeded by manual_seed, collation."""
import numpy as np
import pytest

import gradiente as g
from gradiente.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                            TensorDataset, default_collate)


def _ds(n=10):
    return TensorDataset(g.arange(n * 2, dtype=g.float32).reshape(n, 2), g.arange(n))


class ListDataset(Dataset):
    """A plain map-style data set (exercises the per-example collate path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([2.0 * i, 2.0 * i + 1], dtype=np.float32), int(i)


def test_batches_in_order_with_last_partial():
    batches = list(DataLoader(_ds(10), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == np.float32
    assert len(DataLoader(_ds(10), batch_size=4)) == 3
    dropped = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (1, 5, False), (0, 2, False)])
def test_len_matches_torch(n, bs, drop):
    torch = pytest.importorskip("torch")
    ref = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(n, 1)), batch_size=bs, drop_last=drop)
    ours = DataLoader(TensorDataset(g.zeros(n, 1)), batch_size=bs, drop_last=drop)
    assert len(ours) == len(ref) == len(list(ours))


def test_shuffle_repeats_with_manual_seed_and_changes_per_epoch():
    loader = DataLoader(_ds(20), batch_size=5, shuffle=True)
    g.manual_seed(7)
    e1 = np.concatenate([b[1].numpy() for b in loader])
    e2 = np.concatenate([b[1].numpy() for b in loader])
    g.manual_seed(7)
    again = np.concatenate([b[1].numpy() for b in loader])
    assert sorted(e1.tolist()) == list(range(20))
    np.testing.assert_array_equal(e1, again)
    assert not np.array_equal(e1, e2)


def test_generator_argument_is_independent_of_global_seed():
    a = DataLoader(_ds(20), batch_size=20, shuffle=True, generator=np.random.default_rng(1))
    b = DataLoader(_ds(20), batch_size=20, shuffle=True, generator=1)
    g.manual_seed(0)
    xa = next(iter(a))[1].numpy()
    g.manual_seed(99)
    xb = next(iter(b))[1].numpy()
    np.testing.assert_array_equal(xa, xb)


def test_fast_path_equals_per_example_collate():
    ds = _ds(11)
    sub = Subset(ds, [3, 9, 1, 0, 10])
    fast = [(x.numpy(), y.numpy()) for x, y in DataLoader(sub, batch_size=2)]
    slow = [(x.numpy(), y.numpy()) for x, y in DataLoader(sub, batch_size=2, collate_fn=default_collate)]
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx, sx)
        np.testing.assert_array_equal(fy, sy)
    generic = [(x.numpy(), y.numpy()) for x, y in DataLoader(ListDataset(5), batch_size=2)]
    np.testing.assert_array_equal(generic[0][0], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(generic[2][1], [4])


def test_default_collate_matches_torch_shapes_and_dtypes():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    samples = [(np.full((2, 3), i, np.float32), i, {"w": np.float32(i)}) for i in range(4)]
    ours = default_collate(samples)
    ref = torch_collate(samples)
    assert tuple(ours[0].shape) == tuple(ref[0].shape) and ours[0].dtype == np.float32
    np.testing.assert_array_equal(ours[0].numpy(), ref[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), ref[1].numpy())
    assert ours[1].dtype == np.int64 and ref[1].dtype == torch.int64
    np.testing.assert_array_equal(ours[2]["w"].numpy(), ref[2]["w"].numpy())


def test_default_collate_floats_strings_and_errors():
    out = default_collate([(0.5, "a"), (1.5, "b")])
    assert out[0].dtype == np.float32 and out[1] == ["a", "b"]
    with pytest.raises(RuntimeError, match="same shape"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_samplers_and_batch_sampler():
    ds = _ds(7)
    assert list(SequentialSampler(ds)) == list(range(7))
    g.manual_seed(0)
    perm = list(RandomSampler(ds))
    assert sorted(perm) == list(range(7))
    draws = list(RandomSampler(ds, replacement=True, num_samples=20))
    assert len(draws) == 20 and max(draws) < 7
    assert list(BatchSampler(SequentialSampler(ds), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True))
    assert [b[1].tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    from gradiente.data import SubsetRandomSampler
    picked = np.concatenate([b[1].numpy() for b in DataLoader(ds, batch_size=2, sampler=SubsetRandomSampler(g.tensor([1, 5, 6])))])
    assert sorted(picked.tolist()) == [1, 5, 6]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 7 and single[2][1].item() == 2


def test_loader_argument_errors():
    ds = _ds(4)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(SequentialSampler(ds), 2, False))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator="x")
    with pytest.raises(TypeError, match="__getitem__ and __len__"):
        DataLoader(5)
    with pytest.raises(ValueError, match="BatchSampler: batch_size"):
        BatchSampler(SequentialSampler(ds), -1, False)
    with pytest.raises(ValueError, match="BatchSampler: drop_last"):
        BatchSampler(SequentialSampler(ds), 2, "no")
    with pytest.raises(TypeError, match="shuffle should be a bool"):
        DataLoader(ds, shuffle="yes")
    with pytest.raises(TypeError, match="drop_last should be a bool"):
        DataLoader(ds, drop_last=1)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(TypeError, match="RandomSampler: replacement should be a bool"):
        RandomSampler(ds, replacement=1)
    with pytest.raises(ValueError, match="RandomSampler: num_samples should be a positive integer"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(TypeError, match="RandomSampler: generator"):
        RandomSampler(ds, generator=3)


def test_reachable_as_utils_data():
    from gradiente.utils.data import DataLoader as DL, TensorDataset as TD
    assert DL is DataLoader and TD is TensorDataset
    assert g.utils.data.random_split is g.data.random_split


def test_batches_partition_the_data_set_for_any_sizes():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    @hypothesis.settings(max_examples=30, deadline=None)
    @hypothesis.given(n=st.integers(0, 40), bs=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans(),
                      seed=st.integers(0, 2 ** 16))
    def check(n, bs, drop_last, shuffle, seed):
        loader = DataLoader(TensorDataset(g.arange(n)), batch_size=bs, drop_last=drop_last, shuffle=shuffle,
                            generator=seed)
        batches = [b[0].tolist() for b in loader]
        assert len(batches) == len(loader) == (n // bs if drop_last else -(-n // bs))
        assert all(len(b) == bs for b in batches[:-1] if b)
        seen = [i for b in batches for i in b]
        assert len(set(seen)) == len(seen)
        assert len(seen) == (n - n % bs if drop_last else n)
        if not shuffle:
            assert seen == list(range(len(seen)))

    check()
