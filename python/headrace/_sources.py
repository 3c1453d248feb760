"""Where DataStreams start: Arrow data in memory, Python iterables of batches, and files."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyarrow as pa

from . import _config, _logical
from ._batches import as_batches, as_table_or_reader, conform
from ._datastream import DataStream


def from_arrow(data: Any) -> DataStream:
    """A DataStream over Arrow data: a pyarrow Table, RecordBatch or RecordBatchReader, a
    pandas or Polars DataFrame (a LazyFrame is collected), a dict of columns, or any object with ``__arrow_c_stream__``
    or ``__arrow_c_array__`` (a DuckDB result, another DataStream). In-memory data is read
    without copies; a stream (a reader) can be run once.

    Examples:
        >>> import pyarrow as pa
        >>> import headrace as hr
        >>> hr.from_arrow(pa.table({"x": [1, 2, 3]})).filter(hr.col("x") >= 2).collect().num_rows
        2
    """
    if isinstance(data, DataStream):  # already lazy: reading it as a stream would run it now
        return data
    found = as_table_or_reader(data, "from_arrow")
    if isinstance(found, pa.Table):
        return DataStream(_logical.ArrowSource(found.to_batches, found.schema,
                                               f"from_arrow: Table of {found.num_rows:,} rows", rows=found.num_rows))
    return DataStream(_logical.ArrowSource(lambda: iter(found), found.schema, "from_arrow: stream", one_shot=True))


def from_batches(batches: Iterable[Any] | Callable[[], Iterable[Any]], schema: pa.Schema | None = None) -> DataStream:
    """A DataStream over an iterable of batches (RecordBatches, Tables, pandas or Polars
    DataFrames, dicts of columns), or a function returning one (called once per run). Every
    batch must have ``schema`` (default: the first batch's). A one-shot iterator (a
    generator object) can be run once.

    Examples:
        >>> import headrace as hr
        >>> def numbers():
        ...     for start in range(0, 6, 2):
        ...         yield {"n": [start, start + 1]}
        >>> hr.from_batches(numbers).collect()["n"].to_pylist()
        [0, 1, 2, 3, 4, 5]
    """
    one_shot = not callable(batches) and iter(batches) is batches  # type: ignore[arg-type]
    if callable(batches) and not hasattr(batches, "__iter__"):
        make: Callable[[], Iterable[Any]] = batches  # type: ignore[assignment]
    elif hasattr(batches, "__iter__"):
        make = lambda: batches  # type: ignore[assignment,return-value]  # noqa: E731
    else:
        raise TypeError(f"from_batches: expected an iterable of batches or a function returning one, got "
                        f"{type(batches).__name__}")
    if schema is None:
        schema, make = _peek_schema(make, one_shot)
    elif not isinstance(schema, pa.Schema):
        raise TypeError(f"from_batches: schema must be a pyarrow Schema, got {type(schema).__name__}")
    known = schema

    def start() -> Iterator[pa.RecordBatch]:
        for i, item in enumerate(make()):
            for batch in as_batches(item, f"from_batches (batch {i})"):
                yield conform(batch, known, True, f"from_batches (batch {i})")

    return DataStream(_logical.ArrowSource(start, schema, "from_batches", one_shot=one_shot))


def _peek_schema(make: Callable[[], Iterable[Any]], one_shot: bool) -> tuple[pa.Schema, Callable[[], Iterable[Any]]]:
    """The first batch's schema. A one-shot iterator keeps the peeked batch for its run."""
    it = iter(make())
    for item in it:
        found = as_batches(item, "from_batches (batch 0)")
        if found:
            if one_shot:
                return found[0].schema, lambda first=item: itertools.chain([first], it)
            return found[0].schema, make
    raise ValueError("from_batches: the iterable is empty, so its schema is unknown; pass schema=")


