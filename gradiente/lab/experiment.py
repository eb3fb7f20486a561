"""The experiment interface of the lab and its registry.

An experiment turns one claim of the course notes into runs, numbers and a
figure. It is one file ``gradiente/lab/experiments/<name>.py`` defining a
subclass of :class:`Experiment` decorated with :func:`register`; the runner
trains every configuration, the store keeps the results, and the report draws
the figure, the table and the verdict from what was stored.
"""
import importlib
import pkgutil
import sys
import warnings
from dataclasses import dataclass, field


@dataclass
class Run:
    """One stored run, as experiments see it in ``figure``, ``table`` and ``verdict``.

    ``config`` is the configuration dict, ``final`` the metrics ``run`` returned,
    ``epochs`` the per-epoch metric dicts (each with an ``epoch`` key), ``logs``
    the named values logged with ``recorder.log``, and ``meta`` what the runner
    measured (params, flops_per_sample, time_s, peak_mem_bytes, version, machine).
    """

    config: dict
    final: dict
    epochs: list = field(default_factory=list)
    logs: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def curve(self, key):
        """(epochs, values) of one per-epoch metric, skipping epochs that lack it."""
        xs, ys = [], []
        for row in self.epochs:
            if key in row and row[key] is not None:
                xs.append(row["epoch"])
                ys.append(row[key])
        return xs, ys


class Experiment:
    """Base class of a lab experiment (see ``docs/lab.md``).

    Subclasses set ``name``, ``title``, ``claim`` and ``seed_ref`` and define
    ``configs(quick)`` and ``run(config, recorder)``; ``figure``, ``table`` and
    ``verdict`` read the stored runs. ``verdict`` returns ``(supported, sentence)``
    computed from the numbers; ``supported`` is None when the runs cannot decide.
    """

    name = None
    title = ""
    claim = ""
    seed_ref = ""

    def setup(self):
        """Work done before a run is timed and its memory traced (e.g. loading a data set); optional."""

    def configs(self, quick):
        raise NotImplementedError(f"experiment {self.name!r} does not define configs(quick)")

    def run(self, config, recorder):
        raise NotImplementedError(f"experiment {self.name!r} does not define run(config, recorder)")

    def figure(self, runs, fig_dir):
        return []

    def table(self, runs):
        rows = []
        for r in runs:
            row = {k: v for k, v in r.config.items()}
            row.update({k: v for k, v in r.final.items() if not isinstance(v, (list, dict))})
            rows.append(row)
        return rows

    def verdict(self, runs):
        return None, "this experiment defines no verdict"

    def __repr__(self):
        return f"<Experiment {self.name}: {self.title}>"


class _Registry(dict):
    """name -> Experiment subclass. The experiment modules are imported on first use."""

    _loaded = False

    def load(self):
        if not _Registry._loaded:
            _Registry._loaded = True
            load_experiments()
        return self

    def __getitem__(self, name):
        self.load()
        if not dict.__contains__(self, name):
            known = ", ".join(sorted(dict.keys(self))) or "none"
            raise KeyError(f"unknown experiment {name!r}; known experiments: {known}")
        return dict.__getitem__(self, name)

    def __contains__(self, name):
        self.load()
        return dict.__contains__(self, name)

    def __iter__(self):
        self.load()
        return iter(sorted(dict.keys(self)))

    def __len__(self):
        self.load()
        return dict.__len__(self)

    def keys(self):
        return list(iter(self))

    def values(self):
        return [dict.__getitem__(self, k) for k in self]

    def items(self):
        return [(k, dict.__getitem__(self, k)) for k in self]

    def get(self, name, default=None):
        self.load()
        return dict.get(self, name, default)


registry = _Registry()
#: modules of ``gradiente.lab.experiments`` that failed to import, with the error
import_errors = {}


def register(cls):
    """Class decorator: add an :class:`Experiment` subclass to the registry under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Experiment)):
        raise TypeError(f"register: expected an Experiment subclass, got {cls!r}")
    if not isinstance(cls.name, str) or not cls.name:
        raise ValueError(f"register: {cls.__name__} must set a non-empty string 'name'")
    old = dict.get(registry, cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(
            f"register: experiment name {cls.name!r} is already used by {old.__module__}.{old.__qualname__}"
        )
    dict.__setitem__(registry, cls.name, cls)
    return cls


def load_experiments():
    """Import every module of ``gradiente.lab.experiments`` so that its experiments register.

    A module that fails to import is reported with a warning (and kept in
    ``import_errors``) instead of breaking the whole lab.
    """
    from . import experiments as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        modname = f"{pkg.__name__}.{info.name}"
        if modname in sys.modules:
            continue
        try:
            importlib.import_module(modname)
        except Exception as exc:  # one broken experiment must not hide the others
            import_errors[info.name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"gradiente.lab: experiment module {info.name!r} failed to import: {exc}")
    return registry


def get_experiment(name):
    """An instance of the registered experiment ``name`` (KeyError listing the known names)."""
    return registry[name]()
