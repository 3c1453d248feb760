"""What the driver ships to a Ray actor: a fragment of the logical plan and its exchange.

A fragment is an ordinary logical subtree (``_logical`` nodes) whose leaves are file
sources restricted to some scan tasks, or :class:`Inbox` nodes standing for Arrow tables
that earlier fragments left in Ray's object store. The actor binds each inbox to its
tables and runs the subtree with headrace's local planner and native engine. Its output
leaves through an :class:`Exchange`: kept whole, or split by the hash of key columns into
one table per consumer partition.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from . import _core, _logical
from ._batches import take_rows

_ids = itertools.count()


class Inbox(_logical.ArrowSource):
    """A leaf standing for tables in the object store; the actor binds them before a run."""

    def __init__(self, schema: pa.Schema, types_known: bool) -> None:
        super().__init__(_unbound, schema, "ray exchange")
        self.key = next(_ids)
        self.types_known = types_known

    def bind(self, tables: Sequence[pa.Table]) -> None:
        self.batches = lambda: (b for t in tables for b in t.to_batches())


def _unbound() -> Iterable[pa.RecordBatch]:
    raise RuntimeError("a Ray exchange input was run before its tables were bound")


class PinnedStateful(_logical.Stateful):
    """A stateful_transform instance that is partition ``worker`` of ``workers`` of a
    hash-partitioned executor: one instance here, with the context the local run would give."""

    worker: int
    workers: int


def pinned(node: _logical.Stateful, inputs: tuple[_logical.Node, ...], worker: int, workers: int) -> PinnedStateful:
    out = copy.copy(node)
    out.__class__ = PinnedStateful
    out.inputs = inputs
    out.worker, out.workers = worker, workers  # type: ignore[attr-defined]
    return out  # type: ignore[return-value]


def with_inputs(node: _logical.Node, inputs: tuple[_logical.Node, ...]) -> _logical.Node:
    """A copy of ``node`` reading ``inputs`` (nodes are immutable once built, so a shallow copy is safe)."""
    out = copy.copy(node)
    out.inputs = inputs
    return out


def fixed_tasks(source: _logical.FileSource, tasks: list[Any]) -> _logical.FileSource:
    """``source`` reading only ``tasks`` (files or row groups), whatever the planner asks."""
    scan = copy.copy(source.scan)
    scan.tasks = _Tasks(tasks)
    out = copy.copy(source)
    out.scan = scan
    return out


class _Tasks:
    def __init__(self, tasks: list[Any]) -> None:
        self.tasks = tasks

    def __call__(self, columns: Any = None, filter: Any = None) -> list[Any]:
        return list(self.tasks)


@dataclass(frozen=True)
class Exchange:
    """How a fragment's output leaves it: ``partitions`` tables, split by the hash of
    ``keys`` (cast first to ``types`` where given, so both sides of a join agree) when
    there are several."""

    partitions: int = 1
    keys: tuple[str, ...] = ()
    types: dict[str, pa.DataType] = field(default_factory=dict)

    def split(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> list[pa.Table]:
        parts: list[list[pa.RecordBatch]] = [[] for _ in range(self.partitions)]
        for batch in batches:
            if self.partitions == 1:
                parts[0].append(batch)
                continue
            keys = list(self.keys)
            hashed = pa.RecordBatch.from_arrays([self._key(batch.column(k), k) for k in keys], names=keys)
            for p, rows in enumerate(_core.hash_partition(hashed, keys, self.partitions)):
                if len(rows):
                    parts[p].append(take_rows(batch, pa.array(rows)))
        return [_table(p, schema) for p in parts]

    def _key(self, array: pa.Array, name: str) -> pa.Array:
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        target = self.types.get(name)
        return array if target is None or array.type == target else array.cast(target, safe=False)


def _table(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches)


def step_name(node: _logical.Node) -> str:
    """The name a user knows a node by, for errors."""
    name = getattr(node, "name", None)
    return name if isinstance(name, str) else node.label()

