"""materialize is atomic: savers write under temporary names that are renamed into place
only when the whole run succeeded; any failure (a node, a saver, a saver after another
one wrote, a rename) leaves the previous files as they were and no new or partial file."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

import headrace as hr

io = hr.io


def snapshot(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def flow() -> io.Dataflow:
    def good(raw: pa.Table) -> pa.Table:
        return raw

    def bad(raw: pa.Table) -> pa.Table:
        raise RuntimeError("node bad failed")

    def failing_stream(raw: pa.Table) -> hr.DataStream:
        def batches():
            yield pa.record_batch({"x": [1, 2]})
            raise RuntimeError("stream broke after its first batch")

        return hr.from_batches(batches, schema=pa.schema([("x", pa.int64())]))

    return io.Dataflow({"good": good, "bad": bad, "failing_stream": failing_stream})


@pytest.fixture
def folder(tmp_path):
    hr.from_arrow({"x": [0]}).write_parquet(str(tmp_path / "existing.parquet"))
    return tmp_path


RAW = {"raw": pa.table({"x": [1, 2, 3]})}


def test_success_replaces_existing_files_and_leaves_nothing_else(folder):
    meta, _ = flow().materialize(io.to.parquet(id="a", dependencies=["good"], path=str(folder / "existing.parquet")),
                                 io.to.csv(id="b", dependencies=["good"], path=str(folder / "new.csv")), inputs=RAW)
    assert sorted(os.listdir(folder)) == ["existing.parquet", "new.csv"]  # no staged file, no backup
    assert hr.read_parquet(str(folder / "existing.parquet")).collect().num_rows == 3
    assert meta["a"]["path"] == str(folder / "existing.parquet")


def test_a_failing_node_writes_nothing(folder):
    before = snapshot(folder)
    with pytest.raises(RuntimeError, match="node bad failed"):
        flow().materialize(io.to.parquet(id="a", dependencies=["good"], path=str(folder / "existing.parquet")),
                           io.to.csv(id="b", dependencies=["bad"], path=str(folder / "b.csv")), inputs=RAW)
    assert snapshot(folder) == before


def test_a_failing_saver_discards_what_the_others_wrote(folder):
    before = snapshot(folder)
    with pytest.raises(ValueError, match=r"to.npy\(id='c'\): cannot save to .*c.npy'.*Object arrays"):
        flow().materialize(io.to.parquet(id="a", dependencies=["good"], path=str(folder / "existing.parquet")),
                           io.to.ipc(id="b", dependencies=["good"], path=str(folder / "b.arrow")),
                           io.to.npy(id="c", dependencies=["opaque"], path=str(folder / "c.npy")),
                           inputs={**RAW, "opaque": object()})
    assert snapshot(folder) == before


def test_a_saver_failing_mid_write_after_another_wrote_leaves_nothing(folder):
    before = snapshot(folder)
    with pytest.raises(RuntimeError, match="stream broke after its first batch"):
        flow().materialize(io.to.csv(id="a", dependencies=["good"], path=str(folder / "a.csv")),
                           io.to.parquet(id="b", dependencies=["failing_stream"],
                                         path=str(folder / "existing.parquet")),
                           inputs=RAW)
    assert snapshot(folder) == before
    with pytest.raises(RuntimeError, match="stream broke"):
        flow().materialize(io.to.ndjson(id="a", dependencies=["good"], path=str(folder / "a.ndjson")),
                           io.to.ndjson(id="b", dependencies=["failing_stream"], path=str(folder / "b.ndjson")),
                           inputs=RAW)
    assert snapshot(folder) == before


def test_a_failing_rename_puts_back_the_files_already_renamed(folder, monkeypatch):
    before = snapshot(folder)
    real_replace = os.replace
    renames = []

    def replace(src, dst):
        if str(src).endswith(".staged"):
            renames.append(dst)
            if len(renames) == 2:
                raise PermissionError(f"cannot rename onto {dst}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError, match="cannot rename onto"):
        flow().materialize(io.to.parquet(id="a", dependencies=["good"], path=str(folder / "existing.parquet")),
                           io.to.csv(id="b", dependencies=["good"], path=str(folder / "b.csv")), inputs=RAW)
    assert renames == [str(folder / "existing.parquet"), str(folder / "b.csv")]
    assert snapshot(folder) == before
    renames.clear()
    with pytest.raises(PermissionError):  # a new file renamed before the failure is removed again
        flow().materialize(io.to.csv(id="b", dependencies=["good"], path=str(folder / "b.csv")),
                           io.to.parquet(id="a", dependencies=["good"], path=str(folder / "existing.parquet")),
                           inputs=RAW)
    assert snapshot(folder) == before


def test_memory_savers_commit_with_the_files(folder):
    store = {"kept": 1}
    with pytest.raises(RuntimeError, match="node bad failed"):
        flow().materialize(io.to.memory(id="m", dependencies=["good"], store=store, key="kept"),
                           io.to.memory(id="n", dependencies=["good"], store=store, key="new"),
                           io.to.csv(id="b", dependencies=["bad"], path=str(folder / "b.csv")), inputs=RAW)
    assert store == {"kept": 1}
    with pytest.raises(ValueError, match="Object arrays"):
        flow().materialize(io.to.memory(id="m", dependencies=["good"], store=store, key="kept"),
                           io.to.npy(id="c", dependencies=["opaque"], path=str(folder / "c.npy")),
                           inputs={**RAW, "opaque": object()})
    assert store == {"kept": 1}
    flow().materialize(io.to.memory(id="m", dependencies=["good"], store=store, key="kept"), inputs=RAW)
    assert store["kept"].num_rows == 3


def test_saving_outside_materialize_is_atomic_per_file(folder):
    saver = io.to.json(id="j", dependencies=["x"], path=str(folder / "existing.parquet")).saver({})
    before = snapshot(folder)
    with pytest.raises(TypeError, match="not JSON serializable"):
        saver.save_data({"b": pa.array([b"bytes"])})
    assert snapshot(folder) == before
