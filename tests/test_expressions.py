"""headrace expressions (hr.col, hr.lit, hr.when): pyarrow.compute results against plain
Python evaluated row by row, plus the edge cases raw pyarrow expressions get wrong."""

from __future__ import annotations

import calendar
import datetime
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import col, lit, when

SCHEMA = pa.schema({"i": pa.int64(), "f": pa.float64(), "s": pa.string(), "d": pa.date32(),
                    "m": pa.decimal128(12, 2)})
EPOCH = datetime.date(2000, 1, 1)


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


ROW = st.fixed_dictionaries({
    "i": nullable(st.integers(-1000, 1000)),
    "f": nullable(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    "s": nullable(st.text(alphabet="abc", max_size=4)),
    "d": nullable(st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31))),
    "m": nullable(st.decimals(-10_000, 10_000, places=2, allow_nan=False,
                              allow_infinity=False)),
})


@st.composite
def tables(draw: st.DrawFn) -> tuple[pa.Table, list[dict[str, Any]]]:
    """A random table (split into random chunks) and its rows as Python dicts."""
    rows = draw(st.lists(ROW, max_size=25))
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    bounds = [0, *cuts, len(rows)]
    batches = [table.slice(a, b - a).to_batches() for a, b in zip(bounds, bounds[1:])]
    chunked = pa.Table.from_batches([b for bs in batches for b in bs], schema=SCHEMA)
    return chunked, rows


def strict(fn: Callable[..., Any]) -> Callable[..., Any]:
    """SQL null propagation: None if any argument is None."""
    return lambda *args: None if any(a is None for a in args) else fn(*args)


