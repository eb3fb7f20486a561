"""Tensors to and from ``.safetensors`` files (extra ``[io]``): no pickle, atomic writes.

The names mirror ``safetensors.torch``: :func:`save_file` / :func:`load_file`
for a dict of tensors, :func:`save_model` / :func:`load_model` for a
module's ``state_dict`` (PyTorch's key names, so the files load in PyTorch
with ``safetensors.torch.load_file`` too). A file holds a JSON header
(names, dtypes, shapes, optional string metadata) and the raw little-endian
bytes: loading it runs no code.
"""
import os

import numpy as _np

from ..backend import to_numpy
from ..tensor import Tensor
from .atomic import atomic_write_bytes


def _backend():
    try:
        from safetensors import numpy as st_numpy
    except ImportError as exc:
        raise ImportError("reading and writing .safetensors files needs the safetensors package: "
                          "pip install gradiente[io]") from exc
    return st_numpy


def _as_array(name, value):
    if isinstance(value, Tensor):
        arr = to_numpy(value.data)
    elif isinstance(value, (_np.ndarray, _np.generic)):
        arr = _np.asarray(value)
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        arr = value.detach().cpu().numpy()
    else:
        raise TypeError(f"save_file: value of {name!r} must be a Tensor or a NumPy array, got {type(value).__name__}")
    if arr.dtype.kind not in "biuf" or arr.dtype.byteorder == ">":
        if arr.dtype.kind in "biuf":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        else:
            raise TypeError(f"save_file: {name!r} has dtype {arr.dtype}; safetensors stores bool, integer and float arrays")
    # not np.ascontiguousarray: it turns 0-d arrays (e.g. num_batches_tracked) into shape (1,)
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def save_file(tensors, filename, metadata=None):
    """Write a dict ``name -> Tensor (or array)`` to ``filename``, atomically.

    ``metadata`` is an optional dict of strings stored in the header.
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"save_file: expected a dict of name -> tensor, got {type(tensors).__name__}")
    for k in tensors:
        if not isinstance(k, str):
            raise TypeError(f"save_file: tensor names must be strings, got {k!r}")
    if metadata is not None:
        bad = {k: v for k, v in metadata.items() if not isinstance(k, str) or not isinstance(v, str)}
        if bad:
            raise TypeError(f"save_file: metadata must map strings to strings; offending entries: {bad}")
    arrays = {k: _as_array(k, v) for k, v in tensors.items()}
    atomic_write_bytes(filename, _backend().save(arrays, metadata=metadata))


def load_file(filename):
    """Read a ``.safetensors`` file into a dict ``name -> Tensor``."""
    st = _backend()
    path = os.fspath(filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_file: no such file: {path!r}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        arrays = st.load(raw)
    except Exception as exc:  # the Rust parser raises its own error type
        raise ValueError(f"load_file: {path!r} is not a valid safetensors file ({exc})") from None
    return {k: Tensor._wrap(_np.array(v), False, None, 0) for k, v in arrays.items()}


def load_metadata(filename):
    """The string metadata of a ``.safetensors`` header (an empty dict when there is none)."""
    import json
    import struct
    with open(os.fspath(filename), "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"load_metadata: {os.fspath(filename)!r} is not a valid safetensors file")
        (n,) = struct.unpack("<Q", head)
        try:
            header = json.loads(f.read(n))
        except ValueError:
            raise ValueError(f"load_metadata: {os.fspath(filename)!r} has a damaged header") from None
    return dict(header.get("__metadata__") or {})


def save_model(model, filename, metadata=None):
    """Save ``model.state_dict()`` (PyTorch key names) to ``filename``."""
    save_file(dict(model.state_dict()), filename, metadata=metadata)


def load_model(model, filename, strict=True):
    """Load a file written by :func:`save_model` (or by PyTorch's safetensors) into ``model``."""
    return model.load_state_dict(load_file(filename), strict=strict)
