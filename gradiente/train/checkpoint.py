"""Checkpoints: resume training bit for bit, without pickle (DESIGN: "Safe files", "Reproducible").

One ``.safetensors`` file, written atomically, holds

- every array: the model's ``state_dict`` (PyTorch key names, prefixed
  ``model.``), the optimizer's per-parameter buffers (``optimizer.state.<i>.<name>``)
  and any array inside ``extra``;
- in its header metadata (key ``"gradiente"``), one JSON document with
  everything else: epoch, optimizer ``param_groups`` (learning rates, betas,
  step counts), scheduler state, the state of gradiente's random generator
  (so shuffling and dropout continue the same sequence), and ``extra``
  (e.g. the training history).

Loading parses JSON and raw little-endian bytes only: no code from the file runs.
Other safetensors readers see the model weights under ``model.*``.

A ``DataLoader`` that shuffles with gradiente's generator (the default)
resumes its order from the saved random state. One built with its own
``generator`` does not: store ``loader.generator.bit_generator.state`` in
``extra`` and put it back after loading.
"""
import json
import math

import numpy as _np

from ..backend import to_numpy
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

FORMAT = "gradiente-checkpoint"
VERSION = 1
_META_KEY = "gradiente"


# ----------------------------------------------------------------- encoding
def _encode(obj, key, arrays):
    """A JSON-able image of ``obj``; arrays go to ``arrays`` under dotted ``key`` names."""
    if isinstance(obj, Tensor):
        arrays[key] = to_numpy(obj.data)
        return {"__tensor__": key}
    if isinstance(obj, _np.ndarray):
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, _np.generic):
        arrays[key] = _np.asarray(obj)
        return {"__scalar__": key}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, f"{key}.{k}", arrays) for k, v in obj.items()}
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (bool, int, float, str))):
                raise TypeError(f"save_checkpoint: dict key {k!r} at {key!r} is not a string or number")
            items.append([_encode(k, f"{key}.k", {}), _encode(v, f"{key}.{k}", arrays)])
        return {"__dict__": items}
    raise TypeError(f"save_checkpoint: cannot store a {type(obj).__name__} (at {key!r}) without pickle; "
                    "checkpoints hold tensors, arrays, numbers, strings, lists, tuples and dicts")


def _decode(obj, arrays):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag == "__tensor__":
            return Tensor._wrap(_np.array(arrays[value]), False, None, 0)
        if tag == "__ndarray__":
            return _np.array(arrays[value])
        if tag == "__scalar__":
            return _np.array(arrays[value])[()]
        if tag == "__float__":
            return float(value)
        if tag == "__tuple__":
            return tuple(_decode(v, arrays) for v in value)
        if tag == "__dict__":
            return {_decode(k, arrays): _decode(v, arrays) for k, v in value}
    return {k: _decode(v, arrays) for k, v in obj.items()}


# ------------------------------------------------------------------ save/load
def _load_component(path, doc, arrays, key, obj):
    """Load the saved ``doc[key]`` ("optimizer" or "scheduler") into ``obj``, checking its class."""
    if doc[key] is None:
        raise ValueError(f"load_checkpoint: {str(path)!r} holds no {key} state")
    saved_cls = doc[key]["class"]
    if saved_cls != type(obj).__name__:
        raise TypeError(f"load_checkpoint: the checkpoint holds {saved_cls} state, "
                        f"but the {key} given is {type(obj).__name__}")
    obj.load_state_dict(_decode(doc[key]["state_dict"], arrays))


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=None, extra=None):
    """Save model, optimizer and scheduler state, the epoch, the random state and ``extra`` to ``path``.

    ``extra`` is any JSON-like value (dicts, lists, numbers, strings) that may
    also hold tensors or arrays: e.g. ``{"history": history.to_dict()}``.
    The write is atomic: a crash leaves the previous checkpoint intact.
    """
    from ..io.safetensors import save_file
    arrays = {}
    for name, t in model.state_dict().items():
        arrays["model." + name] = to_numpy(t.data)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": epoch,
        "model_class": type(model).__name__,
        "rng_state": _encode(get_rng_state(), "rng", arrays),
        "optimizer": None,
        "scheduler": None,
        "extra": _encode(extra, "extra", arrays),
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        groups = [{k: v for k, v in g.items() if k != "param_names"} for g in state["param_groups"]]
        doc["optimizer"] = {"class": type(optimizer).__name__,
                            "state_dict": _encode({"state": state["state"], "param_groups": groups},
                                                  "optimizer", arrays)}
    if scheduler is not None:
        doc["scheduler"] = {"class": type(scheduler).__name__,
                            "state_dict": _encode(scheduler.state_dict(), "scheduler", arrays)}
    save_file(arrays, path, metadata={_META_KEY: json.dumps(doc)})


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, strict=True, restore_rng=True):
    """Load a checkpoint written by :func:`save_checkpoint` into the objects given.

    Restores the model weights, the optimizer and scheduler state, and (with
    ``restore_rng``) gradiente's random generator, so that training goes on
    exactly as if it had never stopped. Returns a dict with ``epoch``,
    ``extra``, ``rng_state`` and the raw ``model_state`` (a dict of tensors).
    """
    from ..io.safetensors import load_file, load_metadata
    meta = load_metadata(path)
    if _META_KEY not in meta:
        raise ValueError(f"load_checkpoint: {str(path)!r} is a safetensors file but not a gradiente checkpoint "
                         "(no 'gradiente' metadata); use gradiente.io.load_model for plain weight files")
    doc = json.loads(meta[_META_KEY])
    if doc.get("format") != FORMAT or doc.get("version", 0) > VERSION:
        raise ValueError(f"load_checkpoint: {str(path)!r} has format {doc.get('format')!r} version "
                         f"{doc.get('version')!r}; this gradiente reads {FORMAT!r} up to version {VERSION}")
    arrays = {k: v.data for k, v in load_file(path).items()}
    model_state = {k[len("model."):]: Tensor._wrap(v, False, None, 0)
                   for k, v in arrays.items() if k.startswith("model.")}
    if model is not None:
        model.load_state_dict(model_state, strict=strict)
    if optimizer is not None:
        _load_component(path, doc, arrays, "optimizer", optimizer)
    if scheduler is not None:
        _load_component(path, doc, arrays, "scheduler", scheduler)
    rng_state = _decode(doc["rng_state"], arrays)
    if restore_rng:
        set_rng_state(rng_state)
    return {"epoch": doc["epoch"], "extra": _decode(doc["extra"], arrays), "rng_state": rng_state,
            "model_state": model_state, "model_class": doc.get("model_class")}