def and3(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def or3(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def not3(a: bool | None) -> bool | None:
    return None if a is None else not a


def floordiv(a: int, b: int) -> int | None:
    return None if b == 0 else a // b


def mod(a: int, b: int) -> int | None:
    return None if b == 0 else a % b


def gt(a: Any, b: Any) -> bool | None:
    return strict(lambda x, y: x > y)(a, b)


def add_months(d: datetime.date, months: int) -> datetime.date:
    """SQL's date + interval 'n' month: the same day, or the new month's last one."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(d.day, last))


def day(k: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=k * 17)


# (name, expression for literal k, Python value for row r and literal k)
CASES: list[tuple[str, Callable[[int], hr.Expr], Callable[[dict[str, Any], int], Any]]] = [
    ("i + k", lambda k: col("i") + k, lambda r, k: strict(lambda a: a + k)(r["i"])),
    ("k - i", lambda k: k - col("i"), lambda r, k: strict(lambda a: k - a)(r["i"])),
    ("k * i", lambda k: k * col("i"), lambda r, k: strict(lambda a: k * a)(r["i"])),
    ("i // k", lambda k: col("i") // k, lambda r, k: strict(floordiv)(r["i"], k)),
    ("k // i", lambda k: k // col("i"), lambda r, k: strict(floordiv)(k, r["i"])),
    ("i % k", lambda k: col("i") % k, lambda r, k: strict(mod)(r["i"], k)),
    ("k % i", lambda k: k % col("i"), lambda r, k: strict(mod)(k, r["i"])),
    ("i / k", lambda k: col("i") / (k or 1), lambda r, k: strict(lambda a: a / (k or 1))(r["i"])),
    ("i ** 2", lambda k: col("i") ** 2, lambda r, k: strict(lambda a: a ** 2)(r["i"])),
    ("-i", lambda k: -col("i"), lambda r, k: strict(lambda a: -a)(r["i"])),
    ("f * k - i", lambda k: col("f") * k - col("i"),
     lambda r, k: strict(lambda f, i: f * k - i)(r["f"], r["i"])),
    ("f // k", lambda k: col("f") // (k or 1),
     lambda r, k: strict(lambda f: math.floor(f / (k or 1)))(r["f"])),
    ("i < k", lambda k: col("i") < k, lambda r, k: strict(lambda a: a < k)(r["i"])),
    ("k < i", lambda k: k < col("i"), lambda r, k: strict(lambda a: k < a)(r["i"])),
    ("i == k", lambda k: col("i") == k, lambda r, k: strict(lambda a: a == k)(r["i"])),
    ("i != k", lambda k: col("i") != k, lambda r, k: strict(lambda a: a != k)(r["i"])),
    ("i >= k + 0.5", lambda k: col("i") >= k + 0.5,
     lambda r, k: strict(lambda a: a >= k + 0.5)(r["i"])),
    ("i == k + 0.5", lambda k: col("i") == k + 0.5, lambda r, k: strict(lambda a: False)(r["i"])),
    ("f > k", lambda k: col("f") > k, lambda r, k: gt(r["f"], k)),
    ("between", lambda k: col("i").between(k, k + 300),
     lambda r, k: strict(lambda a: k <= a <= k + 300)(r["i"])),
    ("isin", lambda k: col("i").isin([k, k + 1, None]), lambda r, k: r["i"] in (k, k + 1, None)),
    ("is_null", lambda k: col("i").is_null(), lambda r, k: r["i"] is None),
    ("is_not_null", lambda k: col("f").is_not_null(), lambda r, k: r["f"] is not None),
    ("and", lambda k: (col("i") > k) & (col("f") < 0),
     lambda r, k: and3(gt(r["i"], k), gt(0, r["f"]))),
    ("or", lambda k: (col("i") > k) | (col("f") < 0),
     lambda r, k: or3(gt(r["i"], k), gt(0, r["f"]))),
    ("not", lambda k: ~(col("i") > k), lambda r, k: not3(gt(r["i"], k))),
    ("s == 'ab'", lambda k: col("s") == "ab", lambda r, k: strict(lambda s: s == "ab")(r["s"])),
    ("contains", lambda k: col("s").str.contains("ab"),
     lambda r, k: strict(lambda s: "ab" in s)(r["s"])),
    ("regex", lambda k: col("s").str.contains("^a+$", literal=False),
     lambda r, k: strict(lambda s: s != "" and set(s) == {"a"})(r["s"])),
    ("starts_with", lambda k: col("s").str.starts_with("b"),
     lambda r, k: strict(lambda s: s.startswith("b"))(r["s"])),
    ("ends_with", lambda k: col("s").str.ends_with("ca"),
     lambda r, k: strict(lambda s: s.endswith("ca"))(r["s"])),
    ("s isin", lambda k: col("s").isin(["a", "bc"]), lambda r, k: r["s"] in ("a", "bc")),
    ("d < date", lambda k: col("d") < day(k), lambda r, k: gt(day(k), r["d"])),
    ("d >= iso", lambda k: col("d") >= day(k).isoformat(),
     lambda r, k: strict(lambda d: d >= day(k))(r["d"])),
    ("d + days", lambda k: col("d") + datetime.timedelta(days=k),
     lambda r, k: strict(lambda d: d + datetime.timedelta(days=k))(r["d"])),
    ("d - days", lambda k: col("d") - datetime.timedelta(days=k),
     lambda r, k: strict(lambda d: d - datetime.timedelta(days=k))(r["d"])),
    ("d - date", lambda k: col("d") - day(k), lambda r, k: strict(lambda d: d - day(k))(r["d"])),
    ("add_months", lambda k: col("d").dt.add_months(k), lambda r, k: strict(lambda d: add_months(d, k))(r["d"])),
    ("add_years", lambda k: col("d").dt.add_years(k // 12),
     lambda r, k: strict(lambda d: add_months(d, 12 * (k // 12)))(r["d"])),
    ("d < lit + months", lambda k: col("d") < lit(day(k)).dt.add_months(k % 25),
     lambda r, k: gt(add_months(day(k), k % 25), r["d"])),
    ("year", lambda k: col("d").dt.year(), lambda r, k: strict(lambda d: d.year)(r["d"])),
    ("month", lambda k: col("d").dt.month(), lambda r, k: strict(lambda d: d.month)(r["d"])),
    ("day", lambda k: col("d").dt.day(), lambda r, k: strict(lambda d: d.day)(r["d"])),
    ("m < k", lambda k: col("m") < k, lambda r, k: strict(lambda m: m < k)(r["m"])),
    ("m == k", lambda k: col("m") == k, lambda r, k: strict(lambda m: m == k)(r["m"])),
    ("m > k/1000", lambda k: col("m") > Decimal(k) / 1000,
     lambda r, k: strict(lambda m: m > Decimal(k) / 1000)(r["m"])),
    ("m <= k + 0.25", lambda k: col("m") <= k + 0.25,
     lambda r, k: strict(lambda m: m <= k + Decimal("0.25"))(r["m"])),
    ("m + k", lambda k: col("m") + k, lambda r, k: strict(lambda m: m + k)(r["m"])),
    ("k - m", lambda k: k - col("m"), lambda r, k: strict(lambda m: k - m)(r["m"])),
    ("m * i", lambda k: col("m") * col("i"),
     lambda r, k: strict(lambda m, i: m * i)(r["m"], r["i"])),
    ("m isin", lambda k: col("m").isin([k, Decimal("0.005")]), lambda r, k: r["m"] == k),
    ("m * (1 - m) * k", lambda k: col("m") * (1 - col("m")) * k,
     lambda r, k: strict(lambda m: m * (1 - m) * k)(r["m"])),
    ("m * m * m * k", lambda k: col("m") * col("m") * col("m") * k,   # over 38 digits: capped
     lambda r, k: strict(lambda m: m * m * m * k)(r["m"])),
    ("m / k", lambda k: col("m") / (k or 1), lambda r, k: strict(lambda m: float(m) / (k or 1))(r["m"])),
    ("like", lambda k: col("s").str.like("a%b_"),
     lambda r, k: strict(lambda s: re.fullmatch("a.*b.", s, re.S) is not None)(r["s"])),
    ("when", lambda k: when(col("i") > k).then(col("i")).when(col("f") > 0).then(k).otherwise(-1),
     lambda r, k: r["i"] if gt(r["i"], k) else (k if gt(r["f"], 0) else -1)),
    ("when no otherwise", lambda k: when(col("s") == "a").then(col("d")),
     lambda r, k: r["d"] if r["s"] == "a" else None),
    ("cast", lambda k: col("i").cast("float64") / 4, lambda r, k: strict(lambda i: i / 4)(r["i"])),
    ("alias", lambda k: (col("i") + 1).alias("j"), lambda r, k: strict(lambda i: i + 1)(r["i"])),
]


def same(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float) or isinstance(got, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)
    return bool(got == want)


@pytest.mark.parametrize("name, build, expected", CASES, ids=[c[0] for c in CASES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tables(), k=st.integers(-300, 300))
def test_matches_python_row_by_row(name: str, build: Callable[[int], hr.Expr],
                                   expected: Callable[[dict[str, Any], int], Any],
                                   data: tuple[pa.Table, list[dict[str, Any]]], k: int) -> None:
    table, rows = data
    expr = build(k)
    got = expr.evaluate(table)
    want = [expected(row, k) for row in rows]
    values = got.to_pylist()
    assert len(values) == len(want)
    assert all(same(g, w) for g, w in zip(values, want)), (expr, values, want)
    assert got.type == expr.output_type(table.schema)
    assert expr.columns() <= set(SCHEMA.names)
    # The same values from a record batch, and from pyarrow's own expression engine.
    batch = table.combine_chunks().to_batches()
    if batch:
        assert expr.evaluate(batch[0]).to_pylist() == values
    projected = pads.dataset(table).to_table(columns={"out": expr.to_pyarrow(table.schema)})
    assert all(same(g, w) for g, w in zip(projected.column("out").to_pylist(), want))


def test_reflected_operators() -> None:
    t = pa.table({"x": [1, 2, 3]})
    assert (1 - col("x")).evaluate(t).to_pylist() == [0, -1, -2]
    assert (10 // col("x")).evaluate(t).to_pylist() == [10, 5, 3]
    assert (2 ** col("x")).evaluate(t).to_pylist() == [2, 4, 8]
    assert (6 / col("x")).evaluate(t).to_pylist() == [6.0, 3.0, 2.0]
    assert (2 < col("x")).evaluate(t).to_pylist() == [False, False, True]
    assert repr(1 - col("x")) == '1 - col("x")'


def test_decimal_column_against_int_and_decimal_literals(tmp_path: Any) -> None:
    t = pa.table({"d": pa.array([Decimal("23.99"), Decimal("24.00"), Decimal("24.01")],
                                pa.decimal128(12, 2))})
    assert (col("d") < 24).evaluate(t).to_pylist() == [True, False, False]
    assert (col("d") < Decimal("24.005")).evaluate(t).to_pylist() == [True, True, False]
    assert (col("d") == 24.01).evaluate(t).to_pylist() == [False, False, True]
    assert (24 <= col("d")).evaluate(t).to_pylist() == [False, True, True]
    assert (col("d") + 1).evaluate(t).to_pylist()[0] == Decimal("24.99")
    # Handed to the Parquet reader as a filter (raw pc.field("d") < 24 fails there).
    pq.write_table(t, tmp_path / "d.parquet")
    schema = pq.read_schema(tmp_path / "d.parquet")
    for expr, n in [(col("d") < 24, 1), (col("d") > Decimal("24.005"), 1)]:
        assert pq.read_table(tmp_path / "d.parquet", filters=expr.to_pyarrow(schema)).num_rows == n


def test_decimal_arithmetic_caps_precision_at_38_and_checks_overflow() -> None:
    money = pa.decimal128(15, 2)
    t = pa.table({"p": pa.array([Decimal("104949.50"), None], money),
                  "d": pa.array([Decimal("0.04"), Decimal("0.10")], money),
                  "x": pa.array([Decimal("0.08"), Decimal("0.00")], money)})
    charge = col("p") * (1 - col("d")) * (1 + col("x"))        # raw pyarrow: precision 49
    assert charge.output_type(t.schema) == pa.decimal128(38, 6)
    assert charge.evaluate(t).to_pylist() == [Decimal("108811.641600"), None]
    assert charge.evaluate(t.to_batches()[0]).to_pylist() == [Decimal("108811.641600"), None]
    assert (col("p") / col("d")).output_type(t.schema) == pa.float64()
    big = pa.table({"b": pa.array([Decimal(10) ** 37], pa.decimal128(38, 0))})
    assert (col("b") * col("b")).output_type(big.schema) == pa.decimal128(38, 0)
    with pytest.raises(pa.ArrowInvalid):                        # never a wrapped or rounded value
        (col("b") * col("b")).evaluate(big.to_batches()[0])
    with pytest.raises(pa.ArrowInvalid):
        (col("b") + col("b") * 9).evaluate(big)


@st.composite
def decimal_arrays(draw: st.DrawFn, precision: int, scale: int) -> pa.Array:
    """A decimal128 array with nulls, sliced at a random offset; values up to the precision."""
    limit = 10 ** (precision - scale) - 1
    values = draw(st.lists(nullable(st.decimals(-limit, limit, places=scale, allow_nan=False,
                                                  allow_infinity=False)), min_size=1, max_size=30))
    array = pa.array(values, pa.decimal128(precision, scale))
    start = draw(st.integers(0, len(values) - 1))
    return array.slice(start)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), op=st.sampled_from(["+", "-", "*"]),
       left=st.tuples(st.integers(1, 30), st.integers(0, 4)), right=st.tuples(st.integers(1, 30), st.integers(0, 4)))
def test_decimal_arithmetic_is_exact(data: st.DataObject, op: str, left: tuple[int, int],
                                     right: tuple[int, int]) -> None:
    # Arrays go through the int64 path when the values allow it, chunked arrays through
    # pyarrow's decimal kernels; both must give Python's exact Decimal answer.
    lp, ls = max(left), min(left)
    rp, rs = max(right), min(right)
    a = data.draw(decimal_arrays(lp, ls))
    b = data.draw(decimal_arrays(rp, rs))
    n = min(len(a), len(b))
    batch = pa.record_batch({"a": a.slice(0, n), "b": b.slice(0, n)})
    expr = {"+": col("a") + col("b"), "-": col("a") - col("b"), "*": col("a") * col("b")}[op]
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}[op]
    with __import__("decimal").localcontext() as context:
        context.prec = 80
        want = [strict(fn)(x, y) for x, y in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist())]
    kind = expr.output_type(batch.schema)
    fits = _fits(want, kind)
    for source in (batch, pa.Table.from_batches([batch])):
        if not fits:
            with pytest.raises(pa.ArrowInvalid):
                expr.evaluate(source)
            continue
        got = expr.evaluate(source)
        assert got.type == kind
        assert got.to_pylist() == want


def _fits(values: list[Decimal | None], kind: pa.DataType) -> bool:
    """Every value has at most the integer digits ``kind`` holds."""
    return all(v is None or len(v.as_tuple().digits) - max(0, -v.as_tuple().exponent) <= kind.precision - kind.scale
               for v in values)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), op=st.sampled_from(["+", "-", "*"]), column=st.tuples(st.integers(1, 30), st.integers(0, 4)),
       literal=st.one_of(st.integers(-(10 ** 20), 10 ** 20), st.decimals(-1000, 1000, places=3, allow_nan=False,
                                                                        allow_infinity=False)),
       literal_first=st.booleans())
def test_decimal_arithmetic_with_a_literal_is_exact(data: st.DataObject, op: str, column: tuple[int, int],
                                                    literal: int | Decimal, literal_first: bool) -> None:
    # A literal is one unscaled constant on the int64 path (or, beyond 64 bits, pyarrow's).
    precision, scale = max(column), min(column)
    a = data.draw(decimal_arrays(precision, scale))
    batch = pa.record_batch({"a": a})
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}[op]
    expr = fn(literal, col("a")) if literal_first else fn(col("a"), literal)
    try:
        kind = expr.output_type(batch.schema)
    except pa.ArrowInvalid:
        return  # a literal whose type cannot combine with the column's (more than 38 digits)
    with __import__("decimal").localcontext() as context:
        context.prec = 80
        want = [None if x is None else (fn(Decimal(literal), x) if literal_first else fn(x, Decimal(literal)))
                for x in a.to_pylist()]
    fits = _fits(want, kind)
    if not fits:
        with pytest.raises(pa.ArrowInvalid):
            expr.evaluate(batch)
        return
    got = expr.evaluate(batch)
    assert got.type == kind
    assert got.to_pylist() == want


_OPS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}


def _trees(columns: list[str]) -> st.SearchStrategy[Any]:
    """Trees of + - * over the columns and small literals, as (expression, reference) pairs:
    the reference computes one row's exact value from a dict of column values."""
    leaves = st.one_of(
        st.sampled_from(columns).map(lambda c: (col(c), lambda row, c=c: row[c])),
        st.sampled_from([1, 3, Decimal("0.5"), Decimal("-2.25")]).map(lambda v: (v, lambda row, v=v: Decimal(v))),
    )

    def combine(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        def node(op: str, a: Any, b: Any) -> Any:
            (ea, fa), (eb, fb) = a, b
            if not isinstance(ea, hr.Expr) and not isinstance(eb, hr.Expr):
                ea = lit(ea)  # two literals: one of them an expression, as a user writes it
            return _OPS[op](ea, eb), lambda row: strict(_OPS[op])(fa(row), fb(row))
        return st.builds(node, st.sampled_from(sorted(_OPS)), children, children)

    return st.recursive(leaves, combine, max_leaves=6).filter(lambda t: isinstance(t[0], hr.Expr) and t[0].columns())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), precisions=st.lists(st.tuples(st.integers(1, 18), st.integers(0, 3)), min_size=3, max_size=3))
def test_decimal_trees_are_exact(data: st.DataObject, precisions: list[tuple[int, int]]) -> None:
    # A tree of decimal + - * runs as one native program where every value fits in 64 bits,
    # else node by node; either way each row is Python's exact answer, with the type the
    # node-by-node rules give (also on a Table, whose chunked columns go node by node).
    arrays = [data.draw(decimal_arrays(max(p), min(p))) for p in precisions]
    n = min(len(a) for a in arrays)
    batch = pa.record_batch({name: a.slice(0, n) for name, a in zip("abc", arrays)})
    expr, reference = data.draw(_trees(["a", "b", "c"]))
    try:
        kind = expr.output_type(batch.schema)
    except pa.ArrowInvalid:
        return  # more than 38 decimal places
    assume(pa.types.is_decimal(kind))  # not, say, an integer product of literals times a column
    with __import__("decimal").localcontext() as context:
        context.prec = 120
        want = [reference(row) for row in batch.to_pylist()]
    assume(_fits(want, kind))  # small precisions: a capped 38-digit type is never exceeded
    for source in (batch, pa.Table.from_batches([batch])):
        got = expr.evaluate(source)
        assert got.type == kind
        assert got.to_pylist() == want


def test_decimal_tree_is_one_native_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from headrace import _core, _expr_decimal_tree

    calls: list[int] = []
    program = _core.decimal_int64_program

    def counted(steps: list[Any], operands: list[Any], out: Any) -> bool:
        calls.append(len(steps))
        return program(steps, operands, out)

    monkeypatch.setattr(_expr_decimal_tree._core, "decimal_int64_program", counted)
    money = pa.decimal128(15, 2)
    batch = pa.record_batch({"p": pa.array([Decimal("104949.50"), None, Decimal("1.00")], money),
                             "d": pa.array([Decimal("0.04"), Decimal("0.10"), Decimal("0.00")], money),
                             "t": pa.array([Decimal("0.08"), Decimal("0.00"), Decimal("0.01")], money)})
    charge = col("p") * (1 - col("d")) * (1 + col("t"))
    assert charge.evaluate(batch).to_pylist() == [Decimal("108811.641600"), None, Decimal("1.010000")]
    assert calls == [9]  # p, 1, d, -, *, 1, t, +, *: one program, no column per operation
    # A value beyond 64 bits refuses the program: node by node, still exact.
    calls.clear()
    wide = pa.decimal128(18, 2)
    p, d = Decimal("9999999999999999.99"), Decimal("999.99")
    big = pa.record_batch({"p": pa.array([p], wide), "d": pa.array([d], wide), "t": pa.array([Decimal("1.00")], wide)})
    assert (col("p") * col("d") - col("t")).evaluate(big).to_pylist() == [p * d - 1]
    assert calls[0] == 5 and len(calls) > 1


def test_date_column_against_date_literals() -> None:
    t = pa.table({"d": [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29), None]})
    assert (col("d") >= datetime.date(2024, 2, 1)).evaluate(t).to_pylist() == [False, True, None]
    assert (col("d") == "2024-02-29").evaluate(t).to_pylist() == [False, True, None]
    plus = (col("d") + datetime.timedelta(days=1)).evaluate(t)
    assert plus.type == pa.date32()
    assert plus.to_pylist() == [datetime.date(2024, 2, 1), datetime.date(2024, 3, 1), None]
    assert (datetime.timedelta(days=1) + col("d")).evaluate(t).to_pylist() == plus.to_pylist()
    hours = (col("d") + datetime.timedelta(hours=6)).evaluate(t)
    assert hours.to_pylist()[0] == datetime.datetime(2024, 1, 31, 6)
    assert (col("d") - datetime.date(2024, 1, 1)).evaluate(t).to_pylist()[0] == \
        datetime.timedelta(days=30)


