"""The terms of a filter that ``_core.RowFilter`` evaluates natively.

A term qualifies when it compares a column with a constant (``<``, ``<=``, ``>``, ``>=``,
``==``, ``!=``, ``isin`` but on floats) or with another column of the same type, and the constant,
converted the way the expression itself converts it (``coerce_literal``), is exactly a
value of the column's type: an integer for integer, date and timestamp columns, a
decimal's unscaled value at the column's scale, a float for float columns, UTF-8 bytes for
string columns (plain or dictionary-encoded at run time). An ``|`` of conjunctions of such
terms runs natively too, one conjunction at a time (``ConjunctFilter``). Every other term
(arithmetic, string functions, null literals, an ``isin`` with a null, types that would be
promoted) is left to pyarrow, with unchanged results: the native kernel keeps exactly the
rows for which the term is true.

Examples:
    >>> import pyarrow as pa
    >>> import headrace as hr
    >>> schema = pa.schema({"day": pa.date32(), "price": pa.decimal128(15, 2), "x": pa.float64()})
    >>> native_term(hr.col("price") < 24, schema)
    ('price', '<', None, [('int', 2400, 2)])
    >>> native_term(hr.col("day") >= "1994-01-01", schema)
    ('day', '>=', None, [('int', 8766, -1)])
    >>> native_term(hr.col("x") * 2 > 1, schema) is None
    True
"""

from __future__ import annotations

import decimal
from typing import Any

import pyarrow as pa

from ._expr import Binary, Column, Expr, Literal
from ._expr_cache import remembered
from ._expr_functions import IsIn
from ._expr_types import coerce_literal

__all__ = ["native_term"]

Term = tuple[str, str, "str | None", list[tuple[str, Any, int]]]

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_INT128 = 1 << 127


def _kind(kind: pa.DataType) -> str | None:
    """How the native kernel compares values of a column of ``kind``."""
    if pa.types.is_dictionary(kind):
        return _kind(kind.value_type) if pa.types.is_integer(kind.index_type) else None
    if pa.types.is_integer(kind) or pa.types.is_date32(kind) or pa.types.is_timestamp(kind):
        return "int"
    if pa.types.is_float32(kind) or pa.types.is_float64(kind):
        return "float"
    if pa.types.is_decimal128(kind):
        return "decimal"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return "bytes"
    return None


def _constant(expr: Expr) -> pa.Scalar | None:
    """The value of an expression without columns (``lit(d).dt.add_years(1)``)."""
    try:
        value = expr.evaluate(pa.table({"_": pa.array([0], pa.int8())}))
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(value, pa.Scalar):
        return value
    return value[0] if len(value) == 1 else None


def _literal(value: Any, column: pa.DataType, literal_expr: bool) -> tuple[str, Any, int] | None:
    """The native literal for ``value`` beside a column of type ``column``, or None."""
    plain = column.value_type if pa.types.is_dictionary(column) else column
    kind = _kind(plain)
    if kind is None:
        return None
    if literal_expr:  # a Python value: converted to the column's type as the expression does
        try:
            scalar = coerce_literal(value, plain)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None
    else:
        scalar = value
    if not scalar.is_valid:
        return None
    have = scalar.type
    if kind == "bytes":
        ok = pa.types.is_string(have) or pa.types.is_large_string(have) or pa.types.is_string_view(have)
        return ("bytes", scalar.as_py().encode(), -1) if ok else None
    if kind == "float":
        return ("float", float(scalar.as_py()), -1) if have == plain else None
    if kind == "decimal":
        if not pa.types.is_decimal(have):
            return None
        unscaled = scalar.as_py().scaleb(plain.scale)
        if unscaled != unscaled.to_integral_value() or abs(int(unscaled)) >= _INT128:
            return None
        return ("int", int(unscaled), plain.scale)
    if pa.types.is_integer(plain):
        if not pa.types.is_integer(have):  # a float beside an integer column stays a float
            return None
        number = scalar.as_py()
        return ("int", number, -1) if -_INT128 <= number < _INT128 else None
    if have != plain:  # dates and timestamps: the same unit (and zone)
        return None
    return ("int", scalar.value, -1)


def _comparison(term: Binary, schema: pa.Schema) -> Term | None:
    left, right, op = term.left, term.right, term.op
    if not isinstance(left, Column):
        left, right, op = right, left, _FLIPPED[op]
    if not isinstance(left, Column) or left.name not in schema.names:
        return None
    column = schema.field(left.name).type
    if isinstance(right, Column):
        if right.name not in schema.names:
            return None
        other = schema.field(right.name).type
        same = column == other if not pa.types.is_decimal(column) else (
            pa.types.is_decimal128(other) and column.scale == other.scale)
        if not same or pa.types.is_dictionary(column) or _kind(column) is None:
            return None
        return (left.name, op, right.name, [])
    if right.columns():
        return None
    if isinstance(right, Literal):
        literal = _literal(right.value, column, True)
    else:
        scalar = _constant(right)
        literal = None if scalar is None else _literal(scalar, column, False)
    return None if literal is None else (left.name, op, None, [literal])


def _isin(term: IsIn, schema: pa.Schema) -> Term | None:
    operand = term.operand
    if not isinstance(operand, Column) or operand.name not in schema.names:
        return None
    if any(v is None for v in term.values):  # a null in the set matches null rows
        return None
    column = schema.field(operand.name).type
    if _kind(column) == "float":  # pyarrow's is_in matches by hash: NaN finds NaN, -0.0 misses 0.0
        return None
    literals = []
    for value in term.values:
        literal = _literal(value, column, True)
        if literal is None:
            return None
        literals.append(literal)
    return (operand.name, "in", None, literals)


def native_term(term: Expr, schema: pa.Schema) -> Term | None:
    """The ``_core.RowFilter`` term for ``term`` over ``schema``, or None when pyarrow
    must evaluate it."""
    found = remembered("native term", term, schema, lambda: _native_term(term, schema))
    return None if found is None else (found[0], found[1], found[2], list(found[3]))  # the caller's own list


def _native_term(term: Expr, schema: pa.Schema) -> Term | None:
    try:
        if isinstance(term, Binary) and term.op in _FLIPPED:
            return _comparison(term, schema)
        if isinstance(term, IsIn):
            return _isin(term, schema)
    except (decimal.InvalidOperation, OverflowError):
        return None
    return None
