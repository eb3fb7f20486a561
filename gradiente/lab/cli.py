"""The lab's sub-commands: ``gradiente compare`` and ``gradiente report``.

``add_subcommands(subparsers)`` registers them on the main ``gradiente``
parser; ``python -m gradiente.lab.cli compare --quick`` works on its own.
"""
import argparse
import sys


def _add_common(p):
    p.add_argument("--out", default="gradiente-results", metavar="DIR",
                   help="output folder for results.sqlite, report.html, figures/, summary.md (default: %(default)s)")
    p.add_argument("--store", default=None, metavar="FILE",
                   help="SQLite results file (default: DIR/results.sqlite)")


def add_subcommands(subparsers):
    """Register ``compare`` and ``report`` on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "compare", help="run the lab's experiments and write the report",
        description="Run experiments (all by default), store every run in SQLite, and write the report. "
                    "Runs already stored are skipped, so an interrupted comparison continues where it stopped.")
    p.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="experiment names (default: all)")
    p.add_argument("--quick", action="store_true", help="the reduced configurations (about 5 minutes for all)")
    _add_common(p)
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="local worker processes (default: number of CPUs; 1 runs in this process)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="Dask scheduler address (tcp://HOST:PORT) to run on instead of local processes")
    p.add_argument("--force", action="store_true", help="redo runs that are already stored")
    p.add_argument("--no-report", action="store_true", help="only run and store, do not write the report")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.set_defaults(func=_compare)

    r = subparsers.add_parser("report", help="rebuild the lab report from the stored results (no training)",
                              description="Write report.html, figures/ and summary.md from results.sqlite.")
    r.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="experiment names (default: all)")
    _add_common(r)
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="quick", action="store_true", default=None,
                      help="report the quick configurations")
    mode.add_argument("--full", dest="quick", action="store_false", help="report the full configurations")
    r.set_defaults(func=_report)
    return subparsers


def _list():
    from .experiment import import_errors, registry

    for name in registry:
        exp = registry[name]
        print(f"{name:<22} {exp.title}  ({exp.seed_ref})")
    for name, err in import_errors.items():
        print(f"{name:<22} (failed to import: {err})")


def _compare(args):
    from .report import build_report
    from .runner import run_experiments

    if args.list:
        _list()
        return 0
    if args.jobs is not None and args.jobs < 1:
        raise SystemExit(f"gradiente compare: --jobs must be >= 1, got {args.jobs}")
    try:
        store = run_experiments(args.experiments, quick=args.quick, out=args.out, jobs=args.jobs,
                                cluster=args.cluster, force=args.force, store_path=args.store)
    except (ValueError, ImportError, OSError, TimeoutError) as exc:  # OSError: a cluster that cannot be reached
        raise SystemExit(f"gradiente compare: {exc}")
    except KeyboardInterrupt:
        print("\ninterrupted: finished runs are stored; run the same command again to continue", file=sys.stderr)
        return 130
    if not args.no_report:
        build_report(args.out, names=args.experiments or None, store_path=store, quick=args.quick)
    return 0


def _report(args):
    from .report import build_report

    try:
        build_report(args.out, names=args.experiments or None, store_path=args.store, quick=args.quick)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        raise SystemExit(f"gradiente report: {exc}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gradiente", description="gradiente's lab")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