def test_add_months_at_month_ends_and_leap_days() -> None:
    t = pa.table({"d": [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29), datetime.date(1900, 1, 31),
                        datetime.date(2000, 1, 31), datetime.date(1, 1, 1), None, datetime.date(9999, 12, 31)]})
    got = col("d").dt.add_months(1).evaluate(t.slice(0, 6)).to_pylist()
    assert got == [datetime.date(2024, 2, 29), datetime.date(2024, 3, 29), datetime.date(1900, 2, 28),
                   datetime.date(2000, 2, 29), datetime.date(1, 2, 1), None]
    assert col("d").dt.add_years(1).evaluate(t.slice(0, 6)).to_pylist()[1] == datetime.date(2025, 2, 28)
    assert col("d").dt.add_months(-1).evaluate(t.slice(6)).to_pylist() == [datetime.date(9999, 11, 30)]
    assert repr(col("d").dt.add_years(-2)) == 'col("d").dt.add_years(-2)'
    with pytest.raises(TypeError, match="date32 values only"):
        col("x").dt.add_months(1).output_type(pa.schema({"x": pa.timestamp("s")}))
    with pytest.raises(TypeError, match="whole number"):
        col("d").dt.add_months(1.5)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(d=st.one_of(st.none(), st.dates()), months=st.integers(-30000, 30000))
