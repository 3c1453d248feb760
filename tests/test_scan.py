"""FileScan: file resolution, schemas, parallel tasks and batch streaming for parquet, csv, ipc and json."""

import gzip
import json
import os
import pickle

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq
import pytest
from conftest import configured, pyarrow_read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headrace import _core, _scan
from headrace._expr import ColumnNotFoundError
from headrace._scan import FORMATS, FileScan, ScanTask


def sample(n=10, start=0):
    ids = list(range(start, start + n))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([None if i % 4 == 3 else f"n{i}-é漢" for i in ids], pa.string()),
        "x": pa.array([None if i % 5 == 0 else i * 0.5 for i in ids], pa.float64()),
    })


def write(fmt, path, table, **kw):
    path = str(path)
    if fmt == "parquet":
        pq.write_table(table, path, **kw)
    elif fmt == "csv":
        pcsv.write_csv(table, path)
    elif fmt == "ipc":
        with pa.ipc.new_file(path, table.schema) as w:
            w.write_table(table, **kw)
    else:
        with open(path, "w", encoding="utf-8") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


EXT = {"parquet": "parquet", "csv": "csv", "ipc": "arrow", "json": "jsonl"}


def read_all(scan, columns=None, filter=None):
    batches = [b for t in scan.tasks(columns, filter) for b in scan.read(t, columns, filter)]
    return pa.Table.from_batches(batches, scan.project(columns))


# --- resolution ---------------------------------------------------------------------------------------


def test_glob_list_directory_and_describe(tmp_path):
    for i in (2, 0, 1):
        write("parquet", tmp_path / f"part-{i}.parquet", sample(3, start=i * 3))
    (tmp_path / "notes.txt").write_text("not data")
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "sub").mkdir()
    write("parquet", tmp_path / "sub" / "part-9.parquet", sample(3, start=27))
    (tmp_path / ".hidden").mkdir()
    write("parquet", tmp_path / ".hidden" / "x.parquet", sample(3))

    by_glob = FileScan("parquet", str(tmp_path / "*.parquet"))
    assert [os.path.basename(p) for p in by_glob.paths] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    assert read_all(by_glob).column("id").to_pylist() == list(range(9))
    assert by_glob.describe() == f"parquet: 3 files ({tmp_path / '*.parquet'})"

    recursive = FileScan("parquet", str(tmp_path / "**" / "*.parquet"))
    assert len(recursive.paths) == 4
    by_dir = FileScan("parquet", tmp_path)  # PathLike; recursive; hidden and foreign files skipped
    assert [os.path.relpath(p, tmp_path) for p in by_dir.paths] == [
        "part-0.parquet", "part-1.parquet", "part-2.parquet", os.path.join("sub", "part-9.parquet")]
    listed = FileScan("parquet", [tmp_path / "part-2.parquet", str(tmp_path / "part-*.parquet")])
    assert [os.path.basename(p) for p in listed.paths] == ["part-2.parquet", "part-0.parquet", "part-1.parquet"]
    assert all(os.path.isabs(p) for p in listed.paths)
    assert FileScan("parquet", tmp_path / "part-0.parquet").describe().startswith("parquet: 1 file (")


def test_no_match_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "missing-*.parquet")
    with pytest.raises(FileNotFoundError, match="read_parquet: no file matches .*missing-"):
        FileScan("parquet", pattern)
    with pytest.raises(FileNotFoundError, match=r"looked for \.csv"):
        FileScan("csv", tmp_path)  # a directory without csv files
    with pytest.raises(ValueError, match="no paths given"):
        FileScan("csv", [])


def test_unknown_format_options_and_bad_values(tmp_path):
    path = write("csv", tmp_path / "a.csv", sample())
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        FileScan("xml", path)
    with pytest.raises(TypeError, match="read_csv: unknown option 'delim'"):
        FileScan("csv", path, delim=";")
    with pytest.raises(TypeError, match="read_parquet: unknown option 'delimiter'"):
        FileScan("parquet", path, delimiter=";")
    with pytest.raises(ValueError, match="read_csv: .*single character"):
        FileScan("csv", path, delimiter=";;")
    with pytest.raises(TypeError, match="read_json: schema must be a pyarrow.Schema"):
        FileScan("json", path, schema={"a": "int64"})
    with pytest.raises(ValueError, match="batch_size"):
        FileScan("csv", path, batch_size=0)


