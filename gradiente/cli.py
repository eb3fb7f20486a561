"""The ``gradiente`` command line: demo, explain, compare, report, bench.

Each area adds its sub-commands through an ``add_subcommands(subparsers)``
function; this file only wires them.
"""
import argparse
import sys


def _add_core_subcommands(sub):
    p = sub.add_parser("demo", help="XOR (perceptron rule vs MLP) and an MLP on the digits, with results")
    p.add_argument("--epochs", type=int, default=60, help="epochs for the digits MLP (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for the learning-curve figure (needs matplotlib)")
    p.set_defaults(func=_run_demo)

    p = sub.add_parser("xor", help="seed 004: the perceptron rule learns AND and OR but not XOR; an MLP learns XOR")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_run_xor)

    p = sub.add_parser("explain", help="show backpropagation step by step")
    esub = p.add_subparsers(dest="what", required=True)
    b = esub.add_parser("backprop", help="the worked example of seed 002 §3.6, computed by the engine")
    b.add_argument("--dot", default=None, help="also write the graph as Graphviz DOT (.dot) or SVG (.svg)")
    b.set_defaults(func=_run_explain_backprop)


def _run_demo(args):
    from .demo import run_demo
    return run_demo(epochs=args.epochs, seed=args.seed, out=args.out)


def _run_xor(args):
    from .demo import run_xor
    run_xor(seed=args.seed)
    return 0


def _run_explain_backprop(args):
    from .explain import seed_002_example, write_graph
    tr = seed_002_example()
    print("Worked example of seed 002 §3.6: y = w21 (x1 w11 + x2 w12 + b1) + b2, L = (y - y_d)^2")
    print(tr.format())
    if args.dot:
        print(f"graph written to {write_graph(tr, args.dot)}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="gradiente", description=__doc__.splitlines()[0])
    from . import __version__
    parser.add_argument("--version", action="version", version=f"gradiente {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_core_subcommands(sub)
    for module in ("gradiente.lab.cli", "gradiente.bench_cli"):
        try:
            mod = __import__(module, fromlist=["add_subcommands"])
        except ImportError as exc:
            if exc.name and exc.name.startswith("gradiente"):
                continue
            raise
        mod.add_subcommands(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    code = args.func(args)
    return 0 if code is None else code


if __name__ == "__main__":
    sys.exit(main())
