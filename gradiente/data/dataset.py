"""Data sets and their partitions, as ``torch.utils.data`` (seed 002 §3.1-§3.2).

A data set maps an index to one example. Training adjusts parameters on the
training subset, validation guides the hyper-parameters, and the test subset
is looked at last (seed 002 §3.2): :func:`train_val_test_split` makes the
typical 80/10/10 partition.
"""
import bisect
import math
from numbers import Integral

import numpy as _np

from ..random import resolve_generator
from ..tensor import Tensor


class Dataset:
    """Base class: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Examples are the rows of equally long tensors: ``dataset[i] == (x[i], y[i])``."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: at least one tensor is required")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a first (example) dimension")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors, first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(Tensor._wrap(t.data[index], False, None, 0) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _fetch_batch(self, indices):
        """A whole batch as a tuple of tensors, by one fancy index per tensor (the loader's fast path)."""
        return tuple(Tensor._wrap(t.data[indices], False, None, 0) for t in self.tensors)


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        if isinstance(indices, Tensor):
            indices = indices.numpy()
        self.indices = _np.asarray(indices, dtype=_np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a data set of {n} examples, "
                             f"got range [{self.indices.min()}, {self.indices.max()}]")

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[int(self.indices[i])] for i in index]
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return int(self.indices.size)

    def _fetch_batch(self, indices):
        return _batch_fetcher(self.dataset)(self.indices[indices])


class ConcatDataset(Dataset):
    """Several data sets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


def _split_lengths(n, lengths, caller):
    lengths = list(lengths)
    if not lengths:
        raise ValueError(f"{caller}: lengths must not be empty")
    if all(isinstance(v, Integral) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(f"{caller}: sum of input lengths {lengths} does not equal the length of the data set ({n})")
        return [int(v) for v in lengths]
    fracs = [float(v) for v in lengths]
    if any(f < 0 or f > 1 for f in fracs) or not math.isclose(sum(fracs), 1.0, abs_tol=1e-6):
        raise ValueError(f"{caller}: fractions must lie in [0, 1] and sum to 1, got {lengths}")
    # as torch.utils.data.random_split: floor each share, then hand out the remainder round-robin
    sizes = [int(math.floor(n * f)) for f in fracs]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths (or fractions).

    The permutation comes from ``generator`` (an int seed or a NumPy
    ``Generator``), or from gradiente's seeded generator (``manual_seed``).
    """
    n = len(dataset)
    sizes = _split_lengths(n, lengths, "random_split")
    perm = resolve_generator(generator, "generator").permutation(n)
    out, start = [], 0
    for s in sizes:
        out.append(Subset(dataset, perm[start:start + s]))
        start += s
    return out


def train_val_test_split(dataset, fractions=(0.8, 0.1, 0.1), generator=None):
    """Partition into training, validation and test subsets, 80/10/10 by default (seed 002 §3.2).

    Two fractions give a train/test split (seed 002 §3.2: the test set then
    also plays the validation role). Returns a tuple of :class:`Subset`.
    """
    if len(fractions) not in (2, 3):
        raise ValueError(f"train_val_test_split: expected 2 or 3 fractions, got {tuple(fractions)}")
    return tuple(random_split(dataset, fractions, generator))


def _batch_fetcher(dataset):
    """The vectorised batch getter of ``dataset`` (TensorDataset, or Subsets of one), else ``None``."""
    if isinstance(dataset, TensorDataset):
        return dataset._fetch_batch
    if isinstance(dataset, Subset) and _batch_fetcher(dataset.dataset) is not None:
        return dataset._fetch_batch
    return None