# --- schemas ------------------------------------------------------------------------------------------


def test_parquet_schema_comes_from_footers(tmp_path):
    path = write("parquet", tmp_path / "a.parquet", sample(1000), compression="none")
    data = bytearray(open(path, "rb").read())
    data[4:2000] = b"\xff" * 1996  # wreck the first page header and data, keep the footer
    open(path, "wb").write(bytes(data))
    scan = FileScan("parquet", path)
    assert scan.schema == sample().schema
    assert sum(t.rows for t in scan.tasks()) == 1000
    for reader, cause in [("native", _core.ParquetError), ("pyarrow", OSError)]:
        with configured(parquet_reader=reader):
            with pytest.raises(ValueError, match="read_parquet: cannot read .*a.parquet") as info:
                list(FileScan("parquet", path).read(scan.tasks()[0]))
        assert isinstance(info.value.__cause__, cause)  # the reader's own error for a corrupt page


def test_csv_schema_comes_from_the_first_block(tmp_path):
    path = tmp_path / "big.csv"
    good = "".join(f"{i},{i * 2}\n" for i in range(200_000))  # well over the 1 MiB first block
    path.write_text("a,b\n" + good + "oops,1\n")
    scan = FileScan("csv", path)
    assert scan.schema == pa.schema([("a", pa.int64()), ("b", pa.int64())])
    with pytest.raises(ValueError, match=r"read_csv: cannot read .*big.csv.*oops") as info:
        read_all(scan)
    assert isinstance(info.value.__cause__, pa.ArrowInvalid)


@pytest.mark.parametrize("fmt", ["parquet", "ipc"])
def test_schema_mismatch_names_both_files(tmp_path, fmt):
    a = write(fmt, tmp_path / f"a.{EXT[fmt]}", pa.table({"id": [1], "v": [1.0]}))
    b = write(fmt, tmp_path / f"b.{EXT[fmt]}", pa.table({"id": [1], "v": ["x"]}))
    c = write(fmt, tmp_path / f"c.{EXT[fmt]}", pa.table({"id": [1]}))
    with pytest.raises(ValueError, match=rf"column 'v' is double in '{a}' but string in '{b}'"):
        _ = FileScan(fmt, [a, b]).schema
    with pytest.raises(ValueError, match=rf"column 'v' is in '{a}' but not in '{c}'"):
        _ = FileScan(fmt, [a, c]).schema
    with pytest.raises(ValueError, match="different order"):
        _ = FileScan(fmt, [a, write(fmt, tmp_path / f"d.{EXT[fmt]}", pa.table({"v": [1.0], "id": [1]}))]).schema


def test_schemas_unify_nullability_and_drop_file_metadata(tmp_path):
    required = pa.schema([pa.field("id", pa.int64(), nullable=False)], metadata={"who": "a"})
    a = write("parquet", tmp_path / "a.parquet", pa.table({"id": [1, 2]}, schema=required))
    b = write("parquet", tmp_path / "b.parquet", pa.table({"id": [None, 3]}))
    scan = FileScan("parquet", [a, b])
    assert scan.schema == pa.schema([("id", pa.int64())]) and scan.schema.metadata is None
    batches = [batch for t in scan.tasks() for batch in scan.read(t)]
    assert all(batch.schema.equals(scan.schema, check_metadata=True) for batch in batches)
    assert pa.Table.from_batches(batches).column("id").to_pylist() == [1, 2, None, 3]


# --- projection, filters, batches ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_projection_filter_and_batch_size_match_pyarrow(tmp_path, fmt):
    kw = {"row_group_size": 37} if fmt == "parquet" else {"max_chunksize": 37} if fmt == "ipc" else {}
    paths = [write(fmt, tmp_path / f"p{i}.{EXT[fmt]}", sample(150, start=i * 150), **kw) for i in range(2)]
    scan = FileScan(fmt, str(tmp_path / f"p*.{EXT[fmt]}"), batch_size=16)
    whole = pa.concat_tables(pyarrow_read(fmt, p) for p in paths)
    assert scan.schema == whole.schema
    assert scan.paths == paths

    assert read_all(scan).equals(whole)
    columns = ["x", "id"]
    # The filter reads a column that is not projected.
    filter = ((pc.field("id") < 40) | (pc.field("id") > 210)) & (pc.field("name") != "n7-é漢")
    expected = whole.filter(filter).select(columns)
    batches = [b for t in scan.tasks(columns, filter) for b in scan.read(t, columns, filter)]
    assert all(0 < b.num_rows <= 16 for b in batches)
    assert all(b.schema.equals(scan.project(columns), check_metadata=True) for b in batches)
    assert pa.Table.from_batches(batches).equals(expected)
    assert scan.project(columns).names == ["x", "id"]
    nothing = pc.field("id") < 0
    assert [b for t in scan.tasks(None, nothing) for b in scan.read(t, None, nothing)] == []  # no empty batches


