"""Pipeline (an Estimator over a list of stages) and PipelineModel (a chain of Transformers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._stage import Estimator, MLFunc, Stage, Transformer

if TYPE_CHECKING:
    import pyarrow as pa

    from .._datastream import DataStream


def _check_stages(stages: Sequence[Stage], allowed: tuple[type, ...], owner: str) -> list[Stage]:
    stages = list(stages)
    for i, stage in enumerate(stages):
        if not isinstance(stage, allowed):
            kinds = " or ".join(k.__name__ for k in allowed)
            raise TypeError(f"{owner}: stage {i} ({type(stage).__name__}) is not a {kinds}")
    return stages


def _chain_schemas(stages: Sequence[Stage], schemas: tuple[pa.Schema, ...]) -> tuple[pa.Schema, ...]:
    for stage in stages:
        schemas = tuple(stage.transform_schemas(*schemas))
    return schemas


class PipelineModel(Transformer):
    """Transformers (or other MLFuncs) applied one after the other: each stage's output
    tables are the next stage's inputs.

    Examples:
        >>> import headrace as hr
        >>> model = hr.ml.PipelineModel([hr.ml.StandardScalerModel(["x"], mean=[1.0], scale=[2.0])])
        >>> model.transform({"x": [1.0, 5.0]})[0].collect()["x"].to_pylist()
        [0.0, 2.0]
    """

    def __init__(self, stages: Sequence[MLFunc]) -> None:
        self.stages = _check_stages(stages, (MLFunc,), "PipelineModel")

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _chain_schemas(self.stages, schemas)

    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        for stage in self.stages:
            streams = stage.transform(*streams)
        return streams

    def _save_params(self) -> dict[str, Any]:
        return {}

    def _children(self) -> list[Stage]:
        return list(self.stages)

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        return cls(children)  # type: ignore[arg-type]


class Pipeline(Estimator):
    """Stages fitted in order: ``fit`` fits each Estimator on the tables that reach it and
    returns a :class:`PipelineModel` of the fitted and the given Transformers. Only the
    stages up to the last Estimator run during ``fit``.

    Examples:
        >>> import headrace as hr
        >>> pipe = hr.ml.Pipeline([hr.ml.StandardScaler(["x"])])
        >>> model = pipe.fit({"x": [1.0, 3.0]})
        >>> model.transform({"x": [2.0, 4.0]})[0].collect()["x"].to_pylist()
        [0.0, 2.0]
    """

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = _check_stages(stages, (MLFunc, Estimator), "Pipeline")

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _chain_schemas(self.stages, schemas)

    def _fit(self, *streams: DataStream) -> PipelineModel:
        last = max((i for i, s in enumerate(self.stages) if isinstance(s, Estimator)), default=-1)
        fitted: list[MLFunc] = []
        tables: tuple[DataStream, ...] = streams
        for i, stage in enumerate(self.stages):
            model = stage.fit(*tables) if isinstance(stage, Estimator) else stage
            if not isinstance(model, MLFunc):
                raise TypeError(f"Pipeline: {stage.stage_name}.fit returned {type(model).__name__}, not a Transformer")
            fitted.append(model)
            if i < last:
                tables = model.transform(*tables)
        return PipelineModel(fitted)

    def _save_params(self) -> dict[str, Any]:
        return {}

    def _children(self) -> list[Stage]:
        return list(self.stages)

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        return cls(children)
