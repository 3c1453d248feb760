"""Dataflow: execute versus materialize, only the needed nodes running (each once),
inputs, overrides, source() arguments, combine, metadata, and its errors."""

from __future__ import annotations

import os
import sys
import types

import pyarrow as pa
import pytest

import headrace as hr

io = hr.io


def counted_flow(calls: list[str]) -> io.Dataflow:
    """raw -> cleaned -> {stats, report}; expensive is off to the side."""

    def cleaned(raw: pa.Table) -> pa.Table:
        calls.append("cleaned")
        return raw.filter(pa.compute.greater(raw["x"], 0))

    def stats(cleaned: pa.Table) -> pa.Table:
        calls.append("stats")
        return pa.table({"n": [cleaned.num_rows], "total": [pa.compute.sum(cleaned["x"]).as_py()]})

    def report(cleaned: pa.Table, stats: pa.Table) -> str:
        calls.append("report")
        return f"{cleaned.num_rows} rows, total {stats['total'][0]}"

    def expensive(raw: pa.Table) -> pa.Table:
        calls.append("expensive")
        return raw

    return io.Dataflow({"cleaned": cleaned, "stats": stats, "report": report, "expensive": expensive})


RAW = pa.table({"x": [-1, 2, 3]})


def test_execute_runs_only_the_needed_nodes_once_each():
    calls: list[str] = []
    flow = counted_flow(calls)
    assert flow.execute(["report", "stats"], inputs={"raw": RAW})["report"] == "2 rows, total 5"
    assert sorted(calls) == ["cleaned", "report", "stats"]  # cleaned is read twice, computed once
    calls.clear()
    assert flow.execute(["cleaned"], inputs={"raw": RAW})["cleaned"].num_rows == 2
    assert calls == ["cleaned"]


def test_overrides_replace_a_node_and_what_only_it_needs():
    calls: list[str] = []
    out = counted_flow(calls).execute(["report"], overrides={"cleaned": pa.table({"x": [10]})})
    assert out == {"report": "1 rows, total 10"}
    assert calls == ["stats", "report"]  # no raw is needed: cleaned is given


def test_materialize_loads_computes_and_saves_only_what_is_asked(tmp_path):
    calls: list[str] = []
    hr.from_arrow(RAW).write_parquet(str(tmp_path / "raw.parquet"))
    meta, results = counted_flow(calls).materialize(
        io.from_.parquet(target="raw", path=io.source("raw_path")),
        io.from_.parquet(target="unused", path=str(tmp_path / "missing.parquet")),  # not needed: never opened
        io.to.csv(id="stats_csv", dependencies=["stats"], path=str(tmp_path / "stats.csv")),
        outputs=["cleaned"],
        inputs={"raw_path": str(tmp_path / "raw.parquet")},
    )
    assert sorted(calls) == ["cleaned", "stats"]
    assert results["cleaned"].to_pydict() == {"x": [2, 3]}
    m = meta["stats_csv"]
    assert set(m) == {"path", "rows", "bytes", "columns", "seconds"}
    assert (m["path"], m["rows"], m["columns"]) == (str(tmp_path / "stats.csv"), 1, ["n", "total"])
    assert m["bytes"] == os.path.getsize(tmp_path / "stats.csv") and m["seconds"] >= 0
    assert hr.read_csv(str(tmp_path / "stats.csv")).collect().to_pydict() == {"n": [2], "total": [5]}
    assert sorted(os.listdir(tmp_path)) == ["raw.parquet", "stats.csv"]


def test_a_loader_can_replace_a_function(tmp_path):
    calls: list[str] = []
    hr.from_arrow({"x": [7, 8]}).write_ipc(str(tmp_path / "c.arrow"))
    _, results = counted_flow(calls).materialize(io.from_.ipc(target="cleaned", path=str(tmp_path / "c.arrow")),
                                                 outputs=["report"])
    assert results == {"report": "2 rows, total 15"}
    assert calls == ["stats", "report"]


def test_overrides_win_over_loaders():
    calls: list[str] = []
    _, results = counted_flow(calls).materialize(io.from_.csv(target="raw", path="never-read.csv"),
                                                 outputs=["cleaned"], overrides={"raw": pa.table({"x": [4]})})
    assert results["cleaned"].to_pydict() == {"x": [4]}


def test_combine_saves_several_nodes_as_one_value(tmp_path):
    calls: list[str] = []
    path = str(tmp_path / "both.json")
    meta, _ = counted_flow(calls).materialize(
        io.to.json(id="both", dependencies=["stats", "report"], path=path,
                   combine=lambda stats, report: stats.append_column("report", pa.array([report]))),
        inputs={"raw": RAW})
    assert meta["both"]["columns"] == ["n", "total", "report"]
    loaded, _ = io.from_.json(target="t", path=path).loader({}).load_data(pa.Table)
    assert loaded.to_pylist() == [{"n": 2, "total": 5, "report": "2 rows, total 5"}]


