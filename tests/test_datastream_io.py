"""DataStreams over files: hr.read_parquet/read_csv/read_ipc/read_json over paths, lists,
globs and directories (compared with pyarrow), projection and filter pushdown into the
scans, and the DataStream writers (round trips, checks before running, atomicity).

The file scan itself is covered in test_scan.py and the atomic writer in test_write.py.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from conftest import pyarrow_read

import headrace as hr

pytestmark = pytest.mark.timeout(60)

FORMATS = ["parquet", "csv", "ipc", "json"]
EXT = {"parquet": "parquet", "csv": "csv", "ipc": "arrow", "json": "jsonl"}
READERS = {"parquet": "read_parquet", "csv": "read_csv", "ipc": "read_ipc", "json": "read_json"}


def sample(n: int, start: int = 0) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([None if i % 4 == 3 else f"n{i}-é" for i in ids], pa.string()),
        "x": pa.array([None if i % 5 == 0 else i * 0.5 for i in ids], pa.float64()),
    })


def write(fmt: str, path, table: pa.Table) -> str:
    path = str(path)
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=16)
    elif fmt == "csv":
        pcsv.write_csv(table, path)
    elif fmt == "ipc":
        with pa.ipc.new_file(path, table.schema) as writer:
            writer.write_table(table, max_chunksize=16)
    else:
        with open(path, "w", encoding="utf-8") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def reader(fmt: str):
    return getattr(hr, READERS[fmt])


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("id").combine_chunks()


@pytest.fixture
def files(tmp_path):
    """Three files of each format in tmp_path/<fmt>/ (plus one in a subfolder), and what
    pyarrow reads from each."""

    def make(fmt: str) -> tuple[list[str], list[pa.Table]]:
        folder = tmp_path / fmt
        (folder / "sub").mkdir(parents=True)
        paths = [write(fmt, folder / f"part-{i}.{EXT[fmt]}", sample(40, start=i * 40)) for i in range(3)]
        paths.append(write(fmt, folder / "sub" / f"part-3.{EXT[fmt]}", sample(40, start=120)))
        return paths, [pyarrow_read(fmt, p) for p in paths]

    return make


# ---- readers ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_readers_over_a_path_a_list_a_glob_and_a_directory_match_pyarrow(files, fmt):
    paths, tables = files(fmt)
    read = reader(fmt)
    folder = os.path.dirname(paths[0])
    cases = {
        "path": (paths[1], [1]),
        "list": ([paths[2], paths[0]], [2, 0]),
        "glob": (os.path.join(folder, f"part-*.{EXT[fmt]}"), [0, 1, 2]),
        "recursive glob": (os.path.join(folder, "**", f"*.{EXT[fmt]}"), [0, 1, 2, 3]),
        "directory": (folder, [0, 1, 2, 3]),
    }
    for case, (where, which) in cases.items():
        ds = read(where, batch_size=7)
        expected = pa.concat_tables([tables[i] for i in which])
        assert ds.schema == expected.schema, case
        out = ds.collect()
        assert out.num_rows == expected.num_rows, case
        assert by_id(out).equals(by_id(expected)), case
        assert max(b.num_rows for b in ds.iter_batches()) <= 7, case


@pytest.mark.parametrize("fmt", FORMATS)
def test_readers_feed_every_operator(files, fmt):
    paths, tables = files(fmt)
    whole = pa.concat_tables(tables)
    out = (reader(fmt)(paths).filter(hr.col("id") % 3 == 0).with_columns(y=hr.col("id") * 2)
           .select("id", "y").sort("id", descending=True).collect())
    ids = sorted((i for i in whole["id"].to_pylist() if i % 3 == 0), reverse=True)
    assert out.to_pydict() == {"id": ids, "y": [i * 2 for i in ids]}


def test_reader_errors_name_the_reader(tmp_path):
    with pytest.raises(FileNotFoundError, match="read_csv: no file matches"):
        hr.read_csv(str(tmp_path / "missing-*.csv"))
    with pytest.raises(TypeError, match="read_ipc: unknown option 'delimiter'"):
        hr.read_ipc(write("ipc", tmp_path / "a.arrow", sample(3)), delimiter=";")


# ---- pushdown ---------------------------------------------------------------------------


def scan_line(ds: hr.DataStream, name: str) -> str:
    lines = [line for line in ds.explain(as_text=True).splitlines() if line.strip().startswith(f"{name}:")]
    assert len(lines) == 1, ds.explain(as_text=True)
    return lines[0]


def unpushed(ds: hr.DataStream) -> hr.DataStream:
    """``ds`` behind an identity transform that reads every column: nothing reaches the scan."""
    return ds.transform(lambda batch: batch)


@pytest.mark.parametrize("fmt", FORMATS)
def test_projection_is_pushed_into_the_scan(files, fmt):
    paths, _ = files(fmt)
    read = reader(fmt)
    pushed = read(paths).select("x", "id")
    assert "columns=[id, x]" in scan_line(pushed, READERS[fmt])
    plain = unpushed(read(paths)).select("x", "id")
    assert "columns=" not in scan_line(plain, READERS[fmt])
    assert by_id(pushed.collect()).equals(by_id(plain.collect()))
    # Columns only a filter or an expression reads are read too, and nothing else.
    derived = read(paths).filter(hr.col("x") > 3).select((hr.col("id") * 2).alias("double"))
    assert "columns=[id, x]" in scan_line(derived, READERS[fmt])


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_on_a_scan_are_pushed_into_it(files, fmt):
    paths, _ = files(fmt)
    read = reader(fmt)
    condition = (hr.col("id") < 30) | (hr.col("name").str.ends_with("1-é"))
    pushed = read(paths).filter(condition).filter(hr.col("x").is_not_null()).select("id", "name")
    text = pushed.explain(as_text=True)
    assert text.count("[pushed into the scan]") == 2, text
    assert "filter=" in scan_line(pushed, READERS[fmt])
    plain = unpushed(read(paths)).filter(condition).filter(hr.col("x").is_not_null()).select("id", "name")
    assert "[pushed into the scan]" not in plain.explain(as_text=True)
    result = by_id(pushed.collect())
    assert result.num_rows > 0 and result.equals(by_id(plain.collect()))


def test_a_filter_on_a_scan_read_twice_is_not_pushed(files):
    paths, tables = files("parquet")
    ds = hr.read_parquet(paths)
    both = ds.filter(hr.col("id") < 10).union(ds.filter(hr.col("id") >= 150))
    assert "[pushed into the scan]" not in both.explain(as_text=True)
    assert sorted(both.collect()["id"].to_pylist()) == list(range(10)) + list(range(150, 160))


# ---- writers ----------------------------------------------------------------------------


WRITERS = ["parquet", "csv", "ipc"]


def written(fmt: str, path) -> pa.Table:
    if fmt == "csv":
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=sample(0).schema,
                                                                      strings_can_be_null=True))
    return pyarrow_read(fmt, str(path))


@pytest.mark.parametrize("fmt", WRITERS)
def test_write_round_trips(tmp_path, fmt):
    table = sample(100)
    ds = hr.from_batches(table.to_batches(max_chunksize=9))
    path = tmp_path / f"out.{EXT[fmt]}"
    meta = getattr(ds, f"write_{fmt}")(str(path))
    assert meta == {"path": str(path), "rows": 100, "bytes": os.path.getsize(path), "columns": ["id", "name", "x"]}
    assert written(fmt, path).equals(table)
    assert sorted(os.listdir(tmp_path)) == [f"out.{EXT[fmt]}"]
    back = reader(fmt)(str(path)).collect()
    assert by_id(back).select(["id", "x"]).equals(table.select(["id", "x"]))


@pytest.mark.parametrize("fmt", WRITERS)
def test_writing_a_query_over_files(files, tmp_path, fmt):
    paths, tables = files("parquet")
    q = hr.read_parquet(paths).filter(hr.col("id") >= 100).select("id", "x")
    path = tmp_path / f"q.{EXT[fmt]}"
    assert getattr(q, f"write_{fmt}")(path)["rows"] == 60
    expected = pa.concat_tables(tables).filter(pc.field("id") >= 100).select(["id", "x"])
    back = reader(fmt)(str(path)).collect()
    assert by_id(back).equals(by_id(expected))


def test_write_options_reach_the_writers(tmp_path):
    ds = hr.from_arrow(sample(50))
    ds.write_parquet(tmp_path / "o.parquet", compression="snappy", row_group_size=20)
    metadata = pq.read_metadata(tmp_path / "o.parquet")
    assert metadata.num_row_groups == 3 and metadata.row_group(0).column(0).compression == "SNAPPY"
    ds.limit(2).write_csv(tmp_path / "o.csv", include_header=False, delimiter="|")
    assert (tmp_path / "o.csv").read_text() == '0|"n0-é"|\n1|"n1-é"|0.5\n'
    ds.write_ipc(tmp_path / "o.arrow", compression="lz4")
    assert pa.ipc.open_file(tmp_path / "o.arrow").read_all().equals(sample(50))


def test_an_empty_result_writes_a_file_with_the_schema(tmp_path):
    ds = hr.from_arrow(sample(10)).filter(hr.col("id") < 0)
    assert ds.write_parquet(tmp_path / "e.parquet")["rows"] == 0
    assert pq.read_table(tmp_path / "e.parquet").equals(sample(0))


class Calls:
    """A transform function counting its calls (declared schema: no trial call)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.count = 0
        self.fail_at = fail_at

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        self.count += 1
        if self.fail_at is not None and self.count >= self.fail_at:
            raise RuntimeError("the run failed midway")
        return batch


