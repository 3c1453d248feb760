"""The harness shared by the benchmark suites that race engines in fresh worker processes.

A suite module runs itself again as a worker (``python -m headrace.benchmarks.NAME --worker
ENGINE THREADS ...``, one fresh process per engine x thread count); the worker
(:func:`worker_entry`) sets its engine up with the helpers below (:func:`make_engine`,
:func:`headrace_at`, :func:`polars_at`, :func:`duckdb_at`, ...), times its runs with
:func:`measure` (per case: :func:`measure_cases`) and hands its result back as one tagged JSON
line, which :func:`spawn` picks up in the parent. The parent folds every worker's output into a
:class:`Result` (:func:`absorb`; per case: :func:`run_case_matrix`), pooling the timings of
``--rounds`` rounds, takes the medians (:func:`finish`), checks the answers' digests against
each other (:func:`check_answers`, :func:`differences`) and reports (:func:`timings_table`,
:func:`ratio_table`, :func:`write_report`), or hands the figures to ``python -m headrace bench``
(:func:`suite_run`). :func:`parse_args` gives every suite the same command-line options.

Used by ``datastream_scan``, ``groupby`` and ``join`` (``pipeline_throughput`` runs in one
process and shares only the reporting helpers).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ._suite import Figure, SuiteRun

RESULT_TAG = "RESULT-JSON "
WORKER_TIMEOUT = 1800  # seconds: a worker that hangs fails instead of stalling the run
SINGLE_THREADED = ("pandas",)  # engines measured at 1 thread only
FULL_ROWS, QUICK_ROWS = 10_000_000, 1_000_000
FULL_REPS, QUICK_REPS = 5, 2

Query = Callable[[], Any]  # one timed run: returns a pyarrow.Table
T = TypeVar("T")


class Skip(Exception):
    """An engine cannot run here (not importable, or not at this thread count)."""


# --- worker side: the engines, set up for a thread count -------------------------------------


def by_engine(*makers: Callable[..., T]) -> dict[str, Callable[..., T]]:
    """The makers ``make_ENGINE`` of a script's engines by engine name, in their order."""
    return {make.__name__.removeprefix("make_"): make for make in makers}


def make_engine(makers: Mapping[str, Callable[..., T]], engine: str, *args: Any) -> T:
    """``makers[engine](*args)``; an engine that is not importable is a :class:`Skip`."""
    try:
        return makers[engine](*args)
    except ImportError as e:
        raise Skip(f"{engine} not importable ({e})") from e


def cap_pyarrow(threads: int) -> None:
    """Caps pyarrow's CPU and I/O pools at ``threads`` (headrace computes with pyarrow; the other
    engines use it to hand over their result)."""
    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)


def headrace_at(threads: int) -> Any:
    """headrace, configured to run ``threads`` threads."""
    import headrace as hr

    hr.config(threads=threads)
    if hr.config()["threads"] != threads:
        raise RuntimeError(f"headrace runs {hr.config()['threads']} threads, not {threads}")
    return hr


def polars_at(threads: int) -> Any:
    """polars, checked to run ``threads`` threads (it reads ``POLARS_MAX_THREADS``, which :func:`spawn`
    sets, when it is imported)."""
    import polars as pl

    if pl.thread_pool_size() != threads:
        raise RuntimeError(f"polars runs {pl.thread_pool_size()} threads, not {threads} (POLARS_MAX_THREADS)")
    return pl


def duckdb_at(threads: int) -> Any:
    """A fresh DuckDB connection that runs ``threads`` threads."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    ((got,),) = con.execute("SELECT current_setting('threads')").fetchall()
    if int(got) != threads:
        raise RuntimeError(f"duckdb runs {got} threads, not {threads}")
    return con


def duckdb_register(con: Any, name: str, table: Any) -> None:
    """Registers ``table`` as the view ``name``, in place of any earlier one."""
    try:
        con.unregister(name)
    except Exception:  # noqa: BLE001 - nothing registered yet
        pass
    con.register(name, table)


def duckdb_query(con: Any, sql: str) -> Query:
    """A query that runs ``sql`` on ``con`` and fetches its answer as a ``pyarrow.Table``."""

    def run() -> Any:
        rel = con.sql(sql)
        # duckdb >= 1.4: to_arrow_table(); earlier: fetch_arrow_table() (arrow() is now a reader)
        to_table = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
        return to_table()

    return run


def pandas_at(threads: int) -> Any:
    """pandas, which is single-threaded: a :class:`Skip` at any other thread count than 1."""
    import pandas as pd

    if threads != 1:
        raise Skip(single_threaded_note("pandas"))
    return pd


def single_threaded_note(engine: str) -> str:
    return f"{engine} is single-threaded: measured at 1 thread only"


# --- worker side: timing ---------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time (user and system) of this process's threads so far."""
    return time.process_time()


