"""headrace.ml: Estimators, Transformers, Pipelines and Graphs of stages over DataStreams
(Flink ML's API in Python naming), with save/load that never unpickles.

Examples:
    >>> import headrace as hr
    >>> model = hr.ml.Pipeline([hr.ml.StandardScaler(["x"])]).fit({"x": [0.0, 2.0]})
    >>> model.transform({"x": [4.0]})[0].collect()["x"].to_pylist()
    [3.0]
"""

from ._builder import GraphBuilder
from ._format import FormatError, load_stage
from ._graph import Graph, GraphModel
from ._linreg import LinearRegression, LinearRegressionModel
from ._online import OnlineMean, OnlineMeanModel, update_schema
from ._pipeline import Pipeline, PipelineModel
from ._scaler import StandardScaler, StandardScalerModel
from ._stage import Estimator, MLFunc, Stage, Transformer
from ._wiring import TableId

load = load_stage
"""``hr.ml.load(path)``: reads a stage written by ``stage.save(path)``, whatever its class."""

__all__ = [
    "Estimator",
    "FormatError",
    "Graph",
    "GraphBuilder",
    "GraphModel",
    "LinearRegression",
    "LinearRegressionModel",
    "MLFunc",
    "OnlineMean",
    "OnlineMeanModel",
    "Pipeline",
    "PipelineModel",
    "Stage",
    "StandardScaler",
    "StandardScalerModel",
    "TableId",
    "Transformer",
    "load",
    "update_schema",
]
