"""A scan's conjunct-by-conjunct filter keeps exactly the rows the whole predicate keeps."""

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
