"""The hash join operators: the native kernel (cpp/kernels/join.h) driven from the
DataStream runtime.

    build      every worker of the build side's stage sinks its batches into its own
               ``JoinBuild``; at the end of its input it hands it to the run's ``JoinTable``;
    finalize   a stage behind it, started once every build worker is done, builds the
               table's radix partitions in parallel (worker w: partitions p % workers == w);
               the last one to finish opens the gate;
    probe      the probe side's workers (fused with the stage that produces the probe
               side) probe each batch and emit bounded output batches. Sources that feed
               only the probe side wait at the gate, so the probe side streams with bounded
               memory; batches that arrive before the table is ready anyway (the two sides
               share a source) wait in the worker until it is;
    tail       a stage reading both the probe outputs and the finalize stage: it forwards
               the outputs and, once every prober finished, emits the build rows that the
               join kind needs from the table (unmatched ones for outer joins built from the
               outer side, matched or unmatched ones for semi/anti joins built from the left).

The kernel gathers columns of the key types (numbers, strings, dates, timestamps,
decimal128). Any other column (binary, lists, structs, decimal256, durations...) is carried
by row number: the kernel gathers a hidden int64 column numbering its side's rows instead,
and the output takes the column's values by those numbers with pyarrow (:class:`RowStore`
keeps the build side's such columns; a probe batch's are taken from the batch itself).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._agg_spec import is_key_type
from ._arrow_pool import POOL
from ._claims import PartitionClaims
from ._executor import Context
from ._join_filter import KeyFilter, KeyTerm, filterable_key_types
from ._logical import Aggregate, ArrowSource, FileSource, Filter, Join, Limit, Node
from ._ops import Calls, Meter, metered
from ._selectivity import filter_share

# The kernel's emit mode per (how, build side).
_EMIT = {
    ("inner", "left"): "inner", ("inner", "right"): "inner",
    ("left", "right"): "probe_outer", ("left", "left"): "build_outer",
    ("right", "left"): "probe_outer", ("right", "right"): "build_outer",
    ("outer", "left"): "full_outer", ("outer", "right"): "full_outer",
    ("semi", "right"): "probe_semi", ("semi", "left"): "build_semi",
    ("anti", "right"): "probe_anti", ("anti", "left"): "build_anti",
}


# The share of its input rows a filter is guessed to keep when choosing a join's build side
# (DuckDB's default guess for a predicate it has no statistics for).
FILTER_SELECTIVITY = 0.2


# The share of its input rows a group-by is guessed to keep: its keys usually repeat, and an
# aggregate joined to a whole table (totals per customer, then the customers' names) is
# usually the smaller side, which then builds the join and filters the table's scan.
GROUPBY_SELECTIVITY = 0.1


# The kinds that never output a probe row without a match (so such rows may be dropped
# before the probe): the unmatched probe rows of the others are part of their output.
_FILTERABLE = frozenset({"inner", "probe_semi", "build_semi", "build_anti", "build_outer"})


def known_rows(node: Node, memo: dict[int, float | None] | None = None) -> float | None:
    """An estimate of the rows a plan's output has, from its sources' sizes (in-memory tables,
    Parquet footers), for choosing a join's build side; None when a source's size is unknown.
    ``memo`` (by node id) keeps the estimates of one planning: each join asks about its whole
    subtree, and a filter's statistics estimate costs a fraction of a millisecond.
    A filter keeps :data:`FILTER_SELECTIVITY` of its input (of a Parquet scan: the share
    its range terms keep by the column statistics, see ``_selectivity``), a group-by
    :data:`GROUPBY_SELECTIVITY` (an aggregate without keys one row), a join as many rows as
    its larger input (a semi or anti join: its left one), a limit at most its ``n``; other
    nodes keep their inputs' rows.

    Examples:
        >>> import headrace as hr
        >>> t = hr.from_arrow({"k": list(range(100))})
        >>> known_rows(t.filter(hr.col("k") > 5)._node)
        20.0
        >>> known_rows(t.join(t.filter(hr.col("k") > 5), on="k")._node)
        100
        >>> known_rows(t.groupby("k").agg(n=("k", "count"))._node)
        10.0
    """
    if memo is None:
        memo = {}
    if id(node) not in memo:
        memo[id(node)] = _estimate(node, [known_rows(i, memo) for i in node.inputs])
    return memo[id(node)]


def _estimate(node: Node, inputs: list[float | None]) -> float | None:
    """``node``'s rows from its inputs' estimates (see :func:`known_rows`)."""
    if isinstance(node, ArrowSource):
        return node.rows
    if isinstance(node, FileSource):
        return node.scan.known_rows()
    if any(n is None for n in inputs):
        return None
    if isinstance(node, Filter):
        source = node.inputs[0]
        if isinstance(source, FileSource) and source.scan.format == "parquet":
            return inputs[0] * filter_share(source.scan, node.predicate, FILTER_SELECTIVITY)  # type: ignore[operator]
        return inputs[0] * FILTER_SELECTIVITY  # type: ignore[operator]
    if isinstance(node, Aggregate):
        return inputs[0] * GROUPBY_SELECTIVITY if node.keys else 1  # type: ignore[operator]
    if isinstance(node, Join):
        return inputs[0] if node.how in ("semi", "anti") else max(inputs)  # type: ignore[type-var]
    if isinstance(node, Limit):
        return min(node.n, inputs[0])  # type: ignore[type-var]
    return sum(inputs)  # type: ignore[arg-type]


# The hidden column numbering a side's rows, for the columns carried by row number.
ROW = "__headrace_join_row"


class RowStore:
    """The build side's columns that the kernel cannot gather, numbered as they are sunk.

    Examples:
        >>> store = RowStore()
        >>> store.add(pa.record_batch({"x": [[1], [2, 3]]})).to_pylist()
        [0, 1]
        >>> store.add(pa.record_batch({"x": [[4]]})).to_pylist()
        [2]
        >>> store.take(pa.array([2, None, 0])).column("x").to_pylist()
        [[4], None, [1]]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: list[pa.RecordBatch] = []
        self._rows = 0
        self._table: pa.Table | None = None

    def add(self, batch: pa.RecordBatch) -> pa.Array:
        """Keeps ``batch`` (any worker) and returns its rows' numbers."""
        with self._lock:
            first = self._rows
            self._rows += batch.num_rows
            self._batches.append(batch)
        return pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))

    def take(self, rows: pa.Array) -> pa.Table:
        """The kept rows numbered ``rows`` (a null number gives a null row); after the last add."""
        with self._lock:
            if self._table is None:
                self._table = pa.Table.from_batches(self._batches).combine_chunks(memory_pool=POOL)
                self._batches = []
        return pc.take(self._table, rows, memory_pool=POOL)


