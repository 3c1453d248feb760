"""write_batches: atomic parquet, csv and ipc files, their options and metadata."""

import os

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headrace._write import WRITE_FORMATS, write_batches

TABLE = pa.table({
    "id": pa.array(range(100), pa.int64()),
    "name": pa.array([None if i % 7 == 0 else f"ü-{i}-漢" for i in range(100)], pa.string()),
    "x": pa.array([None if i % 3 == 0 else i / 4 for i in range(100)], pa.float64()),
})


def read_back(fmt, path):
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "csv":
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=TABLE.schema,
                                                                      strings_can_be_null=True))
    return pa.ipc.open_file(path).read_all()


def listing(directory):
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("fmt", WRITE_FORMATS)
def test_round_trip_and_metadata(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    meta = write_batches(fmt, path, TABLE.schema, TABLE.to_batches(max_chunksize=30))
    assert meta == {"path": str(path), "rows": 100, "bytes": os.path.getsize(path), "columns": ["id", "name", "x"]}
    assert read_back(fmt, path).equals(TABLE)
    assert listing(tmp_path) == [f"out.{fmt}"]  # no temporary file left


@pytest.mark.parametrize("fmt", WRITE_FORMATS)
def test_no_batches_writes_an_empty_file_with_the_schema(tmp_path, fmt):
    path = tmp_path / f"empty.{fmt}"
    assert write_batches(fmt, str(path), TABLE.schema, iter(()))["rows"] == 0
    if fmt == "csv":
        assert path.read_text() == '"id","name","x"\n'
    else:
        assert read_back(fmt, path).equals(TABLE.schema.empty_table())


def boom_after(batches, n, exc):
    for i, batch in enumerate(batches):
        if i == n:
            raise exc
        yield batch


@pytest.mark.parametrize("fmt", WRITE_FORMATS)
@pytest.mark.parametrize("existing", [False, True])
def test_a_failing_run_leaves_no_file_and_keeps_the_old_one(tmp_path, fmt, existing):
    path = tmp_path / f"out.{fmt}"
    if existing:
        path.write_bytes(b"previous contents")
    error = RuntimeError("run failed")
    with pytest.raises(RuntimeError) as info:
        write_batches(fmt, path, TABLE.schema, boom_after(TABLE.to_batches(max_chunksize=10), 5, error))
    assert info.value is error  # propagated unchanged
    assert listing(tmp_path) == ([f"out.{fmt}"] if existing else [])
    if existing:
        assert path.read_bytes() == b"previous contents"


def test_interrupt_also_cleans_up(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        write_batches("parquet", tmp_path / "o.parquet", TABLE.schema,
                      boom_after(TABLE.to_batches(max_chunksize=10), 2, KeyboardInterrupt()))
    assert listing(tmp_path) == []


def test_a_failing_write_cleans_up(tmp_path):
    wrong = pa.RecordBatch.from_pydict({"id": ["not", "ints"], "name": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="does not match"):
        write_batches("ipc", tmp_path / "o.arrow", TABLE.schema, [TABLE.to_batches()[0], wrong])
    with pytest.raises(ValueError, match="write_parquet: .*Unsupported compression: nope"):
        write_batches("parquet", tmp_path / "o.parquet", TABLE.schema, TABLE.to_batches(), compression="nope")
    assert listing(tmp_path) == []


def test_options_and_types_are_checked_before_any_batch_is_read(tmp_path):
    def batches():
        raise AssertionError("read a batch")
        yield

    with pytest.raises(ValueError, match="write_ipc: .*'compression': 'nope'"):
        write_batches("ipc", tmp_path / "o.arrow", TABLE.schema, batches(), compression="nope")
    with pytest.raises(TypeError, match="write_csv: invalid options"):
        write_batches("csv", tmp_path / "o.csv", TABLE.schema, batches(), delimiter=3)
    with pytest.raises(ValueError, match="write_csv: cannot write columns \\['tags'\\]"):
        write_batches("csv", tmp_path / "o.csv", pa.schema([("tags", pa.list_(pa.int64()))]), batches())
    assert listing(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="write_parquet: directory .*ro' is not writable"):
            write_batches("parquet", folder / "o.parquet", TABLE.schema, [])
    finally:
        folder.chmod(0o700)


def test_temporary_file_sits_next_to_the_target(tmp_path):
    seen = []

    def batches():
        seen.extend(listing(tmp_path))
        yield from TABLE.to_batches()

    write_batches("csv", tmp_path / "out.csv", TABLE.schema, batches())
    assert len(seen) == 1 and seen[0].startswith(".out.csv.") and seen[0].endswith(".tmp")
    assert listing(tmp_path) == ["out.csv"]


def test_batches_differing_only_in_nullability_or_metadata_are_accepted(tmp_path):
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False)], metadata={"origin": "test"})
    batch = pa.RecordBatch.from_pydict({"id": [1, 2]})
    write_batches("parquet", tmp_path / "o.parquet", schema, [batch])
    written = pq.read_table(tmp_path / "o.parquet")
    assert written.schema.field("id").nullable is False and written.schema.metadata[b"origin"] == b"test"


