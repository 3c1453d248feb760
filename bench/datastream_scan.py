"""DataStream scan: Parquet -> filter -> with_columns -> collect, headrace against pyarrow, Polars and DuckDB.

Every engine runs the same query over the same Parquet files, in the same run of this script:

    scan       the files of the data directory (id int64, qty int32, price float64,
               region string, day date32)
    filter     qty > 50 and region != "US"                   (~40% of the rows pass)
    add        rev = price * qty, disc = price * (1 - 0.1)
    collect    every column into one ``pyarrow.Table``

at 1 and 2 threads. Each engine x thread count runs in a fresh subprocess (this script with
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

Data: generated once into ``--data-dir`` (default ``bench/out/scan-data``) as 4 zstd
Parquet files with row groups of 1M rows, seeded, and regenerated when ``--rows`` or the
layout changes (``_meta.json`` records them).

Run (from the repository root; headrace from ``python/`` if it is not installed)::

    PYTHONPATH=python python bench/datastream_scan.py              # 10M rows, 5 reps, 1 and 2 threads
    PYTHONPATH=python python bench/datastream_scan.py --quick      # 1M rows, 2 reps
    PYTHONPATH=python python bench/datastream_scan.py --engines headrace,polars --threads 2 --explain

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

try:
    import _harness as h  # run as a script: bench/ is on sys.path
except ImportError:  # imported as bench.datastream_scan
    from bench import _harness as h

Result, Skip, fmt, import_headrace = h.Result, h.Skip, h.fmt, h.import_headrace

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "out" / "scan-data"
DEFAULT_JSON = HERE / "results-datastream-scan.json"
QUICK_JSON = HERE / "out" / "results-datastream-scan-quick.json"  # a smoke run leaves the figures alone

ENGINES = ("headrace", "pyarrow", "polars", "duckdb")
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

Query = Callable[[], Any]  # returns a pyarrow.Table


def make_headrace(data_dir: Path, threads: int) -> Query:
    hr = import_headrace()
    hr.config(threads=threads)
    pattern = str(data_dir / "*.parquet")

    def plan() -> Any:
        return (
            hr.read_parquet(pattern)
            .filter((hr.col("qty") > QTY_MIN) & (hr.col("region") != REGION_OUT))
            .with_columns(rev=hr.col("price") * hr.col("qty"), disc=hr.col("price") * (1 - 0.1))
        )

    def run() -> Any:
        return plan().collect()

    run.plan = plan  # type: ignore[attr-defined] - for --explain
    return run


def make_pyarrow(data_dir: Path, threads: int) -> Query:
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


def make_polars(data_dir: Path, threads: int) -> Query:
    import polars as pl

    if pl.thread_pool_size() != threads:
        raise RuntimeError(f"polars runs {pl.thread_pool_size()} threads, not {threads} (POLARS_MAX_THREADS)")
    pattern = str(data_dir / "*.parquet")

    def run() -> Any:
        return (
            pl.scan_parquet(pattern)
            .filter((pl.col("qty") > QTY_MIN) & (pl.col("region") != REGION_OUT))
            .with_columns(rev=pl.col("price") * pl.col("qty"), disc=pl.col("price") * (1 - 0.1))
            .collect()
            .to_arrow()
        )

    return run


def make_duckdb(data_dir: Path, threads: int) -> Query:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    ((got,),) = con.execute("SELECT current_setting('threads')").fetchall()
    if int(got) != threads:
        raise RuntimeError(f"duckdb runs {got} threads, not {threads}")
    pattern = str(data_dir / "*.parquet").replace("'", "''")
    sql = (
        f"SELECT *, price * qty AS rev, price * CAST({1 - 0.1!r} AS DOUBLE) AS disc "
        f"FROM read_parquet('{pattern}') WHERE qty > {QTY_MIN} AND region <> '{REGION_OUT}'"
    )

    def run() -> Any:
        rel = con.sql(sql)
        # duckdb >= 1.4: to_arrow_table(); earlier: fetch_arrow_table() (arrow() is now a reader)
        to_table = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
        return to_table()

    return run


MAKERS: dict[str, Callable[[Path, int], Query]] = {
    "headrace": make_headrace,
    "pyarrow": make_pyarrow,
    "polars": make_polars,
    "duckdb": make_duckdb,
}


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


def worker(engine: str, threads: int, data_dir: Path, reps: int, explain: bool) -> dict:
    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)
    try:
        run = MAKERS[engine](data_dir, threads)
    except Skip as e:
        return {"status": "skipped", "note": str(e)}
    out = {"status": "ok", **h.measure(run, reps, digest), "peak_rss_mib": h.peak_rss_mib()}
    if explain and engine == "headrace":
        out["explain"] = run.plan().explain(analyze=True, as_text=True)
    return out


def spawn(engine: str, threads: int, data_dir: Path, reps: int, explain: bool) -> dict:
    args = ["--worker", engine, str(threads), "--data-dir", str(data_dir), "--reps", str(reps)]
    return h.spawn(__file__, args + (["--explain"] if explain else []), threads)


# --- parent: run the matrix, check, report -----------------------------------------------------


def run_matrix(
    engines: Sequence[str],
    thread_counts: Sequence[int],
    data_dir: Path,
    rows: int,
    reps: int,
    rounds: int,
    explain: bool,
) -> list[Result]:
    results = {(e, n): Result(e, n, rows) for n in thread_counts for e in engines}
    for r in range(rounds):
        for (engine, n), res in results.items():
            if res.status != "ok":
                continue
            out = spawn(engine, n, data_dir, reps, explain and r == rounds - 1)
            h.absorb(res, out, f"round {r + 1}/{rounds} {engine:>8} threads={n}")
    h.finish(results.values(), label)
    return list(results.values())


def label(r: Result) -> str:
    return f"{r.engine} threads={r.threads}"


def check_answers(results: list[Result]) -> list[str]:
    """Compares every answer with the first one; the lines of any difference."""
    return h.check_answers(results, label)


def table(results: list[Result]) -> str:
    lines = [
        "| threads | engine | median s | rows/s (scanned) | CPU s | headrace ÷ this (time) |",
        "|--:|---|--:|--:|--:|--:|",
    ]
    for r in results:
        hr = next((x for x in results if x.threads == r.threads and x.engine == "headrace" and x.status == "ok"), None)
        ratio = hr.median_s / r.median_s if hr and r.status == "ok" and r is not hr else None
        if r.status != "ok":
            lines.append(f"| {r.threads} | {r.engine} | {r.status} | — | — | — |")
            continue
        lines.append(
            f"| {r.threads} | {r.engine} | {r.median_s:.3f} | {r.rows_per_s:,.0f} | {r.cpu_s:.2f} "
            f"| {fmt(ratio, '.2f') + ('x' if ratio else '')} |"
        )
    return "\n".join(lines)


def verdicts(results: list[Result], thread_counts: Sequence[int]) -> list[dict]:
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


def environment() -> dict:
    return h.environment(("pyarrow", "polars", "duckdb", "numpy", "headrace"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=None, help="rows of data (default 10,000,000; --quick 1,000,000)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help=f"data cache (default {DEFAULT_DATA})")
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help="timed runs per engine and thread count (default 5, --quick 2), after one warm-up run",
    )
    ap.add_argument("--rounds", type=int, default=1, help="run the whole matrix this many times (default 1)")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    ap.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated (default {','.join(ENGINES)})")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1M rows, 2 reps")
    ap.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=None,
        help=f"where the results go (default {DEFAULT_JSON}; --quick: {QUICK_JSON})",
    )
    ap.add_argument("--explain", action="store_true", help="also print headrace's explain(analyze=True)")
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    reps = args.reps or (2 if args.quick else 5)
    if args.worker:
        engine, n = args.worker
        return h.worker_entry(lambda: worker(engine, int(n), args.data_dir, reps, args.explain))

    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    data_dir = args.data_dir
    if args.quick and args.data_dir == DEFAULT_DATA:
        data_dir = DEFAULT_DATA.with_name("scan-data-quick")  # keep the full data set cached beside it
    engines = h.comma_list(args.engines)
    if unknown := [e for e in engines if e not in MAKERS]:
        ap.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    thread_counts = [int(n) for n in h.comma_list(args.threads)]

    ensure_data(data_dir, rows)
    env = environment()
    print(
        f"# DataStream scan: Parquet -> filter -> with_columns -> collect ({rows:,} rows, "
        f"{reps} reps x {args.rounds} round(s), medians)\n",
        flush=True,
    )
    print(", ".join(f"{k} {v}" for k, v in env.items()) + "\n", flush=True)
    results = run_matrix(engines, thread_counts, data_dir, rows, reps, args.rounds, args.explain)

    print(table(results) + "\n")
    verdict = verdicts(results, thread_counts)
    for v in verdict:
        if v["ratio"] is None:
            print(f"threads={v['threads']}: fastest peer {v['fastest_peer']} ({v['fastest_s']:.3f} s); no headrace")
        else:
            print(
                f"threads={v['threads']}: fastest peer {v['fastest_peer']} ({v['fastest_s']:.3f} s); headrace "
                f"{v['headrace_s']:.3f} s = {v['ratio']:.2f}x -> "
                + (f"within {TARGET}x" if v["within_target"] else f"NOT within {TARGET}x")
            )
    problems = check_answers(results)
    checked = [r for r in results if r.status == "ok"]
    if problems:
        print("\nANSWERS DIFFER:\n  " + "\n  ".join(problems))
    elif checked:
        d = checked[0].digest
        print(
            f"\nanswers equal across {len(checked)} engine x thread runs: {d['rows']:,} rows, "
            f"sum(rev) {d['sum_rev']:.6e}, sum(disc) {d['sum_disc']:.6e}, ids sha256 {d['ids_sha256'][:12]}"
        )
    for r in results:
        if r.status != "ok":
            print(f"{r.status}: {r.engine} threads={r.threads}: {r.note}")
        if r.explain:
            print(f"\nheadrace explain(analyze=True), threads={r.threads}:\n{r.explain}")
    failed = [r for r in results if r.status == "FAILED"]
    out_path = args.json or (QUICK_JSON if args.quick else DEFAULT_JSON)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "env": env,
        "rows": rows,
        "reps": reps,
        "rounds": args.rounds,
        "data_dir": str(data_dir),
        "target": TARGET,
        "verdicts": verdict,
        "answers_equal": not problems,
        "results": [vars(r) for r in results],
    }
    out_path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {out_path}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
