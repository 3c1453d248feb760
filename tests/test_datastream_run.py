"""How DataStream runs end: Ctrl-C, failures in partitioned and multi-input plans, early
exits, no thread left behind, and no wait cycle with one-slot queues."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest
from conftest import configured

import headrace as hr


def endless():
    i = 0
    while True:
        yield {"k": [i % 7, (i + 3) % 7], "v": [i, i + 1]}
        i += 2


class Slow(hr.Executor):
    def __init__(self, calls):
        self.calls = calls

    def open(self, ctx):
        self.calls.append(("open", ctx.worker))

    def execute(self, batch, ctx):
        time.sleep(0.002)
        return batch

    def close(self, ctx):
        self.calls.append(("close", ctx.worker))


def balanced(calls) -> bool:
    opened = sorted(w for what, w in calls if what == "open")
    closed = sorted(w for what, w in calls if what == "close")
    return opened == closed and bool(closed)


def wait_for_threads(baseline: int) -> None:
    deadline = time.monotonic() + 5
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= baseline


@pytest.mark.timeout(30)
def test_ctrl_c_cancels_a_partitioned_run(calls, ctrl_c):
    baseline = threading.active_count()
    ds = hr.from_batches(endless).stateful_transform(Slow(calls), ["k", "v"], partition_by="k", parallelism=3)
    ctrl_c(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ds.collect()
    assert time.monotonic() - started < 10
    assert balanced(calls)
    wait_for_threads(baseline)


class FailOn(hr.Executor):
    def __init__(self, calls, stream):
        self.calls, self.stream = calls, stream

    def open(self, ctx):
        self.calls.append(("open", ctx.worker))

    def execute(self, batch, ctx):
        if ctx.stream_id == self.stream and pa.compute.max(batch["v"]).as_py() > 500:
            raise ValueError("bad batch")
        return batch.select(["k", "v"])

    def close(self, ctx):
        self.calls.append(("close", ctx.worker))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("partition_by", [None, "k"])
def test_a_failing_instance_ends_an_endless_multi_input_run(calls, partition_by):
    baseline = threading.active_count()
    left = hr.from_batches(endless)
    right = hr.from_batches(endless).with_columns(v=hr.col("v") * 2)
    ds = hr.stateful_transform([left, right], FailOn(calls, 1), {"k": pa.int64(), "v": pa.int64()},
                               partition_by=partition_by, parallelism=2)
    with pytest.raises(hr.PipelineError) as info:
        ds.collect()
    assert isinstance(info.value.__cause__, ValueError)
    assert "FailOn" in str(info.value)
    assert balanced(calls)
    wait_for_threads(baseline)


@pytest.mark.timeout(30)
def test_a_limit_at_the_end_stops_an_endless_source():
    out = hr.from_batches(endless).filter(hr.col("k") > 2).limit(1000).collect()
    assert out.num_rows == 1000


@pytest.mark.timeout(30)
def test_leaving_iter_batches_early_cancels_the_run(calls):
    baseline = threading.active_count()
    ds = hr.from_batches(endless).stateful_transform(Slow(calls), ["k", "v"], parallelism=2)
    for n, _ in enumerate(ds.iter_batches()):
        if n == 5:
            break
    wait_for_threads(baseline)
    assert balanced(calls)


@pytest.mark.timeout(60)
def test_a_union_of_a_union_with_one_slot_queues_ends():
    # The first union's stage (3 workers: two inputs meet, so unordered) is read by the second
    # union and by a filter whose 3 workers restore order within a window. When the union's
    # workers numbered their outputs without taking turns, one could hold number k while
    # the others pushed k+1, k+2, ...: the filter's workers, past the window, waited for k,
    # and their full queue kept k out.
    n = 1500
    ds = hr.from_arrow(pa.table({"i": range(n)}))
    u = ds.union(ds.filter(hr.col("i") < n // 2))
    with configured(threads=3, batch_size=1, queue_size=1):
        out = u.union(u.filter(hr.col("i") < n // 2)).collect()
    assert sorted(out["i"].to_pylist()) == sorted([i for i in range(n) for _ in range(4 if i < n // 2 else 1)])


def test_a_finished_run_leaves_no_cycles_holding_its_operators() -> None:
    """Join tables and aggregation states are freed when a run ends, not when Python's
    cycle collector next runs (the stages of a plan point at each other)."""
    import gc

    left = hr.from_arrow({"k": list(range(100)), "v": list(range(100))})
    right = hr.from_arrow({"k": list(range(0, 100, 2)), "w": ["x"] * 50})
    query = left.join(right, on="k").groupby("w").agg(n=("*", "count"), s=("v", "sum"))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        with configured(threads=2):
            assert query.collect().to_pylist() == [{"w": "x", "n": 50, "s": sum(range(0, 100, 2))}]
        gc.collect()
        left_over = {type(o).__name__ for o in gc.garbage} & {"Stage", "Planner", "Compiled", "Prepared", "Gate",
                                                              "Meter", "JoinTable", "AggregateResult"}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left_over
