"""``gradiente.utils.data``: the same objects as :mod:`gradiente.data`, under PyTorch's path."""
from ..data import (  # noqa: F401
    BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, Sampler, SequentialSampler, Subset,
    SubsetRandomSampler, TensorDataset, datasets, default_collate, random_split, train_val_test_split,
)
from ..data import __all__  # noqa: F401
