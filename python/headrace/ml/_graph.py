"""Graph (an Estimator) and GraphModel (a Transformer): DAGs of stages wired by TableIds,
made by :class:`GraphBuilder`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._graph_run import GraphRun
from ._stage import Estimator, MLFunc, Stage, Transformer
from ._tables import check_count
from ._wiring import Node, TableId, Wiring

if TYPE_CHECKING:
    import pyarrow as pa

    from .._datastream import DataStream


def _propagate_schemas(wiring: Wiring, inputs: tuple[TableId, ...], schemas: tuple[pa.Schema, ...],
                       owner: str) -> tuple[pa.Schema, ...]:
    """The output schemas, from each stage's ``transform_schemas`` in the order the stages
    were added (which is a topological order of their data inputs)."""
    check_count(schemas, len(inputs), owner, "input schemas")
    known: dict[TableId, pa.Schema] = dict(zip(inputs, schemas))
    for node in wiring.nodes:
        if all(t in known for t in node.transformer_inputs):
            outputs = node.stage.transform_schemas(*(known[t] for t in node.transformer_inputs))
            known.update(zip(node.outputs, outputs))
    missing = [t for t in wiring.outputs if t not in known]
    if missing:
        raise ValueError(f"{owner}: no schema for outputs {missing} (they depend on state streams or on "
                         "outputs a stage does not return)")
    return tuple(known[t] for t in wiring.outputs)


class _GraphStage(Stage):
    """What Graph and GraphModel share: the wiring, and saving it as JSON."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        wiring.index_producers(type(self).__name__)

    def _save_params(self) -> dict[str, Any]:
        return {"wiring": self.wiring.to_json()}

    def _children(self) -> list[Stage]:
        return [n.stage for n in self.wiring.nodes]

    def execute(self, outputs: Iterable[str], inputs: Mapping[str, Any] | None = None,
                overrides: Mapping[str, Any] | None = None) -> dict[str, pa.Table]:
        """The tables named ``outputs`` (names of TableIds: graph inputs, stage outputs
        such as ``"StandardScaler.output0"``, state streams), computed from ``inputs`` (tables
        by TableId name); ``overrides`` replace any named table. Only the stages those
        tables read run; a Graph is fitted first. See ``hr.io``."""
        from ..io._ml import GraphNodes
        from ..io._run import execute

        return execute(GraphNodes(self), outputs, inputs, overrides)

    def materialize(self, *loaders_and_savers: Any, outputs: Iterable[str] = (),
                    inputs: Mapping[str, Any] | None = None, overrides: Mapping[str, Any] | None = None,
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, pa.Table]]:
        """Like ``execute``, with ``hr.io.from_`` loaders feeding named tables and
        ``hr.io.to`` savers writing them, atomically (see ``hr.io``). Returns (metadata
        by saver id, the tables named ``outputs``)."""
        from ..io._ml import GraphNodes
        from ..io._run import materialize

        return materialize(GraphNodes(self), loaders_and_savers, outputs, inputs, overrides)

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        try:
            wiring = Wiring.from_json(params["wiring"], children)
        except (KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"graph wiring is malformed ({type(e).__name__}: {e})") from None
        return cls(wiring)


class GraphModel(_GraphStage, Transformer):
    """A DAG of Transformers (and other MLFuncs), made by ``GraphBuilder.build_model`` or by
    fitting a :class:`Graph`. ``transform`` composes the stages' lazy outputs, so branches
    become one plan when their outputs are consumed together, and independent branches run
    concurrently on the runtime. Its state streams feed the graph's ``input_states``;
    ``get_state_streams`` returns its ``output_states``."""

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return _propagate_schemas(self.wiring, self.wiring.transformer_inputs, schemas, self.stage_name)

    def _check_state_stream_count(self, count: int) -> None:
        if count != len(self.wiring.input_states):
            raise ValueError(f"{self.stage_name}: takes {len(self.wiring.input_states)} state streams "
                             f"(its input_states), got {count}")

    def _bound_states(self) -> dict[TableId, DataStream]:
        states = super().get_state_streams()
        if self.wiring.input_states and not states:
            raise RuntimeError(f"{self.stage_name}: its input_states have no tables; call set_state_streams first")
        return dict(zip(self.wiring.input_states, states))

    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        check_count(streams, len(self.wiring.transformer_inputs), self.stage_name)
        tables = {**self._bound_states(), **dict(zip(self.wiring.transformer_inputs, streams))}
        return GraphRun(self.wiring, tables, {}, self.stage_name).tables_of(self.wiring.outputs)

    def get_state_streams(self) -> tuple[DataStream, ...]:
        """The graph's ``output_states``: state streams of its stages, or tables made from
        its input states (a table that needs a data input is available only in transform)."""
        if not self.wiring.output_states:
            return ()
        return GraphRun(self.wiring, self._bound_states(), {}, self.stage_name).tables_of(self.wiring.output_states)


class Graph(_GraphStage, Estimator):
    """A DAG of Estimators and Transformers, made by ``GraphBuilder.build``. ``fit`` fits
    every Estimator on the tables that reach it (Estimators that do not depend on each
    other fit concurrently) and returns the :class:`GraphModel` in which each Estimator is
    replaced by its fitted model, reading the graph's transformer inputs."""

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        """Output schemas for the schemas of the graph's transformer inputs."""
        return _propagate_schemas(self.wiring, self.wiring.transformer_inputs, schemas, self.stage_name)

    def _fit(self, *streams: DataStream) -> GraphModel:
        w = self.wiring
        check_count(streams, len(w.estimator_inputs), self.stage_name)
        estimators = {i for i, n in enumerate(w.nodes) if isinstance(n.stage, Estimator)}
        needs = {i: w.upstream(w.nodes[i].estimator_inputs or ()) & estimators for i in estimators}
        models: dict[int, MLFunc] = {}
        run = GraphRun(w, dict(zip(w.estimator_inputs, streams)), models, self.stage_name)
        while len(models) < len(estimators):
            wave = sorted(i for i in estimators - set(models) if needs[i] <= set(models))
            inputs = [run.tables_of(w.nodes[i].estimator_inputs or ()) for i in wave]
            with ThreadPoolExecutor(max_workers=len(wave)) as pool:
                fitted = list(pool.map(lambda i, ins: w.nodes[i].stage.fit(*ins), wave, inputs))  # type: ignore[union-attr]
            for i, model in zip(wave, fitted):
                if not isinstance(model, Transformer):
                    raise TypeError(f"{self.stage_name}: {w.nodes[i].stage.stage_name}.fit returned "
                                    f"{type(model).__name__}, not a Transformer")
                models[i] = model
        nodes = [Node(models.get(i, n.stage), None, n.transformer_inputs, n.outputs, n.state_inputs,
                      n.state_outputs) for i, n in enumerate(w.nodes)]
        return GraphModel(Wiring(nodes, (), w.transformer_inputs, w.outputs, w.input_states, w.output_states))
