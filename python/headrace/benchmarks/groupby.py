"""Group-by aggregation: an in-memory Arrow table -> groupby -> agg -> pyarrow Table, headrace against
pyarrow, Polars, DuckDB and pandas (issue 4).

Run (``python -m headrace bench --suites groupby`` runs it among the other suites)::

    python -m headrace.benchmarks.groupby        # 10M rows, 5 reps, 1 and 2 threads, every case and engine
    python -m headrace.benchmarks.groupby --quick    # smoke run: 1M rows, 2 reps, JSON under out/
    python -m headrace.benchmarks.groupby --cases int_1m --engines headrace,polars,duckdb --threads 2 --rounds 3
    python bench/groupby.py --rounds 2           # the same, from a checkout: JSON files in bench/

It prints a markdown table of the medians with headrace's time divided by every peer's, the
verdict against the issue's target per case and thread count, and writes everything (every
timing, the digests, the environment) as JSON to ``--json`` (default ``results-groupby.json``
in the current folder, or in ``bench/`` for ``bench/groupby.py``; ``--quick`` writes
``out/results-groupby-quick.json`` there, so a smoke run leaves the recorded figures alone). It
exits with status 1 if the engines' answers differ or a run fails. ``--rounds R`` runs the
whole engine x threads matrix R times, in turn, and pools the timings (to spread a shared
machine's drift over every engine).

Cases (``--rows`` rows, default 10,000,000; two float64 value columns ``a`` uniform in
[0, 1000) and ``b`` normal with sigma 100, no nulls; 1M-row chunks, as a Parquet file with
1M-row row groups reads; generated with numpy, seeded, once per worker process, untimed)

    int_100    int64 key ``k``, uniform in [0, 100): 100 groups
    int_1m     int64 key ``k``, uniform in [0, 1,000,000): about 1M groups at 10M rows
               (fewer with fewer rows: about 632k at --quick's 1M)
    str_1k     utf8 key ``k``, "key-0" .. "key-999", uniform: 1,000 groups

Every case computes the same 10 aggregates per group: sum, count, mean, min and max of ``a``
and of ``b`` (count: the column's non-null values; mean: float64).

Timed: one run is from building the query on the in-memory data to holding the result as a
``pyarrow.Table``. Each engine's conversion of the input into its own in-memory form is
setup, done once per case and not timed; its conversion of the result to Arrow is timed.

* ``headrace``  ``hr.config(threads=n)``; timed: ``hr.from_arrow(t).groupby("k").agg(a_sum=("a", "sum"),
                ...).collect()`` (``from_arrow`` included: it only wraps the table)
* ``pyarrow``   ``pa.set_cpu_count(n)``; timed: ``t.group_by("k", use_threads=True).aggregate([("a",
                "sum"), ...])``
* ``polars``    ``POLARS_MAX_THREADS=n``; untimed: ``df = pl.from_arrow(t)``; timed:
                ``df.group_by("k").agg([pl.col("a").sum(), ...]).to_arrow()``
* ``duckdb``    ``SET threads = n``; untimed: ``con.register("t", t)``; timed: ``SELECT k, sum(a),
                count(a), avg(a), min(a), max(a), ... FROM t GROUP BY k`` fetched as an Arrow table
* ``pandas``    single-threaded, so run at 1 thread only (reported as skipped at the other
                thread counts); untimed: ``df = t.to_pandas()``; timed: ``df.groupby("k",
                sort=False).agg(a_sum=("a", "sum"), ...)`` and ``pa.Table.from_pandas`` of the
                result (``sort=False``: no other engine sorts its groups)

Each engine is optional: one that is not importable is reported as skipped. Each engine x
thread count runs in a fresh subprocess (this module with ``--worker ENGINE THREADS``):
Polars reads ``POLARS_MAX_THREADS`` only when it is imported, and a fresh process keeps the
engines from sharing thread pools, caches and allocators. A worker generates the data,
then per case does the setup, one untimed warm-up run and ``--reps`` timed runs, and prints
its timings and a digest of each answer as JSON. Every worker also caps pyarrow's CPU and
I/O pools at n threads (headrace computes with pyarrow; the others use it to hand over their
result). The medians are reported, with rows/s counted over the input rows.

Correctness: every answer is reduced to a digest that does not depend on the order of the
groups or the names of the output columns (the key column is found by its name ``k``, the
aggregates by their order, which every engine's query keeps): the number of groups, the key
type (string types unified), a SHA-256 of the sorted keys, and per aggregate the sum over the
groups (counts exactly, floats with ``math.fsum`` and compared to a relative 1e-9) and its
number of nulls if any. The digests must agree across engines and thread counts, per case,
and every timed run must return as many groups as the digested one. Any difference, or a
worker that fails, makes the script exit with status 1 (a mismatch first prints which
aggregate of which engine differs).

Target (issue 4): at least as fast as Polars in every case and thread count, and within 1.2x
of DuckDB.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import _harness as h
from ._suite import SuiteOptions, SuiteRun

MODULE = "headrace.benchmarks.groupby"  # what a worker runs (``python -m``)
TITLE = "Group-by: in-memory Arrow table -> groupby(k) -> 10 aggregates -> pyarrow Table"
DISTS = ("pyarrow", "polars", "duckdb", "pandas", "numpy", "headrace")  # versions in the report
QUICK_RUN = "1M rows, 2 reps, JSON under out/"  # what --quick runs

CASES = {  # name: (key kind, distinct key values)
    "int_100": ("int", 100),
    "int_1m": ("int", 1_000_000),
    "str_1k": ("str", 1_000),
}
FUNCS = ("sum", "count", "mean", "min", "max")
AGGS = tuple((f"{c}_{f}", c, f) for c in ("a", "b") for f in FUNCS)  # (output name, column, function)
CHUNK_ROWS = 1_000_000
SEED = 20261201
POLARS_TARGET = 1.0  # headrace's time at most Polars' ...
DUCKDB_TARGET = 1.2  # ... and at most 1.2x DuckDB's


# --- data (generated in every worker, untimed) -------------------------------------------------


class Data:
    """The input tables of ``rows`` rows, one per case, sharing the value columns."""

    def __init__(self, rows: int, cases: Sequence[str]) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        started = time.perf_counter()
        a = np.random.default_rng([SEED, 1]).uniform(0.0, 1000.0, rows)
        b = np.random.default_rng([SEED, 2]).standard_normal(rows) * 100.0
        self.tables: dict[str, Any] = {}
        for i, case in enumerate(CASES):  # the seed of a case's keys does not depend on --cases
            if case not in cases:
                continue
            kind, distinct = CASES[case]
            codes = np.random.default_rng([SEED, 10 + i]).integers(0, distinct, rows, dtype=np.int64)
            if kind == "int":
                keys = pa.array(codes)
            else:
                names = pa.array([f"key-{j}" for j in range(distinct)], pa.string())
                keys = pc.take(names, pa.array(codes))  # a plain (not dictionary) string column
            whole = pa.table({"k": keys, "a": pa.array(a), "b": pa.array(b)})
            self.tables[case] = pa.Table.from_batches(whole.to_batches(max_chunksize=CHUNK_ROWS), whole.schema)
        self.seconds = time.perf_counter() - started


# --- the query, per engine (run inside a worker process) ---------------------------------------

Prepare = Callable[[Any], h.Query]  # the untimed setup for one input table


def make_headrace(threads: int) -> Prepare:
    hr = h.headrace_at(threads)
    spec = {name: (col, fn) for name, col, fn in AGGS}

    def prepare(table: Any) -> h.Query:
        def run() -> Any:
            return hr.from_arrow(table).groupby("k").agg(**spec).collect()

        return run

    return prepare


def make_pyarrow(threads: int) -> Prepare:
    spec = [(col, fn) for _, col, fn in AGGS]  # output names col_fn, the key last

    def prepare(table: Any) -> h.Query:
        def run() -> Any:
            return table.group_by("k", use_threads=True).aggregate(spec)

        return run

    return prepare


def make_polars(threads: int) -> Prepare:
    pl = h.polars_at(threads)
    exprs = [getattr(pl.col(col), fn)().alias(name) for name, col, fn in AGGS]  # count: non-null values

    def prepare(table: Any) -> h.Query:
        df = pl.from_arrow(table)

        def run() -> Any:
            return df.group_by("k").agg(exprs).to_arrow()

        return run

    return prepare


def make_duckdb(threads: int) -> Prepare:
    con = h.duckdb_at(threads)
    sql_fn = {"sum": "sum", "count": "count", "mean": "avg", "min": "min", "max": "max"}
    sql = "SELECT k, " + ", ".join(f"{sql_fn[fn]}({col}) AS {name}" for name, col, fn in AGGS) + " FROM t GROUP BY k"

    def prepare(table: Any) -> h.Query:
        h.duckdb_register(con, "t", table)

        return h.duckdb_query(con, sql)

    return prepare


def make_pandas(threads: int) -> Prepare:
    import pyarrow as pa

    h.pandas_at(threads)
    spec = {name: (col, fn) for name, col, fn in AGGS}  # count: non-null values

    def prepare(table: Any) -> h.Query:
        df = table.to_pandas()

        def run() -> Any:
            out = df.groupby("k", sort=False).agg(**spec)
            return pa.Table.from_pandas(out.reset_index(), preserve_index=False)

        return run

    return prepare


MAKERS = h.by_engine(make_headrace, make_pyarrow, make_polars, make_duckdb, make_pandas)
ENGINES = tuple(MAKERS)


# --- the answer's digest ---------------------------------------------------------------------


def digest(table: Any) -> dict:
    """What must agree across engines, whatever the order of the groups and the names of the
    aggregates: groups, key type, sorted keys' SHA-256, per aggregate the sum over the groups."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    names = table.column_names
    if names.count("k") != 1:
        raise AssertionError(f"no single key column 'k' in the result's columns {names}")
    aggs = [n for n in names if n != "k"]
    if len(aggs) != len(AGGS):
        raise AssertionError(f"{len(aggs)} aggregate columns {aggs}, not {len(AGGS)}")
    key = table.column("k")
    if key.null_count:
        raise AssertionError(f"{key.null_count} null keys (the data has none)")
    if pa.types.is_integer(key.type):
        key_type = str(key.type)
        sorted_keys = np.sort(key.to_numpy()).astype("<i8").tobytes()
    elif pa.types.is_string(key.type) or pa.types.is_large_string(key.type) or pa.types.is_string_view(key.type):
        key_type = "string"
        sorted_keys = "\0".join(sorted(key.to_pylist())).encode()
    else:
        raise AssertionError(f"unexpected key type {key.type}")
    out: dict[str, Any] = {
        "groups": table.num_rows,
        "key_type": key_type,
        "keys_sha256": hashlib.sha256(sorted_keys).hexdigest(),
    }
    for (_, col, fn), name in zip(AGGS, aggs):
        column = table.column(name)
        label = f"{fn}({col})"
        if fn == "count":
            if not pa.types.is_integer(column.type):
                raise AssertionError(f"{label} (column {name!r}) is {column.type}, not an integer")
            out[label] = int(pc.sum(column).as_py() or 0)
        else:
            if not pa.types.is_floating(column.type):
                raise AssertionError(f"{label} (column {name!r}) is {column.type}, not a float")
            out[label] = math.fsum(column.drop_null().to_numpy())  # exactly rounded: order-independent
        if column.null_count:
            out[f"{label} nulls"] = column.null_count
    return out


