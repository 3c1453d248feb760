"""The demo's question answered without headrace: a plain Python loop over the Parquet files'
rows, and pandas (when it is installed). Both give the rows of the report, in its order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq

from ._demo_data import Dataset
from ._demo_query import REPORT_START, Row, tier_of, tiers_of

ORDER_COLUMNS = ["customer_id", "order_date", "status", "amount_cents"]


def report_order(rows: list[Row]) -> list[Row]:
    """Segments in order, each segment's tiers by revenue, largest first."""
    return sorted(rows, key=lambda r: (r[0], -r[4], r[1]))


def plain_python(data: Dataset, advance: Callable[[int], object]) -> list[Row]:
    """One pass over the orders' rows with dicts, then one over the customers; ``advance(rows)``
    per batch read."""
    orders: dict[int, int] = {}
    spent: dict[int, int] = {}
    months: dict[int, set[int]] = {}
    for path in data.order_files:
        for batch in pq.ParquetFile(path).iter_batches(columns=ORDER_COLUMNS):
            columns = batch.to_pydict()
            for customer, day, status, cents in zip(*(columns[c] for c in ORDER_COLUMNS)):
                if status == "delivered" and day >= REPORT_START:
                    orders[customer] = orders.get(customer, 0) + 1
                    spent[customer] = spent.get(customer, 0) + cents
                    months.setdefault(customer, set()).add(day.month)
            advance(batch.num_rows)
    customers = pq.read_table(data.customers_file, columns=["customer_id", "segment"]).to_pydict()
    segment_of = dict(zip(customers["customer_id"], customers["segment"]))
    groups: dict[tuple[str, str], list[int]] = {}
    for customer, n in orders.items():
        key = (segment_of[customer], tier_of(len(months[customer]), spent[customer]))
        group = groups.setdefault(key, [0, 0, 0])
        group[0] += 1
        group[1] += n
        group[2] += spent[customer]
    return report_order([(segment, tier, *sums) for (segment, tier), sums in groups.items()])


def import_pandas() -> Any:
    """pandas 2 or newer, or None if it is not installed (it is not a dependency of headrace)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas if int(pandas.__version__.split(".")[0]) >= 2 else None


def with_pandas(pd: Any, data: Dataset) -> list[Row]:
    """The same with pandas DataFrames (Arrow-backed, as pandas reads Parquet best)."""
    orders = pd.read_parquet(data.folder / "orders", columns=ORDER_COLUMNS, dtype_backend="pyarrow")
    delivered = orders[(orders["status"] == "delivered") & (orders["order_date"] >= REPORT_START)]
    delivered = delivered.assign(month=delivered["order_date"].dt.month)
    per_customer = delivered.groupby("customer_id").agg(
        orders=("amount_cents", "size"), spent=("amount_cents", "sum"), months=("month", "nunique")
    )
    per_customer["tier"] = tiers_of(per_customer["months"].to_numpy(), per_customer["spent"].to_numpy())
    customers = pd.read_parquet(data.customers_file, columns=["customer_id", "segment"]).set_index("customer_id")
    joined = per_customer.join(customers, how="inner")
    report = joined.groupby(["segment", "tier"]).agg(
        customers=("orders", "size"), orders=("orders", "sum"), revenue=("spent", "sum")
    )
    return report_order([(s, t, int(c), int(o), int(r)) for (s, t), (c, o, r) in zip(report.index, report.values)])
