"""hr.ml graphs as named values for execute and materialize: a value is the table of a
TableId with that name (a graph input, a stage output such as "StandardScaler.output0",
or a state stream). A GraphModel is evaluated lazily (only the stages a requested table
reads from transform); a Graph is first fitted on its estimator inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headrace._datastream import DataStream
from headrace.ml._graph import Graph, GraphModel
from headrace.ml._graph_run import GraphRun
from headrace.ml._stage import Transformer
from headrace.ml._tables import as_stream
from headrace.ml._wiring import TableId, Wiring

if TYPE_CHECKING:
    import pyarrow as pa


def _named(wiring: Wiring) -> dict[str, list[TableId]]:
    found: dict[str, list[TableId]] = {}
    groups = [wiring.estimator_inputs, wiring.transformer_inputs, wiring.outputs, wiring.input_states,
              wiring.output_states]
    for n in wiring.nodes:
        groups += [tuple(n.reads()), n.outputs, n.state_outputs or ()]
    for group in groups:
        for t in group:
            if t.name and t not in found.setdefault(t.name, []):
                found[t.name].append(t)
    return found


class GraphNodes:
    """A Graph or GraphModel as the Nodes of ``_run``."""

    def __init__(self, graph: Graph | GraphModel) -> None:
        self.graph = graph
        self.owner = graph.stage_name
        self.ids = _named(graph.wiring)

    def table_id(self, name: str) -> TableId:
        found = self.ids.get(name, [])
        if not found:
            raise ValueError(f"{self.owner}: no table named {name!r} (tables in use: {', '.join(self._wired())})")
        if len(found) > 1:
            raise ValueError(f"{self.owner}: {len(found)} tables are named {name!r}; give them distinct names")
        return found[0]

    def _wired(self) -> list[str]:
        """The names of the graph's inputs and outputs and of the tables its stages read."""
        w = self.graph.wiring
        tables = [*w.estimator_inputs, *w.transformer_inputs, *w.input_states, *w.outputs, *w.output_states]
        tables += [t for n in w.nodes for t in n.reads()]
        return sorted({t.name for t in tables if t.name})

    def needed(self, names: Sequence[str], provided: set[str]) -> set[str]:
        wiring = self.graph.wiring
        found: set[TableId] = set()
        todo = [self.table_id(n) for n in names]
        if isinstance(self.graph, Graph):  # fitting reads every estimator input
            todo += list(wiring.estimator_inputs)
        while todo:
            t = todo.pop()
            if t in found:
                continue
            found.add(t)
            if t.name in provided or t not in wiring.producers:
                continue
            node = wiring.nodes[wiring.producers[t][0]]
            todo += [*node.transformer_inputs, *(node.state_inputs or ())]
        return {t.name for t in found if t.name}

    def _bind(self, values: Mapping[str, Any], strict: bool) -> dict[TableId, DataStream]:
        bound = {}
        for name, value in values.items():
            if name in self.ids or strict:
                bound[self.table_id(name)] = as_stream(value, self.owner)
        return bound

    def compute(self, names: Sequence[str], inputs: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        tables = {**self._bind(inputs, strict=False), **self._bind(overrides, strict=True)}
        model = self.graph
        if isinstance(model, Graph):
            model = model.fit(*(self._input(t, tables) for t in model.wiring.estimator_inputs))
        states = dict(zip(model.wiring.input_states, Transformer.get_state_streams(model)))
        run = GraphRun(model.wiring, {**states, **tables}, {}, self.owner)
        return {name: run.table(self.table_id(name)) for name in names}

    def _input(self, t: TableId, tables: Mapping[TableId, DataStream]) -> DataStream:
        if t not in tables:
            raise ValueError(f"{self.owner}: fitting needs the estimator input {t!r}; pass it in inputs= by its name")
        return tables[t]

    def load_type(self, name: str, types: list[type]) -> type:
        return DataStream if DataStream in types else types[0]

    def result(self, value: Any) -> pa.Table:
        return value.collect() if isinstance(value, DataStream) else value
