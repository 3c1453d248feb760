"""Properties of hr.DataStream on random data: every result equals pyarrow's on the whole
table, whatever the batch split, the thread count and the parallelism."""

from __future__ import annotations

import collections

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import threads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr

pytestmark = pytest.mark.timeout(60)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCHEMA = pa.schema([("r", pa.int64()), ("i", pa.int64()), ("f", pa.float64()), ("s", pa.string()),
                    ("v", pa.int64())])

ints = st.one_of(st.none(), st.integers(-50, 50))
floats = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
texts = st.one_of(st.none(), st.text(alphabet="abé日 ", max_size=4))


@st.composite
def tables(draw, max_rows: int = 60) -> pa.Table:
    """Rows with a unique id ``r``; nullable ints, floats and strings; a non-null int ``v``."""
    n = draw(st.integers(0, max_rows))
    rows = {
        "r": list(range(n)),
        "i": draw(st.lists(ints, min_size=n, max_size=n)),
        "f": draw(st.lists(floats, min_size=n, max_size=n)),
        "s": draw(st.lists(texts, min_size=n, max_size=n)),
        "v": draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n)),
    }
    return pa.table(rows, schema=SCHEMA)


@st.composite
def splits(draw, table: pa.Table) -> list[pa.RecordBatch]:
    """The table cut at random points (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, table.num_rows), max_size=6)))
    bounds = [0, *cuts, table.num_rows]
    return [table.slice(a, b - a).to_batches()[0] if b > a else pa.RecordBatch.from_pylist([], schema=SCHEMA)
            for a, b in zip(bounds, bounds[1:])]


@st.composite
def table_and_split(draw):
    table = draw(tables())
    return table, draw(splits(table))


def stream(batches: list[pa.RecordBatch]) -> hr.DataStream:
    return hr.from_batches(batches, schema=SCHEMA)


def multiset(table: pa.Table) -> list:
    return sorted(table.to_pylist(), key=repr)


# ---- per-batch operators: same rows, same order ------------------------------------------


@SETTINGS
@given(data=table_and_split(), n_threads=st.sampled_from([1, 2]), bound=st.integers(-50, 50),
       prefix=st.sampled_from(["", "a", "é", "日"]))
def test_filter_with_columns_select_equal_pyarrow_in_order(data, n_threads, bound, prefix):
    table, batches = data
    cond = (hr.col("i") > bound) | hr.col("s").str.starts_with(prefix)
    q = (stream(batches)
         .filter(cond)
         .with_columns(y=hr.col("i") * 2 + 1, f=hr.col("f") * 0.5, tag="t")
         .select("r", "s", "y", "f", "tag"))
    with threads(n_threads):
        out = q.collect()
    mask = pc.or_kleene(pc.greater(table["i"], bound), pc.starts_with(table["s"], prefix))
    kept = table.filter(mask)
    expected = pa.table({
        "r": kept["r"], "s": kept["s"],
        "y": pc.add(pc.multiply(kept["i"], 2), 1),
        "f": pc.multiply(kept["f"], 0.5),
        "tag": pa.array(["t"] * kept.num_rows, pa.string()),
    })
    assert out.schema == expected.schema == q.schema
    assert out.equals(expected), (out.to_pydict(), expected.to_pydict())


@SETTINGS
@given(data=table_and_split(), n_threads=st.sampled_from([1, 2]), n=st.integers(0, 70))
def test_limit_after_per_batch_operators_keeps_the_first_rows(data, n_threads, n):
    table, batches = data
    with threads(n_threads):
        out = stream(batches).filter(hr.col("v") % 3 != 0).drop("f").limit(n).collect()
    kept = table.filter(pa.array([v % 3 != 0 for v in table["v"].to_pylist()], pa.bool_()))
    assert out.equals(kept.drop_columns(["f"]).slice(0, n))


# ---- partitioned stateful executors ------------------------------------------------------


class SumPerKey(hr.Executor):
    """Sums ``v`` and counts rows per key; reports the instance that saw each key."""

    def __init__(self, keys: list[str]):
        self.keys = keys

    def open(self, ctx):
        self.sums: dict[tuple, list[int]] = collections.defaultdict(lambda: [0, 0])

    def execute(self, batch, ctx):
        grouped = pa.Table.from_batches([batch]).group_by(self.keys).aggregate([("v", "sum"), ("v", "count")])
        columns = [grouped[k].to_pylist() for k in self.keys]
        for row, (total, count) in enumerate(zip(grouped["v_sum"].to_pylist(), grouped["v_count"].to_pylist())):
            acc = self.sums[tuple(c[row] for c in columns)]
            acc[0] += total
            acc[1] += count

    def finish(self, ctx):
        keys = list(self.sums)
        out = {k: [key[n] for key in keys] for n, k in enumerate(self.keys)}
        out["total"] = [self.sums[key][0] for key in keys]
        out["rows"] = [self.sums[key][1] for key in keys]
        out["w"] = [ctx.worker] * len(keys)
        return out


def sum_schema(keys: list[str]) -> pa.Schema:
    return pa.schema([SCHEMA.field(k) for k in keys] + [("total", pa.int64()), ("rows", pa.int64()),
                                                         ("w", pa.int64())])


@SETTINGS
@given(data=table_and_split(), n_threads=st.sampled_from([1, 2]), parallelism=st.integers(1, 4),
       keys=st.sampled_from([["i"], ["s"], ["i", "s"]]))
def test_partitioned_sum_per_key_equals_pyarrow_group_by(data, n_threads, parallelism, keys):
    table, batches = data
    q = stream(batches).stateful_transform(SumPerKey(keys), sum_schema(keys), partition_by=keys,
                                           parallelism=parallelism)
    with threads(n_threads):
        out = q.collect()
    got = [(tuple(r[k] for k in keys), r["total"], r["rows"]) for r in out.to_pylist()]
    # Every key reached exactly one instance, so it appears once in the output.
    assert len({key for key, _, _ in got}) == len(got)
    assert set(out["w"].to_pylist()) <= set(range(parallelism))
    reference = table.group_by(keys).aggregate([("v", "sum"), ("v", "count")])
    expected = [(tuple(r[k] for k in keys), r["v_sum"], r["v_count"]) for r in reference.to_pylist()]
    assert sorted(got, key=repr) == sorted(expected, key=repr)


class SumPerStreamAndKey(hr.Executor):
    """Sums ``v`` per input and key ``k``; reports the instance that saw each."""

    def open(self, ctx):
        self.sums: dict[tuple, int] = collections.Counter()

    def execute(self, batch, ctx):
        for key, v in zip(batch["k"].to_pylist(), batch["v"].to_pylist()):
            self.sums[(ctx.stream_id, key)] += v

    def finish(self, ctx):
        keys = list(self.sums)
        return {"sid": [s for s, _ in keys], "k": [k for _, k in keys], "total": list(self.sums.values()),
                "w": [ctx.worker] * len(keys)}


PER_STREAM = pa.schema([("sid", pa.int64()), ("k", pa.string()), ("total", pa.int64()), ("w", pa.int64())])


@SETTINGS
@given(data=st.lists(table_and_split(), min_size=2, max_size=3), parallelism=st.integers(1, 4),
       n_threads=st.sampled_from([1, 2]))
def test_multi_input_partitioned_sums_equal_pyarrow(data, parallelism, n_threads):
    streams = [stream(batches).select(hr.col("s").alias("k"), "v") for _, batches in data]
    q = hr.stateful_transform(streams, SumPerStreamAndKey(), PER_STREAM, partition_by="k", parallelism=parallelism)
    with threads(n_threads):
        out = q.collect()
    workers: dict = collections.defaultdict(set)
    for row in out.to_pylist():
        workers[row["k"]].add(row["w"])
    assert all(len(ws) == 1 for ws in workers.values())  # a key of every input reaches one instance
    got = sorted(((r["sid"], r["k"], r["total"]) for r in out.to_pylist()), key=repr)
    expected = []
    for sid, (table, _) in enumerate(data):
        for r in table.group_by("s").aggregate([("v", "sum")]).to_pylist():
            expected.append((sid, r["s"], r["v_sum"]))
    assert got == sorted(expected, key=repr)


# ---- union, sort, limit ------------------------------------------------------------------


@SETTINGS
@given(data=table_and_split(), n_threads=st.sampled_from([1, 2]), n=st.integers(0, 130),
       keys=st.permutations(["i", "s", "f"]), descending=st.lists(st.booleans(), min_size=4, max_size=4),
       bound=st.integers(-50, 50))
def test_union_sort_limit_equal_pyarrow(data, n_threads, n, keys, descending, bound):
    table, batches = data
    ds = stream(batches)
    by = [*keys, "r"]  # "r" makes the order total, up to identical rows
    q = ds.union(ds.filter(hr.col("i") < bound)).sort(by, descending=descending).limit(n)
    with threads(n_threads):
        out = q.collect()
    both = pa.concat_tables([table, table.filter(pc.less(table["i"], bound))])
    order = [(k, "descending" if d else "ascending") for k, d in zip(by, descending)]
    assert out.equals(both.sort_by(order).slice(0, n))
    assert out.schema == SCHEMA


@SETTINGS
@given(data=table_and_split(), others=st.integers(1, 2), n_threads=st.sampled_from([1, 2]))
def test_union_keeps_every_row_of_every_input(data, others, n_threads):
    table, batches = data
    ds = stream(batches)
    inputs = [ds.with_columns(v=hr.col("v") + k) for k in range(1, others + 1)]
    with threads(n_threads):
        out = ds.union(*inputs).collect()
    expected = pa.concat_tables([table] + [table.set_column(4, "v", pc.add(table["v"], k))
                                           for k in range(1, others + 1)])
    assert multiset(out) == multiset(expected)


# ---- independent of the batch split ------------------------------------------------------


@st.composite
def one_table_two_splits(draw):
    table = draw(tables())
    return table, draw(splits(table)), draw(splits(table))


@SETTINGS
@given(data=one_table_two_splits(), parallelism=st.integers(1, 4), n_threads=st.sampled_from([1, 2]))
def test_results_do_not_depend_on_the_batch_split(data, parallelism, n_threads):
    table, first, second = data

    def queries(ds: hr.DataStream) -> tuple[pa.Table, pa.Table, list]:
        ordered = ds.filter(hr.col("f").is_null() | (hr.col("f") > 0)).with_columns(g=hr.col("v") * 3).limit(25)
        ranked = ds.sort(["s", "r"], descending=[True, False])
        sums = ds.stateful_transform(SumPerKey(["s"]), sum_schema(["s"]), partition_by="s",
                                     parallelism=parallelism).drop("w")
        return ordered.collect(), ranked.collect(), multiset(sums.collect())

    with threads(n_threads):
        a = queries(stream(first))
        b = queries(stream(second))
        whole = queries(hr.from_arrow(table))
    assert a[0].equals(b[0]) and a[0].equals(whole[0])
    assert a[1].equals(b[1]) and a[1].equals(whole[1])
    assert a[2] == b[2] == whole[2]


# ---- random chains of operators ----------------------------------------------------------


class Passthrough(hr.Executor):
    def execute(self, batch, ctx):
        return batch


OPERATORS = st.one_of(
    st.tuples(st.just("filter"), st.integers(-50, 50)),
    st.tuples(st.just("with_columns"), st.integers(-5, 5)),
    st.tuples(st.just("union"), st.integers(-50, 50)),
    st.tuples(st.just("stateful"), st.integers(1, 4), st.sampled_from([None, ("i",), ("s",), ("i", "s")])),
    st.tuples(st.just("sort"), st.booleans()),
    st.tuples(st.just("limit"), st.integers(0, 80)),
    st.tuples(st.just("transform"), st.booleans()),
)
TOTAL_ORDER = ["s", "f", "r", "v"]  # after "i": every column, so ties are identical rows


def apply(op: tuple, ds: hr.DataStream, table: pa.Table) -> tuple[hr.DataStream, pa.Table, bool]:
    """``op`` on the stream and on the reference table; whether it keeps the row order."""
    kind = op[0]
    if kind == "filter":
        return ds.filter(hr.col("i") > op[1]), table.filter(pc.greater(table["i"], op[1])), True
    if kind == "with_columns":
        return ds.with_columns(v=hr.col("v") + op[1]), table.set_column(4, "v", pc.add(table["v"], op[1])), True
    if kind == "union":
        more = table.filter(pc.less(table["i"], op[1]))
        return ds.union(ds.filter(hr.col("i") < op[1])), pa.concat_tables([table, more]), False
    if kind == "stateful":
        _, parallelism, keys = op
        keys = list(keys) if keys else None
        out = ds.stateful_transform(Passthrough(), SCHEMA, partition_by=keys, parallelism=parallelism)
        return out, table, parallelism == 1 and keys is None
    if kind == "sort":
        order = [("i", "descending" if op[1] else "ascending")] + [(k, "ascending") for k in TOTAL_ORDER]
        return ds.sort(["i", *TOTAL_ORDER], descending=[op[1]] + [False] * 4), table.sort_by(order), True
    if kind == "limit":
        return ds.limit(op[1]), table.slice(0, op[1]), True
    if op[1]:
        return ds.transform(lambda b: b, new_schema=SCHEMA), table, True
    return ds.transform(lambda b: pa.Table.from_batches([b])), table, True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=table_and_split(), chain=st.lists(OPERATORS, max_size=5), n_threads=st.sampled_from([1, 2, 3]),
       batch_size=st.sampled_from([1, 3, 65_536]), queue_size=st.sampled_from([1, 2, 8]))
def test_random_operator_chains_equal_pyarrow(data, chain, n_threads, batch_size, queue_size):
    table, batches = data
    ds, ordered, comparable = stream(batches), True, True
    for op in chain:
        if op[0] == "limit" and not ordered:
            comparable = False  # which rows a limit keeps depends on an order that is not defined
        ds, table, keeps_order = apply(op, ds, table)
        ordered = op[0] == "sort" or (ordered and keeps_order)
    before = hr.config()
    hr.config(threads=n_threads, batch_size=batch_size, queue_size=queue_size)
    try:
        out = ds.collect()
    finally:
        hr.config(threads=before["threads"], batch_size=before["batch_size"], queue_size=before["queue_size"])
    assert out.schema == SCHEMA
    if not comparable:
        return
    if ordered:
        assert out.equals(table)
    else:
        assert multiset(out) == multiset(table)