# --- worker: one engine at one thread count, in its own process, every case --------------------


def worker(engine: str, threads: int, args: argparse.Namespace) -> dict:
    prepare = h.make_engine(MAKERS, engine, threads)
    data = Data(args.rows, args.cases)
    return h.measure_cases(args.cases, lambda case: prepare(data.tables[case]), args.reps, digest, data.seconds)


# --- parent: run the matrix, check, report -----------------------------------------------------


def verdicts(results: Sequence[h.CaseResult], cases: Sequence[str], thread_counts: Sequence[int]) -> list[dict]:
    """Per case and thread count: headrace ÷ Polars at most 1.0 and headrace ÷ DuckDB at most 1.2."""
    out = []
    for c in cases:
        for n in thread_counts:
            hr, pl, dd = (h.find(results, e, case=c, threads=n) for e in ("headrace", "polars", "duckdb"))
            vs_polars = hr.median_s / pl.median_s if hr and pl else None
            vs_duckdb = hr.median_s / dd.median_s if hr and dd else None
            missing = [e for e, r in (("headrace", hr), ("polars", pl), ("duckdb", dd)) if r is None]
            met = None if missing else (vs_polars <= POLARS_TARGET and vs_duckdb <= DUCKDB_TARGET)
            out.append(
                {
                    "case": c,
                    "threads": n,
                    "headrace_s": hr.median_s if hr else None,
                    "polars_s": pl.median_s if pl else None,
                    "duckdb_s": dd.median_s if dd else None,
                    "vs_polars": vs_polars,
                    "vs_duckdb": vs_duckdb,
                    "met": met,
                    "missing": missing,
                }
            )
    return out


