"""DataStream scan: Parquet -> filter -> with_columns -> collect, headrace against pyarrow, Polars and DuckDB.

Every engine runs the same query over the same Parquet files, in the same run of this script:

    scan       the files of the data directory (id int64, qty int32, price float64,
               region string, day date32)
    filter     qty > 50 and region != "US"                   (~40% of the rows pass)
    add        rev = price * qty, disc = price * (1 - 0.1)
    collect    every column into one ``pyarrow.Table``

at 1 and 2 threads. Each engine x thread count runs in a fresh subprocess (this module with
``--worker ENGINE THREADS``): Polars reads ``POLARS_MAX_THREADS`` only when it is imported,
and a fresh process keeps the engines from sharing thread pools, caches and allocators. A
worker does one untimed warm-up run and ``--reps`` timed runs, each from building the query
to holding the ``pyarrow.Table`` (Polars' ``.to_arrow()`` and DuckDB's conversion to Arrow
included), and prints its timings and a digest of its answer as JSON. The medians are
reported, with rows/s counted over the rows scanned.

Engines (each optional: one that is not importable is reported as skipped)

* ``headrace``  ``hr.config(threads=n)``; ``hr.read_parquet(dir).filter(...).with_columns(...).collect()``
* ``pyarrow``   ``pyarrow.dataset`` scanner with the filter and a projection of expressions,
                ``use_threads=True``, ``pa.set_cpu_count(n)`` and ``pa.set_io_thread_count(n)``
* ``polars``    ``pl.scan_parquet(...).filter(...).with_columns(...).collect().to_arrow()``,
                ``POLARS_MAX_THREADS=n``
* ``duckdb``    ``SET threads = n``; ``SELECT *, ... FROM read_parquet(...) WHERE ...``, to Arrow

Every worker also caps pyarrow's CPU and I/O pools at n threads (headrace computes with
pyarrow; the others only use it to hand over their result).

Correctness: every answer is reduced to a digest (rows, column names and types with the
string types unified, sum of rev, sum of disc, rows per region, SHA-256 of the sorted ids)
and the digests must agree across engines (float sums to a relative 1e-9); every timed run
must return as many rows as the digested one. Any difference, or a worker that fails, makes
the script exit with status 1 (a mismatch first prints what differs).

Data: generated once into ``--data-dir`` (default ``out/scan-data`` in the results folder:
the current folder, or ``bench/`` for ``bench/datastream_scan.py``) as 4 zstd Parquet files
with row groups of 1M rows, seeded, and regenerated when ``--rows`` or the layout changes
(``_meta.json`` records them).

Run (``python -m headrace bench --suites scan`` runs it among the other suites)::

    python -m headrace.benchmarks.datastream_scan           # 10M rows, 5 reps, 1 and 2 threads
    python -m headrace.benchmarks.datastream_scan --quick   # 1M rows, 2 reps
    python -m headrace.benchmarks.datastream_scan --engines headrace,polars --threads 2 --explain
    python bench/datastream_scan.py --rounds 2 --explain    # the same, from a checkout: files in bench/

It writes its JSON report to ``--json`` (default ``results-datastream-scan.json`` in the
results folder; ``--quick``: ``out/results-datastream-scan-quick.json`` there).

``--explain`` also prints headrace's ``explain(analyze=True)`` per thread count (one more
run, untimed). ``--rounds R`` runs the whole engine x threads matrix R times, in turn, and
pools the timings (to spread a shared machine's drift over every engine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _harness as h
from ._suite import SuiteOptions, SuiteRun

MODULE = "headrace.benchmarks.datastream_scan"  # what a worker runs (``python -m``)
TITLE = "DataStream scan: Parquet -> filter -> with_columns -> collect"
CASE = "parquet_filter_project"  # the suite's one case, as the bench command names it
DISTS = ("pyarrow", "polars", "duckdb", "numpy", "headrace")  # versions in the report
QUICK_RUN = "1M rows, 2 reps"  # what --quick runs
REGIONS = ("US", "EU", "APAC", "LATAM", "MEA")
REGION_P = (0.2, 0.3, 0.25, 0.15, 0.1)
FILES = 4
ROW_GROUP = 1_000_000
COMPRESSION = "zstd"
LAYOUT = 1  # bump when the generated data changes
SEED = 20261121
QTY_MIN, REGION_OUT = 50, "US"  # filter: qty > 50 and region != "US"
TARGET = 1.5  # headrace's time at most this many times the fastest engine's


# --- data ------------------------------------------------------------------------------------


def ensure_data(data_dir: Path, rows: int) -> list[Path]:
    """The data files for ``rows`` rows, generated unless ``meta.json`` says they already are."""
    meta = {
        "rows": rows,
        "files": FILES,
        "row_group": ROW_GROUP,
        "compression": COMPRESSION,
        "layout": LAYOUT,
        "seed": SEED,
    }
    paths = [data_dir / f"part-{i}.parquet" for i in range(FILES)]
    meta_path = data_dir / "_meta.json"  # "_": not a data file to pyarrow.dataset
    try:
        if json.loads(meta_path.read_text()) == meta and all(p.is_file() for p in paths):
            return paths
    except (OSError, ValueError):
        pass
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    print(f"generating {rows:,} rows into {data_dir} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    for stale in data_dir.glob("*.parquet"):
        stale.unlink()
    rng = np.random.default_rng(SEED)
    day0 = np.datetime64("2024-01-01", "D").astype(np.int32)
    bounds = [rows * i // FILES for i in range(FILES + 1)]
    for path, lo, hi in zip(paths, bounds, bounds[1:]):
        n = hi - lo
        region_codes = rng.choice(len(REGIONS), size=n, p=REGION_P).astype(np.int8)
        table = pa.table(
            {
                "id": pa.array(np.arange(lo, hi, dtype=np.int64)),
                "qty": pa.array(rng.integers(0, 101, size=n, dtype=np.int32)),
                "price": pa.array(np.round(rng.uniform(1.0, 1000.0, size=n), 2)),
                # plain (not dictionary) strings: what each engine sees is the file's string column
                "region": pa.array(np.asarray(REGIONS, dtype=object)[region_codes], pa.string()),
                "day": pa.array(day0 + rng.integers(0, 731, size=n, dtype=np.int32), pa.date32()),
            }
        )
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression=COMPRESSION)
        tmp.replace(path)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    size = sum(p.stat().st_size for p in paths)
    print(f"  {size / 2**20:,.0f} MiB in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return paths


# --- the query, per engine (run inside a worker process) ---------------------------------------


def filter_and_add(lib: Any, frame: Any) -> Any:
    """The query's filter and added columns on ``frame``, in the expressions of ``lib`` (headrace's
    and Polars' are spelt alike)."""
    return frame.filter((lib.col("qty") > QTY_MIN) & (lib.col("region") != REGION_OUT)).with_columns(
        rev=lib.col("price") * lib.col("qty"), disc=lib.col("price") * (1 - 0.1)
    )


