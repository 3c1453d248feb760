"""Hash join: two in-memory Arrow tables -> equi-join on ``k`` -> sum of the payload and row count
(one row) -> pyarrow Table, headrace against pyarrow, Polars, DuckDB and pandas (issue 5).

Run (``python -m headrace bench --suites join`` runs it among the other suites)::

    python -m headrace.benchmarks.join           # 10M probe rows, 5 reps, 1 and 2 threads, every case and engine
    python -m headrace.benchmarks.join --quick   # smoke run: 1M probe rows, 2 reps, JSON under out/
    python -m headrace.benchmarks.join --cases int_inner --engines headrace,polars,duckdb --threads 2 --rounds 3
    python bench/join.py --rounds 2              # the same, from a checkout: JSON files in bench/

It prints a markdown table of the medians with headrace's time divided by every peer's, the
verdict against the issue's target per case and thread count, and writes everything (every
timing, the digests, the environment) as JSON to ``--json`` (default ``results-join.json`` in
the current folder, or in ``bench/`` for ``bench/join.py``; ``--quick`` writes
``out/results-join-quick.json`` there, so a smoke run leaves the recorded figures alone). It
exits with status 1 if the engines' answers differ or a run fails. ``--rounds R`` runs the
whole engine x threads matrix R times, in turn, and pools the timings (to spread a shared
machine's drift over every engine).

Data (generated with numpy, seeded, once per worker process, untimed; ``P`` = ``--rows``,
default 10,000,000, and ``B`` = P / 10, so 1,000,000 by default and 100,000 at ``--quick``):

* build side: ``B`` rows, key ``k`` = 0 .. B-1 each once, shuffled; float64 payload ``v``
  uniform in [0, 1000) rounded to a multiple of 1/1024 (so every engine's sum is exact,
  whatever its order of addition); one chunk per 1M rows;
* probe side: ``P`` rows, key ``k`` and a float64 column ``x`` (standard normal, carried
  through the join); 1M-row chunks, as a Parquet file with 1M-row row groups reads.

Cases (the probe side is always the left table and the build side the right one)

    int_inner  int64 keys, probe keys uniform in [0, B): inner join, every probe row matches once
    str_inner  the same keys and rows as utf8 strings "key-0" .. on both sides (the same answer
               as int_inner)
    int_left   int64 keys, probe keys uniform in [0, 1.1 B): left join, about 9.1% (0.1/1.1) of
               the probe rows have no match and get a null ``v``

Every case computes, over the join's output, ``sum(v)`` (nulls skipped) and the number of rows,
as a one-row table.

Timed: one run is from building the query on the in-memory tables to holding the one-row result
as a ``pyarrow.Table``. Each engine's conversion of the two inputs into its own in-memory form is
setup, done once per case and not timed.

* ``headrace``  ``hr.config(threads=n)``; timed: ``hr.from_arrow(probe).join(hr.from_arrow(build),
                on="k", how=HOW).agg(sum_v=("v", "sum"), rows=("*", "count")).collect()``
                (``from_arrow`` included: it only wraps the table; the build side is headrace's
                own choice, ``build=`` is not given)
* ``pyarrow``   ``pa.set_cpu_count(n)``; timed: ``j = probe.join(build, keys="k", join_type=HOW)``
                ("inner" / "left outer"), then ``pc.sum(j["v"])`` and ``j.num_rows`` into a table
* ``polars``    ``POLARS_MAX_THREADS=n``; untimed: ``pl.from_arrow`` of both tables; timed:
                ``p.join(b, on="k", how=HOW).select(pl.col("v").sum(), pl.len()).to_arrow()``
* ``duckdb``    ``SET threads = n``; untimed: ``con.register`` of both tables as ``p`` and ``b``;
                timed: ``SELECT sum(v), count(*) FROM p [LEFT] JOIN b USING (k)`` fetched as an
                Arrow table
* ``pandas``    single-threaded, so run at 1 thread only (reported as skipped at the other
                thread counts); untimed: ``to_pandas()`` of both tables; timed:
                ``m = p.merge(b, on="k", how=HOW)``, then ``m["v"].sum()`` and ``len(m)`` into a
                pyarrow table

Each engine is optional: one that is not importable is reported as skipped. Each engine x
thread count runs in a fresh subprocess (this module with ``--worker ENGINE THREADS``):
Polars reads ``POLARS_MAX_THREADS`` only when it is imported, and a fresh process keeps the
engines from sharing thread pools, caches and allocators. A worker generates the data, then
per case does the setup, one untimed warm-up run and ``--reps`` timed runs, and prints its
timings and a digest of each answer as JSON. Every worker also caps pyarrow's CPU and I/O pools
at n threads (headrace computes with pyarrow; the others use it to hand over their result).
The medians are reported, with rows/s counted over the input rows of both sides (P + B).

Correctness: every answer is reduced to a digest of its one row, found by position (the sum
first, the count second; column names differ between engines): the row count (exactly) and
the sum of ``v`` (compared to a relative 1e-9; with this data every engine should get it
exactly). The digests must agree across engines and thread counts, per case, and
``str_inner``'s must equal ``int_inner``'s (same rows, keys spelled as strings). Any
difference, or a worker that fails, makes the script exit with status 1 (a mismatch first
prints which value of which engine differs).

Target (issue 5): headrace at least as fast as the fastest of the peers at each thread count,
per case (pandas, measured at 1 thread only, counts among the peers at 1 thread).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import _harness as h
from ._suite import SuiteOptions, SuiteRun

MODULE = "headrace.benchmarks.join"  # what a worker runs (``python -m``)
TITLE = "Join: in-memory Arrow tables -> join on k -> sum(v), count(*) -> pyarrow Table"
DISTS = ("pyarrow", "polars", "duckdb", "pandas", "numpy", "headrace")  # versions in the report
ROWS_HELP = "probe rows (default 10,000,000; --quick 1,000,000); the build side has a tenth as many"
QUICK_RUN = "1M probe rows, 2 reps, JSON under out/"  # what --quick runs

CASES = {  # name: (key kind, join kind, probe key range as a multiple of the build rows)
    "int_inner": ("int", "inner", 1.0),
    "str_inner": ("str", "inner", 1.0),
    "int_left": ("int", "left", 1.1),
}
BUILD_FRACTION = 10  # build rows = probe rows / 10
CHUNK_ROWS = 1_000_000
SEED = 20261205
TARGET = 1.0  # headrace's time at most the fastest peer's


# --- data (generated in every worker, untimed) -------------------------------------------------


class Data:
    """The (probe, build) tables of every case: ``rows`` probe rows, ``rows / 10`` build rows."""

    def __init__(self, rows: int, cases: Sequence[str]) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        started = time.perf_counter()
        self.build_rows = build_rows = build_rows_for(rows)
        keys = np.random.default_rng([SEED, 1]).permutation(build_rows).astype(np.int64)
        # Multiples of 1/1024 below 1000: any sum of up to 2^33 of them is exact in float64.
        v = np.floor(np.random.default_rng([SEED, 2]).uniform(0.0, 1000.0, build_rows) * 1024.0) / 1024.0
        x = pa.array(np.random.default_rng([SEED, 3]).standard_normal(rows))
        codes: dict[float, Any] = {}  # probe keys per key range: the inner cases share theirs
        names = None
        self.tables: dict[str, tuple[Any, Any]] = {}
        for case in CASES:
            if case not in cases:
                continue
            kind, _, span = CASES[case]
            high = probe_key_range(build_rows, span)
            if span not in codes:
                codes[span] = np.random.default_rng([SEED, 10, round(span * 100)]).integers(
                    0, high, rows, dtype=np.int64
                )
            probe_keys, build_keys = pa.array(codes[span]), pa.array(keys)
            if kind == "str":
                if names is None or len(names) < high:
                    names = pa.array([f"key-{j}" for j in range(high)], pa.string())
                # plain (not dictionary) string columns
                probe_keys, build_keys = pc.take(names, probe_keys), pc.take(names, build_keys)
            probe = pa.table({"k": probe_keys, "x": x})
            build = pa.table({"k": build_keys, "v": pa.array(v)})
            self.tables[case] = (chunked(probe), chunked(build))
        self.seconds = time.perf_counter() - started


def build_rows_for(rows: int) -> int:
    return max(1, rows // BUILD_FRACTION)


def probe_key_range(build_rows: int, span: float) -> int:
    """The probe keys are uniform in [0, this): the build keys' range, or wider (unmatched keys)."""
    return build_rows if span == 1.0 else max(build_rows + 1, round(build_rows * span))


