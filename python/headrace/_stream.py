"""hr.Stream: a named edge of a flow."""

from __future__ import annotations

from typing import Any


class Stream:
    """An edge of a :class:`Flow`: steps write to it (their items merge) and at most one
    step reads it; a stream no step reads is an output of the flow.

    Args:
        name: the name in results, errors, statistics and diagrams (default: derived from
            the step that writes it).
        queue_size: capacity of the queue in front of its reader (default: the flow's).

    ``put(item)`` before a run pre-loads the stream (a loop's initial state); the seeded
    items go in at the start of every run of the flow.

    Examples:
        >>> import headrace as hr
        >>> numbers, doubled = hr.Stream("numbers"), hr.Stream("doubled")
        >>> flow = hr.Flow([hr.Source(range(3), outputs=[numbers]),
        ...                 hr.Step(lambda x: 2 * x, inputs=[numbers], outputs=[doubled])])
        >>> flow.run()
        {'doubled': [0, 2, 4]}
    """

    def __init__(self, name: str | None = None, queue_size: int | None = None) -> None:
        from ._steps import _check_count

        _check_count(queue_size, "queue_size", f"stream {name!r}", allow_none=True)
        self.name = name
        self.queue_size = queue_size
        self.seeds: list[Any] = []

    def put(self, item: Any) -> None:
        """Pre-loads ``item``: the stream's reader gets it first, before anything written."""
        self.seeds.append(item)

    def __repr__(self) -> str:
        return f"Stream({self.name!r})" if self.name else f"Stream(at {id(self):#x})"
