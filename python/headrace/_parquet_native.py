"""Parquet row groups decoded by headrace's own reader (``cpp/parquet``), with pyarrow as the
fallback for whatever it does not decode.

The native reader decodes flat columns of the common types (integers, floats, bools, dates,
timestamps, decimals, strings, dictionary-encoded strings) from uncompressed or Snappy pages,
without the GIL, and can decode only some rows of a row group (late materialization: the
columns a filter did not need are decoded only for the rows that passed). A file, a task or a
row group it cannot read (another codec or encoding, a nested or unusual type) is read by
pyarrow instead, from the first row group the native reader declined; the results are the
same either way. ``hr.config(parquet_reader="pyarrow")`` turns the native reader off.

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pq.write_table(pa.table({"a": [1, 2, 3], "s": ["x", None, "z"]}), path)
    >>> reader = NativeParquet.open(path)
    >>> reader.read(0, pa.schema({"s": pa.string(), "a": pa.int64()})).to_pydict()
    {'s': ['x', None, 'z'], 'a': [1, 2, 3]}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from . import _config, _core
from ._footers import footer

__all__ = ["NativeParquet", "Declined", "FileError"]

# Raised by a read the native reader does not do (the caller reads it with pyarrow).
Declined = _core.ParquetNotSupported
# A malformed file, as the native reader finds it.
FileError = _core.ParquetError


def _decodable(kind: pa.DataType) -> bool:
    """Arrow types the native reader can produce (the file decides whether it will)."""
    if pa.types.is_dictionary(kind):
        return kind.index_type == pa.int32() and (pa.types.is_string(kind.value_type)
                                                  or pa.types.is_large_string(kind.value_type))
    return (pa.types.is_integer(kind) or (pa.types.is_floating(kind) and not pa.types.is_float16(kind))
            or pa.types.is_boolean(kind) or pa.types.is_date32(kind) or pa.types.is_timestamp(kind)
            or pa.types.is_decimal128(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind))


class NativeParquet:
    """One Parquet file's footer, parsed natively; reads row groups as record batches."""

    def __init__(self, file: _core.ParquetFile) -> None:
        self._file = file
        self._columns: dict[pa.Schema, list[int] | None] = {}  # columns() per schema asked

    @staticmethod
    def open(path: str) -> NativeParquet | None:
        """The file's native reader, or None when the native reader is off or cannot read
        the file's footer (pyarrow then reads it, and reports what is wrong with it)."""
        if _config.get("parquet_reader") != "native":
            return None
        try:
            return NativeParquet(footer(path).native)
        except (FileError, Declined, OSError):
            return None

    def columns(self, schema: pa.Schema) -> list[int] | None:
        """The column chunk index of each field of ``schema``, or None if one is not a
        decodable top-level column."""
        if schema not in self._columns:
            indices = [self._file.column_index(field.name) for field in schema]
            decodable = all(i >= 0 and _decodable(f.type) for i, f in zip(indices, schema))
            self._columns[schema] = indices if decodable else None
        return self._columns[schema]

    def can_read(self, row_groups: Sequence[int], schema: pa.Schema) -> bool:
        """Whether these row groups' ``schema`` columns are all natively decodable (from the metadata)."""
        columns = self.columns(schema)
        return bool(columns) and not self._file.unsupported(list(row_groups), columns, schema)

    def read_filtered(self, row_groups: Sequence[int], head: pa.Schema, middle: pa.Schema, tail: pa.Schema,
                      head_filter: _core.RowFilter | None, middle_filter: _core.RowFilter | None,
                      keys: Sequence[tuple[str, _core.KeyBitmap]], sources: Sequence[tuple[int, int]],
                      max_rows: int = 1 << 62,
                      ) -> list[tuple[pa.RecordBatch | None, list[tuple[int, int]], tuple[int, int]]]:
        """In one call without the GIL, per row group of ``row_groups`` in turn: the ``head``
        columns and the rows passing ``head_filter`` and the (column, bitmap) ``keys`` on head
        columns; the ``middle`` columns for those rows and the rows then passing
        ``middle_filter`` (over them and the head columns it reads) and the keys on middle
        columns; the ``tail`` columns for the rows left only. It stops once the rows passed
        reach ``max_rows``, or before a row group it cannot read (``Declined`` if that is the
        first).

        Per row group read: the batch of ``sources``' (0: head, 1: middle, 2: tail; index)
        columns in order (None if no row passed), (rows checked, rows kept) per key filter, and
        (the row group's rows, the rows ``head_filter`` passed, or -1 without one)."""
        parts = [self.columns(head), self.columns(middle), self.columns(tail)]
        if any(p is None for p in parts) or not (head or middle):
            raise Declined("no natively decodable columns")
        reads = self._file.read_filtered(list(row_groups), parts[0], head, parts[1], middle, parts[2], tail,
                                         head_filter, middle_filter, list(keys), list(sources), max_rows)
        return [(None if batch is None else pa.record_batch(batch), counts, passed) for batch, counts, passed in reads]

    def read(self, row_group: int, schema: pa.Schema, rows: np.ndarray | None = None) -> pa.RecordBatch:
        """The row group's ``schema`` columns: every row, or the ``rows`` given (ascending
        row numbers within the row group). Raises ``Declined`` if it cannot."""
        columns = self.columns(schema)
        if not columns:
            raise Declined("no natively decodable columns")
        return pa.record_batch(self._file.read_row_group(row_group, columns, schema, rows))
