"""Turns a linear segment of steps into part of a native run: queues, exchanges, drivers.

A flow (and a Pipeline, which is a flow with one segment) is cut into segments: runs of
steps joined by private streams (one writer, one reader). Each segment is built here.

Consecutive steps with the same number of workers are fused into one chain: each of the
chain's n drivers runs the steps back to back on its items, with no queue between them
(queues sit only where parallelism changes; a step given its own ``queue_size`` starts a
new chain). A first chain with one worker also reads the source itself. A chain with n
workers is n drivers reading one input queue and writing through one exchange, which
restores input order when the pipeline is ordered. A Parallel
is a broadcast from the upstream exchange into one queue per branch, one fused chain of the
branch's steps per branch instance, and a join that zips the branches per item.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import PipelineError
from ._steps import Parallel, Source, Step, _Outputs

# Upper bound on items handed to a Python executor per GIL acquisition.
MAX_BATCH = 256


def unique_names(steps: Sequence[Step | Parallel]) -> list[str]:
    """Step names, with ``_1``, ``_2``, ... added where two steps share one."""
    seen: dict[str, int] = {}
    names = []
    for step in steps:
        n = seen.get(step.name, 0)
        seen[step.name] = n + 1
        names.append(step.name if n == 0 else f"{step.name}_{n}")
    return names


def fuse(steps: Sequence[Step | Parallel], names: Sequence[str]) -> list[list[tuple[Any, str]]]:
    """Groups consecutive Steps that can share drivers; a Parallel is a group of its own."""
    groups: list[list[tuple[Any, str]]] = []
    for step, name in zip(steps, names):
        last = groups[-1][-1][0] if groups else None
        if (isinstance(step, Step) and isinstance(last, Step) and step.workers == last.workers
                and step.queue_size is None):
            groups[-1].append((step, name))
        else:
            groups.append([(step, name)])
    return groups


def chain_heads(steps: Sequence[Step | Parallel], names: Sequence[str]) -> dict[str, str]:
    """Step name -> the name of the first step of the chain it runs in."""
    return {name: group[0][1] for group in fuse(steps, names) for _, name in group}


@dataclass(frozen=True)
class Outlet:
    """Where a segment's last step sends its outputs: one target queue per output stream,
    the stream id each target's consumer knows it by, whether the target is a loop-back
    edge (pushed without blocking), and whether outputs are routed (several output
    streams: each output names its target) rather than sent to every target."""

    targets: list[int]
    streams: list[int]
    overflow: list[bool]
    routed: bool = False

    def add_exchange(self, run: Any, mode: str, producers: int, stats: int, window: int = -1) -> int:
        return run.add_exchange(self.targets, "routed" if self.routed else mode, producers, 0, stats,
                                window, self.streams, self.overflow)


def add_segment(run: Any, head: Source | int, steps: Sequence[Step | Parallel], names: Sequence[str],
                queue_size: int, ordered: bool, outlet: Outlet, route_type: Any = None) -> None:
    """Adds a linear segment of a flow to ``run``: ``head`` (a Source, or the id of the
    queue the first step reads) followed by ``steps``, the last of which sends its outputs
    through ``outlet`` (``route_type``: how its routed outputs are marked)."""
    mode = "ordered" if ordered else "unordered"
    downstream: list[int] | None = None  # None: the segment's outlet
    from_queue = not isinstance(head, Source)
    groups = fuse(steps, names)
    # A first chain with one worker reads the source in its own thread: no queue between.
    source_fused = not from_queue and bool(groups) and reads_source(groups[0])

    def exchange(kind: str, producers: int, stats: int, window: int = -1) -> int:
        if downstream is None:
            return outlet.add_exchange(run, kind, producers, stats, window)
        return run.add_exchange(downstream, kind, producers, 0, stats, window)

    for index in reversed(range(1 if source_fused else 0, len(groups))):
        group = groups[index]
        is_last = index == len(groups) - 1
        head_step, head_name = group[0]
        capacity = head_step.queue_size or queue_size
        if isinstance(head_step, Parallel):
            downstream = _add_parallel(run, head_step, head_name, capacity, exchange)
            continue
        inbox = head if from_queue and index == 0 else run.add_queue(capacity, 1)
        stats = _add_chain_stats(run, group, inbox)  # type: ignore[arg-type]
        window = run.add_window(reorder_window(capacity, head_step.workers)) if head_step.workers > 1 else -1
        out = exchange(mode, head_step.workers, stats[-1], window)
        for w in range(head_step.workers):
            calls = [step.instance_calls(name, w, head_step.workers) for step, name in group]
            run.add_chain(head_name, w, head_step.workers, stats[0], inbox, out, calls, False, None,
                          MAX_BATCH, stats if len(group) > 1 else [], route_type if is_last else None)
        downstream = [inbox]  # type: ignore[list-item]

    if from_queue:
        return
    source = head
    if source_fused:
        group = groups[0]
        stats = _add_chain_stats(run, group, -1)
        out = exchange(mode, 1, stats[-1])
        source_stats = run.add_stats(source.name, 1, -1)
        calls = [step.instance_calls(name, 0, 1) for step, name in group]
        run.add_source_chain(source.name, source_stats, source.make_iterator(), group[0][1],
                             stats[0], out, calls, MAX_BATCH, stats if len(group) > 1 else [],
                             route_type if len(groups) == 1 else None)
    else:
        source_stats = run.add_stats(source.name, 1, -1)
        out = exchange("ordered", 1, source_stats)
        run.add_source(source.name, source_stats, out, source.make_iterator(), MAX_BATCH)


def reorder_window(capacity: int, workers: int) -> int:
    """How many inputs past the oldest unfinished one the workers of an ordered step (or
    the branches of a Parallel) may finish before they wait for it: the outputs held for
    reordering (or joining) stay bounded."""
    return max(4 * capacity, 2 * workers, 8)


def reads_source(group: list[tuple[Any, str]]) -> bool:
    """Whether the first chain reads the source in its own thread (one worker, no queue)."""
    head = group[0][0]
    return isinstance(head, Step) and head.workers == 1 and head.queue_size is None


def _add_chain_stats(run: Any, group: list[tuple[Any, str]], inbox: int) -> list[int]:
    """Statistics ids of a chain's steps, in chain order. They are listed in reverse later,
    so they are added last step first."""
    return [run.add_stats(name, step.workers, inbox if i == 0 else -1)
            for i, (step, name) in reversed(list(enumerate(group)))][::-1]


def _add_parallel(run: Any, par: Parallel, name: str, capacity: int,
                  exchange: Callable[[str, int, int], int]) -> list[int]:
    """Adds a Parallel whose join sends through ``exchange(mode, producers, stats)``;
    returns the branches' input queues."""
    branches = len(par.branches)
    join_inbox = run.add_queue(capacity * branches, branches)
    join_stats = run.add_stats(f"{name}.join", 1, join_inbox)
    join_exchange = exchange("ordered", 1, join_stats)
    # The join advances this window; no branch runs further ahead of the slowest one.
    window = run.add_window(reorder_window(capacity, max(s.workers for b in par.branches for s in b)))
    run.add_zip(f"{name}.join", join_stats, join_inbox, join_exchange, branches, par.join, _Outputs, window)
    inboxes = []
    # Branches are added last first, so that statistics (listed in reverse) read in order.
    for b, branch in reversed(list(enumerate(par.branches))):
        branch_name = f"{name}[{b}]"
        workers = max(s.workers for s in branch)
        inbox = run.add_queue(capacity, 1)
        stats = run.add_stats(branch_name, workers, inbox)
        exchange = run.add_exchange([join_inbox], "keep_seq", workers, b, stats, window)
        step_names = [f"{branch_name}.{n}" for n in unique_names(branch)]
        for w in range(workers):
            calls = [s.instance_calls(n, w, workers) for s, n in zip(branch, step_names)]
            run.add_chain(branch_name, w, workers, stats, inbox, exchange, calls, True, _Outputs, MAX_BATCH)
        inboxes.insert(0, inbox)
    return inboxes