def verdict_line(v: dict) -> str:
    head = f"{v['case']} threads={v['threads']}: "
    if v["met"] is None:
        return head + f"cannot judge ({', '.join(v['missing'])} did not run)"
    polars_ok = v["vs_polars"] <= POLARS_TARGET
    duckdb_ok = v["vs_duckdb"] <= DUCKDB_TARGET
    return (
        head
        + f"headrace {v['headrace_s']:.3f} s = {v['vs_polars']:.2f}x Polars ({v['polars_s']:.3f} s, "
        + ("ok" if polars_ok else f"needs <= {POLARS_TARGET}x")
        + f"), {v['vs_duckdb']:.2f}x DuckDB ({v['duckdb_s']:.3f} s, "
        + ("ok" if duckdb_ok else f"needs <= {DUCKDB_TARGET}x")
        + ") -> "
        + ("target met" if v["met"] else "target NOT met")
    )


def answer_summary(d: dict) -> str:
    return (
        f"{d['groups']:,} groups, keys sha256 {d['keys_sha256'][:12]}, sum(a) {d['sum(a)']:.6e}, "
        f"count(a) {d['count(a)']:,}"
    )


def parse(argv: Sequence[str] | None, results_dir: Path) -> argparse.Namespace:
    return h.parse_args(argv, __doc__, "groupby", results_dir, engines=ENGINES, cases=CASES, quick_run=QUICK_RUN)


