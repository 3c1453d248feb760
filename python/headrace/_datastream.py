"""hr.DataStream: a lazy, columnar stream of Arrow record batches.

Every method returns a new DataStream that describes more work; nothing runs until a sink
(``collect``, ``iter_batches``, ``to_pandas``, ``write_parquet``...) asks for the result.
The plan then runs on the native runtime: native threads move batches between stages and
call pyarrow kernels and your Python code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from . import _agg_spec, _config, _explain, _logical, _physical, _plan
from ._executor import Executor
from ._expr import Column, Expr, col


class DataStream:
    """A lazy stream of Arrow record batches with a schema known before it runs.

    Build one with :func:`from_arrow`, :func:`from_batches` or a reader such as
    :func:`read_parquet`; chain operators; run it with a sink.

    Examples:
        >>> import pyarrow as pa
        >>> import headrace as hr
        >>> ds = hr.from_arrow(pa.table({"region": ["EU", "US", "EU"], "qty": [5, 12, 30]}))
        >>> q = ds.filter(hr.col("qty") > 10).with_columns(double=hr.col("qty") * 2)
        >>> q.schema.names
        ['region', 'qty', 'double']
        >>> q.collect().to_pydict()
        {'region': ['US', 'EU'], 'qty': [12, 30], 'double': [24, 60]}
    """

    def __init__(self, node: _logical.Node) -> None:
        self._node = node

    # ---- what it is ---------------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        """The output schema, known without running (types an executor declared only by
        name show as ``null`` until it runs).

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"x": [1, 2]}).with_columns(half=hr.col("x") / 2)
            >>> print(ds.schema)
            x: int64
            half: double
        """
        return self._node.schema

    @property
    def columns(self) -> list[str]:
        """The output column names.

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [1], "y": ["a"]}).rename({"y": "name"}).columns
            ['x', 'name']
        """
        return list(self._node.schema.names)

    def __repr__(self) -> str:
        return f"DataStream({self._node.label()}, columns={self.columns})"

    # ---- operators ----------------------------------------------------------------------

    def filter(self, predicate: Expr) -> DataStream:
        """Keeps the rows where ``predicate`` is true (null counts as false).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [1, 5, None]}).filter(hr.col("x") > 2).collect()["x"].to_pylist()
            [5]
        """
        return DataStream(_logical.Filter(self._node, predicate))

    def select(self, *columns: str | Expr | Sequence[str | Expr]) -> DataStream:
        """Keeps the given columns, in that order; expressions compute new ones.

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"a": [1], "b": [2]}).select("b", "a").columns
            ['b', 'a']
            >>> hr.from_arrow({"a": [1], "b": [2]}).select(["a", (hr.col("b") * 10).alias("b10")]).columns
            ['a', 'b10']
        """
        items = _flatten(columns)
        if not items:
            raise ValueError("select: name at least one column")
        outputs = [(_name_of(c, "select"), _expr_of(c)) for c in items]
        return DataStream(_logical.Project(self._node, outputs, "select", ", ".join(map(_show, items))))

    def with_columns(self, *exprs: Expr, **named: Any) -> DataStream:
        """Adds (or replaces, in place) columns computed from expressions; a Python value
        is a literal.

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"price": [2.0, 3.0], "qty": [1, 4]})
            >>> ds.with_columns(rev=hr.col("price") * hr.col("qty")).collect()["rev"].to_pylist()
            [2.0, 12.0]
        """
        new: dict[str, Expr] = {}
        for e in exprs:
            if not isinstance(e, Expr):
                raise TypeError(f"with_columns: positional arguments must be expressions, got {type(e).__name__}")
            new[e.output_name] = e
        for name, value in named.items():
            new[name] = value if isinstance(value, Expr) else _lit(value)
        if not new:
            raise ValueError("with_columns: give at least one column, as name=expression")
        outputs = [(n, new.pop(n) if n in new else col(n)) for n in self.columns]
        outputs += list(new.items())
        text = ", ".join(f"{n}={e!r}" for n, e in outputs if not (isinstance(e, Column) and e.name == n))
        return DataStream(_logical.Project(self._node, outputs, "with_columns", text))

    def drop(self, *columns: str | Sequence[str]) -> DataStream:
        """Removes the given columns.

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"a": [1], "b": [2]}).drop("a").columns
            ['b']
        """
        names = _flatten(columns)
        _logical.check_columns(names, self.schema, "drop")
        keep = [(n, col(n)) for n in self.columns if n not in set(names)]
        return DataStream(_logical.Project(self._node, keep, "drop", ", ".join(names)))

    def rename(self, mapping: Mapping[str, str]) -> DataStream:
        """Renames columns: ``{"old": "new"}``.

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"a": [1], "b": [2]}).rename({"a": "x"}).columns
            ['x', 'b']
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(f"rename: expected a dict of old -> new names, got {type(mapping).__name__}")
        _logical.check_columns(list(mapping), self.schema, "rename")
        outputs = [(mapping.get(n, n), col(n)) for n in self.columns]
        text = ", ".join(f"{a}->{b}" for a, b in mapping.items())
        return DataStream(_logical.Project(self._node, outputs, "rename", text))

    def transform(self, fn: Callable[[pa.RecordBatch], Any], new_schema: Any = None,
                  required_columns: Iterable[str] | None = None) -> DataStream:
        """Applies a stateless Python function to every batch (in parallel).

        ``fn`` gets a ``pyarrow.RecordBatch`` (only ``required_columns`` if given) and
        returns a RecordBatch, Table, pandas or Polars DataFrame, dict of columns, or None.
        ``new_schema`` (a pyarrow Schema, a dict of name -> type, or a list of names) is
        its output's schema; without it, ``fn`` is called once on an empty batch to find out.

        Examples:
            >>> import headrace as hr
            >>> import pyarrow.compute as pc
            >>> ds = hr.from_arrow({"s": ["a b", "c"]})
            >>> ds.transform(lambda b: {"n": pc.utf8_length(b["s"])}).collect().to_pydict()
            {'n': [3, 1]}
        """
        name = getattr(fn, "__name__", type(fn).__name__)
        name = "lambda" if name == "<lambda>" else name
        return DataStream(_logical.Transform(self._node, fn, new_schema, required_columns, name))

    def stateful_transform(self, executor: Executor, new_schema: Any, required_columns: Any = None,
                           partition_by: str | Sequence[str] | None = None,
                           parallelism: int | None = None) -> DataStream:
        """Runs an :class:`Executor` over the batches: ``parallelism`` instances (default
        1), each with its own copy of the executor and its own state; ``finish`` of each
        instance may emit final batches.

        With ``partition_by``, rows are hash-partitioned (in C++) so that equal keys
        always reach the same instance; without it, each batch goes to whichever instance
        is free. ``execute`` gets a RecordBatch of ``required_columns`` (all if None)
        and returns what ``transform`` functions return; outputs are checked against
        ``new_schema`` (a pyarrow Schema, dict, or list of names).

        Examples:
            >>> import headrace as hr
            >>> class Total(hr.Executor):
            ...     def open(self, ctx):
            ...         self.total = 0
            ...     def execute(self, batch, ctx):
            ...         self.total += sum(batch["x"].to_pylist())
            ...     def finish(self, ctx):
            ...         return {"total": [self.total]}
            >>> ds = hr.from_batches([{"x": [1, 2]}, {"x": [3]}])
            >>> ds.stateful_transform(Total(), new_schema=["total"]).collect().to_pydict()
            {'total': [6]}
        """
        return DataStream(_logical.Stateful([self._node], executor, new_schema, required_columns, partition_by,
                                            parallelism))

    def union(self, *others: DataStream) -> DataStream:
        """All rows of this stream and the others (same columns and types); batches of the
        inputs interleave as they come, so sort if the order matters.

        Examples:
            >>> import headrace as hr
            >>> a = hr.from_arrow({"x": [1, 2]})
            >>> sorted(a.union(a.filter(hr.col("x") > 1)).collect()["x"].to_pylist())
            [1, 2, 2]
        """
        for o in others:
            if not isinstance(o, DataStream):
                raise TypeError(f"union: expected DataStreams, got {type(o).__name__}")
        if not others:
            return self
        return DataStream(_logical.Union([self._node] + [o._node for o in others]))

    def limit(self, n: int) -> DataStream:
        """The first ``n`` rows (in the stream's order).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [3, 1, 2]}).limit(2).collect()["x"].to_pylist()
            [3, 1]
        """
        return DataStream(_logical.Limit(self._node, n))

    def sort(self, by: str | Sequence[str], descending: bool | Sequence[bool] = False) -> DataStream:
        """Sorts by one or several columns (nulls last).

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"k": ["a", "b", "a"], "v": [1, 2, 3]})
            >>> ds.sort(["k", "v"], descending=[False, True]).collect()["v"].to_pylist()
            [3, 1, 2]
        """
        return DataStream(_logical.Sort(self._node, by, descending))

    def join(self, other: DataStream, on: str | Sequence[str] | None = None,
             left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
             how: str = "inner", suffix: str = "_right", nulls_equal: bool = False,
             build: str | None = None) -> DataStream:
        """Joins this stream (left) with ``other`` (right) where the key columns are equal,
        with headrace's native hash join.

        ``how``: ``inner``, ``left``, ``right``, ``outer`` (full), ``semi`` (left rows that
        have a match, once each) or ``anti`` (left rows without one). Keys: ``on`` (the same
        names on both sides) or ``left_on`` / ``right_on``; one column or several. Null keys
        never match unless ``nulls_equal=True``. The output has every left column, then the
        right columns except the keys named by ``on`` (for right and outer joins those key
        columns take the left value, else the right one); a right column whose name the
        output already has gets ``suffix``. ``semi`` and ``anti`` give the left columns only.
        One side is read completely into a hash table first (``build``: ``"left"`` or
        ``"right"``; by default the smaller one when both sizes are known, else the right);
        the other streams through it. The row order is unspecified.

        Examples:
            >>> import headrace as hr
            >>> orders = hr.from_arrow({"id": [1, 2, 3, 4], "customer": ["a", "b", "a", "z"]})
            >>> people = hr.from_arrow({"customer": ["a", "b"], "city": ["Oslo", "Lima"]})
            >>> orders.join(people, on="customer").sort("id").collect().to_pydict()
            {'id': [1, 2, 3], 'customer': ['a', 'b', 'a'], 'city': ['Oslo', 'Lima', 'Oslo']}
            >>> orders.join(people, on="customer", how="anti").collect().to_pydict()
            {'id': [4], 'customer': ['z']}
        """
        if not isinstance(other, DataStream):
            raise TypeError(f"join: expected a DataStream to join with, got {type(other).__name__}")
        return DataStream(_logical.Join(self._node, other._node, on, left_on, right_on, how, suffix, nulls_equal,
                                        build))

    def groupby(self, *keys: str | Sequence[str], maintain_order: bool = False) -> GroupBy:
        """Groups rows by the values of one or several key columns; ``.agg(...)`` then gives
        one row per group. Null keys form a group of their own. The order of the groups is
        unspecified unless ``maintain_order=True`` (order of first appearance), so ``sort``
        after it for a deterministic order.

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"k": ["a", "b", "a"], "v": [1, 2, 3]})
            >>> ds.groupby("k").agg(total=("v", "sum"), n=("*", "count")).sort("k").collect().to_pydict()
            {'k': ['a', 'b'], 'total': [4, 2], 'n': [2, 1]}
        """
        names = _flatten(keys)
        if not names or not all(isinstance(k, str) for k in names):
            raise TypeError(f"groupby: expected one or more column names, got {keys!r}")
        return GroupBy(self, names, maintain_order)

    def agg(self, *aggs: Mapping[str, str | Sequence[str]], **named: tuple[str, str]) -> DataStream:
        """Aggregates the whole stream into one row (see :meth:`GroupBy.agg` for the spellings
        and the aggregate functions). An empty stream gives one row: counts 0, the rest null.

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"v": [1.0, 2.0, 6.0]}).agg(avg=("v", "mean"), top=("v", "max")).collect().to_pydict()
            {'avg': [3.0], 'top': [6.0]}
        """
        specs = _agg_spec.normalize("agg", aggs, named)
        if not specs:
            raise ValueError("agg: give at least one aggregate, e.g. agg(total=('x', 'sum'))")
        return DataStream(_logical.Aggregate(self._node, [], specs, False, "agg"))

    def distinct(self, columns: str | Sequence[str] | None = None) -> DataStream:
        """The distinct combinations of ``columns`` (default: all columns), each once; only
        those columns are kept. Nulls are equal to each other here. The order is unspecified.

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"k": ["a", "b", "a"], "v": [1, 1, 1]})
            >>> ds.distinct("k").sort("k").collect().to_pydict()
            {'k': ['a', 'b']}
        """
        names = self.columns if columns is None else _flatten([columns])
        if not names:
            raise ValueError("distinct: the stream has no columns")
        return DataStream(_logical.Aggregate(self._node, names, [], False, "distinct"))

    def count(self) -> int:
        """Runs the plan and returns its number of rows (reading no column it does not need).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [1, 2, 3]}).filter(hr.col("x") > 1).count()
            2
        """
        spec = [_agg_spec.AggSpec("count", "*", "count")]
        table = DataStream(_logical.Aggregate(self._node, [], spec, False, "count")).collect()
        return int(table.column(0)[0].as_py())

    # ---- sinks --------------------------------------------------------------------------

    def iter_batches(self, backend: str | None = None) -> Iterator[pa.RecordBatch]:
        """Runs the plan and yields its record batches as they come (back-pressured:
        the run pauses while you do not read). Leaving the loop early cancels the run.
        ``backend``: ``"local"`` or ``"ray"`` (default: ``hr.config(backend=...)``).

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_batches([{"x": [1, 2]}, {"x": [3]}])
            >>> sum(batch.num_rows for batch in ds.iter_batches())
            3
        """
        if _config.backend(backend) == "ray":
            from . import _ray_run

            yield from _ray_run.iter_batches(self._node)
            return
        yield from self._run(_physical.Planner(self._node))

    def _run(self, plan: _physical.Planner) -> Iterator[pa.RecordBatch]:
        compiled = plan.compile()
        # A limit at the end stops the whole run once it has its rows.
        wanted = self._node.n if isinstance(self._node, _logical.Limit) else None
        if wanted == 0:
            return
        batches = _plan.drive(compiled.run, wake_for=1)
        seen = 0
        try:
            for batch in batches:
                yield batch
                seen += batch.num_rows
                if wanted is not None and seen >= wanted:
                    return
        finally:
            batches.close()
            plan.release()

    def collect(self, backend: str | None = None) -> pa.Table:
        """Runs the plan; the result as a ``pyarrow.Table``. ``backend``: ``"local"`` or
        ``"ray"`` (default: ``hr.config(backend=...)``; see docs/ray.md).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [1, 2, 3]}).filter(hr.col("x") != 2).collect().to_pydict()
            {'x': [1, 3]}
        """
        if _config.backend(backend) == "ray":
            batches = list(self.iter_batches("ray"))
            return pa.Table.from_batches(batches) if batches else self.schema.empty_table()
        return self._collect(_physical.Planner(self._node))

    def _collect(self, plan: _physical.Planner) -> pa.Table:
        batches = list(self._run(plan))
        if not batches:
            return self.schema.empty_table()
        return pa.Table.from_batches(batches)

    def to_pandas(self, **options: Any) -> Any:
        """Runs the plan; the result as a pandas DataFrame (``options`` go to
        ``pyarrow.Table.to_pandas``).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [1, 2]}).with_columns(y=hr.col("x") * 10).to_pandas()["y"].tolist()
            [10, 20]
        """
        return self.collect().to_pandas(**options)

    def to_polars(self) -> Any:
        """Runs the plan; the result as a Polars DataFrame (``pl.DataFrame(ds)`` does the
        same; ``pl.from_arrow(ds)`` would give a single struct Series instead).

        Examples:
            >>> import headrace as hr
            >>> hr.from_arrow({"x": [3, 1]}).sort("x").to_polars()["x"].to_list()
            [1, 3]
        """
        import polars as pl

        return pl.from_arrow(self.collect())

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream protocol: ``pyarrow.table(ds)``, ``polars.DataFrame(ds)``
        and DuckDB read a DataStream directly (each read runs the plan). For Polars use
        ``pl.DataFrame(ds)`` or :meth:`to_polars`: ``pl.from_arrow(ds)`` reads a stream
        that is not pyarrow's own as one struct Series."""
        batches = self.iter_batches()
        first = next(batches, None)
        schema = first.schema if first is not None else self.schema
        chained = ([first] if first is not None else [])
        reader = pa.RecordBatchReader.from_batches(schema, _chain(chained, batches))
        return reader.__arrow_c_stream__(requested_schema)

    def write_parquet(self, path: str, **options: Any) -> dict[str, Any]:
        """Runs the plan into a Parquet file, written under a temporary name and renamed
        into place only when the run succeeded. ``options``: ``compression``,
        ``row_group_size``. Returns {path, rows, bytes, columns}. The path (its folder
        exists and is writable) and the options are checked before the plan runs.

        Examples:
            >>> import os, tempfile
            >>> import pyarrow.parquet as pq
            >>> import headrace as hr
            >>> path = os.path.join(tempfile.mkdtemp(), "out.parquet")
            >>> hr.from_arrow({"x": [1, 2, 3]}).write_parquet(path, compression="snappy")["rows"]
            3
            >>> pq.read_table(path)["x"].to_pylist()
            [1, 2, 3]
        """
        return self._write("parquet", path, options)

    def write_csv(self, path: str, **options: Any) -> dict[str, Any]:
        """Like :meth:`write_parquet`, as CSV (``include_header``, ``delimiter``).

        Examples:
            >>> import os, tempfile
            >>> import headrace as hr
            >>> path = os.path.join(tempfile.mkdtemp(), "out.csv")
            >>> _ = hr.from_arrow({"x": [1, 2], "s": ["a", "b"]}).write_csv(path, delimiter=";")
            >>> print(open(path).read().strip())
            "x";"s"
            1;"a"
            2;"b"
        """
        return self._write("csv", path, options)

    def write_ipc(self, path: str, **options: Any) -> dict[str, Any]:
        """Like :meth:`write_parquet`, as an Arrow IPC (Feather v2) file (``compression``).

        Examples:
            >>> import os, tempfile
            >>> import pyarrow as pa
            >>> import headrace as hr
            >>> path = os.path.join(tempfile.mkdtemp(), "out.arrow")
            >>> hr.from_arrow({"x": [1, 2]}).write_ipc(path, compression="zstd")["columns"]
            ['x']
            >>> pa.ipc.open_file(path).read_all()["x"].to_pylist()
            [1, 2]
        """
        return self._write("ipc", path, options)

    def _write(self, fmt: str, path: str, options: dict[str, Any]) -> dict[str, Any]:
        from ._write import check_target, write_to

        target = check_target(fmt, path, self.schema, options)  # before anything runs
        batches = self.iter_batches()
        first = next(batches, None)
        schema = first.schema if first is not None else self.schema
        return write_to(target, schema, _chain([first] if first is not None else [], batches))

    def explain(self, analyze: bool = False, as_text: bool = False) -> str | None:
        """Prints the plan: one operator per line with the workers it runs on and what
        was pushed into file scans. ``analyze=True`` runs it first and adds, per operator,
        rows and batches in and out and the time spent in it. ``as_text=True`` returns the
        text instead of printing it.

        Examples:
            >>> import headrace as hr
            >>> hr.config(threads=2)["threads"]
            2
            >>> hr.from_arrow({"x": [1, 2]}).filter(hr.col("x") > 1).explain()
            filter(col("x") > 1)  [2 workers]
              from_arrow: Table of 2 rows  [1 worker]
            >>> _ = hr.config(threads=None)
        """
        plan = _physical.Planner(self._node, for_run=analyze)
        wall = None
        if analyze:
            started = time.perf_counter()
            self._collect(plan)
            wall = time.perf_counter() - started
        else:
            plan.build(self._node)
        text = _explain.render(self._node, plan, analyze, wall)
        if as_text:
            return text
        print(text)
        return None


