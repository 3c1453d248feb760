"""Per-column count, mean and sum of squared deviations, merged with Chan's formula (stable
and independent of how the rows were split into batches or workers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._executor import Context, Executor

MOMENTS_SCHEMA = pa.schema({"column": pa.string(), "count": pa.int64(), "mean": pa.float64(),
                            "m2": pa.float64()})


def merge(a: tuple[float, float, float], b: tuple[float, float, float]) -> tuple[float, float, float]:
    """Merges (count, mean, m2) of two disjoint parts."""
    (na, ma, sa), (nb, mb, sb) = a, b
    n = na + nb
    if n == 0:
        return 0, 0.0, 0.0
    delta = mb - ma
    return n, ma + delta * nb / n, sa + sb + delta * delta * na * nb / n


def of_values(values: np.ndarray) -> tuple[float, float, float]:
    if len(values) == 0:
        return 0, 0.0, 0.0
    mean = float(values.mean())
    return len(values), mean, float(((values - mean) ** 2).sum())


class Moments(Executor):
    """One row per column with this instance's (count, mean, m2); nulls are skipped."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def open(self, ctx: Context) -> None:
        self.parts = {c: (0, 0.0, 0.0) for c in self.columns}

    def execute(self, batch: pa.RecordBatch, ctx: Context) -> None:
        for c in self.columns:
            values = pc.drop_null(batch[c]).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            self.parts[c] = merge(self.parts[c], of_values(values))

    def finish(self, ctx: Context) -> dict[str, Any]:
        return {"column": self.columns, "count": [self.parts[c][0] for c in self.columns],
                "mean": [self.parts[c][1] for c in self.columns], "m2": [self.parts[c][2] for c in self.columns]}


def combine(partials: pa.Table, columns: list[str]) -> dict[str, tuple[float, float, float]]:
    """Merges the instances' rows of :class:`Moments` into one (count, mean, m2) per column."""
    total = {c: (0, 0.0, 0.0) for c in columns}
    for row in partials.to_pylist():
        total[row["column"]] = merge(total[row["column"]], (row["count"], row["mean"], row["m2"]))
    return total
