"""The logical plan of a DataStream: immutable nodes that know their output schema.

Every node checks its arguments against its input's schema when it is created, so a
mistake (an unknown column, a filter that is not boolean) fails where it was written, not
when the query runs. Nodes say which input columns they need for a set of output columns
(``needs``): the planner uses it to read only those columns from files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa

from ._agg_spec import KEY_TYPES, AggSpec, is_key_type
from ._agg_spec import check as check_aggregates
from ._executor import Executor
from ._expr import Column, ColumnNotFoundError, Expr


def check_columns(names: Iterable[str], schema: pa.Schema, operator: str) -> None:
    available = schema.names
    for name in names:
        if name not in available:
            raise ColumnNotFoundError(name, available, operator=operator)


def _expr_type(expr: Expr, schema: pa.Schema, types_known: bool, operator: str) -> pa.DataType:
    check_columns(sorted(expr.columns()), schema, operator)
    if isinstance(expr, Column):
        return schema.field(expr.name).type
    if not types_known:
        return pa.null()  # decided by the data once it runs
    try:
        return expr.output_type(schema)
    except ColumnNotFoundError:
        raise
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise TypeError(f"{operator}: cannot evaluate {expr!r} on {schema}: {exc}") from exc


class Node:
    """A step of the logical plan. ``schema`` is its output's schema; ``types_known`` is
    False when some column types are only known once data flows (an executor declared only
    its column names)."""

    inputs: tuple[Node, ...] = ()
    schema: pa.Schema
    types_known: bool = True

    def label(self) -> str:
        raise NotImplementedError

    def needs(self, required: set[str]) -> list[set[str]]:
        """For each input, the columns this node reads to produce ``required``."""
        return [set(i.schema.names) for i in self.inputs]


class ArrowSource(Node):
    """Record batches from memory or from a Python iterable. ``batches()`` starts a pass."""

    def __init__(self, batches: Callable[[], Iterable[pa.RecordBatch]], schema: pa.Schema,
                 description: str, one_shot: bool = False, rows: int | None = None) -> None:
        self.batches = batches
        self.schema = schema
        self.description = description
        self.one_shot = one_shot
        self.used = False
        self.rows = rows  # known row count (an in-memory table), for choosing a join's build side

    def label(self) -> str:
        return self.description


class FileSource(Node):
    """Files read in pieces (row groups, files) by parallel workers. ``columns`` and
    ``predicate`` are what the planner pushed into the reader."""

    def __init__(self, scan: Any, name: str, columns: Sequence[str] | None = None,
                 predicate: Expr | None = None) -> None:
        self.scan = scan
        self.name = name
        self.columns = list(columns) if columns is not None else None
        self.predicate = predicate
        self.schema = scan.project(self.columns) if self.columns is not None else scan.schema

    def label(self) -> str:
        text = f"{self.name}: {self.scan.describe()}"
        if self.columns is not None and len(self.columns) < len(self.scan.schema):
            text += f", columns=[{', '.join(self.columns)}]"
        if self.predicate is not None:
            text += f", filter={self.predicate!r}"
        return text


class Filter(Node):
    def __init__(self, input: Node, predicate: Expr) -> None:
        if not isinstance(predicate, Expr):
            raise TypeError(f"filter: expected an hr.col(...) expression, got {type(predicate).__name__}")
        kind = _expr_type(predicate, input.schema, input.types_known, "filter")
        if kind not in (pa.bool_(), pa.null()):
            raise TypeError(f"filter: the condition {predicate!r} must be boolean, but is {kind}")
        self.inputs = (input,)
        self.predicate = predicate
        self.schema = input.schema
        self.types_known = input.types_known

    def label(self) -> str:
        return f"filter({self.predicate!r})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [required | self.predicate.columns()]


class Project(Node):
    """Computes the output columns from expressions; select, with_columns, drop and
    rename are all projections (``operator`` keeps which one the user wrote)."""

    def __init__(self, input: Node, outputs: Sequence[tuple[str, Expr]], operator: str, text: str) -> None:
        names = [name for name, _ in outputs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"{operator}: the output would have duplicate columns {dupes}")
        types = [_expr_type(e, input.schema, input.types_known, operator) for _, e in outputs]
        self.inputs = (input,)
        self.outputs = list(outputs)
        self.operator = operator
        self.text = text
        self.schema = pa.schema([pa.field(n, t) for n, t in zip(names, types)])
        self.types_known = input.types_known

    def label(self) -> str:
        return f"{self.operator}({self.text})"

    def needs(self, required: set[str]) -> list[set[str]]:
        cols: set[str] = set()
        for name, expr in self.outputs:
            if name in required:
                cols |= expr.columns()
        return [cols]


def _declared_schema(new_schema: Any, operator: str) -> tuple[pa.Schema, bool]:
    """(schema, types_known) from a pyarrow Schema, a {name: type} mapping or a list of names."""
    if isinstance(new_schema, pa.Schema):
        return new_schema, True
    if isinstance(new_schema, dict):
        return pa.schema([pa.field(n, t) for n, t in new_schema.items()]), True
    if isinstance(new_schema, str) or not isinstance(new_schema, Iterable):
        raise TypeError(f"{operator}: new_schema must be a pyarrow Schema, a dict of name -> type or a list "
                        f"of column names, got {type(new_schema).__name__}")
    names = list(new_schema)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{operator}: new_schema names must be strings, got {names!r}")
    return pa.schema([pa.field(n, pa.null()) for n in names]), False


def _required(required_columns: Any, schema: pa.Schema, operator: str) -> list[str] | None:
    if required_columns is None:
        return None
    if isinstance(required_columns, str):
        required_columns = [required_columns]
    names = [n for n in schema.names if n in set(required_columns)]
    check_columns(sorted(set(required_columns)), schema, operator)
    return names


def _check_key_types(keys: Sequence[str], input: Node, operator: str) -> None:
    """Rows are hashed on ``keys`` in C++: each must have a type the native hash takes
    (an unknown type, declared by name only, is checked when the data arrives)."""
    if not input.types_known:
        return
    for name in keys:
        kind = input.schema.field(name).type
        if not is_key_type(kind):
            raise TypeError(f"{operator}: column {name!r} has type {kind}, which cannot be hashed; "
                            f"key columns can be {KEY_TYPES}")


class Transform(Node):
    """A stateless Python function per batch."""

    def __init__(self, input: Node, fn: Callable[..., Any], new_schema: Any, required_columns: Any,
                 name: str) -> None:
        if not callable(fn):
            raise TypeError(f"transform: expected a function of one batch, got {type(fn).__name__}")
        self.inputs = (input,)
        self.fn = fn
        self.name = name
        self.required = _required(required_columns, input.schema, f"transform '{name}'")
        if new_schema is None:
            self.schema, self.types_known = self._trial_schema(input), True
        else:
            self.schema, self.types_known = _declared_schema(new_schema, f"transform '{name}'")

    def _trial_schema(self, input: Node) -> pa.Schema:
        """Without a declared schema, the function's output on an empty batch tells it."""
        from ._batches import as_batches

        empty = pa.RecordBatch.from_pylist([], schema=input.schema)
        sample = empty if self.required is None else empty.select(self.required)
        try:
            out = as_batches(self.fn(sample), f"transform '{self.name}'")
        except Exception as exc:
            raise TypeError(f"transform '{self.name}': could not find its output schema by calling it on an "
                            f"empty batch ({type(exc).__name__}: {exc}); pass new_schema=") from exc
        if not out:
            raise TypeError(f"transform '{self.name}': it returned nothing for an empty batch, so its output "
                            "schema is unknown; pass new_schema=")
        return out[0].schema

    def label(self) -> str:
        return f"transform({self.name})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [set(self.required) if self.required is not None else set(self.inputs[0].schema.names)]