def test_a_literal_date_plus_months_folds_to_what_the_array_kernels_give(
        d: datetime.date | None, months: int) -> None:
    """A literal date is shifted in Python; a column of dates by the array kernels: the same
    day, whatever the month lengths, leap years or (within years 1-9999) the distance."""
    year = None if d is None else (d.year * 12 + d.month - 1 + months) // 12
    assume(year is None or 1 <= year <= 9999)  # beyond: no Python date to compare
    column = pa.table({"d": pa.array([d], pa.date32())})
    folded = lit(d).dt.add_months(months) if d is not None else lit(None).cast(pa.date32()).dt.add_months(months)
    by_kernels = col("d").dt.add_months(months).evaluate(column).to_pylist()
    assert folded.evaluate(column).to_pylist() == by_kernels
    assert str(folded.to_pyarrow(column.schema)) == str(pc.scalar(pa.scalar(by_kernels[0], pa.date32())))


def test_timestamp_with_time_zone_and_unit() -> None:
    paris = ZoneInfo("Europe/Paris")
    ts = pa.array([datetime.datetime(2024, 6, 1, 12, tzinfo=paris), None],
                  pa.timestamp("ms", "Europe/Paris"))
    t = pa.table({"ts": ts})
    noon_utc = datetime.datetime(2024, 6, 1, 10, tzinfo=datetime.timezone.utc)  # the same instant
    assert (col("ts") == noon_utc).evaluate(t).to_pylist() == [True, None]
    # A literal finer than the column's unit is not truncated to it.
    later = datetime.datetime(2024, 6, 1, 12, 0, 0, 500, tzinfo=paris)
    assert (col("ts") < later).evaluate(t).to_pylist() == [True, None]
    assert (col("ts") == later).evaluate(t).to_pylist() == [False, None]
    assert (col("ts") >= "2024-06-01T12:00:00+02:00").evaluate(t).to_pylist() == [True, None]
    shifted = (col("ts") + datetime.timedelta(hours=1)).evaluate(t)
    assert shifted.type == pa.timestamp("ms", "Europe/Paris")
    assert shifted.to_pylist()[0] == datetime.datetime(2024, 6, 1, 13, tzinfo=paris)
    assert col("ts").dt.day().evaluate(pa.table({"ts": pa.array(
        [datetime.datetime(2024, 6, 1, 23, tzinfo=datetime.timezone.utc)],
        pa.timestamp("s", "Asia/Tokyo"))})).to_pylist() == [2]  # in the column's zone
    with pytest.raises(TypeError, match="naive"):
        (col("ts") > datetime.datetime(2024, 6, 1)).evaluate(t)
    naive = pa.table({"ts": pa.array([datetime.datetime(2024, 6, 1)], pa.timestamp("us"))})
    assert (col("ts") == datetime.datetime(2024, 6, 1)).evaluate(naive).to_pylist() == [True]
    with pytest.raises(TypeError, match="time zone"):
        (col("ts") == noon_utc).evaluate(naive)


