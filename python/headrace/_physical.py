"""From a DataStream's logical plan to a native run.

Planning first decides what the sources must read: the columns some operator downstream
needs (projection pushdown) and the filters that sit right on a file scan (handed to the
reader). Then operators are grouped into stages. A stage is a fused chain of operators run
by ``workers`` native drivers; per-batch operators join the stage of their input when it
runs with as many workers and has no other reader. A queue (an inbox) sits in front of each
stage that is not a source, where parallelism changes, where several inputs meet (union,
multi-input executors) and where rows are hash-partitioned (one inbox per instance, the
producer's exchange routing each partition). A stage read by several operators broadcasts
its batches to each of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from . import _aggregate, _config, _core, _join, _logical, _ops
from ._aggregate_fusion import fuse
from ._batches import sliced
from ._claims import PartitionClaims
from ._expr import Column
from ._expr_functions import Alias
from ._join_filter import KeyTerm
from ._plan import reorder_window

# Most items a driver takes per GIL acquisition: batches are large, so a few suffice.
MAX_BATCH = 8


class Pushdown:
    """What the planner hands to file sources, and the columns each node must produce."""

    def __init__(self, root: _logical.Node) -> None:
        self.order = _logical.walk(root)
        self.consumers: dict[int, list[_logical.Node]] = {}
        for node in self.order:
            for i in node.inputs:
                self.consumers.setdefault(id(i), []).append(node)
        self.readers = {key: len(found) for key, found in self.consumers.items()}
        self.required: dict[int, set[str]] = {id(root): set(root.schema.names)}
        for node in reversed(self.order):
            need = self.required.setdefault(id(node), set())
            for i, cols in zip(node.inputs, node.needs(need)):
                self.required.setdefault(id(i), set()).update(cols)
        # Filters directly on a scan (through other such filters) go into the reader.
        self.absorbed: set[int] = set()
        self.predicates: dict[int, list[Any]] = {}
        for node in self.order:
            if isinstance(node, _logical.Filter):
                source = self._scan_below(node)
                if source is not None and self._absorbable(node, source):
                    self.absorbed.add(id(node))
                    self.predicates.setdefault(id(source), []).append(node.predicate)

        # Scan columns that may reach an aggregation's keys still dictionary-encoded.
        self.to_group_keys: dict[int, dict[str, tuple[_logical.Aggregate, str]]] = {}
        for node in self.order:
            if isinstance(node, _logical.FileSource):
                for name in node.schema.names:
                    found = self._group_key_of(node, name)
                    if found is not None:
                        self.to_group_keys.setdefault(id(node), {})[name] = found

    def _group_key_of(self, source: _logical.FileSource, name: str) -> tuple[_logical.Aggregate, str] | None:
        """(aggregation, key) if column ``name`` of ``source`` reaches the rest of the plan
        only as that grouping key, through a chain of single-reader filters that do not
        read it and projections that pass it on as it is (perhaps renamed). Such a column
        can travel as a dictionary: the aggregation groups by its codes and decodes only
        the keys of its result."""
        node: _logical.Node = source
        while len(found := self.consumers.get(id(node), [])) == 1:
            (up,) = found
            if isinstance(up, _logical.Aggregate):
                return (up, name) if name in up.keys and all(s.column != name for s in up.specs) else None
            if isinstance(up, _logical.Filter):
                if id(up) not in self.absorbed and name in up.predicate.columns():
                    return None
            elif isinstance(up, _logical.Project):
                uses = [(out, e) for out, e in up.outputs if name in e.columns()]
                if len(uses) != 1 or not isinstance(uses[0][1], Column):
                    return None
                name = uses[0][0]
            else:
                return None
            node = up
        return None

    def _scan_below(self, node: _logical.Filter) -> _logical.FileSource | None:
        below = node.inputs[0]
        while isinstance(below, _logical.Filter) and self.readers[id(below)] == 1:
            below = below.inputs[0]
        if isinstance(below, _logical.FileSource) and self.readers[id(below)] == 1:
            return below
        return None

    @staticmethod
    def _absorbable(node: _logical.Filter, source: _logical.FileSource) -> bool:
        """Whether the scan can take the filter: a Parquet one always (headrace evaluates
        it, see ConjunctFilter), another when pyarrow's dataset filter can express it."""
        if source.scan.format == "parquet":
            return True
        try:
            node.predicate.to_pyarrow(source.scan.schema)
        except Exception:  # an expression pyarrow's dataset filter cannot express stays a filter
            return False
        return True

    def sources_only_feeding(self, node: _logical.Node) -> list[_logical.Node]:
        """The sources below ``node`` whose every row reaches the rest of the plan through
        ``node`` (none if some node below is also read from elsewhere)."""
        below = {id(n): n for n in _logical.walk(node) if n is not node}
        for key in below:
            if any(c is not node and id(c) not in below for c in self.consumers.get(key, [])):
                return []
        return [n for n in below.values() if not n.inputs]

    def scan_columns(self, source: _logical.FileSource) -> list[str]:
        need = self.required[id(source)]
        for predicate in self.predicates.get(id(source), []):
            need = need | predicate.columns()
        return [n for n in source.schema.names if n in need]

    def scan_output(self, source: _logical.FileSource) -> list[str]:
        """The scan columns that leave its filter: those the nodes above the filters it
        absorbed read (a column only a filter reads is not passed on)."""
        top: _logical.Node = source
        while len(above := self.consumers.get(id(top), [])) == 1 and id(above[0]) in self.absorbed:
            top = above[0]
        need = self.required[id(top)]
        return [n for n in self.scan_columns(source) if n in need]

    def scan_filter(self, source: _logical.FileSource) -> Any:
        predicates = self.predicates.get(id(source))
        if not predicates:
            return None
        combined = predicates[0]
        for p in predicates[1:]:
            combined = combined & p
        return combined


