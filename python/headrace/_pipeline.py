"""hr.Pipeline: a linear chain of steps, run as a flow of one segment."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from . import _batching, _config, _diagram, _flow_plan, _plan
from ._flow import Flow
from ._flow_graph import Graph, Node
from ._stats import RunStats
from ._steps import Parallel, Source, Step, StepLike, _check_count, as_step
from ._stream import Stream

_RUN_SINK_SIZE = 1024


class Pipeline:
    """Steps connected by bounded native queues, each step running in its own threads.

    Items may be any Python objects. Every step runs concurrently with the others; a step
    with ``workers=n`` runs n instances. Native threads move the items and hold the GIL only
    while they call your code, so steps that release the GIL (numpy, pyarrow, polars) run
    truly in parallel.

    Args:
        steps: a list of steps; each a :class:`Step`, :class:`Parallel`, an
            :class:`Executor` or a callable. The first may be a :class:`Source`.
        queue_size: capacity of the queue in front of every step (the back-pressure).
        ordered: outputs in input order even with several workers; ``False`` emits each
            output as soon as it is ready.

    Examples:
        >>> import headrace as hr
        >>> pipe = hr.Pipeline([lambda x: x * 2, hr.Step(lambda x: x + 1, workers=2)])
        >>> pipe.run(range(5))
        [1, 3, 5, 7, 9]
        >>> batched = hr.Pipeline([lambda batch: [x * 2 for x in batch]])
        >>> batched.transform(list(range(6)), batch_size=4)   # steps see batches of 4, then 2
        [0, 2, 4, 6, 8, 10]
    """

    def __init__(self, steps: Sequence[Source | StepLike], queue_size: int = 16,
                 ordered: bool = True) -> None:
        _check_count(queue_size, "queue_size", "pipeline")
        steps = list(steps)
        self.source: Source | None = None
        if steps and isinstance(steps[0], Source):
            self.source = steps.pop(0)
        self.steps: list[Step | Parallel] = [as_step(s) for s in steps]
        self.names = _plan.unique_names(self.steps)
        self.queue_size = queue_size
        self.ordered = ordered
        self._chains = _plan.chain_heads(self.steps, self.names)
        self._stats = RunStats()
        self._live: Any = None

    def __repr__(self) -> str:
        parts = ([repr(self.source)] if self.source else []) + [repr(s) for s in self.steps]
        return f"Pipeline([{', '.join(parts)}], queue_size={self.queue_size}, ordered={self.ordered})"

    # ---- running ----------------------------------------------------------------------

    def _source_for(self, data: Any) -> Source:
        if data is None:
            if self.source is None:
                raise ValueError("this pipeline has no Source: pass the items, as run(data)")
            return self.source
        if self.source is not None:
            raise ValueError("this pipeline reads its own Source: call run() without data")
        if not hasattr(data, "__iter__"):
            raise TypeError(f"run(data): data must be iterable, got {type(data).__name__}")
        return _plan.iterable_source(data)

    def iter(self, data: Iterable[Any] | None = None, backend: str | None = None) -> Iterator[Any]:
        """Yields the last step's outputs as they come. The run is back-pressured by the
        consumer: if you stop reading, the steps stop once the queues are full. Leaving the
        loop early cancels the run (every executor's ``close`` still runs). ``backend``
        as for :meth:`run`."""
        return self._iterate(data, self.queue_size, wake_for=1, backend=backend)

    def _iterate(self, data: Iterable[Any] | None, sink_size: int, wake_for: int,
                 backend: str | None) -> Iterator[Any]:
        steps = self.steps
        if _config.backend(backend) == "ray":
            from ._ray_steps import on_ray

            steps = [on_ray(s, n) for s, n in zip(self.steps, self.names)]
        flow = self._flow(data, steps)
        run = _flow_plan.build_run(flow.graph, self.queue_size, self.ordered, sink_size)
        return self._drive(run, wake_for)

    def as_flow(self, data: Iterable[Any] | None = None) -> Flow:
        """The pipeline as the :class:`Flow` it runs as: its source and steps joined by
        private streams into one segment, whose last stream is the output ``"output"``
        (``data`` as for :meth:`run`)."""
        return self._flow(data, self.steps)

    def _flow(self, data: Iterable[Any] | None, steps: list[Step | Parallel]) -> Flow:
        source = self._source_for(data)
        streams = [Stream() for _ in range(len(self.steps) + 1)]
        streams[-1].name = "output"
        nodes = [Node(source, source.name, [], [streams[0]])]
        for i, (step, name) in enumerate(zip(steps, self.names)):
            nodes.append(Node(step, name, [streams[i]], [streams[i + 1]]))
        return Flow._of(Graph(nodes), self.queue_size, self.ordered)

    def _drive(self, run: Any, wake_for: int) -> Iterator[Any]:
        """Yields the run's outputs, waking up when ``wake_for`` of them are waiting (or the
        run ended)."""
        self._live = run
        try:
            yield from _plan.drive(run, wake_for)
        finally:
            self._stats = RunStats.from_native(run.stats(), self._chains)
            self._live = None

    def run(self, data: Iterable[Any] | None = None, backend: str | None = None) -> list[Any]:
        """Runs the pipeline to the end and returns the last step's outputs as a list.

        Without a :class:`Source`, ``data`` (any iterable) is fed in front of the first
        step. Raises :class:`PipelineError` if any step fails (``__cause__`` is the original
        exception); ``KeyboardInterrupt`` cancels the run. ``backend="ray"`` runs every
        step instance as a Ray actor (default: ``hr.config(backend=...)``; docs/ray.md)."""
        # Every output is kept anyway, so a larger final queue costs no memory, and waking
        # only when half of it is full takes the outputs in few GIL hand-offs.
        sink_size = max(self.queue_size, _RUN_SINK_SIZE)
        return list(self._iterate(data, sink_size, wake_for=sink_size // 2, backend=backend))

    def transform(self, data: Any, batch_size: int | None = None,
                  keep_incomplete_batch: bool = True) -> Any:
        """Splits ``data`` (a list, tuple, numpy array, pyarrow Table or RecordBatch, pandas
        or polars DataFrame) into batches of ``batch_size`` items or rows, runs every batch
        through the pipeline and joins the outputs back into the input's kind.
        ``keep_incomplete_batch=False`` drops a short last batch. Empty data gives an empty
        result without calling any step."""
        if self.source is not None:
            raise ValueError("transform(data) feeds data in front of the steps; this pipeline has a Source")
        _check_count(batch_size, "batch_size", "transform", allow_none=True)
        batches = list(_batching.split(data, batch_size, keep_incomplete_batch))
        if not batches:
            return _batching.empty_like(data)
        return _batching.join(self.run(batches), data)

    # ---- looking at it ----------------------------------------------------------------

    @property
    def stats(self) -> RunStats:
        """Per step: items in and out, busy and waiting seconds, queue high-water mark; of
        the run in progress, else of the last run."""
        live = self._live
        return RunStats.from_native(live.stats(), self._chains) if live is not None else self._stats

    def diagram(self, path: str | None = None) -> str:
        """The pipeline as Graphviz DOT text; with ``path`` (``.svg``, ``.png``, ``.pdf``,
        ``.dot``) also written there, rendered by Graphviz's ``dot`` program."""
        dot = _diagram.pipeline_dot(self.source, self.steps, self.names, self.queue_size)
        if path is not None:
            _diagram.render(dot, path)
        return dot