def test_options(tmp_path):
    write_batches("csv", tmp_path / "o.csv", TABLE.schema, TABLE.slice(1, 2).to_batches(), include_header=False,
                  delimiter=";")
    assert (tmp_path / "o.csv").read_text() == '1;"ü-1-漢";0.25\n2;"ü-2-漢";0.5\n'

    write_batches("ipc", tmp_path / "o.arrow", TABLE.schema, TABLE.to_batches(), compression="zstd")
    assert pa.ipc.open_file(tmp_path / "o.arrow").read_all().equals(TABLE)

    write_batches("parquet", tmp_path / "s.parquet", TABLE.schema, TABLE.to_batches(), compression="snappy")
    write_batches("parquet", tmp_path / "z.parquet", TABLE.schema, TABLE.to_batches())
    assert pq.read_metadata(tmp_path / "s.parquet").row_group(0).column(0).compression == "SNAPPY"
    assert pq.read_metadata(tmp_path / "z.parquet").row_group(0).column(0).compression == "ZSTD"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_rows=st.lists(st.integers(0, 40), max_size=12), row_group_size=st.integers(1, 50))
def test_parquet_row_groups_are_full_whatever_the_batches(tmp_path, batch_rows, row_group_size):
    offsets = [sum(batch_rows[:i]) for i in range(len(batch_rows))]
    batches = [pa.RecordBatch.from_pydict({"id": pa.array(range(o, o + n), pa.int64())})
               for o, n in zip(offsets, batch_rows)]
    table = pa.table({"id": pa.array(range(sum(batch_rows)), pa.int64())})
    path = tmp_path / "rg.parquet"
    meta = write_batches("parquet", path, table.schema, batches, row_group_size=row_group_size)
    assert meta["rows"] == table.num_rows
    metadata = pq.read_metadata(path)
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert all(size == row_group_size for size in sizes[:-1]) and sum(sizes) == table.num_rows
    assert pq.read_table(path).equals(table)


def test_errors_name_the_writer(tmp_path):
    with pytest.raises(TypeError, match="write_csv: unknown option 'compression'"):
        write_batches("csv", tmp_path / "o.csv", TABLE.schema, [], compression="zstd")
    with pytest.raises(ValueError, match="unknown format 'json'"):
        write_batches("json", tmp_path / "o.json", TABLE.schema, [])
    with pytest.raises(ValueError, match="write_parquet: row_group_size must be a positive integer"):
        write_batches("parquet", tmp_path / "o.parquet", TABLE.schema, [], row_group_size=0)
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match="write_ipc: directory .*no/such"):
        write_batches("ipc", missing / "o.arrow", TABLE.schema, [])
    with pytest.raises(IsADirectoryError):
        write_batches("ipc", tmp_path, TABLE.schema, [])
    assert listing(tmp_path) == []
