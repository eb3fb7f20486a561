"""Files: tensors in safetensors (extra ``[io]``), written atomically; never pickle."""
from .atomic import atomic_write_bytes, atomic_write_text
from .safetensors import save_file, load_file, load_metadata, save_model, load_model

__all__ = ["atomic_write_bytes", "atomic_write_text", "save_file", "load_file", "load_metadata",
           "save_model", "load_model"]
