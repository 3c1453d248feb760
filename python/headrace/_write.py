"""Atomic file writers: a stream of record batches becomes a complete file at ``path``, or nothing.

The batches go to a hidden temporary file next to the target (same filesystem), which is flushed
to disk and renamed over ``path`` only once every batch is written; on any error the temporary
file is removed and an existing file at ``path`` is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

__all__ = ["WRITE_FORMATS", "Target", "check_target", "write_batches"]

WRITE_FORMATS = ("parquet", "csv", "ipc")

_DEFAULTS: dict[str, dict[str, Any]] = {
    "parquet": {"compression": "zstd", "row_group_size": None},
    "csv": {"include_header": True, "delimiter": ","},
    "ipc": {"compression": None},
}

# Parquet row groups hold this many rows unless row_group_size says otherwise (pyarrow's default).
ROW_GROUP_SIZE = 1 << 20


def write_batches(fmt: str, path: str | os.PathLike, schema: pa.Schema, batches: Iterable[pa.RecordBatch],
                  **options: Any) -> dict[str, Any]:
    """Write ``batches`` (each with ``schema``'s columns and types) atomically to ``path``.

    Returns ``{"path", "rows", "bytes", "columns"}``. If ``batches`` raises or writing fails, the
    exception propagates unchanged and no file, partial or temporary, is left behind.
    """
    return write_to(check_target(fmt, path, schema, options), schema, batches)


class Target(NamedTuple):
    """Where and how a checked write goes (made by :func:`check_target`)."""

    fmt: str
    path: str  # absolute
    options: dict[str, Any]  # with the defaults filled in


def check_target(fmt: str, path: str | os.PathLike, schema: pa.Schema, options: dict[str, Any]) -> Target:
    """Everything about a write that can be checked before there is data: the format, the
    options (by writing an empty file of ``schema`` in memory), that the folder exists and is
    writable and that ``path`` is not a folder. Errors name the writer (``write_<fmt>``).

    Examples:
        >>> import pyarrow as pa
        >>> check_target("csv", "/no/such/folder/out.csv", pa.schema([("x", pa.int64())]), {})
        Traceback (most recent call last):
        ...
        FileNotFoundError: write_csv: directory '/no/such/folder' does not exist
    """
    if fmt not in WRITE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(map(repr, WRITE_FORMATS))}")
    writer_name = f"write_{fmt}"
    checked = _check_options(fmt, writer_name, options)
    target = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{writer_name}: directory {directory!r} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"{writer_name}: {target!r} is a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"{writer_name}: directory {directory!r} is not writable")
    _probe(fmt, writer_name, schema, checked, options)
    return Target(fmt, target, checked)


def _probe(fmt: str, writer_name: str, schema: pa.Schema, checked: dict[str, Any], given: dict[str, Any]) -> None:
    """Writes an empty file of ``schema`` in memory: wrong option values and column types the
    format cannot hold fail here, before any data is computed."""
    try:
        _write(fmt, pa.BufferOutputStream(), schema, [], checked)
    except (TypeError, AttributeError) as exc:
        raise TypeError(f"{writer_name}: invalid options {given} ({exc})") from exc
    except (ValueError, pa.ArrowException) as exc:
        raise ValueError(f"{writer_name}: cannot write columns {schema.names} with options {given} ({exc})") from exc


def write_to(target: Target, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> dict[str, Any]:
    """Writes ``batches`` to a checked ``target`` atomically (see :func:`write_batches`)."""
    fmt, path, options = target
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # mode follows the umask
    try:
        with pa.OSFile(temporary, "wb") as sink:
            rows = _write(fmt, sink, schema, batches, options)
        fd = os.open(temporary, os.O_RDWR)
        try:
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    if os.name == "posix":  # make the rename itself durable
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return {"path": path, "rows": rows, "bytes": size, "columns": schema.names}


def _check_options(fmt: str, writer_name: str, options: dict[str, Any]) -> dict[str, Any]:
    defaults = _DEFAULTS[fmt]
    for key in options:
        if key not in defaults:
            raise TypeError(f"{writer_name}: unknown option {key!r} (options: {', '.join(map(repr, defaults))})")
    merged = {**defaults, **options}
    size = merged.get("row_group_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ValueError(f"{writer_name}: row_group_size must be a positive integer, got {size!r}")
    if fmt == "csv" and not isinstance(merged["include_header"], bool):
        raise TypeError(f"{writer_name}: include_header must be True or False, got {merged['include_header']!r}")
    return merged


def _write(fmt: str, sink: pa.NativeFile, schema: pa.Schema, batches: Iterable[pa.RecordBatch],
           options: dict[str, Any]) -> int:
    """Write every batch to ``sink``; the number of rows written."""
    writer: Any
    if fmt == "parquet":
        writer = _ParquetWriter(sink, schema, options["compression"], options["row_group_size"] or ROW_GROUP_SIZE)
    elif fmt == "csv":
        write_options = pcsv.WriteOptions(include_header=options["include_header"], delimiter=options["delimiter"])
        writer = pcsv.CSVWriter(sink, schema, write_options=write_options)
    else:
        writer = pa.ipc.new_file(sink, schema, options=pa.ipc.IpcWriteOptions(compression=options["compression"]))
    rows = 0
    try:
        for batch in batches:
            writer.write_batch(_conform(batch, schema))
            rows += batch.num_rows
    except BaseException:
        with contextlib.suppress(Exception):  # the file is discarded; keep the original error
            writer.close()
        raise
    writer.close()
    return rows


class _ParquetWriter:
    """A ParquetWriter fed batch by batch that still writes full row groups (each write call ends one)."""

    def __init__(self, sink: pa.NativeFile, schema: pa.Schema, compression: Any, row_group_size: int) -> None:
        self._writer = pq.ParquetWriter(sink, schema, compression=compression)
        self._schema = schema
        self._row_group_size = row_group_size
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= self._row_group_size:
            table = pa.Table.from_batches(self._pending, self._schema)
            full = self._pending_rows - self._pending_rows % self._row_group_size
            self._writer.write_table(table.slice(0, full), row_group_size=self._row_group_size)
            self._pending = table.slice(full).to_batches()
            self._pending_rows -= full

    def close(self) -> None:
        if self._pending_rows:
            self._writer.write_table(pa.Table.from_batches(self._pending, self._schema),
                                     row_group_size=self._row_group_size)
            self._pending_rows = 0
        self._writer.close()


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` labelled with ``schema`` (zero-copy) when only nullability or metadata differ."""
    if batch.schema.equals(schema, check_metadata=True):
        return batch
    if batch.schema.names != schema.names or any(not a.equals(b) for a, b in zip(batch.schema.types, schema.types)):
        raise ValueError(f"batch schema does not match the file's schema:\n{batch.schema}\nexpected:\n{schema}")
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema)