def test_kleene_logic_with_nulls() -> None:
    values = [True, False, None]
    a = [x for x in values for _ in values]
    b = [y for _ in values for y in values]
    t = pa.table({"a": pa.array(a, pa.bool_()), "b": pa.array(b, pa.bool_())})
    assert (col("a") & col("b")).evaluate(t).to_pylist() == [and3(x, y) for x, y in zip(a, b)]
    assert (col("a") | col("b")).evaluate(t).to_pylist() == [or3(x, y) for x, y in zip(a, b)]
    assert (~col("a")).evaluate(t).to_pylist() == [not3(x) for x in a]
    assert (col("a") & False).evaluate(t).to_pylist() == [False] * 9
    assert (True | col("a")).evaluate(t).to_pylist() == [True] * 9


def test_int_column_and_float_literals_promote() -> None:
    t = pa.table({"x": pa.array([1, 2], pa.int8())})
    assert (col("x") < 1.5).evaluate(t).to_pylist() == [True, False]
    assert (col("x") == 1.0).evaluate(t).to_pylist() == [True, False]
    assert (col("x") + 0.5).evaluate(t).to_pylist() == [1.5, 2.5]
    assert (col("x") + 1).evaluate(t).type == pa.int8()         # keeps the column's type
    assert (col("x") + 1000).evaluate(t).to_pylist() == [1001, 1002]  # no wraparound
    with pytest.raises(pa.ArrowInvalid):                          # checked arithmetic
        (col("x") * 127).evaluate(t)


