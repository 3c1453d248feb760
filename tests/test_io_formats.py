"""Every built-in format round-trips (hypothesis over random tables and arrays), loads into
the type a node asks for, saves any tabular value, and fails with errors that name the
loader or saver, the path and the problem."""

from __future__ import annotations

import os
import pickle
import tempfile

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import headrace as hr

io = hr.io
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=8)
KINDS = {
    "int": (pa.int64(), st.integers(-(2**62), 2**62)),
    "float": (pa.float64(), st.floats(allow_nan=False, allow_infinity=False)),
    "str": (pa.string(), TEXT),
    "bool": (pa.bool_(), st.booleans()),
}


@st.composite
def tables(draw, min_rows: int = 0, nullable_strings: bool = True) -> pa.Table:
    rows = draw(st.integers(min_rows, 20))
    columns = {}
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(sorted(KINDS)))
        type_, values = KINDS[kind]
        if kind != "str" or nullable_strings:
            values = st.none() | values
        columns[f"c{i}"] = pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), type=type_)
    return pa.table(columns)


def roundtrip(fmt: str, table: pa.Table, **options) -> pa.Table:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"t.{fmt}")
        meta = io.to.__getattr__(fmt)(id="t", dependencies=["t"], path=path, **options).saver({}).save_data(table)
        assert (meta["path"], meta["rows"], meta["columns"]) == (path, table.num_rows, table.column_names)
        assert meta["bytes"] == os.path.getsize(path)
        loader = io.from_.__getattr__(fmt)(target="t", path=path, schema=table.schema, **options).loader({})
        loaded, loaded_meta = loader.load_data(pa.Table)
        assert loaded_meta["path"] == path
        assert os.listdir(folder) == ["t." + fmt]  # no temporary file is left
        return loaded


@pytest.mark.parametrize("fmt", ["parquet", "ipc", "feather"])
@SETTINGS
@given(table=tables())
def test_binary_table_formats_roundtrip(fmt, table):
    assert roundtrip(fmt, table).equals(table)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
@SETTINGS
@given(table=tables(min_rows=1))
def test_json_formats_roundtrip(fmt, table):
    assert roundtrip(fmt, table).equals(table)


@SETTINGS
@given(table=tables(min_rows=1, nullable_strings=False))
def test_csv_roundtrips(table):
    # CSV cannot tell an empty string from a missing one: strings here are never null; and
    # a row of nulls alone would be a blank line, which readers skip: a first column is never null.
    table = table.add_column(0, "row", pa.array(range(table.num_rows), pa.int64()))
    assert roundtrip("csv", table, delimiter=";").equals(table)


@SETTINGS
@given(array=hnp.arrays(st.sampled_from([np.int64, np.float32, np.bool_, np.dtype("<U3")]),
                        hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
def test_npy_roundtrips(array):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "a.npy")
        meta = io.to.npy(id="a", dependencies=["a"], path=path).saver({}).save_data(array)
        assert (meta["shape"], meta["dtype"], meta["bytes"]) == (array.shape, str(array.dtype), os.path.getsize(path))
        loaded, _ = io.from_.npy(target="a", path=path).loader({}).load_data(np.ndarray)
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == array.dtype


@SETTINGS
@given(value=st.recursive(st.none() | st.integers() | TEXT,
                          lambda inner: st.lists(inner) | st.dictionaries(TEXT, inner)))
def test_pickle_and_memory_roundtrip(value):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "v.pkl")
        io.to.pickle(id="v", dependencies=["v"], path=path, allow_pickle=True).saver({}).save_data(value)
        with open(path, "rb") as f:
            assert pickle.load(f) == value  # noqa: S301 - the test's own file
        assert io.from_.pickle(target="v", path=path, allow_pickle=True).loader({}).load_data(object)[0] == value
    store: dict = {}
    io.to.memory(id="v", dependencies=["v"], store=store, key="k").saver({}).save_data(value)
    assert io.from_.memory(target="v", store=store, key="k").loader({}).load_data(object)[0] is store["k"]


