"""Cutting a DataStream's logical plan into fragments for a Ray cluster (driver side).

The plan is walked from the sources up. Each node becomes a list of partitions, each a
logical subtree still to run (a :class:`Part`). Per-batch operators (filter, project,
transform) extend every partition's subtree, so they run fused in the same actor as their
input, as they would locally. Where rows must move between partitions the partitions are
*cut*: each is submitted as a fragment whose output is exchanged (kept, gathered into one
partition, hash-split on keys or broadcast), and the consumer's partitions start from
:class:`Inbox` leaves standing for the resulting object-store tables:

- file sources split their scan tasks (files, row groups) into contiguous partitions;
- group-by: partial aggregate per partition, hash exchange on the keys, final aggregate;
- join: both sides hash-exchanged on the keys, or the small side broadcast to every
  partition of the other;
- stateful_transform with partition_by: one partition per instance, hash-exchanged;
  without it, and sort and limit: gathered into one partition.

Submission returns Ray object references at once, so later fragments are submitted while
earlier ones still run; Ray starts each when its inputs exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from . import _logical, _ray_aggregate
from ._batches import sliced
from ._expr import col
from ._physical import Pushdown
from ._ray_fragment import Exchange, Inbox, fixed_tasks, pinned, with_inputs

# A side of a join with at most this many rows (known before running) is broadcast.
BROADCAST_ROWS = 200_000


@dataclass
class Part:
    """One partition still to run: a subtree and the object references its inboxes read."""

    node: _logical.Node
    inputs: dict[int, list[Any]] = field(default_factory=dict)
    files_only: bool = True  # reads only files: re-runnable from them if its actor is lost


# (fragment root, inbox key -> references, exchange, re-runnable) -> one reference per exchange partition
Submit = Callable[[_logical.Node, dict[int, list[Any]], Exchange, bool], list[Any]]
# a table -> its reference in the object store
Put = Callable[[pa.Table], Any]


class RayPlanner:
    """Plans ``root`` over ``width`` partitions, submitting fragments as it goes."""

    def __init__(self, root: _logical.Node, width: int, submit: Submit, put: Put, batch_size: int) -> None:
        self.root = root
        self.push = Pushdown(root)
        self.width = width
        self.submit = submit
        self.put = put
        self.batch_size = batch_size
        self.memo: dict[int, list[Part]] = {}

    def results(self) -> list[Any]:
        """The references of the result's tables, in order."""
        return [ref for part in self.parts(self.root) for ref in self._run(part, Exchange())]

    # ---- cutting ----------------------------------------------------------------------

    def _run(self, part: Part, exchange: Exchange) -> list[Any]:
        return self.submit(part.node, part.inputs, exchange, part.files_only)

    def _narrow(self, part: _logical.Node, node: _logical.Node) -> _logical.Node:
        """Only the columns the rest of the plan reads from ``node`` (of which ``part`` is a
        partition) cross an exchange."""
        need = self.push.required.get(id(node))
        keep = [n for n in part.schema.names if need is None or n in need]
        if len(keep) == len(part.schema.names):
            return part
        return _logical.Project(part, [(n, col(n)) for n in keep], "select", ", ".join(keep))

    def cut(self, parts: list[Part], node: _logical.Node, exchange: Exchange) -> list[Part]:
        """Submits ``parts`` (the partitions of ``node``) and returns the consumer's
        partitions, each reading its share of every producer's output."""
        narrowed = [Part(self._narrow(p.node, node), p.inputs, p.files_only) for p in parts]
        outputs = [self._run(p, exchange) for p in narrowed]
        schema = narrowed[0].node.schema
        consumers = []
        for i in range(exchange.partitions):
            inbox = Inbox(schema, node.types_known)
            consumers.append(Part(inbox, {inbox.key: [refs[i] for refs in outputs]}, False))
        return consumers

    def gather(self, node: _logical.Node) -> Part:
        (one,) = self.cut(self.parts(node), node, Exchange())
        return one

    def hashed(self, node: _logical.Node, keys: list[str], partitions: int,
               types: dict[str, pa.DataType] | None = None) -> list[Part]:
        return self.cut(self.parts(node), node, Exchange(partitions, tuple(keys), types or {}))

    # ---- one case per node kind ---------------------------------------------------------

    def parts(self, node: _logical.Node) -> list[Part]:
        found = self.memo.get(id(node))
        if found is None:
            found = self.memo[id(node)] = self._parts(node)
        return found

    def _parts(self, node: _logical.Node) -> list[Part]:  # noqa: C901 - one case per node kind
        if isinstance(node, _logical.FileSource):
            return self._files(node)
        if isinstance(node, _logical.ArrowSource):
            return self._memory(node)
        if isinstance(node, (_logical.Filter, _logical.Project, _logical.Transform)):
            return [Part(with_inputs(node, (p.node,)), p.inputs, p.files_only) for p in self.parts(node.inputs[0])]
        if isinstance(node, _logical.Union):
            return [p for i in node.inputs for p in self.parts(i)]
        if isinstance(node, _logical.Limit):
            below = [Part(with_inputs(node, (p.node,)), p.inputs, p.files_only) for p in self.parts(node.inputs[0])]
            one = self.cut(below, node, Exchange())[0]
            return [Part(with_inputs(node, (one.node,)), one.inputs, False)]
        if isinstance(node, _logical.Sort):
            one = self.gather(node.inputs[0])
            return [Part(with_inputs(node, (one.node,)), one.inputs, False)]
        if isinstance(node, _logical.Stateful):
            return self._stateful(node)
        if isinstance(node, _logical.Aggregate):
            return self._aggregate(node)
        if isinstance(node, _logical.Join):
            return self._join(node)
        raise TypeError(f"cannot plan {type(node).__name__} on Ray")

    def _files(self, node: _logical.FileSource) -> list[Part]:
        predicate = self.push.scan_filter(node)
        tasks = node.scan.tasks(self.push.scan_columns(node), predicate)
        count = max(1, min(self.width, len(tasks)))
        size, extra = divmod(len(tasks), count)
        parts, at = [], 0
        for i in range(count):
            n = size + (i < extra)
            parts.append(Part(fixed_tasks(node, tasks[at:at + n])))
            at += n
        return parts

    def _memory(self, node: _logical.ArrowSource) -> list[Part]:
        """In-memory data is read on the driver once and put in the object store in slices."""
        if node.one_shot:
            if node.used:
                raise ValueError(f"{node.description}: this stream was already read by an earlier run; a stream "
                                 "can be read once (collect it, or pass a table or a list)")
            node.used = True
        batches = list(sliced(node.batches(), self.batch_size))
        table = pa.Table.from_batches(batches, node.schema) if batches else node.schema.empty_table()
        count = max(1, min(self.width, -(-table.num_rows // self.batch_size)))
        step = -(-table.num_rows // count) if table.num_rows else 0
        parts = []
        for i in range(count):
            inbox = Inbox(node.schema, node.types_known)
            parts.append(Part(inbox, {inbox.key: [self.put(table.slice(i * step, step))]}, False))
        return parts

    def _stateful(self, node: _logical.Stateful) -> list[Part]:
        if node.partition_by is None:
            ones = [self.gather(i) for i in node.inputs]
            return [Part(with_inputs(node, tuple(p.node for p in ones)), _merged(ones), False)]
        k = node.parallelism
        sides = [self.hashed(i, node.partition_by, k) for i in node.inputs]
        return [Part(pinned(node, tuple(s[w].node for s in sides), w, k), _merged([s[w] for s in sides]), False)
                for w in range(k)]

    def _aggregate(self, node: _logical.Aggregate) -> list[Part]:
        width = self.width if node.keys else 1
        if not _ray_aggregate.splittable(node):
            if node.maintain_order or not node.keys:
                groups = [self.gather(node.inputs[0])]
            else:
                groups = self.hashed(node.inputs[0], node.keys, width)
            return [Part(with_inputs(node, (g.node,)), g.inputs, False) for g in groups]
        below = [Part(_ray_aggregate.partial(node, p.node), p.inputs, p.files_only)
                 for p in self.parts(node.inputs[0])]
        groups = self.cut(below, below[0].node, Exchange(width, tuple(node.keys)))
        return [Part(_ray_aggregate.final(node, g.node), g.inputs, False) for g in groups]

    def _join(self, node: _logical.Join) -> list[Part]:
        left, right = node.inputs
        small = self._broadcast_side(node)
        if small is not None:
            one = self.gather(node.inputs[small])
            big = self.parts(node.inputs[1 - small])
            return [Part(with_inputs(node, (b.node, one.node) if small == 1 else (one.node, b.node)),
                         _merged([b, one]), False) for b in big]
        types = _key_types(node)
        lefts = self.hashed(left, node.left_keys, self.width, dict(zip(node.left_keys, types)))
        rights = self.hashed(right, node.right_keys, self.width, dict(zip(node.right_keys, types)))
        return [Part(with_inputs(node, (a.node, b.node)), _merged([a, b]), False) for a, b in zip(lefts, rights)]

    def _broadcast_side(self, node: _logical.Join) -> int | None:
        """The input to broadcast: a side known to be small whose unmatched rows the join
        does not keep."""
        allowed = {"inner": (1, 0), "left": (1,), "semi": (1,), "anti": (1,), "right": (0,)}.get(node.how, ())
        sizes = {side: _rows(node.inputs[side]) for side in allowed}
        known = [(rows, side) for side, rows in sizes.items() if rows is not None and rows <= BROADCAST_ROWS]
        return min(known)[1] if known else None


def _merged(parts: list[Part]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for p in parts:
        out.update(p.inputs)
    return out


def _rows(node: _logical.Node) -> int | None:
    """An upper bound of ``node``'s row count known without running, or None."""
    if isinstance(node, _logical.FileSource):
        return node.scan.known_rows()
    if isinstance(node, _logical.ArrowSource):
        return node.rows
    if isinstance(node, (_logical.Filter, _logical.Project, _logical.Sort)):
        return _rows(node.inputs[0])
    if isinstance(node, _logical.Limit):
        below = _rows(node.inputs[0])
        return node.n if below is None else min(node.n, below)
    return None


def _key_types(node: _logical.Join) -> list[pa.DataType]:
    """Per key pair, one type both sides' keys are cast to before hashing, so equal values
    land in the same partition whatever their integer width or string flavour."""
    types = []
    for lk, rk in zip(node.left_keys, node.right_keys):
        a = _logical._output_type(node.inputs[0].schema.field(lk).type)
        b = _logical._output_type(node.inputs[1].schema.field(rk).type)
        if pa.types.is_integer(a) and pa.types.is_integer(b):
            types.append(pa.int64())
        elif pa.types.is_floating(a) and pa.types.is_floating(b):
            types.append(pa.float64())
        elif pa.types.is_string(a) or pa.types.is_large_string(a):
            types.append(pa.large_string())
        elif pa.types.is_decimal(a):
            types.append(pa.decimal128(38, a.scale))
        else:
            types.append(a)
    return types