def iterable_source(data: Iterable[Any] | Callable[[], Iterable[Any]]) -> Source:
    """The implicit source of ``Pipeline.run(data)``."""
    return Source(data, name="input")


# The runs started and not yet joined, and those the interpreter's exit cancelled.
_running: set[Any] = set()
_ended_by_exit: set[int] = set()
_running_lock = threading.Lock()


@atexit.register
def _end_runs_at_exit() -> None:
    """Cancels and joins the runs still going when the interpreter exits (a generator left
    open, a daemon thread's run), while their threads may still take the GIL: once the
    interpreter finalizes, a thread that asks for it is made to exit, and one inside a
    driver would take the process down."""
    with _running_lock:
        runs = list(_running)
        _ended_by_exit.update(id(run) for run in runs)
    for run in runs:
        run.cancel()
    for run in runs:
        run.finish()


def drive(run: Any, wake_for: int, max_items: int = 4096, tagged: bool = False) -> Iterator[Any]:
    """Starts ``run`` and yields what reaches its sink, waking when ``wake_for`` items wait
    (or the run ended); with ``tagged``, as (output stream index, item) pairs. Raises
    PipelineError, chained to the cause, if any step failed, and RuntimeError if the
    interpreter's exit cancelled it. Leaving early (``close()``, an exception, Ctrl-C)
    cancels the run and joins it."""
    finished = False
    with _running_lock:
        _running.add(run)
    try:
        run.start()
        while (batch := run.next_batch(max_items, min_items=wake_for, tagged=tagged)) is not None:
            yield from batch
        finished = True
        failure = run.finish()
        if failure is not None:
            step, item, phase, cause, item_step = failure
            raise PipelineError.from_failure(step, item, phase, cause, item_step) from cause
        if id(run) in _ended_by_exit:
            raise RuntimeError("the run was cancelled: the Python interpreter is exiting")
    finally:
        if not finished:
            run.cancel()
            run.finish()
        with _running_lock:
            _running.discard(run)
            _ended_by_exit.discard(id(run))
