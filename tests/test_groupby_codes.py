"""Grouping by dictionary codes: a Parquet string column read dictionary-encoded that reaches
an aggregation only as a grouping key stays a dictionary, and the kernel groups by its codes
(cpp/kernels/group_codes.h). The results must be those of grouping the decoded strings,
whatever the dictionaries of the row groups, and the plan must fall back to decoding
whenever something else reads the column."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import configured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import col

CODES = "by the dictionary codes of"


def _expected(table: pa.Table, keys: list[str], aggs: list[tuple[str, str]]) -> list[tuple]:
    got = table.group_by(keys).aggregate(aggs)
    names = [f"{c}_{f}" for c, f in aggs] + keys
    return sorted(zip(*(got.column(n).to_pylist() for n in names)), key=repr)


def _rows(table: pa.Table, keys: list[str], outputs: list[str]) -> list[tuple]:
    return sorted(zip(*(table.column(n).to_pylist() for n in outputs + keys)), key=repr)


def _lines(rows: int, group_rows: int, seed: int) -> pa.Table:
    """Status-like strings (nulls, unicode, an empty string) whose order of first appearance
    differs from row group to row group, so each row group's dictionary numbers them
    differently."""
    flags = ["A", "N", "R", None, "日本", ""]
    modes = ["AIR", "MAIL", None, "TRUCK"]
    group = [i // group_rows for i in range(rows)]
    return pa.table({
        "flag": [flags[(i * 7 + seed + g) % len(flags)] for i, g in enumerate(group)],
        "mode": [modes[(i * 3 + seed + 2 * g) % len(modes)] for i, g in enumerate(group)],
        "qty": pa.array([(i * 13 + seed) % 50 for i in range(rows)], pa.int64()),
        "day": pa.array([(i * 11) % 365 for i in range(rows)], pa.int32()),
    })


@pytest.fixture
def lines_file(tmp_path: Path) -> tuple[Path, pa.Table]:
    # Row groups long enough for the scan to judge the dictionaries small (worth keeping).
    table = _lines(20_000, 5000, 3)
    path = tmp_path / "lines.parquet"
    pq.write_table(table, path, row_group_size=5000)
    return path, table


@pytest.mark.parametrize("reader", ["native", "pyarrow"])
@pytest.mark.parametrize("threads", [1, 2])
def test_a_q1_like_query_groups_by_codes(lines_file: tuple[Path, pa.Table], reader: str, threads: int) -> None:
    path, table = lines_file
    query = (hr.read_parquet(path)
             .filter(col("day") < 300)
             .with_columns(double=col("qty") * 2)
             .filter(col("qty") > 3)  # not pushed past the projection, does not read the keys
             .rename({"flag": "returnflag"})
             .groupby("returnflag", "mode")
             .agg(total=("double", "sum"), n=("*", "count"), low=("qty", "min")))
    with configured(threads=threads, parquet_reader=reader, batch_size=700):
        assert f"{CODES} returnflag, mode" in query.explain(as_text=True)
        got = query.collect()
    assert got.schema.field("returnflag").type == pa.string() and got.schema.field("mode").type == pa.string()
    kept = table.filter(pc.and_(pc.less(table["day"], 300), pc.greater(table["qty"], 3)))
    kept = kept.append_column("double", pc.multiply(kept["qty"], 2)).rename_columns(
        ["returnflag", "mode", "qty", "day", "double"])
    assert _rows(got, ["returnflag", "mode"], ["total", "n", "low"]) == _expected(
        kept, ["returnflag", "mode"], [("double", "sum"), ("qty", "count"), ("qty", "min")])


@pytest.mark.parametrize("query, reason", [
    (lambda s: s.groupby("flag").agg(n=("flag", "count")), "the key is aggregated too"),
    (lambda s: s.with_columns(x=col("qty") + 1).filter(col("flag") != "A").groupby("flag").agg(n=("*", "count")),
     "a filter that is not pushed into the scan reads the key"),
    (lambda s: s.with_columns(flag=col("flag").str.starts_with("A")).groupby("flag").agg(n=("*", "count")),
     "the key is computed from the column"),
    (lambda s: s.with_columns(other=col("flag")).groupby("flag", "other").agg(n=("*", "count")),
     "the column feeds two keys"),
    (lambda s: s.union(s).groupby("flag").agg(n=("*", "count")), "the scan has two readers"),
    (lambda s: s.sort("qty").groupby("flag").agg(n=("*", "count")), "a sort reads the column"),
])
def test_other_readers_of_the_column_see_strings(lines_file: tuple[Path, pa.Table], query, reason: str) -> None:
    path, table = lines_file
    stream = query(hr.read_parquet(path))
    assert CODES not in stream.explain(as_text=True), reason
    expected = query(hr.from_arrow(table)).collect()
    got = stream.collect()
    names = got.column_names
    assert sorted(zip(*(got.column(n).to_pylist() for n in names)), key=repr) == sorted(
        zip(*(expected.column(n).to_pylist() for n in names)), key=repr), reason


def test_maintain_order_and_first_follow_the_rows(tmp_path: Path) -> None:
    table = _lines(12_000, 4000, 5)
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=4000)
    query = hr.read_parquet(path).groupby("mode", "flag", maintain_order=True).agg(first=("qty", "first"))
    with configured(threads=2, batch_size=900):
        assert CODES in query.explain(as_text=True)
        got = query.collect()
    expected = hr.from_arrow(table).groupby("mode", "flag", maintain_order=True).agg(first=("qty", "first")).collect()
    assert got.to_pylist() == expected.to_pylist()


def test_a_large_dictionary_groups_by_value(tmp_path: Path) -> None:
    """Dictionaries too large for a code table (more combined codes than rows) hash the keys."""
    names = [f"name{i % 900}" for i in range(3000)]
    table = pa.table({"name": names, "tag": ["x", "y", "z"] * 1000, "v": list(range(3000))})
    path = tmp_path / "names.parquet"
    pq.write_table(table, path, row_group_size=1000)
    query = hr.read_parquet(path).groupby("name", "tag").agg(s=("v", "sum"))
    with configured(batch_size=200):
        got = query.collect()
    assert _rows(got, ["name", "tag"], ["s"]) == _expected(table, ["name", "tag"], [("v", "sum")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flags=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "ü", "", "a long string " * 3])), min_size=0,
                   max_size=120),
    group_rows=st.integers(1, 50),
    batch_size=st.integers(1, 40),
    threads=st.sampled_from([1, 2]),
)
def test_codes_match_pyarrow_for_any_batching(tmp_path_factory, flags: list[str | None], group_rows: int,
                                             batch_size: int, threads: int) -> None:
    table = pa.table({"flag": pa.array(flags, pa.string()),
                      "second": pa.array([None if i % 7 == 3 else str(i % 3) for i in range(len(flags))], pa.string()),
                      "v": pa.array(range(len(flags)), pa.int64())})
    path = tmp_path_factory.mktemp("codes") / "t.parquet"
    pq.write_table(table, path, row_group_size=group_rows)
    query = hr.read_parquet(path).groupby("flag", "second").agg(s=("v", "sum"), n=("*", "count"))
    with configured(threads=threads, batch_size=batch_size):
        got = query.collect()
    assert _rows(got, ["flag", "second"], ["s", "n"]) == _expected(table, ["flag", "second"], [("v", "sum"),
                                                                                             ("v", "count")])
