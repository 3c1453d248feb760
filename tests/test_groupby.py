"""groupby/agg, agg, distinct and count: plan-time checks, every aggregate on the edges, and
results equal to a plain-Python reference (and to pyarrow and Polars) whatever the batch
split and the thread count."""

from __future__ import annotations

import datetime
import decimal
import math

import pyarrow as pa
import pytest
from conftest import threads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr

pytestmark = pytest.mark.timeout(120)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows_by_key(table: pa.Table, keys: list[str]) -> dict:
    """{key tuple: row dict} of a group-by result (keys are unique in it)."""
    out = {}
    for row in table.to_pylist():
        k = tuple(_canonical(row[c]) for c in keys)
        assert k not in out, f"group {k} appears twice"
        out[k] = row
    return out


def _canonical(v):
    """NaN keys are one group, -0.0 is 0.0."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        return v + 0.0
    return v


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


# ---- the plain-Python reference --------------------------------------------------------


def reference(rows: list[dict], keys: list[str], specs: dict[str, tuple[str, str]]) -> dict:
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(_canonical(row[k]) for k in keys), []).append(row)
    if not keys and not groups:
        groups[()] = []
    return {k: {name: _aggregate(fn, [r[c] for r in members] if c != "*" else None, len(members))
                for name, (c, fn) in specs.items()} for k, members in groups.items()}


def _aggregate(fn: str, values, n_rows: int):
    if fn == "count":
        return n_rows if values is None else sum(v is not None for v in values)
    present = [v for v in values if v is not None]
    if fn == "count_distinct":
        return len({_canonical(v) for v in present})
    if fn == "first":
        return present[0] if present else None
    if fn == "last":
        return present[-1] if present else None
    if fn == "any":  # as in Polars: false (all: true) when there is no value
        return any(present)
    if fn == "all":
        return all(present)
    if not present:
        return None
    if fn == "sum":
        return math.fsum(present) if isinstance(present[0], float) else sum(present)
    if fn == "mean":
        return float(math.fsum(present) / len(present)) if isinstance(present[0], float) else \
            float(decimal.Decimal(sum(present)) / len(present))
    if fn in ("var", "std"):
        if len(present) < 2:
            return None
        mean = math.fsum(present) / len(present)
        var = math.fsum((v - mean) ** 2 for v in present) / (len(present) - 1)
        return var if fn == "var" else math.sqrt(var)
    if fn == "min":
        return min(present)
    if fn == "max":
        return max(present)
    raise AssertionError(fn)


def check_against_reference(result: pa.Table, rows: list[dict], keys: list[str], specs: dict) -> None:
    expected = reference(rows, keys, specs)
    got = rows_by_key(result, keys)
    assert set(got) == set(expected)
    for k, want in expected.items():
        for name, value in want.items():
            assert close(got[k][name], value), (k, name, got[k][name], value)


# ---- plan time ---------------------------------------------------------------------------


def test_output_schema_is_known_without_running():
    ds = hr.from_arrow(pa.table({"k": pa.array(["a"], pa.large_string()), "i": pa.array([1], pa.int32()),
                                 "u": pa.array([1], pa.uint8()), "d": pa.array([decimal.Decimal("1.50")]),
                                 "b": [True]}))
    q = ds.groupby("k").agg(s=("i", "sum"), su=("u", "sum"), sd=("d", "sum"), m=("i", "mean"), lo=("i", "min"),
                            n=("*", "count"), c=("b", "count"), a=("b", "any"), nd=("k", "count_distinct"))
    assert q.schema == pa.schema([("k", pa.large_string()), ("s", pa.int64()), ("su", pa.uint64()),
                                  ("sd", pa.decimal128(38, 2)), ("m", pa.float64()), ("lo", pa.int32()),
                                  ("n", pa.int64()), ("c", pa.int64()), ("a", pa.bool_()), ("nd", pa.int64())])


def test_dict_spellings_name_the_outputs():
    ds = hr.from_arrow({"k": [1], "v": [2.0], "w": [3]})
    assert ds.groupby("k").agg({"v": "sum"}).columns == ["k", "v"]
    assert ds.groupby("k").agg({"v": ["sum", "max"], "w": "min"}).columns == ["k", "v_sum", "v_max", "w"]
    assert ds.agg({"*": "count"}).columns == ["count"]


@pytest.mark.parametrize("make, message", [
    (lambda ds: ds.groupby("k").agg(x=("v", "median")), "unknown aggregate 'median'.*count, sum, mean"),
    (lambda ds: ds.groupby("k").agg(x=("s", "sum")), "'sum' cannot take column 's' of type string.*integers"),
    (lambda ds: ds.groupby("k").agg(x=("v", "any")), "'any' cannot take column 'v' of type double.*bool"),
    (lambda ds: ds.groupby("nope").agg(x=("v", "sum")), "groupby.agg: column 'nope' not found"),
    (lambda ds: ds.groupby("k").agg(x=("nope", "sum")), "column 'nope' not found; available columns: 'k'"),
    (lambda ds: ds.groupby("k").agg(x=("*", "sum")), r"'\*' \(all rows\) only works with 'count'"),
    (lambda ds: ds.groupby("k").agg(k=("v", "sum")), r"duplicate columns \['k'\]"),
    (lambda ds: ds.groupby("k").agg(x="v"), r"x= must be a \(column, function\) pair"),
    (lambda ds: ds.groupby("l").agg(x=("v", "sum")), "key column 'l' is list<item: int64>.*cannot be a group-by key"),
    (lambda ds: ds.agg(), "give at least one aggregate"),
])
def test_bad_aggregations_fail_at_plan_time(make, message):
    ds = hr.from_arrow(pa.table({"k": [1], "v": [2.0], "s": ["x"], "l": [[1]]}))
    with pytest.raises((TypeError, ValueError, KeyError), match=message):
        make(ds)


# ---- results -----------------------------------------------------------------------------

ALL_NUMERIC = ["count", "sum", "mean", "min", "max", "first", "last", "var", "std", "count_distinct"]


def test_every_aggregate_on_a_small_table():
    table = pa.table({"k": ["a", "b", "a", None, "a", "b"], "v": [1.5, None, 2.5, 4.0, -1.0, None],
                      "i": [1, 2, None, 4, 5, 6], "s": ["x", "y", None, "z", "w", "y"],
                      "b": [True, None, False, True, True, None]})
    specs = {f"v_{f}": ("v", f) for f in ALL_NUMERIC}
    specs |= {f"i_{f}": ("i", f) for f in ALL_NUMERIC}
    specs |= {f"s_{f}": ("s", f) for f in ("count", "min", "max", "first", "last", "count_distinct")}
    specs |= {"b_any": ("b", "any"), "b_all": ("b", "all"), "n": ("*", "count")}
    result = hr.from_arrow(table).groupby("k").agg(**specs).collect()
    check_against_reference(result, table.to_pylist(), ["k"], specs)
    got = rows_by_key(result, ["k"])
    assert got[("b",)]["v_sum"] is None and got[("b",)]["v_count"] == 0 and got[("b",)]["v_var"] is None
    assert got[("b",)]["b_any"] is False and got[("b",)]["b_all"] is True and got[("a",)]["b_all"] is False


def test_global_aggregate_of_an_empty_stream_is_one_row():
    empty = hr.from_arrow(pa.table({"v": pa.array([], pa.int64())}))
    assert empty.agg(n=("*", "count"), c=("v", "count"), s=("v", "sum"), m=("v", "max")).collect().to_pylist() == [
        {"n": 0, "c": 0, "s": None, "m": None}]
    assert empty.groupby("v").agg(n=("*", "count")).collect().num_rows == 0
    assert empty.count() == 0


def test_count_distinct_and_count():
    ds = hr.from_arrow({"k": [1, 1, 2, None, None], "s": ["a", "b", "a", None, "a"]})
    assert ds.count() == 5
    assert ds.filter(hr.col("k") > 1).count() == 1
    assert sorted(ds.distinct("k").collect()["k"].to_pylist(), key=repr) == [1, 2, None]
    assert ds.distinct().collect().num_rows == 5  # (1,a) (1,b) (2,a) (None,None) (None,a)
    assert ds.distinct(["s"]).collect().num_rows == 3


def test_float_keys_group_nan_together_and_negative_zero_with_zero():
    ds = hr.from_arrow({"k": [0.0, -0.0, float("nan"), float("nan"), None, 1.0]})
    got = rows_by_key(ds.groupby("k").agg(n=("*", "count")).collect(), ["k"])
    assert {k: r["n"] for k, r in got.items()} == {(0.0,): 2, ("NaN",): 2, (None,): 1, (1.0,): 1}


def test_integer_sum_overflow_is_an_error():
    ds = hr.from_arrow({"k": [1, 1], "v": [2**62, 2**62]})
    with pytest.raises(hr.PipelineError, match="overflow") as info:
        ds.groupby("k").agg(s=("v", "sum")).collect()
    assert info.value.__cause__ is not None


def test_decimal_sums_are_exact():
    values = [decimal.Decimal("0.10")] * 10 + [decimal.Decimal("12345678901234567.89")]
    ds = hr.from_arrow(pa.table({"k": [1] * 11, "d": pa.array(values, pa.decimal128(20, 2))}))
    [row] = ds.groupby("k").agg(s=("d", "sum"), lo=("d", "min")).collect().to_pylist()
    assert row == {"k": 1, "s": decimal.Decimal("12345678901234568.89"), "lo": decimal.Decimal("0.10")}


def test_several_key_columns_of_several_types():
    table = pa.table({
        "d": pa.array([datetime.date(2024, 1, 1), datetime.date(2024, 1, 1), None, datetime.date(2024, 1, 2)]),
        "t": pa.array([1, 1, 2, 1], pa.timestamp("us", tz="UTC")),
        "b": [True, True, None, False],
        "dec": pa.array([decimal.Decimal("1.5")] * 4),
        "u": pa.array([1, 1, 1, 1], pa.uint16()),
        "v": [1, 2, 3, 4],
    })
    keys = ["d", "t", "b", "dec", "u"]
    result = hr.from_arrow(table).groupby(keys).agg(s=("v", "sum")).collect()
    assert result.schema.names == keys + ["s"]
    assert result.schema.field("t").type == pa.timestamp("us", tz="UTC")
    check_against_reference(result, table.to_pylist(), keys, {"s": ("v", "sum")})


def test_dictionary_and_sliced_and_view_keys():
    base = pa.table({"k": pa.array(["a", "b", "a", "c", "b", "a"]).dictionary_encode(),
                     "s": pa.array(["x", "y", "x", "z", "y", "x"], pa.string_view()),
                     "v": [1, 2, 3, 4, 5, 6]})
    sliced = base.slice(1, 4)
    for keys in (["k"], ["s"]):
        result = hr.from_arrow(sliced).groupby(keys).agg(total=("v", "sum")).collect()
        assert result.schema.field(keys[0]).type in (pa.string(), pa.large_string())
        check_against_reference(result, sliced.to_pylist(), keys, {"total": ("v", "sum")})


def test_all_null_columns():
    table = pa.table({"k": pa.array([None] * 5, pa.int64()), "v": pa.array([None] * 5, pa.float64())})
    [row] = hr.from_arrow(table).groupby("k").agg(n=("*", "count"), c=("v", "count"), s=("v", "sum"),
                                                  m=("v", "mean"), f=("v", "first")).collect().to_pylist()
    assert row == {"k": None, "n": 5, "c": 0, "s": None, "m": None, "f": None}


def test_first_and_last_follow_stream_order_across_workers():
    n = 20_000
    batches = [pa.record_batch({"k": [i % 3 for i in range(a, a + 1000)], "v": list(range(a, a + 1000))})
               for a in range(0, n, 1000)]
    for workers in (1, 2, 4):
        with threads(workers):
            got = rows_by_key(hr.from_batches(batches).groupby("k").agg(f=("v", "first"), la=("v", "last"))
                              .collect(), ["k"])
        assert {k[0]: (r["f"], r["la"]) for k, r in got.items()} == {0: (0, 19998), 1: (1, 19999), 2: (2, 19997)}


def test_maintain_order_keeps_first_appearance():
    ds = hr.from_batches([{"k": ["c", "a"]}, {"k": ["b", "a", "d", "c"]}, {"k": ["e"]}])
    for workers in (1, 3):
        with threads(workers):
            out = ds.groupby("k", maintain_order=True).agg(n=("*", "count")).collect()
        assert out.to_pydict() == {"k": ["c", "a", "b", "d", "e"], "n": [2, 2, 1, 1, 1]}


def test_a_million_distinct_string_keys():
    n = 1_000_000
    keys = pa.array([f"key-{i}" for i in range(n)])
    table = pa.table({"k": keys, "v": pa.array(range(n), pa.int64())})
    with threads(2):
        out = hr.from_arrow(table).groupby("k").agg(s=("v", "sum"), c=("*", "count")).collect()
    assert out.num_rows == n
    assert pa.compute.sum(out["s"]).as_py() == n * (n - 1) // 2
    assert pa.compute.max(out["c"]).as_py() == 1


def test_groupby_feeds_further_operators_and_reads_only_needed_columns(tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"k": [1, 2, 1], "v": [1.0, 2.0, 3.0], "unused": ["a", "b", "c"]}), tmp_path / "t.parquet")
    q = (hr.read_parquet(tmp_path / "t.parquet").groupby("k").agg(s=("v", "sum"))
         .filter(hr.col("s") > 2.5).sort("k"))
    assert "columns=[k, v]" in q.explain(as_text=True)
    assert q.collect().to_pydict() == {"k": [1], "s": [4.0]}


def test_a_failing_input_ends_the_aggregation_with_pipeline_error():
    def boom(batch):
        raise RuntimeError("bad batch")

    ds = hr.from_arrow({"k": [1, 2]}).transform(boom, new_schema={"k": pa.int64()})
    with pytest.raises(hr.PipelineError) as info:
        ds.groupby("k").agg(n=("*", "count")).collect()
    assert isinstance(info.value.__cause__, RuntimeError)


# ---- properties ----------------------------------------------------------------------------

KEY_KINDS = {
    "int8": (pa.int8(), st.integers(-3, 3)),
    "uint64": (pa.uint64(), st.sampled_from([0, 1, 2**64 - 1])),
    "float": (pa.float64(), st.sampled_from([0.0, -0.0, 1.5, float("nan")])),
    "float32": (pa.float32(), st.sampled_from([0.0, -0.0, 1.5, float("nan")])),
    "bool": (pa.bool_(), st.booleans()),
    "str": (pa.string(), st.text(alphabet="ab日", max_size=3)),
    "large_str": (pa.large_string(), st.sampled_from(["", "x" * 40, "é"])),
    "date": (pa.date32(), st.dates(datetime.date(1969, 12, 30), datetime.date(1970, 1, 2))),
    "ts": (pa.timestamp("ns"), st.integers(-2, 2)),
    "decimal": (pa.decimal128(12, 3), st.sampled_from([decimal.Decimal("1.000"), decimal.Decimal("-2.500")])),
}


@st.composite
def grouped_tables(draw):
    n = draw(st.integers(0, 80))
    kinds = draw(st.lists(st.sampled_from(sorted(KEY_KINDS)), min_size=1, max_size=3, unique=True))
    columns, fields = {}, []
    for i, kind in enumerate(kinds):
        dtype, values = KEY_KINDS[kind]
        columns[f"k{i}"] = draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))
        fields.append(pa.field(f"k{i}", dtype))
    columns["i"] = draw(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=n, max_size=n))
    columns["f"] = draw(st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)), min_size=n,
                                 max_size=n))
    columns["s"] = draw(st.lists(st.one_of(st.none(), st.text(alphabet="xyé", max_size=3)), min_size=n,
                                 max_size=n))
    columns["d"] = draw(st.lists(st.one_of(st.none(), st.decimals(-10**6, 10**6, places=2)), min_size=n,
                                 max_size=n))
    fields += [pa.field("i", pa.int32()), pa.field("f", pa.float64()), pa.field("s", pa.string()),
               pa.field("d", pa.decimal128(9, 2))]
    table = pa.table(columns, schema=pa.schema(fields))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    bounds = [0, *cuts, n]
    batches = [table.slice(a, b - a) for a, b in zip(bounds, bounds[1:])]
    return table, batches, [f"k{i}" for i in range(len(kinds))]


PROPERTY_SPECS = {
    "n": ("*", "count"), "i_count": ("i", "count"), "i_sum": ("i", "sum"), "i_min": ("i", "min"),
    "i_max": ("i", "max"), "i_mean": ("i", "mean"), "i_first": ("i", "first"), "i_last": ("i", "last"),
    "f_sum": ("f", "sum"), "f_var": ("f", "var"), "f_std": ("f", "std"), "f_max": ("f", "max"),
    "s_min": ("s", "min"), "s_max": ("s", "max"), "s_distinct": ("s", "count_distinct"),
    "d_sum": ("d", "sum"), "d_mean": ("d", "mean"), "d_count": ("d", "count"),  # one fused summary
}


@SETTINGS
@given(data=grouped_tables(), workers=st.integers(1, 4))
def test_groupby_equals_the_reference_for_any_split_and_threads(data, workers):
    table, batches, keys = data
    with threads(workers):
        result = hr.from_batches([b for b in batches], schema=table.schema).groupby(keys).agg(
            **PROPERTY_SPECS).collect()
    check_against_reference(result, table.to_pylist(), keys, PROPERTY_SPECS)


@SETTINGS
@given(data=grouped_tables(), workers=st.integers(1, 3))
def test_global_agg_and_distinct_equal_the_reference(data, workers):
    table, batches, keys = data
    with threads(workers):
        ds = hr.from_batches([b for b in batches], schema=table.schema)
        result = ds.agg(**PROPERTY_SPECS).collect()
        distinct = ds.distinct(keys).collect()
    check_against_reference(result, table.to_pylist(), [], PROPERTY_SPECS)
    assert set(rows_by_key(distinct, keys)) == set(reference(table.to_pylist(), keys, {}))


def test_agrees_with_pyarrow_and_polars_on_integer_and_string_keys():
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)
    n = 50_000
    table = pa.table({"k": rng.integers(0, 500, n), "s": pa.array(rng.integers(0, 50, n).astype(str)),
                      "v": rng.random(n)})
    with threads(2):
        ours = hr.from_arrow(table).groupby(["k", "s"]).agg(total=("v", "sum"), n=("*", "count"),
                                                            hi=("v", "max")).collect()
    theirs = table.group_by(["k", "s"]).aggregate([("v", "sum"), ("v", "count"), ("v", "max")])
    polars = pl.from_arrow(table).group_by(["k", "s"]).agg(pl.col("v").sum().alias("total"), pl.len(),
                                                          pl.col("v").max().alias("hi"))
    ours_rows = {(r["k"], r["s"]): (r["total"], r["n"], r["hi"]) for r in ours.to_pylist()}
    for r in theirs.to_pylist():
        total, count, hi = ours_rows[(r["k"], r["s"])]
        assert math.isclose(total, r["v_sum"], rel_tol=1e-9) and count == r["v_count"] and hi == r["v_max"]
    assert len(ours_rows) == theirs.num_rows == polars.height


def test_finalizers_claim_partitions_so_one_held_back_leaves_its_share_to_the_other():
    """An aggregation's finalizing workers claim the next partition left: one can emit them
    all while the other has not started, and the other then finds none (no group twice)."""
    from headrace._aggregate import finalize_calls
    from headrace._claims import PartitionClaims
    from headrace._ops import Meter

    class Result:
        partitions = 8

        def finalize_partition(self, p: int) -> pa.RecordBatch:
            return pa.record_batch({"k": pa.array([p], pa.int64())})

    schema = pa.schema([("k", pa.int64())])
    claims = PartitionClaims(Result.partitions)
    first, second = (finalize_calls("agg.finalize", Result(), claims, schema, 4, w, 2, Meter()) for w in (0, 1))
    got = [v for b in first[4](first[2]) for v in b.column("k").to_pylist()]
    assert sorted(got) == list(range(8))
    assert list(second[4](second[2])) == []
