"""A join's key filter: the build side's integer keys as a bitmap (``cpp/kernels/key_bitmap.h``),
so that the probe side drops the rows that cannot match before they reach the hash table.

The probe side of a join is usually the large one (TPC-H: the 6M lines probe a table of
tens of thousands of orders), and most of its rows find no match. Checking a key against a
bitmap of the build keys costs a few nanoseconds; probing the hash table and carrying the
row's columns there costs several times more. DuckDB and Polars push such a filter into
the probe side's scan; here the probe operator applies it first thing, in the same worker.

The filter goes further down when the probe side is a Parquet scan read only by the join:
the scan then applies it as a :class:`KeyTerm` of its own filter, before it decodes the
columns other than the key (late materialization), since the scan starts only once the
table, and so every build key, is ready.

It applies to a join on one integer key (of any width but uint64, on both sides) whose
build keys span at most :data:`MAX_RANGE` values, of a kind that never outputs a probe row
without a match (inner, semi, and the kinds built from the left side: a left/anti/semi join
whose table is the left input), and not with ``nulls_equal`` (a null key never matches,
and the filter drops it).

Examples:
    >>> import pyarrow as pa
    >>> keys = KeyFilter()
    >>> keys.add(pa.array([10, 12, None, 15]))
    >>> keys.add(pa.array([11], pa.int32()))
    >>> keys.finish()
    True
    >>> keys.mask(pa.array([9, 10, 13, None, 15, 1 << 40])).to_pylist()
    [False, True, False, False, True, False]
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import _core
from ._batches import take_rows

__all__ = ["FILTER_KEEPS_AT_MOST", "FILTER_TRIAL_ROWS", "MAX_RANGE", "KeyFilter", "KeyTerm",
           "filterable_key_types"]

# The widest span of build keys (max - min + 1) that gets a bitmap (one bit per value).
MAX_RANGE: int = _core.key_bitmap_max_span

# A user of the key filter stops once it has checked FILTER_TRIAL_ROWS probe rows and kept
# more than FILTER_KEEPS_AT_MOST of them: dropping a few rows before the probe costs more
# than the probe spends on them.
FILTER_TRIAL_ROWS = 1 << 18
FILTER_KEEPS_AT_MOST = 0.5


def filterable_key_types(build: pa.DataType, probe: pa.DataType) -> bool:
    """Whether keys of these types can go through a :class:`KeyFilter` (plain integers,
    uint64 excepted, whose values need not fit in int64)."""
    return all(pa.types.is_integer(t) and not pa.types.is_uint64(t) for t in (build, probe))


class KeyFilter:
    """The build keys of one join run (``_core.KeyBitmap``). Build workers :meth:`add`
    their key columns; once every build worker is done, :meth:`finish` makes the bitmap
    (once, whoever calls first); probe workers then :meth:`rows` their batches."""

    def __init__(self) -> None:
        self.bitmap = _core.KeyBitmap()

    def add(self, keys: pa.Array | pa.ChunkedArray) -> None:
        """Keeps a build batch's keys (nulls never match, so they are left out)."""
        for chunk in keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys]:
            self.bitmap.add(chunk)

    def finish(self) -> bool:
        """Makes the bitmap of the keys added so far (the first call does, the others wait
        for it); False when the keys span too many values for one (no filtering then)."""
        return self.bitmap.finish()

    def rows(self, batch: pa.RecordBatch, column: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Of ``rows`` of ``batch`` (ascending int32 row numbers; None: every row), those
        whose ``column`` holds a build key (a null never does). Call only after
        :meth:`finish` returned True."""
        return self.bitmap.select(batch.column(column), rows)

    def mask(self, keys: pa.Array) -> pa.Array:
        """True for the keys among the build keys (null keys: False)."""
        found = np.zeros(len(keys), dtype=np.bool_)
        found[self.bitmap.select(keys)] = True
        return pa.array(found)


class KeyTerm:
    """A join's key filter applied to probe batches (by each probe worker, or by the probe
    side's scan): the rows of a batch whose ``column`` holds a build key. It switches itself
    off when the keys span too many values for a bitmap, or once it has kept most of the
    rows it checked (a scan's workers share one; its counts are approximate under threads,
    which only moves that moment)."""

    def __init__(self, column: str, keys: KeyFilter) -> None:
        self.column = column
        self._keys = keys
        self._on: bool | None = None  # unknown until the first batch: the table is ready then
        self._seen = 0
        self._kept = 0

    @property
    def active(self) -> bool:
        """Whether the filter is on (the first ask makes the bitmap if no one has yet)."""
        if self._on is None:
            self._on = self._keys.finish()
        return self._on

    @property
    def bitmap(self) -> _core.KeyBitmap:
        """The native bitmap (for a scan that applies it in its own native call)."""
        return self._keys.bitmap

    @property
    def kept_fraction(self) -> float | None:
        """Of the rows it checked so far, the fraction it kept (None before any)."""
        return self._kept / self._seen if self._seen else None

    def record(self, checked: int, kept: int) -> None:
        """Counts rows checked and kept elsewhere (by a fused scan); may switch the filter off."""
        self._seen += checked
        self._kept += kept
        if self._seen >= FILTER_TRIAL_ROWS and self._kept > FILTER_KEEPS_AT_MOST * self._seen:
            self._on = False

    def keep(self, batch: pa.RecordBatch, rows: np.ndarray | None) -> np.ndarray | None:
        """Of ``rows`` of ``batch`` (ascending; None: every row), the ones that may match;
        ``rows`` itself when the filter is off."""
        if not self.active:
            return rows
        kept = self._keys.rows(batch, self.column, rows)
        self.record(batch.num_rows if rows is None else len(rows), len(kept))
        return kept

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        """The rows that may match (None when none does; ``batch`` itself when the filter is off)."""
        rows = self.keep(batch, None)
        if rows is None:
            return batch
        if len(rows) == 0:
            return None
        return take_rows(batch, rows) if len(rows) < batch.num_rows else batch
