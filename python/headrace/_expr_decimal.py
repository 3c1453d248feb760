"""Decimal arithmetic of the expression layer: exact ``+ - *`` on decimal128 columns.

The result type follows Arrow's rules (``p1 + p2 + 1`` digits and ``s1 + s2`` decimals for a
product; one more integer digit than the wider operand for a sum), with the precision capped
at 38, as in DuckDB: ``price * (1 - discount) * (1 + tax)`` on ``decimal128(15, 2)`` columns is
a ``decimal128(38, 6)``, where raw pyarrow raises. A value that does not fit the capped type
raises ``pyarrow.ArrowInvalid``; nothing is rounded.

Where every operand value (and the exact result) fits in 64 bits, which is the common case
for money, the operation runs natively on the int64 unscaled values, in one pass
(``cpp/kernels/decimal_arithmetic.h``), instead of pyarrow's 128-bit decimal kernels
(several times faster); the answer is the same. A whole tree of them is one native pass
(``_expr_decimal_tree``); this module computes one operation.

Examples:
    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> import headrace as hr
    >>> t = pa.table({"p": pa.array([Decimal("10.50"), None], pa.decimal128(15, 2)),
    ...               "d": pa.array([Decimal("0.05"), Decimal("0.10")], pa.decimal128(15, 2))})
    >>> (hr.col("p") * (1 - hr.col("d"))).evaluate(t).to_pylist()
    [Decimal('9.9750'), None]
    >>> (hr.col("p") * (1 - hr.col("d")) * (1 + hr.col("d"))).output_type(t.schema)
    Decimal128Type(decimal128(38, 6))
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow_pool import POOL

__all__ = ["INT64_LIMIT", "decimal_arithmetic", "decimal_result_type", "operand_value", "validity_of_all"]

_MAX_PRECISION = 38
INT64_LIMIT = 1 << 63
_CHECKED = {"+": "add_checked", "-": "subtract_checked", "*": "multiply_checked"}


def decimal_result_type(op: str, left: pa.DataType, right: pa.DataType) -> pa.DataType:
    """The type of ``left <op> right`` for two decimal128 types (``op`` one of ``+ - *``).

    Examples:
        >>> decimal_result_type("*", pa.decimal128(15, 2), pa.decimal128(16, 2))
        Decimal128Type(decimal128(32, 4))
        >>> decimal_result_type("*", pa.decimal128(32, 4), pa.decimal128(16, 2))
        Decimal128Type(decimal128(38, 6))
        >>> decimal_result_type("-", pa.decimal128(1, 0), pa.decimal128(15, 2))
        Decimal128Type(decimal128(16, 2))
    """
    if op == "*":
        scale = left.scale + right.scale
    else:
        scale = max(left.scale, right.scale)
    precision = _arrow_precision(op, left, right)
    if scale > _MAX_PRECISION:
        raise pa.ArrowInvalid(f"the result of {left} {op} {right} needs {scale} decimal places; "
                              f"decimal128 holds at most {_MAX_PRECISION}")
    return pa.decimal128(min(precision, _MAX_PRECISION), scale)


def decimal_arithmetic(ctx: Any, op: str, left: Any, right: Any) -> Any:
    """``left <op> right`` for two decimal128 operands built by ``ctx`` (Arrow values, or the
    pyarrow-expression pairs of a pushdown), typed by :func:`decimal_result_type`."""
    lt, rt = ctx.type_of(left), ctx.type_of(right)
    target = decimal_result_type(op, lt, rt)
    fast = _on_int64(op, left, right, lt, rt, target)
    if fast is not None:
        return fast
    if _arrow_precision(op, lt, rt) <= _MAX_PRECISION:  # then Arrow's type is ``target``
        return ctx.call(_CHECKED[op], left, right)
    # Arrow's own type would need more than 38 digits: compute in decimal256, then check the
    # result fits the capped type (a checked cast raises on a value that does not).
    wide = ctx.call(_CHECKED[op], ctx.cast(left, _widened(lt)), ctx.cast(right, _widened(rt)))
    return ctx.cast(wide, target)


def _arrow_precision(op: str, left: pa.DataType, right: pa.DataType) -> int:
    """The precision of Arrow's own result type, before any cap."""
    if op == "*":
        return left.precision + right.precision + 1
    return max(left.precision - left.scale, right.precision - right.scale) + max(left.scale, right.scale) + 1


def _widened(kind: pa.DataType) -> pa.DataType:
    """decimal256 of at most 37 digits, so that a product's 2 * 37 + 1 digits fit in 76 (a
    38-digit value, rare, fails this checked cast instead of the result's)."""
    return pa.decimal256(max(min(kind.precision, _MAX_PRECISION - 1), kind.scale), kind.scale)


def operand_value(value: Any, kind: pa.DataType) -> Any:
    """An operand for the native pass: the array itself, or a scalar's unscaled value (None
    for a null scalar, or one that needs more than 64 bits)."""
    if isinstance(value, pa.Array):
        return value if pa.types.is_decimal128(value.type) and value.buffers()[1] is not None else None
    if isinstance(value, pa.Scalar) and value.is_valid:
        unscaled = int(value.as_py().scaleb(kind.scale))
        return unscaled if -INT64_LIMIT <= unscaled < INT64_LIMIT else None
    return None


def _on_int64(op: str, left: Any, right: Any, lt: pa.DataType, rt: pa.DataType,
              target: pa.DataType) -> pa.Array | None:
    """The result computed natively on int64 unscaled values (one pass), or None where some
    value or result needs more than 64 bits (or the operands are not plain arrays and
    scalars, such as a pushdown's expressions)."""
    if not (isinstance(left, pa.Array) or isinstance(right, pa.Array)):
        return None
    a, b = operand_value(left, lt), operand_value(right, rt)
    if a is None or b is None:
        return None
    n = len(left) if isinstance(left, pa.Array) else len(right)
    if n == 0:
        return None  # nothing to gain; pyarrow's kernel gives the same type
    fa = fb = 1
    if op != "*":
        fa, fb = 10 ** (target.scale - lt.scale), 10 ** (target.scale - rt.scale)
        if fa >= INT64_LIMIT or fb >= INT64_LIMIT:
            return None
    buffer = pa.allocate_buffer(16 * n, memory_pool=POOL)
    if not _core.decimal_int64_program([0, 1, (op, fa, fb)], [a, b], buffer):
        return None
    arrays = [v for v in (left, right) if isinstance(v, pa.Array)]
    return pa.Array.from_buffers(target, n, [validity_of_all(arrays), buffer])


def validity_of_all(arrays: list[pa.Array]) -> pa.Buffer | None:
    """The bitmap of the rows where every array is valid (None: all rows are)."""
    valid = None
    for array in arrays:
        if array.null_count:
            here = pc.is_valid(array, memory_pool=POOL)
            valid = here if valid is None else pc.and_(valid, here, memory_pool=POOL)
    # is_valid and and_ allocate their results, so the bitmap starts at offset 0.
    return None if valid is None else valid.buffers()[1]
