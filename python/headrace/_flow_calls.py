"""How a flow step with several inputs or outputs calls its function: pairing one item of
each input (zip) and routing the elements of the returned tuple to the outputs."""

from __future__ import annotations

import collections
import inspect
from collections.abc import Iterator
from typing import Any

from ._executor import Context, Executor, overrides


class Routed(tuple):  # type: ignore[type-arg]
    """(output index, item): an output on its way to one of the step's output streams."""


class FlowCall(Executor):
    """Wraps a step's function (or Executor) for ``inputs`` input and ``outputs`` output
    streams. Items of input i arrive with ``ctx.stream_id == i``; once every input has one,
    the function gets one of each, oldest first. With several outputs each result (or each
    item a generator result yields) must be a tuple of one item or None per output; with
    no outputs results are dropped."""

    def __init__(self, fn: Any, step: str, inputs: int, outputs: int) -> None:
        self.fn = fn
        self.step = step
        self.inputs = inputs
        self.outputs = outputs
        self.is_executor = isinstance(fn, Executor)

    def open(self, ctx: Context) -> None:
        self.pending = [collections.deque() for _ in range(self.inputs)]  # type: ignore[var-annotated]
        if self.is_executor:
            self.fn.open(ctx)

    def execute(self, item: Any, ctx: Context) -> Any:
        if self.inputs <= 1:
            result = self.fn.execute(item, ctx) if self.is_executor else self.fn(item)
            return self._route(result)
        self.pending[ctx.stream_id].append(item)
        if not all(self.pending):
            return None
        args = tuple(q.popleft() for q in self.pending)
        result = self.fn.execute(args, ctx) if self.is_executor else self.fn(*args)
        return self._route(result)

    def finish(self, ctx: Context) -> Any:
        if self.is_executor and overrides(self.fn, "finish"):
            return self._route(self.fn.finish(ctx))
        return None

    def close(self, ctx: Context) -> None:
        if self.is_executor:
            self.fn.close(ctx)

    def _route(self, result: Any) -> Any:
        if self.outputs == 1 or result is None:
            return result
        if inspect.isgenerator(result):
            return self._route_all(result)
        if self.outputs == 0:
            return None
        return self._route_all(iter((result,)))

    def _route_all(self, results: Iterator[Any]) -> Iterator[Any]:
        for result in results:
            if result is None or self.outputs == 0:
                continue
            if not isinstance(result, tuple) or len(result) != self.outputs:
                raise TypeError(
                    f"step '{self.step}' has {self.outputs} outputs: it must return a tuple of "
                    f"{self.outputs} (an item or None per output), got {_describe(result)}")
            for index, value in enumerate(result):
                if value is not None:
                    yield Routed((index, value))


def _describe(value: Any) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return type(value).__name__