def test_loaders_return_the_type_asked_for(tmp_path):
    path = str(tmp_path / "t.parquet")
    hr.from_arrow({"x": [1, 2]}).write_parquet(path)
    loader = io.from_.parquet(target="t", path=path).loader({})
    assert loader.applicable_types() == [pa.Table, hr.DataStream, pd.DataFrame, pl.DataFrame]
    stream, meta = loader.load_data(hr.DataStream)
    assert isinstance(stream, hr.DataStream) and meta["rows"] is None  # nothing read yet
    assert stream.collect().to_pydict() == {"x": [1, 2]}
    assert loader.load_data(pd.DataFrame)[0]["x"].tolist() == [1, 2]
    assert loader.load_data(pl.DataFrame)[0]["x"].to_list() == [1, 2]
    with pytest.raises(TypeError, match="from_.parquet: cannot load as <class 'list'>"):
        loader.load_data(list)


def test_a_dataflow_loads_the_type_its_function_annotates(tmp_path):
    path = str(tmp_path / "t.csv")
    hr.from_arrow({"x": [3, 4]}).write_csv(path)

    def as_pandas(raw: pd.DataFrame) -> int:
        assert isinstance(raw, pd.DataFrame)
        return int(raw["x"].sum())

    def as_table(raw) -> int:  # no annotation: a pyarrow Table, the first type
        assert isinstance(raw, pa.Table)
        return raw.num_rows

    load = io.from_.csv(target="raw", path=path)
    assert io.Dataflow({"s": as_pandas}).materialize(load, outputs=["s"])[1] == {"s": 7}
    assert io.Dataflow({"n": as_table}).materialize(load, outputs=["n"])[1] == {"n": 2}


@pytest.mark.parametrize("value", [
    pa.table({"x": [1, 2]}), hr.from_arrow({"x": [1, 2]}), pd.DataFrame({"x": [1, 2]}),
    pl.DataFrame({"x": [1, 2]}), {"x": [1, 2]},
], ids=["table", "datastream", "pandas", "polars", "dict"])
@pytest.mark.parametrize("fmt", ["parquet", "csv", "ipc", "json", "ndjson"])
def test_table_savers_take_any_tabular_value(tmp_path, fmt, value):
    path = str(tmp_path / f"out.{fmt}")
    meta = io.to.__getattr__(fmt)(id="o", dependencies=["o"], path=path).saver({}).save_data(value)
    assert (meta["rows"], meta["columns"]) == (2, ["x"])
    loaded, _ = io.from_.__getattr__(fmt)(target="o", path=path).loader({}).load_data(pa.Table)
    assert loaded.to_pydict() == {"x": [1, 2]}


def test_a_datastream_is_streamed_into_the_writer(tmp_path):
    batches = [pa.record_batch({"x": list(range(i * 100, i * 100 + 100))}) for i in range(5)]
    path = str(tmp_path / "s.ndjson")
    meta = io.to.ndjson(id="s", dependencies=["s"], path=path).saver({}).save_data(hr.from_batches(batches))
    assert meta["rows"] == 500
    with open(path) as f:
        assert sum(1 for _ in f) == 500


def flow_of(name: str) -> io.Dataflow:
    return io.Dataflow({name: lambda raw: raw})


def test_a_missing_file_names_the_loader_and_the_path(tmp_path):
    missing = str(tmp_path / "nope.parquet")
    with pytest.raises(FileNotFoundError, match=rf"from_.parquet\(target='raw'\): cannot load '{missing}': "):
        flow_of("out").materialize(io.from_.parquet(target="raw", path=missing), outputs=["out"])
    with pytest.raises(FileNotFoundError, match=r"from_.json\(target='raw'\): cannot load 'nope.json': .*No such file"):
        flow_of("out").materialize(io.from_.json(target="raw", path="nope.json"), outputs=["out"])


