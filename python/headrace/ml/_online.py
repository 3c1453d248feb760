"""OnlineMean: a model that centers columns with a running mean, updated from a state
stream while it serves.

Semantics. The state stream has one row per update: ``count`` (rows the update covers)
and, per column, the ``sum`` of its values. The model's version is the number of update
rows applied so far. One serving instance reads the data and the state stream together and
handles their batches in arrival order: an update row raises the version by one; a data
batch is served with the current version, i.e. centered with the mean of every update row
that arrived before it, and the version is written beside it (``version_col``). A batch
never uses a version below what it asks for: at least 1, or with ``min_version_col`` the
largest value of that column in the batch. A batch that asks for more waits (and so do the
batches behind it, which keeps their order) until enough updates have arrived; if the state
stream ends first, the run fails naming the version asked for and the one reached.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._datastream import DataStream, stateful_transform
from .._executor import Context, Executor
from ._stage import Estimator, Transformer
from ._tables import check_count, require_columns


def update_schema(columns: Sequence[str]) -> pa.Schema:
    """The schema of the state stream: ``count`` and one sum per column."""
    return pa.schema([pa.field("count", pa.int64()), *(pa.field(c, pa.float64()) for c in columns)])


class _BatchSums:
    """One update row per batch: its row count and its column sums (nulls are an error)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def __call__(self, batch: pa.RecordBatch) -> dict[str, list[Any]]:
        row: dict[str, list[Any]] = {"count": [batch.num_rows]}
        for c in self.columns:
            if batch[c].null_count:
                raise ValueError(f"OnlineMean: column {c!r} has nulls")
            row[c] = [float(pc.sum(batch[c].cast(pa.float64())).as_py() or 0.0)]
        return row


class _Serve(Executor):
    """Input 0: data batches; input 1: update rows. See the module's docstring."""

    def __init__(self, columns: list[str], min_version_col: str | None, version_col: str) -> None:
        self.columns = columns
        self.min_version_col = min_version_col
        self.version_col = version_col

    def open(self, ctx: Context) -> None:
        self.count = 0
        self.sums = np.zeros(len(self.columns))
        self.version = 0
        self.waiting: deque[tuple[int, pa.RecordBatch]] = deque()

    def execute(self, batch: pa.RecordBatch, ctx: Context) -> Any:
        if ctx.stream_id == 0:
            need = 1
            if self.min_version_col is not None and batch.num_rows:
                need = max(1, pc.max(batch[self.min_version_col]).as_py() or 0)
            self.waiting.append((need, batch))
            yield from self._flush()
            return
        for row in batch.to_pylist():
            self.count += row["count"]
            self.sums += [row[c] for c in self.columns]
            self.version += 1
            yield from self._flush()

    def _flush(self) -> Any:
        while self.waiting and self.waiting[0][0] <= self.version:
            _, batch = self.waiting.popleft()
            yield self._center(batch)

    def _center(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        means = self.sums / self.count if self.count else np.zeros(len(self.columns))
        for c, mean in zip(self.columns, means):
            i = batch.schema.get_field_index(c)
            batch = batch.set_column(i, c, pc.subtract(batch[c].cast(pa.float64()), mean))
        return batch.append_column(self.version_col, pa.array([self.version] * batch.num_rows, pa.int64()))

    def finish(self, ctx: Context) -> None:
        if self.waiting:
            raise RuntimeError(f"OnlineMeanModel: {len(self.waiting)} data batches wait for model version "
                               f"{self.waiting[0][0]}, but the state stream ended at version {self.version}")


class OnlineMeanModel(Transformer):
    """Centers ``columns`` (float64) with the running mean of its state stream and adds
    ``version_col``, the model version each row was served with. Its one state stream is a
    table of update rows (:func:`update_schema`), e.g. ``OnlineMean.fit``'s stream, and may
    be unbounded. See the module docstring for the exact semantics.

    Examples:
        >>> import headrace as hr
        >>> model = hr.ml.OnlineMeanModel(["x"])
        >>> model.set_state_streams({"count": [2], "x": [10.0]})
        >>> model.transform({"x": [1.0, 9.0]})[0].collect().to_pydict()
        {'x': [-4.0, 4.0], 'model_version': [1, 1]}
    """

    state_stream_count = 1

    def __init__(self, columns: Sequence[str], min_version_col: str | None = None,
                 version_col: str = "model_version") -> None:
        self.columns = list(columns)
        self.min_version_col = min_version_col
        self.version_col = version_col

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        check_count(schemas, 1, self.stage_name, "input schemas")
        (schema,) = schemas
        require_columns(schema, self.columns, self.stage_name)
        if self.min_version_col is not None:
            require_columns(schema, [self.min_version_col], self.stage_name)
        if self.version_col in schema.names:
            raise ValueError(f"{self.stage_name}: output column {self.version_col!r} already exists in the input")
        for name in self.columns:
            schema = schema.set(schema.get_field_index(name), pa.field(name, pa.float64()))
        return (schema.append(pa.field(self.version_col, pa.int64())),)

    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        (schema,) = self.transform_schemas(*(s.schema for s in streams))
        states = self.get_state_streams()
        if not states:
            raise RuntimeError(f"{self.stage_name}: has no state stream; call set_state_streams(updates) first")
        expected = update_schema(self.columns)
        for name in expected.names:
            if name not in states[0].schema.names:
                raise ValueError(f"{self.stage_name}: state stream lacks column {name!r}; expected {expected.names}")
        updates = states[0].select(*expected.names)
        serve = _Serve(self.columns, self.min_version_col, self.version_col)
        return (stateful_transform([streams[0], updates], serve, new_schema=schema),)


class OnlineMean(Estimator):
    """Fits an :class:`OnlineMeanModel` lazily: nothing runs in ``fit``. The model's state
    stream is the training stream turned into one update row per batch, so a model fitted
    on an unbounded stream keeps updating while it serves.

    Examples:
        >>> import headrace as hr
        >>> train = hr.from_batches([{"x": [1.0, 3.0]}, {"x": [8.0]}])
        >>> model = hr.ml.OnlineMean(["x"], min_version_col="v").fit(train)
        >>> model.transform({"x": [4.0], "v": [2]})[0].collect().to_pydict()
        {'x': [0.0], 'v': [2], 'model_version': [2]}
    """

    def __init__(self, columns: Sequence[str], min_version_col: str | None = None,
                 version_col: str = "model_version") -> None:
        self.columns = list(columns)
        self.min_version_col = min_version_col
        self.version_col = version_col

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return OnlineMeanModel(self.columns, self.min_version_col, self.version_col).transform_schemas(*schemas)

    def _fit(self, *streams: DataStream) -> OnlineMeanModel:
        check_count(streams, 1, self.stage_name)
        require_columns(streams[0].schema, self.columns, self.stage_name)
        updates = streams[0].transform(_BatchSums(self.columns), new_schema=update_schema(self.columns),
                                       required_columns=set(self.columns))
        model = OnlineMeanModel(self.columns, self.min_version_col, self.version_col)
        model.set_state_streams(updates)
        return model
