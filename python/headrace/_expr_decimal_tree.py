"""A tree of decimal ``+ - *`` evaluated in one native pass.

``price * (1 - discount) * (1 + tax)`` built node by node makes a 16-byte-per-row decimal128
column for every operation (four for TPC-H's charge), each written out and read back. Here
the tree's operands are built first (columns, literals, anything that is not decimal
arithmetic), the arithmetic becomes a postfix program over them, and
``_core.decimal_int64_program`` computes it a few hundred rows at a time on int64 unscaled
values: one result column, no intermediate ones. Every node keeps the type node-by-node
evaluation gives it (``decimal_result_type``), so the answer and its type are the same.

Where the program cannot run (an operand beyond 64 bits, a chunked or dictionary-encoded
operand, a null literal, an empty batch) the tree is computed node by node, as before.

Examples:
    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> import headrace as hr
    >>> t = pa.record_batch({"p": pa.array([Decimal("10.00"), None, Decimal("2.50")], pa.decimal128(15, 2)),
    ...                      "d": pa.array([Decimal("0.10"), Decimal("0.00"), Decimal("0.00")], pa.decimal128(15, 2))})
    >>> (hr.col("p") * (1 - hr.col("d")) * (1 + hr.col("d"))).evaluate(t).to_pylist()
    [Decimal('9.900000'), None, Decimal('2.500000')]
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from . import _core
from ._arrow_pool import POOL
from ._expr import ARITHMETIC, Binary, Literal, _Evaluate
from ._expr_decimal import INT64_LIMIT, decimal_result_type, operand_value, validity_of_all
from ._expr_types import coerce_literal

__all__ = ["build_arithmetic"]


class _Pending:
    """A decimal ``left <op> right`` not computed yet, with the type it will have."""

    __slots__ = ("node", "left", "right", "type")

    def __init__(self, node: Binary, left: Any, right: Any, kind: pa.DataType) -> None:
        self.node, self.left, self.right, self.type = node, left, right, kind


def build_arithmetic(ctx: _Evaluate, node: Binary) -> Any:
    """``node`` (a ``+ - *`` Binary) built on the Arrow values of ``ctx``."""
    return _computed(ctx, _gather(ctx, node))


def _type(ctx: _Evaluate, value: Any) -> pa.DataType:
    return value.type if isinstance(value, _Pending) else ctx.type_of(value)


def _gather(ctx: _Evaluate, node: Any) -> Any:
    """The node's value, decimal arithmetic left pending."""
    if not (isinstance(node, Binary) and node.op in ARITHMETIC):
        return node._build(ctx)
    left, right = node.left, node.right
    # A literal beside a non-literal takes the other side's type (as build_pair).
    if isinstance(left, Literal) and not isinstance(right, Literal):
        b = _gather(ctx, right)
        a = ctx.scalar(coerce_literal(left.value, _type(ctx, b)))
    else:
        a = _gather(ctx, left)
        b = (ctx.scalar(coerce_literal(right.value, _type(ctx, a)))
             if isinstance(right, Literal) and not isinstance(left, Literal) else _gather(ctx, right))
    at, bt = _type(ctx, a), _type(ctx, b)
    if pa.types.is_decimal128(at) and pa.types.is_decimal128(bt):
        try:
            return _Pending(node, a, b, decimal_result_type(node.op, at, bt))
        except pa.ArrowInvalid:
            pass  # no type holds the result: node by node, which raises as it does
    return node._apply(ctx, _computed(ctx, a), _computed(ctx, b))


def _computed(ctx: _Evaluate, value: Any) -> Any:
    """The value itself: a pending tree computed by its program, else node by node."""
    if not isinstance(value, _Pending):
        return value
    found = _run_program(ctx, value)
    if found is not None:
        return found
    return value.node._apply(ctx, _computed(ctx, value.left), _computed(ctx, value.right))


def _run_program(ctx: _Evaluate, root: _Pending) -> pa.Array | None:
    """The tree computed by one native program; None where that cannot be."""
    steps: list[int | tuple[str, int, int]] = []
    operands: list[Any] = []
    arrays: list[pa.Array] = []

    def emit(value: Any, kind: pa.DataType) -> bool:
        if isinstance(value, _Pending):
            node, lt, rt = value.node, _type(ctx, value.left), _type(ctx, value.right)
            if not (emit(value.left, lt) and emit(value.right, rt)):
                return False
            fa = fb = 1
            if node.op != "*":
                fa, fb = 10 ** (value.type.scale - lt.scale), 10 ** (value.type.scale - rt.scale)
                if fa >= INT64_LIMIT or fb >= INT64_LIMIT:
                    return False
            steps.append((node.op, fa, fb))
            return True
        operand = operand_value(value, kind)
        if operand is None:
            return False
        if isinstance(value, pa.Array):
            arrays.append(value)
        steps.append(len(operands))
        operands.append(operand)
        return True

    if not emit(root, root.type) or not arrays or len(arrays[0]) == 0:
        return None
    n = len(arrays[0])
    buffer = pa.allocate_buffer(16 * n, memory_pool=POOL)
    if not _core.decimal_int64_program(steps, operands, buffer):
        return None
    return pa.Array.from_buffers(root.type, n, [validity_of_all(arrays), buffer])
