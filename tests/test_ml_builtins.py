"""StandardScaler and LinearRegression against numpy references; batch splits and parallelism
do not change the fitted model beyond rounding."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr

ml = hr.ml


def close(a, b, rel=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.linalg.norm(a - b) <= rel * max(np.linalg.norm(b), 1e-300)


def split(table: pa.Table, rows: int) -> hr.DataStream:
    return hr.from_batches([table.slice(i, rows) for i in range(0, table.num_rows, rows)], schema=table.schema)


def regression_data(seed: int, n: int, p: int) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) * rng.uniform(0.5, 20, p) + rng.uniform(-50, 50, p)
    y = x @ rng.normal(size=p) + rng.normal() * 10 + rng.normal(size=n)
    columns = {f"f{i}": x[:, i] for i in range(p)}
    return pa.table({**columns, "y": y}), np.column_stack([x, y])


def test_ml_submodule_doctests():
    attempted = 0
    for info in pkgutil.iter_modules(ml.__path__, "headrace.ml."):
        result = doctest.testmod(importlib.import_module(info.name),
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted >= 20


def test_standard_scaler_matches_numpy(tmp_path):
    rng = np.random.default_rng(3)
    a, b = rng.normal(100, 5, 1000), rng.integers(-3, 9, 1000)
    table = pa.table({"a": a, "b": b, "k": np.arange(1000)})
    model = ml.StandardScaler(["a", "b"]).fit(split(table, 77))
    assert close(model.mean, [a.mean(), b.mean()]) and close(model.scale, [a.std(), b.std()])
    out = model.transform(table)[0].collect()
    assert out.schema == pa.schema({"a": pa.float64(), "b": pa.float64(), "k": pa.int64()})
    assert close(out["a"].to_numpy(), (a - a.mean()) / a.std())
    assert close(out["b"].to_numpy(), (b - b.mean()) / b.std())
    model.save(str(tmp_path / "s"))
    loaded = ml.StandardScalerModel.load(str(tmp_path / "s"))
    assert loaded.get_params() == model.get_params()
    assert loaded.transform(table)[0].collect().equals(out)


def test_standard_scaler_options_nulls_and_constant_columns():
    table = pa.table({"a": [1.0, None, 3.0], "c": [5.0, 5.0, 5.0]})
    model = ml.StandardScaler(["a", "c"], with_mean=False).fit(table)
    assert model.mean == [0.0, 0.0] and model.scale == [1.0, 1.0]  # a: std 1; c: std 0 keeps 1
    model = ml.StandardScaler(["a"], with_std=False).fit(table)
    assert model.mean == [2.0] and model.scale == [1.0]
    with pytest.raises(ValueError, match="StandardScaler: column 'a' has no values to fit"):
        ml.StandardScaler(["a"]).fit(pa.table({"a": pa.array([None], pa.float64())}))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), rows=st.integers(1, 120), workers=st.integers(1, 3))
def test_standard_scaler_ignores_batches_and_parallelism(seed, n, rows, workers):
    rng = np.random.default_rng(seed)
    values = rng.normal(rng.uniform(-1e4, 1e4), rng.uniform(0.1, 100), n)
    table = pa.table({"v": values})
    whole = ml.StandardScaler(["v"], parallelism=1).fit(table)
    parts = ml.StandardScaler(["v"], parallelism=workers).fit(split(table, rows))
    assert close(parts.mean, whole.mean) and close(whole.mean, [values.mean()])
    assert close(parts.scale, whole.scale) and close(whole.scale, [values.std() or 1.0])


def test_linear_regression_matches_lstsq(tmp_path):
    table, data = regression_data(11, 2000, 4)
    features = [f"f{i}" for i in range(4)]
    model = ml.LinearRegression(features, "y", parallelism=2).fit(split(table, 333))
    design = np.column_stack([data[:, :4], np.ones(len(data))])
    reference = np.linalg.lstsq(design, data[:, 4], rcond=None)[0]
    assert close([*model.coefficients, model.intercept], reference)
    out = model.transform(table)[0].collect()
    assert out.column_names == [*features, "y", "prediction"]
    assert close(out["prediction"].to_numpy(), design @ reference)
    model.save(str(tmp_path / "lr"))
    loaded = ml.load(str(tmp_path / "lr"))
    assert isinstance(loaded, ml.LinearRegressionModel)
    assert loaded.coefficients == model.coefficients and loaded.intercept == model.intercept


def test_linear_regression_without_intercept_and_in_a_pipeline():
    table, data = regression_data(5, 300, 2)
    model = ml.LinearRegression(["f0", "f1"], "y", fit_intercept=False).fit(table)
    reference = np.linalg.lstsq(data[:, :2], data[:, 2], rcond=None)[0]
    assert close(model.coefficients, reference) and model.intercept == 0.0
    pipeline = ml.Pipeline([ml.StandardScaler(["f0", "f1"]), ml.LinearRegression(["f0", "f1"], "y")])
    fitted = pipeline.fit(table)
    scaled = (data[:, :2] - data[:, :2].mean(0)) / data[:, :2].std(0)
    design = np.column_stack([scaled, np.ones(len(data))])
    expected = design @ np.linalg.lstsq(design, data[:, 2], rcond=None)[0]
    assert close(fitted.transform(table)[0].collect()["prediction"].to_numpy(), expected)
    schema = pipeline.transform_schemas(table.schema)[0]
    assert schema.field("prediction").type == pa.float64()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 400), p=st.integers(1, 4), rows=st.integers(1, 100),
       workers=st.integers(1, 3))
def test_linear_regression_ignores_batches_and_parallelism(seed, n, p, rows, workers):
    table, data = regression_data(seed, n, p)
    features = [f"f{i}" for i in range(p)]
    whole = ml.LinearRegression(features, "y", parallelism=1).fit(table)
    parts = ml.LinearRegression(features, "y", parallelism=workers).fit(split(table, rows))
    design = np.column_stack([data[:, :p], np.ones(n)])
    reference = np.linalg.lstsq(design, data[:, p], rcond=None)[0]
    assert close([*parts.coefficients, parts.intercept], [*whole.coefficients, whole.intercept])
    assert close([*whole.coefficients, whole.intercept], reference, rel=1e-7)


def test_linear_regression_errors_name_the_problem():
    with pytest.raises(ValueError, match="LinearRegression: the features \\['a', 'b'\\] are linearly dependent"):
        ml.LinearRegression(["a", "b"], "y").fit({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 6.0], "y": [1.0, 2.0, 4.0]})
    with pytest.raises(ValueError, match="LinearRegression: column 'y' not found"):
        ml.LinearRegression(["a"], "y").fit({"a": [1.0]})
    with pytest.raises(hr.PipelineError) as info:
        ml.LinearRegression(["a"], "y").fit({"a": [1.0, None], "y": [1.0, 2.0]})
    assert "LinearRegression: column 'a' has nulls" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="LinearRegression: nothing to fit"):
        empty = pa.array([], pa.float64())
        ml.LinearRegression(["a"], "y").fit(pa.table({"a": empty, "y": empty}))
    with pytest.raises(ValueError, match="LinearRegressionModel: output column 'a' already exists"):
        ml.LinearRegressionModel(["a"], [1.0], prediction="a").transform({"a": [1.0]})