def peak_rss_mib() -> float | None:
    """This process's peak resident set so far; None where ``resource`` is missing (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def measure(run: Query, reps: int, digest: Callable[[Any], dict]) -> dict:
    """One untimed warm-up run (digested) and ``reps`` timed runs of ``run``, which returns a
    ``pyarrow.Table``; every timed run must return as many rows as the warm-up did."""
    table = run()  # warm-up: page cache, imports, the engines' own caches
    answer = digest(table)
    rows = table.num_rows
    del table
    times, cpu = [], []
    for _ in range(reps):
        gc.collect()
        c0, t0 = cpu_seconds(), time.perf_counter()
        table = run()
        times.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
        if table.num_rows != rows:
            raise AssertionError(f"a timed run returned {table.num_rows:,} rows, the warm-up {rows:,}")
        del table
    return {"times": times, "cpu": cpu, "digest": answer}


def measure_cases(
    cases: Sequence[str], setup: Callable[[str], Query], reps: int, digest: Callable[[Any], dict], data_s: float
) -> dict:
    """A worker's output for every case: ``setup(case)`` (the engine's untimed conversion of the
    case's input, timed as ``setup_s``) then :func:`measure` of the query it returns; one case
    failing does not stop the others. ``data_s``: how long generating the data took."""
    out: dict[str, Any] = {"status": "ok", "data_s": data_s, "cases": {}}
    for case in cases:
        try:
            started = time.perf_counter()
            run = setup(case)
            setup_s = time.perf_counter() - started
            out["cases"][case] = {"status": "ok", **measure(run, reps, digest), "setup_s": setup_s}
        except Exception as e:  # noqa: BLE001 - reported by the parent
            out["cases"][case] = failure(e)
        run = None  # drop this case's engine-side copy of the data before the next case
        gc.collect()
    out["peak_rss_mib"] = peak_rss_mib()  # the worker's peak, over all its cases
    return out


def failure(e: BaseException) -> dict:
    import traceback

    return {"status": "FAILED", "note": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}


def worker_entry(args: argparse.Namespace, work: Callable[[str, int, argparse.Namespace], dict]) -> int:
    """Runs a worker, ``work(engine, threads, args)`` for ``--worker ENGINE THREADS`` with pyarrow
    capped at that many threads, and prints its output (a skip, or its failure) as the tagged
    JSON line."""
    engine, threads = args.worker[0], int(args.worker[1])
    try:
        cap_pyarrow(threads)
        out = work(engine, threads, args)
    except Skip as e:
        out = {"status": "skipped", "note": str(e)}
    except Exception as e:  # noqa: BLE001 - reported by the parent
        out = failure(e)
    print(RESULT_TAG + json.dumps(out), flush=True)
    return 0


def spawn(module: str, engine: str, threads: int, options: Sequence[str]) -> dict:
    """Runs ``python -m MODULE --worker ENGINE THREADS ...options`` in a fresh process
    (``POLARS_MAX_THREADS=threads``, which Polars reads when it is imported) and returns the
    worker's JSON output."""
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    cmd = [sys.executable, "-m", module, "--worker", engine, str(threads), *options]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"status": "FAILED", "note": f"worker still running after {WORKER_TIMEOUT:.0f} s (killed)"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"status": "FAILED", "note": f"worker exited {proc.returncode} without a result: " + " | ".join(tail)}


# --- parent side: running the matrix ---------------------------------------------------------


@dataclass
class Result:
    engine: str
    threads: int
    rows_scanned: int
    status: str = "ok"  # ok | skipped | FAILED
    note: str = ""
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    median_s: float | None = None
    rows_per_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mib: float | None = None
    digest: dict | None = None
    explain: str | None = None


