"""Data sets, samplers and loaders (``torch.utils.data``'s API; seed 002 §3.1-§3.2).

Also reachable as ``gradiente.utils.data``.
"""
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split, train_val_test_split
from .sampler import Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, BatchSampler
from .loader import DataLoader, default_collate
from . import datasets

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "train_val_test_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "DataLoader", "default_collate", "datasets"]
