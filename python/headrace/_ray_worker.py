"""The Ray actor that runs plan fragments with headrace's own engine.

Each actor is a long-lived process hosting the native runtime. For a fragment it binds the
inboxes to the tables Ray fetched from the object store, plans the subtree with the local
planner (so fusion, pushdown into scans and the kernels are exactly those of a local run)
and returns its output split by the fragment's exchange. A failure goes back as a
:class:`RemoteFailure` carrying the original exception and its traceback as text.
"""

from __future__ import annotations

import traceback
from typing import Any

import cloudpickle
import pyarrow as pa

from . import _config, _datastream, _logical, _ops, _physical
from ._errors import PipelineError
from ._ray_fragment import Exchange, Inbox, PinnedStateful


class RemoteFailure(Exception):
    """A fragment failed in an actor: (message, step, item, phase, cause, remote traceback)."""

    def __init__(self, message: str, step: str | None, item: int | None, phase: str | None,
                 cause: BaseException | None, remote_traceback: str) -> None:
        super().__init__(message, step, item, phase, cause, remote_traceback)
        self.message, self.step, self.item, self.phase = message, step, item, phase
        self.cause, self.remote_traceback = cause, remote_traceback

    def __str__(self) -> str:
        return self.message


class FragmentWorker:
    """The actor's class (``ray.remote`` is applied by the driver, so importing this
    module does not need Ray)."""

    def __init__(self, threads: int) -> None:
        _config.config(threads=threads)

    def ready(self) -> bool:
        return True

    def run(self, payload: bytes, settings: dict[str, Any], slots: list[tuple[int, int]], exchange: Exchange,
            *tables: pa.Table) -> Any:
        """Runs the pickled fragment with the driver's ``settings`` (batch and queue
        sizes); ``slots`` says, per inbox key, how many of ``tables`` (in order) it reads.
        Returns one table per exchange partition (a single one bare)."""
        _config.config(**settings)
        node: _logical.Node = cloudpickle.loads(payload)
        given: dict[int, list[pa.Table]] = {}
        at = 0
        for key, count in slots:
            given[key] = list(tables[at:at + count])
            at += count
        for leaf in _logical.walk(node):
            if isinstance(leaf, Inbox):
                leaf.bind(given.get(leaf.key, []))
        try:
            batches = _datastream.DataStream(node)._run(FragmentPlanner(node))
            parts = exchange.split(batches, node.schema)
        except PipelineError as exc:
            raise _failure(exc) from None
        return parts[0] if len(parts) == 1 else tuple(parts)


def _failure(exc: PipelineError) -> RemoteFailure:
    cause = exc.__cause__
    shown = cause if cause is not None else exc
    text = "".join(traceback.format_exception(type(shown), shown, shown.__traceback__))
    try:
        cloudpickle.dumps(cause)
    except Exception:  # an exception that cannot travel back is described instead
        cause = RuntimeError(f"{type(cause).__name__}: {cause}")
    return RemoteFailure(str(exc), exc.step, exc.item, exc.phase, cause, text)


class FragmentPlanner(_physical.Planner):
    """The local planner, except that a pinned stateful_transform runs one instance with
    the worker index and count of its partition in the whole (distributed) run."""

    def _stateful(self, node: _logical.Stateful, meter: Any) -> _physical.Stage:
        if not isinstance(node, PinnedStateful):
            return super()._stateful(node, meter)
        worker, workers = node.worker, node.workers
        stage = self._new(node.name, 1)
        for stream, (i, req) in enumerate(zip(node.inputs, node.required)):
            self._feed(i, stage, stream, None, req)
        stage.ops.append(lambda w, n: _ops.executor_calls(node.name, node.executor, worker, workers, node.required,
                                                         node.schema, node.types_known, meter()))
        return stage
