"""Row groups a scan's filter can pass, from the Parquet statistics.

A ``&``-ed term ``column <op> constant`` (``<``, ``<=``, ``>``, ``>=``, ``==``) is false for
every row of a row group whose minimum and maximum put the constant on the wrong side:
``x < 5`` passes no row of a group whose minimum is 5. Such row groups are never read. The
test runs headrace's own expression on a table of the row groups' minimums (or maximums),
one row per row group, so the constant is coerced exactly as the filter coerces it; a row
group without statistics, or a term of another form, keeps every row group. The statistics
table of a column is made once per file version (``_footers.Footer``). pyarrow's fragment
``subset(filter=...)`` does the same but costs about 25 µs per row group and term, some
4 ms per query for TPC-H Q6's three terms over lineitem's 53 row groups.

Only integer, date, decimal and string columns are pruned (float statistics may hold NaN
or -0.0, and their order is not the filter's).

Examples:
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> from headrace import col
    >>> from headrace._footers import footer
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pq.write_table(pa.table({"x": list(range(100))}), path, row_group_size=25)
    >>> kept_row_groups(footer(path), pa.schema({"x": pa.int64()}), (col("x") >= 30) & (col("x") < 60))
    [1, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ._expr import Binary, Column, Expr, conjuncts
from ._expr_cache import structural_key
from ._footers import Footer

__all__ = ["bounds", "kept_row_groups"]

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}
# Answers kept per file version; when full, they start over (a plan asks a few).
KEPT_PREDICATES = 256


def _prunable(kind: pa.DataType) -> bool:
    return (pa.types.is_integer(kind) or pa.types.is_date32(kind) or pa.types.is_decimal128(kind)
            or pa.types.is_string(kind) or pa.types.is_large_string(kind))


def bounds(parsed: Footer, name: str, kind: pa.DataType) -> tuple[pa.Table, pa.Table] | None:
    """The row groups' minimums and maximums of column ``name`` as one-column tables of
    ``kind`` (null where a row group has none), or None if the file gives none."""
    cache: dict[tuple[str, pa.DataType], Any] = parsed.__dict__.setdefault("_bounds", {})
    key = (name, kind)
    if key not in cache:
        cache[key] = _read_bounds(parsed, name, kind)
    return cache[key]


def _read_bounds(parsed: Footer, name: str, kind: pa.DataType) -> tuple[pa.Table, pa.Table] | None:
    metadata = parsed.metadata
    if metadata.num_row_groups == 0:
        return None
    first = metadata.row_group(0)
    index = next((j for j in range(first.num_columns) if first.column(j).path_in_schema == name), None)
    if index is None:
        return None
    lows: list[Any] = []
    highs: list[Any] = []
    for g in range(metadata.num_row_groups):
        stats = metadata.row_group(g).column(index).statistics
        known = stats is not None and stats.has_min_max
        lows.append(stats.min if known else None)
        highs.append(stats.max if known else None)
    try:
        return (pa.table({name: pa.array(lows, kind)}), pa.table({name: pa.array(highs, kind)}))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # statistics not of the read type
        return None


def _keeps(term: Expr, parsed: Footer, schema: pa.Schema) -> np.ndarray | None:
    """Which row groups ``term`` may pass (a boolean per row group), or None: all of them."""
    if not isinstance(term, Binary) or term.op not in _FLIPPED:
        return None
    left, right, op = term.left, term.right, term.op
    if not isinstance(left, Column):
        left, right, op = right, left, _FLIPPED[op]
    if not isinstance(left, Column) or right.columns() or left.name not in schema.names:
        return None
    kind = schema.field(left.name).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not _prunable(kind):
        return None
    found = bounds(parsed, left.name, kind)
    if found is None:
        return None
    lows, highs = found
    column = Column(left.name)
    try:
        if op in ("<", "<="):
            found = [Binary(op, column, right).evaluate(lows)]
        elif op in (">", ">="):
            found = [Binary(op, column, right).evaluate(highs)]
        else:
            found = [Binary("<=", column, right).evaluate(lows), Binary(">=", column, right).evaluate(highs)]
    except (pa.ArrowException, TypeError, ValueError):  # the filter itself reports what is wrong
        return None
    keep = np.ones(parsed.metadata.num_row_groups, dtype=np.bool_)
    for values in found:  # null: no statistics (or a null constant, which the filter then drops)
        keep &= values.fill_null(True).to_numpy(zero_copy_only=False)
    return keep


def kept_row_groups(parsed: Footer, schema: pa.Schema, predicate: Expr) -> list[int]:
    """The ids of the row groups of the file that ``predicate`` may pass, in file order
    (``schema``: the types the scan reads the columns as). The answer depends only on the
    footer and the predicate's structure and column types, so it is kept with the footer
    (a query run again, or another with the same filter, prunes at once: the tests cost
    0.5-0.9 ms at a scan's start, where the other workers wait for its row groups)."""
    key = structural_key(predicate)
    if key is None:
        return _kept(parsed, schema, predicate)
    key = (key, tuple((name, schema.field(name).type) for name in sorted(predicate.columns()) if name in schema.names))
    kept: dict[Any, list[int]] = parsed.__dict__.setdefault("_kept", {})
    if key not in kept:
        if len(kept) >= KEPT_PREDICATES:
            kept.clear()
        kept[key] = _kept(parsed, schema, predicate)
    return list(kept[key])


def _kept(parsed: Footer, schema: pa.Schema, predicate: Expr) -> list[int]:
    keep = np.ones(len(parsed.row_group_rows), dtype=np.bool_)
    for term in conjuncts(predicate):
        found = _keeps(term, parsed, schema)
        if found is not None:
            keep &= found
    return [int(i) for i in np.flatnonzero(keep)]
