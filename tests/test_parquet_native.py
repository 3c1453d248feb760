"""headrace's own Parquet reader (cpp/parquet) against pyarrow's: the same arrays for every
supported type, writer option and row selection; pyarrow takes over what it declines."""

from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import configured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import _core
from headrace._parquet_native import Declined, NativeParquet
from headrace._scan import FileScan

TYPES = {
    "i8": pa.int8(), "u8": pa.uint8(), "i16": pa.int16(), "u16": pa.uint16(), "i32": pa.int32(),
    "u32": pa.uint32(), "i64": pa.int64(), "u64": pa.uint64(), "f32": pa.float32(), "f64": pa.float64(),
    "b": pa.bool_(), "d": pa.date32(), "ts_ms": pa.timestamp("ms"), "ts_us": pa.timestamp("us", "UTC"),
    "ts_ns": pa.timestamp("ns", "Europe/Paris"), "dec9": pa.decimal128(9, 2), "dec18": pa.decimal128(18, 4),
    "dec38": pa.decimal128(38, 10), "s": pa.string(), "ls": pa.large_string(),
}


def column(kind: pa.DataType, n: int, rng: np.random.Generator, nulls: bool) -> pa.Array:
    mask = rng.random(n) < 0.2 if nulls else None
    if pa.types.is_boolean(kind):
        return pa.array(rng.integers(0, 2, n).astype(bool), mask=mask)
    if pa.types.is_decimal(kind):
        digits = min(kind.precision, 17)
        values = [decimal.Decimal(int(v)).scaleb(-kind.scale) for v in rng.integers(-10**digits + 1, 10**digits, n)]
        return pa.array(values, kind, mask=mask)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        words = ["", "a", "héllo", "日本語", "x" * 300, "tail\x00byte"] + [f"w{i}" for i in range(20)]
        return pa.array([words[i] for i in rng.integers(0, len(words), n)], kind, mask=mask)
    if pa.types.is_floating(kind):
        return pa.array(rng.normal(size=n).astype(kind.to_pandas_dtype()), mask=mask)
    if pa.types.is_timestamp(kind):
        return pa.array(rng.integers(-(10**15), 10**15, n), pa.int64(), mask=mask).cast(kind)
    if pa.types.is_date(kind):
        return pa.array(rng.integers(-20_000, 20_000, n).astype(np.int32), mask=mask).cast(kind)
    dtype = kind.to_pandas_dtype()
    info = np.iinfo(dtype)
    return pa.array(rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True), mask=mask)


def table(n: int, seed: int, nulls: bool, kinds=TYPES) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({name: column(kind, n, rng, nulls) for name, kind in kinds.items()})


def native_rows(path: str, schema: pa.Schema, rows=None, mapped: bool = True) -> pa.Table:
    """The native reader's rows of the file, from its memory mapping or (``mapped=False``)
    by file reads, as where mapping is unavailable."""
    reader = NativeParquet.open(path) if mapped else NativeParquet(_core.ParquetFile(path, map_file=False))
    assert reader is not None
    meta = pq.read_metadata(path)
    batches, first = [], 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        selection = None if rows is None else np.asarray([r - first for r in rows if first <= r < first + n], np.int32)
        batches.append(reader.read(g, schema, selection))
        first += n
    return pa.Table.from_batches(batches, schema=batches[0].schema if batches else schema)


WRITER_OPTIONS = st.fixed_dictionaries({
    "compression": st.sampled_from(["snappy", "none"]),
    "data_page_version": st.sampled_from(["1.0", "2.0"]),
    "use_dictionary": st.booleans(),
    "data_page_size": st.sampled_from([64, 1024, 1 << 20]),
    "row_group_size": st.sampled_from([1, 7, 500, 10_000]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 700), seed=st.integers(0, 2**32 - 1), nulls=st.booleans(), options=WRITER_OPTIONS,
       data=st.data())
def test_native_reads_what_pyarrow_reads(tmp_path, n, seed, nulls, options, data):
    expected = table(n, seed, nulls)
    path = str(tmp_path / "t.parquet")
    pq.write_table(expected, path, **options)
    schema = FileScan("parquet", path).schema
    assert native_rows(path, schema).equals(expected.cast(schema))
    rows = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n)) if n else [])
    taken = expected.cast(schema).take(pa.array(rows, pa.int64()))
    assert native_rows(path, schema, rows).equals(taken)
    assert native_rows(path, schema, rows, mapped=False).equals(taken)


