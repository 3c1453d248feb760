"""Projections fused into the hash aggregation that reads them.

TPC-H's Q1 computes ``disc_price = price * (1 - discount)`` and ``charge = disc_price * (1 +
tax)`` only to sum them per group. Run as projections, each is a 16-byte-per-row column of
the whole batch, written out and read back by the aggregation (a few MB per batch, past the
caches). Fused, the aggregation kernel computes them itself, 4K rows at a time, with the
same decimal programs as ``_expr_decimal_tree`` (``cpp/kernels/aggregate.h``,
``DerivedColumn``): the chunk's values stay in cache between the program and the sums.

A chain of projections right under an aggregation is fused when every column the
aggregation reads is either a column of the chain's input passed through (perhaps renamed)
or a decimal ``+ - *`` tree over such columns and literals, which is what the kernel can
compute, with the type the projection gives it. Anything else (another function, a cast, a
key computed by the projection) leaves the projections as they are.

Where a program cannot run on some rows (a value beyond 64 bits), the kernel stops there and
the rest of the batch goes through the projections as written (``Fusion.complete``), so the
answer never depends on the fusion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from ._expr import ARITHMETIC, Binary, Column, Expr, Literal
from ._expr_decimal import INT64_LIMIT, decimal_result_type
from ._expr_functions import Alias
from ._expr_types import coerce_literal
from ._logical import Aggregate, Node, Project

__all__ = ["Fusion", "fuse"]


class _Base:
    """A column of the chain's input."""

    __slots__ = ("name", "type")

    def __init__(self, name: str, kind: pa.DataType) -> None:
        self.name, self.type = name, kind


class _Constant:
    """A literal's unscaled value at its decimal type."""

    __slots__ = ("value", "type")

    def __init__(self, value: int, kind: pa.DataType) -> None:
        self.value, self.type = value, kind


class _Tree:
    """``left <op> right`` of two decimals; + and - first scale each side by its factor."""

    __slots__ = ("op", "left", "right", "type", "factors")

    def __init__(self, op: str, left: Any, right: Any, kind: pa.DataType, factors: tuple[int, int]) -> None:
        self.op, self.left, self.right, self.type, self.factors = op, left, right, kind, factors


class Fusion:
    """An aggregation's input computed from ``source``: the ``given`` columns of ``source``,
    then ``derived`` decimal columns, each a program the kernel runs."""

    def __init__(self, source: Node, projects: list[Project], given: list[str],
                 reads: dict[str, str | int], derived: list[tuple[pa.Field, list[Any], list[tuple[int, int]]]],
                 complete: Callable[[pa.RecordBatch], pa.RecordBatch]) -> None:
        self.source = source
        self.projects = projects      # the fused projections, top (next to the aggregation) first
        self.given = given            # columns of ``source`` the kernel takes, in its order
        self.reads = reads            # each column the aggregation reads: a given name or a derived index
        self.derived = derived        # (field, steps, operands) per derived column
        self.complete = complete      # a batch of ``source`` -> the derived columns, as written


def fuse(node: Aggregate, required: Callable[[Project], set[str]],
         single: Callable[[Project], bool]) -> Fusion | None:
    """The fusion of the projections under ``node`` (the most of them that fuse), or None.
    ``required(p)``: the outputs of projection ``p`` read above it; ``single(p)``: whether
    ``p``'s output goes nowhere else (a shared projection is not fused)."""
    chain: list[Project] = []
    below = node.inputs[0]
    while isinstance(below, Project) and single(below):
        chain.append(below)
        below = below.inputs[0]
    for depth in range(len(chain), 0, -1):
        found = _fuse(node, chain[:depth], required)
        if found is not None:
            return found
    return None


def _fuse(node: Aggregate, projects: list[Project], required: Callable[[Project], set[str]]) -> Fusion | None:
    source = projects[-1].inputs[0]
    values: dict[str, Any] = {f.name: _Base(f.name, f.type) for f in source.schema}
    trees: list[_Tree] = []  # every tree made, children before parents
    for project in reversed(projects):
        values = {name: _compile(expr, values, trees) for name, expr in project.outputs}
    given: list[str] = []
    reads: dict[str, str | int] = {}
    derived_trees: list[_Tree] = []
    schema = node.inputs[0].schema
    reading = list(node.keys) + [s.column for s in node.specs if s.column != "*"]
    for name in reading:
        value = values.get(name)
        if isinstance(value, _Base):
            reads[name] = value.name
            if value.name not in given:
                given.append(value.name)
        elif isinstance(value, _Tree) and name not in node.keys and value.type == schema.field(name).type:
            if value not in derived_trees:
                derived_trees.append(value)
            reads[name] = derived_trees.index(value)
        else:
            return None
    if not derived_trees:
        return None  # nothing to compute: the projections only pass columns on
    derived_trees.sort(key=trees.index)
    for name, where in reads.items():
        if isinstance(where, int):
            reads[name] = derived_trees.index(values[name])
    for tree in derived_trees:
        for leaf in _leaves(tree, derived_trees):
            if leaf.name not in given:
                given.append(leaf.name)
    given.sort(key=source.schema.names.index)
    derived = [_program(tree, f"__headrace_derived_{d}", given, derived_trees)
               for d, tree in enumerate(derived_trees)]
    sources = {d: name for name, d in reads.items() if isinstance(d, int)}
    return Fusion(source, projects, given, reads, derived, _completion(projects, required, sources))


