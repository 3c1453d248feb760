"""GraphBuilder: wires stages through TableIds and builds a Graph or a GraphModel."""

from __future__ import annotations

from collections.abc import Sequence

from ._graph import Graph, GraphModel
from ._stage import Estimator, MLFunc, Stage, Transformer
from ._wiring import Node, TableId, Wiring


class GraphBuilder:
    """Builds a :class:`Graph` or :class:`GraphModel` from stages wired by TableIds.

    Examples:
        >>> import headrace as hr
        >>> b = hr.ml.GraphBuilder()
        >>> x = b.create_table_id("x")
        >>> scaled = b.get_outputs(hr.ml.StandardScaler(["v"]), x)[0]
        >>> graph = b.build([x], [scaled])
        >>> model = graph.fit({"v": [1.0, 3.0]})
        >>> model.transform({"v": [5.0]})[0].collect()["v"].to_pylist()
        [3.0]

    Every stage may be added once. ``get_outputs`` returns ``max_output_length`` TableIds
    (default 20), of which a stage fills as many as it returns tables; use the first ones.
    They are named ``"<stage name>.output<k>"`` (``"StandardScaler_2.output0"`` for a second
    StandardScaler), the names ``execute`` and ``materialize`` know them by.
    """

    def __init__(self) -> None:
        self._count = 0
        self._ids: set[TableId] = set()
        self._nodes: list[Node] = []
        self._max_output_length = 20
        self._prefixes: dict[int, str] = {}  # id(stage) -> the unique start of its table names

    def set_max_output_length(self, n: int) -> None:
        """How many output TableIds (and state stream TableIds) later calls hand out per stage."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"GraphBuilder: max_output_length must be a positive integer, got {n!r}")
        self._max_output_length = n

    def create_table_id(self, name: str | None = None) -> TableId:
        """A new TableId, e.g. for a graph input."""
        self._count += 1
        table = TableId(self._count, name)
        self._ids.add(table)
        return table

    def _new_ids(self, what: str, stage: Stage) -> tuple[TableId, ...]:
        """Named ``<stage name>.<what><k>``; later stages of the same name get ``_2``, ``_3``...
        after it, so every name is unique (hr.io's execute and materialize address tables by name)."""
        if id(stage) not in self._prefixes:
            taken = set(self._prefixes.values())
            prefix, k = stage.stage_name, 1
            while prefix in taken:
                k += 1
                prefix = f"{stage.stage_name}_{k}"
            self._prefixes[id(stage)] = prefix
        prefix = self._prefixes[id(stage)]
        return tuple(self.create_table_id(f"{prefix}.{what}{k}") for k in range(self._max_output_length))

    def _check_ids(self, ids: Sequence[TableId], where: str) -> tuple[TableId, ...]:
        if isinstance(ids, TableId):
            raise TypeError(f"GraphBuilder: {where} must be a list of TableIds, not one TableId")
        ids = tuple(ids)
        for t in ids:
            if t not in self._ids:
                raise TypeError(f"GraphBuilder: {t!r} in {where} is not a TableId of this builder")
        return ids

    def _node(self, stage: Stage) -> Node:
        for node in self._nodes:
            if node.stage is stage:
                return node
        raise ValueError(f"GraphBuilder: stage {stage.stage_name} was not added (call get_outputs first)")

    def get_outputs(self, stage: Stage, *inputs: TableId, estimator_inputs: Sequence[TableId] | None = None,
                    transformer_inputs: Sequence[TableId] | None = None) -> tuple[TableId, ...]:
        """Adds ``stage`` reading ``inputs`` and returns its output TableIds. An Estimator
        may read different tables for fitting and for transforming: pass
        ``estimator_inputs`` and ``transformer_inputs`` instead of ``inputs``."""
        if any(node.stage is stage for node in self._nodes):
            raise ValueError(f"GraphBuilder: stage {stage.stage_name} was already added; a stage may be added once")
        split = estimator_inputs is not None or transformer_inputs is not None
        if split and inputs:
            raise TypeError("GraphBuilder.get_outputs: pass inputs, or estimator_inputs and transformer_inputs, "
                            "not both")
        if split and (estimator_inputs is None or transformer_inputs is None):
            raise TypeError("GraphBuilder.get_outputs: estimator_inputs and transformer_inputs go together")
        if isinstance(stage, Estimator):
            fit_ids = self._check_ids(estimator_inputs if split else inputs, f"the inputs of {stage.stage_name}")  # type: ignore[arg-type]
        elif isinstance(stage, MLFunc):
            if split:
                raise TypeError(f"GraphBuilder: {stage.stage_name} is not an Estimator, "
                                "so it takes no estimator_inputs")
            fit_ids = None
        else:
            raise TypeError(f"GraphBuilder: {type(stage).__name__} is not a Stage (an Estimator or an MLFunc)")
        use_ids = self._check_ids(transformer_inputs if split else inputs, f"the inputs of {stage.stage_name}")  # type: ignore[arg-type]
        node = Node(stage, fit_ids, use_ids, self._new_ids("output", stage))
        self._nodes.append(node)
        return node.outputs

    def set_state_streams(self, stage: Stage, *inputs: TableId) -> None:
        """Feeds ``inputs`` to the state streams of ``stage`` (a Transformer, or an
        Estimator: then its fitted model); at most once per stage."""
        node = self._node(stage)
        if not isinstance(stage, (Transformer, Estimator)):
            raise TypeError(f"GraphBuilder: {stage.stage_name} is not a Transformer or Estimator; "
                            "it has no state streams")
        if node.state_inputs is not None:
            raise ValueError(f"GraphBuilder: the state streams of {stage.stage_name} are already set")
        node.state_inputs = self._check_ids(inputs, f"the state streams of {stage.stage_name}")

    def get_state_streams(self, stage: Stage) -> tuple[TableId, ...]:
        """TableIds of the state streams of ``stage`` (or of its fitted model)."""
        node = self._node(stage)
        if not isinstance(stage, (Transformer, Estimator)):
            raise TypeError(f"GraphBuilder: {stage.stage_name} is not a Transformer or Estimator; "
                            "it has no state streams")
        if node.state_outputs is None:
            node.state_outputs = self._new_ids("state", stage)
        return node.state_outputs

    def build(self, inputs: Sequence[TableId] | None = None, outputs: Sequence[TableId] = (),
              input_states: Sequence[TableId] = (), output_states: Sequence[TableId] = (), *,
              estimator_inputs: Sequence[TableId] | None = None,
              transformer_inputs: Sequence[TableId] | None = None) -> Graph:
        """A :class:`Graph` (an Estimator). ``inputs`` serve both for fitting and for the
        fitted model; or give ``estimator_inputs`` and ``transformer_inputs`` apart."""
        if (inputs is None) == (estimator_inputs is None and transformer_inputs is None):
            raise TypeError("GraphBuilder.build: pass inputs, or estimator_inputs and transformer_inputs")
        fit_ids = estimator_inputs if inputs is None else inputs
        use_ids = transformer_inputs if inputs is None else inputs
        if fit_ids is None or use_ids is None:
            raise TypeError("GraphBuilder.build: estimator_inputs and transformer_inputs go together")
        return Graph(self._wiring(fit_ids, use_ids, outputs, input_states, output_states))

    def build_model(self, inputs: Sequence[TableId], outputs: Sequence[TableId],
                    input_states: Sequence[TableId] = (), output_states: Sequence[TableId] = ()) -> GraphModel:
        """A :class:`GraphModel` (a Transformer); every stage must be an MLFunc, not an Estimator."""
        for node in self._nodes:
            if isinstance(node.stage, Estimator):
                raise TypeError(f"GraphBuilder.build_model: {node.stage.stage_name} is an Estimator; a GraphModel "
                                "holds only Transformers (use build for a Graph, then fit it)")
        return GraphModel(self._wiring((), inputs, outputs, input_states, output_states))

    def _wiring(self, fit_ids: Sequence[TableId], use_ids: Sequence[TableId], outputs: Sequence[TableId],
                input_states: Sequence[TableId], output_states: Sequence[TableId]) -> Wiring:
        groups = {"estimator_inputs": fit_ids, "inputs": use_ids, "outputs": outputs,
                  "input_states": input_states, "output_states": output_states}
        for label, ids in groups.items():
            self._check_ids(ids, f"the graph's {label}")
        nodes = [Node(n.stage, n.estimator_inputs, n.transformer_inputs, n.outputs, n.state_inputs,
                      n.state_outputs) for n in self._nodes]
        return Wiring(nodes, *(tuple(ids) for ids in groups.values()))
