"""Evaluating a graph's tables on demand: a table is made when something asks for it, from
its stage's model (fitted, and given its state streams) and that stage's transform. Tables
are lazy DataStreams, so evaluating only composes plans; they run when a sink (or an
Estimator's fit) asks for rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._stage import Estimator, MLFunc, Transformer
from ._wiring import TableId, Wiring

if TYPE_CHECKING:
    from .._datastream import DataStream


class GraphRun:
    """One evaluation of a graph: ``tables`` holds the tables bound so far (the inputs),
    ``models`` the fitted model of each Estimator node."""

    def __init__(self, wiring: Wiring, tables: dict[TableId, DataStream], models: dict[int, MLFunc],
                 owner: str) -> None:
        self.wiring = wiring
        self.tables = dict(tables)
        self.models = models
        self.owner = owner
        self._ready: dict[int, MLFunc] = {}
        self._transformed: set[int] = set()

    def table(self, t: TableId) -> DataStream:
        if t not in self.tables:
            if t not in self.wiring.producers:
                raise ValueError(f"{self.owner}: {t!r} is a graph input that has no table here "
                                 "(a transformer input is not available while fitting, nor a data input "
                                 "outside transform)")
            i, kind, k = self.wiring.producers[t]
            if kind == "state":
                self._export_states(i)
            else:
                self._transform(i)
            if t not in self.tables:
                produced = "state streams" if kind == "state" else "tables"
                raise ValueError(f"{self.owner}: stage {i} ({self.wiring.nodes[i].stage.stage_name}) returned fewer "
                                 f"{produced} than {k + 1}, so {t!r} has none")
        return self.tables[t]

    def tables_of(self, ids: tuple[TableId, ...]) -> tuple[DataStream, ...]:
        return tuple(self.table(t) for t in ids)

    def model(self, i: int) -> MLFunc:
        """Node ``i``'s transformer: the stage itself or its fitted model, with the node's
        state streams set on a copy."""
        if i not in self._ready:
            node = self.wiring.nodes[i]
            model: Any = self.models[i] if isinstance(node.stage, Estimator) else node.stage
            if node.state_inputs is not None:
                if not isinstance(model, Transformer):
                    raise TypeError(f"{self.owner}: stage {i} ({model.stage_name}) is not a Transformer and "
                                    "takes no state streams")
                model = model._with_state_streams(self.tables_of(node.state_inputs))
            self._ready[i] = model
        return self._ready[i]

    def _transform(self, i: int) -> None:
        if i in self._transformed:
            return
        self._transformed.add(i)
        node = self.wiring.nodes[i]
        model = self.model(i)
        outputs = model.transform(*self.tables_of(node.transformer_inputs))
        if len(outputs) > len(node.outputs):
            raise ValueError(f"{self.owner}: stage {i} ({model.stage_name}) returned {len(outputs)} tables, more than "
                             f"the graph's max_output_length {len(node.outputs)}")
        self.tables.update(zip(node.outputs, outputs))

    def _export_states(self, i: int) -> None:
        node = self.wiring.nodes[i]
        model = self.model(i)
        states = model.get_state_streams() if isinstance(model, Transformer) else ()
        if len(states) > len(node.state_outputs or ()):
            raise ValueError(f"{self.owner}: stage {i} ({model.stage_name}) has {len(states)} state streams, more than "
                             f"the graph's max_output_length {len(node.state_outputs or ())}")
        self.tables.update(zip(node.state_outputs or (), states))
