"""The shape of a flow: its steps and streams, checked, with its loops found and its
steps grouped into segments (runs of steps joined by private streams)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._steps import Parallel, Source, Step
from ._stream import Stream


@dataclass(eq=False)
class Node:
    """One step of a flow (a Source, a Step or a Parallel) with its streams."""

    step: Source | Step | Parallel
    name: str
    inputs: list[Stream]
    outputs: list[Stream]


@dataclass
class Graph:
    """A checked flow graph.

    ``writers[s]``: the (node, output index) pairs writing stream s; ``reader[s]``: the
    (node, input index) reading it, absent for an output of the flow; ``loop_back``: the
    (writer node, stream) edges that close a cycle (a depth-first search's back edges:
    without them the graph has no cycle); ``segments``: the nodes, grouped in runs that
    run as one linear segment."""

    nodes: list[Node]
    names: dict[Stream, str] = field(default_factory=dict)
    writers: dict[Stream, list[tuple[Node, int]]] = field(default_factory=dict)
    reader: dict[Stream, tuple[Node, int]] = field(default_factory=dict)
    outputs: list[Stream] = field(default_factory=list)
    loop_back: set[tuple[int, int]] = field(default_factory=set)
    segments: list[list[Node]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._connect()
        self._find_loops()
        self._segment()

    # ---- streams ------------------------------------------------------------------------

    def _connect(self) -> None:
        for node in self.nodes:
            for i, s in enumerate(node.outputs):
                self.writers.setdefault(s, []).append((node, i))
                self._name(s, node.name if len(node.outputs) == 1 else f"{node.name}:{i}")
            for i, s in enumerate(node.inputs):
                if s in self.reader:
                    other = self.reader[s][0].name
                    raise ValueError(
                        f"stream '{self._name(s, node.name)}' is read by steps '{other}' and "
                        f"'{node.name}': a stream has one reader (give the writer one output per reader)")
                self.reader[s] = (node, i)
        for s, (node, i) in self.reader.items():
            name = self._name(s, f"{node.name}:in" if len(node.inputs) == 1 else f"{node.name}:in{i}")
            if s not in self.writers and not s.seeds:
                raise ValueError(f"stream '{name}' is read by step '{node.name}', but no step "
                                 "writes it and it is not seeded (Stream.put)")
        self.outputs = [s for s in self.writers if s not in self.reader]
        for s in self.outputs:
            if s.seeds:
                raise ValueError(f"stream '{self.names[s]}' is seeded but no step reads it")
        seen: dict[str, Stream] = {}
        for s, name in self.names.items():
            if name in seen and seen[name] is not s:
                raise ValueError(f"two streams are named '{name}'; stream names must be unique")
            seen[name] = s

    def _name(self, s: Stream, default: str) -> str:
        """The stream's name: its own, else one derived from a step (made unique)."""
        if s not in self.names:
            name = s.name
            if name is None:
                taken = set(self.names.values())
                name, n = default, 2
                while name in taken:
                    name, n = f"{default}#{n}", n + 1
            self.names[s] = name
        return self.names[s]

    # ---- loops --------------------------------------------------------------------------

    def _find_loops(self) -> None:
        """Marks back edges of a depth-first search from every node, in flow order."""
        state: dict[int, str] = {}  # id(node) -> "open" (on the path) or "done"
        for root in self.nodes:
            if id(root) in state:
                continue
            state[id(root)] = "open"
            stack = [(root, iter(self._edges(root)))]
            while stack:
                node, edges = stack[-1]
                for s, reader in edges:
                    seen = state.get(id(reader))
                    if seen == "open":
                        self.loop_back.add((id(node), id(s)))
                    elif seen is None:
                        state[id(reader)] = "open"
                        stack.append((reader, iter(self._edges(reader))))
                        break
                else:
                    state[id(node)] = "done"
                    stack.pop()

    def _edges(self, node: Node) -> list[tuple[Stream, Node]]:
        return [(s, self.reader[s][0]) for s in node.outputs if s in self.reader]

    def is_loop_back(self, writer: Node, s: Stream) -> bool:
        return (id(writer), id(s)) in self.loop_back

    # ---- segments -----------------------------------------------------------------------

    def _next_in_segment(self, node: Node) -> Node | None:
        """The node that runs fused after ``node``: it reads ``node``'s only output, which is
        private (one writer, not seeded, not a loop edge, no queue size of its own), and
        that is its only input."""
        if len(node.outputs) != 1:
            return None
        s = node.outputs[0]
        if s not in self.reader or len(self.writers[s]) != 1 or s.seeds or s.queue_size is not None:
            return None
        if self.is_loop_back(node, s):
            return None
        reader, _ = self.reader[s]
        return reader if len(reader.inputs) == 1 and not isinstance(reader.step, Source) else None

    def _segment(self) -> None:
        follows = {id(n) for node in self.nodes if (n := self._next_in_segment(node)) is not None}
        for node in self.nodes:
            if id(node) in follows:
                continue
            segment = [node]
            while (nxt := self._next_in_segment(segment[-1])) is not None:
                segment.append(nxt)
            self.segments.append(segment)


def flow_nodes(steps: Sequence[Any]) -> list[Node]:
    """Nodes for the steps given to ``hr.Flow``, with their names made unique."""
    from ._plan import unique_names
    from ._steps import as_step

    nodes = []
    converted = [s if isinstance(s, Source) else as_step(s) for s in steps]
    for step, name in zip(converted, unique_names(converted)):  # type: ignore[arg-type]
        if isinstance(step, Parallel):
            raise TypeError(f"parallel '{name}': use hr.Parallel inside a step list of an "
                            "hr.Pipeline; in a flow, give each branch its own output stream")
        if isinstance(step, Source):
            nodes.append(Node(step, name, [], list(step.outputs or [Stream()])))
            continue
        if not step.inputs:
            raise ValueError(f"step '{name}' has no inputs: a flow step reads streams (inputs=[...])")
        if len(step.inputs) > 1 and step.processes:
            raise ValueError(f"step '{name}' reads {len(step.inputs)} streams, which needs it "
                             "in this process (processes=False)")
        if len(step.inputs) > 1 and step.workers > 1:
            raise ValueError(f"step '{name}' reads {len(step.inputs)} streams and pairs their "
                             "items in arrival order, so it runs one worker (workers=1)")
        outputs = step.outputs if step.outputs is not None else [Stream()]
        nodes.append(Node(step, name, list(step.inputs), list(outputs)))
    return nodes
