"""headrace expressions: ``hr.col``, ``hr.lit``, ``hr.when`` and the ``Expr`` tree.

An expression is an immutable tree that says how to compute a column; nothing runs
until it is evaluated against a table or record batch, with pyarrow.compute kernels on
whole arrays. Python values may stand on either side of an operator, and a literal
takes the type of the column next to it (decimal, date, timestamp).

Examples:
    >>> import pyarrow as pa
    >>> import headrace as hr
    >>> t = pa.table({"qty": [5, 12, 30], "region": ["EU", "US", "EU"]})
    >>> e = (hr.col("qty") > 10) & hr.col("region").isin(["EU"])
    >>> e
    (col("qty") > 10) & col("region").isin(['EU'])
    >>> e.evaluate(t).to_pylist()
    [False, False, True]
    >>> (1 - hr.col("qty")).evaluate(t).to_pylist()
    [-4, -11, -29]
    >>> sorted(e.columns())
    ['qty', 'region']
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from ._arrow_pool import POOL
from ._expr_types import ColumnNotFoundError, coerce_literal, default_scalar, type_from

__all__ = ["ColumnNotFoundError", "Expr", "col", "lit"]

# Operator symbol -> pyarrow.compute function (arithmetic is overflow-checked).
_FUNCTIONS = {
    "+": "add_checked", "-": "subtract_checked", "*": "multiply_checked",
    "**": "power_checked", "==": "equal", "!=": "not_equal", "<": "less",
    "<=": "less_equal", ">": "greater", ">=": "greater_equal", "&": "and_kleene",
    "|": "or_kleene",
}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
_ARROW_TYPE_ERRORS = (pa.ArrowNotImplementedError, pa.ArrowTypeError)
ARITHMETIC = frozenset(("+", "-", "*"))


class _Sym(NamedTuple):
    """A pyarrow Expression together with its value on an empty table (for its type)."""

    expr: pc.Expression
    sample: Any


class _Evaluate:
    """Evaluates nodes on data: every value is an Array, ChunkedArray or Scalar."""

    def __init__(self, data: pa.Table | pa.RecordBatch) -> None:
        self.data = data

    def column(self, name: str) -> Any:
        names = self.data.schema.names
        if name not in names:
            raise ColumnNotFoundError(name, names)
        return self.data.column(names.index(name))

    def call(self, function: str, *args: Any, **options: Any) -> Any:
        encoded = [i for i, a in enumerate(args) if pa.types.is_dictionary(getattr(a, "type", None))]
        if encoded:
            found = _on_dictionary(function, args, encoded, options)
            if found is not None:
                return found
            args = tuple(_decoded(a) if i in encoded else a for i, a in enumerate(args))
        return getattr(pc, function)(*args, memory_pool=POOL, **options)

    def cast(self, value: Any, to: pa.DataType) -> Any:
        return pc.cast(value, to, memory_pool=POOL)

    def scalar(self, value: pa.Scalar) -> Any:
        return value

    def constant(self, value: Any) -> pa.Scalar | None:
        """The value as a scalar when it is one (a literal, or folded from literals)."""
        return value if isinstance(value, pa.Scalar) else None

    def type_of(self, value: Any) -> pa.DataType:
        kind = value.type
        # A dictionary-encoded column behaves as its values (literals take their type).
        return kind.value_type if pa.types.is_dictionary(kind) else kind


# Functions whose result for a null input is null (and that work per value), so that they
# can run on a dictionary's few distinct values and be expanded to the rows by the indices.
_PER_VALUE = {
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "starts_with", "ends_with",
    "match_substring", "match_substring_regex", "match_like", "utf8_length", "binary_length", "utf8_lower",
    "utf8_upper", "is_in",
}


def _decoded(value: Any) -> Any:
    return value.cast(value.type.value_type)


def _on_dictionary(function: str, args: tuple[Any, ...], encoded: list[int], options: dict[str, Any]) -> Any:
    """``function`` of one dictionary-encoded array and scalars, computed on the distinct
    values only; None where that does not apply."""
    if function not in _PER_VALUE or len(encoded) != 1:
        return None
    (at,) = encoded
    array = args[at]
    if not isinstance(array, pa.DictionaryArray) or any(
            not isinstance(a, pa.Scalar) for i, a in enumerate(args) if i != at):
        return None
    per_value = getattr(pc, function)(*(array.dictionary if i == at else a for i, a in enumerate(args)),
                                      memory_pool=POOL, **options)
    result = pc.take(per_value, array.indices, memory_pool=POOL)
    if function == "is_in" and result.null_count:  # is_in answers true/false for a null, never null
        value_set = options["value_set"]
        result = result.fill_null(value_set.null_count > 0 and not options.get("skip_nulls", False))
    return result


class _Translate(_Evaluate):
    """Builds a pyarrow Expression; types come from evaluating on an empty table."""

    def __init__(self, schema: pa.Schema) -> None:
        super().__init__(schema.empty_table())

    def column(self, name: str) -> _Sym:
        return _Sym(pc.field(name), super().column(name))

    def call(self, function: str, *args: _Sym, **options: Any) -> _Sym:
        sample = super().call(function, *(a.sample for a in args), **options)
        if isinstance(sample, pa.Scalar):  # constant: fold it into a literal
            return self.scalar(sample)
        return _Sym(getattr(pc, function)(*(a.expr for a in args), **options), sample)

    def cast(self, value: _Sym, to: pa.DataType) -> _Sym:
        if isinstance(value.sample, pa.Scalar):
            return self.scalar(value.sample.cast(to))
        return _Sym(value.expr.cast(to), value.sample.cast(to))

    def scalar(self, value: pa.Scalar) -> _Sym:
        return _Sym(pc.scalar(value), value)

    def constant(self, value: _Sym) -> pa.Scalar | None:
        return value.sample if isinstance(value.sample, pa.Scalar) else None

    def type_of(self, value: _Sym) -> pa.DataType:
        return value.sample.type


def _wrap(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Literal(value)


class Expr:
    """A node of an expression tree. Build them with ``hr.col``, ``hr.lit`` and ``hr.when``.

    Operators build new nodes (``+ - * / // % **``, unary ``-``, ``== != < <= > >=``,
    ``&``, ``|``, ``~``); ``and``, ``or``, ``not`` and ``if expr:`` raise TypeError, because
    an expression has no truth value before it is evaluated.
    """

    # Answers about this (immutable) tree, kept once asked: columns(), and its structural key
    # (see _expr_cache; None: it cannot be spelled).
    __slots__ = ("_column_names", "_structure")

    # -- what subclasses implement -------------------------------------------------
    def _build(self, ctx: _Evaluate) -> Any:
        raise NotImplementedError

    def _children(self) -> tuple[Expr, ...]:
        return ()

    def _given_name(self) -> str | None:
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle and copy by the fields the subclasses set once (their __setattr__ refuses).
        return (_restore, (type(self), {name: getattr(self, name) for name in _fields(type(self))
                                        if hasattr(self, name)}))

    # -- public API -----------------------------------------------------------------
    def evaluate(self, data: Any) -> pa.Array | pa.ChunkedArray:
        """The expression's values for every row of ``data`` (a pyarrow Table or
        RecordBatch, or anything ``pyarrow.table`` accepts).

        Returns an Array for a RecordBatch and a ChunkedArray (or Array) for a Table.

        Examples:
            >>> import pyarrow as pa
            >>> (col("x") * 2).evaluate(pa.record_batch({"x": [1, None, 3]})).to_pylist()
            [2, None, 6]
            >>> lit(7).evaluate(pa.table({"x": [1, 2]})).to_pylist()
            [7, 7]
        """
        if not isinstance(data, (pa.Table, pa.RecordBatch)):
            data = pa.table(data)
        result = self._build(_Evaluate(data))
        if isinstance(result, pa.Scalar):
            result = pa.repeat(result, data.num_rows)
        return result

    def output_type(self, schema: pa.Schema) -> pa.DataType:
        """The type of the result for input of ``schema``, without data.

        Examples:
            >>> import pyarrow as pa
            >>> (col("x") / 2).output_type(pa.schema({"x": pa.int32()}))
            DataType(double)
        """
        from ._expr_cache import remembered  # it imports this module

        names = self.columns()
        if names.issubset(schema.names):  # only the columns read: an empty table of all costs more
            schema = pa.schema([field for field in schema if field.name in names])
        return remembered("type", self, schema, lambda: self._build(_Evaluate(schema.empty_table())).type)

    def columns(self) -> set[str]:
        """The names of the columns the expression reads.

        Examples:
            >>> sorted((col("a") + col("b") * 2).columns())
            ['a', 'b']
        """
        try:
            return set(self._column_names)
        except AttributeError:
            pass
        names: set[str] = set()
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, Column):
                names.add(node.name)
            stack.extend(node._children())
        object.__setattr__(self, "_column_names", frozenset(names))
        return names

    def to_pyarrow(self, schema: pa.Schema) -> pc.Expression:
        """An equivalent ``pyarrow.compute.Expression`` for input of ``schema`` (e.g. for
        Parquet filter pushdown), with literals already cast to the columns' types.

        Examples:
            >>> import pyarrow as pa
            >>> (col("x") > 1).to_pyarrow(pa.schema({"x": pa.int32()}))
            <pyarrow.compute.Expression (x > 1)>
        """
        result = self._build(_Translate(schema))
        return result.expr

    @property
    def output_name(self) -> str:
        """The name a result column gets: an alias, else the first column read.

        Examples:
            >>> (col("price") * 2).output_name
            'price'
            >>> (col("price") * 2).alias("double").output_name
            'double'
        """
        if self._given_name() is not None:
            return self._given_name()  # type: ignore[return-value]
        for child in self._children():
            return child.output_name
        return "literal"

    # -- builders -----------------------------------------------------------------------
    def alias(self, name: str) -> Expr:
        """The same values, named ``name``."""
        from ._expr_functions import Alias

        return Alias(self, name)

    def cast(self, to: pa.DataType | str) -> Expr:
        """Convert to ``to``: a pyarrow DataType or a name such as ``"float64"``.

        Examples:
            >>> import pyarrow as pa
            >>> col("x").cast("float64").evaluate(pa.table({"x": [1, 2]})).type
            DataType(double)
        """
        from ._expr_functions import Cast

        return Cast(self, type_from(to))

    def isin(self, values: Any) -> Expr:
        """True where the value is one of ``values`` (a null matches a null in ``values``)."""
        from ._expr_functions import IsIn

        return IsIn(self, tuple(values.to_pylist() if isinstance(values, pa.Array) else values))

    def is_null(self) -> Expr:
        """True where the value is null."""
        return Call("is_null", (self,), {}, ".is_null()")

    def is_not_null(self) -> Expr:
        """True where the value is not null."""
        return Call("is_valid", (self,), {}, ".is_not_null()")

    def between(self, lower: Any, upper: Any) -> Expr:
        """``lower <= self <= upper`` (both bounds included).

        Examples:
            >>> import pyarrow as pa
            >>> col("x").between(2, 3).evaluate(pa.table({"x": [1, 2, 3, 4]})).to_pylist()
            [False, True, True, False]
        """
        return (self >= lower) & (self <= upper)

    @property
    def str(self) -> Any:
        """String functions: ``contains``, ``like``, ``starts_with``, ``ends_with``."""
        from ._expr_functions import StringFunctions

        return StringFunctions(self)

    @property
    def dt(self) -> Any:
        """Date and timestamp parts: ``year``, ``month``, ``day``."""
        from ._expr_functions import DateFunctions

        return DateFunctions(self)

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of an expression is unknown before it is evaluated: {self!r}; "
            "combine conditions with & | ~ instead of and / or / not, and use parentheses: "
            "(col('a') > 1) & (col('b') < 2)")

    __hash__ = object.__hash__

    def __add__(self, other: Any) -> Expr: return Binary("+", self, _wrap(other))
    def __radd__(self, other: Any) -> Expr: return Binary("+", _wrap(other), self)
    def __sub__(self, other: Any) -> Expr: return Binary("-", self, _wrap(other))
    def __rsub__(self, other: Any) -> Expr: return Binary("-", _wrap(other), self)
    def __mul__(self, other: Any) -> Expr: return Binary("*", self, _wrap(other))
    def __rmul__(self, other: Any) -> Expr: return Binary("*", _wrap(other), self)
    def __truediv__(self, other: Any) -> Expr: return Binary("/", self, _wrap(other))
    def __rtruediv__(self, other: Any) -> Expr: return Binary("/", _wrap(other), self)
    def __floordiv__(self, other: Any) -> Expr: return Binary("//", self, _wrap(other))
    def __rfloordiv__(self, other: Any) -> Expr: return Binary("//", _wrap(other), self)
    def __mod__(self, other: Any) -> Expr: return Binary("%", self, _wrap(other))
    def __rmod__(self, other: Any) -> Expr: return Binary("%", _wrap(other), self)
    def __pow__(self, other: Any) -> Expr: return Binary("**", self, _wrap(other))
    def __rpow__(self, other: Any) -> Expr: return Binary("**", _wrap(other), self)
    def __and__(self, other: Any) -> Expr: return Binary("&", self, _wrap(other))
    def __rand__(self, other: Any) -> Expr: return Binary("&", _wrap(other), self)
    def __or__(self, other: Any) -> Expr: return Binary("|", self, _wrap(other))
    def __ror__(self, other: Any) -> Expr: return Binary("|", _wrap(other), self)
    def __eq__(self, other: Any) -> Expr: return Binary("==", self, _wrap(other))  # type: ignore[override]
    def __ne__(self, other: Any) -> Expr: return Binary("!=", self, _wrap(other))  # type: ignore[override]
    def __lt__(self, other: Any) -> Expr: return Binary("<", self, _wrap(other))
    def __le__(self, other: Any) -> Expr: return Binary("<=", self, _wrap(other))
    def __gt__(self, other: Any) -> Expr: return Binary(">", self, _wrap(other))
    def __ge__(self, other: Any) -> Expr: return Binary(">=", self, _wrap(other))
    def __neg__(self) -> Expr: return Call("negate_checked", (self,), {}, "-")
    def __invert__(self) -> Expr: return Call("invert", (self,), {}, "~")


def _operand(node: Expr) -> str:
    """repr of a node inside a larger one: parenthesized when it is an operation."""
    if isinstance(node, Literal):
        return repr(node.value)
    text = repr(node)
    return f"({text})" if isinstance(node, Binary) or (
        isinstance(node, Call) and node.suffix in ("-", "~")) else text


def _type_error(node: Expr, ctx: _Evaluate, values: tuple[Any, ...], error: Exception) -> TypeError:
    types = ", ".join(str(ctx.type_of(v)) for v in values)
    return TypeError(f"in {node!r}: operand types ({types}) are not supported ({error})")


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """The fields a kind of node sets once (its own and its bases' slots, but not the answers
    Expr keeps)."""
    found = _FIELDS.get(kind)
    if found is None:
        names = [n for klass in reversed(kind.__mro__) for n in getattr(klass, "__slots__", ())]
        found = _FIELDS[kind] = tuple(n for n in names if n not in Expr.__slots__)
    return found


def _restore(kind: type[Expr], fields: dict[str, Any]) -> Expr:
    expr = kind.__new__(kind)
    for name, value in fields.items():
        object.__setattr__(expr, name, value)
    return expr


class Column(Expr):
    """A column of the input, by name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("expressions are immutable")

    def _build(self, ctx: _Evaluate) -> Any:
        return ctx.column(self.name)

    def _given_name(self) -> str | None:
        return self.name

    def __repr__(self) -> str:
        return f'col("{self.name}")'


