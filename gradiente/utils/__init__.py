"""Utilities under PyTorch's names: ``gradiente.utils.data`` is ``torch.utils.data``'s counterpart."""
from . import data

__all__ = ["data"]
