"""Samplers: the order in which a :class:`DataLoader` visits examples (as ``torch.utils.data``).

Shuffling draws from gradiente's seeded generator at the start of every
epoch (or from the ``generator`` given), so ``manual_seed`` makes the order
repeat, and restoring the generator state resumes it (seed 002 §3.5:
mini-batch gradient descent; one epoch covers the whole training set).
"""
from numbers import Integral

import numpy as _np

from ..random import get_generator


class Sampler:
    """Base class: ``__iter__`` yields indices (or lists of indices for batch samplers)."""

    def __iter__(self):
        raise NotImplementedError

    def _index_array(self):
        return _np.fromiter(iter(self), dtype=_np.int64)


class SequentialSampler(Sampler):
    """0, 1, ..., n-1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _index_array(self):
        return _np.arange(len(self.data_source), dtype=_np.int64)


class RandomSampler(Sampler):
    """A fresh random permutation each epoch (or ``num_samples`` draws with replacement)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a bool, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, Integral) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got {num_samples!r}")
        if generator is not None and not isinstance(generator, _np.random.Generator):
            raise TypeError(f"RandomSampler: generator must be a numpy.random.Generator, got {type(generator).__name__}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __len__(self):
        return self.num_samples

    def _index_array(self):
        gen = self.generator if self.generator is not None else get_generator()
        n = len(self.data_source)
        if self.replacement:
            return gen.integers(0, n, size=self.num_samples, dtype=_np.int64)
        reps = -(-self.num_samples // n) if n else 0
        perm = _np.concatenate([gen.permutation(n) for _ in range(reps)]) if reps else _np.empty(0, _np.int64)
        return perm[:self.num_samples].astype(_np.int64, copy=False)

    def __iter__(self):
        return iter(self._index_array().tolist())


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        if hasattr(indices, "numpy"):  # a gradiente tensor
            indices = indices.numpy()
        self.indices = _np.asarray(indices, dtype=_np.int64).reshape(-1)
        self.generator = generator

    def __len__(self):
        return int(self.indices.size)

    def _index_array(self):
        gen = self.generator if self.generator is not None else get_generator()
        return self.indices[gen.permutation(self.indices.size)]

    def __iter__(self):
        return iter(self._index_array().tolist())


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a bool, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batches(self):
        """The epoch's batches as index arrays (one draw of the sampler)."""
        idx = self.sampler._index_array() if isinstance(self.sampler, Sampler) else _np.fromiter(
            iter(self.sampler), dtype=_np.int64)
        n = idx.size - idx.size % self.batch_size if self.drop_last else idx.size
        return [idx[i:i + self.batch_size] for i in range(0, n, self.batch_size)]

    def __iter__(self):
        for b in self._batches():
            yield b.tolist()