def _chain(first: list[pa.RecordBatch], rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield from first
    yield from rest


def _flatten(items: Sequence[Any]) -> list[Any]:
    if len(items) == 1 and isinstance(items[0], (list, tuple)):
        return list(items[0])
    return list(items)


def _name_of(item: Any, operator: str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Expr):
        return item.output_name
    raise TypeError(f"{operator}: expected column names or expressions, got {type(item).__name__}")


def _expr_of(item: str | Expr) -> Expr:
    return col(item) if isinstance(item, str) else item


def _show(item: Any) -> str:
    return item if isinstance(item, str) else repr(item)


def _lit(value: Any) -> Expr:
    from ._expr import lit

    return lit(value)


def stateful_transform(streams: Sequence[DataStream], executor: Executor, new_schema: Any,
                       required_columns: Any = None, partition_by: str | Sequence[str] | None = None,
                       parallelism: int | None = None) -> DataStream:
    """A stateful executor over several DataStreams: ``ctx.stream_id`` tells which input
    (its index in ``streams``) each batch came from. ``required_columns`` is one set for all
    inputs or one per input; ``partition_by`` names key columns that every input has (equal
    keys of every input reach the same instance).

    Examples:
        >>> import headrace as hr
        >>> class Count(hr.Executor):
        ...     def open(self, ctx):
        ...         self.rows = [0, 0]
        ...     def execute(self, batch, ctx):
        ...         self.rows[ctx.stream_id] += batch.num_rows
        ...     def finish(self, ctx):
        ...         return {"left": [self.rows[0]], "right": [self.rows[1]]}
        >>> a, b = hr.from_arrow({"x": [1, 2, 3]}), hr.from_arrow({"x": [4]})
        >>> hr.stateful_transform([a, b], Count(), new_schema=["left", "right"]).collect().to_pydict()
        {'left': [3], 'right': [1]}
    """
    streams = list(streams)
    if not streams or not all(isinstance(s, DataStream) for s in streams):
        raise TypeError("stateful_transform: the first argument must be a non-empty list of DataStreams")
    return DataStream(_logical.Stateful([s._node for s in streams], executor, new_schema, required_columns,
                                        partition_by, parallelism))


class GroupBy:
    """The groups of a DataStream by key columns, waiting for ``agg``: made by
    :meth:`DataStream.groupby`."""

    def __init__(self, stream: DataStream, keys: list[str], maintain_order: bool) -> None:
        self._stream = stream
        self._keys = keys
        self._maintain_order = maintain_order

    def __repr__(self) -> str:
        return f"GroupBy({self._keys}, maintain_order={self._maintain_order})"

    def agg(self, *aggs: Mapping[str, str | Sequence[str]], **named: tuple[str, str]) -> DataStream:
        """One row per group: the key columns, then one column per aggregate.

        Spellings: ``out=("column", "function")`` names each output; ``{"column": "function"}``
        names it after the column; ``{"column": ["f", "g"]}`` gives ``column_f`` and
        ``column_g``; ``("*", "count")`` counts rows. Functions: ``count`` (non-null values),
        ``sum``, ``mean``, ``min``, ``max``, ``first``, ``last``, ``var`` and ``std`` (sample,
        like pandas), ``count_distinct``, ``any``, ``all``. Nulls are skipped; a group with no
        value gives null (count gives 0). Integer sums are int64 (uint64 for unsigned inputs) and
        raise on overflow; decimal sums are exact.

        Examples:
            >>> import headrace as hr
            >>> ds = hr.from_arrow({"k": [1, 1, 2], "v": [1.0, None, 4.0]})
            >>> ds.groupby("k").agg({"v": ["count", "max"]}).sort("k").collect().to_pydict()
            {'k': [1, 2], 'v_count': [1, 1], 'v_max': [1.0, 4.0]}
        """
        specs = _agg_spec.normalize("groupby.agg", aggs, named)
        node = _logical.Aggregate(self._stream._node, self._keys, specs, self._maintain_order, "groupby.agg")
        return DataStream(node)
