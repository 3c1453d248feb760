"""The harness shared by the bench/ scripts that race engines in fresh worker processes.

A script runs itself again as a worker (``--worker ENGINE THREADS``, one fresh process per
engine x thread count); the worker times its runs with :func:`measure` and hands its result
back as one tagged JSON line (:func:`worker_entry`), which :func:`spawn` picks up in the
parent. The parent folds every worker's output into a :class:`Result` (:func:`absorb`),
pooling the timings of ``--rounds`` rounds, takes the medians (:func:`finish`) and checks the
answers' digests against each other (:func:`check_answers`, :func:`differences`).

Used by ``datastream_scan.py`` and ``groupby.py``; it is imported as ``_harness`` because a
script run as ``python bench/NAME.py`` has ``bench/`` first on ``sys.path``.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULT_TAG = "RESULT-JSON "
WORKER_TIMEOUT = 1800  # seconds: a worker that hangs fails instead of stalling the run


class Skip(Exception):
    """An engine cannot run here (not importable, or not at this thread count)."""


def import_headrace() -> Any:
    """headrace, installed or from an uninstalled checkout's ``python/``; :class:`Skip` if neither."""
    try:
        import headrace
    except ImportError as first:
        # An uninstalled checkout: the package (with its compiled module) sits in python/.
        if not (REPO / "python" / "headrace" / "__init__.py").is_file():
            raise Skip(f"headrace not importable ({first})") from first
        sys.path.insert(0, str(REPO / "python"))
        try:
            import headrace
        except ImportError as e:
            raise Skip(f"headrace not importable ({e})") from e
    return headrace


# --- worker side -------------------------------------------------------------------------------


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mib() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(run: Callable[[], Any], reps: int, digest: Callable[[Any], dict]) -> dict:
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


def failure(e: BaseException) -> dict:
    import traceback

    return {"status": "FAILED", "note": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}


def worker_entry(work: Callable[[], dict]) -> int:
    """Runs a worker's ``work`` and prints its output (or its failure) as the tagged JSON line."""
    try:
        out = work()
    except Exception as e:  # noqa: BLE001 - reported by the parent
        out = failure(e)
    print(RESULT_TAG + json.dumps(out), flush=True)
    return 0


def spawn(script: str | Path, args: Sequence[str], threads: int, timeout: float = WORKER_TIMEOUT) -> dict:
    """Runs ``script --worker ...args`` in a fresh process (``POLARS_MAX_THREADS=threads``, which
    Polars reads when it is imported) and returns the worker's JSON output."""
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    cmd = [sys.executable, str(Path(script).resolve()), *args]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "FAILED", "note": f"worker still running after {timeout:.0f} s (killed)"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"status": "FAILED", "note": f"worker exited {proc.returncode} without a result: " + " | ".join(tail)}


# --- parent side -------------------------------------------------------------------------------


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


def fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


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


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def thread_counts(text: str) -> list[int]:
    counts = [int(n) for n in comma_list(text)]
    if not counts or any(n < 1 for n in counts):
        raise ValueError(f"thread counts must be positive integers, not {text!r}")
    return counts
