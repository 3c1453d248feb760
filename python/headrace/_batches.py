"""Turning what users hand over (tables, frames, readers, dicts) into Arrow record batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ._arrow_pool import POOL


def as_table_or_reader(data: Any, where: str) -> pa.Table | pa.RecordBatchReader:
    """A pyarrow Table (for data that is all in memory) or RecordBatchReader (a stream).
    A Polars LazyFrame is collected first.

    Examples:
        >>> as_table_or_reader({"x": [1, 2]}, "from_arrow").num_rows
        2
    """
    if isinstance(data, (pa.Table, pa.RecordBatchReader)):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        if hasattr(data, "collect") and not hasattr(data, "to_arrow"):  # a LazyFrame: run its query
            data = data.collect()
        if hasattr(data, "to_arrow"):
            return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if hasattr(data, "__arrow_c_array__"):
        return pa.Table.from_batches([pa.record_batch(data)])
    if isinstance(data, dict):
        return pa.table(data)
    raise TypeError(f"{where}: expected Arrow data (a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or "
                    f"Polars DataFrame, or an object with __arrow_c_stream__/__arrow_c_array__), got "
                    f"{type(data).__name__}")


def as_batches(data: Any, where: str) -> list[pa.RecordBatch]:
    """The record batches of one output (None is no batches)."""
    if data is None:
        return []
    if isinstance(data, pa.RecordBatch):
        return [data]
    found = as_table_or_reader(data, where)
    if isinstance(found, pa.RecordBatchReader):
        return list(found)
    # An empty table still says what its schema is.
    return found.to_batches() or [pa.RecordBatch.from_pylist([], schema=found.schema)]


def sliced(batches: Any, size: int) -> Iterator[pa.RecordBatch]:
    """The batches cut to at most ``size`` rows (zero-copy slices), empty ones skipped."""
    for batch in batches:
        rows = batch.num_rows
        if rows <= size:
            if rows:
                yield batch
            continue
        for start in range(0, rows, size):
            yield batch.slice(start, size)


def coalesced(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The non-empty batches in order, consecutive ones of fewer than ``size`` rows joined into
    one (up to ``size`` rows or more): a selective filter leaves a few rows per row group, and every
    operator after it pays per batch. Batches with a dictionary column (their dictionaries
    differ) or without columns pass as they are.

    Examples:
        >>> small = [pa.record_batch({"x": [i, i]}) for i in range(3)]
        >>> [b.num_rows for b in coalesced(small + [pa.record_batch({"x": list(range(9))})] + small, 5)]
        [6, 9, 6]
    """
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        if (batch.num_rows >= size or not batch.num_columns  # no column: nothing to join, only rows
                or any(pa.types.is_dictionary(t) for t in batch.schema.types)):
            if held:
                yield _joined(held)
                held, rows = [], 0
            yield batch
            continue
        held.append(batch)
        rows += batch.num_rows
        if rows >= size:
            yield _joined(held)
            held, rows = [], 0
    if held:
        yield _joined(held)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks(memory_pool=POOL).to_batches()[0]


def conform(batch: pa.RecordBatch, schema: pa.Schema, types_known: bool, where: str) -> pa.RecordBatch:
    """``batch`` with exactly ``schema``'s columns in its order, cast where the types differ
    (only when they are declared); else an error naming ``where`` and the column."""
    names = batch.schema.names
    if names != schema.names:
        missing = [n for n in schema.names if n not in names]
        if missing:
            raise ValueError(f"{where}: its output lacks column {missing[0]!r} of the declared schema "
                             f"{schema.names} (it has {names})")
        extra = [n for n in names if n not in schema.names]
        if extra:
            raise ValueError(f"{where}: its output has column {extra[0]!r}, which the declared schema "
                             f"{schema.names} does not")
        batch = batch.select(schema.names)
    if not types_known or batch.schema.equals(schema):
        return batch
    arrays = []
    for field, array in zip(schema, batch.columns):
        if array.type != field.type:
            try:
                array = array.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise TypeError(f"{where}: column {field.name!r} is {array.type}, but the declared schema says "
                                f"{field.type} ({exc})") from exc
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def take_rows(batch: pa.RecordBatch, indices: pa.Array) -> pa.RecordBatch:
    """The rows ``indices`` of ``batch``. pyarrow has no take for string and binary views, so
    those columns go through their large (offset) form. The indices are not checked (that
    pass costs as much as the take): they come from headrace's kernels and must be rows of
    ``batch``.

    Examples:
        >>> batch = pa.record_batch({"s": pa.array(["a", "b", "c"], pa.string_view())})
        >>> take_rows(batch, pa.array([2, 0])).to_pydict()
        {'s': ['c', 'a']}
    """
    if not any(_VIEWS.get(t.id) for t in batch.schema.types):
        return pc.take(batch, indices, boundscheck=False, memory_pool=POOL)
    arrays = []
    for array in batch.columns:
        wide = _VIEWS.get(array.type.id)
        values = array if wide is None else pc.cast(array, wide, memory_pool=POOL)
        taken = pc.take(values, indices, boundscheck=False, memory_pool=POOL)
        arrays.append(taken if wide is None else pc.cast(taken, array.type, memory_pool=POOL))
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


# View types and the offset types their rows are taken through.
_VIEWS = {pa.string_view().id: pa.large_string(), pa.binary_view().id: pa.large_binary()}
