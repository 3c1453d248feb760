"""The building blocks of a Pipeline: Source, Step and Parallel."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from ._executor import Context, Executor, overrides
from ._stream import Stream


def _check_count(value: Any, what: str, step: str, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"step '{step}': {what} must be an integer >= 1, got {value!r}")


def _default_name(obj: Any) -> str:
    if isinstance(obj, Executor):
        return type(obj).__name__
    name = getattr(obj, "__name__", None) or type(obj).__name__
    return "lambda" if name == "<lambda>" else name


def _check_callable(fn: Any, name: str) -> None:
    if isinstance(fn, type) and issubclass(fn, Executor):
        raise TypeError(f"step '{name}': pass an instance of {fn.__name__}, not the class")
    if not isinstance(fn, Executor) and not callable(fn):
        raise TypeError(
            f"step '{name}': expected a callable or an hr.Executor, got {type(fn).__name__}"
        )


class Step:
    """One stage of a pipeline: a function or an :class:`Executor`, run by ``workers``
    parallel instances that read from a bounded queue.

    Args:
        fn: a callable ``fn(item)`` (stateless) or an :class:`Executor` instance.
        name: the step's name in errors, statistics and diagrams (default: derived from fn).
        workers: how many instances run in parallel (each its own copy of the executor).
        queue_size: capacity of the queue in front of the step (default: the pipeline's).
        processes: run the instances in worker processes (for pure-Python CPU work); the
            executor and the items must be picklable (cloudpickle is used for the executor).
        inputs: in a :class:`Flow`, the streams the step reads. With several, it takes one
            item from each (zip) and is called ``fn(x1, x2, ...)`` (an Executor gets the
            tuple as its batch); it then runs one worker.
        outputs: in a :class:`Flow`, the streams the step writes (default: one stream
            named after the step). With several, ``fn`` returns a tuple whose element i
            goes to output i, ``None`` sending nothing there; ``outputs=[]`` makes a sink.

    Examples:
        >>> import headrace as hr
        >>> hr.Pipeline([hr.Step(lambda x: x * 2, workers=2)]).run(range(4))
        [0, 2, 4, 6]
    """

    def __init__(self, fn: Callable[..., Any] | Executor, name: str | None = None,
                 workers: int = 1, queue_size: int | None = None,
                 processes: bool = False, inputs: Sequence[Stream] | None = None,
                 outputs: Sequence[Stream] | None = None) -> None:
        self.name = name if name is not None else _default_name(fn)
        _check_callable(fn, self.name)
        _check_count(workers, "workers", self.name)
        _check_count(queue_size, "queue_size", self.name, allow_none=True)
        self.fn = fn
        self.workers = workers
        self.queue_size = queue_size
        self.processes = bool(processes)
        self.inputs = _check_streams(inputs, "inputs", self.name)
        self.outputs = _check_streams(outputs, "outputs", self.name)

    def __repr__(self) -> str:
        extra = f", workers={self.workers}" if self.workers != 1 else ""
        extra += ", processes=True" if self.processes else ""
        return f"Step({self.name!r}{extra})"

    def instance_calls(self, name: str, worker: int, workers: int) -> tuple[Any, ...]:
        """The (step, execute, ctx, open, finish, close) calls of one worker instance."""
        ctx = Context(name, worker, workers)
        if self.processes:
            from ._processes import ProcessExecutor

            return _executor_calls(name, ProcessExecutor(self.fn, name), ctx)
        if isinstance(self.fn, Executor):
            return _executor_calls(name, _copy_executor(self.fn, name), ctx)
        return (name, self.fn, None, None, None, None)


def _check_streams(streams: Sequence[Stream] | None, what: str, step: str) -> list[Stream] | None:
    if streams is None:
        return None
    if isinstance(streams, Stream):
        streams = [streams]
    streams = list(streams)
    for s in streams:
        if not isinstance(s, Stream):
            raise TypeError(f"step '{step}': {what} must be hr.Stream objects, got {type(s).__name__}")
    if len(set(map(id, streams))) != len(streams):
        raise ValueError(f"step '{step}': a stream appears twice in its {what}")
    return streams


def _copy_executor(executor: Executor, name: str) -> Executor:
    try:
        return copy.deepcopy(executor)
    except Exception as exc:
        raise TypeError(
            f"step '{name}': every worker gets its own copy of the executor, but "
            f"{type(executor).__name__} cannot be copied ({exc}); create unpicklable "
            "resources in open() instead of __init__()"
        ) from exc


def _executor_calls(name: str, ex: Executor, ctx: Context) -> tuple[Any, ...]:
    def hook(method: str) -> Any:
        return getattr(ex, method) if overrides(ex, method) else None

    return (name, ex.execute, ctx, hook("open"), hook("finish"), hook("close"))


class Source:
    """Where a pipeline's items come from.

    Args:
        items: an iterable, a generator function (called once per run), or an
            :class:`Executor` whose ``execute(None, ctx)`` is called once and returns or
            yields the items (its ``finish`` may yield more).
        name: the name in errors and statistics (default ``"source"``).
        outputs: in a :class:`Flow`, the one stream the items go to (default: a stream
            named after the source).

    Examples:
        >>> import headrace as hr
        >>> def numbers():
        ...     yield from range(3)
        >>> hr.Pipeline([hr.Source(numbers), lambda x: x + 1]).run()
        [1, 2, 3]
    """

    def __init__(self, items: Iterable[Any] | Callable[[], Iterable[Any]] | Executor,
                 name: str = "source", outputs: Sequence[Stream] | None = None) -> None:
        self.name = name
        self.outputs = _check_streams(outputs, "outputs", name)
        if self.outputs is not None and len(self.outputs) != 1:
            raise ValueError(f"source '{name}': a Source writes exactly one stream; route its "
                             "items to several with a Step")
        if isinstance(items, Executor):
            self.kind = "executor"
        elif inspect.isgeneratorfunction(items) or (callable(items) and not hasattr(items, "__iter__")):
            self.kind = "factory"
        elif hasattr(items, "__iter__"):
            self.kind = "iterable"
        else:
            raise TypeError(
                f"source '{name}': expected an iterable, a generator function or an "
                f"hr.Executor, got {type(items).__name__}"
            )
        self.items = items

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    def make_iterator(self) -> Callable[[], Iterable[Any]]:
        """A callable that starts one pass over the items (called on the source's thread)."""
        items = self.items
        if self.kind == "iterable":
            if iter(items) is items:  # type: ignore[call-overload]
                # A one-shot iterator (a generator object, a file...): a second run would
                # silently see nothing, so say so instead.
                if getattr(self, "_consumed", False):
                    raise ValueError(
                        f"source '{self.name}': its iterator was used up by an earlier run; pass "
                        "a generator function or a re-iterable (a list, a range) to run again"
                    )
                self._consumed = True
            return lambda: iter(items)  # type: ignore[arg-type]
        if self.kind == "factory":
            return items  # type: ignore[return-value]
        executor = _copy_executor(items, self.name)  # type: ignore[arg-type]
        return lambda: _run_source_executor(executor, Context(self.name))


def _run_source_executor(ex: Executor, ctx: Context) -> Iterable[Any]:
    ex.open(ctx)
    try:
        for call in (lambda: ex.execute(None, ctx), lambda: ex.finish(ctx)):
            result = call()
            if inspect.isgenerator(result):
                yield from result
            elif result is not None:
                yield result
    finally:
        ex.close(ctx)


StepLike = Union[Step, "Parallel", Executor, Callable[..., Any]]


def as_step(obj: Any) -> Step | Parallel:
    """A Step or Parallel for anything accepted where a step is."""
    if isinstance(obj, (Step, Parallel)):
        return obj
    if isinstance(obj, Source):
        raise TypeError(f"source '{obj.name}': a Source can only be the first step of a pipeline")
    _check_callable(obj, _default_name(obj))
    return Step(obj)


class Parallel:
    """A feature union: every item goes to each branch, and the branches' outputs for that
    item come out together, in the branches' declared order.

    Each branch is a step or a list of steps; a branch's steps run back to back in one
    thread per branch instance, so branches run concurrently with each other. A branch runs
    as many instances as the largest ``workers`` among its steps.

    Per item, the output is a tuple with one slot per branch: the branch's output, ``None``
    if it produced none, or a list if it produced several; or ``join(tuple)`` when ``join``
    is given (for example, concatenating arrays).

    Examples:
        >>> import headrace as hr
        >>> hr.Pipeline([hr.Parallel([lambda x: x + 1, [lambda x: x * 10, str]])]).run([1, 2])
        [(2, '10'), (3, '20')]
    """

    def __init__(self, branches: Sequence[StepLike | Sequence[StepLike]],
                 join: Callable[[tuple[Any, ...]], Any] | None = None,
                 name: str = "parallel", queue_size: int | None = None) -> None:
        self.name = name
        if isinstance(branches, (str, bytes)) or not isinstance(branches, Sequence) or not branches:
            raise ValueError(f"parallel '{name}': branches must be a non-empty list")
        _check_count(queue_size, "queue_size", name, allow_none=True)
        if join is not None and not callable(join):
            raise TypeError(f"parallel '{name}': join must be callable, got {type(join).__name__}")
        self.branches: list[list[Step]] = []
        for branch in branches:
            steps = list(branch) if isinstance(branch, (list, tuple)) else [branch]
            if not steps:
                raise ValueError(f"parallel '{name}': a branch has no steps")
            converted = [as_step(s) for s in steps]
            for s in converted:
                if isinstance(s, Parallel):
                    raise TypeError(f"parallel '{name}': a Parallel cannot be nested in a branch")
            self.branches.append(converted)  # type: ignore[arg-type]
        self.join = join
        self.queue_size = queue_size
        self.workers = 1

    def __repr__(self) -> str:
        return f"Parallel({self.name!r}, branches={len(self.branches)})"


class _Outputs(list):  # type: ignore[type-arg]
    """Several outputs of one branch for one item, on their way to the join."""
