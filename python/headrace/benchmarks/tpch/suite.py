"""TPC-H queries 1, 3, 4, 5, 6, 10, 12, 14 and 19 on Parquet files: headrace's DataStream
queries against Polars' lazy queries and DuckDB's SQL (issue 6).

Run (``python -m headrace bench --suites tpch`` runs it among the other suites)::

    python -m headrace.benchmarks.tpch.suite             # SF 1, 5 reps, 1 and 2 threads, every query and engine
    python -m headrace.benchmarks.tpch.suite --quick     # smoke run: SF 0.1, 2 reps, JSON under out/
    python -m headrace.benchmarks.tpch.suite --cases q1,q6 --engines headrace,duckdb --threads 2 --sf 10

It prints a markdown table of the medians with headrace's time divided by every peer's, the
verdict against the issue's target per query and thread count, and writes every figure as JSON
to ``--json`` (default ``results-tpch.json`` in the current folder; ``--quick`` writes
``out/results-tpch-quick.json``). It exits with status 1 if an answer differs or a run fails.

Data: ``tpchgen-cli`` Parquet files at scale factor ``--sf`` (default 1, 6M lineitem rows),
generated once into the cache of :mod:`headrace.benchmarks.tpch.datagen` (``$HEADRACE_TPCH_DIR``
or ``~/.cache/headrace/tpch``; ``--tpch-dir`` overrides) before any worker starts, and reused.

Timed: one run is from building the query to holding its answer as a ``pyarrow.Table``, with
the files read in every run (each engine reads them itself; the OS page cache is warm after the
untimed warm-up run).

* ``headrace``  ``hr.config(threads=n)``; ``queries_headrace.QUERIES[q](folder).collect()``
* ``polars``    ``POLARS_MAX_THREADS=n``; ``queries_polars.QUERIES[q](folder).collect().to_arrow()``
* ``duckdb``    ``SET threads = n``; views over ``read_parquet`` (untimed), the SQL text of
                ``queries_duckdb.SQL[q]`` fetched as an Arrow table

Correctness: every answer is reduced to a digest of its values, row by row (rows sorted first
for the queries without ORDER BY): decimals and integers as their exact decimal text, floats
as floats (compared to a relative 1e-9), dates and strings as text. So a decimal must be matched
exactly, and a float where another engine has a decimal is a difference. The digests must
agree across engines and thread counts (``answers.differences`` is the same rule, used by the
tests against DuckDB).

Target (issue 6): at least as fast as Polars and within 1.5x of DuckDB, per query and thread
count.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import _harness as h
from .._suite import SuiteOptions, SuiteRun
from . import answers, datagen

MODULE = "headrace.benchmarks.tpch.suite"
TITLE = "TPC-H: queries on Parquet files -> pyarrow Table"
DISTS = ("pyarrow", "polars", "duckdb", "tpchgen-cli", "headrace")
QUICK_RUN = "SF 0.1, 2 reps, JSON under out/"
QUERIES = (1, 3, 4, 5, 6, 10, 12, 14, 19)
CASES = tuple(f"q{n}" for n in QUERIES)
FULL_SF, QUICK_SF = 1.0, 0.1
POLARS_TARGET = 1.0  # headrace's time at most Polars' ...
DUCKDB_TARGET = 1.5  # ... and at most 1.5x DuckDB's


def _query(case: str) -> int:
    return int(case.removeprefix("q"))


# --- the queries, per engine (run inside a worker process) -------------------------------------

Prepare = Callable[[str], h.Query]  # a case's untimed setup


def make_headrace(threads: int, folder: Path) -> Prepare:
    h.headrace_at(threads)
    from .queries_headrace import QUERIES as QUERY_OF

    return lambda case: lambda: QUERY_OF[_query(case)](folder).collect()


def make_polars(threads: int, folder: Path) -> Prepare:
    h.polars_at(threads)
    from .queries_polars import QUERIES as QUERY_OF

    return lambda case: lambda: QUERY_OF[_query(case)](folder).collect().to_arrow()


def make_duckdb(threads: int, folder: Path) -> Prepare:
    from .queries_duckdb import SQL, connect

    con = connect(folder, threads=threads)
    return lambda case: h.duckdb_query(con, SQL[_query(case)])


MAKERS = h.by_engine(make_headrace, make_polars, make_duckdb)
ENGINES = tuple(MAKERS)


# --- the answer's digest ---------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A value as the digest keeps it: exact numbers as decimal text, floats as floats."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, decimal.Decimal)):
        exact = decimal.Decimal(value)
        return "0" if exact == 0 else format(exact.normalize(), "f")
    if isinstance(value, float):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def digest_of(case: str) -> Callable[[Any], dict]:
    """The digest of ``case``'s answers: the columns, the rows, each value (see the docstring)."""
    ordered = _query(case) in answers.ORDERED

    def digest(table: Any) -> dict:
        names = table.column_names
        rows = [tuple(_value(v) for v in row) for row in zip(*(c.to_pylist() for c in table.columns))]
        if not ordered:
            rows.sort(key=lambda row: tuple((v is None, str(v)) for v in row))
        out: dict[str, Any] = {"columns": ",".join(names), "rows": len(rows)}
        for i, row in enumerate(rows):
            for name, value in zip(names, row):
                out[f"{i}.{name}"] = value
        return out

    return digest


def answer_summary(d: dict) -> str:
    return f"{d['rows']} rows of {d['columns']}"


