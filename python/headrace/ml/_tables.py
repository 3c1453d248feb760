"""Turning stage inputs (DataStreams, pyarrow Tables, Arrow-capsule objects) into DataStreams."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .._datastream import DataStream
from .._sources import from_arrow


def as_stream(table: Any, stage: str) -> DataStream:
    """``table`` as a lazy DataStream (a DataStream is returned as it is)."""
    if isinstance(table, DataStream):
        return table
    try:
        return from_arrow(table)
    except TypeError as e:
        raise TypeError(f"{stage}: {e}") from None


def as_streams(tables: tuple[Any, ...], stage: str) -> tuple[DataStream, ...]:
    return tuple(as_stream(t, stage) for t in tables)


def check_count(items: tuple[Any, ...], expected: int, stage: str, what: str = "input tables") -> None:
    if len(items) != expected:
        raise ValueError(f"{stage}: expected {expected} {what}, got {len(items)}")


def require_columns(schema: pa.Schema, columns: list[str], stage: str, numeric: bool = True) -> None:
    """Raises naming the stage and the column when a column is missing or not numeric."""
    for name in columns:
        if name not in schema.names:
            raise ValueError(f"{stage}: column {name!r} not found; available columns: {schema.names}")
        kind = schema.field(name).type
        if numeric and not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise TypeError(f"{stage}: column {name!r} must be numeric, not {kind}")