class Stateful(Node):
    """An executor over one or several inputs (``ctx.stream_id`` says which), run by
    ``parallelism`` instances; rows are hash-partitioned on ``partition_by`` if given."""

    def __init__(self, inputs: Sequence[Node], executor: Executor, new_schema: Any, required_columns: Any,
                 partition_by: Any, parallelism: int | None) -> None:
        self.name = executor.__name__ if isinstance(executor, type) else type(executor).__name__
        where = f"stateful_transform '{self.name}'"
        if isinstance(executor, type):
            raise TypeError(f"{where}: pass an instance of {executor.__name__}, not the class")
        if not isinstance(executor, Executor):
            raise TypeError(f"stateful_transform: expected an hr.Executor instance, got {type(executor).__name__}")
        if parallelism is None:
            parallelism = 1
        if isinstance(parallelism, bool) or not isinstance(parallelism, int) or parallelism < 1:
            raise ValueError(f"{where}: parallelism must be an integer >= 1, got {parallelism!r}")
        if isinstance(partition_by, str):
            partition_by = [partition_by]
        self.inputs = tuple(inputs)
        self.executor = executor
        self.parallelism = parallelism
        self.partition_by = list(partition_by) if partition_by is not None else None
        per_input = (isinstance(required_columns, (list, tuple)) and len(required_columns) == len(self.inputs)
                     and all(r is None or (not isinstance(r, str) and isinstance(r, Iterable))
                             for r in required_columns))
        each = required_columns if per_input else [required_columns] * len(self.inputs)
        self.required = [_required(r, i.schema, where) for r, i in zip(each, self.inputs)]
        for i in self.inputs:
            if self.partition_by is not None:
                check_columns(self.partition_by, i.schema, f"{where} partition_by")
                _check_key_types(self.partition_by, i, f"{where} partition_by")
        if self.partition_by is not None:
            for i, req in zip(self.inputs, self.required):
                if req is not None:
                    check_columns(self.partition_by, pa.schema([i.schema.field(n) for n in req]),
                                  f"{where} partition_by (must be among required_columns)")
        self.schema, self.types_known = _declared_schema(new_schema, where)

    def label(self) -> str:
        extra = f", partition_by={self.partition_by}" if self.partition_by else ""
        return f"stateful_transform({self.name}, parallelism={self.parallelism}{extra})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [set(r) if r is not None else set(i.schema.names) for i, r in zip(self.inputs, self.required)]


