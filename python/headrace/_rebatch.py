"""hr.Rebatch and hr.Unbatch: regrouping a stream's items into batches of a fixed size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._executor import Context, Executor
from ._steps import _check_count


def _kind(item: Any) -> str:
    module = type(item).__module__.split(".")[0]
    if module == "numpy" and hasattr(item, "ndim") and item.ndim >= 1:
        return "numpy"
    if module == "pyarrow":
        import pyarrow as pa

        if isinstance(item, (pa.Array, pa.ChunkedArray)):
            return "arrow_array"
        if isinstance(item, (pa.RecordBatch, pa.Table)):
            return "arrow_table"
    return "item"


def _rows(part: Any, kind: str) -> int:
    return part.num_rows if kind == "arrow_table" else len(part)


def _concat(parts: list[Any], kind: str) -> Any:
    if len(parts) == 1:
        return parts[0]
    if kind == "numpy":
        import numpy as np

        return np.concatenate(parts)
    import pyarrow as pa

    if kind == "arrow_array":
        chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
        return pa.concat_arrays(chunks)
    tables = [pa.Table.from_batches([p]) if isinstance(p, pa.RecordBatch) else p for p in parts]
    return pa.concat_tables(tables).combine_chunks()


def _like(batch: Any, first: Any, kind: str) -> Any:
    """A table slice back as a RecordBatch when the stream carried RecordBatches."""
    if kind != "arrow_table" or type(first).__name__ != "RecordBatch" or type(batch).__name__ == "RecordBatch":
        return batch
    return batch.combine_chunks().to_batches()[0]  # one chunk of n >= 1 rows


class Rebatch(Executor):
    """Regroups a stream into batches of ``n``: plain items into lists of n; numpy arrays
    into arrays of n rows (concatenated along the first axis); pyarrow arrays, record
    batches and tables into ones of n rows. The last batch is shorter unless ``drop_last``.
    Every item of the stream must be of one kind.

    Examples:
        >>> import headrace as hr
        >>> hr.Pipeline([hr.Rebatch(2)]).run(range(5))
        [[0, 1], [2, 3], [4]]
        >>> import numpy as np
        >>> [a.tolist() for a in hr.Pipeline([hr.Rebatch(3)]).run([np.arange(2), np.arange(2, 6)])]
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, n: int, drop_last: bool = False) -> None:
        _check_count(n, "n", "Rebatch")
        self.n = n
        self.drop_last = drop_last

    def __repr__(self) -> str:
        return f"Rebatch({self.n}, drop_last={self.drop_last})"

    def open(self, ctx: Context) -> None:
        self.kind: str | None = None
        self.first: Any = None
        self.parts: list[Any] = []
        self.held = 0

    def execute(self, batch: Any, ctx: Context) -> Iterator[Any]:
        kind = _kind(batch)
        if self.kind is None:
            self.kind, self.first = kind, batch
        elif kind != self.kind:
            raise TypeError(f"step '{ctx.step}': Rebatch got a {type(batch).__name__} after "
                            f"{type(self.first).__name__} items; a stream's items must be of one kind")
        self.parts.append(batch)
        self.held += 1 if kind == "item" else _rows(batch, kind)
        return self._full_batches()

    def _full_batches(self) -> Iterator[Any]:
        if self.held < self.n:
            return
        if self.kind == "item":
            items, self.parts = self.parts, []
            for start in range(0, len(items) - self.n + 1, self.n):
                yield items[start:start + self.n]
            self.parts = items[len(items) - len(items) % self.n:]
            self.held = len(self.parts)
            return
        data = _concat(self.parts, self.kind)  # type: ignore[arg-type]
        start = 0
        while self.held - start >= self.n:
            yield _like(data[start:start + self.n] if self.kind == "numpy" else data.slice(start, self.n),
                        self.first, self.kind)  # type: ignore[arg-type]
            start += self.n
        rest = data[start:] if self.kind == "numpy" else data.slice(start)
        self.parts = [rest] if self.held > start else []
        self.held -= start

    def finish(self, ctx: Context) -> Any:
        if self.held == 0 or self.drop_last:
            return None
        if self.kind == "item":
            return list(self.parts)
        return _like(_concat(self.parts, self.kind), self.first, self.kind)  # type: ignore[arg-type]


class Unbatch(Executor):
    """The reverse of :class:`Rebatch`: each batch's elements become items of their own (a
    list's or tuple's items, a numpy array's rows, a pyarrow array's values as Python
    objects, a record batch's or table's rows as dicts).

    Examples:
        >>> import headrace as hr
        >>> hr.Pipeline([hr.Unbatch()]).run([[1, 2], [3]])
        [1, 2, 3]
    """

    def __repr__(self) -> str:
        return "Unbatch()"

    def execute(self, batch: Any, ctx: Context) -> Iterator[Any]:
        kind = _kind(batch)
        if kind in ("arrow_array", "arrow_table"):
            yield from batch.to_pylist()
        elif kind == "numpy" or isinstance(batch, (list, tuple)):
            yield from batch
        else:
            raise TypeError(f"step '{ctx.step}': Unbatch takes lists, tuples, numpy arrays or "
                        f"pyarrow arrays and tables, got {type(batch).__name__}")
