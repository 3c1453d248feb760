"""Type helpers of the expression layer: literal coercion, common decimal types, errors.

A Python literal next to a column takes the column's type when that loses nothing:

Examples:
    >>> import pyarrow as pa
    >>> coerce_literal(24, pa.decimal128(12, 2))
    <pyarrow.Decimal128Scalar: Decimal('24')>
    >>> coerce_literal("2024-03-01", pa.date32())
    <pyarrow.Date32Scalar: datetime.date(2024, 3, 1)>
    >>> coerce_literal(1.5, pa.int64())        # promoted, never truncated
    <pyarrow.DoubleScalar: 1.5>
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import pyarrow as pa


class ColumnNotFoundError(KeyError):
    """An expression names a column that its input does not have.

    A ``KeyError`` subclass; the message names the operator (when known), the column and
    the available ones.

    Examples:
        >>> print(ColumnNotFoundError("qty", ["price", "region"], operator="filter"))
        filter: column 'qty' not found; available columns: 'price', 'region'
    """

    def __init__(self, name: str, available: list[str], operator: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.available = list(available)
        self.operator = operator

    def __str__(self) -> str:
        names = ", ".join(repr(n) for n in self.available) or "(none)"
        where = f"{self.operator}: " if self.operator else ""
        return f"{where}column {self.name!r} not found; available columns: {names}"


_UNITS = ("s", "ms", "us", "ns")
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def decimal_type_for(value: decimal.Decimal) -> pa.DataType:
    """The smallest decimal type that holds ``value`` exactly.

    Examples:
        >>> decimal_type_for(decimal.Decimal("24.005"))
        Decimal128Type(decimal128(5, 3))
        >>> decimal_type_for(decimal.Decimal("1E+3"))
        Decimal128Type(decimal128(4, 0))
    """
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    scale = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    precision = max(1, integer_digits + scale)
    if precision > 38:
        return pa.decimal256(precision, scale)
    return pa.decimal128(precision, scale)


def common_decimal(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    """A decimal type that holds every value of both decimal types ``a`` and ``b``.

    Examples:
        >>> common_decimal(pa.decimal128(12, 2), pa.decimal128(5, 3))
        Decimal128Type(decimal128(13, 3))
    """
    scale = max(a.scale, b.scale)
    integer_digits = max(a.precision - a.scale, b.precision - b.scale)
    precision = integer_digits + scale
    if precision > 38 or pa.types.is_decimal256(a) or pa.types.is_decimal256(b):
        return pa.decimal256(min(precision, 76), scale)
    return pa.decimal128(precision, scale)


def default_scalar(value: Any) -> pa.Scalar:
    """The Arrow scalar of a Python value when no column gives it a type."""
    if isinstance(value, pa.Scalar):
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return pa.scalar(value, decimal_type_for(value))
    return pa.scalar(value)


def _finest_unit(value: datetime.datetime | datetime.timedelta, unit: str) -> str:
    """``unit``, or a finer one when ``value`` has digits below ``unit``."""
    micros = value.microsecond if isinstance(value, datetime.datetime) else value.microseconds
    for candidate in _UNITS[_UNITS.index(unit):]:
        if micros * _PER_SECOND[candidate] % 1_000_000 == 0:
            return candidate
    return "us"


def _timestamp_scalar(value: datetime.datetime, target: pa.TimestampType) -> pa.Scalar:
    aware = value.tzinfo is not None and value.utcoffset() is not None
    if target.tz is not None and not aware:
        raise TypeError(
            f"cannot compare {value!r} (a naive datetime) with a column of type {target}: "
            "give the datetime a time zone")
    if target.tz is None and aware:
        raise TypeError(
            f"cannot compare {value!r} (a datetime with a time zone) with a column of type "
            f"{target}: use a naive datetime")
    return pa.scalar(value, pa.timestamp(_finest_unit(value, target.unit), target.tz))


def coerce_literal(value: Any, target: pa.DataType | None) -> pa.Scalar:
    """The Arrow scalar for the Python ``value`` used next to a value of type ``target``.

    The literal takes ``target`` (or a type close to it) when nothing is lost: ints and
    floats next to decimals become exact decimals, ISO strings and dates next to dates
    become dates, datetimes next to timestamps keep the column's time zone, floats next
    to integers stay floats. Otherwise the literal keeps its own default type and
    pyarrow decides (or raises, reported as a TypeError by the caller).
    """
    if isinstance(value, pa.Scalar):
        return value
    if target is None or pa.types.is_null(target):
        return default_scalar(value)
    if value is None:
        return pa.scalar(None, target)
    if isinstance(value, bool):
        return pa.scalar(value)
    if pa.types.is_decimal(target):
        if isinstance(value, float) and math.isfinite(value):
            value = decimal.Decimal(repr(value))
        if isinstance(value, int):
            value = decimal.Decimal(value)
        if isinstance(value, decimal.Decimal) and value.is_finite():
            return pa.scalar(value, decimal_type_for(value))
    elif pa.types.is_integer(target) and isinstance(value, int):
        try:
            return pa.scalar(value, target)
        except (OverflowError, pa.ArrowInvalid):
            return default_scalar(value)
    elif pa.types.is_floating(target) and isinstance(value, (int, float)):
        return pa.scalar(float(value), target)
    elif pa.types.is_date(target):
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                return default_scalar(value)
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return pa.scalar(value, target)
    elif pa.types.is_timestamp(target):
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                return default_scalar(value)
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        if isinstance(value, datetime.datetime):
            return _timestamp_scalar(value, target)
        if isinstance(value, datetime.timedelta):
            return pa.scalar(value, pa.duration(_finest_unit(value, target.unit)))
    elif (pa.types.is_string(target) or pa.types.is_large_string(target)) and isinstance(
            value, str):
        return pa.scalar(value, target)
    return default_scalar(value)


def type_from(spec: pa.DataType | str) -> pa.DataType:
    """A pyarrow type from a type or a type name.

    Examples:
        >>> type_from("float64")
        DataType(double)
        >>> type_from("timestamp[ms]")
        TimestampType(timestamp[ms])
    """
    if isinstance(spec, pa.DataType):
        return spec
    if isinstance(spec, str):
        try:
            return pa.type_for_alias(spec)
        except ValueError:
            raise ValueError(f"unknown type name {spec!r}; use a pyarrow DataType or a name "
                             "such as 'int64', 'float64', 'string', 'date32'") from None
    raise TypeError(f"expected a pyarrow DataType or a type name, got {spec!r}")