# --- worker: one engine at one thread count, in its own process, every query ------------------


def worker(engine: str, threads: int, args: argparse.Namespace) -> dict:
    folder = datagen.tpch_folder(args.sf, args.tpch_dir)
    prepare = h.make_engine(MAKERS, engine, threads, folder)
    out: dict[str, Any] = {"status": "ok", "data_s": 0.0, "cases": {}}
    for case in args.cases:  # measure_cases, with a digest per query
        one = h.measure_cases([case], prepare, args.reps, digest_of(case), 0.0)
        out["cases"][case] = one["cases"][case]
        out["peak_rss_mib"] = one["peak_rss_mib"]
    return out


# --- parent: data, the matrix, checks, report --------------------------------------------------


def lineitem_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "lineitem.parquet").metadata.num_rows


def verdicts(results: Sequence[h.CaseResult], cases: Sequence[str], thread_counts: Sequence[int]) -> list[dict]:
    """Per query and thread count: headrace ÷ Polars at most 1.0 and headrace ÷ DuckDB at most 1.5."""
    out = []
    for c in cases:
        for n in thread_counts:
            hr, pl, dd = (h.find(results, e, case=c, threads=n) for e in ENGINES)
            vs_polars = hr.median_s / pl.median_s if hr and pl else None
            vs_duckdb = hr.median_s / dd.median_s if hr and dd else None
            missing = [e for e, r in zip(ENGINES, (hr, pl, dd)) if r is None]
            met = None if missing else (vs_polars <= POLARS_TARGET and vs_duckdb <= DUCKDB_TARGET)
            out.append({"case": c, "threads": n, "headrace_s": hr.median_s if hr else None,
                        "polars_s": pl.median_s if pl else None, "duckdb_s": dd.median_s if dd else None,
                        "vs_polars": vs_polars, "vs_duckdb": vs_duckdb, "met": met, "missing": missing})
    return out


def verdict_line(v: dict) -> str:
    head = f"{v['case']} threads={v['threads']}: "
    if v["met"] is None:
        return head + f"cannot judge ({', '.join(v['missing'])} did not run)"
    return (head + f"headrace {v['headrace_s']:.3f} s = {v['vs_polars']:.2f}x Polars ({v['polars_s']:.3f} s), "
            f"{v['vs_duckdb']:.2f}x DuckDB ({v['duckdb_s']:.3f} s) -> "
            + ("target met" if v["met"] else "target NOT met"))


def parse(argv: Sequence[str] | None, results_dir: Path) -> argparse.Namespace:
    def more(ap: argparse.ArgumentParser) -> None:
        ap.add_argument("--sf", type=float, default=None,
                        help=f"scale factor (default {FULL_SF:g}; --quick {QUICK_SF:g})")
        ap.add_argument("--tpch-dir", type=Path, default=None,
                        help="the data cache (default $HEADRACE_TPCH_DIR or ~/.cache/headrace/tpch)")

    args = h.parse_args(argv, __doc__, "tpch", results_dir, engines=ENGINES, cases=CASES, quick_run=QUICK_RUN,
                        rows_help=None, more_options=more)
    args.sf = args.sf or (QUICK_SF if args.quick else FULL_SF)
    return args


def execute(args: argparse.Namespace) -> h.Outcome:
    """Generates the data if needed, runs the matrix of ``args``, checks the answers, judges the target."""
    started = time.perf_counter()
    folder = datagen.tpch_data(args.sf, args.tpch_dir)
    data_s = time.perf_counter() - started
    rows = lineitem_rows(folder)
    options = ["--sf", str(args.sf)] + ([] if args.tpch_dir is None else ["--tpch-dir", str(args.tpch_dir)])
    results = h.run_case_matrix(MODULE, args, rows, options)
    verdict = verdicts(results, args.cases, args.threads)
    head = {"scale_factor": args.sf, "lineitem_rows": rows, "data": str(folder), "data_s": data_s,
            "reps": args.reps, "rounds": args.rounds,
            "target": {"vs_polars": POLARS_TARGET, "vs_duckdb": DUCKDB_TARGET}, "verdicts": verdict}
    checked = h.compare_case_answers(results, args.cases, answer_summary)
    return h.Outcome(list(results), checked, [verdict_line(v) for v in verdict], head)


def _sizes(args: argparse.Namespace) -> str:
    return f"scale factor {args.sf:g}"


def main(argv: Sequence[str] | None = None, results_dir: Path | None = None) -> int:
    """The suite's command line (see the module's docstring)."""
    args = parse(argv, results_dir or Path.cwd())
    target = f"Target: at least as fast as Polars (<= {POLARS_TARGET}x) and within {DUCKDB_TARGET}x of DuckDB:"
    return h.case_suite_main(args, worker, execute, title=TITLE, sizes=_sizes(args), dists=DISTS,
                             engines=ENGINES, target=target)


def run_suite(options: SuiteOptions) -> SuiteRun:
    """The suite as ``python -m headrace bench`` runs it (``--scale`` is the scale factor)."""
    argv = options.argv(ENGINES) + ([] if options.scale is None else ["--sf", str(options.scale)])
    args = parse(argv, options.data_dir)
    outcome = execute(args)
    return h.suite_run("tpch", TITLE, _sizes(args), args, ENGINES, outcome, outcome.head["lineitem_rows"])


if __name__ == "__main__":
    sys.exit(main())