def _with_row_numbers(batch: pa.RecordBatch, columns: list[str], rows: pa.Array) -> pa.RecordBatch:
    """``batch``'s ``columns`` but the last (:data:`ROW`), then ``rows`` as that one."""
    arrays = [batch.column(n) for n in columns[:-1]] + [rows]
    return pa.RecordBatch.from_arrays(arrays, names=columns)


class Prepared:
    """The kernel plan of one join and how its output batches become the join's columns."""

    def __init__(self, node: Join, required: set[str], estimates: dict[int, float | None] | None = None) -> None:
        self.build_side = node.build or self._smaller(node, estimates)
        build = 0 if self.build_side == "left" else 1
        probe = 1 - build
        self.emit = _EMIT[(node.how, self.build_side)]
        self.outputs = [(name, side, source) for name, side, source in node.columns if name in required]
        needed: list[set[str]] = [set(), set()]
        for name, side, source in self.outputs:
            needed[side].add(source)
            if name in node.coalesced:
                needed[1].add(node.coalesced[name])
        keys = (node.left_keys, node.right_keys)
        # A key filter drops the probe rows that cannot match before they are probed.
        self.build_key, self.probe_key = keys[build][0], keys[probe][0]
        self.key_filter = (self.emit in _FILTERABLE and len(keys[build]) == 1 and not node.nulls_equal
                           and filterable_key_types(node.inputs[build].schema.field(self.build_key).type,
                                                    node.inputs[probe].schema.field(self.probe_key).type))
        # Columns of types the kernel does not gather are carried by row number (ROW).
        self.by_row = [{n for n in needed[side] if not is_key_type(node.inputs[side].schema.field(n).type)}
                       for side in (0, 1)]
        for side in (0, 1):
            if self.by_row[side] and ROW in node.inputs[side].schema.names:
                raise ValueError(f"join: the {('left', 'right')[side]} side has a column named {ROW!r}, which the "
                                 "join uses for itself; rename it")
        # Each side's input columns: its keys and what the output gathers, in schema order.
        self.inputs = []
        for side in (0, 1):
            wanted = (set(keys[side]) | needed[side]) - self.by_row[side]
            names = [n for n in node.inputs[side].schema.names if n in wanted]
            self.inputs.append(names + [ROW] if self.by_row[side] else names)
        gathered = [sorted((needed[side] - self.by_row[side]) | ({ROW} if self.by_row[side] else set()),
                           key=self.inputs[side].index) for side in (0, 1)]
        schemas = [pa.schema([pa.field(ROW, pa.int64()) if n == ROW else node.inputs[s].schema.field(n)
                              for n in self.inputs[s]]) for s in (0, 1)]
        self.plan = _core.JoinPlan(
            schemas[build], schemas[probe],
            [self.inputs[build].index(k) for k in keys[build]], [self.inputs[probe].index(k) for k in keys[probe]],
            self.emit, node.nulls_equal,
            [self.inputs[build].index(n) for n in gathered[build]],
            [self.inputs[probe].index(n) for n in gathered[probe]])
        # Where each side's gathered columns sit in the kernel's output (probe columns, then
        # build columns; a side the kind does not emit has none).
        probe_emitted = self.emit not in ("build_semi", "build_anti")
        build_emitted = self.emit not in ("probe_semi", "probe_anti")
        at: dict[tuple[int, str], int] = {}
        position = 0
        for side, emitted in ((probe, probe_emitted), (build, build_emitted)):
            if emitted:
                for n in gathered[side]:
                    at[(side, n)] = position
                    position += 1
        self.positions = at
        self.coalesced = node.coalesced
        self.schema = pa.schema([node.schema.field(name) for name, _, _ in self.outputs])
        self.probe_input = probe
        self.build_input = build
        self.build_rows = RowStore() if self.by_row[build] else None

    @staticmethod
    def _smaller(node: Join, estimates: dict[int, float | None] | None = None) -> str:
        left, right = known_rows(node.inputs[0], estimates), known_rows(node.inputs[1], estimates)
        smaller_left = left is not None and right is not None and left < right
        if node.how in ("semi", "anti"):
            # Probing with the left side is direct (each left row once), so the left side is
            # built only when it is much smaller: building the larger side costs more than
            # tracking matched rows (TPC-H Q4: 1.5M orders against 6M lines, twice as fast).
            return "left" if smaller_left and left * 2 < right else "right"  # type: ignore[operator]
        return "left" if smaller_left else "right"

    def new_key_filter(self) -> KeyFilter | None:
        """A run's key filter, if this join takes one."""
        return KeyFilter() if self.key_filter else None

    def shape(self, batch: pa.RecordBatch, probed: pa.RecordBatch | None = None) -> pa.RecordBatch:
        """A kernel output batch as the join's columns (renamed, reordered, keys coalesced);
        ``probed``: the probe batch it came from (None: build rows without a probe row)."""
        if not self.outputs:  # nothing read downstream (a count): the batch only carries its rows
            return batch
        taken = {side: self._taken(side, batch, probed) for side in (0, 1) if self.by_row[side]}
        arrays = []
        for (name, side, source), field in zip(self.outputs, self.schema):
            if source in self.by_row[side]:
                arrays.append(taken[side].column(source).combine_chunks(memory_pool=POOL))
                continue
            array = batch.column(self.positions[(side, source)])
            if name in self.coalesced:
                other = batch.column(self.positions[(1, self.coalesced[name])])
                array = pc.coalesce(pc.cast(array, field.type, memory_pool=POOL),
                                    pc.cast(other, field.type, memory_pool=POOL), memory_pool=POOL)
            elif array.type != field.type:
                array = pc.cast(array, field.type, memory_pool=POOL)
            arrays.append(array)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _taken(self, side: int, batch: pa.RecordBatch, probed: pa.RecordBatch | None) -> pa.Table:
        """The by-row columns of one side for the rows of a kernel output batch."""
        names = sorted(self.by_row[side])
        position = self.positions.get((side, ROW))
        if side == self.build_input:
            assert self.build_rows is not None
            rows = batch.column(position) if position is not None else pa.nulls(batch.num_rows, pa.int64())
            return self.build_rows.take(rows).select(names)
        if probed is None:
            return pa.table({n: pa.nulls(batch.num_rows, self.schema.field(n).type) for n in names})
        return pc.take(pa.Table.from_batches([probed]).select(names), batch.column(position), memory_pool=POOL)