class Literal(Expr):
    """A constant; its Arrow type follows the column it meets (see ``coerce_literal``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        object.__setattr__(self, "value", value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("expressions are immutable")

    def _build(self, ctx: _Evaluate) -> Any:
        return ctx.scalar(default_scalar(self.value))

    def __repr__(self) -> str:
        return f"lit({self.value!r})"


class _Node(Expr):
    """A node with fields set once (immutable afterwards)."""

    __slots__ = ()

    def __init__(self, **fields: Any) -> None:
        for key, value in fields.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("expressions are immutable")


def build_pair(ctx: _Evaluate, left: Expr, right: Expr) -> tuple[Any, Any]:
    """Both operands; a literal beside a non-literal takes the other side's type."""
    if isinstance(left, Literal) and not isinstance(right, Literal):
        r = right._build(ctx)
        return ctx.scalar(coerce_literal(left.value, ctx.type_of(r))), r
    left_value = left._build(ctx)
    if isinstance(right, Literal) and not isinstance(left, Literal):
        return left_value, ctx.scalar(coerce_literal(right.value, ctx.type_of(left_value)))
    return left_value, right._build(ctx)


class Binary(_Node):
    """``left <op> right``."""

    __slots__ = ("op", "left", "right")
    op: str
    left: Expr
    right: Expr

    def __init__(self, op: str, left: Expr, right: Expr) -> None:
        super().__init__(op=op, left=left, right=right)

    def _children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def __repr__(self) -> str:
        return f"{_operand(self.left)} {self.op} {_operand(self.right)}"

    def _build(self, ctx: _Evaluate) -> Any:
        if self.op in ARITHMETIC and type(ctx) is _Evaluate:  # on data: a decimal tree in one pass
            from ._expr_decimal_tree import build_arithmetic

            return build_arithmetic(ctx, self)
        left, right = build_pair(ctx, self.left, self.right)
        return self._apply(ctx, left, right)

    def _apply(self, ctx: _Evaluate, left: Any, right: Any) -> Any:
        """The operation on its two built operands."""
        from ._expr_functions import apply_binary

        try:
            return apply_binary(ctx, self.op, left, right)
        except _ARROW_TYPE_ERRORS as error:
            raise _type_error(self, ctx, (left, right), error) from error


