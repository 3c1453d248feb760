"""Small hr.ml stages for the tests (importable by name, so saved folders load them)."""

from __future__ import annotations

import threading

import pyarrow as pa

import headrace as hr


def _column_schema(stage: hr.ml.Stage, schemas: tuple[pa.Schema, ...], column: str) -> tuple[pa.Schema, ...]:
    if len(schemas) != 1:
        raise ValueError(f"{stage.stage_name}: expected 1 input schema, got {len(schemas)}")
    if column not in schemas[0].names:
        raise ValueError(f"{stage.stage_name}: column {column!r} not found")
    return schemas


class SumModel(hr.ml.Transformer):
    """Adds its model data ``delta`` to ``column``, plus the ``delta`` column's sum of its
    state stream when one is set."""

    state_stream_count = 1

    def __init__(self, column: str = "x") -> None:
        self.column = column
        self.delta = 0

    def with_delta(self, delta: int) -> SumModel:
        self.delta = delta
        return self

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _column_schema(self, schemas, self.column)

    def _transform(self, *streams: hr.DataStream) -> tuple[hr.DataStream, ...]:
        self.transform_schemas(*(s.schema for s in streams))
        delta = self.delta
        for state in self.get_state_streams():
            delta += sum(state.collect()["delta"].to_pylist())
        return (streams[0].with_columns(**{self.column: hr.col(self.column) + delta}),)

    def _model_tables(self) -> dict[str, pa.Table]:
        return {"model": pa.table({"delta": [self.delta]})}

    def _load_model_tables(self, tables: dict[str, pa.Table]) -> None:
        self.delta = tables["model"]["delta"][0].as_py()


class Spy(SumModel):
    """A SumModel that counts its transform calls."""

    transformed = 0

    def _transform(self, *streams: hr.DataStream) -> tuple[hr.DataStream, ...]:
        Spy.transformed += 1
        return super()._transform(*streams)


class SumEstimator(hr.ml.Estimator):
    """Learns the sum of ``column``; its model adds it."""

    def __init__(self, column: str = "x") -> None:
        self.column = column

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _column_schema(self, schemas, self.column)

    def _fit(self, *streams: hr.DataStream) -> SumModel:
        self.transform_schemas(*(s.schema for s in streams))
        total = streams[0].agg(total=(self.column, "sum")).collect()["total"][0].as_py()
        return SumModel(self.column).with_delta(total)


class Union(hr.ml.MLFunc):
    """All rows of its inputs, as one output."""

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        for s in schemas[1:]:
            if s != schemas[0]:
                raise ValueError(f"{self.stage_name}: inputs have different schemas")
        return schemas[:1]

    def _transform(self, *streams: hr.DataStream) -> tuple[hr.DataStream, ...]:
        return (streams[0].union(*streams[1:]),)


class Split(hr.ml.MLFunc):
    """Two outputs: the rows where ``column`` is even, and the others."""

    def __init__(self, column: str = "x") -> None:
        self.column = column

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _column_schema(self, schemas, self.column) * 2

    def _transform(self, *streams: hr.DataStream) -> tuple[hr.DataStream, ...]:
        even = hr.col(self.column) % 2 == 0
        return streams[0].filter(even), streams[0].filter(~even)


class MeetingEstimator(SumEstimator):
    """A SumEstimator whose fit waits until ``parties`` fits run at the same time (proves
    that a Graph fits independent Estimators concurrently)."""

    barrier: threading.Barrier | None = None

    def _fit(self, *streams: hr.DataStream) -> SumModel:
        assert self.barrier is not None
        self.barrier.wait(timeout=20)
        return super()._fit(*streams)


def xs(*values: int) -> pa.Table:
    return pa.table({"x": pa.array(values, pa.int64())})


def sorted_x(stream: hr.DataStream) -> list[int]:
    return sorted(stream.collect()["x"].to_pylist())