class Stage:
    def __init__(self, name: str, workers: int, source: Callable[[], Any] | None = None) -> None:
        self.name = name
        self.workers = workers
        self.source = source  # starts the source's iterator (a source stage), else None
        self.ops: list[Callable[[int, int], _ops.Calls]] = []  # per instance: (worker, workers) -> calls
        self.inputs: list[tuple[Stage, int]] = []  # (producer, stream id)
        self.readers: list[Stage] = []
        self.partitioned = False  # one inbox per instance, fed by routed exchanges
        self.routes = False  # its last op yields Routed pairs


class Compiled:
    """A ready-to-start native run for a plan, and the meters of its operators."""

    def __init__(self, run: Any, meters: dict[int, list[_ops.Meter]], stages: list[Stage]) -> None:
        self.run = run
        self.meters = meters
        self.stages = stages


class Planner:
    def __init__(self, root: _logical.Node, for_run: bool = True) -> None:
        self.root = root
        self.for_run = for_run  # False: only to describe the plan (explain)
        self.push = Pushdown(root)
        self.threads = _config.threads()
        self.batch_size = _config.get("batch_size")
        self.stages: list[Stage] = []
        self.stage_of: dict[int, Stage] = {}
        self.meters: dict[int, list[_ops.Meter]] = {}
        self.stops: dict[int, list[threading.Event]] = {}  # per source: limits that may end it
        self.gates: dict[int, list[Any]] = {}  # per source: join tables it waits for before it starts
        self.scan_keys: dict[int, list[KeyTerm]] = {}  # per file source: join key filters it applies
        self.encoded_keys: dict[int, set[str]] = {}  # per aggregation: keys arriving dictionary-encoded
        self.estimates: dict[int, float | None] = {}  # per node: its rows' estimate (_join.known_rows)
        self.prepared: dict[int, _join.Prepared] = {}  # per join: its build side and plan
        self.fused: set[int] = set()  # projections an aggregation computes itself (_aggregate_fusion)

    # ---- building stages --------------------------------------------------------------

    def _new(self, name: str, workers: int, source: Callable[[], Any] | None = None) -> Stage:
        stage = Stage(name, workers, source)
        self.stages.append(stage)
        return stage

    def _meter(self, node: _logical.Node) -> Callable[[], _ops.Meter]:
        meters = self.meters.setdefault(id(node), [])

        def make() -> _ops.Meter:
            meters.append(_ops.Meter())
            return meters[-1]

        return make

    def _connect(self, producer: Stage, consumer: Stage, stream: int) -> None:
        producer.readers.append(consumer)
        consumer.inputs.append((producer, stream))

    def _after(self, node: _logical.Node, workers: int, name: str) -> Stage:
        """The stage an operator reading ``node`` with ``workers`` instances joins: the
        node's own stage when it can be fused, else a new stage behind a queue."""
        stage = self.build(node)
        if self.push.readers[id(node)] == 1 and stage.workers == workers and not stage.readers:
            return stage
        fresh = self._new(name, workers)
        self._connect(stage, fresh, 0)
        return fresh

    def _feed(self, node: _logical.Node, consumer: Stage, stream: int, keys: list[str] | None,
              required: list[str] | None) -> None:
        """Connects ``node``'s output to ``consumer`` as input ``stream``, hash-partitioned
        on ``keys`` if given. A routed or numbered edge needs an exchange of its own: from a
        stage that others read too, it gets a stage of its own first."""
        stage = self.build(node)
        if (keys is not None or stream != 0) and (self.push.readers[id(node)] > 1 or stage.readers):
            own = self._new(f"{consumer.name}.input{stream}", stage.workers)
            self._connect(stage, own, 0)
            stage = own
        if keys is not None:
            fn = _ops.partition_fn(keys, consumer.workers, required)
            stage.ops.append(lambda w, n: _ops.stateless("partition", fn, _ops.Meter()))
            stage.routes = True
            consumer.partitioned = True
        self._connect(stage, consumer, stream)

    def build(self, node: _logical.Node) -> Stage:
        found = self.stage_of.get(id(node))
        if found is None:
            found = self.stage_of[id(node)] = self._build(node)
        return found

    def _build(self, node: _logical.Node) -> Stage:  # noqa: C901 - one case per node kind
        meter = self._meter(node)
        if isinstance(node, _logical.ArrowSource):
            return self._arrow_source(node, meter)
        if isinstance(node, _logical.FileSource):
            return self._file_source(node, meter)
        if isinstance(node, _logical.Filter) and id(node) in self.push.absorbed:
            return self.build(node.inputs[0])
        if isinstance(node, (_logical.Filter, _logical.Project, _logical.Transform)):
            stage = self._after(node.inputs[0], self.threads, type(node).__name__.lower())
            fn_for, label = self._per_batch(node), node.label()
            stage.ops.append(lambda w, n: _ops.stateless(label, fn_for(), meter()))
            return stage
        if isinstance(node, _logical.Limit):
            stage = self._after(node.inputs[0], 1, "limit")
            done = threading.Event()
            for source in self.push.sources_only_feeding(node):
                self.stops.setdefault(id(source), []).append(done)
            stage.ops.append(lambda w, n: _ops.stateless(node.label(), _ops.limit_fn(node.n, done), meter()))
            return stage
        if isinstance(node, _logical.Sort):
            stage = self._after(node.inputs[0], 1, "sort")
            # Only the columns read downstream (and the keys) arrive: projection pushdown.
            need = node.needs(self.push.required[id(node)])[0]
            schema = pa.schema([f for f in node.schema if f.name in need])
            size = self.batch_size
            stage.ops.append(lambda w, n: _ops.executor_calls(
                "sort", _ops.SortExecutor(node.keys, node.descending, schema, size), w, n, [schema.names], schema,
                False, meter(), own=True))
            return stage
        if isinstance(node, _logical.Stateful):
            return self._stateful(node, meter)
        if isinstance(node, _logical.Aggregate):
            return self._aggregate(node, meter)
        if isinstance(node, _logical.Join):
            return self._join(node, meter)
        if isinstance(node, _logical.Union):
            stage = self._new("union", self.threads)
            for i in node.inputs:
                self._feed(i, stage, 0, None, None)
            stage.ops.append(lambda w, n: _ops.stateless(node.label(), _identity, meter()))
            return stage
        raise TypeError(f"cannot plan {type(node).__name__}")

    def _per_batch(self, node: _logical.Node) -> Callable[[], Callable[[pa.RecordBatch], Any]]:
        """The node's function of a batch, made on the first ask (when the run is emitted) and
        shared by the workers: it keeps no state between batches."""
        if isinstance(node, _logical.Filter):
            make = lambda: _ops.filter_fn(node.predicate, node.inputs[0].schema)  # noqa: E731
        elif isinstance(node, _logical.Project):
            need = self.push.required[id(node)]
            outputs = [(n, e) for n, e in node.outputs if n in need]
            make = lambda: _ops.project_fn(outputs)  # noqa: E731
        else:
            assert isinstance(node, _logical.Transform)
            where = f"transform '{node.name}'"
            make = lambda: _ops.transform_fn(node.fn, node.required, node.schema, node.types_known, where)  # noqa: E731
        made: list[Callable[[pa.RecordBatch], Any]] = []

        def shared() -> Callable[[pa.RecordBatch], Any]:
            if not made:
                made.append(make())
            return made[0]

        return shared

    def _arrow_source(self, node: _logical.ArrowSource, meter: Callable[[], _ops.Meter]) -> Stage:
        if node.one_shot and self.for_run:
            if node.used:
                raise ValueError(f"{node.description}: this stream was already read by an earlier run; a "
                                 "stream can be read once (collect it, or pass a table or a list)")
            node.used = True
        size = self.batch_size
        batches = node.batches
        stops = self.stops.setdefault(id(node), [])
        gates = self.gates.setdefault(id(node), [])
        return self._new(node.label(), 1,
                         source=_ops.source_iterator(lambda: sliced(batches(), size), meter(), stops, gates))

    def _file_source(self, node: _logical.FileSource, meter: Callable[[], _ops.Meter]) -> Stage:
        columns = self.push.scan_columns(node)
        predicate = self.push.scan_filter(node)
        scan = node.scan
        # Only other formats hand the filter to pyarrow's reader.
        arrow_filter = predicate.to_pyarrow(scan.schema) if predicate is not None and scan.format != "parquet" else None
        stops = self.stops.setdefault(id(node), [])
        gates = self.gates.setdefault(id(node), [])
        tasks = self._new(node.name, 1,
                          source=_ops.source_iterator(lambda: scan.tasks(columns, predicate), None, stops, gates))
        reader = self._after_stage(tasks, self.threads, f"{node.name}.read")
        encoded = scan.encoded_columns(predicate.columns()) if predicate is not None else []
        encoded += [n for n in scan.encoded_columns(columns, small=True) if n not in encoded]
        to_keys = self.push.to_group_keys.get(id(node), {})
        kept = [n for n in encoded if n in to_keys]
        for n in kept:
            aggregate, key = to_keys[n]
            self.encoded_keys.setdefault(id(aggregate), set()).add(key)
        read = _ops.scan_fn(scan, columns, arrow_filter, predicate, encoded, self.scan_keys.get(id(node), []), kept,
                            self.push.scan_output(node))
        reader.ops.append(lambda w, n: _ops.stateless(f"{node.name}.read", read, meter()))
        return reader

    def _after_stage(self, stage: Stage, workers: int, name: str) -> Stage:
        if stage.workers == workers:
            return stage
        fresh = self._new(name, workers)
        self._connect(stage, fresh, 0)
        return fresh

    def _stateful(self, node: _logical.Stateful, meter: Callable[[], _ops.Meter]) -> Stage:
        def calls(w: int, n: int) -> _ops.Calls:
            return _ops.executor_calls(node.name, node.executor, w, n, node.required, node.schema,
                                       node.types_known, meter())

        if len(node.inputs) == 1 and node.partition_by is None:
            stage = self._after(node.inputs[0], node.parallelism, node.name)
        else:
            stage = self._new(node.name, node.parallelism)
            for stream, (i, req) in enumerate(zip(node.inputs, node.required)):
                self._feed(i, stage, stream, node.partition_by, req)
        stage.ops.append(calls)
        return stage

    def _aggregate(self, node: _logical.Aggregate, meter: Callable[[], _ops.Meter]) -> Stage:
        """Sink into per-worker states (fused with the input's stage), then a stage that
        merges and finalizes the partitions once every state is combined."""
        name = node.operator
        fusion = fuse(node, lambda p: self.push.required[id(p)], lambda p: self.push.readers[id(p)] == 1)
        if fusion is not None:
            self.fused.update(id(p) for p in fusion.projects)
        # First: its scans say which keys stay encoded.
        sink = self._after(node.inputs[0] if fusion is None else fusion.source, self.threads, name)
        prepared = _aggregate.Prepared(node, self.encoded_keys.get(id(node), set()), fusion)
        result = _core.AggregateResult(prepared.plan)
        sink.ops.append(lambda w, n: _aggregate.sink_calls(node.label(), prepared, result, w, n, meter()))
        final = self._new(f"{name}.finalize", min(self.threads, prepared.plan.partitions))
        self._connect(sink, final, 0)
        size = self.batch_size
        schema = node.schema
        if node.maintain_order:
            schema = schema.append(pa.field(_aggregate.ORDER_COLUMN, pa.uint64()))
        claims = PartitionClaims(result.partitions)
        final.ops.append(lambda w, n: _aggregate.finalize_calls(f"{name}.finalize", result, claims, schema, size, w,
                                                                n, meter()))
        if not node.maintain_order:
            return final
        ordered = self._new(f"{name}.order", 1)
        self._connect(final, ordered, 0)
        order = _aggregate.ORDER_COLUMN
        ordered.ops.append(lambda w, n: _ops.executor_calls(
            f"{name}.order", _ops.SortExecutor([order], [False], schema, size), w, n, [None], schema, True,
            _ops.Meter(), own=True))
        ordered.ops.append(lambda w, n: _ops.stateless(f"{name}.order", _drop_column(order), _ops.Meter()))
        return ordered

    def _join(self, node: _logical.Join, meter: Callable[[], _ops.Meter]) -> Stage:
        """Build (fused with the build side), finalize, probe (fused with the probe side)
        and a tail that forwards the output and adds the build rows the kind needs."""
        prepared = self._prepared(node)
        table = _core.JoinTable(prepared.plan)
        finalizers = min(self.threads, table.partitions)
        gate = _join.Gate(table.partitions)
        probe_node = node.inputs[prepared.probe_input]
        exclusive = [probe_node] if not probe_node.inputs else self.push.sources_only_feeding(probe_node)
        if self.push.readers[id(probe_node)] == 1:
            # The probe side's own sources start once the table is ready, those whose rows
            # stream into the probe; the sources of a build side below it start at once.
            streamed = {id(n) for n in self._streamed_sources(probe_node)}
            for source in exclusive:
                if id(source) in streamed:
                    self.gates.setdefault(id(source), []).append(gate)
        size = self.batch_size
        build = self._after(node.inputs[prepared.build_input], self.threads, "join.build")
        keys = prepared.new_key_filter()
        scan, key_column = self._probe_scan(probe_node, prepared.probe_key)
        if keys is not None and scan is not None and any(s is scan for s in exclusive):  # gated: every key is known
            self.scan_keys.setdefault(id(scan), []).append(KeyTerm(key_column, keys))
        build.ops.append(lambda w, n: _join.build_calls("join.build", prepared, table, w, n, meter(), keys))
        final = self._new("join.finalize", finalizers)
        self._connect(build, final, 0)
        final.ops.append(lambda w, n: _join.finalize_calls("join.finalize", table, gate, w, n, keys))
        probe = self._after(probe_node, self.threads, "join.probe")
        probe.ops.append(lambda w, n: _join.probe_calls(node.label(), prepared, table, gate, size, w, n, meter(),
                                                        keys))
        tail = self._new("join.tail", self.threads)
        self._connect(probe, tail, 0)
        self._connect(final, tail, 1)
        tail.ops.append(lambda w, n: _join.tail_calls("join.tail", prepared, table, size, w, n, meter()))
        return tail

    def _prepared(self, node: _logical.Join) -> _join.Prepared:
        """The join's build side and kernel plan, made once per planning."""
        found = self.prepared.get(id(node))
        if found is None:
            found = self.prepared[id(node)] = _join.Prepared(node, self.push.required[id(node)], self.estimates)
        return found

    def _streamed_sources(self, node: _logical.Node) -> list[_logical.Node]:
        """The sources whose rows flow through to ``node``'s output as they are read: not
        those a join below builds its table from, nor those an aggregation or a sort below
        takes in whole before it gives a row."""
        if not node.inputs:
            return [node]
        if isinstance(node, (_logical.Aggregate, _logical.Sort)):
            return []
        inputs = node.inputs
        if isinstance(node, _logical.Join):
            inputs = (node.inputs[self._prepared(node).probe_input],)
        return [s for i in inputs for s in self._streamed_sources(i)]

    def _probe_scan(self, node: _logical.Node, key: str) -> tuple[_logical.FileSource | None, str]:
        """The Parquet scan a join's probe side reads straight from, if only that join reads
        it and its stage is not built yet, and the name the join's ``key`` column has in it.
        The way down may pass filters the scan absorbed and projections that pass the key
        through as a column (a select, a rename, columns added beside it): they keep each
        row's key, so the rows without a build key may be dropped as the scan reads them."""
        while isinstance(node, (_logical.Filter, _logical.Project)):
            if self.push.readers[id(node)] != 1:
                return None, key
            if isinstance(node, _logical.Filter):
                if id(node) not in self.push.absorbed:
                    return None, key
            else:
                found = dict(node.outputs).get(key)
                while isinstance(found, Alias):
                    found = found.operand
                if not isinstance(found, Column):
                    return None, key
                key = found.name
            node = node.inputs[0]
        if (not isinstance(node, _logical.FileSource) or node.scan.format != "parquet"
                or self.push.readers[id(node)] != 1 or id(node) in self.stage_of):
            return None, key
        return node, key

    def release(self) -> None:
        """Drops what a finished run no longer needs (its operators' closures, and through
        them join tables and aggregation states), keeping the meters and each stage's worker
        count for explain. Stages point at each other, so without this their memory would
        wait for Python's cycle collector."""
        for stage in self.stages:
            stage.ops.clear()
            stage.source = None
            stage.inputs.clear()
            stage.readers.clear()
        self.gates.clear()
        self.stops.clear()
        self.scan_keys.clear()
        self.prepared.clear()

    # ---- emitting the native run ----------------------------------------------------------

    def compile(self) -> Compiled:
        top = self.build(self.root)
        queue_size = _config.get("queue_size")
        run = _core.Run()
        sink = run.add_queue(max(queue_size, 64), 1)
        run.set_sink(sink)
        inboxes: dict[int, list[int]] = {}
        for stage in self.stages:
            if stage.inputs:
                count = stage.workers if stage.partitioned else 1
                capacity = max(queue_size, 2 * stage.workers)
                inboxes[id(stage)] = [run.add_queue(capacity, len(stage.inputs)) for _ in range(count)]
        for stage in self.stages:
            self._emit(run, stage, stage is top, sink, inboxes, queue_size)
        return Compiled(run, self.meters, self.stages)

    def _emit(self, run: Any, stage: Stage, is_top: bool, sink: int, inboxes: dict[int, list[int]],
              queue_size: int) -> None:
        if not stage.ops and stage.source is None:  # a stage only forwarding to a routed or numbered edge
            stage.ops.append(lambda w, n: (stage.name, _identity, None, None, None, None))
        inbox = inboxes.get(id(stage), [])
        stats = run.add_stats(stage.name, stage.workers, inbox[0] if inbox else -1)
        if is_top:
            targets, mode, stream = [sink], None, 0
        elif stage.routes:
            (reader,) = stage.readers
            targets, mode = inboxes[id(reader)], "routed"
            stream = next(s for p, s in reader.inputs if p is stage)
        else:
            targets = [inboxes[id(r)][0] for r in stage.readers]
            mode = None
            stream = next(s for p, s in stage.readers[0].inputs if p is stage)
        if mode is None:
            in_order = stage.source is not None or (len(stage.inputs) == 1 and not stage.partitioned)
            mode = "ordered" if in_order else "unordered"
        window = -1
        if mode == "ordered" and stage.workers > 1:
            window = run.add_window(reorder_window(queue_size, stage.workers))
        exchange = run.add_exchange(targets, mode, stage.workers, stream, stats, window)
        route_type = _ops.Routed if stage.routes else None
        if stage.source is not None:
            if stage.ops:
                source_stats = run.add_stats(f"{stage.name}.source", 1, -1)
                calls = [op(0, 1) for op in stage.ops]
                run.add_source_chain(stage.name, source_stats, stage.source, stage.name, stats, exchange, calls,
                                     MAX_BATCH, [], route_type)
            else:
                run.add_source(stage.name, stats, exchange, stage.source, MAX_BATCH)
            return
        for w in range(stage.workers):
            calls = [op(w, stage.workers) for op in stage.ops]
            queue = inbox[w] if stage.partitioned else inbox[0]
            run.add_chain(stage.name, w, stage.workers, stats, queue, exchange, calls, False, None, MAX_BATCH,
                          [], route_type)


def _drop_column(name: str) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    return lambda batch: batch.drop_columns([name])


def _identity(batch: Any) -> Any:
    return batch
