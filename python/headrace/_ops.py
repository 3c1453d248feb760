"""The per-batch work of each DataStream operator, as the callables native drivers run.

Each function here builds the ``(step, execute, ctx, open, finish, close)`` calls of one
worker instance. ``execute`` takes one Arrow record batch and returns a batch, ``None``
(nothing) or a generator (several). A ``Meter`` per instance counts what went through it,
for ``explain(analyze=True)``; the GIL is held during the call, and each instance has its
own meter, so counting needs no lock.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _config, _core
from ._arrow_pool import POOL
from ._batches import as_batches, coalesced, conform, sliced, take_rows
from ._cpus import pinned, pinning_pays
from ._executor import Context, Executor, overrides
from ._expr import Column, Expr
from ._join_filter import KeyTerm
from ._scan_filter import ConjunctFilter
from ._steps import _copy_executor

Calls = tuple[str, Any, Any, Any, Any, Any]

# Rows per read when a scan evaluates its own filter (a typical Parquet row group).
FILTER_ROWS = 1 << 20


class Meter:
    """What one instance of an operator saw."""

    __slots__ = ("batches_in", "rows_in", "batches_out", "rows_out", "seconds")

    def __init__(self) -> None:
        self.batches_in = self.rows_in = self.batches_out = self.rows_out = 0
        self.seconds = 0.0

    def took_in(self, batch: Any) -> None:
        self.batches_in += 1
        self.rows_in += getattr(batch, "num_rows", 0)

    def gave(self, batch: Any) -> None:
        self.batches_out += 1
        self.rows_out += batch.num_rows


class Routed(tuple):  # type: ignore[type-arg]
    """``(partition, batch)``: the native driver sends ``batch`` to consumer ``partition``."""


def _emit(batches: list[pa.RecordBatch]) -> Any:
    batches = [b for b in batches if b.num_rows]
    if not batches:
        return None
    if len(batches) == 1:
        return batches[0]
    return (b for b in batches)


def metered(fn: Callable[..., Any], meter: Meter) -> Callable[..., Any]:
    """``fn`` counting its input and output batches and the time spent in it."""

    def counted_outputs(result: Any, started: float) -> Any:
        if result is None:
            meter.seconds += time.perf_counter() - started
            return None
        if not inspect.isgenerator(result):
            meter.seconds += time.perf_counter() - started
            meter.gave(result[1] if isinstance(result, Routed) else result)
            return result
        meter.seconds += time.perf_counter() - started
        return _counted_generator(result, meter)

    def call(batch: Any, *ctx: Any) -> Any:
        started = time.perf_counter()
        meter.took_in(batch)
        return counted_outputs(fn(batch, *ctx), started)

    call.counted_outputs = counted_outputs  # type: ignore[attr-defined]
    return call


def _counted_generator(gen: Iterator[Any], meter: Meter) -> Iterator[Any]:
    while True:
        started = time.perf_counter()
        try:
            value = next(gen)
        except StopIteration:
            meter.seconds += time.perf_counter() - started
            return
        meter.seconds += time.perf_counter() - started
        if value is not None:
            meter.gave(value[1] if isinstance(value, Routed) else value)
        yield value


def stateless(name: str, fn: Callable[[pa.RecordBatch], Any], meter: Meter) -> Calls:
    return (name, metered(fn, meter), None, None, None, None)


# ---- the operators ------------------------------------------------------------------------


def filter_fn(predicate: Expr, schema: pa.Schema) -> Callable[[pa.RecordBatch], Any]:
    """The rows of a batch (of ``schema``) for which ``predicate`` is true, or None: its
    simple terms natively, the rest through pyarrow (see ``ConjunctFilter``)."""
    terms = ConjunctFilter(predicate, schema, [])

    def run(batch: pa.RecordBatch) -> pa.RecordBatch | None:
        out = terms.apply(batch)
        return out if out is not None and out.num_rows else None

    return run


def project_fn(outputs: list[tuple[str, Expr]]) -> Callable[[pa.RecordBatch], Any]:
    names = [name for name, _ in outputs]
    exprs = [expr for _, expr in outputs]

    def run(batch: pa.RecordBatch) -> pa.RecordBatch:
        if not exprs:  # nothing read downstream (a count): keep the rows, no columns
            return batch.select([])
        arrays = [batch.column(e.name) if isinstance(e, Column) else e.evaluate(batch) for e in exprs]
        return pa.RecordBatch.from_arrays(arrays, names=names)

    return run


def transform_fn(fn: Callable[..., Any], required: list[str] | None, schema: pa.Schema, types_known: bool,
                 where: str) -> Callable[[pa.RecordBatch], Any]:
    def run(batch: pa.RecordBatch) -> Any:
        if required is not None:
            batch = batch.select(required)
        return _emit([conform(b, schema, types_known, where) for b in as_batches(fn(batch), where)])

    return run


def limit_fn(n: int, done: threading.Event) -> Callable[[pa.RecordBatch], Any]:
    """The first n rows; ``done`` is set once they passed (the sources feeding only this
    limit then stop reading)."""
    left = n

    def run(batch: pa.RecordBatch) -> pa.RecordBatch | None:
        nonlocal left
        if left <= 0:
            return None
        out = batch if batch.num_rows <= left else batch.slice(0, left)
        left -= out.num_rows
        if left <= 0:
            done.set()
        return out

    return run


def partition_fn(keys: list[str], partitions: int, required: list[str] | None) -> Callable[[pa.RecordBatch], Any]:
    """Splits a batch by the hash of its key columns (in C++) into one batch per consumer.
    Only the keys cross into C++, so the other columns may have any type."""

    def run(batch: pa.RecordBatch) -> Iterator[Routed]:
        if required is not None:
            batch = batch.select(required)
        if partitions == 1:
            yield Routed((0, batch))
            return
        for p, rows in enumerate(_core.hash_partition(batch.select(keys), keys, partitions)):
            indices = pa.array(rows)
            if len(indices):
                yield Routed((p, take_rows(batch, indices)))

    return run


def scan_fn(scan: Any, columns: list[str], arrow_filter: Any, predicate: Expr | None,
            encoded: list[str], keys: Sequence[KeyTerm] = (), kept: Sequence[str] = (),
            output: Sequence[str] | None = None) -> Callable[[Any], Any]:
    """Reads one scan task. A Parquet filter is evaluated here rather than by the reader
    (which only skips row groups by their statistics), and so are the key filters of the
    joins this scan is the probe side of (``keys``). The ``encoded`` string columns are
    read as dictionaries and decoded after the filter, only for the rows that pass: a
    filter compares their few distinct values, and decoding a dictionary costs less than
    pyarrow's reading the strings directly when it is small. Those also ``kept`` stay
    dictionaries (int32 indices): an aggregation groups by them. A Parquet scan's batches
    keep only its ``output`` columns (default: all), those read after the filter."""
    # Each worker reads its task on a CPU of its own where that pays (see _cpus).
    on_cpu = pinned if pinning_pays(_config.get("pin_scans"), _config.threads()) else (lambda read: read)
    if scan.format != "parquet" or (predicate is None and not encoded and not keys):
        return on_cpu(lambda task: scan.read(task, columns, arrow_filter))
    # Columns only the filter reads are dropped by the read, before anything decodes them.
    names = [n for n in columns if output is None or n in output]
    positions = [names.index(n) for n in encoded if n not in kept and n in names]
    filtered = predicate is not None or bool(keys)
    terms = ConjunctFilter(predicate, scan.project(columns), encoded, keys) if filtered else None
    rows = max(scan.batch_size, FILTER_ROWS) if terms is not None else scan.batch_size

    def decoded(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if positions:
                arrays = batch.columns
                for i in positions:
                    arrays[i] = arrays[i].cast(arrays[i].type.value_type)
                batch = pa.RecordBatch.from_arrays(arrays, names=names)
            yield batch

    def run(task: Any) -> Iterator[pa.RecordBatch]:
        # Filtering whole row groups costs fewer calls; the survivors are cut to batch size,
        # or joined up to it when row groups leave few.
        if terms is None:  # nothing is read only for a filter: names are the columns
            batches = decoded(scan.read(task, columns, None, encoded, batch_size=rows))
        else:
            batches = coalesced(decoded(scan.read_filtered(task, columns, terms, encoded, rows, names)),
                                scan.batch_size)
        yield from sliced(batches, scan.batch_size)

    return on_cpu(run)


def source_iterator(make: Callable[[], Any], meter: Meter | None, stops: list[threading.Event],
                    gates: list[Any] = ()) -> Callable[[], Iterator[Any]]:
    """Starts a pass over a source; it ends early once any of ``stops`` is set (every limit
    it feeds has its rows). It starts only once every one of ``gates`` (join tables this
    source is probed against) is open, and not at all if one opens on a failed run."""

    def start() -> Iterator[Any]:
        if not all(gate.wait() for gate in gates):
            return
        for item in make():
            if any(s.is_set() for s in stops):
                return
            if meter is not None:
                meter.gave(item)
            yield item

    return start


def executor_calls(name: str, executor: Executor, worker: int, workers: int, required: list[list[str] | None],
                   schema: pa.Schema, types_known: bool, meter: Meter, own: bool = False) -> Calls:
    """One instance of a user's executor: inputs projected to its required columns (per
    input stream), outputs turned into record batches and checked against ``new_schema``.
    Each instance works on a copy of ``executor`` unless it is the instance's ``own``
    (made for it by the planner)."""
    ex = executor if own else _copy_executor(executor, name)
    ctx = Context(name, worker, workers)
    where = f"stateful_transform '{name}'"

    first: list[pa.Schema] = []  # with names only, the types of the first output hold for the rest

    def checked(batch: pa.RecordBatch) -> pa.RecordBatch:
        batch = conform(batch, schema, types_known, where)
        if not types_known:
            if not first:
                first.append(batch.schema)
            elif not batch.schema.equals(first[0]):
                for was, now in zip(first[0], batch.schema):
                    if was.type != now.type:
                        raise TypeError(f"{where}: column {now.name!r} was {was.type} in an earlier output and is "
                                        f"{now.type} now; declare the types in new_schema to have them cast")
        return batch

    def outputs(result: Any) -> Any:
        if inspect.isgenerator(result):
            return (checked(b) for r in result for b in as_batches(r, where) if b.num_rows)
        return _emit([checked(b) for b in as_batches(result, where)])

    def execute(batch: pa.RecordBatch, ctx: Context) -> Any:
        columns = required[ctx.stream_id]
        return outputs(ex.execute(batch if columns is None else batch.select(columns), ctx))

    counted = metered(execute, meter)

    def finish(ctx: Context) -> Any:
        return counted.counted_outputs(outputs(ex.finish(ctx)), time.perf_counter())  # type: ignore[attr-defined]

    def hook(method: str) -> Any:
        return getattr(ex, method) if overrides(ex, method) else None

    return (name, counted, ctx, hook("open"), finish, hook("close"))


class SortExecutor(Executor):
    """Gathers its whole input, then sorts it (nulls last) and emits it in batches."""

    def __init__(self, keys: list[str], descending: list[bool], schema: pa.Schema, batch_size: int) -> None:
        self.keys = keys
        self.descending = descending
        self.schema = schema
        self.batch_size = batch_size
        self.batches: list[pa.RecordBatch] = []  # not made in open(): a hook takes the GIL at the start

    def execute(self, batch: pa.RecordBatch, ctx: Context) -> None:
        self.batches.append(batch)

    def finish(self, ctx: Context) -> Any:
        if not self.batches:
            return None
        table = pa.Table.from_batches(self.batches)
        self.batches = []
        order = [(k, "descending" if d else "ascending") for k, d in zip(self.keys, self.descending)]
        rows = pc.sort_indices(table, sort_keys=order, memory_pool=POOL)
        ordered = pc.take(table, rows, memory_pool=POOL)
        return (b for b in ordered.to_batches(max_chunksize=self.batch_size) if b.num_rows)
