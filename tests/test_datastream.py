"""hr.DataStream: every operator, the sinks, explain, plans with several consumers,
failures and edge cases, on in-memory sources (from_arrow, from_batches).

File readers and writers are covered in test_scan.py and test_write.py.
"""

from __future__ import annotations

import collections
import os
import re
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import headrace as hr

pytestmark = pytest.mark.timeout(30)

# ---- helpers and fixtures ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def restore_config():
    """Every test starts and ends with the settings that were in force before it."""
    before = hr.config()
    yield
    hr.config(threads=None if before["threads"] == (os.cpu_count() or 1) else before["threads"],
              batch_size=before["batch_size"], queue_size=before["queue_size"])


@pytest.fixture(params=[1, 2], ids=["threads=1", "threads=2"])
def threads(request):
    hr.config(threads=request.param)
    return request.param


def pieces(table: pa.Table, size: int) -> list[pa.RecordBatch]:
    """The table as zero-copy slices of ``size`` rows (the last one may be shorter)."""
    return [b for start in range(0, table.num_rows, size) for b in table.slice(start, size).to_batches()]


def multiset(table: pa.Table) -> list:
    """The rows of a table as a sorted list, to compare results whose order is free."""
    return sorted(table.to_pylist(), key=repr)


def os_threads() -> int:
    """Threads of this process as the OS sees them: the runtime's native workers are not
    Python threads, so threading.active_count() alone does not see them."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux
        return 0


def thread_counts() -> tuple[int, int]:
    return threading.active_count(), os_threads()


def settled_thread_counts() -> tuple[int, int]:
    """The thread counts after a finished warm-up run (pyarrow starts its pools lazily)."""
    warm = hr.from_batches(pieces(KEYED, 4)).filter(hr.col("v") >= 0)
    warm.stateful_transform(Tagged(), tagged_schema(KEYED.schema), partition_by="k", parallelism=3).collect()
    warm.union(warm).sort("v").to_pandas()
    time.sleep(0.05)
    return thread_counts()


def wait_for_threads(baseline: tuple[int, int]) -> None:
    """Both thread counts drop back to ``baseline`` (taken after a warm-up run, so that
    pyarrow's and other libraries' own pools already exist)."""
    deadline = time.monotonic() + 5
    while any(now > then for now, then in zip(thread_counts(), baseline)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= baseline[0]
    assert os_threads() <= baseline[1], "a native thread of the run is still alive"


def opened_and_closed(log) -> tuple[list, list]:
    opened = sorted(e[1:] for e in log if e[0] == "open")
    closed = sorted(e[1:] for e in log if e[0] == "close")
    return opened, closed


SALES = pa.table({
    "region": ["EU", "US", None, "EU", "APAC", "US", "EU", None, "APAC", "EU"],
    "qty": [5, 12, 30, None, 7, 1, 40, 3, None, 18],
    "price": [2.0, 3.5, 1.0, 4.0, None, 2.5, 1.5, 9.0, 3.0, 2.0],
})


@pytest.fixture
def sales() -> hr.DataStream:
    """SALES in batches of 3 rows."""
    return hr.from_batches(pieces(SALES, 3))


class Tagged(hr.Executor):
    """Passes its rows on with the instance (``w``) and input (``sid``) they reached."""

    def __init__(self, log=None):
        self.log = log

    def open(self, ctx):
        if self.log is not None:
            self.log.append(("open", ctx.step, ctx.worker))

    def execute(self, batch, ctx):
        n = batch.num_rows
        return batch.append_column("w", pa.array([ctx.worker] * n, pa.int64())).append_column(
            "sid", pa.array([ctx.stream_id] * n, pa.int64()))

    def close(self, ctx):
        if self.log is not None:
            self.log.append(("close", ctx.step, ctx.worker))


def tagged_schema(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field("w", pa.int64())).append(pa.field("sid", pa.int64()))


def instances_per_key(table: pa.Table, keys: list[str]) -> dict[tuple, set[int]]:
    found: dict[tuple, set[int]] = collections.defaultdict(set)
    columns = [table[k].to_pylist() for k in keys]
    for row, worker in enumerate(table["w"].to_pylist()):
        found[tuple(c[row] for c in columns)].add(worker)
    return found


class Failing(hr.Executor):
    """Logs open/close into a shared list; raises in ``where`` (open: instance 1 only)."""

    def __init__(self, log, where=None):
        self.log = log
        self.where = where

    def open(self, ctx):
        if self.where == "open" and ctx.worker == 1:
            raise KeyError("no model file")
        self.log.append(("open", ctx.step, ctx.worker))

    def execute(self, batch, ctx):
        if self.where == "execute":
            raise ValueError("cannot parse batch")
        return batch

    def finish(self, ctx):
        if self.where == "finish":
            raise RuntimeError("cannot flush")

    def close(self, ctx):
        self.log.append(("close", ctx.step, ctx.worker))


def endless():
    i = 0
    while True:
        yield {"k": [i % 7, (i + 1) % 7], "v": [i, i + 1]}
        i += 2


# ---- schema, known before running -------------------------------------------------------


def test_schema_is_known_without_running_anything(calls):
    started = []

    def batches():
        started.append(1)
        yield SALES

    ds = hr.from_batches(batches, schema=SALES.schema)
    q = (ds.filter(hr.col("qty") > 3)
           .with_columns(rev=hr.col("price") * hr.col("qty"), tag="x")
           .select("region", "rev", "tag")
           .sort("rev", descending=True)
           .limit(3))
    assert q.schema == pa.schema([("region", pa.string()), ("rev", pa.float64()), ("tag", pa.string())])
    assert q.columns == ["region", "rev", "tag"]
    s = ds.stateful_transform(Failing(calls), {"region": pa.string(), "n": pa.int32()}, parallelism=3)
    assert s.schema == pa.schema([("region", pa.string()), ("n", pa.int32())])
    t = ds.transform(lambda b: b, new_schema=SALES.schema)
    assert t.schema == SALES.schema
    assert repr(q) == "DataStream(limit(3), columns=['region', 'rev', 'tag'])"
    q.explain(as_text=True)  # describing the plan does not run it either
    assert started == [] and calls == []


def test_a_schema_given_by_names_only_has_null_types_until_it_runs(sales):
    q = sales.stateful_transform(Tagged(), ["region", "qty", "price", "w", "sid"])
    assert q.schema.names == ["region", "qty", "price", "w", "sid"]
    assert all(f.type == pa.null() for f in q.schema)
    out = q.collect()
    assert out.schema.field("qty").type == pa.int64() and out.num_rows == SALES.num_rows


# ---- filter -----------------------------------------------------------------------------


def test_filter_drops_rows_where_the_condition_is_null(sales, threads):
    out = sales.filter(hr.col("qty") > 6).collect()
    assert out.to_pydict() == {"region": ["US", None, "APAC", "EU", "EU"], "qty": [12, 30, 7, 40, 18],
                               "price": [3.5, 1.0, None, 1.5, 2.0]}


def test_filter_combines_conditions(sales):
    cond = (hr.col("region") == "EU") & ~(hr.col("qty") < 10) | hr.col("qty").is_null()
    out = sales.filter(cond).collect()
    assert out["qty"].to_pylist() == [None, 40, None, 18]


def test_filter_all_false_gives_an_empty_table_with_the_schema(sales):
    out = sales.filter(hr.col("qty") > 1000).collect()
    assert out.num_rows == 0 and out.schema == SALES.schema


def test_filter_on_all_null_conditions_keeps_nothing(threads):
    t = pa.table({"x": [1, 2, 3], "flag": pa.array([None, None, None], pa.bool_())})
    ds = hr.from_arrow(t)
    assert ds.filter(hr.col("flag")).collect().num_rows == 0
    assert ds.filter(~hr.col("flag")).collect().num_rows == 0
    assert ds.filter(hr.lit(None)).collect().num_rows == 0  # a condition of type null
    assert ds.filter(hr.col("flag").is_null()).collect().num_rows == 3


def test_filter_with_a_non_boolean_condition_fails_when_written():
    started = []

    def batches():
        started.append(1)
        yield SALES

    ds = hr.from_batches(batches, schema=SALES.schema)
    with pytest.raises(TypeError, match=r"filter: the condition .*qty.* must be boolean, but is int64"):
        ds.filter(hr.col("qty") + 1)
    with pytest.raises(TypeError, match="expected an hr.col"):
        ds.filter("qty")
    assert started == []


# ---- select, with_columns, drop, rename -------------------------------------------------


def test_select_by_names_list_and_aliased_expressions(sales):
    assert sales.select("price", "region").columns == ["price", "region"]
    assert sales.select(["price", "region"]).collect() == SALES.select(["price", "region"])
    out = sales.select("region", (hr.col("qty") * 2).alias("double"), hr.col("price").alias("p")).collect()
    assert out.column_names == ["region", "double", "p"]
    assert out["double"].to_pylist() == [10, 24, 60, None, 14, 2, 80, 6, None, 36]
    assert out["p"].to_pylist() == SALES["price"].to_pylist()


def test_select_rejects_nothing_and_duplicates(sales):
    with pytest.raises(ValueError, match="at least one column"):
        sales.select()
    with pytest.raises(ValueError, match="duplicate columns"):
        sales.select("qty", "qty")
    with pytest.raises(TypeError, match="column names or expressions"):
        sales.select(3)


def test_with_columns_replaces_in_place_and_appends_new_ones(sales, threads):
    out = sales.with_columns(qty=hr.col("qty") * 10, rev=hr.col("price") * hr.col("qty")).collect()
    assert out.column_names == ["region", "qty", "price", "rev"]  # qty kept its position
    assert out["qty"].to_pylist() == [50, 120, 300, None, 70, 10, 400, 30, None, 180]
    assert out["rev"].to_pylist()[:3] == [10.0, 42.0, 30.0]


def test_with_columns_literals(sales):
    out = sales.with_columns(one=1, name="shop", ratio=0.5, nothing=None, yes=True).collect()
    assert out.schema.names[3:] == ["one", "name", "ratio", "nothing", "yes"]
    assert out.schema.field("one").type == pa.int64() and out.schema.field("name").type == pa.string()
    assert out["one"].to_pylist() == [1] * 10 and out["name"].to_pylist() == ["shop"] * 10
    assert out["ratio"].to_pylist() == [0.5] * 10 and out["nothing"].null_count == 10
    assert out["yes"].to_pylist() == [True] * 10


def test_with_columns_positional_aliased_expressions(sales):
    out = sales.with_columns((hr.col("qty") + 1).alias("next"), hr.col("region").alias("qty")).collect()
    assert out.column_names == ["region", "qty", "price", "next"]
    assert out["qty"].to_pylist() == SALES["region"].to_pylist()  # replaced, also by type
    assert out["next"].to_pylist()[:2] == [6, 13]
    with pytest.raises(TypeError, match="positional arguments must be expressions"):
        sales.with_columns("qty")
    with pytest.raises(ValueError, match="at least one column"):
        sales.with_columns()


def test_drop_and_rename(sales):
    assert sales.drop("qty").columns == ["region", "price"]
    assert sales.drop(["qty", "region"]).collect() == SALES.select(["price"])
    renamed = sales.rename({"qty": "quantity", "region": "area"})
    assert renamed.columns == ["area", "quantity", "price"]
    assert renamed.collect()["quantity"].to_pylist() == SALES["qty"].to_pylist()
    swapped = sales.rename({"qty": "price", "price": "qty"}).collect()
    assert swapped["price"].to_pylist() == SALES["qty"].to_pylist()
    with pytest.raises(ValueError, match="duplicate"):
        sales.rename({"qty": "price"})
    with pytest.raises(TypeError, match="dict"):
        sales.rename([("qty", "q")])


# ---- unknown columns: at plan time, naming operator, column and the columns there are ----------


class Noop(hr.Executor):
    def execute(self, batch, ctx):
        return batch


UNKNOWN_COLUMN = {
    "filter": lambda ds: ds.filter(hr.col("nope") > 1),
    "select": lambda ds: ds.select("region", "nope"),
    "select expr": lambda ds: ds.select((hr.col("nope") * 2).alias("x")),
    "with_columns": lambda ds: ds.with_columns(x=hr.col("nope") + 1),
    "drop": lambda ds: ds.drop("nope"),
    "rename": lambda ds: ds.rename({"nope": "x"}),
    "sort": lambda ds: ds.sort(["region", "nope"]),
    "transform": lambda ds: ds.transform(lambda b: b, required_columns=["nope"]),
    "stateful_transform": lambda ds: ds.stateful_transform(Noop(), ["a"], required_columns={"qty", "nope"}),
    "stateful_transform partition_by": lambda ds: ds.stateful_transform(Noop(), ["a"], partition_by="nope"),
}


@pytest.mark.parametrize("operator", list(UNKNOWN_COLUMN))
def test_unknown_columns_fail_when_written(operator):
    started = []

    def batches():
        started.append(1)
        yield SALES

    ds = hr.from_batches(batches, schema=SALES.schema)
    with pytest.raises(hr.ColumnNotFoundError) as info:
        UNKNOWN_COLUMN[operator](ds)
    err = info.value
    assert isinstance(err, KeyError)
    assert err.name == "nope" and err.available == ["region", "qty", "price"]
    assert err.operator.startswith(operator.split()[0])
    text = str(err)
    assert text.startswith(operator.split()[0]) and "'nope'" in text
    assert "available columns: 'region', 'qty', 'price'" in text
    assert started == []


def test_partition_keys_must_be_among_required_columns(sales):
    with pytest.raises(hr.ColumnNotFoundError, match="partition_by .*must be among required_columns.*'region'"):
        sales.stateful_transform(Noop(), ["qty"], partition_by="region", required_columns=["qty"])


def test_multi_input_partition_keys_must_exist_in_every_input(sales):
    other = hr.from_arrow({"qty": [1]})
    with pytest.raises(hr.ColumnNotFoundError, match="partition_by.*'region'.*available columns: 'qty'"):
        hr.stateful_transform([sales, other], Noop(), ["qty"], partition_by="region")


# ---- transform --------------------------------------------------------------------------


def _as(kind: str):
    def convert(batch: pa.RecordBatch):
        doubled = batch.set_column(1, "qty", pc.multiply(batch["qty"], 2))
        if kind == "RecordBatch":
            return doubled
        if kind == "Table":
            return pa.Table.from_batches([doubled])
        if kind == "dict":
            return {name: doubled[name] for name in doubled.schema.names}
        if kind == "pandas":
            return doubled.to_pandas()
        if kind == "polars":
            import polars as pl

            return pl.from_arrow(doubled)
        raise AssertionError(kind)

    convert.__name__ = f"to_{kind}"
    return convert


@pytest.mark.parametrize("declared", [True, False], ids=["new_schema", "found by a trial call"])
@pytest.mark.parametrize("kind", ["RecordBatch", "Table", "dict", "pandas", "polars"])
def test_transform_accepts_every_kind_of_output(sales, kind, declared, threads):
    if kind == "polars":
        pytest.importorskip("polars")
    q = sales.transform(_as(kind), new_schema=SALES.schema if declared else None)
    out = q.collect()
    assert out.column_names == ["region", "qty", "price"]
    assert out["qty"].to_pylist() == [None if v is None else 2 * v for v in SALES["qty"].to_pylist()]
    assert out["region"].to_pylist() == SALES["region"].to_pylist()
    if declared:
        assert out.schema == SALES.schema  # pandas' float qty and large strings cast back
    assert "transform(to_" in q.explain(as_text=True)


def test_transform_returning_none_emits_nothing_for_that_batch(sales):
    def eu_only(batch):
        kept = batch.filter(pc.equal(batch["region"], "EU"))
        return kept if kept.num_rows else None

    q = sales.transform(eu_only, new_schema=SALES.schema)
    assert q.collect()["qty"].to_pylist() == [5, None, 40, 18]
    with pytest.raises(TypeError, match="returned nothing for an empty batch.*pass new_schema"):
        sales.transform(lambda b: None)


def test_transform_that_fails_on_the_trial_batch_asks_for_new_schema(sales):
    def first_row(batch):
        return {"q": [batch["qty"][0].as_py()]}

    with pytest.raises(TypeError, match="first_row.*could not find its output schema.*pass new_schema") as info:
        sales.transform(first_row)
    assert isinstance(info.value.__cause__, IndexError)
    out = sales.transform(first_row, new_schema={"q": pa.int64()}).collect()
    assert out["q"].to_pylist() == [5, None, 40, 18]  # first row of each 3-row batch


def test_transform_required_columns_is_what_the_function_sees(sales):
    seen = []

    def cost(batch):
        seen.append(batch.schema.names)
        return {"cost": pc.multiply(batch["price"], batch["qty"])}

    out = sales.transform(cost, new_schema={"cost": pa.float64()}, required_columns=["price", "qty"]).collect()
    assert out["cost"].to_pylist()[:2] == [10.0, 42.0]
    assert seen and all(names == ["qty", "price"] for names in seen)  # in the input's order


def test_transform_output_is_cast_to_the_declared_types_or_fails_naming_the_column(sales):
    narrow = sales.transform(lambda b: {"q": pc.cast(b["qty"], pa.int32())}, new_schema={"q": pa.int64()})
    assert narrow.collect().schema == pa.schema([("q", pa.int64())])
    wrong = sales.transform(lambda b: {"q": b["region"]}, new_schema={"q": pa.int64()})
    with pytest.raises(hr.PipelineError) as info:
        wrong.collect()
    assert isinstance(info.value.__cause__, TypeError)
    assert "transform '<lambda>'" in str(info.value.__cause__) or "transform 'lambda'" in str(info.value.__cause__)
    assert "'q'" in str(info.value.__cause__)


def test_transform_with_several_output_batches_keeps_their_order(threads):
    hr.config(batch_size=4)
    ds = hr.from_arrow(pa.table({"x": list(range(40))}))

    def explode(batch):
        return pa.Table.from_batches([batch.slice(i, 1) for i in range(batch.num_rows)])

    out = ds.transform(explode, new_schema=ds.schema).collect()
    assert out["x"].to_pylist() == list(range(40))


# ---- stateful_transform -----------------------------------------------------------------


class RowCount(hr.Executor):
    """Counts rows per instance and reports (instance, rows) from finish."""

    def open(self, ctx):
        self.rows = 0

    def execute(self, batch, ctx):
        self.rows += batch.num_rows

    def finish(self, ctx):
        return {"w": [ctx.worker], "workers": [ctx.workers], "rows": [self.rows]}


ROW_COUNT = {"w": pa.int64(), "workers": pa.int64(), "rows": pa.int64()}


@pytest.mark.parametrize("parallelism", [1, 2, 3, 4])
def test_stateful_instances_share_the_rows_and_each_finishes(parallelism, threads):
    ds = hr.from_batches([{"x": list(range(i, i + 5))} for i in range(0, 100, 5)])
    out = ds.stateful_transform(RowCount(), ROW_COUNT, parallelism=parallelism).collect()
    assert sorted(out["w"].to_pylist()) == list(range(parallelism))
    assert set(out["workers"].to_pylist()) == {parallelism}
    assert sum(out["rows"].to_pylist()) == 100


KEYED = pa.table({
    "k": [1, 2, None, 4, 1, None, 2, 2, 7, None, 1, 4, 9, 9, 1],
    "s": ["a", "b", None, "é", "a", "日本", None, "b", "a", None, "z" * 300, "é", "", "", "a"],
    "v": list(range(15)),
})


@pytest.mark.parametrize("keys", [["k"], ["s"], ["k", "s"]], ids=lambda k: "+".join(k))
@pytest.mark.parametrize("parallelism", [1, 2, 3, 4])
def test_partition_by_sends_every_key_to_exactly_one_instance(keys, parallelism, threads):
    ds = hr.from_batches(pieces(KEYED, 4))
    out = ds.stateful_transform(Tagged(), tagged_schema(KEYED.schema), partition_by=keys,
                                parallelism=parallelism).collect()
    assert multiset(out.select(["k", "s", "v"])) == multiset(KEYED)  # every row once
    per_key = instances_per_key(out, keys)
    assert all(len(ws) == 1 for ws in per_key.values()), per_key
    assert set().union(*per_key.values()) <= set(range(parallelism))
    assert (None,) * len(keys) in per_key or keys == ["k", "s"]  # nulls form a key of their own


def test_partition_by_with_all_rows_equal_uses_one_instance():
    ds = hr.from_batches(pieces(pa.table({"k": ["same"] * 50, "v": list(range(50))}), 7))
    out = ds.stateful_transform(Tagged(), tagged_schema(ds.schema), partition_by="k", parallelism=4).collect()
    assert len(set(out["w"].to_pylist())) == 1 and sorted(out["v"].to_pylist()) == list(range(50))
    counts = ds.stateful_transform(RowCount(), ROW_COUNT, partition_by="k", parallelism=4).collect()
    assert sorted(counts["rows"].to_pylist()) == [0, 0, 0, 50]


def odd_types_table() -> pa.Table:
    """Key columns headrace hashes, next to columns of types its C++ side cannot import."""
    n = 12
    return pa.table({
        "k": pa.array([i % 5 for i in range(n)], pa.int64()),
        "bin": pa.array([bytes([i]) for i in range(n)], pa.binary()),
        "tags": pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.int64())),
        "d64": pa.array([i * 86_400_000 for i in range(n)], pa.date64()),
        "t64": pa.array([i * 1000 for i in range(n)], pa.time64("us")),
        "half": pa.array(np.arange(n, dtype=np.float16)),
        "nothing": pa.nulls(n),
        "v": list(range(n)),
    })


@pytest.mark.parametrize("parallelism", [1, 3])
def test_partition_by_hashes_only_the_keys_so_other_columns_may_have_any_type(parallelism, threads):
    table = odd_types_table()
    ds = hr.from_batches(pieces(table, 5))
    out = ds.stateful_transform(Tagged(), tagged_schema(table.schema), partition_by="k",
                                parallelism=parallelism).collect()
    assert out.drop_columns(["w", "sid"]).sort_by("v").equals(table)
    assert all(len(ws) == 1 for ws in instances_per_key(out, ["k"]).values())


@pytest.mark.parametrize("column", ["bin", "tags", "d64", "t64", "half", "nothing"])
def test_partition_by_a_column_that_cannot_be_hashed_fails_when_written(column):
    table = odd_types_table()
    kind = table.schema.field(column).type
    with pytest.raises(TypeError, match=rf"stateful_transform 'Tagged' partition_by: column '{column}' has type "
                                        rf"{re.escape(str(kind))}, which cannot be hashed; key columns can be "
                                        "integers"):
        hr.from_arrow(table).stateful_transform(Tagged(), tagged_schema(table.schema), partition_by=["k", column],
                                                parallelism=2)
    with pytest.raises(TypeError, match=f"partition_by: column '{column}' has type"):
        hr.stateful_transform([hr.from_arrow(table)], Tagged(), tagged_schema(table.schema), partition_by=column)


def test_partition_by_accepts_every_hashable_key_type():
    table = pa.table({
        "i8": pa.array([1, 2], pa.int8()), "u64": pa.array([1, 2], pa.uint64()), "f": [0.5, 1.5],
        "b": [True, False], "s": ["a", "b"], "ls": pa.array(["a", "b"], pa.large_string()),
        "sv": pa.array(["a", "b"], pa.string_view()), "d": pa.array([1, 2], pa.date32()),
        "ts": pa.array([1, 2], pa.timestamp("ms", tz="UTC")), "dec": pa.array([1, 2], pa.decimal128(5, 2)),
        "dict": pa.array(["x", "y"]).dictionary_encode(),
    })
    ds = hr.from_arrow(table)
    out = ds.stateful_transform(Tagged(), tagged_schema(table.schema), partition_by=table.column_names,
                                parallelism=2).collect()
    assert sorted(out.drop_columns(["w", "sid"]).to_pylist(), key=lambda r: r["i8"]) == table.to_pylist()
    assert out.schema.remove_metadata() == tagged_schema(table.schema)


def test_more_instances_than_batches(calls):
    ds = hr.from_batches([{"x": [1, 2]}, {"x": [3]}])
    log = calls
    out = ds.stateful_transform(RowCount(), ROW_COUNT, parallelism=8).collect()
    assert sorted(out["w"].to_pylist()) == list(range(8)) and sum(out["rows"].to_pylist()) == 3
    ds.stateful_transform(Failing(log), ds.schema, parallelism=8).collect()
    opened, closed = opened_and_closed(log)
    assert len(opened) == 8 and opened == closed


class Splitter(hr.Executor):
    """Yields each row as its own batch, then two summary rows from finish."""

    def open(self, ctx):
        self.seen = 0

    def execute(self, batch, ctx):
        for i in range(batch.num_rows):
            self.seen += 1
            yield {"x": [batch["x"][i].as_py()]}

    def finish(self, ctx):
        yield {"x": [-self.seen]}
        yield pa.table({"x": [-1000]})


def test_execute_and_finish_may_yield_several_outputs():
    ds = hr.from_batches([{"x": [1, 2, 3]}, {"x": [4]}])
    out = ds.stateful_transform(Splitter(), {"x": pa.int64()}).collect()
    assert out["x"].to_pylist() == [1, 2, 3, 4, -4, -1000]


def test_stateful_required_columns_and_per_input_required_columns():
    seen = []

    class Names(hr.Executor):
        def execute(self, batch, ctx):
            seen.append((ctx.stream_id, batch.schema.names))

    a = hr.from_arrow({"x": [1], "y": [2], "z": [3]})
    b = hr.from_arrow({"p": [1], "q": [2]})
    a.stateful_transform(Names(), ["n"], required_columns={"z", "x"}).collect()
    assert seen == [(0, ["x", "z"])]
    seen.clear()
    hr.stateful_transform([a, b], Names(), ["n"], required_columns=[["y"], None]).collect()
    assert sorted(seen) == [(0, ["y"]), (1, ["p", "q"])]


class Emit(hr.Executor):
    def __init__(self, output):
        self.output = output

    def execute(self, batch, ctx):
        return self.output


@pytest.mark.parametrize("output, problem", [
    ({"a": [1]}, "lacks column 'b'"),
    ({"a": [1], "b": [2], "c": [3]}, "has column 'c'"),
    ({"a": ["not a number"], "b": [1]}, "column 'a' is string, but the declared schema says int64"),
], ids=["missing", "extra", "wrong type"])
def test_stateful_output_is_checked_against_new_schema(output, problem, calls):
    ds = hr.from_batches(pieces(SALES, 2))
    q = ds.stateful_transform(Emit(output), {"a": pa.int64(), "b": pa.int64()}, parallelism=2)
    with pytest.raises(hr.PipelineError) as info:
        q.collect()
    cause = info.value.__cause__
    assert isinstance(cause, (ValueError, TypeError))
    assert "stateful_transform 'Emit'" in str(cause) and problem in str(cause)
    assert info.value.step == "Emit"


def test_stateful_output_columns_are_reordered_and_cast_when_possible():
    ds = hr.from_arrow({"x": [1]})
    out = ds.stateful_transform(Emit({"b": pa.array([2], pa.int8()), "a": ["7"]}),
                                {"a": pa.int64(), "b": pa.int64()}).collect()
    assert out.schema == pa.schema([("a", pa.int64()), ("b", pa.int64())])
    assert out.to_pydict() == {"a": [7], "b": [2]}


def test_stateful_argument_errors(sales):
    with pytest.raises(TypeError, match="pass an instance of Noop, not the class"):
        sales.stateful_transform(Noop, ["a"])
    with pytest.raises(TypeError, match="expected an hr.Executor"):
        sales.stateful_transform(lambda b: b, ["a"])
    with pytest.raises(ValueError, match="parallelism must be an integer >= 1"):
        sales.stateful_transform(Noop(), ["a"], parallelism=0)
    with pytest.raises(TypeError, match="new_schema must be"):
        sales.stateful_transform(Noop(), "a")
    with pytest.raises(TypeError, match="non-empty list of DataStreams"):
        hr.stateful_transform([], Noop(), ["a"])



def test_stateful_class_instead_of_instance_names_the_class_as_the_step(sales):
    with pytest.raises(TypeError) as info:
        sales.stateful_transform(Noop, ["a"])
    assert "'type'" not in str(info.value)


# ---- several inputs: hr.stateful_transform ----------------------------------------------


@pytest.mark.parametrize("partition_by", [None, "k"])
@pytest.mark.parametrize("inputs", [2, 3])
def test_module_level_stateful_transform_over_several_inputs(inputs, partition_by, threads):
    tables = [pa.table({"k": [i % 5 for i in range(20 * (s + 1))], "v": list(range(20 * (s + 1)))})
              for s in range(inputs)]
    streams = [hr.from_batches(pieces(t, 6)) for t in tables]
    schema = tagged_schema(tables[0].schema)
    out = hr.stateful_transform(streams, Tagged(), schema, partition_by=partition_by, parallelism=3).collect()
    counts = collections.Counter(out["sid"].to_pylist())
    assert counts == {s: 20 * (s + 1) for s in range(inputs)}
    for s in range(inputs):
        mine = out.filter(pc.equal(out["sid"], s)).select(["k", "v"])
        assert multiset(mine) == multiset(tables[s])
    if partition_by:  # equal keys of every input reach the same instance
        assert all(len(ws) == 1 for ws in instances_per_key(out, ["k"]).values())


def test_one_stream_twice_in_a_multi_input_executor():
    ds = hr.from_batches(pieces(KEYED, 4))
    schema = tagged_schema(pa.schema([("k", pa.int64()), ("v", pa.int64())]))
    out = hr.stateful_transform([ds.select("k", "v"), ds.select("k", "v").filter(hr.col("v") < 5)],
                                Tagged(), schema, parallelism=2).collect()
    assert collections.Counter(out["sid"].to_pylist()) == {0: 15, 1: 5}
    same = hr.stateful_transform([ds, ds.select("k", "s", "v")], Tagged(), tagged_schema(KEYED.schema),
                                 partition_by=["k", "s"], parallelism=3).collect()
    assert collections.Counter(same["sid"].to_pylist()) == {0: 15, 1: 15}
    assert all(len(ws) == 1 for ws in instances_per_key(same, ["k", "s"]).values())


# ---- union, limit, sort -----------------------------------------------------------------


def test_union_of_two_and_three_inputs(sales, threads):
    other = hr.from_arrow(SALES.slice(0, 4))
    assert multiset(sales.union(other).collect()) == multiset(pa.concat_tables([SALES, SALES.slice(0, 4)]))
    third = sales.filter(hr.col("region") == "US")
    out = sales.union(other, third).collect()
    assert out.num_rows == 10 + 4 + 2 and out.schema == SALES.schema
    assert sales.union() is sales


def test_union_of_a_stream_with_itself_and_with_its_own_filter(sales):
    assert multiset(sales.union(sales).collect()) == multiset(pa.concat_tables([SALES, SALES]))
    assert sales.union(sales, sales).collect().num_rows == 30
    big = sales.filter(hr.col("qty") > 10)
    assert multiset(sales.union(big).collect()) == multiset(pa.concat_tables([SALES, big.collect()]))


def test_union_rejects_different_columns_and_types(sales):
    with pytest.raises(ValueError, match="different columns"):
        sales.union(sales.select("qty"))
    with pytest.raises(TypeError, match="column 'qty' is int64 in one input and double"):
        sales.union(sales.with_columns(qty=hr.col("qty").cast(pa.float64())))
    with pytest.raises(TypeError, match="expected DataStreams"):
        sales.union(SALES)


@pytest.mark.parametrize("n", [0, 2, 3, 7, 10, 50])
def test_limit(sales, n, threads):
    out = sales.limit(n).collect()
    assert out == SALES.slice(0, n)
    assert out.schema == SALES.schema


def test_limit_keeps_the_order_through_parallel_operators():
    hr.config(threads=2, batch_size=5)
    ds = hr.from_arrow(pa.table({"x": list(range(1000))}))
    assert ds.with_columns(y=hr.col("x") + 1).limit(23).collect()["x"].to_pylist() == list(range(23))


def test_limit_after_a_sort_and_sort_after_a_limit(sales):
    top = sales.sort("qty", descending=True).limit(3).collect()
    assert top["qty"].to_pylist() == [40, 30, 18]
    assert sales.limit(3).sort("qty").collect()["qty"].to_pylist() == [5, 12, 30]
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        sales.limit(-1)


def test_a_limit_at_the_end_stops_an_endless_source():
    assert hr.from_batches(endless).limit(5).collect()["v"].to_pylist() == [0, 1, 2, 3, 4]



def test_a_limit_followed_by_more_operators_stops_the_source():
    produced = []

    def capped_endless():  # endless as far as the plan is concerned; ends the test if it is read on
        for i in range(3000):
            produced.append(i)
            yield {"k": [i % 7], "v": [i]}
        raise RuntimeError("the source was read far past the limit")

    out = hr.from_batches(capped_endless).limit(5).select("v").collect()
    assert out["v"].to_pylist() == [0, 1, 2, 3, 4]


def test_sort_one_key_ascending_and_descending_with_nulls_last(sales, threads):
    assert sales.sort("qty").collect()["qty"].to_pylist() == [1, 3, 5, 7, 12, 18, 30, 40, None, None]
    assert sales.sort("qty", descending=True).collect()["qty"].to_pylist() == [40, 30, 18, 12, 7, 5, 3, 1,
                                                                               None, None]


def test_sort_several_keys_with_a_descending_list(sales):
    out = sales.sort(["region", "price"], descending=[False, True]).collect()
    assert out.select(["region", "price"]).to_pylist() == [
        {"region": "APAC", "price": 3.0}, {"region": "APAC", "price": None},
        {"region": "EU", "price": 4.0}, {"region": "EU", "price": 2.0}, {"region": "EU", "price": 2.0},
        {"region": "EU", "price": 1.5},
        {"region": "US", "price": 3.5}, {"region": "US", "price": 2.5},
        {"region": None, "price": 9.0}, {"region": None, "price": 1.0},
    ]
    with pytest.raises(ValueError, match="one bool per key"):
        sales.sort(["region", "qty"], descending=[True])
    with pytest.raises(TypeError, match="non-empty list"):
        sales.sort([])


def test_sort_accepts_numpy_bools_and_names_bad_descending_values(sales):
    expected = sales.sort("qty", descending=True).collect()
    assert sales.sort("qty", descending=np.bool_(True)).collect() == expected
    both = sales.sort(["region", "price"], descending=np.array([False, True])).collect()
    assert both == sales.sort(["region", "price"], descending=[False, True]).collect()
    for bad in (None, 1, "yes", [np.int64(1)]):
        with pytest.raises(ValueError, match=r"sort: descending must be a bool or a list of one bool per key \(1\)"):
            sales.sort("qty", descending=bad)


def test_sort_strings_unicode_and_many_batches():
    hr.config(batch_size=3)
    words = ["éclair", "zebra", "apple", "日本", "Zebra", "", None, "äpfel", "apple"]
    ds = hr.from_arrow(pa.table({"w": words, "i": list(range(len(words)))}))
    out = ds.sort(["w", "i"], descending=[False, True]).collect()
    expected = pa.table({"w": words, "i": list(range(len(words)))}).sort_by([("w", "ascending"),
                                                                              ("i", "descending")])
    assert out == expected
    assert out["w"].to_pylist()[-1] is None



def test_sort_of_a_pruned_file_scan_keeps_only_the_columns_read(tmp_path):
    """A sort between a Parquet scan and an operator reading some columns gets only those
    (and its keys) from the scan; it once checked its output against all of them."""
    table = pa.table({"flag": ["a", "b", "a"], "mode": ["x", "y", "z"], "qty": [3, 1, 2], "day": [5, 6, 7]})
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    counted = hr.read_parquet(path).sort("qty").groupby("flag", maintain_order=True).agg(n=("*", "count"))
    assert counted.collect().to_pylist() == [{"flag": "b", "n": 1}, {"flag": "a", "n": 2}]
    filtered = hr.read_parquet(path).filter(hr.col("day") > 5).sort("qty", descending=True).select("mode")
    assert filtered.collect().column("mode").to_pylist() == ["z", "y"]

# ---- sinks ------------------------------------------------------------------------------


def test_collect_to_pandas_to_polars(sales):
    q = sales.filter(hr.col("qty") > 6).select("region", "qty")
    expected = SALES.filter(pc.greater(SALES["qty"], 6)).select(["region", "qty"])
    assert q.collect() == expected
    df = q.to_pandas()
    assert list(df.columns) == ["region", "qty"] and df["qty"].tolist() == [12, 30, 7, 40, 18]
    pl = pytest.importorskip("polars")
    frame = q.to_polars()
    assert isinstance(frame, pl.DataFrame) and frame.to_arrow().to_pylist() == expected.to_pylist()


def test_iter_batches_yields_record_batches_in_order(sales):
    batches = list(sales.with_columns(n=1).iter_batches())
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert pa.Table.from_batches(batches)["qty"].to_pylist() == SALES["qty"].to_pylist()


@pytest.mark.parametrize("partition_by", [None, "k"])
def test_leaving_iter_batches_early_ends_the_run(calls, partition_by):
    baseline = settled_thread_counts()
    ds = hr.from_batches(endless).filter(hr.col("v") >= 0).stateful_transform(
        Failing(calls), ["k", "v"], partition_by=partition_by, parallelism=3)
    for n, batch in enumerate(ds.iter_batches()):
        assert batch.num_rows
        if n == 10:
            break
    wait_for_threads(baseline)
    opened, closed = opened_and_closed(calls)
    assert opened == closed and len(opened) == 3


def test_arrow_stream_protocol_with_pyarrow(sales):
    q = sales.filter(hr.col("qty") > 6)
    assert pa.table(q) == SALES.filter(pc.greater(SALES["qty"], 6))
    reader = pa.RecordBatchReader.from_stream(q)
    assert reader.schema == SALES.schema and reader.read_all().num_rows == 5
    empty = pa.table(sales.filter(hr.col("qty") > 1000))
    assert empty.num_rows == 0 and empty.schema == SALES.schema


def test_arrow_stream_protocol_with_polars(sales):
    pl = pytest.importorskip("polars")
    q = sales.select("region", "qty")
    frame = pl.DataFrame(q)  # the DataFrame constructor takes any Arrow stream
    assert frame.columns == ["region", "qty"] and frame["qty"].to_list() == SALES["qty"].to_pylist()
    # Polars' from_arrow turns any object with __arrow_c_stream__ (other than pyarrow's own)
    # into a Series; for a table-like stream it is a struct Series, one field per column.
    series = pl.from_arrow(q)
    assert isinstance(series, pl.Series) and series.dtype == pl.Struct
    assert series.struct.unnest().equals(frame)


def test_arrow_stream_protocol_with_duckdb(sales):
    duckdb = pytest.importorskip("duckdb")
    q = sales.filter(hr.col("qty") > 6)  # noqa: F841 - read by name from the SQL below
    assert duckdb.sql("select sum(qty) as s, count(*) as n from q").fetchall() == [(107, 5)]
    assert sorted(duckdb.from_arrow(sales.select("qty")).fetchall(), key=repr)[:2] == [(1,), (12,)]


def test_duckdb_stopping_early_ends_the_run():
    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql("select 1").fetchall() == [(1,)]  # DuckDB's own threads start here
    baseline = settled_thread_counts()
    ds = hr.from_batches(endless)  # noqa: F841 - read by name from the SQL below
    assert duckdb.sql("select v from ds limit 3").fetchall() == [(0,), (1,), (2,)]
    wait_for_threads(baseline)


# ---- explain ----------------------------------------------------------------------------


def test_explain_shows_one_line_per_operator_with_its_workers(sales, capsys):
    hr.config(threads=2)
    q = (sales.filter(hr.col("qty") > 6)
              .with_columns(rev=hr.col("qty") * hr.col("price"))
              .stateful_transform(Noop(), ["region", "qty", "price", "rev"], parallelism=3)
              .sort("rev")
              .limit(2))
    assert q.explain() is None
    printed = capsys.readouterr().out.rstrip("\n")
    text = q.explain(as_text=True)
    assert isinstance(text, str) and text == printed
    lines = text.splitlines()
    assert len(lines) == 6
    expected = [("limit(2)", "[1 worker]"), ("sort(rev)", "[1 worker]"),
                ("stateful_transform(Noop, parallelism=3)", "[3 workers]"),
                ("with_columns(rev=", "[2 workers]"), ("filter(", "[2 workers]"), ("from_batches", "[1 worker]")]
    for depth, (line, (label, workers)) in enumerate(zip(lines, expected)):
        assert line.startswith("  " * depth + label) and line.endswith(workers), line


def test_explain_analyze_counts_rows_per_operator(sales):
    q = sales.filter(hr.col("qty") > 6).select("qty")
    text = q.explain(analyze=True, as_text=True)
    lines = text.splitlines()
    assert lines[0].startswith("select(qty)") and "rows 5 -> 5" in lines[0]
    assert lines[1].strip().startswith("filter(") and "rows 10 -> 5, batches 4 -> " in lines[1]
    assert lines[2].strip().startswith("from_batches") and "-> 10, batches 0 -> 4" in lines[2]
    assert lines[-1].startswith("total: ")
    partitioned = sales.stateful_transform(Tagged(), tagged_schema(SALES.schema), partition_by="region",
                                           parallelism=2)
    assert "rows 10 -> 10" in partitioned.explain(analyze=True, as_text=True).splitlines()[0]



def test_explain_analyze_counts_the_rows_of_a_union(sales):
    first = sales.union(sales.filter(hr.col("qty") > 6)).explain(analyze=True, as_text=True).splitlines()[0]
    assert first.startswith("union(2 inputs)") and "rows 15 -> 15" in first


def test_explain_shows_a_shared_input_once(sales):
    text = sales.union(sales.filter(hr.col("qty") > 1)).explain(as_text=True)
    assert text.count("(the same from_batches as above") == 1


# ---- one DataStream read several times --------------------------------------------------


def test_a_datastream_collected_twice_gives_the_same_result(sales, calls):
    q = (sales.filter(hr.col("qty") > 2)
              .stateful_transform(RowCount(), ROW_COUNT, partition_by="region", parallelism=2)
              .sort("w"))
    assert q.collect() == q.collect()
    plain = sales.with_columns(x=1)
    assert plain.collect() == plain.collect() == plain.collect()


def test_a_generator_function_source_can_run_again():
    def numbers():
        yield {"n": [1, 2]}
        yield {"n": [3]}

    ds = hr.from_batches(numbers)
    assert ds.collect()["n"].to_pylist() == ds.collect()["n"].to_pylist() == [1, 2, 3]


@pytest.mark.parametrize("kind", ["RecordBatchReader", "generator object"])
def test_a_stream_backed_source_runs_once(kind):
    if kind == "RecordBatchReader":
        ds = hr.from_arrow(pa.RecordBatchReader.from_batches(SALES.schema, pieces(SALES, 4)))
    else:
        ds = hr.from_batches(b for b in pieces(SALES, 4))
    ds.explain(as_text=True)  # describing it does not use it up
    assert ds.filter(hr.col("qty") > 0).collect().num_rows == 8
    with pytest.raises(ValueError, match="already read by an earlier run; a stream can be read once"):
        ds.collect()
    with pytest.raises(ValueError, match="already read"):
        ds.select("qty").collect()


def test_a_stream_backed_source_read_by_two_operators_of_one_run():
    ds = hr.from_batches(b for b in pieces(SALES, 3))
    out = ds.union(ds.filter(hr.col("region") == "EU")).collect()
    assert out.num_rows == 14


# ---- failures ---------------------------------------------------------------------------


def test_an_error_in_a_transform_function(threads):
    hr.config(batch_size=10)

    def fragile(batch):
        if pc.min(batch["x"]).as_py() <= 500 <= pc.max(batch["x"]).as_py():
            raise ZeroDivisionError("boom")
        return batch

    started = time.monotonic()
    with pytest.raises(hr.PipelineError) as info:
        hr.from_arrow(pa.table({"x": list(range(100_000))})).transform(fragile, new_schema=["x"]).collect()
    assert time.monotonic() - started < 10
    err = info.value
    assert isinstance(err.__cause__, ZeroDivisionError) and err.__cause__.__traceback__ is not None
    assert err.step == "transform(fragile)" and err.phase == "execute"
    assert err.item == 50  # the 51st batch of 10 rows
    assert "transform(fragile)" in str(err) and "boom" in str(err)


@pytest.mark.parametrize("where, cause", [("open", KeyError), ("execute", ValueError), ("finish", RuntimeError)])
@pytest.mark.parametrize("partition_by", [None, "k"])
def test_an_executor_error_ends_the_run_and_closes_every_opened_instance(calls, where, cause, partition_by):
    baseline = settled_thread_counts()
    source = hr.from_batches(endless) if where != "finish" else hr.from_batches(pieces(KEYED, 2))
    ds = source.stateful_transform(Failing(calls, where), source.schema, partition_by=partition_by,
                                   parallelism=3)
    started = time.monotonic()
    with pytest.raises(hr.PipelineError) as info:
        ds.collect()
    assert time.monotonic() - started < 10
    err = info.value
    assert isinstance(err.__cause__, cause) and err.step == "Failing" and err.phase == where
    assert "Failing" in str(err)
    opened, closed = opened_and_closed(calls)
    assert opened == closed and len(opened) == (2 if where == "open" else 3)
    wait_for_threads(baseline)


def test_an_error_in_one_input_ends_a_run_whose_other_input_is_endless(calls):
    def three_then_fail():
        yield {"k": [1], "v": [1]}
        raise ConnectionError("feed lost")

    ds = hr.stateful_transform([hr.from_batches(endless), hr.from_batches(three_then_fail)], Failing(calls),
                               ["k", "v"], partition_by="k", parallelism=2)
    with pytest.raises(hr.PipelineError) as info:
        ds.collect()
    assert isinstance(info.value.__cause__, ConnectionError)
    opened, closed = opened_and_closed(calls)
    assert opened == closed


def test_an_error_in_an_expression_at_run_time():
    ds = hr.from_arrow({"x": [1, 2**62]}).with_columns(y=hr.col("x") * 4)
    with pytest.raises(hr.PipelineError, match="overflow") as info:
        ds.collect()
    assert isinstance(info.value.__cause__, pa.ArrowInvalid)
    assert "with_columns" in info.value.step


def test_a_sink_consumer_error_ends_the_run(calls):
    baseline = settled_thread_counts()
    ds = hr.from_batches(endless).stateful_transform(Failing(calls), ["k", "v"], parallelism=2)
    with pytest.raises(LookupError):
        for n, _ in enumerate(ds.iter_batches()):
            if n == 3:
                raise LookupError("consumer gave up")
    wait_for_threads(baseline)
    opened, closed = opened_and_closed(calls)
    assert opened == closed and opened


def test_a_failing_source_iterable():
    def feed():
        yield {"x": [1]}
        yield {"x": [2]}
        raise ConnectionError("feed lost")

    with pytest.raises(hr.PipelineError) as info:
        hr.from_batches(feed).with_columns(y=1).collect()
    err = info.value
    assert err.step == "from_batches" and err.phase == "source" and err.item == 2
    assert isinstance(err.__cause__, ConnectionError)


def test_from_batches_conforms_every_batch_to_the_schema():
    reordered = hr.from_batches([{"x": [1], "y": ["a"]}, {"y": ["b"], "x": [2]}, {"x": pa.array([3], pa.int8()),
                                                                                 "y": ["c"]}])
    assert reordered.collect().to_pydict() == {"x": [1, 2, 3], "y": ["a", "b", "c"]}
    assert reordered.collect().schema == pa.schema([("x", pa.int64()), ("y", pa.string())])
    for bad, problem in [([{"x": [1]}, {"x": [2], "y": [3]}], r"from_batches \(batch 1\).*'y'"),
                         ([{"x": [1]}, {"x": ["zz"]}], r"from_batches \(batch 1\): column 'x' is string")]:
        with pytest.raises(hr.PipelineError, match=problem) as info:
            hr.from_batches(bad).collect()
        assert info.value.phase == "source"


def test_from_arrow_takes_in_memory_data_of_every_kind():
    pl = pytest.importorskip("polars")
    expected = {"x": [1, 2], "s": ["a", None]}
    table = pa.table(expected)
    for data in (table, table.to_batches()[0], expected, table.to_pandas(), pl.from_arrow(table)):
        assert hr.from_arrow(data).collect().to_pylist() == table.to_pylist(), type(data)
    with pytest.raises(TypeError, match="from_arrow: expected Arrow data"):
        hr.from_arrow([1, 2])



def test_from_arrow_collects_a_polars_lazyframe():
    pl = pytest.importorskip("polars")
    lazy = pl.LazyFrame({"x": [1, 2, 3], "s": ["a", None, "c"]}).filter(pl.col("x") > 1)
    ds = hr.from_arrow(lazy)
    assert ds.columns == ["x", "s"]
    assert ds.with_columns(y=hr.col("x") * 10).collect().to_pydict() == {"x": [2, 3], "s": [None, "c"], "y": [20, 30]}
    assert ds.collect().to_pydict() == {"x": [2, 3], "s": [None, "c"]}  # runs again


def test_polars_dataframe_of_a_datastream(sales):
    pl = pytest.importorskip("polars")
    q = sales.filter(hr.col("qty") > 6).select("region", "qty")
    frame = pl.DataFrame(q)
    assert frame.equals(q.to_polars())
    assert frame.to_arrow().to_pylist() == q.collect().to_pylist()


def test_from_arrow_of_a_datastream_stays_lazy():
    read = []

    def numbers():
        for i in range(500):
            read.append(i)
            yield {"x": [i]}

    inner = hr.from_batches(numbers, schema=pa.schema([("x", pa.int64())])).filter(hr.col("x") >= 0)
    outer = hr.from_arrow(inner)
    assert read == []  # nothing may run before a sink asks (no thread exists before one)
    assert outer.collect().num_rows == 500
    assert outer.collect().num_rows == 500



def test_names_only_schema_with_types_changing_between_batches_gives_a_headrace_error():
    class Mixed(hr.Executor):
        def execute(self, batch, ctx):
            v = batch["x"][0].as_py()
            return {"y": [v if v != 2 else 2.5]}

    ds = hr.from_batches([{"x": [1]}, {"x": [2]}, {"x": [3]}]).stateful_transform(Mixed(), ["y"])
    with pytest.raises((hr.PipelineError, TypeError), match="Mixed"):
        ds.collect()


# ---- edges ------------------------------------------------------------------------------


def every_operator(ds: hr.DataStream) -> dict[str, hr.DataStream]:
    return {
        "source": ds,
        "filter": ds.filter(hr.col("qty") > 0),
        "select": ds.select("qty"),
        "with_columns": ds.with_columns(y=hr.col("qty") * 2, z="lit"),
        "drop": ds.drop("price"),
        "rename": ds.rename({"qty": "q"}),
        "transform": ds.transform(lambda b: b, new_schema=ds.schema),
        "stateful": ds.stateful_transform(Noop(), ds.schema, parallelism=2),
        "partitioned": ds.stateful_transform(Noop(), ds.schema, partition_by="region", parallelism=2),
        "union": ds.union(ds),
        "limit": ds.limit(5),
        "sort": ds.sort(["region", "qty"]),
    }


@pytest.mark.parametrize("make", ["zero-row table", "from_batches([])", "only empty batches"])
def test_empty_inputs_through_every_operator(make):
    if make == "zero-row table":
        ds = hr.from_arrow(SALES.slice(0, 0))
    elif make == "from_batches([])":
        ds = hr.from_batches([], schema=SALES.schema)
    else:
        ds = hr.from_batches([SALES.slice(0, 0), SALES.slice(5, 0)])
    for name, q in every_operator(ds).items():
        out = q.collect()
        assert out.num_rows == 0 and out.schema == q.schema, name
        assert list(q.iter_batches()) == [], name
        assert q.to_pandas().shape == (0, len(q.columns)), name
    counts = ds.stateful_transform(RowCount(), ROW_COUNT, parallelism=3).collect()
    assert sorted(counts["w"].to_pylist()) == [0, 1, 2] and sum(counts["rows"].to_pylist()) == 0


def test_from_batches_of_nothing_needs_a_schema():
    with pytest.raises(ValueError, match="pass schema="):
        hr.from_batches([])
    with pytest.raises(TypeError, match="pyarrow Schema"):
        hr.from_batches([], schema={"x": pa.int64()})


@pytest.mark.parametrize("table", [SALES.slice(4, 1), SALES.slice(3, 5), SALES.slice(1)],
                         ids=["one row", "slice(3, 5)", "slice(1)"])
def test_one_row_and_sliced_arrays_through_every_operator(table, threads):
    for make in (lambda: hr.from_arrow(table), lambda: hr.from_batches(pieces(table, 2))):
        results = {name: q.collect() for name, q in every_operator(make()).items()}
        assert results["source"] == table
        assert results["filter"] == table.filter(pc.greater(table["qty"], 0))
        assert results["with_columns"]["y"].to_pylist() == [None if v is None else 2 * v
                                                            for v in table["qty"].to_pylist()]
        for name in ("stateful", "partitioned", "transform"):
            assert multiset(results[name]) == multiset(table), name
        assert multiset(results["union"]) == multiset(pa.concat_tables([table, table]))
        assert results["limit"] == table.slice(0, 5)
        assert results["sort"] == table.sort_by([("region", "ascending"), ("qty", "ascending")])


def test_sliced_arrays_are_partitioned_by_their_own_keys():
    table = KEYED.slice(3, 9)
    out = hr.from_arrow(table).stateful_transform(Tagged(), tagged_schema(KEYED.schema), partition_by=["k", "s"],
                                                  parallelism=4).collect()
    assert multiset(out.select(["k", "s", "v"])) == multiset(table)
    assert all(len(ws) == 1 for ws in instances_per_key(out, ["k", "s"]).values())


def test_unicode_and_large_strings(threads):
    big = "ü" * 1_000_000
    words = ["naïve", "日本語", big, "", None, "🦆" * 10, "naïve"]
    for kind in (pa.string(), pa.large_string()):
        t = pa.table({"s": pa.array(words, kind), "i": list(range(len(words)))})
        ds = hr.from_batches(pieces(t, 2))
        assert ds.filter(hr.col("s") == "naïve").collect()["i"].to_pylist() == [0, 6]
        assert ds.filter(hr.col("s").str.starts_with("ü")).collect()["s"].to_pylist() == [big]
        assert ds.sort("s").collect()["i"].to_pylist() == [3, 0, 6, 2, 1, 5, 4]  # by UTF-8 bytes
        out = ds.stateful_transform(Tagged(), tagged_schema(t.schema), partition_by="s", parallelism=3).collect()
        assert out.schema.field("s").type == kind
        assert multiset(out.select(["s", "i"])) == multiset(t)
        assert all(len(ws) == 1 for ws in instances_per_key(out, ["s"]).values())


def test_threads_one_and_two_give_the_same_results(sales):
    q = (sales.filter(hr.col("qty").is_null() | (hr.col("qty") > 2))
              .with_columns(rev=hr.col("qty") * hr.col("price"))
              .stateful_transform(Tagged(), tagged_schema(SALES.schema.append(pa.field("rev", pa.float64()))),
                                  partition_by="region", parallelism=2)
              .drop("w", "sid"))
    results = []
    for n in (1, 2):
        hr.config(threads=n)
        assert q.explain(as_text=True).splitlines()[-2].endswith(f"[{n} worker{'s' if n > 1 else ''}]")
        results.append(multiset(q.collect()))
    assert results[0] == results[1] and len(results[0]) == 9


def test_config_rejects_bad_settings():
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        hr.config(threads=0)
    with pytest.raises(TypeError, match="unknown setting"):
        hr.config(thread=2)


# ---- examples (they go to docs/ too) -----------------------------------------------------


class Gramian(hr.Executor):
    """Accumulates X^T X over the columns x and y; each instance emits its partial sum."""

    def open(self, ctx):
        self.gram = np.zeros((2, 2))

    def execute(self, batch, ctx):
        x = np.column_stack([batch["x"].to_numpy(), batch["y"].to_numpy()])
        self.gram += x.T @ x

    def finish(self, ctx):
        i, j = np.indices(self.gram.shape)
        return {"i": i.ravel(), "j": j.ravel(), "v": self.gram.ravel()}


class SumCells(hr.Executor):
    """Adds up the partial Gramians (one instance, so it sees them all)."""

    def open(self, ctx):
        self.total = np.zeros((2, 2))

    def execute(self, batch, ctx):
        np.add.at(self.total, (batch["i"].to_numpy(), batch["j"].to_numpy()), batch["v"].to_numpy())

    def finish(self, ctx):
        i, j = np.indices(self.total.shape)
        return {"i": i.ravel(), "j": j.ravel(), "v": self.total.ravel()}


CELLS = {"i": pa.int64(), "j": pa.int64(), "v": pa.float64()}


@pytest.mark.parametrize("rows_per_batch", [1, 7, 64, 1000])
@pytest.mark.parametrize("parallelism", [1, 2, 3, 4])
def test_example_gramian(rows_per_batch, parallelism):
    rng = np.random.default_rng(rows_per_batch)
    data = pa.table({"x": rng.normal(size=200), "y": rng.normal(size=200), "label": ["a"] * 200})
    partials = hr.from_batches(pieces(data, rows_per_batch)).stateful_transform(
        Gramian(), new_schema=CELLS, required_columns={"x", "y"}, parallelism=parallelism)
    gram = partials.stateful_transform(SumCells(), new_schema=CELLS).collect()
    result = np.zeros((2, 2))
    result[gram["i"].to_numpy(), gram["j"].to_numpy()] = gram["v"].to_numpy()
    x = np.column_stack([data["x"].to_numpy(), data["y"].to_numpy()])
    np.testing.assert_allclose(result, x.T @ x)


class RunningSum(hr.Executor):
    def open(self, ctx):
        self.total = 0

    def execute(self, batch, ctx):
        self.total += pc.sum(batch["n"]).as_py() or 0

    def finish(self, ctx):
        return {"n": [self.total]}


def test_example_running_sum_over_four_instances(threads):
    one_row_batches = hr.from_batches([{"n": [i]} for i in range(80)])
    partial = one_row_batches.stateful_transform(RunningSum(), {"n": pa.int64()}, parallelism=4)
    assert partial.collect().num_rows == 4
    total = partial.stateful_transform(RunningSum(), {"n": pa.int64()}).collect()
    assert total["n"].to_pylist() == [sum(range(80))]


def count_words(batch: pa.RecordBatch) -> dict:
    """Words of one batch of text and how often each occurs in it."""
    words = pc.list_flatten(pc.utf8_split_whitespace(pc.utf8_lower(batch["text"])))
    words = pc.filter(words, pc.not_equal(words, ""))  # "" splits into [""]
    counts = pa.table({"word": words}).group_by("word").aggregate([("word", "count")])
    return {"word": counts["word"], "n": counts["word_count"]}


class SumPerWord(hr.Executor):
    """Totals per word; partition_by="word" sends each word to one instance."""

    def open(self, ctx):
        self.totals = collections.Counter()

    def execute(self, batch, ctx):
        for word, n in zip(batch["word"].to_pylist(), batch["n"].to_pylist()):
            self.totals[word] += n

    def finish(self, ctx):
        return {"word": list(self.totals), "n": list(self.totals.values())}


@pytest.mark.parametrize("parallelism", [1, 3])
def test_example_word_count(parallelism, threads):
    lines = ["the quick brown fox", "jumps over the lazy dog", None, "The dog sleeps",
             "", "fox and dog and fox", "naïve café naïve"] * 7
    text = hr.from_batches(pieces(pa.table({"text": lines}), 3))
    counts = (text.transform(count_words, new_schema={"word": pa.string(), "n": pa.int64()})
                  .stateful_transform(SumPerWord(), new_schema={"word": pa.string(), "n": pa.int64()},
                                      partition_by="word", parallelism=parallelism)
                  .collect())
    expected = collections.Counter(w for line in lines if line for w in line.lower().split())
    assert dict(zip(counts["word"].to_pylist(), counts["n"].to_pylist())) == expected
    assert counts.num_rows == len(expected)  # each word reached exactly one instance
