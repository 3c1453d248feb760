"""hr.ml's API with small stages: pipelines, graphs, state streams, builder misuse, save/load."""

from __future__ import annotations

import subprocess
import sys
import threading

import pyarrow as pa
import pytest
from ml_stages import MeetingEstimator, Split, Spy, SumEstimator, SumModel, Union, sorted_x, xs

import headrace as hr

ml = hr.ml


def roundtrip(stage: ml.Stage, tmp_path, name: str = "saved") -> ml.Stage:
    stage.save(str(tmp_path / name))
    return type(stage).load(str(tmp_path / name))


def test_import_headrace_does_not_load_hr_ml():
    code = "import sys, headrace; print('headrace.ml' in sys.modules, 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]


def test_hr_ml_is_reachable_and_complete():
    assert ml.Pipeline is hr.ml.Pipeline
    assert "ml" in dir(hr)
    for name in ml.__all__:
        assert getattr(ml, name) is not None


def test_pipeline_model_of_three_adders(tmp_path):
    model = ml.PipelineModel([SumModel().with_delta(1), SumModel().with_delta(2), SumModel().with_delta(3)])
    (out,) = model.transform(xs(1, 2, 3))
    assert out.collect()["x"].to_pylist() == [7, 8, 9]
    assert model.transform_schemas(xs().schema) == (xs().schema,)
    loaded = roundtrip(model, tmp_path)
    assert [s.delta for s in loaded.stages] == [1, 2, 3]
    assert loaded.transform(xs(0))[0].collect()["x"].to_pylist() == [6]


def test_inputs_may_be_streams_tables_or_capsule_objects():
    model = SumModel().with_delta(1)
    batch = pa.record_batch({"x": [1]})
    for table in (hr.from_arrow(xs(1)), xs(1), batch, pa.RecordBatchReader.from_batches(batch.schema, [batch])):
        assert model.transform(table)[0].collect()["x"].to_pylist() == [2]
    with pytest.raises(TypeError, match="SumModel: from_arrow: expected Arrow data"):
        model.transform(42)


def test_pipeline_mixing_models_and_an_estimator(tmp_path):
    Spy.transformed = 0
    pipeline = ml.Pipeline([SumModel().with_delta(1), SumEstimator(), Spy().with_delta(100)])
    model = pipeline.fit(xs(1, 2, 3))
    assert Spy.transformed == 0  # fitting runs only up to the last Estimator
    assert isinstance(model, ml.PipelineModel)
    assert model.stages[1].delta == 2 + 3 + 4  # the estimator saw x + 1
    assert model.transform(xs(0))[0].collect()["x"].to_pylist() == [1 + 9 + 100]
    assert Spy.transformed == 1
    loaded = roundtrip(pipeline, tmp_path, "pipeline")
    assert [type(s) for s in loaded.stages] == [SumModel, SumEstimator, Spy]
    assert loaded.fit(xs(1, 2, 3)).transform(xs(0))[0].collect()["x"].to_pylist() == [110]
    assert roundtrip(model, tmp_path, "model").transform(xs(0))[0].collect()["x"].to_pylist() == [110]


def test_pipeline_checks_its_stages():
    with pytest.raises(TypeError, match="Pipeline: stage 1 \\(int\\) is not a MLFunc or Estimator"):
        ml.Pipeline([SumModel(), 3])
    with pytest.raises(TypeError, match="PipelineModel: stage 0 \\(SumEstimator\\) is not a MLFunc"):
        ml.PipelineModel([SumEstimator()])


def test_graph_model_with_a_union(tmp_path):
    b = ml.GraphBuilder()
    x = b.create_table_id("x")
    a = b.get_outputs(SumModel().with_delta(1), x)[0]
    c = b.get_outputs(SumModel().with_delta(10), x)[0]
    both = b.get_outputs(Union(), a, c)[0]
    model = b.build_model([x], [both, a])
    union, left = model.transform(xs(1, 2))
    assert sorted_x(union) == [2, 3, 11, 12]
    assert sorted_x(left) == [2, 3]
    assert model.transform_schemas(xs().schema) == (xs().schema, xs().schema)
    loaded = roundtrip(model, tmp_path)
    assert sorted_x(loaded.transform(xs(1, 2))[0]) == [2, 3, 11, 12]


