"""Calendar arithmetic of the expression layer: whole months and years added to dates.

``col("d").dt.add_months(3)`` is SQL's ``d + interval '3' month``: the same day of the month
three months later, or the month's last day when it has fewer days (January 31 plus one
month is February 28 or 29), as in DuckDB, PostgreSQL and Polars. It runs on whole arrays
with pyarrow kernels (the date's parts, then the day number of the new date by Howard
Hinnant's ``days_from_civil``), so it also folds into a literal when the date is one, and
it translates into a pyarrow expression for the Parquet reader.

Examples:
    >>> import datetime
    >>> import pyarrow as pa
    >>> from headrace import col, lit
    >>> t = pa.table({"d": [datetime.date(2024, 1, 31), datetime.date(2023, 11, 15), None]})
    >>> col("d").dt.add_months(1).evaluate(t).to_pylist()
    [datetime.date(2024, 2, 29), datetime.date(2023, 12, 15), None]
    >>> col("d").dt.add_years(-1).evaluate(t).to_pylist()
    [datetime.date(2023, 1, 31), datetime.date(2022, 11, 15), None]
    >>> quarter = col("d") < lit(datetime.date(1993, 7, 1)).dt.add_months(3)
    >>> quarter
    col("d") < lit(datetime.date(1993, 7, 1)).dt.add_months(3)
    >>> quarter.to_pyarrow(t.schema)
    <pyarrow.compute.Expression (d < 1993-10-01)>
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any

import pyarrow as pa

from ._expr import _ARROW_TYPE_ERRORS, Expr, Literal, _Evaluate, _Node, _operand, _type_error

__all__ = ["AddMonths"]


class AddMonths(_Node):
    """A date32 operand plus ``months`` whole months (negative: earlier)."""

    __slots__ = ("operand", "months", "text")
    operand: Expr
    months: int
    text: str

    def __init__(self, operand: Expr, months: int, text: str) -> None:
        if isinstance(months, bool) or not isinstance(months, int):
            raise TypeError(f"{text}: expected a whole number of months, got {months!r}")
        super().__init__(operand=operand, months=months, text=text)

    def _children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def __repr__(self) -> str:
        operand = repr(self.operand) if isinstance(self.operand, Literal) else _operand(self.operand)
        return f"{operand}{self.text}"

    def _build(self, ctx: _Evaluate) -> Any:
        date = self.operand._build(ctx)
        kind = ctx.type_of(date)
        if not pa.types.is_date32(kind):
            raise _type_error(self, ctx, (date,), TypeError("months can be added to date32 values only"))
        known = ctx.constant(date)
        if known is not None:  # a literal date: shifted here, not by some forty kernel calls
            shifted = _shifted(known.as_py(), self.months)
            if shifted is not None or not known.is_valid:
                return ctx.scalar(pa.scalar(shifted, pa.date32()))
        try:
            return _add_months(ctx, date, self.months)
        except _ARROW_TYPE_ERRORS as error:
            raise _type_error(self, ctx, (date,), error) from error


def _shifted(date: datetime.date | None, months: int) -> datetime.date | None:
    """``date`` plus ``months`` as :func:`_add_months` computes it, or None (a null date, or
    a year outside 1-9999, which the array kernels then compute)."""
    if date is None:
        return None
    year, month = divmod(date.year * 12 + date.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        return None
    return datetime.date(year, month + 1, min(date.day, calendar.monthrange(year, month + 1)[1]))


def _add_months(ctx: _Evaluate, date: Any, months: int) -> Any:
    def n(value: int) -> Any:
        return ctx.scalar(pa.scalar(value, pa.int64()))

    def call(function: str, *args: Any) -> Any:
        return ctx.call(function, *args)

    # Months since year 0 (dates are years 1 to 9999, so every quotient below is of
    # non-negative numbers and truncating division is floor division).
    total = call("add", call("add", call("multiply", call("year", date), n(12)),
                             call("subtract", call("month", date), n(1))), n(months))
    year = call("divide", total, n(12))
    month = call("add", call("subtract", total, call("multiply", year, n(12))), n(1))  # 1..12
    # Days in that month: 30 or 31 by the month's parity (flipped from August on), 28 or 29
    # in February.
    long_month = call("bit_wise_and", call("add", month, call("shift_right", month, n(3))), n(1))
    leap = call("or_kleene", call("and_kleene", call("equal", call("bit_wise_and", year, n(3)), n(0)),
                           call("not_equal", call("subtract", year, call("multiply", call("divide", year, n(100)),
                                                                         n(100))), n(0))),
                call("equal", call("subtract", year, call("multiply", call("divide", year, n(400)), n(400))), n(0)))
    february = call("add", n(28), ctx.cast(leap, pa.int64()))
    days_in_month = call("if_else", call("equal", month, n(2)), february, call("add", n(30), long_month))
    day = call("min_element_wise", call("day", date), days_in_month)
    # days_from_civil: the year counted from March, so that February's length comes last.
    before_march = ctx.cast(call("less_equal", month, n(2)), pa.int64())
    y = call("subtract", year, before_march)
    era = call("divide", y, n(400))
    year_of_era = call("subtract", y, call("multiply", era, n(400)))
    shifted_month = call("add", month, call("if_else", call("greater", month, n(2)), n(-3), n(9)))
    day_of_year = call("add", call("divide", call("add", call("multiply", shifted_month, n(153)), n(2)), n(5)),
                       call("subtract", day, n(1)))
    day_of_era = call("add", call("add", call("multiply", year_of_era, n(365)), call("divide", year_of_era, n(4))),
                      call("subtract", day_of_year, call("divide", year_of_era, n(100))))
    days = call("subtract", call("add", call("multiply", era, n(146097)), day_of_era), n(719468))
    return ctx.cast(ctx.cast(days, pa.int32()), pa.date32())