def test_sliced_and_dictionary_columns(tmp_path):
    values = pa.array(["b", None, "a", "b", "c"] * 40).dictionary_encode()
    source = pa.table({"cat": values, "n": pa.array(range(200), pa.int64()).slice(0)}).slice(3, 150)
    path = str(tmp_path / "d.parquet")
    pq.write_table(source, path, row_group_size=64)
    scan = FileScan("parquet", path)
    assert pa.types.is_dictionary(scan.schema.field("cat").type)
    assert native_rows(path, scan.schema).equals(pq.read_table(path).cast(scan.schema))


def test_declined_files_are_read_by_pyarrow(tmp_path):
    data = table(300, 1, True, {"i": pa.int64(), "s": pa.string(), "ts": pa.timestamp("us")})
    for name, options in {"zstd": {"compression": "zstd"}, "delta": {"use_dictionary": False,
                                                                    "column_encoding": {"i": "DELTA_BINARY_PACKED"}},
                          "int96": {"use_deprecated_int96_timestamps": True}}.items():
        path = str(tmp_path / f"{name}.parquet")
        pq.write_table(data, path, row_group_size=100, **options)
        scan = FileScan("parquet", path)
        native = scan.native(path)
        assert native is not None and not native.can_read([0], scan.schema)
        got = hr.read_parquet(path).collect()
        assert got.equals(pq.read_table(path).cast(got.schema)), name


def test_a_row_group_declined_midway_goes_to_pyarrow(tmp_path):
    """Strings read as a dictionary, where the writer fell back to plain pages in the second
    row group (its dictionary grew past the page limit)."""
    values = ["a", "b"] * 50 + [f"value-{i}" for i in range(100)]
    path = str(tmp_path / "mixed.parquet")
    pq.write_table(pa.table({"s": values}), path, row_group_size=100, dictionary_pagesize_limit=64,
                   write_batch_size=10, data_page_size=64)
    scan = FileScan("parquet", path)
    as_dictionary = pa.schema({"s": pa.dictionary(pa.int32(), pa.large_string())})
    reader = scan.native(path)
    assert reader.read(0, as_dictionary).column(0).dictionary.to_pylist() == ["a", "b"]
    with pytest.raises(Declined):
        reader.read(1, as_dictionary)
    with configured(threads=1):  # one task of both row groups: the second is declined midway through it
        (task,) = scan.tasks()
    batches = list(scan.read(task, ["s"], None, ["s"]))
    assert all(pa.types.is_dictionary(b.column(0).type) for b in batches)
    assert [v for b in batches for v in b.column(0).to_pylist()] == values


@pytest.mark.parametrize("reader", ["native", "pyarrow"])
def test_filters_and_late_materialization_agree(tmp_path, reader):
    data = table(5000, 7, True, {"k": pa.int32(), "v": pa.decimal128(12, 2), "s": pa.string(), "f": pa.float64()})
    path = str(tmp_path / "f.parquet")
    pq.write_table(data, path, row_group_size=700)
    with configured(parquet_reader=reader):
        got = (hr.read_parquet(path).filter((hr.col("k") > 0) & (hr.col("f") < 0.5))
               .select("s", "v", "k").collect())
    mask = pa.compute.and_kleene(pa.compute.greater(data["k"], 0), pa.compute.less(data["f"], 0.5))
    expected = data.filter(mask).select(["s", "v", "k"])
    assert got.equals(expected.cast(got.schema))


def test_empty_and_all_null_row_groups(tmp_path):
    path = str(tmp_path / "e.parquet")
    schema = pa.schema({"a": pa.int64(), "s": pa.string()})
    with pq.ParquetWriter(path, schema) as writer:
        writer.write_table(pa.table({"a": pa.array([], pa.int64()), "s": pa.array([], pa.string())}))
        writer.write_table(pa.table({"a": pa.array([None] * 5, pa.int64()), "s": pa.array([None] * 5, pa.string())}))
    assert native_rows(path, schema).to_pydict() == {"a": [None] * 5, "s": [None] * 5}