class Union(Node):
    def __init__(self, inputs: Sequence[Node]) -> None:
        first = inputs[0].schema
        for other in inputs[1:]:
            if other.schema.names != first.names:
                raise ValueError(f"union: the inputs have different columns: {first.names} and {other.schema.names}")
            if other.types_known and inputs[0].types_known:
                for a, b in zip(first, other.schema):
                    if a.type != b.type:
                        raise TypeError(f"union: column {a.name!r} is {a.type} in one input and {b.type} in another")
        self.inputs = tuple(inputs)
        self.schema = first
        self.types_known = all(i.types_known for i in inputs)

    def label(self) -> str:
        return f"union({len(self.inputs)} inputs)"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [set(required) for _ in self.inputs]


class Limit(Node):
    def __init__(self, input: Node, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"limit: n must be an integer >= 0, got {n!r}")
        self.inputs = (input,)
        self.n = n
        self.schema = input.schema
        self.types_known = input.types_known

    def label(self) -> str:
        return f"limit({self.n})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [set(required)]


def _as_bool(value: Any) -> bool | None:
    """``value`` as a bool if it is one (Python's or numpy's), else None."""
    if isinstance(value, bool):
        return value
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):
        return bool(value)
    return None


def _descending_flags(descending: Any, keys: int) -> list[bool]:
    """One bool per sort key from a bool (for all keys) or a sequence of them."""
    flag = _as_bool(descending)
    if flag is not None:
        return [flag] * keys
    flags = [_as_bool(d) for d in descending] if isinstance(descending, Iterable) else [None]
    if len(flags) != keys or any(f is None for f in flags):
        raise ValueError(f"sort: descending must be a bool or a list of one bool per key ({keys}), "
                         f"got {descending!r}")
    return flags  # type: ignore[return-value]