@dataclass
class CaseResult(Result):
    case: str = ""
    setup_s: float | None = None  # the engine's untimed conversion of the input, in the last round


def label(r: Result) -> str:
    return f"{r.engine} threads={r.threads}"


def case_label(r: CaseResult) -> str:
    return f"{r.case} {label(r)}"


def absorb(res: Result, out: dict, label: str) -> None:
    """Folds one worker's output for ``res`` (``status``, ``times``, ``cpu``, ``digest``, optionally
    ``peak_rss_mib`` and ``explain``) into it; a failure, a skip or an answer that changed from an
    earlier round ends ``res``. ``label`` names the run in the progress line."""
    if out["status"] != "ok":
        res.status, res.note = out["status"], out.get("note", "")
        if "traceback" in out:
            print(out["traceback"], file=sys.stderr)
        return
    res.times += out["times"]
    res.cpu += out["cpu"]
    if out.get("peak_rss_mib") is not None:
        res.peak_rss_mib = max(res.peak_rss_mib or 0.0, out["peak_rss_mib"])
    if res.digest is None:
        res.digest = out["digest"]
    elif why := differences(res.digest, out["digest"]):
        res.status, res.note = "FAILED", "answer changed between rounds: " + "; ".join(why)
    res.explain = out.get("explain") or res.explain
    print(f"  {label}: " + " ".join(f"{t:.3f}" for t in out["times"]) + " s", file=sys.stderr, flush=True)


def finish(results: Iterable[Result], label: Callable[[Result], str]) -> None:
    """Medians of the pooled timings; reports every run that did not finish."""
    for res in results:
        if res.status == "ok" and res.times:
            res.median_s = statistics.median(res.times)
            res.cpu_s = statistics.median(res.cpu)
            res.rows_per_s = res.rows_scanned / res.median_s
        elif res.status == "ok":
            res.status, res.note = "FAILED", "no timings"
        if res.status != "ok":
            print(f"  {label(res)}: {res.status}: {res.note}", file=sys.stderr, flush=True)


def case_of(out: dict, case: str) -> dict:
    """A case's part of a worker's output (:func:`measure_cases`), with the worker's peak RSS; a
    worker that failed or skipped did so for every case."""
    if out["status"] != "ok":
        return out
    one = out["cases"].get(case, {"status": "FAILED", "note": "the worker returned nothing"})
    return {**one, "peak_rss_mib": out.get("peak_rss_mib")} if one["status"] == "ok" else one


def run_case_matrix(
    module: str, args: argparse.Namespace, input_rows: int, size_options: Sequence[str]
) -> list[CaseResult]:
    """Every case x engine x thread count of ``args``, ``args.rounds`` times: one worker of
    ``module`` per engine and thread count and round, running every case still going, with
    ``size_options`` (what the worker needs to make the suite's data, say ``--rows N``)."""
    cases, engines = args.cases, args.engines
    results = {(c, e, n): CaseResult(e, n, input_rows, case=c) for c in cases for n in args.threads for e in engines}
    for (_, engine, n), res in results.items():
        if engine in SINGLE_THREADED and n != 1:  # not worth a process: it would only say so
            res.status, res.note = "skipped", single_threaded_note(engine)
    width = max(len(c) for c in cases)
    for r in range(args.rounds):
        for n in args.threads:
            for engine in engines:
                todo = [c for c in cases if results[c, engine, n].status == "ok"]
                if not todo:
                    continue
                options = [*size_options, "--reps", str(args.reps), "--cases", ",".join(todo)]
                out = spawn(module, engine, n, options)
                for c in todo:
                    res, one = results[c, engine, n], case_of(out, c)
                    if one["status"] == "ok":
                        res.setup_s = one.get("setup_s")
                    absorb(res, one, f"round {r + 1}/{args.rounds} {c:>{width}} {engine:>8} threads={n}")
    finish(results.values(), case_label)
    return list(results.values())


# --- parent side: checking the answers -------------------------------------------------------