def test_graph_with_estimators_and_a_union(tmp_path):
    b = ml.GraphBuilder()
    b.set_max_output_length(2)
    x = b.create_table_id()
    plus_one = b.get_outputs(SumModel().with_delta(1), x)
    assert len(plus_one) == 2
    fitted = b.get_outputs(SumEstimator(), plus_one[0])[0]
    even, odd = b.get_outputs(Split(), fitted)
    merged = b.get_outputs(Union(), even, odd, x)[0]
    graph = b.build([x], [merged])
    model = graph.fit(xs(1, 2, 3))  # the estimator learns 2 + 3 + 4 = 9
    assert isinstance(model, ml.GraphModel)
    expected = [1, 2, 11, 12]
    assert sorted_x(model.transform(xs(1, 2))[0]) == expected
    assert graph.transform_schemas(xs().schema) == (xs().schema,)
    assert sorted_x(roundtrip(graph, tmp_path, "graph").fit(xs(1, 2, 3)).transform(xs(1, 2))[0]) == expected
    assert sorted_x(roundtrip(model, tmp_path, "model").transform(xs(1, 2))[0]) == expected


def test_graph_with_separate_estimator_and_transformer_inputs():
    b = ml.GraphBuilder()
    train, serve = b.create_table_id("train"), b.create_table_id("serve")
    out = b.get_outputs(SumEstimator(), estimator_inputs=[train], transformer_inputs=[serve])[0]
    graph = b.build(estimator_inputs=[train], transformer_inputs=[serve], outputs=[out])
    model = graph.fit(xs(5, 5))
    assert model.transform(xs(0))[0].collect()["x"].to_pylist() == [10]


def test_graph_fits_independent_estimators_concurrently():
    MeetingEstimator.barrier = threading.Barrier(2)
    b = ml.GraphBuilder()
    x = b.create_table_id()
    one = b.get_outputs(MeetingEstimator(), x)[0]
    two = b.get_outputs(MeetingEstimator(), x)[0]
    model = b.build([x], [one, two]).fit(xs(1, 2))  # each fit waits for the other one
    assert [t.collect()["x"].to_pylist() for t in model.transform(xs(0))] == [[3], [3]]


def test_a_fit_error_in_a_graph_names_the_stage():
    b = ml.GraphBuilder()
    x = b.create_table_id()
    out = b.get_outputs(SumEstimator("missing"), x)[0]
    with pytest.raises(ValueError, match="SumEstimator: column 'missing' not found"):
        b.build([x], [out]).fit(xs(1))


def test_state_streams_fed_from_graph_inputs_and_exported():
    b = ml.GraphBuilder()
    x, state = b.create_table_id("x"), b.create_table_id("state")
    model_stage = SumModel()
    out = b.get_outputs(model_stage, x)[0]
    b.set_state_streams(model_stage, state)
    exported = b.get_state_streams(model_stage)[0]
    model = b.build_model([x], [out], input_states=[state], output_states=[exported])
    with pytest.raises(RuntimeError, match="input_states have no tables; call set_state_streams first"):
        model.transform(xs(1))
    model.set_state_streams(pa.table({"delta": [5, 7]}))
    assert model.transform(xs(1))[0].collect()["x"].to_pylist() == [13]
    assert model.transform(xs(2))[0].collect()["x"].to_pylist() == [14]  # runs again
    (stream,) = model.get_state_streams()
    assert stream.collect()["delta"].to_pylist() == [5, 7]
    assert model_stage.get_state_streams() == ()  # the graph set them on a copy
    with pytest.raises(RuntimeError, match="GraphModel: set_state_streams may be called only once"):
        model.set_state_streams(pa.table({"delta": [1]}))


