"""Operator kernels, ``.str`` / ``.dt`` namespaces, ``isin``, ``cast``, ``alias`` and ``when``.

Examples:
    >>> import datetime
    >>> import pyarrow as pa
    >>> import headrace as hr
    >>> t = pa.table({"name": ["apple", "banana", None],
    ...               "day": [datetime.date(2024, 2, 28), datetime.date(2023, 12, 31), None]})
    >>> hr.col("name").str.contains("an").evaluate(t).to_pylist()
    [False, True, None]
    >>> hr.col("day").dt.year().evaluate(t).to_pylist()
    [2024, 2023, None]
    >>> (hr.col("day") + datetime.timedelta(days=2)).evaluate(t).to_pylist()
    [datetime.date(2024, 3, 1), datetime.date(2024, 1, 2), None]
"""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow as pa

from ._expr import (
    _ARROW_TYPE_ERRORS,
    _COMPARISONS,
    _FUNCTIONS,
    Call,
    Expr,
    Literal,
    _Evaluate,
    _Node,
    _operand,
    _type_error,
    _wrap,
)
from ._expr_decimal import decimal_arithmetic
from ._expr_types import coerce_literal, common_decimal, default_scalar


def _scalar_value(value: Any) -> Any:
    """The Python value of a literal operand (a Scalar, or a pushdown pair's sample)."""
    sample = getattr(value, "sample", value)
    return sample.as_py() if isinstance(sample, pa.Scalar) else None


def _shift_date(ctx: _Evaluate, op: str, date: Any, delta: Any) -> Any | None:
    """date32 +/- a whole number of days stays a date32 (None: not that case)."""
    days = _scalar_value(delta)
    if not isinstance(days, datetime.timedelta) or days % datetime.timedelta(days=1):
        return None
    as_int = ctx.cast(date, pa.int32())
    shifted = ctx.call(_FUNCTIONS[op], as_int, ctx.scalar(pa.scalar(days.days, pa.int32())))
    return ctx.cast(shifted, pa.date32())


def _floor_divide(ctx: _Evaluate, op: str, a: Any, b: Any) -> Any:
    """Python's ``//`` and ``%`` (result takes the divisor's sign); x // 0 is null."""
    at, bt = ctx.type_of(a), ctx.type_of(b)
    if not (pa.types.is_integer(at) and pa.types.is_integer(bt)):
        quotient = ctx.call("floor", ctx.call("divide", a, b))
        if op == "//":
            return quotient
        return ctx.call("subtract", a, ctx.call("multiply", quotient, b))
    zero = ctx.scalar(pa.scalar(0, bt))
    b = ctx.call("if_else", ctx.call("equal", b, zero), ctx.scalar(pa.scalar(None, bt)), b)
    q = ctx.call("divide", a, b)                      # truncates toward zero
    r = ctx.call("subtract", a, ctx.call("multiply", q, b))
    qt = ctx.type_of(q)
    zero_q = ctx.scalar(pa.scalar(0, qt))
    # The truncated quotient is one too big when the remainder and divisor differ in sign.
    adjust = ctx.call("and_kleene", ctx.call("not_equal", r, zero_q),
                      ctx.call("not_equal", ctx.call("less", r, zero_q),
                               ctx.call("less", b, zero)))
    if op == "//":
        return ctx.call("subtract", q, ctx.cast(adjust, qt))
    return ctx.call("add", r, ctx.call("if_else", adjust, b, zero_q))


def _exact_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_decimal(kind)


def apply_binary(ctx: _Evaluate, op: str, left: Any, right: Any) -> Any:
    """``left <op> right`` on two built operands (Arrow values or pushdown pairs)."""
    lt, rt = ctx.type_of(left), ctx.type_of(right)
    if op in _COMPARISONS and pa.types.is_decimal(lt) and pa.types.is_decimal(rt) and lt != rt:
        common = common_decimal(lt, rt)       # exact: no rounding of either side
        if lt != common:
            left = ctx.cast(left, common)
        if rt != common:
            right = ctx.cast(right, common)
    elif op in ("+", "-") and pa.types.is_date32(lt) and pa.types.is_duration(rt):
        shifted = _shift_date(ctx, op, left, right)
        if shifted is not None:
            return shifted
    elif op == "+" and pa.types.is_duration(lt) and pa.types.is_date32(rt):
        shifted = _shift_date(ctx, op, right, left)
        if shifted is not None:
            return shifted
    if op in ("+", "-", "*") and pa.types.is_decimal128(lt) and pa.types.is_decimal128(rt):
        return decimal_arithmetic(ctx, op, left, right)
    if op == "/":
        # True division gives floats, also for decimals (as DuckDB does): no decimal type
        # holds every quotient exactly.
        if _exact_number(lt) and _exact_number(rt):
            left, right = ctx.cast(left, pa.float64()), ctx.cast(right, pa.float64())
        return ctx.call("divide", left, right)
    if op in ("//", "%"):
        return _floor_divide(ctx, op, left, right)
    return ctx.call(_FUNCTIONS[op], left, right)