def counted(calls: Calls) -> hr.DataStream:
    """Ten batches of ten rows through ``calls``."""
    table = sample(100)
    return hr.from_batches(table.to_batches(max_chunksize=10)).transform(calls, new_schema=table.schema)


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_bad_path_fails_before_anything_runs(tmp_path, fmt):
    calls = Calls()
    ds = counted(calls)
    write_it = getattr(ds, f"write_{fmt}")
    with pytest.raises(FileNotFoundError, match=f"write_{fmt}: directory .*no-such-folder"):
        write_it(tmp_path / "no-such-folder" / "out")
    with pytest.raises(IsADirectoryError, match=f"write_{fmt}: "):
        write_it(tmp_path)
    assert calls.count == 0
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_fails_before_anything_runs(tmp_path):
    calls = Calls()
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="write_csv: directory .* is not writable"):
            counted(calls).write_csv(folder / "out.csv")
    finally:
        folder.chmod(0o700)
    assert calls.count == 0


@pytest.mark.parametrize(("fmt", "options", "error", "message"), [
    ("parquet", {"compresion": "zstd"}, TypeError, "write_parquet: unknown option 'compresion'"),
    ("parquet", {"compression": "nope"}, ValueError, "write_parquet: .*nope"),
    ("parquet", {"row_group_size": 0}, ValueError, "write_parquet: row_group_size must be a positive integer"),
    ("csv", {"delimiter": ";;"}, ValueError, "write_csv: .*';;'"),
    ("csv", {"include_header": "yes"}, TypeError, "write_csv: include_header must be True or False"),
    ("ipc", {"compression": "gzip"}, ValueError, "write_ipc: .*gzip"),
])
def test_bad_writer_options_fail_before_anything_runs(tmp_path, fmt, options, error, message):
    calls = Calls()
    with pytest.raises(error, match=message):
        getattr(counted(calls), f"write_{fmt}")(tmp_path / f"out.{EXT[fmt]}", **options)
    assert calls.count == 0
    assert os.listdir(tmp_path) == []


def test_columns_the_format_cannot_hold_fail_before_anything_runs(tmp_path):
    calls = Calls()
    table = pa.table({"tags": pa.array([[1, 2], [3]], pa.list_(pa.int64()))})
    ds = hr.from_arrow(table).transform(calls, new_schema=table.schema)
    with pytest.raises(ValueError, match=r"write_csv: cannot write columns \['tags'\]"):
        ds.write_csv(tmp_path / "out.csv")
    assert calls.count == 0
    ds.write_parquet(tmp_path / "out.parquet")  # parquet holds lists
    assert pq.read_table(tmp_path / "out.parquet").equals(table)


@pytest.mark.parametrize("fmt", WRITERS)
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_run_failing_midway_leaves_the_target_as_it_was(tmp_path, fmt, existing):
    path = tmp_path / f"out.{EXT[fmt]}"
    if existing:
        path.write_bytes(b"previous contents")
    calls = Calls(fail_at=5)
    with pytest.raises(hr.PipelineError, match="the run failed midway"):
        getattr(counted(calls), f"write_{fmt}")(path)
    assert calls.count >= 5
    assert os.listdir(tmp_path) == ([path.name] if existing else [])  # no temporary file left
    if existing:
        assert path.read_bytes() == b"previous contents"
