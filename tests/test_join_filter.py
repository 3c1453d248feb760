"""The join key filter: a probe row is dropped only when its key is not among the build keys,
and only for the join kinds that never output an unmatched probe row."""

from __future__ import annotations

import decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import configured
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace._join import Prepared
from headrace._join_filter import MAX_RANGE, KeyFilter, KeyTerm

INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), build_type=st.sampled_from(INT_TYPES), probe_type=st.sampled_from(INT_TYPES))
def test_mask_is_membership(data: st.DataObject, build_type: pa.DataType, probe_type: pa.DataType) -> None:
    def keys(kind: pa.DataType) -> list[int | None]:
        info = (0, 255) if kind == pa.uint8() else (-128, 127)  # values every type of the pair holds
        return data.draw(st.lists(st.one_of(st.none(), st.integers(*info)), max_size=30))

    batches = [keys(build_type) for _ in range(data.draw(st.integers(0, 3)))]
    probe = keys(probe_type)
    try:
        built = [pa.array(b, build_type) for b in batches]
        probed = pa.array(probe, probe_type)
    except (OverflowError, pa.ArrowInvalid):
        return  # a value the other type cannot hold
    f = KeyFilter()
    for b in built:
        f.add(b)
    assert f.finish()
    members = {v for b in batches for v in b if v is not None}
    offset = data.draw(st.integers(0, len(probe)))
    sliced = probed.slice(offset)
    assert f.mask(sliced).to_pylist() == [v is not None and v in members for v in probe[offset:]]


def test_keys_spanning_too_much_turn_the_filter_off() -> None:
    f = KeyFilter()
    f.add(pa.array([0, MAX_RANGE + 1]))
    assert not f.finish()
    left = hr.from_arrow({"k": [0, 5, MAX_RANGE + 1], "x": [1, 2, 3]})
    right = hr.from_arrow({"k": [0, MAX_RANGE + 1, 7]})
    got = left.join(right, on="k", build="right").sort("x").collect()
    assert got.column("x").to_pylist() == [1, 3]


@pytest.mark.parametrize("how, build, filters", [
    ("inner", "right", True), ("inner", "left", True), ("semi", "right", True), ("semi", "left", True),
    ("anti", "left", True), ("left", "left", True), ("anti", "right", False), ("left", "right", False),
    ("outer", "right", False), ("right", "right", True), ("right", "left", False),
])
def test_only_kinds_that_drop_unmatched_probe_rows_filter(how: str, build: str, filters: bool) -> None:
    left = hr.from_arrow({"k": [1, 2, 3, None], "x": ["a", "b", "c", "d"]})
    right = hr.from_arrow({"k": [2, 3, 4, None], "y": [20, 30, 40, 50]})
    joined = left.join(right, on="k", how=how, build=build)
    assert Prepared(joined._node, set(joined.columns)).key_filter is filters
    # Whatever the plan, the answer is the one without a filter (built from the other side).
    other = left.join(right, on="k", how=how, build="left" if build == "right" else "right")
    key = ["k", "x"] if how in ("semi", "anti") else ["k", "x", "y"]
    assert joined.sort(key).collect().to_pylist() == other.sort(key).collect().to_pylist()


def test_no_filter_for_several_keys_nulls_equal_or_non_integer_keys() -> None:
    left = hr.from_arrow({"a": [1], "b": [1], "s": ["x"], "f": [1.0]})
    right = hr.from_arrow({"a": [1], "b": [1], "s": ["x"], "f": [1.0]})
    for joined in (left.join(right, on=["a", "b"]), left.join(right, on="a", nulls_equal=True),
                   left.join(right, on="s"), left.join(right, on="f")):
        assert not Prepared(joined._node, set(joined.columns)).key_filter


@pytest.mark.parametrize("trial_rows", [1, 10**12])
def test_a_filter_that_keeps_most_rows_is_dropped_midway_with_the_same_answer(
        monkeypatch: pytest.MonkeyPatch, trial_rows: int) -> None:
    """Once a worker's filter has kept most of the rows it checked, the worker stops using it
    (the probe drops unmatched rows as cheaply); the answer is the same either way."""
    monkeypatch.setattr("headrace._join_filter.FILTER_TRIAL_ROWS", trial_rows)
    build = pa.table({"k": list(range(0, 1000, 2)), "v": list(range(500))})
    # First batches: no key matches (the filter keeps nothing); later ones: every key does.
    probe = pa.table({"k": list(range(1001, 3001, 2)) + list(range(0, 1000, 2)) * 3, "x": list(range(2500))})
    expected = probe.join(build, "k", join_type="inner").sort_by([("x", "ascending")])
    batches = hr.from_batches(probe.to_batches(max_chunksize=100))
    with configured(batch_size=64):
        got = batches.join(hr.from_arrow(build), on="k").sort("x").collect()
    assert got.num_rows == 1500
    assert got.select(["k", "x", "v"]).to_pylist() == expected.select(["k", "x", "v"]).to_pylist()