def chunked(table: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_batches(table.to_batches(max_chunksize=CHUNK_ROWS), table.schema)


# --- the query, per engine (run inside a worker process) ---------------------------------------

# Every query here returns a one-row pyarrow.Table: sum(v), then the row count.
Prepare = Callable[[Any, Any, str], h.Query]  # the untimed setup for (probe, build, how)


def make_headrace(threads: int) -> Prepare:
    hr = h.headrace_at(threads)

    def prepare(probe: Any, build: Any, how: str) -> h.Query:
        def run() -> Any:
            joined = hr.from_arrow(probe).join(hr.from_arrow(build), on="k", how=how)
            return joined.agg(sum_v=("v", "sum"), rows=("*", "count")).collect()

        return run

    return prepare


def make_pyarrow(threads: int) -> Prepare:
    import pyarrow.compute as pc

    join_type = {"inner": "inner", "left": "left outer"}

    def prepare(probe: Any, build: Any, how: str) -> h.Query:
        def run() -> Any:
            j = probe.join(build, keys="k", join_type=join_type[how], use_threads=True)
            return one_row(pc.sum(j.column("v")).as_py(), j.num_rows)

        return run

    return prepare


def make_polars(threads: int) -> Prepare:
    pl = h.polars_at(threads)

    def prepare(probe: Any, build: Any, how: str) -> h.Query:
        p, b = pl.from_arrow(probe), pl.from_arrow(build)

        def run() -> Any:
            return p.join(b, on="k", how=how).select(pl.col("v").sum(), pl.len()).to_arrow()

        return run

    return prepare


def make_duckdb(threads: int) -> Prepare:
    con = h.duckdb_at(threads)
    sql_join = {"inner": "JOIN", "left": "LEFT JOIN"}

    def prepare(probe: Any, build: Any, how: str) -> h.Query:
        h.duckdb_register(con, "p", probe)
        h.duckdb_register(con, "b", build)
        sql = f"SELECT sum(v) AS sum_v, count(*) AS rows FROM p {sql_join[how]} b USING (k)"

        return h.duckdb_query(con, sql)

    return prepare


def make_pandas(threads: int) -> Prepare:
    h.pandas_at(threads)

    def prepare(probe: Any, build: Any, how: str) -> h.Query:
        p, b = probe.to_pandas(), build.to_pandas()

        def run() -> Any:
            m = p.merge(b, on="k", how=how)
            return one_row(float(m["v"].sum()), len(m))  # the sum skips the NaN of unmatched rows

        return run

    return prepare


def one_row(sum_v: float | None, rows: int) -> Any:
    """The answer as a one-row pyarrow.Table, for the engines whose query does not make one."""
    import pyarrow as pa

    return pa.table({"sum_v": pa.array([sum_v], pa.float64()), "rows": pa.array([rows], pa.int64())})


MAKERS = h.by_engine(make_headrace, make_pyarrow, make_polars, make_duckdb, make_pandas)
ENGINES = tuple(MAKERS)
PEERS = tuple(e for e in ENGINES if e != "headrace")


# --- the answer's digest ---------------------------------------------------------------------


def digest(table: Any) -> dict:
    """The one row's two values, by position: the payload's sum (a float) and the row count."""
    import pyarrow as pa

    if table.num_columns != 2 or table.num_rows != 1:
        raise AssertionError(
            f"expected one row of (sum(v), row count), got {table.num_rows} row(s) of {table.column_names}"
        )
    total, count = table.column(0), table.column(1)
    if not pa.types.is_floating(total.type):
        raise AssertionError(f"sum(v) (column {table.column_names[0]!r}) is {total.type}, not a float")
    if not pa.types.is_integer(count.type):
        raise AssertionError(f"the row count (column {table.column_names[1]!r}) is {count.type}, not an integer")
    value = total[0].as_py()
    return {"rows": int(count[0].as_py()), "sum(v)": math.nan if value is None else float(value)}


# --- worker: one engine at one thread count, in its own process, every case --------------------


def worker(engine: str, threads: int, args: argparse.Namespace) -> dict:
    prepare = h.make_engine(MAKERS, engine, threads)
    data = Data(args.rows, args.cases)

    def setup(case: str) -> h.Query:
        probe, build = data.tables[case]
        return prepare(probe, build, CASES[case][1])

    return h.measure_cases(args.cases, setup, args.reps, digest, data.seconds)


# --- parent: run the matrix, check, report -----------------------------------------------------


def verdicts(
    results: Sequence[h.CaseResult], cases: Sequence[str], engines: Sequence[str], thread_counts: Sequence[int]
) -> list[dict]:
    """Per case and thread count: headrace's time divided by the fastest peer's, at most 1.0. The
    peers are those asked for (``--engines``) that run at that thread count; any that did not
    finish are named in ``missing`` (the verdict is then against the others only)."""
    out = []
    for c in cases:
        for n in thread_counts:
            hr = h.find(results, "headrace", case=c, threads=n)
            expected = [e for e in PEERS if e in engines and not (e in h.SINGLE_THREADED and n != 1)]
            ran = {e: r for e in expected if (r := h.find(results, e, case=c, threads=n))}
            missing = [e for e in expected if e not in ran]
            fastest = min(ran, key=lambda e: ran[e].median_s) if ran else None
            ratio = hr.median_s / ran[fastest].median_s if hr and fastest else None
            out.append(
                {
                    "case": c,
                    "threads": n,
                    "headrace_s": hr.median_s if hr else None,
                    "peers_s": {e: r.median_s for e, r in ran.items()},
                    "fastest_peer": fastest,
                    "fastest_peer_s": ran[fastest].median_s if fastest else None,
                    "vs_fastest": ratio,
                    "met": None if ratio is None else ratio <= TARGET,
                    "missing": missing,
                    "headrace_ran": hr is not None,
                }
            )
    return out


def verdict_line(v: dict) -> str:
    head = f"{v['case']} threads={v['threads']}: "
    if v["met"] is None:
        why = "headrace did not run" if not v["headrace_ran"] else "no peer ran"
        return head + f"cannot judge ({why})"
    others = ", ".join(f"{e} {s:.3f} s" for e, s in sorted(v["peers_s"].items(), key=lambda es: es[1]))
    line = (
        head
        + f"headrace {v['headrace_s']:.3f} s = {v['vs_fastest']:.2f}x the fastest peer, {v['fastest_peer']} "
        + f"(peers: {others}) -> "
        + ("target met" if v["met"] else f"target NOT met (needs <= {TARGET}x)")
    )
    if v["missing"]:
        line += f" [judged without {', '.join(v['missing'])}: did not run]"
    return line


def answer_summary(d: dict) -> str:
    return f"{d['rows']:,} rows, sum(v) {d['sum(v)']!r}"


def same_rows_check(results: Sequence[h.CaseResult]) -> h.Checked:
    """str_inner's keys spell int_inner's as strings: the same rows, so its answer must be the same."""
    first = {
        c: next((r for r in results if r.case == c and r.status == "ok"), None) for c in ("int_inner", "str_inner")
    }
    if not all(first.values()):
        return h.Checked()
    why = h.differences(first["int_inner"].digest, first["str_inner"].digest)
    if why:
        line = "str_inner's answer differs from int_inner's (same rows): " + "; ".join(why)
        return h.Checked([line], [f"str_inner differs from int_inner (same rows): {w}" for w in why])
    return h.Checked(["str_inner's answer equals int_inner's (same rows, keys spelled as strings)"])


def parse(argv: Sequence[str] | None, results_dir: Path) -> argparse.Namespace:
    return h.parse_args(
        argv, __doc__, "join", results_dir, engines=ENGINES, cases=CASES, rows_help=ROWS_HELP, quick_run=QUICK_RUN
    )


def execute(args: argparse.Namespace) -> h.Outcome:
    """Runs the matrix of ``args``, checks the answers and judges the target."""
    build_rows = build_rows_for(args.rows)
    results = h.run_case_matrix(MODULE, args, args.rows + build_rows, ["--rows", str(args.rows)])
    verdict = verdicts(results, args.cases, args.engines, args.threads)
    head = {
        "rows": args.rows,
        "build_rows": build_rows,
        "reps": args.reps,
        "rounds": args.rounds,
        "cases": {
            c: {"key": CASES[c][0], "how": CASES[c][1], "probe_key_range": probe_key_range(build_rows, CASES[c][2])}
            for c in args.cases
        },
        "aggregates": ["sum(v)", "count(*)"],
        "target": {"vs_fastest_peer": TARGET},
        "verdicts": verdict,
    }
    checked = h.compare_case_answers(results, args.cases, answer_summary)
    checked.add(same_rows_check(results))
    return h.Outcome(list(results), checked, [verdict_line(v) for v in verdict], head)


def sizes(args: argparse.Namespace) -> str:
    return f"{args.rows:,} probe rows, {build_rows_for(args.rows):,} build rows"


def main(argv: Sequence[str] | None = None, results_dir: Path | None = None) -> int:
    """The suite's command line (see the module's docstring); JSON files go to ``results_dir``
    (default: the current folder)."""
    args = parse(argv, results_dir or Path.cwd())
    target = f"Target: at least as fast as the fastest peer at each thread count (<= {TARGET}x):"
    return h.case_suite_main(
        args, worker, execute, title=TITLE, sizes=sizes(args), dists=DISTS, engines=ENGINES, target=target,
        peak_rss=True,
    )


def run_suite(options: SuiteOptions) -> SuiteRun:
    """The suite as ``python -m headrace bench`` runs it."""
    args = parse(options.argv(ENGINES, rows=True), options.data_dir)
    work = args.rows + build_rows_for(args.rows)
    return h.suite_run("join", TITLE, sizes(args), args, ENGINES, execute(args), work)


if __name__ == "__main__":
    sys.exit(main())
