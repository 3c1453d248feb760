"""StandardScaler: learns each column's mean and standard deviation; its model subtracts
the mean and divides by the standard deviation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from .._config import config
from .._datastream import DataStream
from .._expr import col
from ._moments import MOMENTS_SCHEMA, Moments, combine
from ._stage import Estimator, Stage, Transformer
from ._tables import check_count, require_columns


def _scaled_schema(stage: Stage, columns: list[str], schemas: tuple[pa.Schema, ...]) -> tuple[pa.Schema, ...]:
    check_count(schemas, 1, stage.stage_name, "input schemas")
    (schema,) = schemas
    require_columns(schema, columns, stage.stage_name)
    for name in columns:
        schema = schema.set(schema.get_field_index(name), pa.field(name, pa.float64()))
    return (schema,)


class StandardScalerModel(Transformer):
    """Replaces each of ``columns`` by ``(x - mean) / scale`` as float64.

    Examples:
        >>> import headrace as hr
        >>> m = hr.ml.StandardScalerModel(["x"], mean=[10.0], scale=[5.0])
        >>> m.transform({"x": [0, 10, 20], "k": ["a", "b", "c"]})[0].collect().to_pydict()
        {'x': [-2.0, 0.0, 2.0], 'k': ['a', 'b', 'c']}
    """

    def __init__(self, columns: Sequence[str], mean: Sequence[float], scale: Sequence[float]) -> None:
        self.columns = list(columns)
        self.mean = [float(m) for m in mean]
        self.scale = [float(s) for s in scale]
        if not len(self.columns) == len(self.mean) == len(self.scale):
            raise ValueError(f"StandardScalerModel: {len(self.columns)} columns but {len(self.mean)} means "
                             f"and {len(self.scale)} scales")

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _scaled_schema(self, self.columns, schemas)

    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        (stream,) = streams
        self.transform_schemas(*(s.schema for s in streams))
        scaled = {c: (col(c).cast(pa.float64()) - m) / s for c, m, s in zip(self.columns, self.mean, self.scale)}
        return (stream.with_columns(**scaled),)

    def _save_params(self) -> dict[str, Any]:
        return {"columns": self.columns}

    def _model_tables(self) -> dict[str, pa.Table]:
        return {"model": pa.table({"column": self.columns, "mean": self.mean, "scale": self.scale})}

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        model = tables["model"].to_pydict()
        if model["column"] != params["columns"]:
            raise ValueError(f"model data columns {model['column']} differ from parameter columns {params['columns']}")
        return cls(params["columns"], model["mean"], model["scale"])


class StandardScaler(Estimator):
    """Learns the mean and the (population) standard deviation of ``columns``; nulls are
    skipped. ``with_mean=False`` keeps the mean at 0, ``with_std=False`` the scale at 1,
    and a column whose deviation is 0 keeps scale 1 (as in scikit-learn). The statistics
    are computed by ``parallelism`` workers (default: ``hr.config()["threads"]``) and
    merged exactly, so batch boundaries do not change the result beyond rounding.

    Examples:
        >>> import headrace as hr
        >>> model = hr.ml.StandardScaler(["x"]).fit({"x": [1.0, 2.0, 3.0]})
        >>> round(model.mean[0], 6), round(model.scale[0], 6)
        (2.0, 0.816497)
    """

    def __init__(self, columns: Sequence[str], with_mean: bool = True, with_std: bool = True,
                 parallelism: int | None = None) -> None:
        self.columns = list(columns)
        self.with_mean = with_mean
        self.with_std = with_std
        self.parallelism = parallelism

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _scaled_schema(self, self.columns, schemas)

    def _fit(self, *streams: DataStream) -> StandardScalerModel:
        self.transform_schemas(*(s.schema for s in streams))
        (stream,) = streams
        partials = stream.stateful_transform(Moments(self.columns), new_schema=MOMENTS_SCHEMA,
                                             required_columns=set(self.columns),
                                             parallelism=self.parallelism or config()["threads"])
        moments = combine(partials.collect(), self.columns)
        means, scales = [], []
        for c in self.columns:
            n, mean, m2 = moments[c]
            if n == 0:
                raise ValueError(f"StandardScaler: column {c!r} has no values to fit")
            std = math.sqrt(m2 / n)
            means.append(mean if self.with_mean else 0.0)
            scales.append(std if self.with_std and std > 0 else 1.0)
        return StandardScalerModel(self.columns, means, scales)
