"""Checking a TPC-H answer against the reference (DuckDB's) answer.

Two answers agree when they have the same column names in the same order, the same number
of rows, and equal values row by row: in order for the queries with an ORDER BY
(:data:`ORDERED`), else after sorting both. Values compare by their Python value:

- an exact decimal in the reference must be matched exactly, by a decimal or an integer
  (``Decimal("1.50") == Decimal("1.5")``; DuckDB's integer sums are ``decimal128(38, 0)``);
  a float there is a difference, since it could not be exact in general;
- floats compare to a relative tolerance of ``1e-9``;
- everything else (strings, dates, integers) must be equal.

Examples:
    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> want = pa.table({"k": ["a", "b"], "v": pa.array([Decimal("1.50"), Decimal("2.00")], pa.decimal128(38, 2)),
    ...                  "avg": [0.1 + 0.2, 1.0]})
    >>> got = pa.table({"k": ["a", "b"], "v": pa.array([Decimal("1.5"), Decimal("2")], pa.decimal128(10, 1)),
    ...                 "avg": [0.3, 1.0]})
    >>> differences(got, want, ordered=True)
    []
    >>> differences(got.set_column(1, "v", pa.array([1.5, 2.0])), want, ordered=True)[0]
    "row 0, column 'v': 1.5 (float) where the reference has the exact decimal 1.50"
    >>> differences(got.slice(1), want.slice(0, 1), ordered=False)[0]
    "row 0, column 'k': 'b' where the reference has 'a'"
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import pyarrow as pa

__all__ = ["ORDERED", "REL_TOL", "differences", "same_value"]

# The queries whose answer has an ORDER BY (the others have one row).
ORDERED = frozenset({1, 3, 4, 5, 10, 12})
REL_TOL = 1e-9
_SHOWN = 10  # at most this many differences are listed


def same_value(got: Any, want: Any, rel_tol: float = REL_TOL) -> str | None:
    """None when ``got`` matches the reference value ``want``, else why not.

    Examples:
        >>> same_value(0.30000000000000004, 0.3) is None
        True
        >>> same_value(decimal.Decimal("6202"), 6202) is None
        True
        >>> same_value(6202, decimal.Decimal("6202")) is None
        True
        >>> same_value(1.0, 1.1)
        '1.0 where the reference has 1.1'
    """
    if got is None or want is None:
        return None if got is None and want is None else f"{got!r} where the reference has {want!r}"
    if isinstance(want, decimal.Decimal) and isinstance(got, float):
        return f"{got} (float) where the reference has the exact decimal {want}"
    if isinstance(want, float) or isinstance(got, float):
        if isinstance(got, (int, float, decimal.Decimal)) and math.isclose(
                float(got), float(want), rel_tol=rel_tol, abs_tol=0.0):
            return None
        return f"{got} where the reference has {want}"
    if isinstance(got, (int, decimal.Decimal)) and isinstance(want, (int, decimal.Decimal)) \
            and not isinstance(got, bool) and not isinstance(want, bool):
        return None if got == want else f"{got} where the reference has {want}"
    if type(got) is not type(want) and not (isinstance(got, datetime.date) and isinstance(want, datetime.date)):
        return f"{got!r} ({type(got).__name__}) where the reference has {want!r} ({type(want).__name__})"
    return None if got == want else f"{got!r} where the reference has {want!r}"


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(value) if value is None else value) for value in row)


def differences(got: pa.Table, want: pa.Table, ordered: bool, rel_tol: float = REL_TOL) -> list[str]:
    """How ``got`` differs from the reference answer ``want`` (empty when they agree)."""
    if got.column_names != want.column_names:
        return [f"columns {got.column_names} where the reference has {want.column_names}"]
    if got.num_rows != want.num_rows:
        return [f"{got.num_rows} rows where the reference has {want.num_rows}"]
    names = got.column_names
    got_rows = list(zip(*(got.column(i).to_pylist() for i in range(len(names)))))
    want_rows = list(zip(*(want.column(i).to_pylist() for i in range(len(names)))))
    if not ordered:
        got_rows.sort(key=_sort_key)
        want_rows.sort(key=_sort_key)
    found = []
    for i, (g, w) in enumerate(zip(got_rows, want_rows)):
        for name, a, b in zip(names, g, w):
            why = same_value(a, b, rel_tol)
            if why is not None:
                found.append(f"row {i}, column {name!r}: {why}")
                if len(found) == _SHOWN:
                    return found + ["..."]
    return found