def execute(args: argparse.Namespace) -> h.Outcome:
    """Runs the matrix of ``args``, checks the answers and judges the target."""
    results = h.run_case_matrix(MODULE, args, args.rows, ["--rows", str(args.rows)])
    verdict = verdicts(results, args.cases, args.threads)
    head = {
        "rows": args.rows,
        "reps": args.reps,
        "rounds": args.rounds,
        "cases": {c: {"key": CASES[c][0], "distinct_keys": CASES[c][1]} for c in args.cases},
        "aggregates": [f"{fn}({col})" for _, col, fn in AGGS],
        "target": {"vs_polars": POLARS_TARGET, "vs_duckdb": DUCKDB_TARGET},
        "verdicts": verdict,
    }
    checked = h.compare_case_answers(results, args.cases, answer_summary)
    return h.Outcome(list(results), checked, [verdict_line(v) for v in verdict], head)


def main(argv: Sequence[str] | None = None, results_dir: Path | None = None) -> int:
    """The suite's command line (see the module's docstring); JSON files go to ``results_dir``
    (default: the current folder)."""
    args = parse(argv, results_dir or Path.cwd())
    target = f"Target: at least as fast as Polars (<= {POLARS_TARGET}x) and within {DUCKDB_TARGET}x of DuckDB:"
    return h.case_suite_main(
        args, worker, execute, title=TITLE, sizes=f"{args.rows:,} rows", dists=DISTS, engines=ENGINES, target=target
    )


def run_suite(options: SuiteOptions) -> SuiteRun:
    """The suite as ``python -m headrace bench`` runs it."""
    args = parse(options.argv(ENGINES, rows=True), options.data_dir)
    return h.suite_run("groupby", TITLE, f"{args.rows:,} rows", args, ENGINES, execute(args), args.rows)


if __name__ == "__main__":
    sys.exit(main())
