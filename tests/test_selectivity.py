"""Filter shares estimated from Parquet statistics, and the join build sides they choose."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import col
from headrace._join import FILTER_SELECTIVITY, GROUPBY_SELECTIVITY, Prepared, known_rows
from headrace._scan import FileScan
from headrace._selectivity import GRID, filter_share

DAY0 = datetime.date(1992, 1, 1)


def uniform_table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 2500, rows)
    return pa.table({
        "d": pa.array([DAY0 + datetime.timedelta(days=int(x)) for x in days], pa.date32()),
        "i": pa.array(rng.integers(-1000, 1000, rows)),
        "p": pa.array([Decimal(int(x)) / 100 for x in rng.integers(90000, 10500000, rows)], pa.decimal128(15, 2)),
        "s": pa.array(rng.choice(["a", "b", "c"], rows)),
    })


@pytest.fixture(scope="module")
def uniform(tmp_path_factory):
    table = uniform_table(20000)
    path = tmp_path_factory.mktemp("sel") / "u.parquet"
    pq.write_table(table, path, row_group_size=3000)
    return FileScan("parquet", [str(path)]), table


def true_share(table: pa.Table, predicate: hr.Expr) -> float:
    kept = predicate.evaluate(table)
    return float(np.count_nonzero(pa.array(kept).fill_null(False).to_numpy(zero_copy_only=False))) / table.num_rows


@settings(max_examples=40, deadline=None)
@given(start=st.integers(-100, 2600), days=st.integers(0, 2700), low=st.integers(-1100, 1100),
       width=st.integers(0, 2200), op=st.sampled_from(["<", "<=", ">", ">="]))
def test_range_terms_estimate_the_share_of_evenly_spread_values(uniform, start, days, low, width, op):
    scan, table = uniform
    begin = DAY0 + datetime.timedelta(days=start)
    dates = (col("d") >= begin) & (col("d") < begin + datetime.timedelta(days=days))
    ints = {"<": col("i") < low, "<=": col("i") <= low, ">": col("i") > low, ">=": col("i") >= low}[op]
    both = dates & ints & (col("i") < low + width)
    for predicate in (dates, ints, both):
        # Independent columns, evenly spread: within sampling noise and the grid's step.
        assert filter_share(scan, predicate, 0.2) == pytest.approx(true_share(table, predicate), abs=0.03)


def test_terms_of_one_column_are_taken_together(uniform):
    scan, table = uniform
    month = (col("d") >= datetime.date(1995, 9, 1)) & (col("d") < datetime.date(1995, 10, 1))
    share = filter_share(scan, month, 0.2)
    assert share == pytest.approx(30 / 2500, abs=0.003)  # not the product of the two halves
    assert share == pytest.approx(true_share(table, month), abs=0.005)


def test_decimal_and_folded_date_terms(uniform):
    scan, table = uniform
    cheap = col("p") < Decimal("10500")
    assert filter_share(scan, cheap, 0.2) == pytest.approx(true_share(table, cheap), abs=0.03)
    start = hr.lit(datetime.date(1994, 1, 1))
    year = (col("d") >= start) & (col("d") < start.dt.add_months(12))
    assert filter_share(scan, year, 0.2) == pytest.approx(365 / 2500, abs=0.01)


def test_other_terms_keep_the_default_share_together(uniform):
    scan, _ = uniform
    assert filter_share(scan, col("s") == "a", 0.2) == 0.2
    assert filter_share(scan, (col("s") == "a") & (col("i") < col("i") + 1), 0.2) == 0.2  # once, not per term
    assert filter_share(scan, (col("i") < 0) & (col("s").isin(["a", "b"])), 0.2) == pytest.approx(0.5 * 0.2, abs=0.01)


def test_no_statistics_or_no_grid_point_passing(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"i": list(range(100))}), path, write_statistics=False)
    assert filter_share(FileScan("parquet", [str(path)]), col("i") < 10, 0.2) == 0.2
    path = tmp_path / "w.parquet"
    pq.write_table(pa.table({"i": list(range(100))}), path)
    scan = FileScan("parquet", [str(path)])
    assert filter_share(scan, col("i") > 1000, 0.2) == 0.5 / GRID  # none: a little, never nothing
    # a grid of integers holds each of 100 values about 10 times: one value is about 1/100
    assert filter_share(scan, col("i") == 5, 0.2) == pytest.approx(1 / 100, abs=0.002)


def test_several_files_span_every_file(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pq.write_table(pa.table({"i": list(range(0, 500))}), a)
    pq.write_table(pa.table({"i": list(range(500, 1000))}), b)
    scan = FileScan("parquet", [str(a), str(b)])
    assert filter_share(scan, col("i") < 250, 0.2) == pytest.approx(0.25, abs=0.01)


def test_a_selective_range_filter_builds_the_join(tmp_path):
    """A month of a big table's dates against a whole smaller table: the filtered side is
    the smaller one and builds (TPC-H Q14); without the statistics the guessed fifth of the
    big table would be larger and the small table would build."""
    big, small = tmp_path / "big.parquet", tmp_path / "small.parquet"
    table = uniform_table(20000)
    pq.write_table(table.append_column("k", pa.array(np.arange(20000) % 3000)), big, row_group_size=5000)
    pq.write_table(pa.table({"k": np.arange(3000), "v": np.arange(3000)}), small)
    month = (col("d") >= datetime.date(1995, 9, 1)) & (col("d") < datetime.date(1995, 10, 1))
    lines = hr.read_parquet(str(big)).filter(month)
    joined = lines.join(hr.read_parquet(str(small)), on="k")
    assert known_rows(lines._node) == pytest.approx(20000 * 30 / 2500, rel=0.1)
    assert Prepared._smaller(joined._node) == "left"
    assert 20000 * FILTER_SELECTIVITY > 3000  # the old guess would have built the right side
    # and the answer is the same whichever side builds
    expected = joined.collect().sort_by([("k", "ascending"), ("i", "ascending"), ("d", "ascending")])
    other = lines.join(hr.read_parquet(str(small)), on="k", build="right").collect()
    assert other.sort_by([("k", "ascending"), ("i", "ascending"), ("d", "ascending")]).equals(expected)


def test_a_group_by_is_guessed_a_tenth_of_its_input(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"k": np.arange(1000) % 7, "v": np.arange(1000)}), path)
    scan = hr.read_parquet(str(path))
    assert known_rows(scan.groupby("k").agg(n=("v", "count"))._node) == 1000 * GROUPBY_SELECTIVITY
    assert known_rows(scan.agg(n=("v", "count"))._node) == 1


def test_int64_columns_spanning_the_whole_range(tmp_path):
    path = tmp_path / "wide.parquet"
    values = [-(2**63), 0, 2**63 - 1]
    pq.write_table(pa.table({"i": pa.array(values, pa.int64())}), path)
    scan = FileScan("parquet", [str(path)])
    assert filter_share(scan, col("i") >= 0, 0.2) == pytest.approx(0.5, abs=0.01)
    path = tmp_path / "unsigned.parquet"
    pq.write_table(pa.table({"u": pa.array([0, 2**64 - 1], pa.uint64())}), path)
    assert filter_share(FileScan("parquet", [str(path)]), col("u") < 2**63, 0.2) == pytest.approx(0.5, abs=0.01)


def test_one_planning_estimates_a_filter_once(tmp_path, monkeypatch):
    """Every join asks about its whole subtree: the planner's memo keeps a filter's
    statistics estimate from being recomputed by each join above it."""
    path = tmp_path / "t.parquet"
    pq.write_table(uniform_table(2000).append_column("k", pa.array(np.arange(2000))), path)
    calls = []

    def counted(*args):
        calls.append(args)
        return filter_share(*args)

    monkeypatch.setattr("headrace._join.filter_share", counted)
    small = hr.from_arrow({"k": list(range(50))})
    plan = hr.read_parquet(str(path)).filter(col("i") < 0)
    for _ in range(3):
        plan = plan.join(small, on="k")
    assert plan.count() == pa.table({"k": list(range(50))}).join(
        uniform_table(2000).append_column("k", pa.array(np.arange(2000))), "k").filter(
        pa.compute.field("i") < 0).num_rows
    assert len(calls) == 1
