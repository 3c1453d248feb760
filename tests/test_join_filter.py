"""The join key filter: a probe row is dropped only when its key is not among the build keys,
and only for the join kinds that never output an unmatched probe row."""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import configured
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace._join import Prepared
from headrace._join_filter import MAX_RANGE, KeyFilter

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
    monkeypatch.setattr("headrace._join.FILTER_TRIAL_ROWS", trial_rows)
    build = pa.table({"k": list(range(0, 1000, 2)), "v": list(range(500))})
    # First batches: no key matches (the filter keeps nothing); later ones: every key does.
    probe = pa.table({"k": list(range(1001, 3001, 2)) + list(range(0, 1000, 2)) * 3, "x": list(range(2500))})
    expected = probe.join(build, "k", join_type="inner").sort_by([("x", "ascending")])
    batches = hr.from_batches(probe.to_batches(max_chunksize=100))
    with configured(batch_size=64):
        got = batches.join(hr.from_arrow(build), on="k").sort("x").collect()
    assert got.num_rows == 1500
    assert got.select(["k", "x", "v"]).to_pylist() == expected.select(["k", "x", "v"]).to_pylist()
