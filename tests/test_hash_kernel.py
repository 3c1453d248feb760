"""The native hashing and hash-partitioning kernels (cpp/kernels) through headrace._core.

Rows with equal keys (as Python values: null equals null, NaN equals NaN, -0.0 equals 0.0)
must get equal hashes and land in the same partition, whatever the encoding (dictionary or
plain, sliced or not); every row must land in exactly one partition. The hash loops chosen
for this CPU (AVX2, AVX-512) give the portable loops' hashes (HEADRACE_CPU=portable).
"""

import datetime
import decimal
import json
import math
import os
import subprocess
import sys

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace import _core

# Key column kinds: (pyarrow type, strategy for one value). Small value sets, so that equal
# keys are frequent.
KINDS = {
    "int64": (pa.int64(), st.integers(-3, 3) | st.sampled_from([-(2**63), 2**63 - 1])),
    "int8": (pa.int8(), st.integers(-128, 127)),
    "uint32": (pa.uint32(), st.integers(0, 3)),
    "float64": (pa.float64(), st.sampled_from([0.0, -0.0, math.nan, -math.nan, 1.5, -1.5, math.inf])),
    "float32": (pa.float32(), st.sampled_from([0.0, -0.0, math.nan, 2.5])),
    "bool": (pa.bool_(), st.booleans()),
    "utf8": (pa.string(), st.sampled_from(["", "a", "b", "héllo", "a string longer than sixteen bytes", "a\0"])),
    "large_utf8": (pa.large_string(), st.text(alphabet="ab", max_size=20)),
    "dictionary": (pa.dictionary(pa.int16(), pa.string()), st.sampled_from(["x", "y", "", "zzzzzzzzzzzzzzzzzzz"])),
    "date32": (pa.date32(), st.dates(datetime.date(1969, 12, 30), datetime.date(1970, 1, 3))),
    "timestamp": (pa.timestamp("us", tz="UTC"), st.integers(-2, 2)),
    "decimal128": (pa.decimal128(10, 2), st.sampled_from(["0", "-0", "1.5", "-1.50", "12345678.99"])),
}


def column(kind, values):
    type_, _ = KINDS[kind]
    if kind == "decimal128":
        values = [None if v is None else decimal.Decimal(v) for v in values]
    if kind == "dictionary":
        return pa.array(values, pa.string()).dictionary_encode()
    return pa.array(values, type_)


