"""hr.io's registry: from_/to namespaces, registration (latest wins), argument checks,
source() arguments, and that hr.io loads only on first use."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from typing import Any

import pytest

import headrace as hr

io = hr.io


@pytest.fixture
def restore_registry():
    from headrace.io import _registry

    loaders, savers = dict(_registry._LOADERS), dict(_registry._SAVERS)
    yield
    _registry._LOADERS.clear()
    _registry._LOADERS.update(loaders)
    _registry._SAVERS.clear()
    _registry._SAVERS.update(savers)


def make_loader(format_name: str, text: str) -> type:
    @dataclasses.dataclass
    class Loader(io.DataLoader):
        greeting: str = "hi"

        @classmethod
        def name(cls) -> str:
            return format_name

        @classmethod
        def applicable_types(cls) -> list[type]:
            return [str]

        def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
            return f"{self.greeting} {text}", {}

    return Loader


def test_import_headrace_does_not_load_hr_io():
    code = "import sys, headrace; print('headrace.io' in sys.modules, 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]


def test_hr_io_is_reachable_and_complete():
    assert "io" in dir(hr)
    assert hr.io.Dataflow is io.Dataflow
    for name in io.__all__:
        assert getattr(io, name) is not None


def test_builtin_formats():
    # other tests and the docs' examples may have registered more formats
    builtin = {"csv", "feather", "ipc", "json", "memory", "ndjson", "npy", "parquet", "pickle"}
    assert builtin <= set(io.loader_formats()) and builtin <= set(io.saver_formats())
    assert io.loader_formats() == sorted(dir(io.from_))


def test_unknown_format_lists_the_available_ones():
    known = re.escape(", ".join(io.loader_formats()))
    with pytest.raises(AttributeError, match=rf"hr.io.from_: unknown format 'xlsx'; available: {known}$"):
        getattr(io.from_, "xlsx")  # noqa: B009 - the attribute lookup is what is tested
    with pytest.raises(AttributeError, match=r"hr.io.to: unknown format 'xlsx'; available: csv, .*pickle"):
        getattr(io.to, "xlsx")  # noqa: B009


def test_register_as_decorator_makes_the_format_available_at_once(restore_registry):
    cls = io.register(make_loader("greeting", "ann"))
    assert "greeting" in io.loader_formats()
    assert "greeting" not in io.saver_formats()
    spec = io.from_.greeting(target="msg", greeting="hello")
    assert spec.loader({}).load_data(str)[0] == "hello ann"
    assert spec.cls is cls


def test_latest_registration_wins(restore_registry):
    io.register(make_loader("greeting", "ann"))
    io.register(make_loader("greeting", "bob"))
    flow = io.Dataflow({"shout": lambda msg: msg.upper()})
    _, results = flow.materialize(io.from_.greeting(target="msg"), outputs=["shout"])
    assert results == {"shout": "HI BOB"}


def test_a_builtin_can_be_replaced(restore_registry):
    io.register(make_loader("csv", "from my csv"))
    assert io.from_.csv(target="x").loader({}).load_data(str)[0] == "hi from my csv"


def test_register_refuses_what_is_not_a_loader_or_saver_dataclass(restore_registry):
    with pytest.raises(TypeError, match="expected a DataLoader or DataSaver subclass"):
        io.register(dict)

    class Plain(io.DataLoader):
        @classmethod
        def name(cls) -> str:
            return "plain"

        @classmethod
        def applicable_types(cls) -> list[type]:
            return [str]

        def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
            return "", {}

    with pytest.raises(TypeError, match="Plain must be a dataclass"):
        io.register(Plain)
    with pytest.raises(ValueError, match="must be an identifier, got 'not a name'"):
        io.register(make_loader("not a name", "x"))


def test_unknown_and_missing_arguments_are_named():
    with pytest.raises(TypeError, match=r"from_.parquet\(target='x'\): unknown argument 'pth' \(arguments: path, "):
        io.from_.parquet(target="x", pth="a.parquet")
    with pytest.raises(TypeError, match=r"from_.parquet\(target='x'\): missing argument 'path'"):
        io.from_.parquet(target="x")
    with pytest.raises(TypeError, match=r"to.csv\(id='out'\): unknown argument 'sep'"):
        io.to.csv(id="out", dependencies=["a"], path="a.csv", sep=";")
    with pytest.raises(TypeError, match="target must be the name of a node"):
        io.from_.csv(target=1, path="a.csv")


def test_saver_dependencies_and_combine():
    with pytest.raises(ValueError, match=r"to.csv\(id='out'\): 2 dependencies \['a', 'b'\] need combine="):
        io.to.csv(id="out", dependencies=["a", "b"], path="out.csv")
    with pytest.raises(ValueError, match="dependencies is empty"):
        io.to.csv(id="out", dependencies=[], path="out.csv")
    with pytest.raises(TypeError, match="dependencies must be a list of node names, got 'a'"):
        io.to.csv(id="out", dependencies="a", path="out.csv")
    with pytest.raises(TypeError, match="combine must be callable"):
        io.to.csv(id="out", dependencies=["a", "b"], combine="concat", path="out.csv")
    with pytest.raises(TypeError, match="id must be a non-empty string"):
        io.to.csv(id="", dependencies=["a"], path="out.csv")
    spec = io.to.memory(id="m", dependencies=["a", "b"], combine=lambda a, b: a + b, store={}, key="k")
    assert spec.value({"a": 1, "b": 2, "c": 100}) == 3


def test_pickle_needs_allow_pickle():
    with pytest.raises(ValueError, match="from_.pickle: pickle files run arbitrary code .* allow_pickle=True"):
        io.from_.pickle(target="x", path="x.pkl")
    with pytest.raises(ValueError, match="to.pickle: .*allow_pickle=True"):
        io.to.pickle(id="x", dependencies=["x"], path="x.pkl", allow_pickle="yes")
    assert io.from_.pickle(target="x", path="x.pkl", allow_pickle=True).loader({}).allow_pickle


def test_source_arguments_come_from_the_inputs():
    spec = io.to.csv(id="out", dependencies=["a"], path=io.source("where"), delimiter=io.source("sep"))
    saver = spec.saver({"where": "out.csv", "sep": ";"})
    assert (saver.path, saver.delimiter) == ("out.csv", ";")
    with pytest.raises(ValueError, match=r"to.csv\(id='out'\): argument path=source\('where'\) is not among the "
                                         r"run's inputs \(sep\)"):
        spec.saver({"sep": ";"})


def test_source_checks_run_when_the_arguments_are_known():
    spec = io.from_.pickle(target="x", path="x.pkl", allow_pickle=io.source("trust"))  # not checked yet
    with pytest.raises(ValueError, match="allow_pickle=True"):
        spec.loader({"trust": False})


def test_submodule_doctests():
    attempted = 0
    for info in pkgutil.iter_modules(io.__path__, "headrace.io."):
        result = doctest.testmod(importlib.import_module(info.name),
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted >= 10  # Dataflow, source, DataLoader
