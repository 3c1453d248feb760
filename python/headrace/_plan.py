"""Turns a linear list of steps into a native run: queues, exchanges and drivers.

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

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import _core
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


def build_run(source: Source, steps: Sequence[Step | Parallel], names: Sequence[str],
              queue_size: int, ordered: bool, sink_size: int) -> Any:
    """A ready-to-start ``_core.Run`` for ``source`` followed by ``steps``; the caller reads
    the outputs from a queue of ``sink_size``."""
    run = _core.Run()
    mode = "ordered" if ordered else "unordered"
    downstream = [run.add_queue(sink_size, 1)]  # the sink, read by the caller
    run.set_sink(downstream[0])

    groups = fuse(steps, names)
    # A first chain with one worker reads the source in its own thread: no queue between.
    source_fused = bool(groups) and reads_source(groups[0])
    for group in reversed(groups[1:] if source_fused else groups):
        head, head_name = group[0]
        capacity = head.queue_size or queue_size
        if isinstance(head, Parallel):
            downstream = _add_parallel(run, head, head_name, capacity, downstream)
            continue
        inbox = run.add_queue(capacity, 1)
        stats = _add_chain_stats(run, group, inbox)
        window = run.add_window(reorder_window(capacity, head.workers)) if head.workers > 1 else -1
        exchange = run.add_exchange(downstream, mode, head.workers, 0, stats[-1], window)
        for w in range(head.workers):
            calls = [step.instance_calls(name, w, head.workers) for step, name in group]
            run.add_chain(head_name, w, head.workers, stats[0], inbox, exchange, calls, False, None,
                          MAX_BATCH, stats if len(group) > 1 else [])
        downstream = [inbox]

    if source_fused:
        group = groups[0]
        stats = _add_chain_stats(run, group, -1)
        exchange = run.add_exchange(downstream, mode, 1, 0, stats[-1])
        source_stats = run.add_stats(source.name, 1, -1)
        calls = [step.instance_calls(name, 0, 1) for step, name in group]
        run.add_source_chain(source.name, source_stats, source.make_iterator(), group[0][1],
                             stats[0], exchange, calls, MAX_BATCH, stats if len(group) > 1 else [])
    else:
        source_stats = run.add_stats(source.name, 1, -1)
        exchange = run.add_exchange(downstream, "ordered", 1, 0, source_stats)
        run.add_source(source.name, source_stats, exchange, source.make_iterator(), MAX_BATCH)
    return run


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


def _add_parallel(run: Any, par: Parallel, name: str, capacity: int, downstream: list[int]) -> list[int]:
    branches = len(par.branches)
    join_inbox = run.add_queue(capacity * branches, branches)
    join_stats = run.add_stats(f"{name}.join", 1, join_inbox)
    join_exchange = run.add_exchange(downstream, "ordered", 1, 0, join_stats)
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


def drive(run: Any, wake_for: int, max_items: int = 4096) -> Iterator[Any]:
    """Starts ``run`` and yields what reaches its sink, waking when ``wake_for`` items wait
    (or the run ended). Raises PipelineError, chained to the cause, if any step failed.
    Leaving early (``close()``, an exception, Ctrl-C) cancels the run and joins it."""
    finished = False
    try:
        run.start()
        while (batch := run.next_batch(max_items, min_items=wake_for)) is not None:
            yield from batch
        finished = True
        failure = run.finish()
        if failure is not None:
            step, item, phase, cause, item_step = failure
            raise PipelineError.from_failure(step, item, phase, cause, item_step) from cause
    finally:
        if not finished:
            run.cancel()
            run.finish()