class Gate:
    """Opens when the build side's table is ready, or when the run is ending without it. The
    finalizers claim the table's partitions (``claims``), and whoever finalizes the last
    opens it."""

    def __init__(self, partitions: int) -> None:
        self.event = threading.Event()
        self.ready = False
        self.claims = PartitionClaims(partitions)

    def open(self) -> None:
        self.ready = True
        self.event.set()

    def wait(self) -> bool:
        """Blocks (without the GIL) until the gate opens; True if the table is ready."""
        self.event.wait()
        return self.ready


def build_calls(name: str, prepared: Prepared, table: Any, worker: int, workers: int, meter: Meter,
                keys: KeyFilter | None = None) -> Calls:
    columns = prepared.inputs[prepared.build_input]
    state: list[Any] = []

    def execute(batch: pa.RecordBatch, ctx: Context) -> None:
        if not state:  # made at the first batch: an open hook would take the GIL as every driver starts
            state.append(_core.JoinBuild(prepared.plan))
        if keys is not None:
            keys.add(batch.column(prepared.build_key))
        if prepared.build_rows is not None:
            rows = prepared.build_rows.add(batch.select(sorted(prepared.by_row[prepared.build_input])))
            batch = _with_row_numbers(batch, columns, rows)
        state[0].sink(batch if batch.schema.names == columns else batch.select(columns))

    def finish(ctx: Context) -> None:
        table.combine(state.pop() if state else _core.JoinBuild(prepared.plan))

    return (name, metered(execute, meter), Context(name, worker, workers), None, finish, None)


