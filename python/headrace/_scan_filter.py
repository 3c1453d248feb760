"""A scan's own filter, one ``&``-ed term at a time on fewer and fewer rows.

A Parquet scan evaluates its filter itself (see ``_ops.scan_fn``). A filter is usually a
conjunction. Its simple comparisons of a column with a constant or another column run
first, natively (``_core.RowFilter``, see ``_native_filter``), term by term on the rows
still passing; pyarrow evaluates the other terms on the rows they leave. Those differ in
cost: a comparison of a dictionary-encoded string
column runs on the dictionary's few values, one of a date or an integer column costs a
nanosecond a row, one of a decimal column several. :class:`ConjunctFilter` evaluates the
cheap terms first and, when the rows still passing are few, drops the others before it
evaluates a costly term, so the expensive terms see only the rows that are left.

Examples:
    >>> import pyarrow as pa
    >>> import headrace as hr
    >>> batch = pa.record_batch({"day": pa.array([1, 5, 9, 12], pa.int32()),
    ...                          "price": pa.array([3, 40, 7, 8], pa.decimal128(15, 2))})
    >>> f = ConjunctFilter((hr.col("price") < 10) & (hr.col("day") > 4), batch.schema, [])
    >>> [str(t) for t in f.terms]                   # the integer term first
    ['col("day") > 4', 'col("price") < 10']
    >>> len(f.native_terms)                         # both run natively (see _native_filter)
    2
    >>> f.apply(batch).to_pydict()
    {'day': [9, 12], 'price': [Decimal('7.00'), Decimal('8.00')]}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._batches import take_rows
from ._expr import Expr, conjuncts, disjuncts
from ._join_filter import KeyTerm
from ._native_filter import native_term

__all__ = ["ConjunctFilter"]

# The column that carries row numbers through the terms pyarrow evaluates (see rows()).
_ROW = "__headrace_filter_row"
# Before a costly term (a decimal or plain string column), the batch is cut to the rows
# still passing when they are fewer than this share of it.
NARROW_BELOW = 0.5
_COSTLY = 2
# Row groups a fused read takes one at a time while its filter chooses the order of terms
# and key filters, or whether to stage its terms (after that, as many as make a batch in one
# call).
LEARN_GROUPS = 4
# A staged read stays staged while its first terms keep at most this share of the rows:
# the later terms' own columns are then decoded for one row in eight or fewer.
STAGE_BELOW = 1 / 8


class Stages(NamedTuple):
    """A filter's native terms in two steps: those on one column each (``first``, over
    ``columns``), then those reading further columns (``second``)."""

    first: Any
    second: Any
    columns: frozenset[str]

    @staticmethod
    def of(native: list[tuple[Expr, Any]]) -> Stages | None:
        """The split of native (term, native term) pairs, or None when no term reads a
        column beyond the one-column terms' (or every term does)."""
        single = frozenset(n for t, _ in native if len(t.columns()) == 1 for n in t.columns())
        first = [n for t, n in native if t.columns() <= single]
        second = [n for t, n in native if not t.columns() <= single]
        if not first or not second:
            return None
        return Stages(_core.RowFilter(first), _core.RowFilter(second), single)


def _cost(kind: pa.DataType, encoded: bool) -> int:
    """A rank of how much comparing a column of ``kind`` costs per row."""
    if encoded or pa.types.is_dictionary(kind):
        return 0
    if (pa.types.is_integer(kind) or pa.types.is_temporal(kind) or pa.types.is_boolean(kind)
            or pa.types.is_floating(kind)):
        return 1
    if pa.types.is_decimal(kind):
        return 2
    return 3