class StringFunctions:
    """``expr.str``: functions of string columns (``contains``, ``like``, ``starts_with``,
    ``ends_with``)."""

    def __init__(self, expr: Expr) -> None:
        self._expr = expr

    def contains(self, pattern: str, literal: bool = True, ignore_case: bool = False) -> Expr:
        """True where the string contains ``pattern`` (a regular expression when
        ``literal=False``, RE2 syntax)."""
        args = repr(pattern) + ("" if literal else ", literal=False") + (
            ", ignore_case=True" if ignore_case else "")
        function = "match_substring" if literal else "match_substring_regex"
        return Call(function, (self._expr,), {"pattern": pattern, "ignore_case": ignore_case},
                    f".str.contains({args})")

    def like(self, pattern: str, ignore_case: bool = False) -> Expr:
        """True where the whole string matches the SQL LIKE ``pattern``: ``%`` stands for any
        run of characters, ``_`` for one character, and a backslash escapes either.

        Examples:
            >>> import pyarrow as pa
            >>> from headrace import col
            >>> t = pa.table({"type": ["PROMO BRUSHED TIN", "STANDARD POLISHED", "PROMO_X", None]})
            >>> col("type").str.like("PROMO%").evaluate(t).to_pylist()
            [True, False, True, None]
            >>> col("type").str.like("%O\\\\_X").evaluate(t).to_pylist()
            [False, False, True, None]
        """
        args = repr(pattern) + (", ignore_case=True" if ignore_case else "")
        return Call("match_like", (self._expr,), {"pattern": pattern, "ignore_case": ignore_case},
                    f".str.like({args})")

    def starts_with(self, prefix: str, ignore_case: bool = False) -> Expr:
        """True where the string starts with ``prefix``."""
        return Call("starts_with", (self._expr,), {"pattern": prefix, "ignore_case": ignore_case},
                    f".str.starts_with({prefix!r})")

    def ends_with(self, suffix: str, ignore_case: bool = False) -> Expr:
        """True where the string ends with ``suffix``."""
        return Call("ends_with", (self._expr,), {"pattern": suffix, "ignore_case": ignore_case},
                    f".str.ends_with({suffix!r})")


class DateFunctions:
    """``expr.dt``: parts of date and timestamp columns (in the timestamp's time zone), and
    whole months or years added to dates."""

    def __init__(self, expr: Expr) -> None:
        self._expr = expr

    def year(self) -> Expr:
        """The year, as int64."""
        return Call("year", (self._expr,), {}, ".dt.year()")

    def month(self) -> Expr:
        """The month, 1 to 12, as int64."""
        return Call("month", (self._expr,), {}, ".dt.month()")

    def day(self) -> Expr:
        """The day of the month, 1 to 31, as int64."""
        return Call("day", (self._expr,), {}, ".dt.day()")

    def add_months(self, months: int) -> Expr:
        """The date ``months`` whole months later (earlier if negative): SQL's ``+ interval
        'n' month``. A day the new month lacks becomes its last day (January 31 plus one
        month is February 28 or 29). For date32 values.

        Examples:
            >>> import datetime
            >>> import pyarrow as pa
            >>> from headrace import col
            >>> t = pa.table({"d": [datetime.date(2024, 3, 31)]})
            >>> col("d").dt.add_months(-1).evaluate(t).to_pylist()
            [datetime.date(2024, 2, 29)]
        """
        from ._expr_calendar import AddMonths

        return AddMonths(self._expr, months, f".dt.add_months({months!r})")

    def add_years(self, years: int) -> Expr:
        """The date ``years`` whole years later (earlier if negative): SQL's ``+ interval
        'n' year``; February 29 becomes February 28 in a year that is not a leap year."""
        from ._expr_calendar import AddMonths

        if isinstance(years, bool) or not isinstance(years, int):
            raise TypeError(f".dt.add_years: expected a whole number of years, got {years!r}")
        return AddMonths(self._expr, 12 * years, f".dt.add_years({years!r})")


class Cast(_Node):
    """The operand converted to another type."""

    __slots__ = ("operand", "to")
    operand: Expr
    to: pa.DataType

    def __init__(self, operand: Expr, to: pa.DataType) -> None:
        super().__init__(operand=operand, to=to)

    def _children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def __repr__(self) -> str:
        return f"{_operand(self.operand)}.cast({str(self.to)!r})"

    def _build(self, ctx: _Evaluate) -> Any:
        value = self.operand._build(ctx)
        try:
            return ctx.cast(value, self.to)
        except _ARROW_TYPE_ERRORS as error:
            raise _type_error(self, ctx, (value,), error) from error


