"""Answers about expressions remembered by their structure: result types, native filter terms.

``Expr.output_type`` evaluates the expression on an empty table of the input's columns: the
type pyarrow's kernels give, with their checks (a string compared with a number fails as
it would on data). A filter's native terms convert its literals to the columns' types
through pyarrow too. That takes pyarrow calls per node, and a query built again (the same
filters and columns on the same files) asks the same questions again. So the answers are
kept, keyed by the expression's structure and the names and types of the columns it reads.

The structure is spelled from the fields each node sets once (what ``Expr.__reduce__``
pickles). Literal values are spelled by type and ``repr``, because equal values need not
give equal types: ``Decimal("1.5") == Decimal("1.50")`` with different scales, and equal
instants in different time zones. An expression holding a value of any other kind is not
remembered (its ``repr`` might be an address that a later object reuses).

Examples:
    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> from headrace import col, lit
    >>> structural_key(col("x") * lit(Decimal("1.5"))) == structural_key(col("x") * lit(Decimal("1.50")))
    False
    >>> structural_key(col("x") + 1) == structural_key(col("x") + 1)
    True
"""

from __future__ import annotations

import datetime
import decimal
import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pyarrow as pa

from ._expr import Expr, _fields

__all__ = ["remembered", "structural_key"]

# Answers kept; when full, the oldest half goes (a plan asks a few dozen questions).
CACHED_ANSWERS = 2048
_MISSING = object()

_VALUE_TYPES = (type(None), bool, int, float, str, bytes, decimal.Decimal, datetime.date, datetime.time,
                datetime.timedelta, np.generic)

_answers: dict[Hashable, Any] = {}
_lock = threading.Lock()


class _Unkeyable(Exception):
    pass


def structural_key(expr: Any) -> Hashable | None:
    """A hashable spelling of ``expr`` (an expression, or a list of them), equal for trees
    that evaluate alike; None when a node holds a value that cannot be spelled safely."""
    try:
        return _key(expr)
    except _Unkeyable:
        return None


def _key(value: Any) -> Hashable:
    if isinstance(value, Expr):
        try:
            found = value._structure
        except AttributeError:
            try:
                found = (type(value), tuple((name, _key(getattr(value, name))) for name in _fields(type(value))
                                            if hasattr(value, name)))
            except _Unkeyable:
                found = None
            object.__setattr__(value, "_structure", found)  # kept on the (immutable) node
        if found is None:
            raise _Unkeyable
        return found
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((_key(k), _key(v)) for k, v in value.items()))
    if isinstance(value, pa.DataType):
        return (pa.DataType, value)
    if isinstance(value, _VALUE_TYPES):
        return (type(value), repr(value))
    raise _Unkeyable


def remembered(what: str, expr: Any, schema: pa.Schema, compute: Callable[[], Any]) -> Any:
    """``compute()``, an answer about ``expr`` over columns of ``schema`` (``what`` names the
    question: its type, its native filter term), remembered for the same structure over
    columns of the same names and types. Errors are not remembered; an answer must not be
    changed by its users."""
    key = structural_key(expr)
    if key is None:
        return compute()
    names = schema.names
    columns = tuple((n, schema.field(n).type if n in names else None) for n in sorted(expr.columns()))
    full = (what, key, columns)
    found = _answers.get(full, _MISSING)
    if found is not _MISSING:
        return found
    found = compute()
    with _lock:
        if len(_answers) >= CACHED_ANSWERS:
            for old in list(_answers)[: CACHED_ANSWERS // 2]:
                del _answers[old]
        _answers[full] = found
    return found
