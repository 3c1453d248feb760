"""Hash join: two in-memory Arrow tables -> equi-join on ``k`` -> sum of the payload and row count
(one row) -> pyarrow Table, headrace against pyarrow, Polars, DuckDB and pandas (issue 5).

Run (from the repository root; headrace from ``python/`` if it is not installed)::

    python bench/join.py                         # 10M probe rows, 5 reps, 1 and 2 threads, every case and engine
    python bench/join.py --quick                 # smoke run: 1M probe rows, 2 reps, JSON under bench/out/
    python bench/join.py --cases int_inner --engines headrace,polars,duckdb --threads 2 --rounds 3

It prints a markdown table of the medians with headrace's time divided by every peer's, the
verdict against the issue's target per case and thread count, and writes everything (every
timing, the digests, the environment) as JSON to ``--json`` (default
``bench/results-join.json``; ``--quick`` writes ``bench/out/results-join-quick.json``, so a
smoke run leaves the recorded figures alone). It exits with status 1 if the engines' answers
differ or a run fails. ``--rounds R`` runs the whole engine x threads matrix R times, in turn,
and pools the timings (to spread a shared machine's drift over every engine).

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
thread count runs in a fresh subprocess (this script with ``--worker ENGINE THREADS``):
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
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import _harness as h  # run as a script: bench/ is on sys.path
except ImportError:  # imported as bench.join
    from bench import _harness as h

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results-join.json"
QUICK_JSON = HERE / "out" / "results-join-quick.json"  # a smoke run leaves the figures alone

ENGINES = ("headrace", "pyarrow", "polars", "duckdb", "pandas")
PEERS = tuple(e for e in ENGINES if e != "headrace")
SINGLE_THREADED = ("pandas",)
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

Query = Callable[[], Any]  # returns a one-row pyarrow.Table: sum(v), row count
Prepare = Callable[[Any, Any, str], Query]  # the untimed setup for (probe, build, how)


def make_headrace(threads: int) -> Prepare:
    hr = h.import_headrace()
    hr.config(threads=threads)
    if hr.config()["threads"] != threads:
        raise RuntimeError(f"headrace runs {hr.config()['threads']} threads, not {threads}")
    if not hasattr(hr.from_arrow({"k": [1]}), "join"):
        raise h.Skip("this headrace has no DataStream.join yet")

    def prepare(probe: Any, build: Any, how: str) -> Query:
        def run() -> Any:
            joined = hr.from_arrow(probe).join(hr.from_arrow(build), on="k", how=how)
            return joined.agg(sum_v=("v", "sum"), rows=("*", "count")).collect()

        return run

    return prepare


def make_pyarrow(threads: int) -> Prepare:
    import pyarrow as pa
    import pyarrow.compute as pc

    join_type = {"inner": "inner", "left": "left outer"}

    def prepare(probe: Any, build: Any, how: str) -> Query:
        def run() -> Any:
            j = probe.join(build, keys="k", join_type=join_type[how], use_threads=True)
            total = pc.sum(j.column("v")).as_py()
            return pa.table({"sum_v": pa.array([total], pa.float64()), "rows": pa.array([j.num_rows], pa.int64())})

        return run

    return prepare


def make_polars(threads: int) -> Prepare:
    import polars as pl

    if pl.thread_pool_size() != threads:
        raise RuntimeError(f"polars runs {pl.thread_pool_size()} threads, not {threads} (POLARS_MAX_THREADS)")

    def prepare(probe: Any, build: Any, how: str) -> Query:
        p, b = pl.from_arrow(probe), pl.from_arrow(build)

        def run() -> Any:
            return p.join(b, on="k", how=how).select(pl.col("v").sum(), pl.len()).to_arrow()

        return run

    return prepare


def make_duckdb(threads: int) -> Prepare:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    ((got,),) = con.execute("SELECT current_setting('threads')").fetchall()
    if int(got) != threads:
        raise RuntimeError(f"duckdb runs {got} threads, not {threads}")
    sql_join = {"inner": "JOIN", "left": "LEFT JOIN"}

    def prepare(probe: Any, build: Any, how: str) -> Query:
        for name in ("p", "b"):
            try:
                con.unregister(name)
            except Exception:  # noqa: BLE001 - nothing registered yet
                pass
        con.register("p", probe)
        con.register("b", build)
        sql = f"SELECT sum(v) AS sum_v, count(*) AS rows FROM p {sql_join[how]} b USING (k)"

        def run() -> Any:
            rel = con.sql(sql)
            # duckdb >= 1.4: to_arrow_table(); earlier: fetch_arrow_table() (arrow() is now a reader)
            to_table = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
            return to_table()

        return run

    return prepare


def make_pandas(threads: int) -> Prepare:
    import pandas as pd  # noqa: F401 - fails here (a skip) if pandas is not installed
    import pyarrow as pa

    if threads != 1:
        raise h.Skip("pandas is single-threaded: measured at 1 thread only")

    def prepare(probe: Any, build: Any, how: str) -> Query:
        p, b = probe.to_pandas(), build.to_pandas()

        def run() -> Any:
            m = p.merge(b, on="k", how=how)
            total = float(m["v"].sum())  # skips the NaN of unmatched rows
            return pa.table({"sum_v": pa.array([total], pa.float64()), "rows": pa.array([len(m)], pa.int64())})

        return run

    return prepare


MAKERS: dict[str, Callable[[int], Prepare]] = {
    "headrace": make_headrace,
    "pyarrow": make_pyarrow,
    "polars": make_polars,
    "duckdb": make_duckdb,
    "pandas": make_pandas,
}


def make(engine: str, threads: int) -> Prepare:
    try:
        return MAKERS[engine](threads)
    except ImportError as e:
        raise h.Skip(f"{engine} not importable ({e})") from e


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


def worker(engine: str, threads: int, rows: int, reps: int, cases: Sequence[str]) -> dict:
    import gc

    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)
    try:
        prepare = make(engine, threads)
    except h.Skip as e:
        return {"status": "skipped", "note": str(e)}
    data = Data(rows, cases)
    out: dict[str, Any] = {"status": "ok", "data_s": data.seconds, "cases": {}}
    for case in cases:
        try:
            probe, build = data.tables[case]
            started = time.perf_counter()
            run = prepare(probe, build, CASES[case][1])
            setup_s = time.perf_counter() - started
            out["cases"][case] = {"status": "ok", **h.measure(run, reps, digest), "setup_s": setup_s}
        except Exception as e:  # noqa: BLE001 - one case failing does not stop the others
            out["cases"][case] = h.failure(e)
        run = None  # drop this case's engine-side copy of the data before the next case
        gc.collect()
    out["peak_rss_mib"] = h.peak_rss_mib()  # the worker's peak, over all its cases
    return out


def spawn(engine: str, threads: int, rows: int, reps: int, cases: Sequence[str]) -> dict:
    args = ["--worker", engine, str(threads), "--rows", str(rows), "--reps", str(reps), "--cases", ",".join(cases)]
    return h.spawn(__file__, args, threads)


# --- parent: run the matrix, check, report -----------------------------------------------------


@dataclass
class CaseResult(h.Result):
    case: str = ""
    setup_s: float | None = None  # the engine's untimed conversion of the inputs, in the last round


def label(r: CaseResult) -> str:
    return f"{r.case} {r.engine} threads={r.threads}"


def run_matrix(
    cases: Sequence[str],
    engines: Sequence[str],
    thread_counts: Sequence[int],
    rows: int,
    reps: int,
    rounds: int,
) -> list[CaseResult]:
    input_rows = rows + build_rows_for(rows)
    results = {(c, e, n): CaseResult(e, n, input_rows, case=c) for c in cases for n in thread_counts for e in engines}
    for (_, engine, n), res in results.items():
        if engine in SINGLE_THREADED and n != 1:  # not worth a process: it would only say so
            res.status, res.note = "skipped", f"{engine} is single-threaded: measured at 1 thread only"
    for r in range(rounds):
        for n in thread_counts:
            for engine in engines:
                todo = [c for c in cases if results[c, engine, n].status == "ok"]
                if not todo:
                    continue
                out = spawn(engine, n, rows, reps, todo)
                for c in todo:
                    res = results[c, engine, n]
                    one = out  # a worker that failed or skipped did so for every case
                    if out["status"] == "ok":
                        one = out["cases"].get(c, {"status": "FAILED", "note": "the worker returned nothing"})
                    if one["status"] == "ok":
                        one = {**one, "peak_rss_mib": out.get("peak_rss_mib")}
                        res.setup_s = one.get("setup_s")
                    h.absorb(res, one, f"round {r + 1}/{rounds} {c:>9} {engine:>8} threads={n}")
    h.finish(results.values(), label)
    return list(results.values())


def find(results: Sequence[CaseResult], case: str, threads: int, engine: str) -> CaseResult | None:
    return next(
        (r for r in results if (r.case, r.threads, r.engine) == (case, threads, engine) and r.status == "ok"),
        None,
    )


def ratio_to(results: Sequence[CaseResult], r: CaseResult, peer: str) -> float | None:
    """headrace's median time divided by ``peer``'s, for ``r``'s case and thread count."""
    hr, other = find(results, r.case, r.threads, "headrace"), find(results, r.case, r.threads, peer)
    return hr.median_s / other.median_s if hr and other else None