class Call(_Node):
    """A pyarrow.compute function of one operand (``is_null``, ``year``, unary ``-`` ...).

    ``suffix`` is how it prints: a method suffix such as ``.is_null()`` or a prefix
    operator (``-``, ``~``).
    """

    __slots__ = ("function", "args", "options", "suffix")
    function: str
    args: tuple[Expr, ...]
    options: dict[str, Any]
    suffix: str

    def __init__(self, function: str, args: tuple[Expr, ...], options: dict[str, Any],
                 suffix: str) -> None:
        super().__init__(function=function, args=args, options=options, suffix=suffix)

    def _children(self) -> tuple[Expr, ...]:
        return self.args

    def __repr__(self) -> str:
        if self.suffix in ("-", "~"):
            return f"{self.suffix}{_operand(self.args[0])}"
        return f"{_operand(self.args[0])}{self.suffix}"

    def _build(self, ctx: _Evaluate) -> Any:
        values = tuple(a._build(ctx) for a in self.args)
        try:
            return ctx.call(self.function, *values, **self.options)
        except _ARROW_TYPE_ERRORS as error:
            raise _type_error(self, ctx, values, error) from error


def conjuncts(expr: Expr) -> list[Expr]:
    """The terms of ``expr`` joined by ``&``, in the written order (``expr`` itself if none).

    Examples:
        >>> conjuncts((col("a") > 1) & (col("b") < 2) & col("c").is_null())
        [col("a") > 1, col("b") < 2, col("c").is_null()]
    """
    return _operands(expr, "&")


