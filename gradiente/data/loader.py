"""``DataLoader``: mini-batches of a data set, as ``torch.utils.data.DataLoader`` (seed 002 §3.5).

Mini-batch gradient descent estimates the gradient of the loss on a batch of
examples at a time; with ``shuffle=True`` the batches are drawn from a new
random order each epoch, from gradiente's seeded generator (``manual_seed``)
or from the ``generator`` given.

Differences from PyTorch, on purpose: examples are loaded in the calling
process (``num_workers`` is accepted and ignored: NumPy indexing of a
:class:`TensorDataset` is faster than worker processes here), and Python
floats collate to the default dtype (float32), not float64. Batches of a
:class:`TensorDataset` (or a :class:`Subset` of one) are gathered with one
fancy index per tensor instead of stacking examples one by one.
"""
from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as _np

from ..backend import xp
from ..tensor import Tensor, get_default_dtype
from .dataset import _batch_fetcher
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def default_collate(batch):
    """Stack a list of examples into a batch: tensors and arrays gain a first dimension.

    Tuples and lists of fields are collated field by field, dicts key by key;
    numbers become 1-d tensors (ints int64, floats the default dtype, bools bool);
    strings stay a list.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor) or isinstance(elem, (_np.ndarray, xp.ndarray)):
        arrays = [e.data if isinstance(e, Tensor) else xp.asarray(e) for e in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each example to have the same shape, got {sorted(shapes)}")
        return Tensor._wrap(xp.stack(arrays), False, None, 0)
    if isinstance(elem, (bool, _np.bool_)):
        return Tensor._wrap(xp.asarray(batch, dtype=_np.bool_), False, None, 0)
    if isinstance(elem, (Integral,)):
        return Tensor._wrap(xp.asarray(batch, dtype=_np.int64), False, None, 0)
    if isinstance(elem, _np.generic):
        return Tensor._wrap(xp.asarray(batch, dtype=elem.dtype), False, None, 0)
    if isinstance(elem, float):
        return Tensor._wrap(xp.asarray(batch, dtype=get_default_dtype()), False, None, 0)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([e[k] for e in batch]) for k in elem}
    if isinstance(elem, Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        fields = [default_collate(list(f)) for f in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: batch must contain tensors, arrays, numbers, dicts or lists; found {type(elem).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    Arguments follow PyTorch: ``batch_size=1``, ``shuffle=False``,
    ``sampler``, ``batch_sampler``, ``num_workers=0``, ``collate_fn``,
    ``pin_memory``, ``drop_last=False``, ``generator`` (a NumPy
    ``Generator`` or an int seed for shuffling; by default gradiente's own).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, prefetch_factor=None, persistent_workers=False):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__, got {type(dataset).__name__}")
        if not isinstance(num_workers, Integral) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
        if not isinstance(shuffle, (bool, type(None))):
            raise TypeError(f"DataLoader: shuffle should be a bool, got {shuffle!r}")
        if not isinstance(drop_last, bool):
            raise TypeError(f"DataLoader: drop_last should be a bool, got {drop_last!r}")
        if isinstance(generator, Integral) and not isinstance(generator, bool):
            generator = _np.random.default_rng(int(generator))
        elif generator is not None and not isinstance(generator, _np.random.Generator):
            raise TypeError(f"DataLoader: generator must be an int seed or a numpy.random.Generator, "
                            f"got {type(generator).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        elif batch_size is not None and (not isinstance(batch_size, Integral) or isinstance(batch_size, bool)
                                         or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self._custom_collate = collate_fn is not None
        self.collate_fn = collate_fn if collate_fn is not None else default_collate

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:  # batch_size=None: examples one by one
            for i in self.sampler:
                yield self.dataset[i]
            return
        fetch = None if self._custom_collate else _batch_fetcher(self.dataset)
        if fetch is not None and isinstance(self.batch_sampler, BatchSampler):
            for idx in self.batch_sampler._batches():
                yield fetch(idx)
            return
        for idx in self.batch_sampler:
            if fetch is not None:
                yield fetch(_np.asarray(idx, dtype=_np.int64))
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])


__all__ = ["DataLoader", "default_collate", "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler"]
