"""The array backend: every array call of the engine goes through ``xp``.

gradiente computes on NumPy by default. A CuPy backend can slot in by
calling :func:`use` before building tensors; layers never import NumPy
directly for computation, they use ``backend.xp``.
"""
import numpy

xp = numpy
ndarray = numpy.ndarray


def use(name):
    """Select the array module: ``"numpy"`` (default) or ``"cupy"``."""
    global xp, ndarray
    if name == "numpy":
        xp, ndarray = numpy, numpy.ndarray
    elif name == "cupy":
        try:
            import cupy
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ImportError("backend 'cupy' needs the cupy package (pip install cupy-cuda12x)") from exc
        xp, ndarray = cupy, cupy.ndarray
    else:
        raise ValueError(f"unknown backend {name!r}; expected 'numpy' or 'cupy'")


def to_numpy(array):
    """Return ``array`` as a NumPy array (copies from the device for CuPy)."""
    if isinstance(array, numpy.ndarray):
        return array
    return array.get() if hasattr(array, "get") else numpy.asarray(array)
