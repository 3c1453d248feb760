"""The wiring of a graph: table ids, nodes, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._stage import Stage


@dataclass(frozen=True, eq=False)
class TableId:
    """A table in a graph under construction: a graph input, or a stage's output or state
    stream. Made by :meth:`GraphBuilder.create_table_id` and ``get_outputs``."""

    index: int
    name: str | None = None

    def __repr__(self) -> str:
        return f"TableId({self.index}{', ' + repr(self.name) if self.name else ''})"


@dataclass
class Node:
    """A stage and the tables it reads and writes. ``estimator_inputs`` is None unless the
    stage is an Estimator; ``state_inputs`` is None until set; ``state_outputs`` is None
    until asked for."""

    stage: Stage
    estimator_inputs: tuple[TableId, ...] | None
    transformer_inputs: tuple[TableId, ...]
    outputs: tuple[TableId, ...]
    state_inputs: tuple[TableId, ...] | None = None
    state_outputs: tuple[TableId, ...] | None = None

    def reads(self) -> list[TableId]:
        return [*(self.estimator_inputs or ()), *self.transformer_inputs, *(self.state_inputs or ())]


@dataclass
class Wiring:
    """A built graph: its nodes in the order they were added, and its inputs and outputs."""

    nodes: list[Node]
    estimator_inputs: tuple[TableId, ...]
    transformer_inputs: tuple[TableId, ...]
    outputs: tuple[TableId, ...]
    input_states: tuple[TableId, ...] = ()
    output_states: tuple[TableId, ...] = ()
    producers: dict[TableId, tuple[int, str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The wiring without the stages (which are saved as child stages, in node order)."""
        ids = {t.index: t.name for t in self._all_ids() if t.name}

        def idx(ts: tuple[TableId, ...] | None) -> list[int] | None:
            return None if ts is None else [t.index for t in ts]

        return {
            "nodes": [{"estimator_inputs": idx(n.estimator_inputs), "transformer_inputs": idx(n.transformer_inputs),
                       "outputs": idx(n.outputs), "state_inputs": idx(n.state_inputs),
                       "state_outputs": idx(n.state_outputs)} for n in self.nodes],
            "estimator_inputs": idx(self.estimator_inputs), "transformer_inputs": idx(self.transformer_inputs),
            "outputs": idx(self.outputs), "input_states": idx(self.input_states),
            "output_states": idx(self.output_states), "names": {str(k): v for k, v in sorted(ids.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], stages: list[Stage]) -> Wiring:
        names = {int(k): v for k, v in data["names"].items()}
        made: dict[int, TableId] = {}

        def ids(values: list[int] | None) -> tuple[TableId, ...] | None:
            if values is None:
                return None
            for v in values:
                if not isinstance(v, int):
                    raise ValueError(f"graph wiring: table id {v!r} is not an integer")
            return tuple(made.setdefault(v, TableId(v, names.get(v))) for v in values)

        if len(data["nodes"]) != len(stages):
            raise ValueError(f"graph wiring has {len(data['nodes'])} nodes but {len(stages)} stages were saved")
        nodes = [Node(stage, ids(n["estimator_inputs"]), ids(n["transformer_inputs"]) or (),
                      ids(n["outputs"]) or (), ids(n["state_inputs"]), ids(n["state_outputs"]))
                 for n, stage in zip(data["nodes"], stages)]
        return cls(nodes, ids(data["estimator_inputs"]) or (), ids(data["transformer_inputs"]) or (),
                   ids(data["outputs"]) or (), ids(data["input_states"]) or (), ids(data["output_states"]) or ())

    def _all_ids(self) -> list[TableId]:
        found = [*self.estimator_inputs, *self.transformer_inputs, *self.outputs, *self.input_states,
                 *self.output_states]
        for n in self.nodes:
            found += [*n.reads(), *n.outputs, *(n.state_outputs or ())]
        return found

    def index_producers(self, owner: str) -> None:
        """Maps every table a stage writes to (node, "out" or "state", position), and
        checks that every table read is written by something, and that no stage reads
        a table that depends on its own output (a cycle)."""
        self.producers = {}
        for i, n in enumerate(self.nodes):
            for kind, ts in (("out", n.outputs), ("state", n.state_outputs or ())):
                for k, t in enumerate(ts):
                    self.producers[t] = (i, kind, k)
        sources = {*self.estimator_inputs, *self.transformer_inputs, *self.input_states}
        for i, n in enumerate(self.nodes):
            for t in n.reads():
                if t not in sources and t not in self.producers:
                    raise ValueError(f"{owner}: {t!r}, an input of stage {i} ({n.stage.stage_name}), is neither "
                                     "a graph input nor written by a stage of this graph")
        for t in [*self.outputs, *self.output_states]:
            if t not in sources and t not in self.producers:
                raise ValueError(f"{owner}: output {t!r} is neither a graph input nor written by a stage")
        self._check_acyclic(owner)

    def _check_acyclic(self, owner: str) -> None:
        state: dict[int, str] = {}

        def visit(i: int) -> None:
            if state.get(i) == "done":
                return
            if state.get(i) == "active":
                raise ValueError(f"{owner}: stage {i} ({self.nodes[i].stage.stage_name}) depends on its own output")
            state[i] = "active"
            for t in self.nodes[i].reads():
                if t in self.producers:
                    visit(self.producers[t][0])
            state[i] = "done"

        for i in range(len(self.nodes)):
            visit(i)

    def upstream(self, tables: tuple[TableId, ...]) -> set[int]:
        """The nodes that ``tables`` depend on (transitively)."""
        found: set[int] = set()
        todo = [t for t in tables if t in self.producers]
        while todo:
            j = self.producers[todo.pop()][0]
            if j not in found:
                found.add(j)
                todo += [t for t in self.nodes[j].reads() if t in self.producers]
        return found
