"""Arrow data crossing into the native core and back without copies (C Data Interface)."""

import datetime
import decimal
import gc
import re

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace import _core

ARRAYS = [
    pa.array([1, None, -3], pa.int8()),
    pa.array([1, None, 3], pa.uint8()),
    pa.array([1, None, -3], pa.int16()),
    pa.array([1, None, 3], pa.uint16()),
    pa.array([1, None, -3], pa.int32()),
    pa.array([1, None, 3], pa.uint32()),
    pa.array([1, None, -3], pa.int64()),
    pa.array([1, None, 2**63], pa.uint64()),
    pa.array([1.5, None, 2.5], pa.float32()),
    pa.array([1.5, None, -0.0], pa.float64()),
    pa.array([True, None, False], pa.bool_()),
    pa.array(["a", None, "héllo ✓" * 1000], pa.string()),
    pa.array(["a", None, ""], pa.large_string()),
    pa.array([datetime.date(2024, 2, 29), None], pa.date32()),
    pa.array([1, None], pa.timestamp("s")),
    pa.array([1, None], pa.timestamp("ms", tz="UTC")),
    pa.array([1, None], pa.timestamp("us", tz="Europe/Paris")),
    pa.array([1, None], pa.timestamp("ns")),
    pa.array([decimal.Decimal("12.345"), None], pa.decimal128(10, 3)),
    pa.array(["x", "y", None, "x"]).dictionary_encode(),
]
if hasattr(pa, "string_view"):  # pyarrow >= 16; Polars exports strings this way
    ARRAYS.append(pa.array(["short", None, "a string longer than twelve bytes"], pa.string_view()))


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.type))
def test_round_trip_every_supported_type_without_copies(array):
    held = _core.ArrowArray.from_object(array)
    assert len(held) == len(array)
    back = pa.array(held)
    assert back.type == array.type
    assert back.equals(array)
    for ours, theirs in zip(back.buffers(), array.buffers()):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.address == theirs.address  # the same memory, not a copy


def test_type_names():
    assert _core.ArrowArray.from_object(pa.array([1], pa.timestamp("us", tz="UTC"))).type == "timestamp[us, tz=UTC]"
    assert _core.ArrowArray.from_object(pa.array([1], pa.decimal128(5, 2))).type == "decimal128(5, 2)"
    enc = _core.ArrowArray.from_object(pa.array(["a"]).dictionary_encode())
    assert enc.type == "dictionary<values=utf8, indices=int32>"


def test_sliced_arrays_keep_their_offset():
    array = pa.array(list(range(100)), pa.int64()).slice(17, 40)
    strings = pa.array([str(i) if i % 3 else None for i in range(50)]).slice(5, 20)
    for a in (array, strings):
        back = pa.array(_core.ArrowArray.from_object(a))
        assert back.equals(a) and back.offset == a.offset


def test_record_batch_round_trip():
    batch = pa.record_batch({"id": [1, 2, None], "name": ["a", None, "c"], "f": [0.5, 1.5, None]})
    held = _core.ArrowArray.from_object(batch)
    assert held.type == "struct<id: int64, name: utf8, f: float64>"
    assert pa.record_batch(held).equals(batch)


def test_streams_from_pyarrow_and_polars():
    table = pa.table({"x": list(range(10)), "s": [str(i) for i in range(10)]})
    table = pa.concat_tables([table.slice(0, 4), table.slice(4, 6)])
    batches = _core.read_arrow_stream(table)
    assert [len(b) for b in batches] == [4, 6]
    assert pa.Table.from_batches([pa.record_batch(b) for b in batches]).equals(table)

    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"x": [1, 2, 3], "s": ["a", "a string longer than twelve bytes", None]})
    batches = _core.read_arrow_stream(frame)
    back = pa.Table.from_batches([pa.record_batch(b) for b in batches])
    assert back.column("s").to_pylist() == ["a", "a string longer than twelve bytes", None]
    assert back.column("x").to_pylist() == [1, 2, 3]


def test_unsupported_type_names_the_column_and_what_is_supported():
    batch = pa.record_batch({"ok": [1], "tags": pa.array([[1, 2]], pa.list_(pa.int64()))})
    expected = r"column 'tags' has an unsupported Arrow type: list \(format '\+l'\).*supported: int8"
    with pytest.raises(TypeError, match=expected):
        _core.ArrowArray.from_object(batch)


@pytest.mark.parametrize(("array", "name", "fmt"), [
    (pa.array([b"x"]), "binary", "z"),
    (pa.array([b"x"], pa.large_binary()), "large_binary", "Z"),
    (pa.array([[1]], pa.large_list(pa.int64())), "large_list", "+L"),
    (pa.array([1], pa.date64()), "date64", "tdm"),
    (pa.array([1], pa.time32("ms")), "time32[ms]", "ttm"),
    (pa.array([1], pa.time64("us")), "time64[us]", "ttu"),
    (pa.array(np.array([1.5], np.float16)), "float16", "e"),
    (pa.array([None]), "null", "n"),
    (pa.array([1], pa.decimal256(40, 2)), "decimal256(40, 2)", "d:40,2,256"),
    (pa.array([[(1, 2)]], pa.map_(pa.int64(), pa.int64())), "map", "+m"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_unsupported_types_are_named_in_words(array, name, fmt):
    in_column = f"column 'c' has an unsupported Arrow type: {re.escape(name)} \\(format '{re.escape(fmt)}'\\)"
    with pytest.raises(TypeError, match=in_column):
        _core.ArrowArray.from_object(pa.record_batch({"c": array}))
    alone = f"^an array of type {re.escape(name)} \\(format '{re.escape(fmt)}'\\) is not supported; supported: int8"
    with pytest.raises(TypeError, match=alone):
        _core.ArrowArray.from_object(array)


def test_objects_without_the_protocol_are_rejected():
    with pytest.raises(TypeError, match="__arrow_c_array__.*got list"):
        _core.ArrowArray.from_object([1, 2])
    with pytest.raises(TypeError, match="__arrow_c_stream__.*got int"):
        _core.read_arrow_stream(3)


def test_memory_is_released_exactly_once():
    gc.collect()
    before = pa.total_allocated_bytes()
    array = pa.array(range(1_000_000), pa.int64())
    held = _core.ArrowArray.from_object(array)
    again = pa.array(held)
    del array
    assert pa.total_allocated_bytes() >= before + 8_000_000  # still owned through headrace
    del held
    assert again.sum().as_py() == sum(range(1_000_000))
    del again
    gc.collect()
    assert pa.total_allocated_bytes() == before


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=200),
       start=st.integers(0, 50), length=st.integers(0, 200))
def test_random_int64_arrays_with_nulls_and_slices(values, start, length):
    array = pa.array(values, pa.int64()).slice(min(start, len(values)), length)
    assert pa.array(_core.ArrowArray.from_object(array)).equals(array)