class Sort(Node):
    def __init__(self, input: Node, by: Any, descending: Any) -> None:
        keys = [by] if isinstance(by, str) else list(by)
        if not keys or not all(isinstance(k, str) for k in keys):
            raise TypeError(f"sort: by must be a column name or a non-empty list of names, got {by!r}")
        check_columns(keys, input.schema, "sort")
        self.inputs = (input,)
        self.keys = keys
        self.descending = _descending_flags(descending, len(keys))
        self.schema = input.schema
        self.types_known = input.types_known

    def label(self) -> str:
        order = ", ".join(f"{k}{' desc' if d else ''}" for k, d in zip(self.keys, self.descending))
        return f"sort({order})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [required | set(self.keys)]


class Aggregate(Node):
    """Hash aggregation: one output row per distinct combination of ``keys`` (one row in
    all without keys), with the aggregates ``specs``; ``operator`` names it in errors."""

    def __init__(self, input: Node, keys: Sequence[str], specs: Sequence[AggSpec], maintain_order: bool,
                 operator: str) -> None:
        if not input.types_known:
            raise TypeError(f"{operator}: the input's column types are not known (an executor declared only "
                            "column names); declare new_schema with types")
        self.inputs = (input,)
        self.keys = list(keys)
        self.specs = list(specs)
        self.maintain_order = maintain_order
        self.operator = operator
        self.schema = check_aggregates(operator, self.specs, self.keys, input.schema)

    def label(self) -> str:
        aggs = ", ".join(f"{s.name}={s.function}({s.column})" for s in self.specs)
        if not self.keys:
            return f"agg({aggs})"
        order = ", maintain_order" if self.maintain_order else ""
        return f"groupby({', '.join(self.keys)}{order}).agg({aggs})"

    def needs(self, required: set[str]) -> list[set[str]]:
        return [set(self.keys) | {s.column for s in self.specs if s.column != "*"}]


JOIN_KINDS = ("inner", "left", "right", "outer", "semi", "anti")


def _output_type(kind: pa.DataType) -> pa.DataType:
    """A column as a join outputs it: dictionaries decoded, string views as large strings."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.large_string() if kind == pa.string_view() else kind


def _join_key_error(left: pa.Field, right: pa.Field) -> str | None:
    """Why two key columns cannot be compared, or None if they can."""
    a, b = _output_type(left.type), _output_type(right.type)
    families = (
        (lambda t: pa.types.is_integer(t), "integer"),
        (lambda t: pa.types.is_floating(t) and not pa.types.is_float16(t), "float"),
        (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), "string"),
        (pa.types.is_boolean, "bool"),
        (pa.types.is_date32, "date32"),
    )
    for test, _ in families:
        if test(a) or test(b):
            return None if test(a) and test(b) else "their types cannot be compared"
    if pa.types.is_timestamp(a) and pa.types.is_timestamp(b):
        if a.unit != b.unit or (a.tz is None) != (b.tz is None):
            return "timestamps must have the same unit and both or neither a time zone"
        return None
    if pa.types.is_decimal128(a) and pa.types.is_decimal128(b):
        return None if a.scale == b.scale else "decimals must have the same scale"
    if not (is_key_type(a) and is_key_type(b)):
        return f"key columns can be {KEY_TYPES}"
    return "their types cannot be compared"


def _common_key_type(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The type of a coalesced key column (right and outer joins under ``on``); None if no
    type holds both (uint64 with a signed integer)."""
    a, b = _output_type(a), _output_type(b)
    if a == b:
        return a
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        if pa.types.is_unsigned_integer(a) and pa.types.is_unsigned_integer(b):
            return pa.uint64()
        if pa.uint64() in (a, b):
            return None
        return pa.int64()
    if pa.types.is_floating(a) and pa.types.is_floating(b):
        return pa.float64()
    return pa.large_string() if pa.types.is_string(a) or pa.types.is_large_string(a) else a