def test_sliced_chunked_and_empty_inputs() -> None:
    base = pa.table({"x": list(range(10)), "s": [str(i) for i in range(10)]})
    expr = (col("x") * 2 > 9) & col("s").isin(["6", "7", "9"])
    want = [x * 2 > 9 and str(x) in ("6", "7", "9") for x in range(10)]
    assert expr.evaluate(base).to_pylist() == want
    assert expr.evaluate(base.slice(3, 5)).to_pylist() == want[3:8]
    batch = base.to_batches()[0].slice(4)
    assert expr.evaluate(batch).to_pylist() == want[4:]
    chunked = pa.Table.from_batches(base.to_batches(max_chunksize=3))
    result = expr.evaluate(chunked)
    assert isinstance(result, pa.ChunkedArray) and result.to_pylist() == want
    empty = base.schema.empty_table()
    assert len(expr.evaluate(empty)) == 0
    assert expr.evaluate(empty).type == pa.bool_()
    assert expr.output_type(base.schema) == pa.bool_()
    assert len(lit(1).evaluate(empty)) == 0
    assert lit(1).evaluate(base).to_pylist() == [1] * 10


def test_errors_name_the_column_and_the_types() -> None:
    t = pa.table({"qty": [1], "s": ["a"]})
    with pytest.raises(hr.ColumnNotFoundError) as info:
        (col("qtty") > 1).evaluate(t)
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "column 'qtty' not found; available columns: 'qty', 's'"
    with pytest.raises(KeyError, match="qtty"):
        (col("qtty") > 1).output_type(t.schema)
    with pytest.raises(TypeError, match=r'col\("s"\) \+ 1.*string, int64'):
        (col("s") + 1).evaluate(t)
    with pytest.raises(TypeError, match="string"):
        (col("s") + 1).output_type(t.schema)
    with pytest.raises(TypeError, match=r"str\.starts_with"):
        col("qty").str.starts_with("a").evaluate(t)
    with pytest.raises(TypeError, match=r"& \| ~"):
        bool(col("qty") > 1)
    with pytest.raises(TypeError, match="instead of and"):
        (col("qty") > 1) and (col("qty") < 3)  # noqa: B015
    with pytest.raises(ValueError, match="unknown type name"):
        col("qty").cast("floaty")