def test_project_errors_and_empty_projection(tmp_path):
    scan = FileScan("parquet", write("parquet", tmp_path / "a.parquet", sample(100), row_group_size=30))
    with pytest.raises(ColumnNotFoundError, match="column 'qty' not found; available columns: 'id', 'name', 'x'"):
        scan.read(scan.tasks()[0], ["id", "qty"])  # raises before the first batch is asked for
    with pytest.raises(KeyError):
        scan.tasks(["qty"])
    with pytest.raises(ValueError, match="selected twice"):
        scan.project(["id", "id"])
    assert scan.project("id").names == ["id"]
    # No columns still counts rows.
    counted = [b for t in scan.tasks([]) for b in scan.read(t, [], pc.field("id") < 55)]
    assert sum(b.num_rows for b in counted) == 55 and all(b.num_columns == 0 for b in counted)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_parquet_tasks_merge_small_row_groups_and_cover_every_row_once(tmp_path, monkeypatch, threads):
    """Row groups merge into tasks of at most about TASK_ROWS rows, covering every row group
    once in file order: of about equal rows with one worker, shrinking towards a single row
    group at the end with several (guided), so the workers finish together."""
    monkeypatch.setattr(_scan, "TASK_ROWS", 100)
    a = write("parquet", tmp_path / "a.parquet", sample(1000), row_group_size=30)
    b = write("parquet", tmp_path / "b.parquet", sample(50, start=1000), row_group_size=30)
    scan = FileScan("parquet", [a, b])
    with configured(threads=threads):
        tasks = scan.tasks()
    of_a = [t for t in tasks if t.path == a]
    assert [g for t in of_a for g in t.row_groups] == list(range(34))
    assert all(t.rows == sum(min(30, 1000 - 30 * g) for g in t.row_groups) for t in of_a)
    assert all(t.rows <= 100 + 30 for t in of_a)  # a task stops at the group that reaches TASK_ROWS
    if threads == 1:
        assert len(of_a) == 10
        assert all(abs(t.rows - 100) <= 30 for t in of_a[:-1])
    else:
        sizes = [t.rows for t in of_a]
        assert sizes[-1] <= 30 and len(of_a[-1].row_groups) == 1  # ends with single row groups
        assert all(later <= earlier + 30 for earlier, later in zip(sizes, sizes[1:]))  # shrinking
        left = 1000
        for t in of_a:  # each takes about the rows left over twice the workers
            assert t.rows - 30 < min(100, left / (2 * threads))
            left -= t.rows
    assert [t.row_groups for t in tasks if t.path == b] in ([(0, 1)], [(0,), (1,)])
    assert sum(t.rows for t in tasks) == 1050
    assert read_all(scan).equals(pa.concat_tables([pq.read_table(a), pq.read_table(b)]))


def test_parquet_statistics_prune_tasks(tmp_path, monkeypatch):
    monkeypatch.setattr(_scan, "TASK_ROWS", 1)
    scan = FileScan("parquet", write("parquet", tmp_path / "a.parquet", sample(1000), row_group_size=100))
    filter = (pc.field("id") >= 250) & (pc.field("id") < 420)
    tasks = scan.tasks(filter=filter)
    assert [t.row_groups for t in tasks] == [(2,), (3,), (4,)]
    got = pa.Table.from_batches([b for t in tasks for b in scan.read(t, filter=filter)])
    assert got.column("id").to_pylist() == list(range(250, 420))


