"""The demo's data: an online shop's customers and orders, generated and written as Parquet by
an ``hr.Pipeline`` (seeded: the same files for the same sizes, whatever the thread count).

    customers.parquet        customer_id int64, segment string, country string
    orders/part-N.parquet    order_id int64, customer_id int64, order_date date32 (2023-2024),
                             status string, amount_cents int64

Customers order at very different rates (lognormal weights), so some order most months and
others rarely: the loyalty tiers of the demo's report come out mixed. Segments differ too: how
often their customers order and how much an order is worth.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import headrace as hr

SEED = 20261201
FILES = 8  # order files, generated and written in parallel
ORDERS_PER_CUSTOMER = 50  # on average, over the two years
SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
SEGMENT_RATE = np.array([1.0, 0.7, 1.2, 1.6, 0.5])  # how often a segment's customers order ...
SEGMENT_VALUE = np.array([1.0, 1.8, 0.8, 0.5, 2.5])  # ... and how much their orders are worth
COUNTRIES = ("BR", "CN", "DE", "FR", "IN", "JP", "US")
STATUSES = ("delivered", "returned", "cancelled")
STATUS_P = (0.85, 0.10, 0.05)
FIRST_DAY = np.datetime64("2023-01-01", "D")
DAYS = 731  # 2023-01-01 .. 2024-12-31


@dataclass(frozen=True)
class Dataset:
    """Where the files are and how big they are."""

    folder: Path
    orders: int
    customers: int

    @property
    def order_files(self) -> list[Path]:
        return [self.folder / "orders" / f"part-{i}.parquet" for i in range(FILES)]

    @property
    def customers_file(self) -> Path:
        return self.folder / "customers.parquet"


def customers_for(orders: int) -> int:
    return max(50, orders // ORDERS_PER_CUSTOMER)


def strings(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """``values[codes]`` as a plain string column."""
    return pc.take(pa.array(values, pa.string()), pa.array(codes))


def segment_codes(customers: int) -> np.ndarray:
    """Each customer's segment, as an index into ``SEGMENTS``."""
    return np.random.default_rng([SEED, 0]).integers(0, len(SEGMENTS), customers)


def customer_table(customers: int) -> pa.Table:
    return pa.table({
        "customer_id": pa.array(np.arange(customers, dtype=np.int64)),
        "segment": strings(SEGMENTS, segment_codes(customers)),
        "country": strings(COUNTRIES, np.random.default_rng([SEED, 2]).integers(0, len(COUNTRIES), customers)),
    })


def order_rates(segments: np.ndarray) -> np.ndarray:
    """Each customer's share of the orders."""
    weights = np.random.default_rng([SEED, 1]).lognormal(0.0, 1.2, len(segments)) * SEGMENT_RATE[segments]
    return weights / weights.sum()


def order_part(orders: int, segments: np.ndarray, rates: np.ndarray, part: int) -> tuple[int, pa.Table]:
    """The ``part``-th of the ``FILES`` slices of the orders, with its number."""
    first, end = orders * part // FILES, orders * (part + 1) // FILES
    n = end - first
    rng = np.random.default_rng([SEED, 10, part])
    customer = rng.choice(len(rates), size=n, p=rates)
    cents = rng.integers(500, 50_000, n) * SEGMENT_VALUE[segments[customer]]
    return part, pa.table({
        "order_id": pa.array(np.arange(first, end, dtype=np.int64)),
        "customer_id": pa.array(customer.astype(np.int64)),
        "order_date": pa.array(FIRST_DAY + rng.integers(0, DAYS, n), pa.date32()),
        "status": strings(STATUSES, rng.choice(len(STATUSES), size=n, p=STATUS_P)),
        "amount_cents": pa.array(cents.astype(np.int64)),
    })


def write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, row_group_size=64 * 1024)
    return path


def write_part(data: Dataset, numbered: tuple[int, pa.Table]) -> Path:
    part, table = numbered
    return write(table, data.order_files[part])


def generate(folder: Path, orders: int, threads: int, advance: Callable[[int], object]) -> Dataset:
    """Writes the dataset into ``folder``: the orders with an ``hr.Pipeline`` whose steps make
    and write ``threads`` files at once (numpy and the Parquet writer release the GIL);
    ``advance(1)`` is called per file written."""
    data = Dataset(folder, orders, customers_for(orders))
    (folder / "orders").mkdir(parents=True, exist_ok=True)
    write(customer_table(data.customers), data.customers_file)
    segments = segment_codes(data.customers)
    make = functools.partial(order_part, orders, segments, order_rates(segments))
    pipe = hr.Pipeline(
        [
            hr.Source(range(FILES), name="parts"),
            hr.Step(make, workers=threads, name="make_orders"),
            hr.Step(functools.partial(write_part, data), workers=threads, name="write_parquet"),
        ],
        ordered=False,
    )
    for _ in pipe.iter():
        advance(1)
    return data