def finalize_calls(name: str, table: Any, gate: Gate, worker: int, workers: int,
                   keys: KeyFilter | None = None) -> Calls:
    done = []

    def finish(ctx: Context) -> None:
        while (p := gate.claims.claim()) is not None:
            table.finalize_partition(p)
            if gate.claims.finished():  # the last partition: the key filter too, then the gate opens
                if keys is not None:
                    keys.finish()
                gate.open()
        done.append(True)

    def close(ctx: Context) -> None:
        if not done:  # the run is failing: nothing may wait for a table that never comes
            gate.event.set()

    return (name, lambda item, ctx: None, Context(name, worker, workers), None, finish, close)


def probe_calls(name: str, prepared: Prepared, table: Any, gate: Gate, batch_size: int, worker: int, workers: int,
                meter: Meter, keys: KeyFilter | None = None) -> Calls:
    columns = prepared.inputs[prepared.probe_input]
    by_row = bool(prepared.by_row[prepared.probe_input])
    pending: list[pa.RecordBatch] = []
    prober: list[Any] = []
    # The key filter, per worker (it switches itself off where it does not pay).
    term = KeyTerm(prepared.probe_key, keys) if keys is not None else None

    def outputs(batches: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        if not prober:
            prober.append(table.prober(batch_size))
        for batch in batches:
            if term is not None:
                found = term.apply(batch)
                if found is None:
                    continue
                batch = found
            probed = batch
            if by_row:
                batch = _with_row_numbers(batch, columns, pa.array(np.arange(batch.num_rows, dtype=np.int64)))
            prober[0].probe(batch if batch.schema.names == columns else batch.select(columns))
            while (out := prober[0].next()) is not None:
                yield prepared.shape(pa.record_batch(out), probed)

    def execute(batch: pa.RecordBatch, ctx: Context) -> Any:
        if not gate.event.is_set():  # the two sides share a source: keep the batch until the table is ready
            pending.append(batch)
            return None
        if not gate.ready:
            return None  # the run is failing elsewhere
        batches = pending + [batch]
        pending.clear()
        return outputs(batches)

    counted = metered(execute, meter)

    def finish(ctx: Context) -> Any:
        if not gate.wait():
            return None
        batches = list(pending)
        pending.clear()
        return counted.counted_outputs(outputs(batches), time.perf_counter())  # type: ignore[attr-defined]

    return (name, counted, Context(name, worker, workers), None, finish, None)


def tail_calls(name: str, prepared: Prepared, table: Any, batch_size: int, worker: int, workers: int,
               meter: Meter) -> Calls:
    """Forwards the probe outputs; at the end, its share of the partitions' build rows."""
    scan = prepared.emit in ("build_outer", "full_outer", "build_semi", "build_anti")
    matched = prepared.emit == "build_semi"

    def scans() -> Iterator[pa.RecordBatch]:
        for p in range(worker, table.partitions, workers):
            scanner = table.scan_build(p, matched, batch_size)
            while (out := scanner.next()) is not None:
                shaped = prepared.shape(pa.record_batch(out))
                meter.gave(shaped)
                yield shaped

    def finish(ctx: Context) -> Iterator[pa.RecordBatch] | None:
        return scans() if scan else None

    return (name, lambda batch, ctx: batch, Context(name, worker, workers), None, finish, None)