def test_zero_row_parquet_and_empty_files(tmp_path):
    empty = write("parquet", tmp_path / "a.parquet", sample(0))
    scan = FileScan("parquet", empty)
    assert scan.schema == sample().schema and scan.tasks() == []
    both = FileScan("parquet", [empty, write("parquet", tmp_path / "b.parquet", sample(5))])
    assert read_all(both).num_rows == 5

    (tmp_path / "e.csv").write_text("")
    write("csv", tmp_path / "f.csv", sample(5))
    csv = FileScan("csv", str(tmp_path / "*.csv"))
    assert len(csv.tasks()) == 1 and read_all(csv).num_rows == 5
    with pytest.raises(ValueError, match="every file is empty"):
        _ = FileScan("csv", tmp_path / "e.csv").schema
    header_only = tmp_path / "h.csv"
    header_only.write_text("a,b\n")
    scan = FileScan("csv", header_only)
    assert scan.schema == pa.schema([("a", pa.string()), ("b", pa.string())])  # no value: read as strings
    assert read_all(scan).num_rows == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_is_picklable(tmp_path, fmt):
    scan = FileScan(fmt, write(fmt, tmp_path / f"a.{EXT[fmt]}", sample(20)), batch_size=7)
    _ = scan.schema
    copy = pickle.loads(pickle.dumps(scan))
    tasks = pickle.loads(pickle.dumps(scan.tasks()))
    assert read_all(copy).equals(read_all(scan)) and tasks == scan.tasks()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.integers(0, 300), row_group_size=st.integers(1, 120), batch_size=st.integers(1, 100),
       task_rows=st.integers(1, 400))
def test_parquet_read_equals_read_table(tmp_path, rows, row_group_size, batch_size, task_rows):
    path = write("parquet", tmp_path / "h.parquet", sample(rows), row_group_size=row_group_size)
    scan = FileScan("parquet", path, batch_size=batch_size)
    original = _scan.TASK_ROWS
    _scan.TASK_ROWS = task_rows
    try:
        tasks = scan.tasks()
    finally:
        _scan.TASK_ROWS = original
    batches = [b for t in tasks for b in scan.read(t)]
    assert all(0 < b.num_rows <= batch_size for b in batches)
    assert sum(t.rows for t in tasks) == rows
    assert pa.Table.from_batches(batches, scan.schema).equals(pq.read_table(path))


# --- csv ----------------------------------------------------------------------------------------------


