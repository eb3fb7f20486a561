"""Ready-made data sets (generated, bundled) and readers for the user's files."""
from .synthetic import xor, make_moons, make_circles, make_spirals
from .digits import load_digits
from .mnist1d import load_mnist1d
from .readers import load_npz, load_csv, load_idx, save_idx, load_mnist
from . import sequences  # noqa: F401  (adding problem, copy task, sines, digit rows, default corpus)

__all__ = ["xor", "make_moons", "make_circles", "make_spirals", "load_digits", "load_mnist1d",
           "load_npz", "load_csv", "load_idx", "save_idx", "load_mnist"]
