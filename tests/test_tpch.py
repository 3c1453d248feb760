"""TPC-H queries 1, 3, 4, 5, 6, 10, 12, 14 and 19 on the DataStream API against DuckDB's
answers on the same files (scale factor 0.1, generated once per session by tpchgen-cli).

Deselect with ``-m "not tpch"``. Set HEADRACE_TPCH_DIR to reuse a data cache across runs.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import threads

from headrace.benchmarks.tpch import answers, datagen, queries_duckdb, queries_headrace

pytestmark = pytest.mark.tpch
pytest.importorskip("duckdb")

SF = 0.1
QUERIES = sorted(queries_headrace.QUERIES)


@pytest.fixture(scope="session")
def tpch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if datagen.find_tpchgen() is None:
        pytest.skip("tpchgen-cli is not installed (pip install tpchgen-cli)")
    root = os.environ.get(datagen.ENV_VAR) or tmp_path_factory.mktemp("tpch")
    return datagen.tpch_data(SF, root=root)


@pytest.fixture(scope="session")
def duckdb_con(tpch_folder: Path) -> object:
    return queries_duckdb.connect(tpch_folder)


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{n}" for n in QUERIES])
def test_query_matches_duckdb(query: int, tpch_folder: Path, duckdb_con: object) -> None:
    with threads(2):
        got = queries_headrace.QUERIES[query](tpch_folder).collect()
    want = queries_duckdb.run(query, con=duckdb_con)
    assert want.num_rows > 0  # the substitution parameters select something at SF 0.1
    assert answers.differences(got, want, ordered=query in answers.ORDERED) == []


def test_one_thread_gives_the_same_answers(tpch_folder: Path, duckdb_con: object) -> None:
    # Q3 and Q10 take their top rows after a group-by over joins: the most order-sensitive.
    for query in (3, 10):
        with threads(1):
            got = queries_headrace.QUERIES[query](tpch_folder).collect()
        want = queries_duckdb.run(query, con=duckdb_con)
        assert answers.differences(got, want, ordered=True) == []


def test_money_stays_decimal(tpch_folder: Path) -> None:
    schema = queries_headrace.q1(tpch_folder).schema
    assert pa.types.is_decimal(schema.field("sum_charge").type)
    assert schema.field("sum_charge").type.scale == 6
    assert schema.field("avg_qty").type == pa.float64()


def test_answers_detect_a_wrong_answer(tpch_folder: Path, duckdb_con: object) -> None:
    want = queries_duckdb.run(1, con=duckdb_con)
    wrong = want.set_column(5, "sum_charge", pa.array([v.as_py() + (v.as_py().__class__("0.000001") if i == 2 else 0)
                                                      for i, v in enumerate(want.column(5))], want.column(5).type))
    assert answers.differences(wrong, want, ordered=True) == [
        f"row 2, column 'sum_charge': {wrong.column(5)[2].as_py()} where the reference has "
        f"{want.column(5)[2].as_py()}"]
    assert answers.differences(want.take([1, 0, 2, 3]), want, ordered=True) != []
    assert answers.differences(want.take([1, 0, 2, 3]), want, ordered=False) == []


def test_datagen_reuses_the_cache(tpch_folder: Path) -> None:
    stamp = (tpch_folder / "lineitem.parquet").stat().st_mtime_ns
    assert datagen.tpch_data(SF, root=tpch_folder.parent) == tpch_folder
    assert (tpch_folder / "lineitem.parquet").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tpch_folder.iterdir()) == sorted(f"{t}.parquet" for t in datagen.TABLES)


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{n}" for n in QUERIES])
def test_polars_versions_match_duckdb(query: int, tpch_folder: Path, duckdb_con: object) -> None:
    # The benchmark races these; a wrong answer would make its figures meaningless.
    pytest.importorskip("polars")
    from headrace.benchmarks.tpch import queries_polars

    got = queries_polars.QUERIES[query](tpch_folder).collect().to_arrow()
    want = queries_duckdb.run(query, con=duckdb_con)
    assert answers.differences(got, want, ordered=query in answers.ORDERED) == []


def test_the_bench_suite_checks_every_engine_against_the_others(tpch_folder: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from headrace.benchmarks._suite import SuiteOptions
    from headrace.benchmarks.tpch import suite

    monkeypatch.setenv(datagen.ENV_VAR, str(tpch_folder.parent))  # the workers find the session's data
    run = suite.run_suite(SuiteOptions(data_dir=tmp_path, threads=(1,), reps=1, peers=("duckdb",), quick=True,
                                       scale=SF))
    assert run.ok, (run.problems, [f.note for f in run.failed])
    assert {(f.engine, f.status) for f in run.figures} == {("headrace", "ok"), ("duckdb", "ok")}
    assert len(run.figures) == 2 * len(QUERIES)
    assert run.details["lineitem_rows"] == 600_572
    # The digest keeps decimals exact: a float where another engine has the decimal differs.
    table = pa.table({"revenue": pa.array([Decimal("1.10")], pa.decimal128(38, 2))})
    digest = suite.digest_of("q6")
    exact, rounded = digest(table), digest(table.cast(pa.schema({"revenue": pa.float64()})))
    assert exact["0.revenue"] == "1.1" and rounded["0.revenue"] == 1.1


@pytest.mark.parametrize("module", ["answers", "datagen", "queries_duckdb", "queries_headrace", "queries_polars"])
def test_module_doctests(module: str, tpch_folder: Path) -> None:
    # tests/test_docs.py runs the doctests of headrace's top-level modules only.
    import doctest
    import importlib

    found = importlib.import_module(f"headrace.benchmarks.tpch.{module}")
    result = doctest.testmod(found, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_datagen_errors_leave_no_data_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datagen, "find_tpchgen", lambda: None)
    with pytest.raises(datagen.TpchDataError, match="pip install tpchgen-cli"):
        datagen.tpch_data(0.01, root=tmp_path)
    # A generator that fails halfway: its error is reported, and neither the target folder
    # nor the staging folder is left.
    fake = tmp_path / "fake-tpchgen"
    fake.write_text("#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && touch \"$2/lineitem.parquet\"; shift; done\n"
                    "echo 'disk full' >&2; exit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(datagen, "find_tpchgen", lambda: str(fake))
    root = tmp_path / "cache"
    with pytest.raises(datagen.TpchDataError, match="exit 3.*disk full"):
        datagen.tpch_data(0.01, root=root)
    assert list(root.iterdir()) == []
    with pytest.raises(ValueError, match="positive"):
        datagen.tpch_folder(0, root=root)