def test_csv_options(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("# comment line\nid;label;v\n1;'x;y';-\n2;z;2.5\n")
    scan = FileScan("csv", path, delimiter=";", quote_char="'", skip_rows=1, null_values=["-"])
    assert scan.schema == pa.schema([("id", pa.int64()), ("label", pa.string()), ("v", pa.float64())])
    assert read_all(scan).to_pylist() == [{"id": 1, "label": "x;y", "v": None}, {"id": 2, "label": "z", "v": 2.5}]

    renamed = FileScan("csv", path, delimiter=";", quote_char="'", skip_rows=1, column_names=["a", "b", "c"])
    assert read_all(renamed).column_names == ["a", "b", "c"] and read_all(renamed).num_rows == 2

    raw = tmp_path / "raw.csv"
    raw.write_text('1,"a"\n2,"b"\n')
    assert read_all(FileScan("csv", raw, has_header=False)).to_pydict() == {"f0": [1, 2], "f1": ["a", "b"]}
    assert read_all(FileScan("csv", raw, has_header=False, quote_char=None)).column("f1").to_pylist() == [
        '"a"', '"b"']
    forced = pa.schema([("n", pa.float32()), ("s", pa.string())])
    scan = FileScan("csv", raw, has_header=False, schema=forced)
    assert scan.schema == forced and read_all(scan).schema == forced
    assert read_all(scan, ["s"]).column("s").to_pylist() == ["a", "b"]


def test_csv_files_read_with_the_first_files_types(tmp_path):
    write("csv", tmp_path / "a.csv", pa.table({"a": [1, 2]}))
    (tmp_path / "b.csv").write_text("a\n1.5\n")
    scan = FileScan("csv", str(tmp_path / "*.csv"))
    assert scan.schema == pa.schema([("a", pa.int64())])
    with pytest.raises(ValueError, match=r"cannot read .*b\.csv.*1\.5"):
        read_all(scan)
    scan = FileScan("csv", str(tmp_path / "*.csv"), schema=pa.schema([("a", pa.float64())]))
    assert read_all(scan).column("a").to_pylist() == [1.0, 2.0, 1.5]
    with pytest.raises(ValueError, match="'missing'"):
        read_all(FileScan("csv", tmp_path / "a.csv", schema=pa.schema([("missing", pa.int64())])))


def test_compressed_csv_and_json(tmp_path):
    with gzip.open(tmp_path / "a.csv.gz", "wt") as f:
        f.write("a,b\n1,x\n2,y\n")
    with gzip.open(tmp_path / "a.jsonl.gz", "wt") as f:
        f.write('{"a": 1}\n{"a": 2}\n')
    assert read_all(FileScan("csv", tmp_path)).to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert read_all(FileScan("json", tmp_path)).to_pydict() == {"a": [1, 2]}


# --- json ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_ndjson_blocks_cut_at_line_ends(tmp_path, monkeypatch, block):
    monkeypatch.setattr(_scan, "JSON_BLOCK_SIZE", block)
    lines = [json.dumps({"id": i, "s": "ü" * (i % 13) or None, "nested": {"k": [i, i + 1]}}, ensure_ascii=False)
             for i in range(60)]
    path = tmp_path / "a.ndjson"
    path.write_text("\n".join(lines[:30]) + "\n\n" + "\n".join(lines[30:]), encoding="utf-8")  # no final newline
    scan = FileScan("json", path, batch_size=8)
    expected = pjson.read_json(path)
    assert scan.schema == expected.schema
    assert read_all(scan).equals(expected)
    filter = pc.field("id") > 41
    assert read_all(scan, ["s", "id"], filter).equals(expected.filter(filter).select(["s", "id"]))


def test_json_schema_option_and_extra_fields(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"a": 1, "extra": true}\n{"b": "x"}\n{"a": null}\n')
    schema = pa.schema([("b", pa.string()), ("a", pa.int32())])
    scan = FileScan("json", path, schema=schema)
    assert read_all(scan).to_pylist() == [{"b": None, "a": 1}, {"b": "x", "a": None}, {"b": None, "a": None}]
    assert FileScan("json", path).schema.names == ["a", "extra", "b"]


def test_malformed_json_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_scan, "JSON_BLOCK_SIZE", 16)
    path = tmp_path / "bad.json"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3,,}\n')
    scan = FileScan("json", path)
    with pytest.raises(ValueError, match=r"read_json: cannot read .*bad\.json") as info:
        read_all(scan)
    assert isinstance(info.value.__cause__, pa.ArrowInvalid)
    (tmp_path / "worse.json").write_text("[1, 2")
    with pytest.raises(ValueError, match=r"worse\.json"):
        _ = FileScan("json", tmp_path / "worse.json").schema


# --- ipc ----------------------------------------------------------------------------------------------


def test_ipc_stream_format_and_batch_ranges(tmp_path, monkeypatch):
    table = sample(100)
    stream = tmp_path / "s.arrows"
    with pa.ipc.new_stream(str(stream), table.schema) as w:
        w.write_table(table, max_chunksize=9)
    scan = FileScan("ipc", stream, batch_size=20)
    assert scan.tasks() == [ScanTask(str(stream))]
    assert read_all(scan).equals(table)
    assert read_all(scan, ["name"], pc.field("id") < 10).equals(table.slice(0, 10).select(["name"]))

    monkeypatch.setattr(_scan, "IPC_TASK_BYTES", 1)  # one record batch per task
    path = write("ipc", tmp_path / "f.arrow", table, max_chunksize=9)
    scan = FileScan("ipc", path)
    assert [t.row_groups for t in scan.tasks()] == [(i,) for i in range(12)]
    assert read_all(scan).equals(table)

    empty = tmp_path / "e.arrow"
    pa.ipc.new_file(str(empty), table.schema).close()
    assert FileScan("ipc", empty).tasks() == []


def test_malformed_ipc_and_parquet_name_the_file(tmp_path):
    (tmp_path / "bad.arrow").write_bytes(b"definitely not arrow")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nor parquet")
    with pytest.raises(ValueError, match=r"read_ipc: cannot read .*bad\.arrow"):
        _ = FileScan("ipc", tmp_path / "bad.arrow").schema
    with pytest.raises(ValueError, match=r"read_parquet: cannot read .*bad\.parquet"):
        _ = FileScan("parquet", tmp_path / "bad.parquet").schema
