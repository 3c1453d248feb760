"""The executor protocol shared by every headrace layer."""

from __future__ import annotations

from typing import Any


class Context:
    """What an executor instance knows about where it runs.

    Attributes:
        step: the name of the step the instance belongs to.
        worker: this instance's index, ``0 <= worker < workers``.
        workers: how many instances of the step run in parallel.
        stream_id: which input a batch came from (for executors with several inputs).
    """

    __slots__ = ("step", "worker", "workers", "stream_id")

    def __init__(self, step: str, worker: int = 0, workers: int = 1, stream_id: int = 0) -> None:
        self.step = step
        self.worker = worker
        self.workers = workers
        self.stream_id = stream_id

    def __repr__(self) -> str:
        return (
            f"Context(step={self.step!r}, worker={self.worker}, workers={self.workers}, "
            f"stream_id={self.stream_id})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (Context, (self.step, self.worker, self.workers, self.stream_id))


class Executor:
    """A stateful unit of work that headrace runs once per worker instance.

    Subclass it and override ``execute``; override ``open``, ``finish`` and ``close`` when
    you need them. ``__init__`` should stay cheap: every worker gets its own copy of the
    instance, and ``open`` is where per-worker state starts.

    ``execute`` returns one output, ``None`` (no output) or a generator (several outputs);
    ``finish`` may do the same once the input has ended.

    Examples:
        >>> import collections
        >>> import headrace as hr
        >>> class MovingAverage(hr.Executor):
        ...     def __init__(self, window=3):
        ...         self.window = window
        ...     def open(self, ctx):
        ...         self.buf = collections.deque(maxlen=self.window)
        ...     def execute(self, batch, ctx):
        ...         self.buf.append(batch)
        ...         return sum(self.buf) / len(self.buf)
        >>> hr.Pipeline([MovingAverage(2)]).run([1, 3, 5])
        [1.0, 2.0, 4.0]
    """

    def open(self, ctx: Context) -> None:
        """Called once per worker instance, before its first batch."""

    def execute(self, batch: Any, ctx: Context) -> Any:
        """Called per batch; returns an output, ``None`` or a generator of outputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute(batch, ctx)")

    def finish(self, ctx: Context) -> Any:
        """Called once at the end of the input; may return or yield final outputs."""
        return None

    def close(self, ctx: Context) -> None:
        """Always called once per opened instance, also after an error elsewhere."""


def overrides(executor: Executor, method: str) -> bool:
    """Whether the executor's class defines its own ``method`` (so calling it matters)."""
    return getattr(type(executor), method) is not getattr(Executor, method)
