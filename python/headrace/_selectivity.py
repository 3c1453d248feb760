"""The share of a Parquet scan's rows a filter keeps, estimated from the column statistics,
for choosing a join's build side (``_join.known_rows``).

The terms of the filter (its ``&``-ed parts) that read one integer, date or decimal column
are evaluated together on a grid of values spread evenly between the column's minimum and
maximum in the files' statistics: the share of the grid they pass is the share of rows they
are guessed to keep (the values taken as evenly spread, as System R's optimizer took them).
So a month of a seven-year date column keeps about 1.2% of the rows, not the fixed guess
that fits every filter alike. The terms on different columns are taken as independent;
the other terms (other types, several columns, columns without statistics) keep ``default``
together.

Examples:
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> from headrace import col
    >>> from headrace._scan import FileScan
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pq.write_table(pa.table({"x": list(range(1000)), "s": ["a"] * 1000}), path)
    >>> scan = FileScan("parquet", [path])
    >>> round(filter_share(scan, (col("x") >= 100) & (col("x") < 200), 0.2), 2)
    0.1
    >>> round(filter_share(scan, (col("x") < 500) & (col("s") == "a"), 0.2), 2)
    0.1
    >>> filter_share(scan, col("s") == "a", 0.2)
    0.2
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._expr import Expr, conjuncts
from ._expr_cache import structural_key
from ._footers import footer
from ._pruning import bounds

__all__ = ["filter_share"]

# Grid points per column: a share is known to about 1/GRID.
GRID = 1024


def _gridded(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_date32(kind) or pa.types.is_decimal128(kind)


def _range(scan: Any, name: str, kind: pa.DataType) -> tuple[Any, Any] | None:
    """The minimum and maximum of column ``name`` over every file of the scan, or None when a
    file gives no statistics for it."""
    lows, highs = [], []
    for path in scan.paths:
        found = bounds(footer(path), name, kind)
        if found is None:
            return None
        low, high = pc.min(found[0].column(0)), pc.max(found[1].column(0))
        if not low.is_valid or not high.is_valid:
            return None
        lows.append(low.as_py())
        highs.append(high.as_py())
    if not lows:
        return None
    return min(lows), max(highs)


def _grid(low: Any, high: Any, kind: pa.DataType) -> pa.Array:
    """GRID values of ``kind`` spread evenly from ``low`` to ``high``."""
    if pa.types.is_decimal128(kind):
        steps = np.linspace(float(low), float(high), GRID)
        return pa.array(np.round(steps, kind.scale)).cast(kind, safe=False)
    if pa.types.is_date32(kind):
        low, high = (pa.scalar(v, kind).cast(pa.int32()).as_py() for v in (low, high))
    # Exact integers (floats would round): in int64 when the products fit, else Python's.
    if -(2**63) <= low and high < 2**63 and (high - low) * (GRID - 1) < 2**63:
        steps = low + (high - low) * np.arange(GRID, dtype=np.int64) // (GRID - 1)
    else:
        steps = [low + (high - low) * k // (GRID - 1) for k in range(GRID)]
    return pa.array(steps, pa.int32() if pa.types.is_date32(kind) else kind).cast(kind)


def _column_share(scan: Any, name: str, terms: list[Expr], kind: pa.DataType) -> float | None:
    """The share of the grid over one column's range that ``terms`` keep; kept with the
    footer of a one-file scan (the same terms over the same file version keep the same)."""
    key = structural_key(terms)
    if len(scan.paths) != 1 or key is None:
        return _grid_share(scan, name, terms, kind)
    shares: dict[Any, float | None] = footer(scan.paths[0]).__dict__.setdefault("_shares", {})
    if (name, kind, key) not in shares:
        shares[(name, kind, key)] = _grid_share(scan, name, terms, kind)
    return shares[(name, kind, key)]


def _grid_share(scan: Any, name: str, terms: list[Expr], kind: pa.DataType) -> float | None:
    found = _range(scan, name, kind)
    if found is None:
        return None
    try:
        grid = pa.record_batch({name: _grid(*found, kind)})
        kept = functools.reduce(lambda a, b: a & b, terms).evaluate(grid)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # the filter itself reports what is wrong
        return None
    passed = pc.sum(pc.fill_null(kept, False)).as_py() or 0
    return max(passed, 0.5) / GRID  # a filter passing no grid point may still keep a few rows


def filter_share(scan: Any, predicate: Expr, default: float) -> float:
    """The share of the rows of Parquet scan ``scan`` that ``predicate`` is guessed to keep;
    ``default`` for the terms the statistics say nothing about."""
    by_column: dict[str, list[Expr]] = {}
    kinds: dict[str, pa.DataType] = {}
    unknown = False
    for term in conjuncts(predicate):
        names = term.columns()
        if len(names) == 1:
            (name,) = names
            if name in scan.schema.names:
                kind = scan.schema.field(name).type
                kinds[name] = kind.value_type if pa.types.is_dictionary(kind) else kind
                if _gridded(kinds[name]):
                    by_column.setdefault(name, []).append(term)
                    continue
        unknown = True
    share = 1.0
    for name, terms in by_column.items():
        found = _column_share(scan, name, terms, kinds[name])
        if found is None:
            unknown = True
        else:
            share *= found
    return share * default if unknown else share
