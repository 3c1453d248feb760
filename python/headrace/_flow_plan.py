"""Turns a flow graph into one native run: an input queue per segment, the segments
(``_plan.add_segment``), a sink for the flow's outputs, and what a stop closes.

Loops: the edges that close a cycle (the graph's loop-back edges) are pushed without
blocking (an overflow behind the bounded ring), so a loop can never jam with every queue on
it full; every other edge keeps its back-pressure. A stop (hr.StopFlow, ``until``) makes
the sources stop reading and closes the queues those edges feed, which cuts every cycle:
end-of-stream then reaches every step the ordinary way.
"""

from __future__ import annotations

from typing import Any

from . import _core, _plan
from ._errors import StopFlow
from ._flow_calls import FlowCall, Routed
from ._flow_graph import Graph, Node
from ._steps import Source, Step


def build_run(graph: Graph, queue_size: int, ordered: bool, sink_size: int) -> Any:
    """A ready-to-start ``_core.Run``; its sink carries (output index, item) pairs."""
    run = _core.Run()
    run.set_stop_type(StopFlow)
    inboxes = _add_inboxes(run, graph, queue_size)
    outputs = {s: i for i, s in enumerate(graph.outputs)}
    sink_producers = sum(len(graph.writers[s]) for s in graph.outputs)
    sink_producers += sum(1 for seg in graph.segments if not seg[-1].outputs)
    sink = run.add_queue(sink_size, sink_producers)
    run.set_sink(sink)

    for segment in graph.segments:
        head, tail = segment[0], segment[-1]
        targets, streams, overflow = [], [], []
        for s in tail.outputs:
            if s in outputs:
                targets.append(sink)
                streams.append(outputs[s])
            else:
                reader, index = graph.reader[s]
                targets.append(inboxes[id(reader)])
                streams.append(index)
            overflow.append(graph.is_loop_back(tail, s))
        if not targets:  # a sink step: its results are dropped, it only ends the sink's stream
            targets, streams, overflow = [sink], [0], [False]
        outlet = _plan.Outlet(targets, streams, overflow, routed=len(tail.outputs) > 1)
        steps = [_adapted(node) for node in segment if not isinstance(node.step, Source)]
        names = [node.name for node in segment if not isinstance(node.step, Source)]
        start = head.step if isinstance(head.step, Source) else inboxes[id(head)]
        _plan.add_segment(run, start, steps, names, queue_size,  # type: ignore[arg-type]
                          ordered and _keeps_order(graph, head), outlet,
                          Routed if outlet.routed else None)
    return run


def _add_inboxes(run: Any, graph: Graph, queue_size: int) -> dict[int, int]:
    """The input queue of every segment that does not start with a Source, seeded."""
    inboxes = {}
    for segment in graph.segments:
        head = segment[0]
        if isinstance(head.step, Source):
            continue
        capacity = head.step.queue_size or sum(s.queue_size or queue_size for s in head.inputs)
        producers = sum(len(graph.writers.get(s, [])) for s in head.inputs)
        loop = any(graph.is_loop_back(w, s) for s in head.inputs for w, _ in graph.writers.get(s, []))
        inbox = run.add_queue(capacity, producers, overflow=loop)
        if loop:
            run.close_on_stop(inbox)
        for index, s in enumerate(head.inputs):
            if s.seeds:
                try:
                    run.seed(inbox, list(s.seeds), index)
                except ValueError as exc:
                    raise ValueError(
                        f"stream '{graph.names[s]}': {len(s.seeds)} seeded items do not fit the "
                        f"queue of step '{head.name}' ({capacity}); raise its queue_size") from exc
        inboxes[id(head)] = inbox
    return inboxes


def _keeps_order(graph: Graph, head: Node) -> bool:
    """Whether the segment's input is one numbered stream (one writer, no seeds), which an
    ordered exchange can put back in order after several workers."""
    if isinstance(head.step, Source):
        return True
    return len(head.inputs) == 1 and len(graph.writers.get(head.inputs[0], [])) == 1 \
        and not head.inputs[0].seeds


def _adapted(node: Node) -> Any:
    """The node's step, wrapped to zip several inputs or route several (or no) outputs."""
    step = node.step
    if not isinstance(step, Step) or (len(node.inputs) <= 1 and len(node.outputs) == 1):
        return step
    call = FlowCall(step.fn, node.name, len(node.inputs), len(node.outputs))
    return Step(call, name=node.name, workers=step.workers, queue_size=step.queue_size,
                processes=step.processes)
