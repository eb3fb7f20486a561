"""Variable-length sequences in one batch, as ``torch.nn.utils.rnn`` (seed 002 §4.5).

A batch of sequences of different lengths is either padded to the longest
(``pad_sequence``), with a ``lengths`` vector or a boolean mask saying which
steps are real, or packed (``pack_padded_sequence``): the valid steps of
every sequence, time step by time step, in a flat ``data`` tensor with the
number of sequences still running at each step in ``batch_sizes``.

The recurrent layers accept either a :class:`PackedSequence` or a padded
batch with ``lengths=``; both give the states PyTorch's packed sequences give
(padded steps leave the state unchanged and output zeros).
"""
from collections import namedtuple

import numpy as _np

from ...backend import xp
from ...creation import full
from ...ops import cat, stack
from ...tensor import Tensor


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed steps of a batch of sequences: ``data`` (sum of lengths, *), ``batch_sizes`` (T,).

    ``sorted_indices`` orders the batch by decreasing length (None when the
    batch was already sorted), ``unsorted_indices`` undoes it.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)


def _as_int_array(values, name):
    arr = values.data if isinstance(values, Tensor) else values
    arr = _np.asarray(arr)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"{name}: lengths must be a 1-D sequence of integers, got {arr!r}")
    return arr.astype(_np.int64)


def _invert(perm):
    perm = _np.asarray(perm.data if isinstance(perm, Tensor) else perm)
    inv = _np.empty_like(perm)
    inv[perm] = _np.arange(perm.size)
    return inv


def lengths_to_mask(lengths, max_len=None, batch_first=False):
    """Boolean mask of valid steps: (T, B), or (B, T) with ``batch_first``."""
    lens = _as_int_array(lengths, "lengths_to_mask")
    T = int(lens.max()) if max_len is None else int(max_len)
    mask = _np.arange(T)[:, None] < lens[None, :]
    return Tensor(mask.T.copy() if batch_first else mask)


def pad_sequence(sequences, batch_first=False, padding_value=0.0):
    """Stack sequences of shapes (L_i, *) into (T, B, *) (or (B, T, *)), padding with ``padding_value``."""
    if not sequences:
        raise ValueError("pad_sequence: expected a non-empty list of tensors")
    trailing = tuple(sequences[0].shape[1:])
    T = max(s.shape[0] for s in sequences)
    padded = []
    for i, s in enumerate(sequences):
        if tuple(s.shape[1:]) != trailing:
            raise ValueError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)}, expected (L, *{trailing})")
        n = T - s.shape[0]
        if n:
            s = cat([s, full((n,) + trailing, padding_value, dtype=s.dtype)], dim=0)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) whose sequence b has ``lengths[b]`` valid steps."""
    lens = _as_int_array(lengths, "pack_padded_sequence")
    if not batch_first:
        T, B = input.shape[0], input.shape[1]
    else:
        B, T = input.shape[0], input.shape[1]
    if lens.size != B:
        raise ValueError(f"pack_padded_sequence: {lens.size} lengths for a batch of {B}")
    if lens.size and (lens.min() < 1 or lens.max() > T):
        raise RuntimeError(f"pack_padded_sequence: lengths must lie in [1, {T}], got {lens.tolist()}")
    if enforce_sorted:
        if _np.any(lens[:-1] < lens[1:]):
            raise RuntimeError(
                "pack_padded_sequence: lengths must be sorted in decreasing order when enforce_sorted=True, "
                f"got {lens.tolist()}"
            )
        sorted_indices = None
        order = _np.arange(B)
    else:
        order = _np.argsort(-lens, kind="stable")
        sorted_indices = order
    slens = lens[order]
    Tmax = int(slens[0]) if B else 0
    batch_sizes = (_np.arange(Tmax)[:, None] < slens[None, :]).sum(axis=1).astype(_np.int64)
    t_idx = _np.repeat(_np.arange(Tmax), batch_sizes)
    b_idx = _np.concatenate([order[:n] for n in batch_sizes]) if Tmax else _np.zeros(0, _np.int64)
    data = input[(b_idx, t_idx)] if batch_first else input[(t_idx, b_idx)]
    return PackedSequence(data, batch_sizes, sorted_indices, None if sorted_indices is None else _invert(order))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: returns (padded (T, B, *) or (B, T, *), lengths)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    data, batch_sizes = sequence.data, _np.asarray(sequence.batch_sizes)
    Tmax, B = batch_sizes.size, int(batch_sizes[0])
    T = Tmax if total_length is None else int(total_length)
    if T < Tmax:
        raise ValueError(f"pad_packed_sequence: total_length={T} is shorter than the longest sequence ({Tmax})")
    order = _np.arange(B) if sequence.sorted_indices is None else _np.asarray(sequence.sorted_indices)
    # row of `data` for (t, sorted position j); padded positions point to an extra row of padding
    pad_row = data.shape[0]
    idx = _np.full((T, B), pad_row, dtype=_np.int64)
    starts = _np.concatenate([[0], _np.cumsum(batch_sizes)[:-1]])
    for t in range(Tmax):
        idx[t, : batch_sizes[t]] = starts[t] + _np.arange(batch_sizes[t])
    idx_orig = _np.empty_like(idx)
    idx_orig[:, order] = idx  # sorted position j holds original sequence order[j]
    ext = cat([data, full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)], dim=0)
    padded = ext[xp.asarray(idx_orig.T if batch_first else idx_orig)]
    lengths = _np.empty(B, dtype=_np.int64)
    lengths[order] = (_np.arange(B)[None, :] < batch_sizes[:, None]).sum(axis=0)
    return padded, Tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) directly."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