class _AnyOf:
    """An ``|`` of conjunctions whose every term runs natively: the rows any conjunction
    keeps (a row for which the ``|`` is null is dropped, as a filter drops it)."""

    def __init__(self, branches: list[list[Any]]) -> None:
        self._filters = [_core.RowFilter(b) for b in branches]

    @classmethod
    def of(cls, term: Expr, schema: pa.Schema) -> _AnyOf | None:
        branches = disjuncts(term)
        if len(branches) < 2:
            return None
        natives: list[list[Any]] = []
        for branch in branches:
            found = [native_term(t, schema) for t in conjuncts(branch)]
            if any(n is None for n in found):
                return None
            natives.append(found)
        return cls(natives)

    def rows(self, batch: pa.RecordBatch) -> np.ndarray:
        """The passing rows' numbers, ascending."""
        return np.unique(np.concatenate([f.select(batch) for f in self._filters]))


class ConjunctFilter:
    """The rows of a batch for which ``predicate`` is true, term by term (cheap terms
    first), and which pass every join key filter of ``keys`` (applied after the native
    terms). ``encoded``: the columns the scan reads dictionary-encoded."""

    def __init__(self, predicate: Expr | None, schema: pa.Schema, encoded: Iterable[str],
                 keys: Sequence[KeyTerm] = ()) -> None:
        dictionaries = set(encoded)
        self.keys = list(keys)

        def rank(term: Expr) -> int:
            return max((_cost(schema.field(n).type, n in dictionaries) for n in term.columns()), default=0)

        written = conjuncts(predicate) if predicate is not None else []
        ranked = sorted(((rank(t), t) for t in written), key=lambda pair: pair[0])  # stable
        self.terms = [t for _, t in ranked]
        # Simple comparisons run natively first, over row numbers; pyarrow evaluates the
        # rest (cheap first) on the rows they leave.
        # The columns read dictionary-encoded arrive as dictionaries: typed so for the kernel.
        seen_as = pa.schema([f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in dictionaries else f
                             for f in schema])
        native = [(t, native_term(t, seen_as)) for t in self.terms]
        found = [n for _, n in native if n is not None]
        self.native_filter = _core.RowFilter(found) if found else None
        self.native_terms = [t for t, n in native if n is not None]
        # An ``|`` of conjunctions of native terms runs natively too, one conjunction at a time.
        any_of = {id(t): _AnyOf.of(t, seen_as) for t, n in native if n is None}
        self._any_of = [a for a in any_of.values() if a is not None]
        self.native_terms += [t for t, _ in native if any_of.get(id(t)) is not None]
        rest = [(r, t) for (r, t), (_, n) in zip(ranked, native) if n is None and any_of[id(t)] is None]
        self._rest = [t for _, t in rest]
        self._costly = [r >= _COSTLY for r, _ in rest]
        # Every term native (or a key filter): a Parquet scan may run it inside its read.
        self.fusable = not self._any_of and not self._rest
        # A fused read runs the terms first, unless the rows read so far say the key
        # filters keep fewer rows by enough to pay for reading their columns first.
        self.keys_first = False
        self._rows = 0  # rows of the row groups read terms first ...
        self._passed = 0  # ... and of them, the rows the terms passed
        self._groups = 0  # row groups recorded
        # Without key filters, a fused read may stage the terms (see Stages) while the first
        # ones keep at most STAGE_BELOW of the rows (TPC-H Q12: 4%, before two date columns).
        self.stages = Stages.of(native) if self.fusable and not self.keys else None
        self.staged = self.stages is not None

    def record(self, rows: int, passed: int) -> None:
        """A fused read's counts for a row group: ``passed`` of its ``rows`` passed the terms
        over the head (-1: they did not run first; staged: the first terms). Chooses the order
        of the next reads. Staged, it stays so while the first terms keep at most STAGE_BELOW.
        With key filters: with F the fraction the terms keep and K the key filters', reading T
        term columns and J key columns costs about T + J*F terms first and J + T*K keys first
        (per row, in columns decoded)."""
        self._groups += 1
        if self.staged:  # ``passed``: the rows the first terms passed
            self._rows += rows
            self._passed += passed
            if self._groups >= LEARN_GROUPS and self._passed > STAGE_BELOW * self._rows:
                self.staged = False
            return
        if passed < 0 or self.keys_first or not self.keys:
            return
        self._rows += rows
        self._passed += passed
        kept = [k.kept_fraction for k in self.keys]
        if self._rows == 0 or any(f is None for f in kept):
            return
        in_terms = self.term_columns()
        t, j = len(in_terms), len({k.column for k in self.keys} - in_terms)
        terms_kept, keys_kept = self._passed / self._rows, float(np.prod(kept))
        self.keys_first = j > 0 and j + t * keys_kept < 0.8 * (t + j * terms_kept)

    @property
    def learning(self) -> bool:
        """Whether the choice of order may still change soon (terms and key filters, terms
        first so far, or staged terms; and fewer than LEARN_GROUPS row groups recorded): a
        fused read then takes one row group at a time, so the choice applies to the next one."""
        choosing = (bool(self.keys and self.terms) and not self.keys_first) or self.staged
        return choosing and self._groups < LEARN_GROUPS

    @property
    def order(self) -> str:
        """How a fused read runs the filter now: "terms" (then the key filters), "keys" (then
        the terms) or "staged" (the first terms, then the others)."""
        return "keys" if self.keys_first else "staged" if self.staged else "terms"

    def filters(self, order: str) -> tuple[Any, Any]:
        """The native filters over a fused read's head and middle columns in ``order``."""
        if order == "keys":
            return None, self.native_filter
        if order == "staged":
            assert self.stages is not None
            return self.stages.first, self.stages.second
        return self.native_filter, None

    def term_columns(self) -> set[str]:
        """The columns the filter's terms read (not its key filters')."""
        return {name for term in self.terms for name in term.columns()}

    def columns(self) -> set[str]:
        """The columns the filter reads."""
        return self.term_columns() | {k.column for k in self.keys}

    def rows(self, batch: pa.RecordBatch) -> np.ndarray | None:
        """The numbers of the rows that pass (ascending, int32), or None when every row does."""
        rows = self._narrowed(batch)
        if not (self._any_of or self._rest) or (rows is not None and len(rows) == 0):
            return rows
        # The other terms see the rows left, numbered.
        numbers = rows if rows is not None else np.arange(batch.num_rows, dtype=np.int32)
        left = batch if rows is None else take_rows(batch, rows)
        passed = self._others(left.append_column(_ROW, pa.array(numbers)))
        return np.zeros(0, dtype=np.int32) if passed is None else passed.column(_ROW).to_numpy()

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        """The rows that pass, or None when none does."""
        rows = self._narrowed(batch)
        if rows is not None:
            if len(rows) == 0:
                return None
            if len(rows) < batch.num_rows:
                batch = take_rows(batch, rows)
        return self._others(batch)

    def _narrowed(self, batch: pa.RecordBatch) -> np.ndarray | None:
        """The rows the native terms, then the join key filters, keep (one list of row
        numbers they narrow in turn; None: no such term)."""
        rows = self.native_filter.select(batch) if self.native_filter is not None else None
        for key in self.keys:
            if rows is not None and len(rows) == 0:
                break
            rows = key.keep(batch, rows)
        return rows

    def _others(self, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        """The rows of ``batch`` the ``|`` terms and pyarrow's terms keep (None: none)."""
        for any_of in self._any_of:
            rows = any_of.rows(batch)
            if len(rows) == 0:
                return None
            if len(rows) < batch.num_rows:
                batch = take_rows(batch, pa.array(rows))
        mask = None
        for term, costly in zip(self._rest, self._costly):
            if costly and mask is not None:  # cut the batch first if few rows are left
                kept = pc.sum(mask).as_py() or 0
                if kept == 0:
                    return None
                if kept < NARROW_BELOW * batch.num_rows:
                    batch, mask = batch.filter(mask), None
            found = term.evaluate(batch)
            if found.type == pa.null():  # a null literal: no row is true
                return None
            mask = found if mask is None else pc.and_kleene(mask, found)
        return batch if mask is None else batch.filter(mask)
