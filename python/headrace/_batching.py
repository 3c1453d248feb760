"""Splitting data into batches and joining the outputs back (Pipeline.transform)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _kind(data: Any) -> str:
    module = type(data).__module__.split(".")[0]
    if module == "pyarrow":
        import pyarrow as pa

        if isinstance(data, (pa.Table, pa.RecordBatch)):
            return "arrow"
    if module == "numpy":
        return "numpy"
    if module == "pandas" and hasattr(data, "iloc"):
        return "pandas"
    if module == "polars" and hasattr(data, "slice"):
        return "polars"
    if isinstance(data, (list, tuple, range)):
        return "sequence"
    return "iterable"


def _length(data: Any, kind: str) -> int:
    return data.num_rows if kind == "arrow" else len(data)


def split(data: Any, batch_size: int | None, keep_incomplete_batch: bool) -> Iterator[Any]:
    """Consecutive batches of ``batch_size`` items, or rows (the whole data when None)."""
    kind = _kind(data)
    if kind == "iterable":
        data = list(data)
        kind = "sequence"
    n = _length(data, kind)
    size = batch_size or max(n, 1)
    for start in range(0, n, size):
        if start + size > n and not keep_incomplete_batch:
            return
        if kind in ("arrow", "polars"):
            yield data.slice(start, size)
        elif kind == "pandas":
            yield data.iloc[start:start + size]
        elif isinstance(data, range):
            yield list(data[start:start + size])
        else:
            yield data[start:start + size]


def empty_like(data: Any) -> Any:
    kind = _kind(data)
    if kind in ("arrow", "polars"):
        return data.slice(0, 0)
    if kind == "numpy":
        return data[:0]
    if kind == "pandas":
        return data.iloc[:0]
    if isinstance(data, tuple):
        return ()
    return []


def join(outputs: list[Any], like: Any) -> Any:
    """The outputs of every batch joined into one value of the input's kind."""
    if not outputs:
        return empty_like(like)
    kind = _kind(like)
    if kind == "numpy":
        import numpy as np

        return np.concatenate(outputs)
    if kind == "arrow":
        import pyarrow as pa

        tables = [pa.Table.from_batches([o]) if isinstance(o, pa.RecordBatch) else o for o in outputs]
        return pa.concat_tables(tables)
    if kind == "pandas":
        import pandas as pd

        return pd.concat(outputs)
    if kind == "polars":
        import polars as pl

        return pl.concat(outputs)
    joined: list[Any] = []
    for out in outputs:
        joined.extend(out)
    return tuple(joined) if isinstance(like, tuple) else joined
