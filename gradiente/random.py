"""One seeded source of randomness for initialisation (seed 002 §3.9), dropout (§2.7) and shuffling (§3.2).

``manual_seed(n)`` resets it, so a run repeats bit for bit.
"""
from numbers import Integral

import numpy as _np

_STATE = {"generator": _np.random.default_rng(0)}


def manual_seed(seed):
    """Seed every random draw of gradiente (init, dropout, data shuffling)."""
    if not isinstance(seed, (int, _np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _STATE["generator"] = _np.random.default_rng(int(seed))
    return _STATE["generator"]


seed = manual_seed


def get_generator():
    """The generator every random draw uses (a ``numpy.random.Generator``)."""
    return _STATE["generator"]


def resolve_generator(value, name="random_state"):
    """``value`` as a ``numpy.random.Generator``: None gives gradiente's own, an int a new one seeded with it."""
    if value is None:
        return get_generator()
    if isinstance(value, _np.random.Generator):
        return value
    if isinstance(value, Integral) and not isinstance(value, bool):
        return _np.random.default_rng(int(value))
    raise TypeError(f"{name} must be None, an int seed or a numpy.random.Generator, got {type(value).__name__}")


def get_rng_state():
    """The generator state as a JSON-friendly dict (for checkpoints)."""
    return _STATE["generator"].bit_generator.state


def set_rng_state(state):
    gen = _np.random.default_rng()
    gen.bit_generator.state = state
    _STATE["generator"] = gen
