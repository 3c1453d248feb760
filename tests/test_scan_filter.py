"""A scan's own filter (conjunct by conjunct) keeps exactly the rows the whole predicate keeps; string
columns with small dictionaries are read encoded and decoded to the same values."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import col
from headrace._scan_filter import ConjunctFilter

SCHEMA = pa.schema({"i": pa.int32(), "m": pa.decimal128(12, 2), "s": pa.large_string(),
                    "d": pa.dictionary(pa.int32(), pa.large_string())})
TERMS = [col("m") < 5, col("i") > 0, col("s") == "a", col("d").isin(["x", None]), col("m").is_null(),
         col("i") % 3 == 0, hr.lit(None) == col("i")]
ROW = st.fixed_dictionaries({
    "i": st.one_of(st.none(), st.integers(-5, 5)),
    "m": st.one_of(st.none(), st.decimals(-10, 10, places=2, allow_nan=False, allow_infinity=False)),
    "s": st.one_of(st.none(), st.sampled_from(["a", "b"])),
    "d": st.one_of(st.none(), st.sampled_from(["x", "y"])),
})


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(ROW, max_size=40), picked=st.lists(st.integers(0, len(TERMS) - 1), min_size=1, max_size=4),
       narrow=st.floats(0.0, 1.0))
def test_same_rows_as_the_whole_predicate(rows: list[dict], picked: list[int], narrow: float) -> None:
    batch = pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
    predicate = TERMS[picked[0]]
    for i in picked[1:]:
        predicate = predicate & TERMS[i]
    f = ConjunctFilter(predicate, SCHEMA, ["d"])
    got = f.apply(batch) if narrow < 0.5 else _with_narrowing(f, batch, narrow)
    want = batch.filter(predicate.evaluate(batch))
    assert (got.to_pylist() if got is not None else []) == want.to_pylist()


def _with_narrowing(f: ConjunctFilter, batch: pa.RecordBatch, share: float) -> pa.RecordBatch | None:
    import headrace._scan_filter as module

    before = module.NARROW_BELOW
    module.NARROW_BELOW = share  # narrow more or less eagerly
    try:
        return f.apply(batch)
    finally:
        module.NARROW_BELOW = before


def test_costly_terms_come_last_and_see_fewer_rows() -> None:
    seen: list[int] = []

    class Counting(hr.Expr):
        def _build(self, ctx):  # noqa: ANN001, ANN202
            seen.append(ctx.data.num_rows)
            return ctx.call("less", ctx.column("m"), ctx.scalar(pa.scalar(Decimal("5"), pa.decimal128(12, 2))))

        def _children(self):  # noqa: ANN202
            return (col("m"),)

    batch = pa.record_batch({"i": pa.array(range(100), pa.int32()),
                             "m": pa.array([Decimal(k) for k in range(100)], pa.decimal128(12, 2))})
    f = ConjunctFilter(Counting() & (col("i") < 10), batch.schema, [])
    assert str(f.terms[0]) == 'col("i") < 10'
    assert f.apply(batch).column("i").to_pylist() == [0, 1, 2, 3, 4]
    assert seen == [10]  # the decimal term ran on the 10 rows the integer term kept


def test_small_dictionaries_are_read_encoded_and_decoded(tmp_path) -> None:
    import pyarrow.parquet as pq

    from headrace._scan import FileScan

    n = 20_000
    table = pa.table({
        "status": pa.array(["open", "closed", None, "held"] * (n // 4), pa.string()),
        "note": pa.array([f"note number {i}" for i in range(n)], pa.string()),   # mostly distinct
        "view": pa.array(["a", "b"] * (n // 2), pa.string_view()),
        "k": pa.array(range(n), pa.int64()),
    })
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=5_000)
    scan = FileScan("parquet", tmp_path / "t.parquet")
    assert scan.encoded_columns(["status", "note", "view", "k"], small=True) == ["status", "view"]
    assert scan.encoded_columns(["status", "note", "k"]) == ["status", "note"]
    stream = hr.read_parquet(tmp_path / "t.parquet")
    assert stream.schema.field("view").type == pa.large_string()   # views are read as large strings
    got = stream.collect()
    assert got.schema.types == [pa.string(), pa.string(), pa.large_string(), pa.int64()]
    assert got.column("status").to_pylist() == table.column("status").to_pylist()
    assert got.column("view").to_pylist() == table.column("view").to_pylist()
    filtered = stream.filter(col("k") % 7 == 0).select("status", "view").collect()
    assert filtered.column("status").to_pylist() == table.column("status").to_pylist()[::7]
