"""Utilities for layers: recurrent sequence helpers (``rnn``)."""
from . import rnn  # noqa: F401
