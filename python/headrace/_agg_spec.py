"""Aggregations as the user writes them, checked and typed before anything runs.

``groupby(...).agg(...)`` accepts three spellings, all normalized here to a list of
``AggSpec(output_name, column, function)``:

    agg(total=("rev", "sum"), n=("*", "count"))    # named outputs
    agg({"rev": "sum"})                             # output named after the column: "rev"
    agg({"rev": ["sum", "max"]})                    # "rev_sum", "rev_max"

Each function accepts some input types and has a known output type, so the output schema
of an aggregation is known at plan time and a wrong combination fails there, listing what
is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pyarrow as pa

from ._expr import ColumnNotFoundError

# Every aggregate function, in the order error messages list them.
FUNCTIONS = ("count", "sum", "mean", "min", "max", "first", "last", "var", "std", "count_distinct", "any", "all")


class AggSpec(NamedTuple):
    name: str  # output column
    column: str  # input column, or "*" (rows) for count
    function: str


def _value_type(kind: pa.DataType) -> pa.DataType:
    """A dictionary column aggregates as its values; a string view as a large string."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if kind == pa.string_view():
        return pa.large_string()
    return kind


def _is_numeric(kind: pa.DataType) -> bool:
    floating = pa.types.is_floating(kind) and not pa.types.is_float16(kind)
    return pa.types.is_integer(kind) or floating or pa.types.is_decimal128(kind)


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def is_key_type(kind: pa.DataType) -> bool:
    """Types a group-by key (and count_distinct) can have: what the native hash takes."""
    kind = _value_type(kind)
    floating = pa.types.is_floating(kind) and not pa.types.is_float16(kind)
    return (pa.types.is_integer(kind) or floating or pa.types.is_boolean(kind)
            or _is_string(kind) or pa.types.is_date32(kind) or pa.types.is_timestamp(kind)
            or pa.types.is_decimal128(kind))


KEY_TYPES = "integers, float32/64, bool, utf8/large_utf8, date32, timestamp, decimal128 (or dictionaries of those)"

# (accepts, description of what it accepts)
_ACCEPTS = {
    "count": (lambda t: True, "any type"),
    "sum": (_is_numeric, "integers, floats, decimal128"),
    "mean": (_is_numeric, "integers, floats, decimal128"),
    "var": (_is_numeric, "integers, floats, decimal128"),
    "std": (_is_numeric, "integers, floats, decimal128"),
    "min": (lambda t: is_key_type(t) and not pa.types.is_boolean(t), "integers, floats, decimal128, strings, "
            "date32, timestamp"),
    "max": (lambda t: is_key_type(t) and not pa.types.is_boolean(t), "integers, floats, decimal128, strings, "
            "date32, timestamp"),
    "first": (is_key_type, KEY_TYPES),
    "last": (is_key_type, KEY_TYPES),
    "count_distinct": (is_key_type, KEY_TYPES),
    "any": (pa.types.is_boolean, "bool"),
    "all": (pa.types.is_boolean, "bool"),
}


def output_type(function: str, kind: pa.DataType) -> pa.DataType:
    """The type of ``function`` over a column of type ``kind`` (already accepted)."""
    if function in ("count", "count_distinct"):
        return pa.int64()
    if function in ("mean", "var", "std"):
        return pa.float64()
    if function in ("any", "all"):
        return pa.bool_()
    kind = _value_type(kind)
    if function == "sum":
        if pa.types.is_decimal128(kind):
            return pa.decimal128(38, kind.scale)
        if pa.types.is_floating(kind):
            return pa.float64()
        return pa.uint64() if pa.types.is_unsigned_integer(kind) else pa.int64()
    return kind  # min, max, first, last


def normalize(operator: str, args: tuple[Any, ...], named: Mapping[str, Any]) -> list[AggSpec]:
    """The aggregations of ``agg(*args, **named)``; raises naming ``operator`` on a malformed one."""
    specs: list[AggSpec] = []
    for arg in args:
        if not isinstance(arg, Mapping):
            raise TypeError(f"{operator}: positional arguments must be dicts of column -> function(s), "
                            f"got {type(arg).__name__}; name outputs as out=(column, function)")
        for column, functions in arg.items():
            if isinstance(functions, str):
                specs.append(AggSpec("count" if column == "*" else column, column, functions))
            elif isinstance(functions, Sequence) and functions and all(isinstance(f, str) for f in functions):
                specs.extend(AggSpec(f"{column}_{f}", column, f) for f in functions)
            else:
                raise TypeError(f"{operator}: {column!r} must map to a function name or a list of them, "
                                f"got {functions!r}")
    for name, value in named.items():
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise TypeError(f"{operator}: {name}= must be a (column, function) pair of strings, got {value!r}")
        specs.append(AggSpec(name, value[0], value[1]))
    return specs


def check(operator: str, specs: list[AggSpec], keys: list[str], schema: pa.Schema) -> pa.Schema:
    """The output schema (keys, then aggregates); raises on an unknown function or column, a
    type a function cannot take, a key that cannot be hashed, or duplicate output names."""
    available = schema.names
    for key in keys:
        if key not in available:
            raise ColumnNotFoundError(key, available, operator=operator)
        if not is_key_type(schema.field(key).type):
            raise TypeError(f"{operator}: key column {key!r} is {schema.field(key).type}, which cannot be a "
                            f"group-by key; keys can be {KEY_TYPES}")
    fields = [pa.field(k, _value_type(schema.field(k).type)) for k in keys]
    for spec in specs:
        if spec.function not in _ACCEPTS:
            raise ValueError(f"{operator}: unknown aggregate {spec.function!r} (for output {spec.name!r}); "
                             f"aggregates are {', '.join(FUNCTIONS)}")
        if spec.column == "*":
            if spec.function != "count":
                raise ValueError(f"{operator}: '*' (all rows) only works with 'count', not {spec.function!r}")
            fields.append(pa.field(spec.name, pa.int64()))
            continue
        if spec.column not in available:
            raise ColumnNotFoundError(spec.column, available, operator=operator)
        kind = schema.field(spec.column).type
        accepts, allowed = _ACCEPTS[spec.function]
        if not accepts(_value_type(kind)):
            raise TypeError(f"{operator}: {spec.function!r} cannot take column {spec.column!r} of type {kind}; "
                            f"{spec.function!r} takes {allowed}")
        fields.append(pa.field(spec.name, output_type(spec.function, kind)))
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{operator}: the output would have duplicate columns {dupes}; name the aggregates "
                         "with out=(column, function)")
    return pa.schema(fields)
