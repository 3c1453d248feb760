"""hr.ml graphs with named TableIds: execute and materialize run only the stages the
requested tables read, take inputs, overrides and loaders by name, and save atomically."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

import headrace as hr

io = hr.io


class Shift(hr.ml.MLFunc):
    """Adds ``by`` to column x; counts its transform calls in ``calls``."""

    calls: list[str] = []

    def __init__(self, by: int = 1) -> None:
        self.by = by

    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        return schemas

    def _transform(self, *streams: hr.DataStream) -> tuple[hr.DataStream, ...]:
        Shift.calls.append(f"shift{self.by}")
        return (streams[0].with_columns(x=hr.col("x") + self.by),)


@pytest.fixture
def model() -> hr.ml.GraphModel:
    """x -> Shift(1) -> Shift(10); x -> Shift(100) (a second branch)."""
    Shift.calls.clear()
    b = hr.ml.GraphBuilder()
    x = b.create_table_id("x")
    one = b.get_outputs(Shift(1), x)[0]
    eleven = b.get_outputs(Shift(10), one)[0]
    hundred = b.get_outputs(Shift(100), x)[0]
    return b.build_model([x], [eleven, hundred])


X = pa.table({"x": [1, 2]})


def test_outputs_are_named_after_their_stage_and_unique(model):
    assert [t.name for t in model.wiring.outputs] == ["Shift_2.output0", "Shift_3.output0"]


def test_execute_runs_only_the_stages_the_outputs_read(model):
    assert model.execute(["Shift_3.output0"], inputs={"x": X}) == {"Shift_3.output0": pa.table({"x": [101, 102]})}
    assert Shift.calls == ["shift100"]
    Shift.calls.clear()
    out = model.execute(["Shift_2.output0", "Shift.output0"], inputs={"x": X})
    assert out["Shift_2.output0"]["x"].to_pylist() == [12, 13]
    assert out["Shift.output0"]["x"].to_pylist() == [2, 3]
    assert sorted(Shift.calls) == ["shift1", "shift10"]


def test_overrides_replace_a_stage_output(model):
    out = model.execute(["Shift_2.output0"], overrides={"Shift.output0": {"x": [0]}})
    assert out["Shift_2.output0"]["x"].to_pylist() == [10]
    assert Shift.calls == ["shift10"]  # no input x is needed


def test_materialize_loads_and_saves_by_name(model, tmp_path):
    hr.from_arrow(X).write_parquet(str(tmp_path / "x.parquet"))
    meta, results = model.materialize(
        io.from_.parquet(target="x", path=str(tmp_path / "x.parquet")),
        io.to.csv(id="eleven", dependencies=["Shift_2.output0"], path=io.source("out")),
        outputs=["Shift.output0"], inputs={"out": str(tmp_path / "eleven.csv")})
    assert sorted(Shift.calls) == ["shift1", "shift10"]  # the other branch never runs
    assert results["Shift.output0"]["x"].to_pylist() == [2, 3]
    assert (meta["eleven"]["rows"], meta["eleven"]["columns"]) == (2, ["x"])
    assert hr.read_csv(str(tmp_path / "eleven.csv")).collect()["x"].to_pylist() == [12, 13]


def test_a_graph_is_fitted_on_its_inputs_first(tmp_path):
    b = hr.ml.GraphBuilder()
    x = b.create_table_id("x")
    scaled = b.get_outputs(hr.ml.StandardScaler(["x"]), x)[0]
    graph = b.build([x], [scaled])
    out = graph.execute(["StandardScaler.output0"], inputs={"x": {"x": [1.0, 3.0]}})
    assert out["StandardScaler.output0"]["x"].to_pylist() == [-1.0, 1.0]
    store: dict = {}
    graph.materialize(io.from_.memory(target="x", store={"t": {"x": [0.0, 4.0]}}, key="t"),
                      io.to.memory(id="s", dependencies=["StandardScaler.output0"], store=store, key="scaled"))
    assert store["scaled"].collect()["x"].to_pylist() == [-1.0, 1.0]
    with pytest.raises(ValueError, match="fitting needs the estimator input TableId.*'x'.*pass it in inputs="):
        graph.execute(["StandardScaler.output0"])


def test_a_failing_saver_leaves_no_file(model, tmp_path):
    with pytest.raises(ValueError, match=r"to.npy\(id='bad'\): .*Object arrays"):  # a DataStream is no array
        model.materialize(io.to.parquet(id="a", dependencies=["Shift_3.output0"], path=str(tmp_path / "a.parquet")),
                          io.to.npy(id="bad", dependencies=["Shift_2.output0"], path=str(tmp_path / "bad.npy")),
                          inputs={"x": X})
    assert os.listdir(tmp_path) == []


def test_names_that_are_unknown_or_shared_are_refused(model):
    in_use = "Shift.output0, Shift_2.output0, Shift_3.output0, x"
    with pytest.raises(ValueError, match=rf"GraphModel: no table named 'y' \(tables in use: {in_use}\)"):
        model.execute(["y"], inputs={"x": X})
    with pytest.raises(ValueError, match="no table named 'nope'"):
        model.execute(["Shift.output0"], overrides={"nope": X})
    b = hr.ml.GraphBuilder()
    first, second = b.create_table_id("t"), b.create_table_id("t")
    union = b.get_outputs(Shift(1), first)[0]
    shared = b.build_model([first, second], [union])
    with pytest.raises(ValueError, match="2 tables are named 't'; give them distinct names"):
        shared.execute(["Shift.output0"], inputs={"t": X})
