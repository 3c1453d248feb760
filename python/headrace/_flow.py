"""hr.Flow: a graph of steps joined by streams, with merges, routing and loops."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import _diagram, _flow_plan, _plan
from ._flow_graph import Graph, flow_nodes
from ._stats import RunStats
from ._steps import Source, StepLike, _check_count
from ._stream import Stream

_RUN_SINK_SIZE = 1024


class FlowResults(dict[str, list[Any]]):
    """What :meth:`Flow.run` returns: each output stream's name -> its items, also indexed
    by the :class:`Stream` object itself.

    Examples:
        >>> out = Stream("out")
        >>> results = FlowResults({"out": [1, 2]}, {out: "out"})
        >>> results[out] == results["out"] == [1, 2]
        True
    """

    def __init__(self, items: dict[str, list[Any]], names: dict[Stream, str]) -> None:
        super().__init__(items)
        self._names = dict(names)

    def _key(self, key: Any) -> Any:
        return self._names.get(key, key) if isinstance(key, Stream) else key

    def __getitem__(self, key: Any) -> list[Any]:
        return super().__getitem__(self._key(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._key(key), default)


class Flow:
    """Steps joined by :class:`Stream` objects: a step may read several streams (zip) and
    write several (routing), several steps may write one stream (merge), a stream no step
    reads is an output, and a step may write a stream that an upstream step reads (a loop).

    Args:
        steps: :class:`Source` and :class:`Step` objects with their ``inputs`` and
            ``outputs``.
        queue_size: default capacity of the queue in front of each step.
        ordered: a step with several workers that reads one stream from one writer keeps
            its outputs in input order. Merged, seeded and looping streams have no order
            to keep.
        until: ``until(stream_name, item)`` is called for every item that reaches an output;
            once it returns True the flow stops as if a step raised :class:`StopFlow` (the
            items already on their way are still delivered).

    A flow runs until every step has seen the end of its inputs. A loop never ends by
    itself: a step raises :class:`StopFlow`, or ``until`` becomes true; then the sources
    stop, the loops' back edges close and the flow ends normally.

    Examples:
        >>> import headrace as hr
        >>> a, b, out = hr.Stream("a"), hr.Stream("b"), hr.Stream("out")
        >>> a.put(0); b.put(1)
        >>> def fib(x, y):
        ...     if x > 20:
        ...         raise hr.StopFlow
        ...     return y, x + y, x
        >>> hr.Flow([hr.Step(fib, inputs=[a, b], outputs=[a, b, out])]).run()
        {'out': [0, 1, 1, 2, 3, 5, 8, 13]}
    """

    def __init__(self, steps: Sequence[Source | StepLike], queue_size: int = 16,
                 ordered: bool = True, until: Callable[[str, Any], bool] | None = None) -> None:
        _check_count(queue_size, "queue_size", "flow")
        if until is not None and not callable(until):
            raise TypeError(f"flow: until must be callable, got {type(until).__name__}")
        self.graph = Graph(flow_nodes(steps))
        self.queue_size = queue_size
        self.ordered = ordered
        self.until = until
        self._stats = RunStats()
        self._live: Any = None

    @classmethod
    def _of(cls, graph: Graph, queue_size: int, ordered: bool) -> Flow:
        """A flow of an already built graph (hr.Pipeline's one segment)."""
        flow = cls.__new__(cls)
        flow.graph, flow.queue_size, flow.ordered, flow.until = graph, queue_size, ordered, None
        flow._stats, flow._live = RunStats(), None
        return flow

    def __repr__(self) -> str:
        names = ", ".join(node.name for node in self.graph.nodes)
        return f"Flow([{names}], outputs={self.outputs})"

    @property
    def outputs(self) -> list[str]:
        """The names of the output streams (the streams no step reads)."""
        return [self.graph.names[s] for s in self.graph.outputs]

    # ---- running ----------------------------------------------------------------------

    def run(self) -> FlowResults:
        """Runs the flow to the end; returns each output stream's name -> the items that
        reached it (a dict that also takes the :class:`Stream` itself as a key). Raises
        :class:`PipelineError` if a step fails (``__cause__`` is the original exception);
        ``KeyboardInterrupt`` cancels the run."""
        results: dict[str, list[Any]] = {name: [] for name in self.outputs}
        names = self.outputs
        sink_size = max(self.queue_size, _RUN_SINK_SIZE)
        for index, item in self._tagged(sink_size, wake_for=sink_size // 2):
            results[names[index]].append(item)
        return FlowResults(results, {s: self.graph.names[s] for s in self.graph.outputs})

    def iter(self, stream: Stream | str | None = None) -> Iterator[Any]:
        """Yields the items of one output stream as they come (the only output when
        ``stream`` is None); the other outputs' items are dropped. Back-pressured by the
        consumer; leaving the loop early cancels the run."""
        wanted = self._output_index(stream)
        for index, item in self._tagged(self.queue_size, wake_for=1):
            if index == wanted:
                yield item

    def _output_index(self, stream: Stream | str | None) -> int:
        names = self.outputs
        if stream is None:
            if len(names) != 1:
                raise ValueError(f"this flow has outputs {names}: say which one, iter(stream)")
            return 0
        name = self.graph.names.get(stream) if isinstance(stream, Stream) else stream
        if name not in names:
            raise ValueError(f"{stream!r} is not an output of this flow; its outputs are {names}")
        return names.index(name)

    def _tagged(self, sink_size: int, wake_for: int) -> Iterator[tuple[int, Any]]:
        run = _flow_plan.build_run(self.graph, self.queue_size, self.ordered, sink_size)
        until, names = self.until, self.outputs
        self._live = run
        try:
            for index, item in _plan.drive(run, wake_for, tagged=True):
                yield index, item
                if until is not None and until(names[index], item):
                    run.stop()
        finally:
            self._stats = RunStats.from_native(run.stats(), self.chains())
            self._live = None

    # ---- looking at it ----------------------------------------------------------------

    def chains(self) -> dict[str, str]:
        """Step name -> the first step of the fused chain it runs in."""
        heads: dict[str, str] = {}
        for segment in self.graph.segments:
            steps = [n.step for n in segment if not isinstance(n.step, Source)]
            names = [n.name for n in segment if not isinstance(n.step, Source)]
            heads.update(_plan.chain_heads(steps, names))  # type: ignore[arg-type]
        return heads

    @property
    def stats(self) -> RunStats:
        """Per step: items in and out, busy and waiting seconds, queue high-water mark; of
        the run in progress, else of the last run."""
        live = self._live
        return RunStats.from_native(live.stats(), self.chains()) if live is not None else self._stats

    def diagram(self, path: str | None = None) -> str:
        """The flow as Graphviz DOT text: steps as nodes, streams as labelled edges (loop
        edges dashed); with ``path`` also rendered there (see :meth:`Pipeline.diagram`)."""
        dot = _diagram.flow_dot(self.graph)
        if path is not None:
            _diagram.render(dot, path)
        return dot
