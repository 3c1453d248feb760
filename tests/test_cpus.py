"""Scan tasks pinned to CPUs of their own (``headrace._cpus``): a worker holds its CPU only
for a task, two workers never hold the same one, and the affinity comes back after the
task, also when the task fails."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import headrace as hr
from headrace import _cpus

CPUS = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
needs_cpus = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(CPUS) < 2,
                                reason="pinning needs Linux and at least two CPUs")


@pytest.fixture
def settings() -> Any:
    before = hr.config()
    yield
    hr.config(threads=None, pin_scans=before["pin_scans"])


def test_claims_are_held_by_one_worker_at_a_time() -> None:
    claims = _cpus.CpuClaims()
    got: list[int | None] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        got.append(claims.claim({3, 5, 7}))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(c for c in got if c is not None) == [3, 5, 7] and got.count(None) == 1
    claims.release(5)
    assert claims.claim({3, 5, 7}) == 5
    claims.clear()  # as in a forked child: the threads that held them are gone
    assert claims.claim({3, 5, 7}) == 3


@needs_cpus
def test_a_generator_closed_from_another_thread_restores_its_own_thread() -> None:
    def read(task: Any) -> Any:
        yield task
        yield task

    batches = _cpus.pinned(read)("task")
    mine = threading.get_native_id()
    next(batches)
    assert len(os.sched_getaffinity(0)) == 1
    closer = threading.Thread(target=batches.close)
    closer.start()
    closer.join(timeout=10)
    assert os.sched_getaffinity(mine) == CPUS


def test_when_pinning_pays() -> None:
    assert not _cpus.pinning_pays(False, 64)
    if hasattr(os, "sched_setaffinity"):
        assert _cpus.pinning_pays(True, 1)
        assert _cpus.pinning_pays(None, len(CPUS)) == (len(CPUS) > 1)
        assert not _cpus.pinning_pays(None, len(CPUS) - 1)


@needs_cpus
def test_a_task_runs_on_one_cpu_and_gets_its_affinity_back_even_when_it_fails() -> None:
    seen: list[set[int]] = []

    def read(task: Any) -> Any:
        seen.append(os.sched_getaffinity(0))
        yield task
        seen.append(os.sched_getaffinity(0))
        raise RuntimeError("the task fails")

    with pytest.raises(RuntimeError, match="fails"):
        list(_cpus.pinned(read)("task"))
    assert [len(s) for s in seen] == [1, 1] and seen[0] == seen[1]
    assert os.sched_getaffinity(0) == CPUS
    assert _cpus._claims.claim(CPUS) is not None  # released: every CPU is free again
    _cpus._claims.release(min(CPUS))


@needs_cpus
def test_scan_workers_are_pinned_only_while_they_read(tmp_path: Path, settings: Any) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": list(range(40_000))}), path, row_group_size=1_000)
    cpus: list[tuple[int, frozenset[int]]] = []

    def record(batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.num_rows:  # not the empty batch that finds the output schema at planning
            cpus.append((threading.get_native_id(), frozenset(os.sched_getaffinity(0))))
        return batch

    hr.config(threads=2, pin_scans=True)
    ds = hr.read_parquet(str(path)).filter(hr.col("x") % 3 == 0).transform(record)
    assert ds.count() == len(range(0, 40_000, 3))
    assert cpus and all(len(mask) == 1 and mask <= CPUS for _, mask in cpus)
    # The same threads, now running no scan, have every CPU back.
    cpus.clear()
    hr.config(pin_scans=False)
    assert hr.from_arrow(pa.table({"x": list(range(1000))})).transform(record).count() == 1000
    assert all(mask == CPUS for _, mask in cpus)