def test_tree_is_immutable_and_introspectable() -> None:
    e = (col("qty") > 10) & col("region").isin(["EU"])
    assert repr(e) == "(col(\"qty\") > 10) & col(\"region\").isin(['EU'])"
    assert e.columns() == {"qty", "region"}
    with pytest.raises(AttributeError):
        e.op = "|"  # type: ignore[attr-defined]
    assert repr(when(col("a") > 1).then("x").otherwise(None)) == \
        "when(col(\"a\") > 1).then('x').otherwise(None)"
    assert repr(-(col("a") + 1)) == '-(col("a") + 1)'
    assert repr(col("a").cast("float64").alias("b")) == "col(\"a\").cast('double').alias('b')"
    assert (col("a") * 2).alias("twice").output_name == "twice"
    assert isinstance(hr.lit(3), hr.Expr) and hr.lit(col("a")) is not None


def test_to_pyarrow_folds_literals_into_the_column_type() -> None:
    schema = pa.schema({"d": pa.decimal128(12, 2), "day": pa.date32()})
    assert str((col("d") < 24).to_pyarrow(schema)) == "(d < 24.00)"
    assert str((col("day") >= "2024-01-01").to_pyarrow(schema)) == "(day >= 2024-01-01)"
    assert isinstance((col("d") > 1).to_pyarrow(schema), pc.Expression)


