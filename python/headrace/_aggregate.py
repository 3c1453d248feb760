"""The hash aggregation operators: the native kernel (cpp/kernels/aggregate.h) driven from
the DataStream runtime in DuckDB's three phases.

    sink      every worker of the aggregating stage owns an ``AggregateState`` and feeds it
              its batches (the kernel runs with the GIL released);
    combine   at the end of its input each worker hands its state to the run's one
              ``AggregateResult``;
    finalize  a stage behind it, whose workers start only once every state is combined,
              merges and finalizes the radix partitions: worker w takes the partitions
              p with p % workers == w, so partitions merge in parallel without locks.

First/last need the input order: each batch's rows are numbered ``(item << 32) + row``,
where ``item`` is the number the runtime gave the stage's input item (``ctx._seq``) and
``row`` counts the rows this worker already saw of that item.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core
from ._aggregate_fusion import Fusion
from ._arrow_pool import POOL
from ._batches import sliced
from ._claims import PartitionClaims
from ._executor import Context
from ._logical import Aggregate
from ._ops import Calls, Meter, metered

# Hidden aggregate of ``maintain_order``: each group's first row number, sorted on at the end.
ORDER_COLUMN = "__headrace_first_row"
_ROW_NUMBER = "__headrace_row"


class SeqContext(Context):
    """A Context the runtime stamps with the input item's number (``_seq``)."""

    __slots__ = ("_seq",)

    def __init__(self, step: str, worker: int, workers: int) -> None:
        super().__init__(step, worker, workers)
        self._seq = 0


class Prepared:
    """What one aggregation computes, checked by the kernel at plan time."""

    def __init__(self, node: Aggregate, encoded: Collection[str] = (), fusion: Fusion | None = None) -> None:
        """``encoded``: the keys whose batches come dictionary-encoded (int32 indices; the
        scan left them so, see ``Pushdown._group_key_of``). ``fusion``: the projections
        under the aggregation that it computes itself (the batches are then ``fusion.source``'s)."""
        self.fusion = fusion
        derived: list[tuple[Any, ...]] = []
        if fusion is None:
            schema = node.inputs[0].schema
            columns = set(node.keys) | {s.column for s in node.specs if s.column != "*"}
            self.columns = [n for n in schema.names if n in columns]
            reads: dict[str, int] = {n: i for i, n in enumerate(self.columns)}
        else:
            schema = fusion.source.schema
            self.columns = list(fusion.given)
            encoded = {fusion.reads[k] for k in encoded}
            derived = fusion.derived
            if node.maintain_order:  # the row numbers come between the given and the derived columns
                given = len(self.columns)
                derived = [(f, steps, [(c + (c >= given), k) for c, k in operands]) for f, steps, operands in derived]
        fields = [schema.field(n) for n in self.columns]
        fields = [f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in encoded else f for f in fields]
        self.maintain_order = node.maintain_order
        if node.maintain_order:
            fields.append(pa.field(_ROW_NUMBER, pa.uint64()))
        if fusion is not None:  # a read column: a given one, or a derived one after the given
            reads = {name: self.columns.index(where) if isinstance(where, str) else len(fields) + where
                     for name, where in fusion.reads.items()}
        specs = [(s.function, reads[s.column] if s.column != "*" else -1, s.name) for s in node.specs]
        keys = [reads[k] for k in node.keys]
        given = len(fields)
        fields += [field for field, _, _ in derived]
        if node.maintain_order:
            specs.append(("first", given - 1, ORDER_COLUMN))
        try:
            self.plan = _core.AggregatePlan(pa.schema(fields), keys, specs,
                                            [(steps, operands) for _, steps, operands in derived])
        except TypeError as exc:  # the kernel's own check, should the Python one have missed a case
            raise TypeError(f"{node.operator}: {exc}") from exc


def sink_calls(name: str, prepared: Prepared, result: Any, worker: int, workers: int, meter: Meter) -> Calls:
    """One worker's sink: batches into its own state; at the end, the state into ``result``."""
    ctx = SeqContext(name, worker, workers)
    columns = prepared.columns
    fusion = prepared.fusion
    state: list[Any] = []
    seen = [-1, 0]  # (item number, rows of it seen)

    def execute(batch: pa.RecordBatch, ctx: SeqContext) -> None:
        if not state:  # made at the first batch: an open hook would take the GIL as every driver starts
            state.append(_core.AggregateState(prepared.plan))
        if seen[0] != ctx._seq:
            seen[0], seen[1] = ctx._seq, 0
        base = (ctx._seq << 32) + seen[1]
        seen[1] += batch.num_rows
        given = batch if batch.schema.names == columns else batch.select(columns)
        if prepared.maintain_order:
            given = given.append_column(_ROW_NUMBER, pa.array(np.arange(base, base + batch.num_rows, dtype=np.uint64)))
        added = state[0].sink(given, base)
        if added < batch.num_rows:  # a derived column's program stopped: the rest as the projections say
            assert fusion is not None
            rest = given.slice(added)
            derived = fusion.complete(batch.slice(added))
            for (field, _, _), column in zip(fusion.derived, derived.columns):
                rest = rest.append_column(field.name, column)
            state[0].sink(rest, base + added)

    def finish(ctx: Context) -> None:
        result.combine(state.pop() if state else _core.AggregateState(prepared.plan))

    return (name, metered(execute, meter), ctx, None, finish, None)


def finalize_calls(name: str, result: Any, claims: PartitionClaims, schema: pa.Schema, batch_size: int,
                   worker: int, workers: int, meter: Meter) -> Calls:
    """One worker of the finalizing stage: the partitions it claims, as record batches of
    ``schema`` (the plan's, which may differ from the kernel's in nullability only)."""
    ctx = Context(name, worker, workers)

    def finish(ctx: Context) -> Iterator[pa.RecordBatch]:
        small: list[pa.RecordBatch] = []  # partitions of few groups travel together
        while (p := claims.claim()) is not None:
            batch = pa.RecordBatch.from_arrays(pa.record_batch(result.finalize_partition(p)).columns, schema=schema)
            if batch.num_rows >= batch_size // 4:
                yield from _counted(sliced([batch], batch_size), meter)
            elif batch.num_rows:
                small.append(batch)
                if sum(b.num_rows for b in small) >= batch_size // 4:
                    yield from _counted(_concat(small), meter)
                    small = []
        if small:
            yield from _counted(_concat(small), meter)

    return (name, metered(lambda item, ctx: None, meter), ctx, None, finish, None)


def _counted(batches: Iterable[pa.RecordBatch], meter: Meter) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        meter.gave(batch)
        yield batch


def _concat(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """One batch of them all (pa.concat_batches is newer than pyarrow 15)."""
    return pa.Table.from_batches(batches).combine_chunks(memory_pool=POOL).to_batches()
