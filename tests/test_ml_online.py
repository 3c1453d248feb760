"""OnlineMean: a Transformer that keeps updating from its state stream while it serves."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest

import headrace as hr

ml = hr.ml


def update(k: int) -> dict[str, list]:
    """Update number k adds one row of value k: after version v the mean is (v + 1) / 2."""
    return {"count": [1], "x": [float(k)]}


def served(stream: hr.DataStream | list[pa.RecordBatch]) -> list[tuple[float, int, int]]:
    batches = stream.collect().to_batches() if isinstance(stream, hr.DataStream) else stream
    return [(row["x"], row["need"], row["model_version"]) for b in batches for row in b.to_pylist()]


def data(*needs: int) -> hr.DataStream:
    """One one-row batch per need: x = 10 * need, asking for model version need."""
    return hr.from_batches([{"x": [10.0 * n], "need": [n]} for n in needs])


def model_with(updates) -> ml.OnlineMeanModel:
    model = ml.OnlineMeanModel(["x"], min_version_col="need")
    model.set_state_streams(updates)
    return model


def test_each_batch_uses_the_updates_that_came_before_it():
    updates = hr.from_batches([update(k) for k in range(1, 6)])
    rows = served(model_with(updates).transform(data(1, 3, 2, 5, 5))[0])
    assert [need for _, need, _ in rows] == [1, 3, 2, 5, 5]  # served in arrival order
    versions = [v for _, _, v in rows]
    assert versions == sorted(versions) and versions[-2:] == [5, 5]
    for x, need, version in rows:
        assert version >= need
        assert x == 10.0 * need - (version + 1) / 2  # centered with the mean of that version


def test_a_batch_asking_for_the_last_version_is_exact():
    updates = hr.from_batches([update(k) for k in range(1, 4)])
    assert served(model_with(updates).transform(data(3))[0]) == [(30.0 - 2.0, 3, 3)]


def test_an_unbounded_state_stream_updates_the_model_while_it_serves():
    updates = hr.from_batches(lambda: (update(k) for k in itertools.count(1)), schema=ml.update_schema(["x"]))
    outputs = []
    for batch in model_with(updates).transform(data(1, 40, 200))[0].iter_batches():
        outputs.append(batch)
        if sum(b.num_rows for b in outputs) == 3:
            break  # the state stream never ends: stopping the loop cancels the run
    rows = served(outputs)
    assert [need for _, need, _ in rows] == [1, 40, 200]
    for x, need, version in rows:
        assert version >= need and x == 10.0 * need - (version + 1) / 2


def test_without_min_version_a_batch_waits_for_the_first_update():
    model = ml.OnlineMeanModel(["x"])
    model.set_state_streams(hr.from_batches([update(4)]))
    assert model.transform({"x": [6.0]})[0].collect().to_pydict() == {"x": [2.0], "model_version": [1]}


def test_a_state_stream_that_ends_too_early_fails_the_run():
    updates = hr.from_batches([update(1), update(2)])
    with pytest.raises(hr.PipelineError) as info:
        model_with(updates).transform(data(1, 3))[0].collect()
    assert "1 data batches wait for model version 3, but the state stream ended at version 2" in str(
        info.value.__cause__)


def test_fit_turns_training_batches_into_updates():
    train = hr.from_batches([{"x": [1.0, 3.0]}, {"x": [5.0]}, {"x": [7.0, 9.0]}])
    model = ml.OnlineMean(["x"], min_version_col="need").fit(train)
    (updates,) = model.get_state_streams()
    assert updates.collect().to_pydict() == {"count": [2, 1, 2], "x": [4.0, 5.0, 16.0]}
    assert served(model.transform(data(3))[0]) == [(30.0 - 5.0, 3, 3)]


def test_state_stream_errors_name_the_stage():
    with pytest.raises(RuntimeError, match="OnlineMeanModel: has no state stream; call set_state_streams"):
        ml.OnlineMeanModel(["x"]).transform({"x": [1.0]})
    with pytest.raises(ValueError, match="OnlineMeanModel: state stream lacks column 'x'"):
        model_with({"count": [1]}).transform(data(1))
    with pytest.raises(ValueError, match="OnlineMeanModel: column 'need' not found"):
        model_with({"count": [1], "x": [1.0]}).transform({"x": [1.0]})
    with pytest.raises(hr.PipelineError) as info:
        ml.OnlineMean(["x"]).fit({"x": [1.0, None]}).transform({"x": [1.0]})[0].collect()
    assert "OnlineMean: column 'x' has nulls" in str(info.value.__cause__)


def test_schemas_and_save_load(tmp_path):
    schema = pa.schema({"x": pa.int32(), "need": pa.int64()})
    expected = pa.schema({"x": pa.float64(), "need": pa.int64(), "model_version": pa.int64()})
    assert ml.OnlineMean(["x"], min_version_col="need").transform_schemas(schema) == (expected,)
    model = ml.OnlineMean(["x"], min_version_col="need").fit({"x": [2.0]})
    model.save(str(tmp_path / "online"))  # parameters only: state streams are not saved
    loaded = ml.OnlineMeanModel.load(str(tmp_path / "online"))
    assert loaded.get_params() == model.get_params() and loaded.get_state_streams() == ()
    loaded.set_state_streams(hr.from_batches([update(1), update(2)]))
    assert served(loaded.transform(data(2))[0]) == [(20.0 - 1.5, 2, 2)]
