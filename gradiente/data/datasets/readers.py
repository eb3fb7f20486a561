"""Readers for the user's own data files: NumPy ``.npz``, CSV, and IDX (the format MNIST is distributed in).

Each returns gradiente tensors, ready for ``TensorDataset`` (seed 002 §3.2:
the data set to split into training, validation and test).
"""
import csv
import gzip
import io
import os
import zipfile

import numpy as _np

from ...tensor import Tensor, get_default_dtype


def _wrap(array):
    return Tensor._wrap(_np.ascontiguousarray(array), False, None, 0)


def _check_file(name, path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{name}: no such file: {os.fspath(path)!r}")


def load_npz(path, x_key=None, y_key=None):
    """Arrays of a ``.npz`` file (never unpickles objects).

    With ``x_key`` (and optionally ``y_key``) returns ``X`` or ``(X, y)``;
    otherwise a dict from array name to tensor. float64 arrays become the
    default dtype (float32).
    """
    _check_file("load_npz", path)
    try:
        archive = _np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"load_npz: {os.fspath(path)!r} is not a readable .npz file ({exc})") from None
    if not isinstance(archive, _np.lib.npyio.NpzFile):
        raise ValueError(f"load_npz: {os.fspath(path)!r} holds a single array (.npy), not an .npz archive")
    with archive:
        def get(key):
            if key not in archive.files:
                raise KeyError(f"load_npz: no array named {key!r} in {os.fspath(path)!r}; it holds {archive.files}")
            arr = archive[key]
            return _wrap(arr.astype(get_default_dtype()) if arr.dtype == _np.float64 else arr)

        if x_key is None:
            if y_key is not None:
                raise ValueError("load_npz: y_key needs x_key")
            return {k: get(k) for k in archive.files}
        return get(x_key) if y_key is None else (get(x_key), get(y_key))


def load_csv(path, target_column=-1, delimiter=",", header="infer", dtype=None):
    """A numeric CSV file as ``(X, y)``, the target taken from ``target_column`` (``None``: ``X`` only).

    ``header``: ``True``, ``False`` or ``"infer"`` (the first row is a header
    when it is not numeric). ``target_column`` may be an index or a header
    name. Targets that are all integers become int64 labels, others float32.
    """
    _check_file("load_csv", path)
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"load_csv: {os.fspath(path)!r} is empty")

    def numeric(row):
        try:
            [float(c) for c in row]
            return True
        except ValueError:
            return False

    names = None
    if header is True or (header == "infer" and not numeric(rows[0])):
        names, rows = [c.strip() for c in rows[0]], rows[1:]
    elif header not in (False, "infer"):
        raise ValueError(f"load_csv: header must be True, False or 'infer', got {header!r}")
    width = len(rows[0]) if rows else len(names or [])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise ValueError(f"load_csv: row {i + 1 + (names is not None)} of {os.fspath(path)!r} has {len(r)} "
                             f"columns, expected {width}")
    try:
        table = _np.array([[float(c) for c in r] for r in rows], dtype=_np.float64).reshape(len(rows), width)
    except ValueError as exc:
        raise ValueError(f"load_csv: {os.fspath(path)!r} has a non-numeric value ({exc})") from None
    dtype = dtype or get_default_dtype()
    if target_column is None:
        return _wrap(table.astype(dtype))
    if isinstance(target_column, str):
        if names is None or target_column not in names:
            raise KeyError(f"load_csv: no column named {target_column!r}; header is {names}")
        target_column = names.index(target_column)
    if not -width <= target_column < width:
        raise IndexError(f"load_csv: target_column {target_column} out of range for {width} columns")
    target_column %= width
    y = table[:, target_column]
    X = _np.delete(table, target_column, axis=1).astype(dtype)
    y = y.astype(_np.int64) if _np.all(y == _np.round(y)) else y.astype(dtype)
    return _wrap(X), _wrap(y)


# IDX type codes (the third byte of the magic number), stored big-endian
_IDX_TYPES = {0x08: _np.dtype("u1"), 0x09: _np.dtype("i1"), 0x0B: _np.dtype(">i2"),
              0x0C: _np.dtype(">i4"), 0x0D: _np.dtype(">f4"), 0x0E: _np.dtype(">f8")}


def load_idx(path):
    """An IDX file (``train-images-idx3-ubyte``, optionally ``.gz``) as a tensor of its stored shape.

    The header is two zero bytes, a type code, the number of dimensions, then
    each dimension as a big-endian int32; the data follow in row-major order.
    MNIST images come out uint8 of shape (n, 28, 28), labels uint8 of shape (n,).
    """
    _check_file("load_idx", path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"load_idx: {os.fspath(path)!r} is a damaged gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"load_idx: {os.fspath(path)!r} is not an IDX file (magic bytes {raw[:4].hex() or 'missing'})")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"load_idx: {os.fspath(path)!r} is truncated inside its header")
    shape = tuple(int(d) for d in _np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    count = int(_np.prod(shape, dtype=_np.int64))
    expected = 4 + 4 * ndim + count * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"load_idx: {os.fspath(path)!r} holds {len(raw)} bytes, its header (shape {shape}, "
                         f"{dtype.name}) needs {expected}")
    data = _np.frombuffer(raw, dtype=dtype, count=count, offset=4 + 4 * ndim).reshape(shape)
    return _wrap(data.astype(dtype.newbyteorder("=")))


def save_idx(path, array):
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    arr = _np.asarray(array.numpy() if isinstance(array, Tensor) else array)
    codes = {v.newbyteorder("=").str[1:]: k for k, v in _IDX_TYPES.items()}
    key = arr.dtype.newbyteorder("=").str[1:]
    if key not in codes:
        raise TypeError(f"save_idx: dtype {arr.dtype} has no IDX type code (uint8, int8, int16, int32, float32, float64)")
    code = codes[key]
    buf = io.BytesIO()
    buf.write(bytes([0, 0, code, arr.ndim]))
    buf.write(_np.asarray(arr.shape, dtype=">i4").tobytes())
    buf.write(arr.astype(_IDX_TYPES[code]).tobytes())
    data = buf.getvalue()
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)


_MNIST_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def load_mnist(root, train=True, normalize=True, flatten=False):
    """MNIST (or Fashion-MNIST) from the four IDX files as distributed, in folder ``root``.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``train=False``:
    the ``t10k-`` pair), gzip-compressed or not. Returns ``(X, y)``: images
    float32 of shape (n, 1, 28, 28) (or (n, 784) with ``flatten``), scaled to
    [0, 1] with ``normalize``, and labels int64.
    """
    names = _MNIST_FILES[bool(train)]
    paths = []
    for name in names:
        found = [os.path.join(root, name + ext) for ext in ("", ".gz") if os.path.isfile(os.path.join(root, name + ext))]
        if not found:
            raise FileNotFoundError(f"load_mnist: neither {name} nor {name}.gz in {os.fspath(root)!r}")
        paths.append(found[0])
    images, labels = load_idx(paths[0]).numpy(), load_idx(paths[1]).numpy()
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"load_mnist: images of shape {images.shape} and labels of shape {labels.shape} "
                         "do not form a data set (expected (n, h, w) and (n,))")
    X = images.astype(get_default_dtype())
    if normalize:
        X /= X.dtype.type(255.0)
    X = X.reshape(len(X), -1) if flatten else X[:, None]
    return _wrap(X), _wrap(labels.astype(_np.int64))
