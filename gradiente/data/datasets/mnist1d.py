"""MNIST-1D (Greydanus & Kobak, "Scaling down deep learning", 2020): a 1-D stand-in for MNIST.

Ten hand-made 1-D templates of the digits are padded, shifted, scaled,
sheared and noised into sequences of length 40; 4,000 train and 1,000 test
examples. Logistic regression, an MLP and a CNN separate clearly on it
(the paper: 32%, 68%, 94% test accuracy), which makes it a quick test of
the convolution's inductive bias (seed 000 §5; seed 003).

The set is generated offline with the ``mnist1d`` package (extra ``[data]``)
by calling ``mnist1d.data.make_dataset`` directly (its ``get_dataset`` tries
to download and writes a pickle into the working directory), and cached as
an ``.npz`` in ``$GRADIENTE_CACHE`` (default ``~/.cache/gradiente``).
"""
import os

import numpy as _np

from ...tensor import Tensor


def cache_dir():
    """gradiente's cache folder: ``$GRADIENTE_CACHE`` or ``~/.cache/gradiente``."""
    return os.environ.get("GRADIENTE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "gradiente")


def _generate(shuffle_seq, seed):
    try:
        import mnist1d.data as m1d
    except ImportError as exc:
        raise ImportError("load_mnist1d needs the mnist1d package to generate the data: "
                          "pip install gradiente[data]") from exc
    args = m1d.get_dataset_args()
    args.shuffle_seq = bool(shuffle_seq)
    args.seed = int(seed)
    state = _np.random.get_state()  # make_dataset seeds NumPy's global generator; leave it as it was
    try:
        d = m1d.make_dataset(args)
    finally:
        _np.random.set_state(state)
    return {"x": d["x"].astype(_np.float32), "y": d["y"].astype(_np.int64),
            "x_test": d["x_test"].astype(_np.float32), "y_test": d["y_test"].astype(_np.int64)}


def load_mnist1d(shuffle_seq=False, seed=42, cache=True, as_tensor=True):
    """``(x_train, y_train, x_test, y_test)``: (4000, 40) float32, (4000,) int64, (1000, 40), (1000,).

    ``shuffle_seq=True`` permutes the 40 positions with one fixed permutation
    (the paper's spatial-shuffle control: a CNN loses its advantage, an MLP
    does not care). ``as_tensor=False`` returns NumPy arrays.
    """
    name = f"mnist1d_seed{seed}{'_shuffled' if shuffle_seq else ''}.npz"
    path = os.path.join(cache_dir(), name)
    data = None
    if cache and os.path.exists(path):
        with _np.load(path) as f:
            data = {k: f[k] for k in ("x", "y", "x_test", "y_test")}
    if data is None:
        data = _generate(shuffle_seq, seed)
        if cache:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp.npz"
            _np.savez_compressed(tmp, **data)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
    out = (data["x"], data["y"], data["x_test"], data["y_test"])
    if as_tensor:
        return tuple(Tensor(a) for a in out)
    return out
