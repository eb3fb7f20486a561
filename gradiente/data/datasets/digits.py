"""The handwritten digits bundled with scikit-learn: 1,797 grey 8x8 images of 0-9 (extra ``[data]``).

The data set on which gradiente's MLP (seed 002 §4.1) and LeNet-style CNN
(§4.2) are trained and compared, split 80/10/10 (§3.2).
"""
import numpy as _np

from ...tensor import Tensor, get_default_dtype


def load_digits(normalize=True, flatten=True):
    """``(X, y)``: images as float32 and labels 0-9 as int64.

    ``X`` has shape (1797, 64), or (1797, 1, 8, 8) with ``flatten=False``
    (one channel, for convolutional networks). Pixel values run 0-16 in the
    file; ``normalize=True`` scales them to [0, 1]. Needs scikit-learn, which
    holds the file (``pip install gradiente[data]``).
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:
        raise ImportError("load_digits needs scikit-learn, which ships the digits file: "
                          "pip install gradiente[data]") from exc
    bunch = _sk_load_digits()
    X = bunch.data.astype(get_default_dtype())
    if normalize:
        X /= X.dtype.type(16.0)
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    y = bunch.target.astype(_np.int64)
    return Tensor._wrap(_np.ascontiguousarray(X), False, None, 0), Tensor._wrap(y, False, None, 0)
