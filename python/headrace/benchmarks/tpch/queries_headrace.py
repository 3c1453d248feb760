"""TPC-H queries 1, 3, 4, 5, 6, 10, 12, 14 and 19 on headrace's DataStream API.

Each ``qN(folder)`` returns a lazy :class:`headrace.DataStream` over the Parquet files in
``folder`` (see :mod:`headrace.benchmarks.tpch.datagen`); ``collect()`` runs it. They are
written the way a user would write them: a scan per table, filters with ``hr.col``
expressions (pushed into the Parquet reader), joins (Q4 is a semi join), group-bys, sorts
and limits. SQL's date intervals are expressions too:
``date '1994-01-01' + interval '1' year`` is ``hr.lit(date(1994, 1, 1)).dt.add_years(1)``,
``- interval '90' day`` subtracts a ``datetime.timedelta``. Money stays decimal: sums of
decimals are exact decimals, as in DuckDB; means and the ratio of Q14 are floats.

Examples:
    >>> import tempfile
    >>> from headrace.benchmarks.tpch.datagen import tpch_data
    >>> folder = tpch_data(0.01, root=tempfile.mkdtemp())      # needs tpchgen-cli
    >>> q = QUERIES[6](folder)
    >>> q.schema
    revenue: decimal128(38, 4)
    >>> q.collect().column("revenue").to_pylist()
    [Decimal('1193053.2253')]
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path

import headrace as hr
from headrace import col

__all__ = ["QUERIES", "q1", "q3", "q4", "q5", "q6", "q10", "q12", "q14", "q19"]

Folder = str | os.PathLike[str]


def _scan(folder: Folder, table: str) -> hr.DataStream:
    return hr.read_parquet(Path(folder) / f"{table}.parquet")


def _date(text: str) -> hr.Expr:
    """SQL's ``date 'YYYY-MM-DD'``: a date literal (``.dt.add_months`` gives its intervals)."""
    return hr.lit(datetime.date.fromisoformat(text))


def _revenue() -> hr.Expr:
    """``l_extendedprice * (1 - l_discount)``: the discounted price of a line."""
    return col("l_extendedprice") * (1 - col("l_discount"))


def q1(folder: Folder) -> hr.DataStream:
    """Pricing summary report: lines shipped by a date, per return flag and line status."""
    return (
        _scan(folder, "lineitem")
        .filter(col("l_shipdate") <= _date("1998-12-01") - datetime.timedelta(days=90))
        .with_columns(disc_price=_revenue())
        .with_columns(charge=col("disc_price") * (1 + col("l_tax")))
        .groupby("l_returnflag", "l_linestatus")
        .agg(
            sum_qty=("l_quantity", "sum"),
            sum_base_price=("l_extendedprice", "sum"),
            sum_disc_price=("disc_price", "sum"),
            sum_charge=("charge", "sum"),
            avg_qty=("l_quantity", "mean"),
            avg_price=("l_extendedprice", "mean"),
            avg_disc=("l_discount", "mean"),
            count_order=("*", "count"),
        )
        .sort(["l_returnflag", "l_linestatus"])
    )


def q3(folder: Folder) -> hr.DataStream:
    """Shipping priority: the 10 unshipped orders of a market segment with the most revenue."""
    day = _date("1995-03-15")
    customers = _scan(folder, "customer").filter(col("c_mktsegment") == "BUILDING").select("c_custkey")
    orders = _scan(folder, "orders").filter(col("o_orderdate") < day)
    lines = _scan(folder, "lineitem").filter(col("l_shipdate") > day)
    return (
        orders.join(customers, left_on="o_custkey", right_on="c_custkey", how="semi")
        .join(lines, left_on="o_orderkey", right_on="l_orderkey")
        .with_columns(revenue=_revenue())
        .groupby("l_orderkey", "o_orderdate", "o_shippriority")
        .agg(revenue=("revenue", "sum"))
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .sort(["revenue", "o_orderdate"], descending=[True, False])
        .limit(10)
    )


def q4(folder: Folder) -> hr.DataStream:
    """Order priority checking: orders of a quarter with a line received late, per priority."""
    start = _date("1993-07-01")
    orders = _scan(folder, "orders").filter(
        (col("o_orderdate") >= start) & (col("o_orderdate") < start.dt.add_months(3)))
    late = _scan(folder, "lineitem").filter(col("l_commitdate") < col("l_receiptdate"))
    return (
        orders.join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .groupby("o_orderpriority")
        .agg(order_count=("*", "count"))
        .sort("o_orderpriority")
    )


def q5(folder: Folder) -> hr.DataStream:
    """Local supplier volume: revenue of a region's nations from suppliers of the customer's nation."""
    nations = (
        _scan(folder, "nation")
        .join(_scan(folder, "region").filter(col("r_name") == "ASIA"),
              left_on="n_regionkey", right_on="r_regionkey", how="semi")
        .select("n_nationkey", "n_name")
    )
    customers = _scan(folder, "customer").select("c_custkey", "c_nationkey")
    start = _date("1994-01-01")
    orders = _scan(folder, "orders").filter(
        (col("o_orderdate") >= start) & (col("o_orderdate") < start.dt.add_years(1)))
    suppliers = _scan(folder, "supplier").select("s_suppkey", "s_nationkey")
    return (
        customers.join(nations, left_on="c_nationkey", right_on="n_nationkey")
        .join(orders, left_on="c_custkey", right_on="o_custkey")
        .join(_scan(folder, "lineitem"), left_on="o_orderkey", right_on="l_orderkey")
        .join(suppliers, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "s_nationkey"])
        .with_columns(revenue=_revenue())
        .groupby("n_name")
        .agg(revenue=("revenue", "sum"))
        .sort("revenue", descending=True)
    )