def test_one_node_saved_to_several_formats(tmp_path):
    calls: list[str] = []
    formats = ["parquet", "csv", "ipc", "json", "ndjson"]
    savers = [getattr(io.to, f)(id=f, dependencies=["cleaned"], path=str(tmp_path / f"c.{f}")) for f in formats]
    meta, _ = counted_flow(calls).materialize(*savers, inputs={"raw": RAW})
    assert calls == ["cleaned"]
    assert {k: m["rows"] for k, m in meta.items()} == dict.fromkeys(formats, 2)


def test_optional_parameters_use_their_default_unless_given():
    def scaled(x: float, factor: float = 2.0) -> float:
        return x * factor

    flow = io.Dataflow({"scaled": scaled})
    assert flow.execute(["scaled"], inputs={"x": 3}) == {"scaled": 6.0}
    assert flow.execute(["scaled"], inputs={"x": 3, "factor": 10}) == {"scaled": 30}
    assert flow.dependencies("scaled") == ["x", "factor"]


def test_a_module_gives_its_public_functions():
    module = types.ModuleType("pipeline_mod")
    exec(  # noqa: S102 - a module made for the test
        "from os.path import join\n"
        "def a(x):\n    return x + 1\n"
        "def b(a):\n    return a * 10\n"
        "def _helper(b):\n    return b\n", module.__dict__)
    flow = io.Dataflow(module)
    assert flow.nodes == ["a", "b"]  # not the imported join, not _helper
    assert flow.execute(["b"], inputs={"x": 1}) == {"b": 20}


def test_memory_saver_and_loader():
    store: dict = {"numbers": [1, 2, 3]}
    flow = io.Dataflow({"total": lambda numbers: sum(numbers)})
    meta, _ = flow.materialize(io.from_.memory(target="numbers", store=store, key="numbers"),
                               io.to.memory(id="t", dependencies=["total"], store=store, key="total"))
    assert store["total"] == 6
    assert (meta["t"]["path"], meta["t"]["rows"]) == (None, None)


def test_errors_name_what_is_wrong():
    calls: list[str] = []
    flow = counted_flow(calls)
    with pytest.raises(ValueError, match=r"Dataflow: 'cleaned' needs 'raw', which is neither a function"):
        flow.execute(["report"])
    with pytest.raises(ValueError, match=r"Dataflow: unknown node 'nope' \(functions: cleaned, stats, report"):
        flow.execute(["nope"], inputs={"raw": RAW})
    with pytest.raises(ValueError, match=r"inputs \['stats'\] are computed by functions; pass them in overrides="):
        flow.execute(["report"], inputs={"raw": RAW, "stats": RAW})
    with pytest.raises(TypeError, match=r"outputs must be a list of names, not one string \(use \['report'\]\)"):
        flow.execute("report", inputs={"raw": RAW})
    with pytest.raises(TypeError, match=r"Dataflow.materialize: expected hr.io.from_.<format>\(...\)"):
        flow.materialize("stats.csv", inputs={"raw": RAW})
    twice = [io.to.memory(id="s", dependencies=["stats"], store={}, key="k")] * 2
    with pytest.raises(ValueError, match="two savers with id 's'"):
        flow.materialize(*twice, inputs={"raw": RAW})
    assert calls == []


def test_cycles_and_bad_functions_are_refused():
    flow = io.Dataflow({"a": lambda b: b, "b": lambda c: c, "c": lambda a: a})
    with pytest.raises(ValueError, match="the functions form a cycle: a -> b -> c -> a"):
        flow.execute(["a"])
    with pytest.raises(TypeError, match=r"node 'f' has parameter \*args"):
        io.Dataflow({"f": lambda *args: 1})
    with pytest.raises(ValueError, match="node names must be identifiers, got 'a b'"):
        io.Dataflow({"a b": lambda: 1})
    with pytest.raises(TypeError, match="node 'f' is not callable"):
        io.Dataflow({"f": 3})
    with pytest.raises(TypeError, match="expected a module or a mapping"):
        io.Dataflow([len])


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are new in Python 3.11")
def test_a_failing_node_raises_its_own_error_naming_the_node():
    def broken(x):
        raise ZeroDivisionError("no")

    with pytest.raises(ZeroDivisionError, match="no") as info:
        io.Dataflow({"broken": broken}).execute(["broken"], inputs={"x": 1})
    assert "(while computing node 'broken' of the Dataflow)" in info.value.__notes__
