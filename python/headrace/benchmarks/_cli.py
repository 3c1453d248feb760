"""``python -m headrace bench``: the benchmark suites against whichever peers are installed.

Runs the suites of :mod:`headrace.benchmarks._registry` (each engine x thread count of a data
suite in a fresh worker process), prints per suite a table of medians and of headrace's time ÷
each peer's with what the answer checks found, writes every figure to ``OUT/results.json`` and
the ratios as a chart to ``OUT/ratios.png`` (with matplotlib: ``pip install 'headrace[bench]'``).
Exits with status 1 if any answers differ or a run fails; an engine that is not installed is
skipped, with a note.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from . import _chart, _registry, _report
from ._harness import Skip, comma_list, environment, thread_counts
from ._suite import SuiteOptions, SuiteRun

DEFAULT_OUT = Path("headrace-bench")
DISTS = ("headrace", "numpy", "pyarrow", "polars", "duckdb", "pandas", "neuraxle", "minipipe", "matplotlib")


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def _scale(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive scale factor, got {text}")
    return value


def _threads(text: str) -> tuple[int, ...]:
    try:
        return tuple(dict.fromkeys(thread_counts(text)))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2, got {text!r}") from None


DESCRIPTION = """\
Races headrace against whichever peers are installed (pyarrow, Polars, DuckDB, pandas, Neuraxle,
minipipe) on the benchmark suites, at each thread count, and checks that every engine's answer
is the same. Prints a table of medians and of headrace's time divided by each peer's (below 1:
headrace is faster), writes every figure to OUT/results.json and a chart of the ratios to
OUT/ratios.png. Exits with status 1 if answers differ or a run fails; a peer that is not
installed is skipped, with a note.
"""


def epilog() -> str:
    """The suites, a line each."""
    width = max(map(len, _registry.SUITES))
    return "suites:\n" + "\n".join(f"  {n:<{width}}  {e.summary}" for n, e in _registry.SUITES.items())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench command's options."""
    names = ",".join(_registry.SUITES)
    parser.add_argument("--suites", default=names, help=f"comma-separated (default {names})")
    parser.add_argument("--threads", type=_threads, default=(1, 2), help="thread counts, comma-separated (default 1,2)")
    parser.add_argument("--reps", type=_count, default=None,
                        help="timed runs per case, engine and thread count (default 5; --quick 2, pipeline 3)")
    parser.add_argument("--rounds", type=_count, default=1,
                        help="run each suite's matrix this many times and pool the timings (default 1)")
    parser.add_argument("--peers", default=None,
                        help="comma-separated peers to race (default: every installed one), e.g. polars,duckdb")
    parser.add_argument("--rows", type=_count, default=None,
                        help="input rows of the scan, group-by and join suites (default 10,000,000; --quick 1,000,000)")
    parser.add_argument("--items", type=_count, default=None, help="cap on the pipeline suite's item counts")
    parser.add_argument("--scale", type=_scale, default=None, help="TPC-H scale factor (default 1; --quick 0.1)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1M rows, a tenth of the pipeline items, TPC-H SF 0.1, 2 reps "
                        "(figures not to quote)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for results.json, ratios.png and the generated data (default ./{DEFAULT_OUT})")


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Turns ``--suites`` and ``--peers`` into lists, or exits with a usage error naming the known ones."""
    args.suites = comma_list(args.suites)
    if not args.suites:
        parser.error("--suites: name at least one suite")
    if unknown := [s for s in args.suites if s not in _registry.SUITES]:
        parser.error(f"--suites: unknown {', '.join(unknown)}; known: {', '.join(_registry.SUITES)}")
    args.suites = list(dict.fromkeys(args.suites))
    if args.peers is not None:
        args.peers = comma_list(args.peers)
        known = {e for name in args.suites for e in _registry.load(name).ENGINES if e != "headrace"}
        if unknown := [p for p in args.peers if p not in known]:
            parser.error(
                f"--peers: unknown {', '.join(unknown)} for the suites {', '.join(args.suites)}; "
                f"known: {', '.join(sorted(known))}"
            )


def options_of(args: argparse.Namespace) -> SuiteOptions:
    return SuiteOptions(
        data_dir=args.out / "data",
        threads=args.threads,
        reps=args.reps,
        rounds=args.rounds,
        peers=None if args.peers is None else tuple(args.peers),
        quick=args.quick,
        rows=args.rows,
        items=args.items,
        scale=args.scale,
    )


def run_one(name: str, options: SuiteOptions) -> SuiteRun:
    """One suite; a suite that cannot run here (:class:`Skip`) or breaks (not just one of its
    runs) is reported, not raised."""
    print(f"== {name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        run = _registry.load(name).run_suite(options)
    except Skip as e:
        return SuiteRun.unavailable(name, str(e))
    except Exception as e:  # noqa: BLE001 - the other suites still run
        traceback.print_exc()
        return SuiteRun.broken(name, f"{type(e).__name__}: {e}")
    run.details["suite_seconds"] = time.perf_counter() - started
    return run


def main(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Runs the suites of ``args`` (parsed by :func:`add_arguments` and :func:`check_arguments`);
    ``argv``: the command line, recorded in the JSON file. Returns the exit status."""
    options = options_of(args)
    env = environment(DISTS)
    *most, last = map(str, args.threads)
    counts = f"{', '.join(most)} and {last}" if most else last
    threads = f"{counts} thread{'' if counts == '1' else 's'}"
    heading = f"headrace bench: {', '.join(args.suites)} at {threads}, medians"
    print(f"# {heading}\n\n" + ", ".join(f"{k} {v}" for k, v in env.items()) + "\n", flush=True)

    runs = [run_one(name, options) for name in args.suites]
    for run in runs:
        print(_report.section(run) + "\n", flush=True)

    results = args.out / "results.json"
    settings = {**asdict(options), "data_dir": str(options.data_dir), "suites": args.suites}
    head = {"command": ["python", "-m", "headrace", *argv], "env": env, "options": settings}
    _report.write_json(results, head, runs)
    print(f"every figure: {results}")
    try:
        chart = _chart.draw(runs, args.out / "ratios.png", heading)
        print(f"chart of the ratios: {chart}")
    except ImportError:
        print("no chart: matplotlib is not installed (pip install 'headrace[bench]')")
    except ValueError as e:
        print(f"no chart: {e}")
    for line in _report.summary(runs):
        print(line)
    return 0 if all(r.ok for r in runs) else 1