def make_headrace(data_dir: Path, threads: int) -> h.Query:
    hr = h.headrace_at(threads)
    pattern = str(data_dir / "*.parquet")

    def plan() -> Any:
        return filter_and_add(hr, hr.read_parquet(pattern))

    def run() -> Any:
        return plan().collect()

    run.plan = plan  # type: ignore[attr-defined] - for --explain
    return run


def make_pyarrow(data_dir: Path, threads: int) -> h.Query:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    def run() -> Any:
        dataset = ds.dataset(str(data_dir), format="parquet")
        columns = {name: pc.field(name) for name in dataset.schema.names}
        columns["rev"] = pc.field("price") * pc.field("qty")
        columns["disc"] = pc.field("price") * pc.scalar(1 - 0.1)
        where = (pc.field("qty") > QTY_MIN) & (pc.field("region") != REGION_OUT)
        return dataset.to_table(columns=columns, filter=where, use_threads=True)

    return run


def make_polars(data_dir: Path, threads: int) -> h.Query:
    pl = h.polars_at(threads)
    pattern = str(data_dir / "*.parquet")

    def run() -> Any:
        return filter_and_add(pl, pl.scan_parquet(pattern)).collect().to_arrow()

    return run


def make_duckdb(data_dir: Path, threads: int) -> h.Query:
    con = h.duckdb_at(threads)
    pattern = str(data_dir / "*.parquet").replace("'", "''")
    sql = (
        f"SELECT *, price * qty AS rev, price * CAST({1 - 0.1!r} AS DOUBLE) AS disc "
        f"FROM read_parquet('{pattern}') WHERE qty > {QTY_MIN} AND region <> '{REGION_OUT}'"
    )
    return h.duckdb_query(con, sql)