def _reader(fmt: str, name: str, paths: Any, options: dict[str, Any]) -> DataStream:
    from ._scan import FileScan

    batch_size = options.pop("batch_size", None) or _config.get("batch_size")
    return DataStream(_logical.FileSource(FileScan(fmt, paths, batch_size=batch_size, **options), name))


def read_parquet(paths: Any, **options: Any) -> DataStream:
    """A DataStream over Parquet files: a path, a directory, a glob (``"data/*.parquet"``,
    ``"**"`` for subfolders) or a list of them. Row groups are read in parallel, in
    batches; only the columns the query needs are read, and filters on them are handed to
    the reader (row groups whose statistics rule them out are skipped).

    Examples:
        >>> import tempfile, os
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> import headrace as hr
        >>> folder = tempfile.mkdtemp()
        >>> pq.write_table(pa.table({"x": [1, 2, 3], "y": ["a", "b", "c"]}), os.path.join(folder, "t.parquet"))
        >>> ds = hr.read_parquet(os.path.join(folder, "*.parquet"))
        >>> ds.filter(hr.col("x") > 1).select("y").collect()["y"].to_pylist()
        ['b', 'c']
    """
    return _reader("parquet", "read_parquet", paths, options)


def read_csv(paths: Any, **options: Any) -> DataStream:
    """A DataStream over CSV files (paths, directories, globs, lists), read in batches
    and in parallel per file. Options: ``delimiter``, ``has_header``, ``column_names``,
    ``schema`` (a pyarrow Schema to force types), ``null_values``, ``skip_rows``,
    ``quote_char``, ``batch_size``.

    Examples:
        >>> import os, tempfile
        >>> import headrace as hr
        >>> folder = tempfile.mkdtemp()
        >>> for i in range(2):
        ...     with open(os.path.join(folder, f"part-{i}.csv"), "w") as f:
        ...         _ = f.write(f"city;temp\\nOslo;{i + 3}\\nRome;{i + 20}\\n")
        >>> ds = hr.read_csv(os.path.join(folder, "part-*.csv"), delimiter=";")
        >>> ds.schema.names
        ['city', 'temp']
        >>> sorted(ds.filter(hr.col("temp") > 10).collect()["temp"].to_pylist())
        [20, 21]
    """
    return _reader("csv", "read_csv", paths, options)


def read_ipc(paths: Any, **options: Any) -> DataStream:
    """A DataStream over Arrow IPC files (Feather v2 or the stream format): paths,
    directories, globs or lists of them, read record batch by record batch.

    Examples:
        >>> import os, tempfile
        >>> import pyarrow as pa
        >>> import headrace as hr
        >>> path = os.path.join(tempfile.mkdtemp(), "t.arrow")
        >>> with pa.ipc.new_file(path, pa.schema([("x", pa.int64())])) as writer:
        ...     writer.write_table(pa.table({"x": [1, 2, 3]}))
        >>> hr.read_ipc(path).with_columns(y=hr.col("x") * 2).collect().to_pydict()
        {'x': [1, 2, 3], 'y': [2, 4, 6]}
    """
    return _reader("ipc", "read_ipc", paths, options)


def read_json(paths: Any, **options: Any) -> DataStream:
    """A DataStream over newline-delimited JSON files (paths, directories, globs, lists),
    read in blocks; ``schema`` forces the column types (else they are inferred from the
    first block).

    Examples:
        >>> import os, tempfile
        >>> import pyarrow as pa
        >>> import headrace as hr
        >>> path = os.path.join(tempfile.mkdtemp(), "events.jsonl")
        >>> with open(path, "w") as f:
        ...     _ = f.write('{"user": "ann", "n": 3}\\n{"user": "bob", "n": 5}\\n')
        >>> hr.read_json(path).collect().to_pydict()
        {'user': ['ann', 'bob'], 'n': [3, 5]}
        >>> hr.read_json(path, schema=pa.schema([("user", pa.string()), ("n", pa.int32())])).schema.field("n").type
        DataType(int32)
    """
    return _reader("json", "read_json", paths, options)