class Alias(_Node):
    """The operand under another name."""

    __slots__ = ("operand", "name")
    operand: Expr
    name: str

    def __init__(self, operand: Expr, name: str) -> None:
        super().__init__(operand=operand, name=name)

    def _children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def __repr__(self) -> str:
        return f"{_operand(self.operand)}.alias({self.name!r})"

    def _build(self, ctx: _Evaluate) -> Any:
        return self.operand._build(ctx)

    def _given_name(self) -> str | None:
        return self.name


class IsIn(_Node):
    """True where the operand is one of ``values``."""

    __slots__ = ("operand", "values")
    operand: Expr
    values: tuple[Any, ...]

    def __init__(self, operand: Expr, values: tuple[Any, ...]) -> None:
        super().__init__(operand=operand, values=values)

    def _children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def __repr__(self) -> str:
        return f"{_operand(self.operand)}.isin({list(self.values)!r})"

    def _build(self, ctx: _Evaluate) -> Any:
        value = self.operand._build(ctx)
        target = ctx.type_of(value)
        kept = []
        for v in self.values:
            try:  # a value the column's type cannot hold exactly can match no row
                kept.append(coerce_literal(v, target).cast(target))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError,
                    TypeError, OverflowError):
                continue
        value_set = pa.array([s.as_py() for s in kept], type=target)
        try:
            return ctx.call("is_in", value, value_set=value_set)
        except _ARROW_TYPE_ERRORS as error:
            raise _type_error(self, ctx, (value,), error) from error


class When(_Node):
    """``when(c1).then(v1).when(c2).then(v2).otherwise(v3)``: the value of the first
    condition that is true (a null condition counts as false), else ``otherwise``."""

    __slots__ = ("cases", "default")
    cases: tuple[tuple[Expr, Expr], ...]
    default: Expr

    def __init__(self, cases: tuple[tuple[Expr, Expr], ...], default: Expr) -> None:
        super().__init__(cases=cases, default=default)

    def _children(self) -> tuple[Expr, ...]:
        return tuple(e for case in self.cases for e in case) + (self.default,)

    def __repr__(self) -> str:
        text = "".join(
            f"{'when' if i == 0 else '.when'}({c!r}).then({_operand(v)})"
            for i, (c, v) in enumerate(self.cases))
        return f"{text}.otherwise({_operand(self.default)})"

    def when(self, condition: Any) -> _WhenThen:
        """Another case, tried after the previous ones."""
        return _WhenThen(self.cases, _wrap(condition))

    def otherwise(self, value: Any) -> Expr:
        """The value where no condition is true (null when not given)."""
        return When(self.cases, _wrap(value))

    def _build(self, ctx: _Evaluate) -> Any:
        branches = [v for _, v in self.cases] + [self.default]
        built: dict[int, Any] = {
            i: b._build(ctx) for i, b in enumerate(branches) if not isinstance(b, Literal)}
        target = ctx.type_of(next(iter(built.values()))) if built else None
        if target is None:
            non_null = [b.value for b in branches if b.value is not None]  # type: ignore[attr-defined]
            target = default_scalar(non_null[0]).type if non_null else None
        values = [built[i] if i in built else ctx.scalar(coerce_literal(b.value, target))  # type: ignore[attr-defined]
                  for i, b in enumerate(branches)]
        result = values[-1]
        false = ctx.scalar(pa.scalar(False))
        for (condition, _), value in zip(reversed(self.cases), reversed(values[:-1])):
            cond = ctx.call("coalesce", condition._build(ctx), false)
            try:
                result = ctx.call("if_else", cond, value, result)
            except _ARROW_TYPE_ERRORS as error:
                raise _type_error(self, ctx, (value, result), error) from error
        return result


class _WhenThen:
    """``when(condition)`` waiting for its ``.then(value)``."""

    def __init__(self, cases: tuple[tuple[Expr, Expr], ...], condition: Expr) -> None:
        self._cases = cases
        self._condition = condition

    def then(self, value: Any) -> When:
        return When(self._cases + ((self._condition, _wrap(value)),), Literal(None))

    def __repr__(self) -> str:
        return f"when({self._condition!r})  # add .then(value)"


def when(condition: Any) -> _WhenThen:
    """Start a conditional expression: ``when(c).then(a).otherwise(b)``.

    Examples:
        >>> import pyarrow as pa
        >>> from headrace import col
        >>> size = when(col("x") > 10).then("big").when(col("x") > 2).then("mid").otherwise("small")
        >>> size.evaluate(pa.table({"x": [1, 5, 50, None]})).to_pylist()
        ['small', 'mid', 'big', 'small']
    """
    return _WhenThen((), _wrap(condition))
