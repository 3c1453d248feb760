"""The same TPC-H queries as Polars lazy queries, for the benchmark's comparison.

``QUERIES[n](folder)`` returns a ``polars.LazyFrame``; ``.collect()`` runs it. Polars reads
``decimal128(15, 2)`` columns as ``Decimal(15, 2)``, but its product of two decimals keeps
the larger scale of the two (``0.07 * 10.55`` is ``0.74``), so the queries widen one factor's
scale first (``price.cast(Decimal(38, 4)) * (1 - discount)``) to get DuckDB's exact answers.

Examples:
    >>> import tempfile
    >>> from headrace.benchmarks.tpch.datagen import tpch_data
    >>> folder = tpch_data(0.01, root=tempfile.mkdtemp())      # needs tpchgen-cli and polars
    >>> QUERIES[6](folder).collect().to_arrow().to_pydict()
    {'revenue': [Decimal('1193053.2253')]}
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["QUERIES"]

Folder = str | os.PathLike[str]


def _scan(folder: Folder, table: str) -> Any:
    import polars as pl

    return pl.scan_parquet(Path(folder) / f"{table}.parquet")


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _revenue() -> Any:
    """``l_extendedprice * (1 - l_discount)``, exact (4 decimal places)."""
    import polars as pl

    return pl.col("l_extendedprice").cast(pl.Decimal(38, 4)) * (1 - pl.col("l_discount"))


def q1(folder: Folder) -> Any:
    import polars as pl

    return (
        _scan(folder, "lineitem")
        .filter(pl.col("l_shipdate") <= _date("1998-12-01") - datetime.timedelta(days=90))
        .with_columns(disc_price=_revenue())
        .with_columns(charge=pl.col("disc_price").cast(pl.Decimal(38, 6)) * (1 + pl.col("l_tax")))
        .group_by("l_returnflag", "l_linestatus")
        .agg(
            sum_qty=pl.col("l_quantity").sum(),
            sum_base_price=pl.col("l_extendedprice").sum(),
            sum_disc_price=pl.col("disc_price").sum(),
            sum_charge=pl.col("charge").sum(),
            avg_qty=pl.col("l_quantity").cast(pl.Float64).mean(),
            avg_price=pl.col("l_extendedprice").cast(pl.Float64).mean(),
            avg_disc=pl.col("l_discount").cast(pl.Float64).mean(),
            count_order=pl.len(),
        )
        .sort("l_returnflag", "l_linestatus")
    )


def q3(folder: Folder) -> Any:
    import polars as pl

    day = _date("1995-03-15")
    customers = _scan(folder, "customer").filter(pl.col("c_mktsegment") == "BUILDING")
    orders = _scan(folder, "orders").filter(pl.col("o_orderdate") < day)
    lines = _scan(folder, "lineitem").filter(pl.col("l_shipdate") > day)
    return (
        customers.join(orders, left_on="c_custkey", right_on="o_custkey")
        .join(lines, left_on="o_orderkey", right_on="l_orderkey")
        .group_by(pl.col("o_orderkey").alias("l_orderkey"), "o_orderdate", "o_shippriority")
        .agg(revenue=_revenue().sum())
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .sort(["revenue", "o_orderdate"], descending=[True, False])
        .head(10)
    )


def q4(folder: Folder) -> Any:
    import polars as pl

    orders = _scan(folder, "orders").filter(pl.col("o_orderdate").is_between(
        _date("1993-07-01"), _date("1993-10-01"), closed="left"))
    late = _scan(folder, "lineitem").filter(pl.col("l_commitdate") < pl.col("l_receiptdate"))
    return (
        orders.join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .group_by("o_orderpriority")
        .agg(order_count=pl.len())
        .sort("o_orderpriority")
    )


def q5(folder: Folder) -> Any:
    import polars as pl

    region = _scan(folder, "region").filter(pl.col("r_name") == "ASIA")
    orders = _scan(folder, "orders").filter(pl.col("o_orderdate").is_between(
        _date("1994-01-01"), _date("1995-01-01"), closed="left"))
    return (
        region.join(_scan(folder, "nation"), left_on="r_regionkey", right_on="n_regionkey")
        .join(_scan(folder, "customer"), left_on="n_nationkey", right_on="c_nationkey")
        .join(orders, left_on="c_custkey", right_on="o_custkey")
        .join(_scan(folder, "lineitem"), left_on="o_orderkey", right_on="l_orderkey")
        .join(_scan(folder, "supplier"), left_on=["l_suppkey", "n_nationkey"],
              right_on=["s_suppkey", "s_nationkey"])
        .group_by("n_name")
        .agg(revenue=_revenue().sum())
        .sort("revenue", descending=True)
    )


def q6(folder: Folder) -> Any:
    import polars as pl

    return (
        _scan(folder, "lineitem")
        .filter(pl.col("l_shipdate").is_between(_date("1994-01-01"), _date("1995-01-01"), closed="left")
                & pl.col("l_discount").is_between(0.05, 0.07) & (pl.col("l_quantity") < 24))
        .select(revenue=(pl.col("l_extendedprice").cast(pl.Decimal(38, 4)) * pl.col("l_discount")).sum())
    )


def q10(folder: Folder) -> Any:
    import polars as pl

    orders = _scan(folder, "orders").filter(pl.col("o_orderdate").is_between(
        _date("1993-10-01"), _date("1994-01-01"), closed="left"))
    lines = _scan(folder, "lineitem").filter(pl.col("l_returnflag") == "R")
    return (
        _scan(folder, "customer")
        .join(orders, left_on="c_custkey", right_on="o_custkey")
        .join(lines, left_on="o_orderkey", right_on="l_orderkey")
        .join(_scan(folder, "nation"), left_on="c_nationkey", right_on="n_nationkey")
        .group_by("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
        .agg(revenue=_revenue().sum())
        .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
        .sort("revenue", descending=True)
        .head(20)
    )


def q12(folder: Folder) -> Any:
    import polars as pl

    lines = _scan(folder, "lineitem").filter(
        pl.col("l_shipmode").is_in(["MAIL", "SHIP"])
        & (pl.col("l_commitdate") < pl.col("l_receiptdate"))
        & (pl.col("l_shipdate") < pl.col("l_commitdate"))
        & pl.col("l_receiptdate").is_between(_date("1994-01-01"), _date("1995-01-01"), closed="left"))
    urgent = pl.col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (
        _scan(folder, "orders").join(lines, left_on="o_orderkey", right_on="l_orderkey")
        .group_by("l_shipmode")
        .agg(high_line_count=urgent.sum(), low_line_count=(~urgent).sum())
        .sort("l_shipmode")
    )


def q14(folder: Folder) -> Any:
    import polars as pl

    lines = _scan(folder, "lineitem").filter(
        pl.col("l_shipdate").is_between(_date("1995-09-01"), _date("1995-10-01"), closed="left"))
    revenue = _revenue()
    return (
        lines.join(_scan(folder, "part"), left_on="l_partkey", right_on="p_partkey")
        .select(promo_revenue=100.00 * pl.when(pl.col("p_type").str.starts_with("PROMO")).then(revenue)
                .otherwise(0).sum().cast(pl.Float64) / revenue.sum().cast(pl.Float64))
    )


def q19(folder: Folder) -> Any:
    import polars as pl

    def kind(brand: str, containers: list[str], quantity: int, size: int) -> Any:
        return ((pl.col("p_brand") == brand) & pl.col("p_container").is_in(containers)
                & pl.col("l_quantity").is_between(quantity, quantity + 10) & pl.col("p_size").is_between(1, size))

    lines = _scan(folder, "lineitem").filter(
        pl.col("l_shipmode").is_in(["AIR", "AIR REG"]) & (pl.col("l_shipinstruct") == "DELIVER IN PERSON"))
    return (
        lines.join(_scan(folder, "part"), left_on="l_partkey", right_on="p_partkey")
        .filter(kind("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
                | kind("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
                | kind("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15))
        .select(revenue=_revenue().sum())
    )


QUERIES: dict[int, Callable[[Folder], Any]] = {
    1: q1, 3: q3, 4: q4, 5: q5, 6: q6, 10: q10, 12: q12, 14: q14, 19: q19,
}
