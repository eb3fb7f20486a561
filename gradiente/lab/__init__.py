"""The lab: experiments that turn each claim of the course notes into numbers and a figure.

``gradiente compare`` runs them (``gradiente.lab.runner``), stores every run in
SQLite (``gradiente.lab.store``) and writes a report (``gradiente.lab.report``).
An experiment is one file in ``gradiente/lab/experiments/``: a subclass of
:class:`Experiment` decorated with :func:`register`. See ``docs/lab.md``.
"""
from .experiment import Experiment, Run, register, registry, get_experiment, load_experiments

__all__ = ["Experiment", "Run", "register", "registry", "get_experiment", "load_experiments",
           "run_experiments", "build_report"]


def run_experiments(*args, **kwargs):
    """See :func:`gradiente.lab.runner.run_experiments`."""
    from .runner import run_experiments as _run

    return _run(*args, **kwargs)


def build_report(*args, **kwargs):
    """See :func:`gradiente.lab.report.build_report`."""
    from .report import build_report as _build

    return _build(*args, **kwargs)