MAKERS = h.by_engine(make_headrace, make_pyarrow, make_polars, make_duckdb)
ENGINES = tuple(MAKERS)


# --- the answer's digest ---------------------------------------------------------------------


def digest(table: Any) -> dict:
    """What must agree across engines: rows, columns, float sums, rows per region, sorted ids."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def unified(t: pa.DataType) -> str:
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return "string"
        return str(t)

    region = table.column("region")
    if not pa.types.is_string(region.type):
        region = region.cast(pa.string())
    counts = pc.value_counts(region.combine_chunks())
    per_region = {
        str(v): int(c) for v, c in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())
    }
    ids = np.sort(table.column("id").to_numpy())
    return {
        "rows": table.num_rows,
        "columns": [f"{f.name}:{unified(f.type)}" for f in table.schema],
        "sum_rev": pc.sum(table.column("rev")).as_py() or 0.0,
        "sum_disc": pc.sum(table.column("disc")).as_py() or 0.0,
        "per_region": dict(sorted(per_region.items())),
        "ids_sha256": hashlib.sha256(np.ascontiguousarray(ids, dtype="<i8").tobytes()).hexdigest(),
    }


# --- worker: one engine at one thread count, in its own process --------------------------------


def worker(engine: str, threads: int, args: argparse.Namespace) -> dict:
    run = h.make_engine(MAKERS, engine, args.data_dir, threads)
    out = {"status": "ok", **h.measure(run, args.reps, digest), "peak_rss_mib": h.peak_rss_mib()}
    if args.explain and engine == "headrace":
        out["explain"] = run.plan().explain(analyze=True, as_text=True)
    return out


# --- parent: run the matrix, check, report -----------------------------------------------------


def run_matrix(args: argparse.Namespace, data_dir: Path) -> list[h.Result]:
    """Every engine x thread count of ``args``, ``args.rounds`` times, each in a worker; headrace's
    explain (with ``--explain``) comes from the last round."""
    results = {(e, n): h.Result(e, n, args.rows) for n in args.threads for e in args.engines}
    for r in range(args.rounds):
        options = ["--data-dir", str(data_dir), "--reps", str(args.reps)]
        if args.explain and r == args.rounds - 1:
            options.append("--explain")
        for (engine, n), res in results.items():
            if res.status != "ok":
                continue
            out = h.spawn(MODULE, engine, n, options)
            h.absorb(res, out, f"round {r + 1}/{args.rounds} {engine:>8} threads={n}")
    h.finish(results.values(), h.label)
    return list(results.values())


def verdicts(results: list[h.Result], thread_counts: Sequence[int]) -> list[dict]:
    out = []
    for n in thread_counts:
        ok = [r for r in results if r.threads == n and r.status == "ok"]
        peers = [r for r in ok if r.engine != "headrace"]
        hr = next((r for r in ok if r.engine == "headrace"), None)
        if not peers:
            continue
        fastest = min(peers, key=lambda r: r.median_s)
        ratio = hr.median_s / fastest.median_s if hr else None
        out.append(
            {
                "threads": n,
                "fastest_peer": fastest.engine,
                "fastest_s": fastest.median_s,
                "headrace_s": hr.median_s if hr else None,
                "ratio": ratio,
                "within_target": ratio is not None and ratio <= TARGET,
            }
        )
    return out


def verdict_line(v: dict) -> str:
    head = f"threads={v['threads']}: fastest peer {v['fastest_peer']} ({v['fastest_s']:.3f} s); "
    if v["ratio"] is None:
        return head + "no headrace"
    return (
        head
        + f"headrace {v['headrace_s']:.3f} s = {v['ratio']:.2f}x -> "
        + (f"within {TARGET}x" if v["within_target"] else f"NOT within {TARGET}x")
    )


def answer_summary(d: dict) -> str:
    return (
        f"{d['rows']:,} rows, sum(rev) {d['sum_rev']:.6e}, sum(disc) {d['sum_disc']:.6e}, "
        f"ids sha256 {d['ids_sha256'][:12]}"
    )


def default_data(results_dir: Path, quick: bool) -> Path:
    """Where the data goes without ``--data-dir``: ``--quick``'s beside the full run's, both kept."""
    return results_dir / "out" / ("scan-data-quick" if quick else "scan-data")


def parse(argv: Sequence[str] | None, results_dir: Path) -> argparse.Namespace:
    def more_options(ap: argparse.ArgumentParser) -> None:
        ap.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help=f"data cache (default {default_data(results_dir, False)}; --quick: "
            f"{default_data(results_dir, True)})",
        )
        ap.add_argument("--explain", action="store_true", help="also print headrace's explain(analyze=True)")

    args = h.parse_args(
        argv, __doc__, "datastream-scan", results_dir, engines=ENGINES, quick_run=QUICK_RUN, more_options=more_options
    )
    args.data_dir = args.data_dir or default_data(results_dir, args.quick)
    return args


def execute(args: argparse.Namespace) -> h.Outcome:
    """Generates the data if needed, runs the matrix of ``args``, checks the answers and judges
    the target."""
    ensure_data(args.data_dir, args.rows)
    results = run_matrix(args, args.data_dir)
    verdict = verdicts(results, args.threads)
    head = {
        "rows": args.rows,
        "reps": args.reps,
        "rounds": args.rounds,
        "data_dir": str(args.data_dir),
        "target": TARGET,
        "verdicts": verdict,
    }
    checked = h.compare_answers(results, h.label, answer_summary)
    return h.Outcome(results, checked, [verdict_line(v) for v in verdict], head)


def main(argv: Sequence[str] | None = None, results_dir: Path | None = None) -> int:
    """The suite's command line (see the module's docstring); JSON files and the data go to
    ``results_dir`` (default: the current folder)."""
    args = parse(argv, results_dir or Path.cwd())
    if args.worker:
        return h.worker_entry(args, worker)

    env = h.environment(DISTS)
    h.print_heading(TITLE, f"{args.rows:,} rows", args, env)
    outcome = execute(args)
    print(h.timings_table(outcome.results, ("threads",), "scanned") + "\n")
    for line in outcome.verdicts:
        print(line)
    outcome.print_checks(h.label)
    for r in outcome.results:
        if r.explain:
            print(f"\nheadrace explain(analyze=True), threads={r.threads}:\n{r.explain}")
    head = {"env": env, **outcome.head}
    return h.write_report(args.json, head, outcome.results, outcome.checked.problems, list_problems=False)


def run_suite(options: SuiteOptions) -> SuiteRun:
    """The suite as ``python -m headrace bench`` runs it (its data in ``options.data_dir``)."""
    args = parse(options.argv(ENGINES, rows=True) + ["--data-dir", str(options.data_dir / "scan")], options.data_dir)
    size = f"{args.rows:,} rows"
    return h.suite_run("scan", TITLE, size, args, ENGINES, execute(args), args.rows, cases=[CASE])


if __name__ == "__main__":
    sys.exit(main())