def differences(a: dict, b: dict, rel: float = 1e-9) -> list[str]:
    """What differs between two digests: floats to a relative ``rel``, everything else exactly."""
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        x, y = a.get(key), b.get(key)
        if isinstance(x, float) and isinstance(y, float):
            if math.isnan(x) and math.isnan(y):
                continue
            if not math.isclose(x, y, rel_tol=rel, abs_tol=0.0):
                scale = max(abs(x), abs(y))
                relative = abs(x - y) / scale if scale and math.isfinite(scale) else math.inf
                out.append(f"{key}: {x!r} != {y!r} (relative {relative:.2e})")
        elif x != y:
            out.append(f"{key}: {x!r} != {y!r}")
    return out


def check_answers(results: Sequence[Result], label: Callable[[Result], str]) -> list[str]:
    """Compares every finished answer with the first one; the lines of any difference."""
    done = [r for r in results if r.status == "ok" and r.digest is not None]
    if not done:
        return []
    ref = done[0]
    return [
        f"{label(r)} differs from {label(ref)}: {why}" for r in done[1:] for why in differences(ref.digest, r.digest)
    ]


@dataclass
class Checked:
    """What the answer checks found: their report (per check, that the answers agree with a
    summary of the agreed answer, or what differs) and the differences alone."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, other: Checked) -> None:
        self.lines += other.lines
        self.problems += other.problems


def compare_answers(
    results: Sequence[Result], label: Callable[[Result], str], summary: Callable[[dict], str], prefix: str = ""
) -> Checked:
    """:func:`check_answers`, reported on a line that starts with ``prefix``: what differs, or that
    the answers agree and ``summary`` of the agreed digest."""
    problems = check_answers(results, label)
    checked = [r for r in results if r.status == "ok"]
    if problems:
        return Checked([f"{prefix}ANSWERS DIFFER:", *(f"  {p}" for p in problems)], problems)
    if checked:
        agreed = summary(checked[0].digest)
        return Checked([f"{prefix}answers equal across {len(checked)} engine x thread runs: {agreed}"])
    return Checked()


def compare_case_answers(
    results: Sequence[CaseResult], cases: Sequence[str], summary: Callable[[dict], str]
) -> Checked:
    """:func:`compare_answers` per case."""
    out = Checked()
    for c in cases:
        out.add(compare_answers([r for r in results if r.case == c], case_label, summary, f"{c}: "))
    return out


def unfinished(results: Iterable[Result], label: Callable[[Result], str]) -> list[str]:
    """A line per run that failed or was skipped (but for a single-threaded engine's expected skips)."""
    return [
        f"{r.status}: {label(r)}: {r.note}"
        for r in results
        if r.status == "FAILED" or (r.status == "skipped" and r.engine not in SINGLE_THREADED)
    ]


@dataclass
class Outcome:
    """What one run of a suite found: every run of an engine, the answer checks, the verdicts
    against the suite's target (a line each) and the suite's own facts for its JSON report
    (sizes, cases, target, verdicts)."""

    results: list[Result]
    checked: Checked
    verdicts: list[str]
    head: dict

    def print_checks(self, label: Callable[[Result], str]) -> None:
        """The answer checks after a blank line, then every run that did not finish."""
        print("\n" + "\n".join(self.checked.lines))
        for line in unfinished(self.results, label):
            print(line)


def suite_run(
    name: str,
    title: str,
    size: str,
    args: argparse.Namespace,
    engines: Sequence[str],
    outcome: Outcome,
    work: int,
    cases: Sequence[str] | None = None,
) -> SuiteRun:
    """``outcome`` as ``python -m headrace bench`` reports it: every run as a :class:`Figure` that
    processed ``work`` input rows per run. ``cases``: the suite's cases (default ``args.cases``);
    a suite of one case has plain :class:`Result` runs, which belong to its case."""
    cases = list(args.cases if cases is None else cases)
    figures = [
        Figure(
            case=r.case if isinstance(r, CaseResult) else cases[0],
            engine=r.engine,
            threads=r.threads,
            status=r.status,
            note=r.note,
            median_s=r.median_s,
            work=work,
            times=list(r.times),
            cpu_s=r.cpu_s,
            peak_rss_mib=r.peak_rss_mib,
        )
        for r in outcome.results
    ]
    return SuiteRun(
        name=name,
        title=title,
        size=size,
        unit="rows",
        engines=[e for e in engines if e in args.engines],
        cases=cases,
        threads=list(args.threads),
        figures=figures,
        checks=outcome.checked.lines,
        problems=outcome.checked.problems,
        details=outcome.head,
    )


# --- parent side: reporting ------------------------------------------------------------------


def fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def find(results: Iterable[Result], engine: str, **where: Any) -> Result | None:
    """``engine``'s finished run whose attributes are ``where`` (say ``case=..., threads=...``)."""
    return next(
        (
            r
            for r in results
            if r.engine == engine and r.status == "ok" and all(getattr(r, k) == v for k, v in where.items())
        ),
        None,
    )


def timings_table(results: Sequence[Result], lead: Sequence[str], rows_of: str, peak_rss: bool = False) -> str:
    """A markdown row per run: the attributes named in ``lead`` (``threads``, perhaps after ``case``),
    the engine, the median time, rows/s (of ``rows_of``), CPU s, perhaps the peak RSS, and
    headrace's time divided by the run's, among the runs with the same ``lead``."""
    rss = ["peak RSS MiB"] if peak_rss else []
    header = [*lead, "engine", "median s", f"rows/s ({rows_of})", "CPU s", *rss, "headrace ÷ this (time)"]
    align = ["---" if name in ("case", "engine") else "--:" for name in header]  # numbers to the right
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for r in results:
        cells = [str(getattr(r, k)) for k in lead] + [r.engine]
        if r.status != "ok":
            cells += [r.status] + ["—"] * (len(header) - len(cells) - 1)
        else:
            hr = find(results, "headrace", **{k: getattr(r, k) for k in lead})
            ratio = hr.median_s / r.median_s if hr and r is not hr else None
            cells += [f"{r.median_s:.3f}", f"{r.rows_per_s:,.0f}", f"{r.cpu_s:.2f}"]
            cells += [fmt(r.peak_rss_mib, ",.0f")] if peak_rss else []
            cells.append(fmt(ratio, ".2f") + ("x" if ratio else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_table(
    results: Sequence[CaseResult], cases: Sequence[str], thread_counts: Sequence[int], engines: Sequence[str]
) -> str:
    """Per case and thread count, headrace's median time and that time divided by every peer's
    (the ``engines`` other than headrace that ran, in that order)."""
    peers = [e for e in engines if e != "headrace" and any(r.engine == e for r in results)]
    lines = [
        "| case | threads | headrace s | " + " | ".join(f"÷ {p}" for p in peers) + " |",
        "|---|--:|--:|" + "--:|" * len(peers),
    ]
    for c in cases:
        for n in thread_counts:
            hr = find(results, "headrace", case=c, threads=n)
            cells = []
            for p in peers:
                other = find(results, p, case=c, threads=n)
                cells.append(f"{hr.median_s / other.median_s:.2f}x" if hr and other else "—")
            lines.append(f"| {c} | {n} | {fmt(hr.median_s if hr else None, '.3f')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_case_tables(
    results: Sequence[CaseResult], args: argparse.Namespace, engines: Sequence[str], peak_rss: bool = False
) -> None:
    """The timings of every run, then headrace's time ÷ every peer's per case and thread count."""
    print(timings_table(results, ("case", "threads"), "input", peak_rss) + "\n")
    print("headrace ÷ peer (time; below 1 is faster):\n")
    print(ratio_table(results, args.cases, args.threads, engines) + "\n")


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(dists: Iterable[str]) -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        **{d: version(d) for d in dists},
    }


def print_heading(what: str, sizes: str, args: argparse.Namespace, env: dict) -> None:
    """The report's title (``what`` on ``sizes`` of data, the reps and rounds) and the environment."""
    print(f"# {what} ({sizes}, {args.reps} reps x {args.rounds} round(s), medians)\n", flush=True)
    print(", ".join(f"{k} {v}" for k, v in env.items()) + "\n", flush=True)


def write_report(
    path: Path, head: dict, results: Sequence[Result], problems: Sequence[str], list_problems: bool = True
) -> int:
    """Writes the JSON report: ``head`` (what ran, on what, the verdicts), whether the answers
    agreed, what differed (if ``list_problems``) and every run. Returns the exit status: 1 if a run
    failed or the answers differ, else 0."""
    payload = {**head, "answers_equal": not problems}
    if list_problems:
        payload["problems"] = list(problems)
    payload["results"] = [vars(r) for r in results]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {path}")
    return 1 if problems or any(r.status == "FAILED" for r in results) else 0


def case_suite_main(
    args: argparse.Namespace,
    worker: Callable[[str, int, argparse.Namespace], dict],
    execute: Callable[[argparse.Namespace], Outcome],
    *,
    title: str,
    sizes: str,
    dists: Iterable[str],
    engines: Sequence[str],
    target: str,
    peak_rss: bool = False,
) -> int:
    """A case suite's own command line, once parsed: a worker (``--worker``), or the whole run
    with its report (heading, tables, ``target`` and the verdicts, answer checks) and its JSON
    file. Returns the exit status."""
    if args.worker:
        return worker_entry(args, worker)
    env = environment(dists)
    print_heading(title, sizes, args, env)
    outcome = execute(args)
    print_case_tables(outcome.results, args, engines, peak_rss)
    print(target)
    for line in outcome.verdicts:
        print("  " + line)
    outcome.print_checks(case_label)
    return write_report(args.json, {"env": env, **outcome.head}, outcome.results, outcome.checked.problems)


# --- the command line ------------------------------------------------------------------------


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def thread_counts(text: str) -> list[int]:
    counts = [int(n) for n in comma_list(text)]
    if not counts or any(n < 1 for n in counts):
        raise ValueError(f"thread counts must be positive integers, not {text!r}")
    return counts


def parse_args(
    argv: Sequence[str] | None,
    doc: str,
    name: str,
    results_dir: Path,
    *,
    engines: Collection[str],
    quick_run: str,
    rows_help: str | None = "rows of data (default 10,000,000; --quick 1,000,000)",
    cases: Collection[str] = (),
    more_options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The options every suite takes (``--rows`` unless ``rows_help`` is None, ``--cases`` if it has
    ``cases``; ``more_options`` adds its own), parsed and checked: ``rows``, ``reps`` and ``json``
    filled in (``--quick``'s defaults or the full run's; ``rows`` None without ``--rows``),
    ``engines``, ``threads`` and ``cases`` as lists. ``doc``: the suite's docstring, whose first
    paragraph describes it; ``name``: what its JSON file is named after, in ``results_dir``
    (``results_dir/out/`` for ``--quick``); ``quick_run``: what ``--quick`` runs."""
    default_json = results_dir / f"results-{name}.json"
    quick_json = results_dir / "out" / f"results-{name}-quick.json"  # a smoke run leaves the figures alone
    per = "case, engine and thread count" if cases else "engine and thread count"
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0].replace("\n", " "))
    if rows_help is not None:
        ap.add_argument("--rows", type=int, default=None, help=rows_help)
    ap.add_argument(
        "--reps",
        type=int,
        default=None,
        help=f"timed runs per {per} (default {FULL_REPS}, --quick {QUICK_REPS}), after one warm-up run",
    )
    ap.add_argument("--rounds", type=int, default=1, help="run the whole matrix this many times (default 1)")
    if cases:
        ap.add_argument("--cases", default=",".join(cases), help=f"comma-separated (default {','.join(cases)})")
    ap.add_argument("--engines", default=",".join(engines), help=f"comma-separated (default {','.join(engines)})")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    ap.add_argument("--quick", action="store_true", help=f"smoke run: {quick_run}")
    ap.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=None,
        help=f"where the results go (default {default_json}; --quick: {quick_json})",
    )
    if more_options:
        more_options(ap)
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.reps = args.reps or (QUICK_REPS if args.quick else FULL_REPS)
    if rows_help is not None:
        args.rows = args.rows or (QUICK_ROWS if args.quick else FULL_ROWS)
        if args.rows < 1:
            ap.error("--rows must be at least 1")
    else:
        args.rows = None
    args.json = args.json or (quick_json if args.quick else default_json)
    if cases:
        args.cases = comma_list(args.cases)
        if unknown := [c for c in args.cases if c not in cases]:
            ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(cases)}")
    args.engines = comma_list(args.engines)
    if unknown := [e for e in args.engines if e not in engines]:
        ap.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(engines)}")
    try:
        args.threads = thread_counts(args.threads)
    except ValueError as e:
        ap.error(str(e))
    if args.reps < 1 or args.rounds < 1:
        ap.error("--reps and --rounds must be at least 1")
    return args