def table(results: Sequence[CaseResult]) -> str:
    lines = [
        "| case | threads | engine | median s | rows/s (input) | CPU s | peak RSS MiB | headrace ÷ this (time) |",
        "|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.case} | {r.threads} | {r.engine} | {r.status} | — | — | — | — |")
            continue
        ratio = ratio_to(results, r, r.engine) if r.engine != "headrace" else None
        lines.append(
            f"| {r.case} | {r.threads} | {r.engine} | {r.median_s:.3f} | {r.rows_per_s:,.0f} | {r.cpu_s:.2f} "
            f"| {h.fmt(r.peak_rss_mib, ',.0f')} | {h.fmt(ratio, '.2f') + ('x' if ratio else '')} |"
        )
    return "\n".join(lines)


def ratio_table(results: Sequence[CaseResult], cases: Sequence[str], thread_counts: Sequence[int]) -> str:
    peers = [e for e in PEERS if any(r.engine == e for r in results)]
    lines = [
        "| case | threads | headrace s | " + " | ".join(f"÷ {p}" for p in peers) + " |",
        "|---|--:|--:|" + "--:|" * len(peers),
    ]
    for c in cases:
        for n in thread_counts:
            hr = find(results, c, n, "headrace")
            cells = []
            for p in peers:
                other = find(results, c, n, p)
                cells.append(f"{hr.median_s / other.median_s:.2f}x" if hr and other else "—")
            lines.append(f"| {c} | {n} | {h.fmt(hr.median_s if hr else None, '.3f')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(
    results: Sequence[CaseResult], cases: Sequence[str], engines: Sequence[str], thread_counts: Sequence[int]
) -> list[dict]:
    """Per case and thread count: headrace's time divided by the fastest peer's, at most 1.0. The
    peers are those asked for (``--engines``) that run at that thread count; any that did not
    finish are named in ``missing`` (the verdict is then against the others only)."""
    out = []
    for c in cases:
        for n in thread_counts:
            hr = find(results, c, n, "headrace")
            expected = [e for e in PEERS if e in engines and not (e in SINGLE_THREADED and n != 1)]
            ran = {e: r for e in expected if (r := find(results, c, n, e))}
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


