"""The ``headrace`` command (also ``python -m headrace``).

    python -m headrace demo [--rows N] [--threads N] [--no-progress]
    python -m headrace bench [--suites groupby,join] [--threads 1,2] [--quick] [--out DIR] ...
    python -m headrace info [--json]
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
        help="a small end-to-end job on generated Parquet data, timed against plain Python and pandas",
        description="Generates an online shop's customers and orders as Parquet (with an hr.Pipeline, into "
        "a temporary folder; no network), answers a question about them with a headrace query (scan, "
        "filter, a stateful Python executor partitioned by customer, join, group-by), then answers it again "
        "with a plain Python loop and with pandas (if installed). Prints the result, the three timings "
        "and whether the answers are equal (exit status 1 if not).",
    )
    demo.add_argument("--rows", type=_positive_int, default=1_000_000,
                      help="orders to generate (default: 1,000,000; customers: a fiftieth of them)")
    demo.add_argument("--threads", type=_positive_int, default=None,
                      help="headrace's threads (default: the machine's CPU count)")
    demo.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                      help="no progress bars (they show only when stdout and stderr are terminals)")
    bench = commands.add_parser(
        "bench",
        help="race headrace against the installed peers (pyarrow, Polars, DuckDB, pandas, ...) and check the answers",
        description=_bench_cli.DESCRIPTION,
        epilog=_bench_cli.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _bench_cli.add_arguments(bench)
    info = commands.add_parser(
        "info",
        help="versions of headrace, Python and the installed packages, how the native core was built, threads",
        description="Prints the versions of headrace, Python (implementation, build), the platform and CPU, "
        "headrace's dependencies and the optional peers that are installed (polars, duckdb, pandas, ray: "
        "found in the installed metadata, not imported), how the native core was built (compiler, build type, "
        "C++ standard, flags, LTO, sanitizer, ...) and the threads headrace runs with. Paste it into bug reports.",
    )
    info.add_argument("--json", action="store_true", help="the same as one JSON object")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(rows=args.rows, threads=args.threads, progress=args.progress)
    if args.command == "bench":
        _bench_cli.check_arguments(bench, args)
        return _bench_cli.main(args, argv)
    if args.command == "info":
        from ._info import print_info

        return print_info(as_json=args.json)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