def test_state_stream_fed_from_a_data_input_survives_save_load(tmp_path):
    b = ml.GraphBuilder()
    x, deltas = b.create_table_id(), b.create_table_id()
    stage = SumModel().with_delta(1)
    out = b.get_outputs(stage, x)[0]
    b.set_state_streams(stage, deltas)
    model = b.build_model([x, deltas], [out])
    assert model.transform(xs(0), pa.table({"delta": [2, 3]}))[0].collect()["x"].to_pylist() == [6]
    loaded = roundtrip(model, tmp_path)
    assert loaded.transform(xs(0), pa.table({"delta": [2, 3]}))[0].collect()["x"].to_pylist() == [6]


def test_state_streams_of_an_estimator_go_to_its_fitted_model(tmp_path):
    b = ml.GraphBuilder()
    x, deltas = b.create_table_id(), b.create_table_id()
    estimator = SumEstimator()
    out = b.get_outputs(estimator, x)[0]
    b.set_state_streams(estimator, deltas)
    graph = b.build([x], [out], input_states=[deltas])
    model = graph.fit(xs(1, 2))  # learns 3; its state stream adds 10 when it transforms
    model.set_state_streams(pa.table({"delta": [10]}))
    assert model.transform(xs(0))[0].collect()["x"].to_pylist() == [13]
    loaded = roundtrip(graph, tmp_path).fit(xs(1, 2))
    loaded.set_state_streams(pa.table({"delta": [20]}))
    assert loaded.transform(xs(0))[0].collect()["x"].to_pylist() == [23]


def test_online_estimator_exports_its_model_stream_to_another_stage():
    b = ml.GraphBuilder()
    train, data = b.create_table_id("train"), b.create_table_id("data")
    estimator = ml.OnlineMean(["x"])
    b.get_outputs(estimator, estimator_inputs=[train], transformer_inputs=[data])
    updates = b.get_state_streams(estimator)[0]
    server = ml.OnlineMeanModel(["x"], version_col="v")
    served = b.get_outputs(server, data)[0]
    b.set_state_streams(server, updates)
    graph = b.build(estimator_inputs=[train], transformer_inputs=[data], outputs=[served])
    model = graph.fit(pa.table({"x": [2.0, 4.0]}))
    assert model.transform(pa.table({"x": [3.0]}))[0].collect().to_pydict() == {"x": [0.0], "v": [1]}


def test_transformer_state_streams_at_most_once_and_counted():
    model = SumModel()
    with pytest.raises(ValueError, match="SumModel: takes 1 state streams, got 2"):
        model.set_state_streams(xs(), xs())
    model.set_state_streams(pa.table({"delta": [1]}))
    with pytest.raises(RuntimeError, match="SumModel: set_state_streams may be called only once"):
        model.set_state_streams(pa.table({"delta": [1]}))
    assert len(model.get_state_streams()) == 1
    with pytest.raises(ValueError, match="StandardScalerModel: takes 0 state streams, got 1"):
        ml.StandardScalerModel(["x"], [0.0], [1.0]).set_state_streams(xs())


def test_builder_misuse_raises_clear_errors():
    b = ml.GraphBuilder()
    x = b.create_table_id()
    stage = SumModel()
    out = b.get_outputs(stage, x)[0]
    with pytest.raises(ValueError, match="stage SumModel was already added; a stage may be added once"):
        b.get_outputs(stage, out)
    b.set_state_streams(stage, x)
    with pytest.raises(ValueError, match="the state streams of SumModel are already set"):
        b.set_state_streams(stage, x)
    with pytest.raises(ValueError, match="stage SumModel was not added"):
        b.set_state_streams(SumModel(), x)
    with pytest.raises(TypeError, match="Union is not a Transformer or Estimator"):
        union = Union()
        b.get_outputs(union, x)
        b.get_state_streams(union)
    with pytest.raises(TypeError, match="in the inputs of SumModel is not a TableId of this builder"):
        b.get_outputs(SumModel(), ml.GraphBuilder().create_table_id("elsewhere"))
    with pytest.raises(TypeError, match="SumModel is not an Estimator, so it takes no estimator_inputs"):
        b.get_outputs(SumModel(), estimator_inputs=[x], transformer_inputs=[x])
    with pytest.raises(TypeError, match="pass inputs, or estimator_inputs and transformer_inputs, not both"):
        b.get_outputs(SumEstimator(), x, estimator_inputs=[x], transformer_inputs=[x])
    with pytest.raises(TypeError, match="must be a list of TableIds, not one TableId"):
        b.build(x, [out])
    b.get_outputs(SumEstimator(), x)
    with pytest.raises(TypeError, match="build_model: SumEstimator is an Estimator"):
        b.build_model([x], [out])