def environment() -> dict:
    return h.environment(("pyarrow", "polars", "duckdb", "pandas", "numpy", "headrace"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument(
        "--rows",
        type=int,
        default=None,
        help="probe rows (default 10,000,000; --quick 1,000,000); the build side has a tenth as many",
    )
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help="timed runs per case, engine and thread count (default 5, --quick 2), after one warm-up run",
    )
    ap.add_argument("--rounds", type=int, default=1, help="run the whole matrix this many times (default 1)")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated (default {','.join(CASES)})")
    ap.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated (default {','.join(ENGINES)})")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1M probe rows, 2 reps, JSON under bench/out/")
    ap.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=None,
        help=f"where the results go (default {DEFAULT_JSON}; --quick: {QUICK_JSON})",
    )
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    reps = args.reps or (2 if args.quick else 5)
    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    cases = h.comma_list(args.cases)
    if args.worker:
        engine, n = args.worker
        return h.worker_entry(lambda: worker(engine, int(n), rows, reps, cases))

    if unknown := [c for c in cases if c not in CASES]:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    engines = h.comma_list(args.engines)
    if unknown := [e for e in engines if e not in MAKERS]:
        ap.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    try:
        thread_counts = h.thread_counts(args.threads)
    except ValueError as e:
        ap.error(str(e))
    if reps < 1 or args.rounds < 1 or rows < 1:
        ap.error("--rows, --reps and --rounds must be at least 1")

    build_rows = build_rows_for(rows)
    env = environment()
    print(
        f"# Join: in-memory Arrow tables -> join on k -> sum(v), count(*) -> pyarrow Table ({rows:,} probe rows, "
        f"{build_rows:,} build rows, {reps} reps x {args.rounds} round(s), medians)\n",
        flush=True,
    )
    print(", ".join(f"{k} {v}" for k, v in env.items()) + "\n", flush=True)
    results = run_matrix(cases, engines, thread_counts, rows, reps, args.rounds)

    print(table(results) + "\n")
    print("headrace ÷ peer (time; below 1 is faster):\n")
    print(ratio_table(results, cases, thread_counts) + "\n")
    print(f"Target: at least as fast as the fastest peer at each thread count (<= {TARGET}x):")
    verdict = verdicts(results, cases, engines, thread_counts)
    for v in verdict:
        print("  " + verdict_line(v))

    problems: list[str] = []
    print()
    for c in cases:
        of_case = [r for r in results if r.case == c]
        why = h.check_answers(of_case, label)
        checked = [r for r in of_case if r.status == "ok"]
        if why:
            problems += why
            print(f"{c}: ANSWERS DIFFER:\n  " + "\n  ".join(why))
        elif checked:
            d = checked[0].digest
            print(
                f"{c}: answers equal across {len(checked)} engine x thread runs: {d['rows']:,} rows, "
                f"sum(v) {d['sum(v)']!r}"
            )
    # The string keys spell the integer keys of int_inner: the same rows, so the same answer.
    firsts = {
        c: next((r for r in results if r.case == c and r.status == "ok"), None) for c in ("int_inner", "str_inner")
    }
    if all(firsts.values()):
        if why := h.differences(firsts["int_inner"].digest, firsts["str_inner"].digest):
            problems += [f"str_inner differs from int_inner (same rows): {w}" for w in why]
            print("str_inner's answer differs from int_inner's (same rows): " + "; ".join(why))
    for r in results:
        if r.status == "FAILED" or (r.status == "skipped" and r.engine not in SINGLE_THREADED):
            print(f"{r.status}: {label(r)}: {r.note}")
    failed = [r for r in results if r.status == "FAILED"]

    out_path = args.json or (QUICK_JSON if args.quick else DEFAULT_JSON)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "env": env,
        "rows": rows,
        "build_rows": build_rows,
        "reps": reps,
        "rounds": args.rounds,
        "cases": {
            c: {"key": CASES[c][0], "how": CASES[c][1], "probe_key_range": probe_key_range(build_rows, CASES[c][2])}
            for c in cases
        },
        "aggregates": ["sum(v)", "count(*)"],
        "target": {"vs_fastest_peer": TARGET},
        "verdicts": verdict,
        "answers_equal": not problems,
        "problems": problems,
        "results": [vars(r) for r in results],
    }
    out_path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {out_path}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
