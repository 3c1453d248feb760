"""headrace's TPC-H queries with each Parquet reader, in one process:
``python bench/tpch_parquet_reader.py [--threads 1,2] [--reps 5] [--scale 1]``.

For each query and thread count, the median of ``--reps`` collects (after a warm-up) with
``hr.config(parquet_reader="pyarrow")`` and with ``"native"``, and their ratio; pyarrow's
own thread pool is capped at the thread count. Both readers' answers are checked equal.
Data: the TPC-H cache of ``headrace.benchmarks.tpch`` (generated on first use).
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyarrow as pa

import headrace as hr
from headrace.benchmarks.tpch import datagen
from headrace.benchmarks.tpch import queries_headrace as queries

QUERIES = ["q1", "q3", "q4", "q5", "q6", "q10", "q12", "q14", "q19"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    folder = datagen.tpch_data(args.scale)
    print("| query | threads | pyarrow reader | native reader | native / pyarrow |")
    print("|---|--:|--:|--:|--:|")
    for threads in [int(t) for t in args.threads.split(",")]:
        hr.config(threads=threads)
        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)
        for name in QUERIES:
            query = getattr(queries, name)
            medians, answers = {}, {}
            for reader in ("pyarrow", "native"):
                hr.config(parquet_reader=reader)
                answers[reader] = query(folder).collect()
                times = []
                for _ in range(args.reps):
                    start = time.perf_counter()
                    query(folder).collect()
                    times.append(time.perf_counter() - start)
                medians[reader] = statistics.median(times)
            if not answers["pyarrow"].equals(answers["native"]):
                raise SystemExit(f"{name}: the readers' answers differ")
            ratio = medians["native"] / medians["pyarrow"]
            print(f"| {name} | {threads} | {medians['pyarrow']:.3f} s | {medians['native']:.3f} s | {ratio:.2f}x |",
                  flush=True)
    hr.config(parquet_reader=None)


if __name__ == "__main__":
    main()