def test_graph_inputs_must_reach_every_stage():
    b = ml.GraphBuilder()
    x, forgotten = b.create_table_id(), b.create_table_id("forgotten")
    out = b.get_outputs(Union(), x, forgotten)[0]
    with pytest.raises(ValueError, match="TableId\\(2, 'forgotten'\\), an input of stage 0 \\(Union\\), is neither"):
        b.build_model([x], [out])


def test_a_state_stream_that_depends_on_its_own_stage_is_a_cycle():
    b = ml.GraphBuilder()
    x = b.create_table_id()
    stage = SumModel()
    out = b.get_outputs(stage, x)[0]
    b.set_state_streams(stage, out)
    with pytest.raises(ValueError, match="stage 0 \\(SumModel\\) depends on its own output"):
        b.build_model([x], [out])


def test_unreturned_outputs_are_named():
    b = ml.GraphBuilder()
    x = b.create_table_id()
    second = b.get_outputs(SumModel(), x)[1]
    model = b.build_model([x], [second])
    with pytest.raises(ValueError, match="stage 0 \\(SumModel\\) returned fewer tables than 2"):
        model.transform(xs(1))
    with pytest.raises(ValueError, match="GraphModel: no schema for outputs"):
        model.transform_schemas(xs().schema)


def test_transformer_inputs_are_not_available_while_fitting():
    b = ml.GraphBuilder()
    train, serve = b.create_table_id(), b.create_table_id("serve")
    served = b.get_outputs(SumModel(), serve)[0]
    out = b.get_outputs(SumEstimator(), estimator_inputs=[served], transformer_inputs=[train])[0]
    graph = b.build(estimator_inputs=[train], transformer_inputs=[serve], outputs=[out])
    with pytest.raises(ValueError, match="TableId\\(2, 'serve'\\) is a graph input that has no table here"):
        graph.fit(xs(1))


def test_params_read_back_from_attributes():
    stage = SumEstimator("y")
    assert stage.get_params() == {"column": "y"}
    assert stage.set_params(column="z") is stage and stage.column == "z"
    with pytest.raises(ValueError, match="SumEstimator: unknown parameter 'colum'; parameters: \\['column'\\]"):
        stage.set_params(colum="x")
    scaler = ml.StandardScaler(["a"], with_std=False)
    assert scaler.get_params() == {"columns": ["a"], "with_mean": True, "with_std": False, "parallelism": None}


def test_local_classes_cannot_be_saved(tmp_path):
    class Local(SumModel):
        pass

    with pytest.raises(TypeError, match="Local: a class defined inside a function cannot be loaded back"):
        Local().save(str(tmp_path / "local"))
    assert not (tmp_path / "local").exists()


def test_params_must_be_attributes():
    class Forgetful(SumModel):
        def __init__(self, column="x", scale=1.0):
            super().__init__(column)

    with pytest.raises(AttributeError, match="Forgetful: parameter 'scale' is not stored as attribute self.scale"):
        Forgetful().get_params()


def test_schema_mismatch_names_stage_and_column():
    with pytest.raises(ValueError, match="SumModel: column 'x' not found"):
        ml.PipelineModel([SumModel()]).transform_schemas(pa.schema({"y": pa.int64()}))
    with pytest.raises(ValueError, match="StandardScaler: column 'b' not found; available columns: \\['a'\\]"):
        ml.StandardScaler(["b"]).fit(pa.table({"a": [1.0]}))
    with pytest.raises(TypeError, match="StandardScalerModel: column 'a' must be numeric, not string"):
        ml.StandardScalerModel(["a"], [0.0], [1.0]).transform(pa.table({"a": ["s"]}))
