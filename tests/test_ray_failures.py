"""Failures on the Ray backend: a user's exception comes back as hr.PipelineError with the
original and its remote traceback; an executor that cannot be pickled fails before
anything runs; a lost actor fails the run promptly, or, when the partition reads only
files, has its chain re-run once."""

from __future__ import annotations

import os
import sys
import threading
import time

import cloudpickle
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import headrace as hr

pytest.importorskip("ray")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import the tests folder
pytestmark = [pytest.mark.usefixtures("ray_cluster"), pytest.mark.timeout(120)]


def data() -> pa.Table:
    return pa.table({"k": [i % 7 for i in range(10_000)], "v": list(range(10_000))})


class Fails(hr.Executor):
    def execute(self, batch, ctx):
        if batch.num_rows:
            raise KeyError("no such thing")


def test_a_user_exception_reaches_the_caller_with_its_remote_traceback() -> None:
    q = hr.from_arrow(data()).groupby("k").agg(n=("*", "count")).stateful_transform(Fails(), new_schema=["k"])
    with pytest.raises(hr.PipelineError, match="stateful_transform 'Fails'|step 'Fails'") as info:
        q.collect(backend="ray")
    error = info.value
    assert error.step == "Fails" and error.phase == "execute"
    assert isinstance(error.__cause__, KeyError)
    assert "in a Ray actor" in str(error)
    assert "in execute" in error.remote_traceback and "KeyError: 'no such thing'" in error.remote_traceback
    assert any("Remote traceback" in note for note in error.__cause__.__notes__)


class Locked(hr.Executor):
    def __init__(self) -> None:
        self.lock = threading.Lock()

    def execute(self, batch, ctx):
        return batch


class Touch:
    """Creates a file when it runs (to tell whether anything ran)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        open(self.path, "w").close()
        return batch


def test_an_unpicklable_executor_fails_before_anything_runs(tmp_path) -> None:
    marker = str(tmp_path / "ran")
    ds = hr.from_arrow(data())
    q = ds.transform(Touch(marker), new_schema=ds.schema).stateful_transform(Locked(), new_schema=["k", "v"])
    with pytest.raises(hr.PipelineError, match="step 'Locked' cannot be shipped to the Ray cluster") as info:
        q.collect(backend="ray")
    assert info.value.step == "Locked"
    assert "_thread.lock" in str(info.value.__cause__)
    time.sleep(0.5)
    assert not os.path.exists(marker)


def die(batch: pa.RecordBatch) -> pa.RecordBatch:
    os._exit(1)


def test_a_lost_actor_fails_the_run_promptly_and_the_next_run_works() -> None:
    q = hr.from_arrow(data()).transform(die, new_schema=["k", "v"])
    started = time.monotonic()
    with pytest.raises(hr.PipelineError, match="Ray actor running the plan was lost"):
        q.collect(backend="ray")
    assert time.monotonic() - started < 60
    ok = hr.from_arrow(data()).groupby("k").agg(n=("*", "count")).collect(backend="ray").sort_by("k")
    assert ok.column("n").to_pylist() == [1429] * 4 + [1428] * 3


class DieOnce:
    """Kills its actor on the first batch of the first file it sees (a marker file tells)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return batch


def test_a_lost_partition_reading_files_is_re_run_once(tmp_path) -> None:
    table = data()
    for i in range(2):
        pq.write_table(table.slice(i * 5000, 5000), tmp_path / f"part{i}.parquet")
    marker = str(tmp_path / "died")
    ds = hr.read_parquet(str(tmp_path / "*.parquet"))
    q = ds.transform(DieOnce(marker), new_schema=ds.schema).filter(hr.col("v") % 2 == 0)
    got = q.collect(backend="ray")
    assert os.path.exists(marker)
    assert got.to_pydict() == ds.filter(hr.col("v") % 2 == 0).collect().to_pydict()