@pytest.mark.parametrize("copy_of", ["pickle", "deepcopy", "copy"])
def test_expressions_pickle_and_copy_to_equal_expressions(copy_of: str) -> None:
    """Every kind of node survives pickling and copying (their fields are set once and
    refuse assignment), also after its columns were asked for (a cached answer)."""
    import copy
    import pickle

    table = pa.table({"a": [1, 2, 3], "b": [4, 5, 6], "s": ["x", "yy", "z"],
                      "d": [datetime.date(2020, 1, 31)] * 3, "p": pa.array([Decimal("1.50")] * 3, pa.decimal128(9, 2))})
    made = {"pickle": lambda e: pickle.loads(pickle.dumps(e)), "deepcopy": copy.deepcopy, "copy": copy.copy}[copy_of]
    for expr in [(col("a") + col("b") * 2) > 3, col("s").isin(["x", "z"]), when(col("a") > 1).then(1).otherwise(0),
                 col("d").dt.add_months(1), col("a").cast(pa.float64()).alias("f"), col("s").str.starts_with("y"),
                 lit(Decimal("2.25")) * col("p"), ~(col("a") == lit(None))]:
        expr.columns()
        again = made(expr)
        assert type(again) is type(expr) and repr(again) == repr(expr)
        assert again.columns() == expr.columns()
        assert again.evaluate(table).equals(expr.evaluate(table))


def test_remembered_output_types_follow_the_structure_the_values_and_the_column_types() -> None:
    """Types are remembered per structure (see _expr_cache): literals equal as values but not
    as types (decimal scales, time zones), other column types, and errors are each answered
    afresh; a literal that cannot be spelled safely (a pyarrow scalar) is simply not kept."""
    utc = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone.utc)
    paris = utc.astimezone(ZoneInfo("Europe/Paris"))
    decimals, none = pa.schema({"p": pa.decimal128(9, 2)}), pa.schema([])
    cases = [(col("p") * Decimal("1.5"), decimals), (col("p") * Decimal("1.50"), decimals),
             (lit(utc), none), (lit(paris), none),
             (col("x") + 1, pa.schema({"x": pa.int8()})), (col("x") + 1, pa.schema({"x": pa.float32()})),
             (col("x") + lit(pa.scalar(2, pa.int16())), pa.schema({"x": pa.int16()}))]
    for _ in range(2):  # asked again: answered from what was kept
        for expr, schema in cases:
            assert expr.output_type(schema) == expr.evaluate(schema.empty_table()).type
    assert cases[0][0].output_type(decimals) != cases[1][0].output_type(decimals)
    assert cases[2][0].output_type(none) != cases[3][0].output_type(none)
    for _ in range(2):
        with pytest.raises((TypeError, pa.ArrowException)):
            (col("s") + 1).output_type(pa.schema({"s": pa.string()}))