def read_all(path: str) -> list[pa.RecordBatch]:
    scan = FileScan("parquet", path)
    return [batch for task in scan.tasks() for batch in scan.read(task)]


def test_corrupt_pages_raise_naming_the_file(tmp_path):
    path = str(tmp_path / "c.parquet")
    pq.write_table(table(2000, 3, True, {"a": pa.int64(), "s": pa.string()}), path, compression="snappy",
                   data_page_size=2048)
    original = open(path, "rb").read()
    footer = len(original) - 8 - int.from_bytes(original[-8:-4], "little")
    wrecked = bytearray(original)
    wrecked[4:40] = b"\xff" * 36  # the first page header
    open(path, "wb").write(bytes(wrecked))
    with pytest.raises(ValueError, match=r"read_parquet: cannot read .*c\.parquet") as info:
        read_all(path)
    assert isinstance(info.value.__cause__, _core.ParquetError)
    # Damage anywhere in the pages: an error naming the file, or other values, never a crash.
    rng = np.random.default_rng(0)
    for start in range(4, footer - 16, max(1, footer // 60)):
        wrecked = bytearray(original)
        wrecked[start:start + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
        open(path, "wb").write(bytes(wrecked))
        try:
            read_all(path)
        except ValueError as exc:
            assert "c.parquet" in str(exc)


@pytest.mark.parametrize("picked", [1, 300, 4000, 20000])
def test_a_sparse_read_of_a_large_dictionary_converts_only_the_entries_it_needs(tmp_path, picked):
    """Few rows of a dictionary-encoded column of mostly distinct values (the decoder keeps the
    dictionary's plain bytes then), and as many rows as that takes to convert it whole."""
    path = str(tmp_path / "d.parquet")
    n = 20000
    decimals = [None if i % 13 == 0 else decimal.Decimal(i * 7919 % 100003) / 100 for i in range(n)]
    table = pa.table({"m": pa.array(decimals, pa.decimal128(15, 2)),
                      "i": pa.array([None if i % 11 == 0 else (i * 31) % 9000 for i in range(n)], pa.int64()),
                      "d": pa.array([i % 5000 for i in range(n)], pa.int32()).cast(pa.date32())})
    pq.write_table(table, path, row_group_size=n, dictionary_pagesize_limit=1 << 22)
    assert all(pq.read_metadata(path).row_group(0).column(c).has_dictionary_page for c in range(3))
    rows = np.sort(np.random.default_rng(picked).choice(n, picked, replace=False)).astype(np.int32)
    got = NativeParquet.open(path).read(0, table.schema, rows)
    assert got.equals(pa.record_batch(table.take(pa.array(rows)).combine_chunks().to_batches()[0]))


@pytest.mark.parametrize("mapped", [True, False])
def test_a_column_chunk_past_the_end_of_the_file_raises(tmp_path, mapped):
    """A footer whose column chunks lie beyond the file's end (pages cut out of the file)."""
    path = str(tmp_path / "cut.parquet")
    pq.write_table(pa.table({"a": list(range(1000))}), path, compression="none")
    original = open(path, "rb").read()
    footer = original[-8 - int.from_bytes(original[-8:-4], "little"):]
    open(path, "wb").write(original[:40] + footer)
    reader = _core.ParquetFile(path, map_file=mapped)
    with pytest.raises(_core.ParquetError, match="past the end of the file"):
        reader.read_row_group(0, [0], pa.schema({"a": pa.int64()}))


def test_bad_selection_is_refused(tmp_path):
    path = str(tmp_path / "s.parquet")
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    reader = NativeParquet.open(path)
    for rows in ([2, 1], [0, 3], [-1]):
        with pytest.raises(ValueError, match="ascending row numbers"):
            reader.read(0, pa.schema({"a": pa.int64()}), np.asarray(rows, np.int32))


def test_config_switches_the_reader_off(tmp_path):
    path = str(tmp_path / "o.parquet")
    pq.write_table(pa.table({"a": [1]}), path)
    with configured(parquet_reader="pyarrow"):
        assert NativeParquet.open(path) is None
    with pytest.raises(ValueError, match="parquet_reader must be one of"):
        hr.config(parquet_reader="fast")
