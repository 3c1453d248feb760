"""The Ray backend's overhead: TPC-H queries with ``collect(backend="ray")`` against
``collect()`` on the same machine (issue 10).

Run::

    python -m headrace.benchmarks.ray_overhead                  # SF 1, 3 reps, every query
    python -m headrace.benchmarks.ray_overhead --sf 0.1 --reps 1 --queries 1,6

It starts a local Ray cluster with ``--cpus`` CPUs (default 2, no dashboard, usage stats
off) and reports separately what a first run pays once: starting Ray and the pool of fragment
actors. Then, per query, the median of ``--reps`` timed runs after one untimed warm-up, for
the local backend at ``--cpus`` threads and for Ray with one actor per CPU; each Ray answer
is checked against the local one (``answers.differences``). It prints a markdown table and
writes every figure as JSON to ``--json`` (default ``results-ray.json``). Exit status 1 if an
answer differs.

Quokka, the Ray-based engine the issue compares with, needs Ray <= 2.55 and 2023-era pins;
it is not installed here (see bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .tpch import answers, datagen

QUERIES = (1, 3, 4, 5, 6, 10, 12, 14, 19)


def timed(run: Callable[[], Any], reps: int) -> tuple[float, Any]:
    """The median seconds of ``reps`` runs after an untimed warm-up, and the last answer."""
    answer = run()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), answer


def start_ray(cpus: int) -> dict[str, float]:
    """Starts a local cluster and the fragment actors; the seconds of each."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from .. import _ray_cluster

    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    cluster = time.perf_counter() - started
    started = time.perf_counter()
    _ray_cluster.pool()
    return {"ray_init_s": cluster, "actors_s": time.perf_counter() - started}


def measure(folder: Path, queries: Sequence[int], reps: int, cpus: int) -> dict[str, Any]:
    import headrace as hr
    from headrace.benchmarks.tpch.queries_headrace import QUERIES as QUERY_OF

    hr.config(threads=cpus)
    startup = start_ray(cpus)
    rows, failed = [], []
    for q in queries:
        local_s, local = timed(lambda q=q: QUERY_OF[q](folder).collect(), reps)
        ray_s, remote = timed(lambda q=q: QUERY_OF[q](folder).collect(backend="ray"), reps)
        wrong = answers.differences(remote, local, ordered=q in answers.ORDERED)
        if wrong:
            failed.append(q)
        rows.append({"query": f"q{q}", "local_s": local_s, "ray_s": ray_s, "ratio": ray_s / local_s,
                     "same_answer": not wrong})
    return {"startup": startup, "queries": rows, "failed": failed}


def table(result: dict[str, Any], sf: float, cpus: int, reps: int) -> str:
    start = result["startup"]
    lines = [f"TPC-H SF {sf:g}, {cpus} CPUs, median of {reps} after a warm-up. Start-up (once): "
             f"ray.init {start['ray_init_s']:.2f} s, fragment actors {start['actors_s']:.2f} s.", "",
             "| query | local (s) | ray (s) | ray / local | same answer |", "|---|---:|---:|---:|---|"]
    for r in result["queries"]:
        lines.append(f"| {r['query']} | {r['local_s']:.3f} | {r['ray_s']:.3f} | {r['ratio']:.2f}x | "
                     f"{'yes' if r['same_answer'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m headrace.benchmarks.ray_overhead", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per query and backend (default 3)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster and local threads")
    parser.add_argument("--queries", default=",".join(map(str, QUERIES)), help="e.g. 1,6")
    parser.add_argument("--tpch-dir", default=None, help="the TPC-H data cache (default: datagen's)")
    parser.add_argument("--json", default="results-ray.json", help="where to write the figures")
    args = parser.parse_args(argv)
    queries = [int(q) for q in args.queries.split(",")]
    unknown = sorted(set(queries) - set(QUERIES))
    if unknown:
        parser.error(f"unknown queries {unknown}; known: {', '.join(map(str, QUERIES))}")
    folder = datagen.tpch_data(args.sf, root=args.tpch_dir)
    result = measure(folder, queries, args.reps, args.cpus)
    print(table(result, args.sf, args.cpus, args.reps))
    Path(args.json).write_text(json.dumps({"sf": args.sf, "cpus": args.cpus, "reps": args.reps, **result},
                                          indent=2) + "\n", encoding="utf-8")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
