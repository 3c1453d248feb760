"""LinearRegression: least squares from the normal equations. Parallel workers each sum the
Gramian of their batches ([X 1 y]^T [X 1 y]); the sums are added and X^T X w = X^T y solved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .._config import config
from .._datastream import DataStream
from .._executor import Context, Executor
from ._stage import Estimator, Stage, Transformer
from ._tables import check_count, require_columns


def _matrix(batch: pa.RecordBatch, columns: Sequence[str], stage: str) -> np.ndarray:
    arrays = []
    for c in columns:
        if batch[c].null_count:
            raise ValueError(f"{stage}: column {c!r} has nulls")
        arrays.append(batch[c].to_numpy(zero_copy_only=False).astype(np.float64, copy=False))
    return np.column_stack(arrays) if arrays else np.empty((batch.num_rows, 0))


class Gramian(Executor):
    """This worker's sum of Z^T Z over its batches, Z = [features, 1 (intercept), label];
    emitted at the end as rows (i, j, v)."""

    def __init__(self, features: list[str], label: str, fit_intercept: bool) -> None:
        self.features = features
        self.label = label
        self.fit_intercept = fit_intercept

    def open(self, ctx: Context) -> None:
        k = len(self.features) + self.fit_intercept + 1
        self.total = np.zeros((k, k))

    def execute(self, batch: pa.RecordBatch, ctx: Context) -> None:
        x = _matrix(batch, [*self.features, self.label], "LinearRegression")
        if self.fit_intercept:
            x = np.insert(x, len(self.features), 1.0, axis=1)
        self.total += x.T @ x

    def finish(self, ctx: Context) -> dict[str, Any]:
        i, j = np.indices(self.total.shape)
        return {"i": i.ravel(), "j": j.ravel(), "v": self.total.ravel()}


GRAMIAN_SCHEMA = pa.schema({"i": pa.int64(), "j": pa.int64(), "v": pa.float64()})


class _Predict:
    """The per-batch prediction function (a plain object, so it ships to workers)."""

    def __init__(self, features: list[str], coefficients: np.ndarray, intercept: float, prediction: str) -> None:
        self.features = features
        self.coefficients = coefficients
        self.intercept = intercept
        self.prediction = prediction

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        y = _matrix(batch, self.features, "LinearRegressionModel") @ self.coefficients + self.intercept
        return batch.append_column(self.prediction, pa.array(y, pa.float64()))


class LinearRegressionModel(Transformer):
    """Adds the column ``prediction`` = features . coefficients + intercept.

    Examples:
        >>> import headrace as hr
        >>> m = hr.ml.LinearRegressionModel(["a", "b"], coefficients=[2.0, -1.0], intercept=0.5)
        >>> m.transform({"a": [1.0, 2.0], "b": [1.0, 0.0]})[0].collect()["prediction"].to_pylist()
        [1.5, 4.5]
    """

    def __init__(self, features: Sequence[str], coefficients: Sequence[float], intercept: float = 0.0,
                 prediction: str = "prediction") -> None:
        self.features = list(features)
        self.coefficients = [float(c) for c in coefficients]
        self.intercept = float(intercept)
        self.prediction = prediction
        if len(self.features) != len(self.coefficients):
            raise ValueError(f"LinearRegressionModel: {len(self.features)} features but "
                             f"{len(self.coefficients)} coefficients")

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        check_count(schemas, 1, self.stage_name, "input schemas")
        (schema,) = schemas
        require_columns(schema, self.features, self.stage_name)
        if self.prediction in schema.names:
            raise ValueError(f"{self.stage_name}: output column {self.prediction!r} already exists in the input")
        return (schema.append(pa.field(self.prediction, pa.float64())),)

    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        (schema,) = self.transform_schemas(*(s.schema for s in streams))
        predict = _Predict(self.features, np.array(self.coefficients), self.intercept, self.prediction)
        return (streams[0].transform(predict, new_schema=schema),)

    def _save_params(self) -> dict[str, Any]:
        return {"features": self.features, "prediction": self.prediction}

    def _model_tables(self) -> dict[str, pa.Table]:
        return {"coefficients": pa.table({"feature": self.features, "coefficient": self.coefficients}),
                "intercept": pa.table({"intercept": [self.intercept]})}

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        coefficients = tables["coefficients"].to_pydict()
        if coefficients["feature"] != params["features"]:
            raise ValueError(f"model data features {coefficients['feature']} differ from parameter "
                             f"features {params['features']}")
        intercept = tables["intercept"]["intercept"][0].as_py()
        return cls(params["features"], coefficients["coefficient"], intercept, params["prediction"])


class LinearRegression(Estimator):
    """Ordinary least squares of ``label`` on ``features`` (with an intercept unless
    ``fit_intercept=False``), from the normal equations. ``parallelism`` workers (default
    ``hr.config()["threads"]``) each sum the Gramian of their batches; nulls are an error.

    Examples:
        >>> import headrace as hr
        >>> data = {"a": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 3.0, 5.0, 7.0]}
        >>> model = hr.ml.LinearRegression(["a"], "y").fit(data)
        >>> [round(c, 9) for c in model.coefficients], round(model.intercept, 9)
        ([2.0], 1.0)
    """

    def __init__(self, features: Sequence[str], label: str, prediction: str = "prediction",
                 fit_intercept: bool = True, parallelism: int | None = None) -> None:
        self.features = list(features)
        self.label = label
        self.prediction = prediction
        self.fit_intercept = fit_intercept
        self.parallelism = parallelism

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return LinearRegressionModel(self.features, [0.0] * len(self.features), 0.0,
                                     self.prediction).transform_schemas(*schemas)

    def _fit(self, *streams: DataStream) -> LinearRegressionModel:
        self.transform_schemas(*(s.schema for s in streams))
        require_columns(streams[0].schema, [self.label], self.stage_name)
        gramian = Gramian(self.features, self.label, self.fit_intercept)
        partials = streams[0].stateful_transform(gramian, new_schema=GRAMIAN_SCHEMA,
                                                 required_columns={*self.features, self.label},
                                                 parallelism=self.parallelism or config()["threads"]).collect()
        k = len(self.features) + self.fit_intercept + 1
        total = np.zeros((k, k))
        np.add.at(total, (partials["i"].to_numpy(), partials["j"].to_numpy()), partials["v"].to_numpy())
        if not total[:-1, :-1].any():
            raise ValueError(f"{self.stage_name}: nothing to fit (no rows, or every feature is 0)")
        try:
            w = np.linalg.solve(total[:-1, :-1], total[:-1, -1])
        except np.linalg.LinAlgError:
            raise ValueError(f"{self.stage_name}: the features {self.features} are linearly dependent "
                             "(X^T X is singular)") from None
        p = len(self.features)
        return LinearRegressionModel(self.features, w[:p], float(w[p]) if self.fit_intercept else 0.0,
                                     self.prediction)