def test_a_bad_save_path_names_the_saver_and_the_path(tmp_path):
    bad = str(tmp_path / "no" / "such" / "out.csv")
    with pytest.raises(FileNotFoundError, match=rf"to.csv\(id='out'\): cannot save to '{bad}': .*does not exist"):
        flow_of("t").materialize(io.to.csv(id="out", dependencies=["t"], path=bad), inputs={"raw": {"x": [1]}})
    with pytest.raises(FileNotFoundError, match=r"to.npy\(id='a'\): cannot save to '.*/missing/a.npy'"):
        flow_of("t").materialize(io.to.npy(id="a", dependencies=["t"], path=str(tmp_path / "missing" / "a.npy")),
                                 inputs={"raw": [1, 2]})


def test_a_schema_that_does_not_fit_names_the_loader_path_and_column(tmp_path):
    path = str(tmp_path / "t.parquet")
    hr.from_arrow({"x": ["a", "b"], "y": [1, 2]}).write_parquet(path)
    wrong_type = io.from_.parquet(target="raw", path=path, schema=pa.schema([("x", pa.int64())]))
    with pytest.raises(ValueError, match=rf"from_.parquet\(target='raw'\): cannot load '{path}': column 'x' \(string\) "
                                         r"does not fit the schema's int64"):
        flow_of("out").materialize(wrong_type, outputs=["out"])
    missing = io.from_.parquet(target="raw", path=path, schema=pa.schema([("z", pa.int64())]))
    with pytest.raises(ValueError, match=r"column 'z' of the schema is missing \(the data has \['x', 'y'\]\)"):
        flow_of("out").materialize(missing, outputs=["out"])
    narrowed = io.from_.parquet(target="raw", path=path, schema=pa.schema([("y", pa.int8())]))
    assert flow_of("out").materialize(narrowed, outputs=["out"])[1]["out"].schema == pa.schema([("y", pa.int8())])


def test_malformed_content_is_named(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"not": "a list"}')
    with pytest.raises(ValueError, match=r"from_.json\(target='raw'\): cannot load .*expected a JSON list of objects"):
        flow_of("out").materialize(io.from_.json(target="raw", path=str(path)), outputs=["out"])
    with pytest.raises(KeyError, match=r"from_.memory\(target='raw'\): cannot load: key 'k' is not in the store"):
        flow_of("out").materialize(io.from_.memory(target="raw", store={"j": 1}, key="k"), outputs=["out"])


def test_values_a_saver_cannot_take_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"to.parquet\(id='o'\): cannot save to .*expected tabular data .*got int"):
        flow_of("t").materialize(io.to.parquet(id="o", dependencies=["t"], path=str(tmp_path / "o.parquet")),
                                 inputs={"raw": 5})
    with pytest.raises(ValueError, match=r"to.npy\(id='o'\): .*Object arrays cannot be saved"):
        flow_of("t").materialize(io.to.npy(id="o", dependencies=["t"], path=str(tmp_path / "o.npy")),
                                 inputs={"raw": np.array([{}, 1], dtype=object)})
    with pytest.raises(TypeError, match=r"to.json\(id='o'\): .*not JSON serializable"):
        flow_of("t").materialize(io.to.json(id="o", dependencies=["t"], path=str(tmp_path / "o.json")),
                                 inputs={"raw": {"b": pa.array([b"\x00"])}})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("value", "rows", "columns"), [
    (pa.table({"a": [1, 2, 3]}), 3, ["a"]),
    (pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), 3, ["a", "b"]),
    (pl.DataFrame({"a": [1, 2, 3]}), 3, ["a"]),
    (np.zeros((3, 2)), 3, None),
    ([1, 2, 3], 3, None),
    (7, None, None),
], ids=["table", "pandas", "polars", "numpy", "list", "int"])
def test_memory_and_pickle_metadata_describe_the_value(tmp_path, value, rows, columns):
    meta = io.to.memory(id="m", dependencies=["m"], store={}, key="k").saver({}).save_data(value)
    assert (meta["path"], meta["rows"], meta["columns"]) == (None, rows, columns)
    assert (meta["bytes"] is None) == (rows is None or isinstance(value, list))
    path = str(tmp_path / "v.pkl")
    meta = io.to.pickle(id="p", dependencies=["p"], path=path, allow_pickle=True).saver({}).save_data(value)
    assert (meta["path"], meta["rows"], meta["bytes"]) == (path, rows, os.path.getsize(path))
