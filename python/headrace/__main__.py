"""The ``headrace`` command (also ``python -m headrace``).

    python -m headrace demo [--items N] [--workers N]
    python -m headrace bench [--suites groupby,join] [--threads 1,2] [--quick] [--out DIR] ...
    python -m headrace --version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .benchmarks import _cli as _bench_cli


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="headrace",
        description="headrace: batch dataflow for Python on a native C++ runtime.",
    )
    parser.add_argument("--version", action="version", version=f"headrace {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run a Pipeline on generated data and time it against a plain Python loop",
        description="Runs an hr.Pipeline on generated sensor readings (no network), prints "
        "its result, its throughput next to a plain Python loop doing the same work, and "
        "the per-step statistics. Exits with status 1 if the two answers differ.",
    )
    demo.add_argument("--items", type=_positive_int, default=200,
                      help="number of readings (1 MB of float64 each; default: 200)")
    demo.add_argument("--workers", type=_positive_int, default=2,
                      help="workers of each GIL-releasing numpy step (default: 2)")
    bench = commands.add_parser(
        "bench",
        help="race headrace against the installed peers (pyarrow, Polars, DuckDB, pandas, ...) and check the answers",
        description=_bench_cli.DESCRIPTION,
        epilog=_bench_cli.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _bench_cli.add_arguments(bench)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(items=args.items, workers=args.workers)
    if args.command == "bench":
        _bench_cli.check_arguments(bench, args)
        return _bench_cli.main(args, argv)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