def q6(folder: Folder) -> hr.DataStream:
    """Forecasting revenue change: revenue a discount range of one year's small orders brought."""
    start = _date("1994-01-01")
    return (
        _scan(folder, "lineitem")
        .filter((col("l_shipdate") >= start) & (col("l_shipdate") < start.dt.add_years(1))
                & col("l_discount").between(0.05, 0.07) & (col("l_quantity") < 24))
        .with_columns(revenue=col("l_extendedprice") * col("l_discount"))
        .agg(revenue=("revenue", "sum"))
    )


def q10(folder: Folder) -> hr.DataStream:
    """Returned item reporting: the 20 customers who lost the most revenue to returns in a quarter."""
    start = _date("1993-10-01")
    orders = _scan(folder, "orders").filter(
        (col("o_orderdate") >= start) & (col("o_orderdate") < start.dt.add_months(3)))
    lines = _scan(folder, "lineitem").filter(col("l_returnflag") == "R")
    nations = _scan(folder, "nation").select("n_nationkey", "n_name")
    return (
        orders.join(lines, left_on="o_orderkey", right_on="l_orderkey")
        .with_columns(revenue=_revenue())
        .groupby("o_custkey")
        .agg(revenue=("revenue", "sum"))
        .join(_scan(folder, "customer"), left_on="o_custkey", right_on="c_custkey")
        .join(nations, left_on="c_nationkey", right_on="n_nationkey")
        .select(col("o_custkey").alias("c_custkey"), "c_name", "revenue", "c_acctbal", "n_name",
                "c_address", "c_phone", "c_comment")
        .sort("revenue", descending=True)
        .limit(20)
    )


def q12(folder: Folder) -> hr.DataStream:
    """Shipping modes and order priority: late lines per ship mode, urgent orders against the rest."""
    start = _date("1994-01-01")
    lines = _scan(folder, "lineitem").filter(
        col("l_shipmode").isin(["MAIL", "SHIP"])
        & (col("l_commitdate") < col("l_receiptdate"))
        & (col("l_shipdate") < col("l_commitdate"))
        & (col("l_receiptdate") >= start)
        & (col("l_receiptdate") < start.dt.add_years(1)))
    urgent = col("o_orderpriority").isin(["1-URGENT", "2-HIGH"])
    return (
        lines.join(_scan(folder, "orders"), left_on="l_orderkey", right_on="o_orderkey")
        .with_columns(high=hr.when(urgent).then(1).otherwise(0),
                      low=hr.when(urgent).then(0).otherwise(1))
        .groupby("l_shipmode")
        .agg(high_line_count=("high", "sum"), low_line_count=("low", "sum"))
        .sort("l_shipmode")
    )


def q14(folder: Folder) -> hr.DataStream:
    """Promotion effect: the share of a month's revenue that came from promoted parts."""
    start = _date("1995-09-01")
    lines = _scan(folder, "lineitem").filter(
        (col("l_shipdate") >= start) & (col("l_shipdate") < start.dt.add_months(1)))
    return (
        lines.join(_scan(folder, "part"), left_on="l_partkey", right_on="p_partkey")
        .with_columns(revenue=_revenue())
        .with_columns(promo=hr.when(col("p_type").str.like("PROMO%")).then(col("revenue")).otherwise(0))
        .agg(promo=("promo", "sum"), revenue=("revenue", "sum"))
        .select((100.00 * col("promo") / col("revenue")).alias("promo_revenue"))
    )


def q19(folder: Folder) -> hr.DataStream:
    """Discounted revenue: lines of three brand / container / size / quantity combinations.

    The parts are filtered before the join by the part columns of the three combinations
    (what a SQL optimizer derives from the OR), the lines after it by all of them.
    """
    kinds = [("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5),
             ("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10),
             ("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15)]

    def part_of(brand: str, containers: list[str], size: int) -> hr.Expr:
        return (col("p_brand") == brand) & col("p_container").isin(containers) & col("p_size").between(1, size)

    def any_of(terms: list[hr.Expr]) -> hr.Expr:
        found = terms[0]
        for term in terms[1:]:
            found = found | term
        return found

    parts = _scan(folder, "part").filter(any_of([part_of(b, c, size) for b, c, _, size in kinds]))
    lines = _scan(folder, "lineitem").filter(
        col("l_shipmode").isin(["AIR", "AIR REG"]) & (col("l_shipinstruct") == "DELIVER IN PERSON")
        & col("l_quantity").between(1, 30))
    return (
        lines.join(parts, left_on="l_partkey", right_on="p_partkey")
        .filter(any_of([part_of(b, c, size) & col("l_quantity").between(q, q + 10) for b, c, q, size in kinds]))
        .with_columns(revenue=_revenue())
        .agg(revenue=("revenue", "sum"))
    )


QUERIES: dict[int, Callable[[Folder], hr.DataStream]] = {
    1: q1, 3: q3, 4: q4, 5: q5, 6: q6, 10: q10, 12: q12, 14: q14, 19: q19,
}