def normalized(value):
    """A Python key under which equal keys compare equal (NaN == NaN; -0.0 == 0.0 already)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


@st.composite
def tables(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=3))
    rows = draw(st.integers(0, 60))
    all_equal = draw(st.booleans())
    columns = {}
    for i, kind in enumerate(kinds):
        values = st.none() | KINDS[kind][1]
        if all_equal:
            values = st.just(draw(values))
        columns[f"k{i}_{kind}"] = column(kind, draw(st.lists(values, min_size=rows, max_size=rows)))
    batch = pa.record_batch(columns)
    start = draw(st.integers(0, rows))
    return batch, batch.slice(start, draw(st.integers(0, rows - start)))


def hashes(batch, keys):
    return pa.array(_core.hash_columns(batch, keys)).to_pylist()


def partition_of_rows(batch, keys, partitions):
    parts = [pa.array(p).to_pylist() for p in _core.hash_partition(batch, keys, partitions)]
    assert len(parts) == partitions
    where = {}
    for p, rows in enumerate(parts):
        assert rows == sorted(rows)
        for row in rows:
            assert row not in where, "a row appears twice"
            where[row] = p
    assert sorted(where) == list(range(batch.num_rows)), "every row appears exactly once"
    return where


@settings(max_examples=150, deadline=None)
@given(tables(), st.integers(1, 5))
def test_equal_keys_hash_equal_and_share_a_partition(data, partitions):
    full, batch = data
    keys = batch.schema.names
    got = hashes(batch, keys)
    assert len(got) == batch.num_rows
    where = partition_of_rows(batch, keys, partitions)
    seen = {}
    for row, key in enumerate(zip(*(batch.column(k).to_pylist() for k in keys))):
        key = tuple(normalized(v) for v in key)
        if key in seen:
            first = seen[key]
            assert got[row] == got[first], f"rows {first} and {row} share the key {key}"
            assert where[row] == where[first]
        else:
            seen[key] = row
    # A slice hashes like the same rows of the whole batch (offsets respected).
    start = batch.column(0).offset - full.column(0).offset
    assert got == hashes(full, keys)[start : start + batch.num_rows]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.none() | KINDS["utf8"][1], max_size=50), st.sampled_from([pa.int8(), pa.int32(), pa.uint64()]))
def test_dictionary_encoded_hashes_like_plain(values, index_type):
    plain = pa.array(values, pa.string())
    encoded = plain.dictionary_encode().cast(pa.dictionary(index_type, pa.string()))
    batch = pa.record_batch({"plain": plain, "encoded": encoded, "large": plain.cast(pa.large_string())})
    assert hashes(batch, ["plain"]) == hashes(batch, ["encoded"]) == hashes(batch, ["large"])
    if hasattr(pa, "string_view"):
        view = pa.record_batch({"s": plain.cast(pa.string_view())})
        assert hashes(view, ["s"]) == hashes(batch, ["plain"])


def test_nan_zero_and_null_groups():
    batch = pa.record_batch({"f": pa.array([0.0, -0.0, math.nan, -math.nan, None, None, 1.0])})
    h = hashes(batch, ["f"])
    assert h[0] == h[1] and h[2] == h[3] and h[4] == h[5]
    assert len({h[0], h[2], h[4], h[6]}) == 4
    # Nulls form their own group, distinct per column position.
    pair = pa.record_batch({"a": pa.array([None, 1]), "b": pa.array([1, None])})
    assert len(set(hashes(pair, ["a", "b"]))) == 2


def test_integer_widths_hash_alike():
    values = [-5, 0, 7, None]
    batch = pa.record_batch({"a": pa.array(values, pa.int8()), "b": pa.array(values, pa.int64())})
    assert hashes(batch, ["a"]) == hashes(batch, ["b"])


def test_partitions_are_balanced_for_many_distinct_keys():
    n = 40_000
    batch = pa.record_batch({"id": pa.array(range(n)), "s": pa.array([f"user-{i}" for i in range(n)])})
    for keys in (["id"], ["s"], ["id", "s"]):
        for partitions in (2, 7, 16):
            sizes = [len(p) for p in _core.hash_partition(batch, keys, partitions)]
            assert sum(sizes) == n
            expected = n / partitions
            assert min(sizes) > 0.8 * expected and max(sizes) < 1.2 * expected, (keys, sizes)


def test_one_row_empty_and_all_equal():
    one = pa.record_batch({"k": ["x"]})
    assert len(hashes(one, ["k"])) == 1
    assert [len(p) for p in _core.hash_partition(one, ["k"], 3)].count(1) == 1
    empty = one.slice(0, 0)
    assert hashes(empty, ["k"]) == []
    assert [len(p) for p in _core.hash_partition(empty, ["k"], 4)] == [0, 0, 0, 0]
    same = pa.record_batch({"k": [3] * 1000})
    sizes = sorted(len(p) for p in _core.hash_partition(same, ["k"], 4))
    assert sizes == [0, 0, 0, 1000]


def test_partitions_share_one_buffer_without_copies():
    batch = pa.record_batch({"k": pa.array(range(1000))})
    parts = [pa.array(p) for p in _core.hash_partition(batch, ["k"], 4)]
    assert all(p.type == pa.int64() and p.null_count == 0 for p in parts)
    assert len({p.buffers()[1].address for p in parts}) == 1
    assert batch.column("k").take(pa.concat_arrays(parts)).to_pylist() != []
    assert pa.array(_core.hash_columns(batch, ["k"])).type == pa.uint64()


def test_errors():
    batch = pa.record_batch({"a": [1], "b": ["x"], "st": pa.array([{"x": 1}])})
    with pytest.raises(KeyError, match=r"unknown key column 'zz'; available columns: a, b, st"):
        _core.hash_columns(batch, ["a", "zz"])
    with pytest.raises(TypeError, match=r"key column 'st' has type struct<x: int64>"):
        _core.hash_partition(batch, ["st"], 2)
    with pytest.raises(ValueError, match="partitions must be"):
        _core.hash_partition(batch, ["a"], 0)
    with pytest.raises(ValueError, match="at least one key column"):
        _core.hash_columns(batch, [])
    with pytest.raises(TypeError, match="expected a record batch"):
        _core.hash_columns(pa.array([1, 2]), ["a"])


# The hash path, then the hashes and partitions of every key set of a batch read from an IPC
# file, by the very extension file the test process uses (loaded by path: an editable
# install's import hook could otherwise pick another build), printed as JSON.
HASH_IN_SUBPROCESS = """
import importlib.util, json, sys
import pyarrow as pa
spec = importlib.util.spec_from_file_location("headrace._core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
batch = pa.ipc.open_file(sys.argv[2]).get_batch(0)
out = [core.build_info()["hash_isa"]]
for keys in json.loads(sys.argv[3]):
    hashes = pa.array(core.hash_columns(batch, keys)).to_pylist()
    parts = [pa.array(p).to_pylist() for p in core.hash_partition(batch, keys, 7)]
    out.append([hashes, parts])
print(json.dumps(out))
"""


def hash_in_subprocess(batch, key_sets, tmp_path, cpu):
    path = tmp_path / "batch.arrow"
    with pa.ipc.new_file(path, batch.schema) as writer:
        writer.write_batch(batch)
    env = {**os.environ, "HEADRACE_CPU": cpu}
    return subprocess.run([sys.executable, "-c", HASH_IN_SUBPROCESS, _core.__file__, str(path), json.dumps(key_sets)],
                          env=env, capture_output=True, text=True, timeout=120)


def numeric_batch(rows):
    """Every fixed-width key type, with nulls, NaNs and signed zeros, `rows` rows."""
    def values(i, kind):
        if i % 7 == 3:
            return None
        if kind == "float":
            return [0.0, -0.0, math.nan, math.inf, 1.5, -2.25e-310, float(i)][i % 7]
        return (i * 2654435761) % 241 - 120
    columns = {}
    for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        type_ = getattr(pa, name)()
        columns[name] = pa.array([None if v is None else abs(v) if name.startswith("u") else v
                                  for v in (values(i, "int") for i in range(rows))], type_)
    columns["float32"] = pa.array([values(i, "float") for i in range(rows)], pa.float32())
    columns["float64"] = pa.array([values(i, "float") for i in range(rows)], pa.float64())
    columns["date32"] = columns["int32"].cast(pa.date32())
    columns["timestamp"] = columns["int64"].cast(pa.timestamp("us"))
    columns["dict_float"] = columns["float64"].dictionary_encode()
    columns["utf8"] = pa.array([None if i % 5 == 0 else f"key-{i % 97}" for i in range(rows)])
    return pa.record_batch(columns)


@pytest.mark.parametrize("rows", [0, 1, 7, 67, 1000])
def test_every_cpu_path_gives_the_portable_hashes(rows, tmp_path):
    full = numeric_batch(rows + 5)
    key_sets = [[name] for name in full.schema.names] + [["int64", "float64", "int8"], ["uint16", "utf8", "float32"]]
    for batch in (full.slice(0, rows), full.slice(5 % (rows + 1), rows)):  # sliced: offsets into every buffer
        proc = hash_in_subprocess(batch, key_sets, tmp_path, "portable")
        assert proc.returncode == 0, proc.stderr
        path, *portable = json.loads(proc.stdout)
        assert path == "portable"
        for keys, (expected_hashes, expected_parts) in zip(key_sets, portable):
            assert hashes(batch, keys) == expected_hashes, keys
            assert [pa.array(p).to_pylist() for p in _core.hash_partition(batch, keys, 7)] == expected_parts, keys


def test_an_unknown_cpu_path_is_an_error(tmp_path):
    proc = hash_in_subprocess(pa.record_batch({"k": [1, 2]}), [["k"]], tmp_path, "sse9")
    assert proc.returncode != 0
    assert "HEADRACE_CPU=sse9: expected portable, avx2 or avx512" in proc.stderr


def test_build_info_names_the_hash_path():
    info = _core.build_info()
    assert info["hash_isa"] in ("portable", "avx2", "avx512")
    assert isinstance(info["cpu_features"], str) and info["cpu_features"]
    if os.environ.get("HEADRACE_CPU") is None:  # uncapped: the best path the CPU can run
        features = info["cpu_features"].split()
        best = "avx512" if {"avx512f", "avx512dq"} <= set(features) else "avx2" if "avx2" in features else "portable"
        assert info["hash_isa"] == best
