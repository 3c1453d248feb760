"""The demo's question, asked of headrace: revenue of 2024's delivered orders per customer
segment and loyalty tier, where a customer's tier comes from a Python rule over all of their
orders (a stateful executor partitioned by customer).

    read_parquet(orders) -> filter(delivered, 2024) -> Loyalty (hr.Executor, by customer)
        -> join customers -> groupby(segment, tier) -> agg -> sort
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import headrace as hr

from ._demo_data import Dataset

REPORT_START = datetime.date(2024, 1, 1)  # the report covers 2024
GOLD_MONTHS, GOLD_SPENT_CENTS = 10, 250_000  # gold: an order in 10 months or more, $2,500 or more spent
SILVER_MONTHS = 6  # silver: an order in 6 months or more; else bronze
LOYALTY_SCHEMA = pa.schema(
    [("customer_id", pa.int64()), ("tier", pa.string()), ("orders", pa.int64()), ("spent_cents", pa.int64())]
)
Row = tuple[str, str, int, int, int]  # segment, tier, customers, orders, revenue in cents


def tier_of(months: int, spent_cents: int) -> str:
    """The loyalty rule, for one customer."""
    if months >= GOLD_MONTHS and spent_cents >= GOLD_SPENT_CENTS:
        return "gold"
    return "silver" if months >= SILVER_MONTHS else "bronze"


def tiers_of(months: np.ndarray, spent_cents: np.ndarray) -> np.ndarray:
    """:func:`tier_of` over arrays of customers."""
    gold = (months >= GOLD_MONTHS) & (spent_cents >= GOLD_SPENT_CENTS)
    return np.where(gold, "gold", np.where(months >= SILVER_MONTHS, "silver", "bronze"))


class Loyalty(hr.Executor):
    """Per customer, over every batch of orders this instance gets (rows are partitioned by
    customer, so all of a customer's orders come to the same instance): how many orders, the
    money spent and which months had an order; at the end of the input, one row per customer
    with its tier. ``advance(rows)`` is called per batch (the demo's progress bar)."""

    def __init__(self, customers: int, advance: Callable[[int], object] | None = None) -> None:
        self.customers = customers
        self.advance = advance

    def open(self, ctx: hr.Context) -> None:
        self.orders = np.zeros(self.customers, np.int64)
        self.spent = np.zeros(self.customers, np.int64)
        self.per_month = np.zeros(self.customers * 12, np.int64)  # orders per customer and month

    def execute(self, batch: pa.RecordBatch, ctx: hr.Context) -> None:
        customer = batch["customer_id"].to_numpy()
        month = pc.month(batch["order_date"]).to_numpy() - 1
        self.orders += np.bincount(customer, minlength=self.customers)
        # float64 sums of whole cents stay exact far beyond any sum here
        cents = np.bincount(customer, weights=batch["amount_cents"].to_numpy(), minlength=self.customers)
        self.spent += cents.astype(np.int64)
        self.per_month += np.bincount(customer * 12 + month, minlength=self.customers * 12)
        if self.advance is not None:
            self.advance(batch.num_rows)

    def finish(self, ctx: hr.Context) -> dict[str, Any]:
        seen = np.flatnonzero(self.orders)
        months = np.count_nonzero(self.per_month.reshape(-1, 12)[seen], axis=1)
        spent = self.spent[seen]
        return {
            "customer_id": seen.astype(np.int64),
            "tier": pa.array(tiers_of(months, spent).tolist(), pa.string()),
            "orders": self.orders[seen],
            "spent_cents": spent,
        }


def loyalty_report(data: Dataset, threads: int, advance: Callable[[int], object] | None = None) -> hr.DataStream:
    """The question as a headrace query (lazy: nothing runs before ``collect``)."""
    orders = hr.read_parquet(str(data.folder / "orders" / "*.parquet"))
    delivered = orders.filter((hr.col("status") == "delivered") & (hr.col("order_date") >= REPORT_START))
    per_customer = delivered.stateful_transform(
        Loyalty(data.customers, advance),
        new_schema=LOYALTY_SCHEMA,
        required_columns=["customer_id", "order_date", "amount_cents"],
        partition_by="customer_id",
        parallelism=threads,
    )
    customers = hr.read_parquet(str(data.customers_file))
    return (
        per_customer.join(customers, on="customer_id")
        .groupby("segment", "tier")
        .agg(customers=("customer_id", "count"), orders=("orders", "sum"), revenue_cents=("spent_cents", "sum"))
        .sort(["segment", "revenue_cents", "tier"], descending=[False, True, False])
    )


def rows_of(table: pa.Table) -> list[Row]:
    """A result table as rows, in the report's order."""
    columns = [table[name].to_pylist() for name in ("segment", "tier", "customers", "orders", "revenue_cents")]
    return list(zip(*columns))