class Join(Node):
    """An equi-join of ``inputs[0]`` (left) and ``inputs[1]`` (right) on key column pairs.

    ``columns`` lists the output columns as (name, side, source column), side 0 for left and
    1 for right; ``coalesced`` the output key columns that merge both sides (right and outer
    joins under ``on``)."""

    def __init__(self, left: Node, right: Node, on: Any, left_on: Any, right_on: Any, how: str, suffix: str,
                 nulls_equal: bool, build: str | None) -> None:
        if how not in JOIN_KINDS:
            raise ValueError(f"join: how must be one of {', '.join(map(repr, JOIN_KINDS))}, got {how!r}")
        if build not in (None, "left", "right"):
            raise ValueError(f"join: build must be None, 'left' or 'right', got {build!r}")
        if not isinstance(suffix, str) or not suffix:
            raise ValueError(f"join: suffix must be a non-empty string, got {suffix!r}")
        if on is not None:
            if left_on is not None or right_on is not None:
                raise ValueError("join: give either on= or left_on= and right_on=, not both")
            left_keys = right_keys = [on] if isinstance(on, str) else list(on)
        else:
            if left_on is None or right_on is None:
                raise ValueError("join: name the key columns with on= (same names on both sides) or with both "
                                 "left_on= and right_on=")
            left_keys = [left_on] if isinstance(left_on, str) else list(left_on)
            right_keys = [right_on] if isinstance(right_on, str) else list(right_on)
        if not left_keys or len(left_keys) != len(right_keys):
            raise ValueError(f"join: left_on and right_on must name as many columns, got {left_keys} and {right_keys}")
        for side, node in (("left", left), ("right", right)):
            if not node.types_known:
                raise TypeError(f"join: the {side} input's column types are not known (an executor declared only "
                                "column names); declare new_schema with types")
        check_columns(left_keys, left.schema, "join (left)")
        check_columns(right_keys, right.schema, "join (right)")
        for lk, rk in zip(left_keys, right_keys):
            lf, rf = left.schema.field(lk), right.schema.field(rk)
            why = _join_key_error(lf, rf)
            if why is not None:
                raise TypeError(f"join: left key {lk!r} ({lf.type}) cannot be joined with right key {rk!r} "
                                f"({rf.type}): {why}")
        self.inputs = (left, right)
        self.how, self.nulls_equal, self.build = how, bool(nulls_equal), build
        self.left_keys, self.right_keys = left_keys, right_keys
        self.using = on is not None
        self.columns: list[tuple[str, int, str]] = [(n, 0, n) for n in left.schema.names]
        self.coalesced: dict[str, str] = {}
        if how not in ("semi", "anti"):
            taken = set(left.schema.names)
            for name in right.schema.names:
                if self.using and name in right_keys:
                    continue
                out = name + suffix if name in taken else name
                if out in taken:
                    raise ValueError(f"join: right column {name!r} would be named {out!r}, which the output already "
                                     "has; choose another suffix=")
                taken.add(out)
                self.columns.append((out, 1, name))
            if self.using and how in ("right", "outer"):
                self.coalesced = dict(zip(left_keys, right_keys))
        fields = []
        for name, side, source in self.columns:
            original = self.inputs[side].schema.field(source).type
            # Key types come out of the native gather; other types are taken by row number as they are.
            kind = _output_type(original) if is_key_type(original) else original
            if name in self.coalesced:
                right_type = right.schema.field(self.coalesced[name]).type
                kind = _common_key_type(kind, right_type)
                if kind is None:
                    raise TypeError(f"join: left key {name!r} ({original}) and right key {self.coalesced[name]!r} "
                                    f"({right_type}) have no common type for the {how} join's merged key column; "
                                    "use left_on= and right_on= to keep both")
            fields.append(pa.field(name, kind))
        self.schema = pa.schema(fields)

    def label(self) -> str:
        keys = (", ".join(self.left_keys) if self.using else
                ", ".join(f"{a}={b}" for a, b in zip(self.left_keys, self.right_keys)))
        extra = ", nulls_equal" if self.nulls_equal else ""
        return f"join({self.how}, on {keys}{extra})"

    def needs(self, required: set[str]) -> list[set[str]]:
        sides: list[set[str]] = [set(self.left_keys), set(self.right_keys)]
        for name, side, source in self.columns:
            if name in required:
                sides[side].add(source)
                if name in self.coalesced:
                    sides[1].add(self.coalesced[name])
        return sides


def walk(root: Node) -> list[Node]:
    """Every node of the plan once, inputs before the nodes that read them."""
    order: list[Node] = []
    seen: set[int] = set()

    def visit(node: Node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for i in node.inputs:
            visit(i)
        order.append(node)

    visit(root)
    return order
