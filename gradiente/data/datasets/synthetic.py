"""Small generated data sets for classification, drawn from gradiente's seeded generator.

XOR is the problem a single neuron cannot solve (seed 004, Minsky and
Papert); moons, circles and spirals are 2-D sets that are not linearly
separable, so a hidden layer is needed (seed 002 §4.1). Each function returns
``(X, y)``: ``X`` float32 of shape (n, 2), ``y`` int64 class labels; wrap
them in ``TensorDataset(X, y)`` for a loader.
"""
from numbers import Integral

import numpy as _np

from ...random import resolve_generator
from ...tensor import Tensor, get_default_dtype


def _check_n(name, n_samples, minimum=1):
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < minimum:
        raise ValueError(f"{name}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _check_noise(name, noise):
    if noise < 0:
        raise ValueError(f"{name}: noise must be >= 0, got {noise}")


def _finish(X, y, noise, shuffle, rng):
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        perm = rng.permutation(len(y))
        X, y = X[perm], y[perm]
    return (Tensor._wrap(_np.ascontiguousarray(X, dtype=get_default_dtype()), False, None, 0),
            Tensor._wrap(_np.ascontiguousarray(y, dtype=_np.int64), False, None, 0))


def xor(n_samples=None, noise=0.0, random_state=None):
    """The XOR truth table (seed 004): inputs (0,0), (0,1), (1,0), (1,1), labels 0, 1, 1, 0.

    With ``n_samples``, that many points drawn around the four corners (with
    Gaussian ``noise``), labelled by the XOR of their corner.
    """
    _check_noise("xor", noise)
    table = _np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=_np.float64)
    labels = _np.array([0, 1, 1, 0], dtype=_np.int64)
    if n_samples is None:
        if noise:
            raise ValueError("xor: noise needs n_samples (the plain truth table has 4 exact rows)")
        return _finish(table, labels, 0.0, False, None)
    n = _check_n("xor", n_samples)
    rng = resolve_generator(random_state)
    corner = _np.arange(n) % 4
    return _finish(table[corner], labels[corner], noise, True, rng)


def make_moons(n_samples=100, noise=0.0, shuffle=True, random_state=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``): label 0 upper, 1 lower."""
    n = _check_n("make_moons", n_samples, 2)
    _check_noise("make_moons", noise)
    rng = resolve_generator(random_state)
    n_out = n // 2
    n_in = n - n_out
    t_out = _np.linspace(0, _np.pi, n_out)
    t_in = _np.linspace(0, _np.pi, n_in)
    X = _np.concatenate([
        _np.stack([_np.cos(t_out), _np.sin(t_out)], axis=1),
        _np.stack([1 - _np.cos(t_in), 1 - _np.sin(t_in) - 0.5], axis=1),
    ])
    y = _np.concatenate([_np.zeros(n_out, _np.int64), _np.ones(n_in, _np.int64)])
    return _finish(X, y, noise, shuffle, rng)


def make_circles(n_samples=100, noise=0.0, factor=0.8, shuffle=True, random_state=None):
    """A small circle (label 1, radius ``factor``) inside a unit circle (label 0)."""
    n = _check_n("make_circles", n_samples, 2)
    _check_noise("make_circles", noise)
    if not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor has to be between 0 and 1, got {factor}")
    rng = resolve_generator(random_state)
    n_out = n // 2
    n_in = n - n_out
    t_out = _np.linspace(0, 2 * _np.pi, n_out, endpoint=False)
    t_in = _np.linspace(0, 2 * _np.pi, n_in, endpoint=False)
    X = _np.concatenate([
        _np.stack([_np.cos(t_out), _np.sin(t_out)], axis=1),
        factor * _np.stack([_np.cos(t_in), _np.sin(t_in)], axis=1),
    ])
    y = _np.concatenate([_np.zeros(n_out, _np.int64), _np.ones(n_in, _np.int64)])
    return _finish(X, y, noise, shuffle, rng)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, turns=1.0, shuffle=True, random_state=None):
    """``n_classes`` interleaved spiral arms from the origin to radius 1.

    Arm k holds about n_samples / n_classes points at radius r in [0, 1] and
    angle 2*pi*(k / n_classes + turns * r), with Gaussian ``noise`` added to
    the angle (in radians), so the classes wind around each other.
    """
    n = _check_n("make_spirals", n_samples, 1)
    if not isinstance(n_classes, Integral) or n_classes < 2:
        raise ValueError(f"make_spirals: n_classes must be an integer >= 2, got {n_classes!r}")
    _check_noise("make_spirals", noise)
    rng = resolve_generator(random_state)
    y = _np.arange(n) % n_classes
    counts = _np.bincount(y, minlength=n_classes)
    r = _np.concatenate([_np.linspace(0.0, 1.0, c) for c in counts])
    y = _np.concatenate([_np.full(c, k, dtype=_np.int64) for k, c in enumerate(counts)])
    theta = 2 * _np.pi * (y / n_classes + turns * r)
    if noise:
        theta = theta + rng.normal(0.0, noise, size=n)
    X = _np.stack([r * _np.sin(theta), r * _np.cos(theta)], axis=1)
    return _finish(X, y, 0.0, shuffle, rng)
