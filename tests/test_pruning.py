"""Row-group pruning by Parquet statistics (``headrace._pruning``): a pruned row group holds
no row the filter passes, whatever the column type, the constant's type, nulls or the
row-group size; and sorted data is pruned."""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import col, lit
from headrace._footers import footer
from headrace._pruning import kept_row_groups
from headrace._scan import FileScan

DAY = datetime.date(2024, 1, 1)
OPS = ["<", "<=", ">", ">=", "=="]


def _term(name: str, op: str, value: object, flipped: bool) -> hr.Expr:
    column, constant = col(name), lit(value)
    if flipped:  # the constant on the left
        column, constant = constant, column
    return {"<": column < constant, "<=": column <= constant, ">": column > constant,
            ">=": column >= constant, "==": column == constant}[op]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=0, max_size=120),
       sort=st.booleans(), group=st.integers(1, 40), op=st.sampled_from(OPS), constant=st.integers(-60, 60),
       kind=st.sampled_from(["int32", "date", "decimal", "string"]), flipped=st.booleans())
def test_a_pruned_row_group_holds_no_passing_row(tmp_path: Path, values: list[int | None], sort: bool, group: int,
                                                 op: str, constant: int, kind: str, flipped: bool) -> None:
    if sort:
        values = sorted(values, key=lambda v: (v is None, v))
    as_type = {
        "int32": (pa.int32(), lambda v: v, lambda c: c),
        "date": (pa.date32(), lambda v: DAY + datetime.timedelta(days=v), lambda c: DAY + datetime.timedelta(days=c)),
        "decimal": (pa.decimal128(9, 2), lambda v: decimal.Decimal(v) / 4, lambda c: c // 4),  # an int beside decimals
        "string": (pa.string(), lambda v: f"{v + 100:04d}é", lambda c: f"{c + 100:04d}é"),
    }[kind]
    arrow_type, convert, literal = as_type
    table = pa.table({"x": pa.array([None if v is None else convert(v) for v in values], arrow_type)})
    path = str(tmp_path / "p.parquet")
    pq.write_table(table, path, row_group_size=group)
    scan = FileScan("parquet", path)
    term = _term("x", op, literal(constant), flipped)
    kept = kept_row_groups(footer(path), scan.schema, term)
    passing = term.evaluate(table).to_pylist()
    for i, passes in enumerate(passing):
        if passes:
            assert i // group in kept, f"row {i} passes but its row group was pruned"
    # The scan's answer is the filter's, pruning or not.
    got = hr.read_parquet(path).filter(term).collect().column("x").to_pylist()
    assert got == [v for v, p in zip(table.column("x").to_pylist(), passing) if p]


def test_sorted_data_is_pruned_and_every_form_of_term_counts(tmp_path: Path) -> None:
    path = str(tmp_path / "s.parquet")
    pq.write_table(pa.table({"x": list(range(100)), "f": [float(i) for i in range(100)]}), path, row_group_size=10)
    schema = FileScan("parquet", path).schema
    parsed = footer(path)
    assert kept_row_groups(parsed, schema, (col("x") >= 35) & (col("x") < 52)) == [3, 4, 5]
    assert kept_row_groups(parsed, schema, col("x") == 77) == [7]
    assert kept_row_groups(parsed, schema, lit(15) > col("x")) == [0, 1]
    assert kept_row_groups(parsed, schema, col("x") < lit(10).cast(pa.int64()) + 5) == [0, 1]  # a folded constant
    # Terms it does not read keep every row group: other operators, column pairs, floats.
    everything = list(range(10))
    assert kept_row_groups(parsed, schema, col("x") != 5) == everything
    assert kept_row_groups(parsed, schema, col("x") < col("f")) == everything
    assert kept_row_groups(parsed, schema, col("f") < 5.0) == everything
    assert kept_row_groups(parsed, schema, col("x") > None) == everything  # the filter drops every row


@pytest.mark.parametrize("statistics", [False, True])
def test_files_without_statistics_and_string_views_are_read_right(tmp_path: Path, statistics: bool) -> None:
    path = str(tmp_path / "v.parquet")
    table = pa.table({"s": pa.array([f"k{i:03d}" for i in range(60)], pa.string_view()), "n": list(range(60))})
    pq.write_table(table, path, row_group_size=20, write_statistics=statistics)
    scan = FileScan("parquet", path)
    assert kept_row_groups(footer(path), scan.schema, col("s") >= "k045") == ([2] if statistics else [0, 1, 2])
    got = hr.read_parquet(path).filter(col("s") >= "k045").collect()
    assert got.column("n").to_pylist() == list(range(45, 60))


def test_answers_are_kept_with_the_file_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from headrace import _pruning

    tested: list[hr.Expr] = []
    keeps = _pruning._keeps

    def counted(term: hr.Expr, parsed: object, schema: pa.Schema) -> object:
        tested.append(term)
        return keeps(term, parsed, schema)

    monkeypatch.setattr(_pruning, "_keeps", counted)
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"x": list(range(100))}), path, row_group_size=25)
    schema = pa.schema({"x": pa.int64()})
    between = (col("x") >= 30) & (col("x") < 60)
    assert kept_row_groups(footer(path), schema, between) == [1, 2] and len(tested) == 2
    # The same predicate, built again: answered from the footer, no term tested.
    assert kept_row_groups(footer(path), schema, (col("x") >= 30) & (col("x") < 60)) == [1, 2] and len(tested) == 2
    assert kept_row_groups(footer(path), schema, col("x") >= 80) == [3] and len(tested) == 3
    # Read as another type, or with a literal of another type: tested again.
    assert kept_row_groups(footer(path), pa.schema({"x": pa.int32()}), col("x") >= 80) == [3] and len(tested) == 4
    assert kept_row_groups(footer(path), schema, col("x") >= 80.5) == [3] and len(tested) == 5
    # The file rewritten: its new statistics answer.
    pq.write_table(pa.table({"x": list(range(99, -1, -1))}), path, row_group_size=25)
    assert kept_row_groups(footer(path), schema, col("x") >= 80) == [0] and len(tested) == 6