def _probe_file(tmp_path: Path, rows: int = 5000, group_rows: int = 700) -> str:
    """A Parquet probe side: a key, a decimal and a string column, several row groups."""
    path = str(tmp_path / "probe.parquet")
    keys = [(i * 7) % 3000 if i % 11 else None for i in range(rows)]
    prices = pa.array([decimal.Decimal(i) / 100 for i in range(rows)], pa.decimal128(15, 2))
    table = pa.table({"k": pa.array(keys, pa.int64()), "price": prices, "s": [f"row {i}" for i in range(rows)]})
    pq.write_table(table, path, row_group_size=group_rows)
    return path


@pytest.mark.parametrize("reader", ["native", "pyarrow"])
@pytest.mark.parametrize("build_keys", [[5, 14, 2999, 1000], [], list(range(0, 1 << 26, 1 << 20))])
def test_a_probe_scan_applies_the_key_filter_before_reading_its_other_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str, build_keys: list[int]) -> None:
    """A Parquet scan that only a join's probe side reads gets the join's key filter: it reads
    the key first and the other columns only for rows whose key is a build key (also with a
    filter of its own, an empty build side, and keys too far apart for a bitmap, when the
    filter is off). The answer is the one pyarrow gives."""
    seen: list[tuple[int, int]] = []  # (rows checked, rows kept) per batch the filter ran on
    asked: list[bool] = []

    class ScanTerm(KeyTerm):  # the planner makes the scan's terms; the probe makes its own
        @property
        def active(self) -> bool:
            asked.append(super().active)
            return asked[-1]

        def record(self, checked: int, kept: int) -> None:
            seen.append((checked, kept))
            super().record(checked, kept)

    monkeypatch.setattr("headrace._physical.KeyTerm", ScanTerm)
    path = _probe_file(tmp_path)
    build = pa.table({"k": pa.array(build_keys, pa.int64()), "v": pa.array(range(len(build_keys)), pa.int64())})
    with configured(parquet_reader=reader, threads=2):
        query = hr.read_parquet(path).filter(hr.col("price") > 3).join(hr.from_arrow(build), on="k")
        assert "join key filter on k" in query.explain(as_text=True)
        got = query.sort(["k", "price"]).collect()
    probe = pq.read_table(path)
    probe = probe.filter(pc.greater(probe["price"], pa.scalar(decimal.Decimal(3), pa.decimal128(15, 2))))
    expected = probe.join(build, "k", join_type="inner").sort_by([("k", "ascending"), ("price", "ascending")])
    assert got.to_pylist() == expected.select(got.column_names).to_pylist()
    assert asked, "the scan did not consult the key filter"
    if build_keys and build_keys[-1] < MAX_RANGE:
        assert sum(out for _, out in seen) < sum(rows for rows, _ in seen)  # it dropped rows in the scan
    elif build_keys:
        assert not any(asked) and not seen  # keys too far apart: no bitmap


def test_a_scan_read_elsewhere_too_gets_no_key_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan another operator also reads keeps every row: the filter stays in the probe."""
    made: list[int] = []  # key terms the planner gave a scan (the probe's own are not counted)
    monkeypatch.setattr("headrace._physical.KeyTerm", lambda *args: made.append(1) or KeyTerm(*args))
    path = _probe_file(tmp_path)
    scan = hr.read_parquet(path)
    build = hr.from_arrow(pa.table({"k": pa.array([5, 14], pa.int64())}))
    matched = pq.read_table(path).join(build.collect(), "k", join_type="inner").num_rows
    both = scan.join(build, on="k").select("k").union(scan.select("k"))
    assert both.agg(n=("*", "count")).collect()["n"][0].as_py() == 5000 + matched
    assert not made


@pytest.mark.parametrize("projection", ["select", "rename", "added", "computed"])
def test_a_probe_scan_below_a_projection_gets_the_key_filter_when_the_key_passes_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, projection: str) -> None:
    """A projection between the scan and the join keeps each row's key when the join's key
    column is a column of the scan (selected, renamed, or beside computed columns): the scan
    applies the key filter, under the scan's name for the key. A key the projection
    computes gets none. The answer is pyarrow's either way."""
    made: list[str] = []  # the scan columns the planner gave key filters
    monkeypatch.setattr("headrace._physical.KeyTerm", lambda column, keys: made.append(column) or KeyTerm(column, keys))
    path = _probe_file(tmp_path)
    scan = hr.read_parquet(path)
    probe, key = {
        "select": (scan.select("k", "price"), "k"),
        "rename": (scan.select(hr.col("k").alias("key"), "price"), "key"),
        "added": (scan.with_columns(double=hr.col("price") * 2), "k"),
        "computed": (scan.with_columns(k=hr.col("k") + 1), "k"),
    }[projection]
    build = pa.table({"b": pa.array([6, 15, 2999, 1001], pa.int64()), "v": pa.array(range(4), pa.int64())})
    with configured(threads=2):
        got = probe.join(hr.from_arrow(build), left_on=key, right_on="b").collect()
    table = pq.read_table(path)
    keys = pc.add(table["k"], 1) if projection == "computed" else table["k"]
    expected = pa.table({"key": keys, "price": table["price"]}).join(build, "key", "b", join_type="inner")
    assert sorted(zip(got[key].to_pylist(), got["price"].to_pylist())) == sorted(
        zip(expected["key"].to_pylist(), expected["price"].to_pylist()))
    assert made == ([] if projection == "computed" else ["k"])