def _compile(expr: Expr, values: dict[str, Any], trees: list[_Tree]) -> Any:
    """What the kernel makes of ``expr`` over ``values``: a column passed on, a decimal tree,
    or None where it cannot (mirroring ``_expr_decimal_tree._gather``'s types)."""
    if isinstance(expr, Column):
        return values.get(expr.name)
    if isinstance(expr, Alias):  # a name only: the same values
        return _compile(expr.operand, values, trees)
    if not (isinstance(expr, Binary) and expr.op in ARITHMETIC):
        return None
    left, right = expr.left, expr.right
    if isinstance(left, Literal) and not isinstance(right, Literal):
        b = _compile(right, values, trees)
        a = _literal(left.value, b)
    else:
        a = _compile(left, values, trees)
        b = (_literal(right.value, a) if isinstance(right, Literal) and not isinstance(left, Literal)
             else _compile(right, values, trees))
    if not (_decimal(a) and _decimal(b)):
        return None
    try:
        kind = decimal_result_type(expr.op, a.type, b.type)
    except pa.ArrowInvalid:
        return None
    factors = (1, 1)
    if expr.op != "*":
        factors = (10 ** (kind.scale - a.type.scale), 10 ** (kind.scale - b.type.scale))
        if max(factors) >= INT64_LIMIT:
            return None
    tree = _Tree(expr.op, a, b, kind, factors)
    trees.append(tree)
    return tree


def _decimal(value: Any) -> bool:
    return value is not None and pa.types.is_decimal128(value.type)


def _literal(value: Any, beside: Any) -> _Constant | None:
    """A literal next to ``beside``, typed as evaluation types it; None unless it is a
    decimal whose unscaled value fits in 64 bits."""
    if not _decimal(beside):
        return None
    scalar = coerce_literal(value, beside.type)
    if not (pa.types.is_decimal128(scalar.type) and scalar.is_valid):
        return None
    unscaled = int(scalar.as_py().scaleb(scalar.type.scale))
    return _Constant(unscaled, scalar.type) if -INT64_LIMIT <= unscaled < INT64_LIMIT else None


def _leaves(root: _Tree, derived: list[_Tree]) -> list[_Base]:
    """The input columns ``root``'s program reads (an earlier derived column it contains is
    read as that column)."""
    found: list[_Base] = []
    stack: list[Any] = [root.left, root.right]
    while stack:
        value = stack.pop()
        if isinstance(value, _Base):
            found.append(value)
        elif isinstance(value, _Tree) and value not in derived:
            stack += [value.left, value.right]
    return found


def _program(root: _Tree, name: str, given: list[str],
             derived: list[_Tree]) -> tuple[pa.Field, list[Any], list[tuple[int, int]]]:
    """The kernel's (field, steps, operands) for ``root``; an earlier derived column it
    contains is read as that column."""
    steps: list[Any] = []
    operands: list[tuple[int, int]] = []

    def emit(value: Any) -> None:
        if isinstance(value, _Tree) and value is not root and value in derived:
            steps.append(len(operands))
            operands.append((len(given) + derived.index(value), 0))
        elif isinstance(value, _Tree):
            emit(value.left)
            emit(value.right)
            steps.append((value.op, *value.factors))
        elif isinstance(value, _Base):
            steps.append(len(operands))
            operands.append((given.index(value.name), 0))
        else:
            steps.append(len(operands))
            operands.append((-1, value.value))

    emit(root)
    return pa.field(name, root.type), steps, operands


def _completion(projects: Sequence[Project], required: Callable[[Project], set[str]],
                sources: dict[int, str]) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    """A batch of the chain's input -> its derived columns, by the projections as written."""
    from ._ops import project_fn  # it imports the planner's modules

    steps = [project_fn([(n, e) for n, e in p.outputs if n in required(p)]) for p in reversed(projects)]
    names = [sources[d] for d in range(len(sources))]

    def complete(batch: pa.RecordBatch) -> pa.RecordBatch:
        for step in steps:
            batch = step(batch)
        return batch.select(names)

    return complete
