"""hr.ml's saved folders: JSON + Arrow IPC, no pickle, clear errors for bad folders."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from ml_stages import SumEstimator, SumModel, xs

import headrace as hr

ml = hr.ml


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model"
    ml.PipelineModel([SumModel().with_delta(4), ml.StandardScalerModel(["x"], [1.0], [2.0])]).save(str(path))
    return path


def edit_meta(folder, change):
    meta = json.loads((folder / "stage.json").read_text())
    change(meta)
    (folder / "stage.json").write_text(json.dumps(meta))


def test_the_folder_holds_json_and_arrow_ipc(saved):
    meta = json.loads((saved / "stage.json").read_text())
    assert meta["format"] == "headrace.ml" and meta["version"] == 1
    assert meta["class"] == "headrace.ml._pipeline:PipelineModel"
    assert meta["stages"] == ["stages/0", "stages/1"]
    child = json.loads((saved / "stages" / "1" / "stage.json").read_text())
    assert child["params"] == {"columns": ["x"]}
    table = pa.ipc.open_file(str(saved / "stages" / "1" / "model.arrow")).read_all()
    assert table.to_pydict() == {"column": ["x"], "mean": [1.0], "scale": [2.0]}
    loaded = ml.load(str(saved))
    assert loaded.transform(xs(1))[0].collect()["x"].to_pylist() == [2.0]
    assert sorted(p.name for p in saved.rglob("*") if p.is_file()) == [
        "model.arrow", "model.arrow", "stage.json", "stage.json", "stage.json"]


def test_save_refuses_an_existing_folder(saved):
    with pytest.raises(FileExistsError, match="model: already exists"):
        SumModel().save(str(saved))


def test_save_writes_into_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    SumModel().with_delta(2).save(str(tmp_path / "empty"))
    assert SumModel.load(str(tmp_path / "empty")).delta == 2


def test_parameters_must_be_json(tmp_path):
    with pytest.raises(TypeError, match="SumEstimator: parameter 'column' \\(object\\) cannot be saved as JSON"):
        SumEstimator(object()).save(str(tmp_path / "bad"))
    assert list(tmp_path.iterdir()) == []  # nothing half written


def test_another_format_version(saved):
    edit_meta(saved, lambda m: m.update(version=2))
    with pytest.raises(ml.FormatError, match="stage.json: format version 2 is not supported"):
        ml.load(str(saved))


def test_a_tampered_data_file(saved):
    data = saved / "stages" / "0" / "model.arrow"
    pa.ipc.new_file(str(data), pa.schema({"delta": pa.int64()})).close()
    with pytest.raises(ml.FormatError, match="stages/0/model.arrow: contents changed since it was saved"):
        ml.load(str(saved))


def test_a_missing_data_file(saved):
    (saved / "stages" / "1" / "model.arrow").unlink()
    with pytest.raises(FileNotFoundError, match="stages/1/model.arrow: missing \\(listed in .*stages/1/stage.json\\)"):
        ml.load(str(saved))


def test_a_missing_or_broken_stage_json(saved):
    (saved / "stage.json").write_text("{not json")
    with pytest.raises(ml.FormatError, match="model/stage.json: not valid JSON"):
        ml.load(str(saved))
    (saved / "stage.json").unlink()
    with pytest.raises(FileNotFoundError, match="model/stage.json: missing"):
        ml.load(str(saved))


@pytest.mark.parametrize("target, message", [
    ("collections:OrderedDict", "'collections:OrderedDict' is not a headrace.ml Stage class"),
    ("os:system", "'os:system' is not a headrace.ml Stage class"),
    ("no_such_module_xyz:Stage", "cannot import class 'no_such_module_xyz:Stage'"),
    ("headrace.ml.StandardScaler", "is not of the form 'module:Class'"),
])
def test_only_stage_classes_load(saved, target, message):
    edit_meta(saved, lambda m: m.update({"class": target}))
    with pytest.raises(ml.FormatError, match=message):
        ml.load(str(saved))


def test_malformed_fields(saved):
    edit_meta(saved, lambda m: m.update(params=[]))
    with pytest.raises(ml.FormatError, match="field 'params' is missing or not a dict"):
        ml.load(str(saved))


def test_paths_stay_inside_the_folder(saved):
    edit_meta(saved, lambda m: m.update(stages=["../elsewhere"]))
    with pytest.raises(ml.FormatError, match="path '../elsewhere' is not inside the folder"):
        ml.load(str(saved))


def test_parameters_that_do_not_fit_the_class(saved):
    child = saved / "stages" / "0"
    edit_meta(child, lambda m: m.update(params={"colour": "x"}))
    with pytest.raises(ml.FormatError, match="stages/0/stage.json: cannot rebuild SumModel: .*colour"):
        ml.load(str(saved))


def test_load_checks_the_class_asked_for(saved):
    with pytest.raises(TypeError, match="holds a PipelineModel, which is not a Pipeline"):
        ml.Pipeline.load(str(saved))
    assert isinstance(ml.Transformer.load(str(saved)), ml.PipelineModel)


def test_a_malformed_graph_wiring(tmp_path):
    b = ml.GraphBuilder()
    x = b.create_table_id()
    b.build_model([x], [b.get_outputs(SumModel(), x)[0]]).save(str(tmp_path / "g"))
    edit_meta(tmp_path / "g", lambda m: m["params"]["wiring"].pop("nodes"))
    with pytest.raises(ml.FormatError, match="cannot rebuild GraphModel: graph wiring is malformed"):
        ml.load(str(tmp_path / "g"))