def disjuncts(expr: Expr) -> list[Expr]:
    """The terms of ``expr`` joined by ``|``, in the written order (``expr`` itself if none).

    Examples:
        >>> disjuncts((col("a") > 1) | ((col("b") < 2) & (col("c") > 3)))
        [col("a") > 1, (col("b") < 2) & (col("c") > 3)]
    """
    return _operands(expr, "|")


def _operands(expr: Expr, op: str) -> list[Expr]:
    terms: list[Expr] = []
    stack = [expr]
    while stack:
        term = stack.pop()
        if isinstance(term, Binary) and term.op == op:
            stack += [term.right, term.left]
        else:
            terms.append(term)
    return terms


def col(name: str) -> Expr:
    """The column ``name`` of the input.

    Examples:
        >>> col("qty") > 10
        col("qty") > 10
    """
    if not isinstance(name, str):
        raise TypeError(f"col() takes a column name (str), got {name!r}")
    return Column(name)


def lit(value: Any) -> Expr:
    """A constant. Plain Python values in expressions are literals already; ``lit`` is
    for a constant on its own, e.g. ``with_columns(one=hr.lit(1))``.

    Examples:
        >>> import datetime
        >>> col("d") + lit(datetime.timedelta(days=1))
        col("d") + datetime.timedelta(days=1)
    """
    return value if isinstance(value, Expr) else Literal(value)
