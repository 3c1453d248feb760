"""A join's key filter: the build side's integer keys as a bitmap, so that the probe side
drops the rows that cannot match before they reach the hash table.

The probe side of a join is usually the large one (TPC-H: the 6M lines probe a table of
tens of thousands of orders), and most of its rows find no match. Checking a key against a
bitmap of the build keys costs a few nanoseconds; probing the hash table and carrying the
row's columns there costs several times more. DuckDB and Polars push such a filter into
the probe side's scan; here the probe operator applies it first thing, in the same worker.

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

import threading

import numpy as np
import pyarrow as pa

__all__ = ["MAX_RANGE", "KeyFilter", "filterable_key_types"]

# The widest span of build keys (max - min + 1) that gets a bitmap (one byte per value).
MAX_RANGE = 1 << 25


def filterable_key_types(build: pa.DataType, probe: pa.DataType) -> bool:
    """Whether keys of these types can go through a :class:`KeyFilter` (plain integers,
    uint64 excepted, whose values need not fit in int64)."""
    return all(pa.types.is_integer(t) and not pa.types.is_uint64(t) for t in (build, probe))


def _int64(keys: pa.Array) -> np.ndarray:
    """The keys as int64 (a null as 0: the caller masks nulls out)."""
    if keys.null_count:
        keys = keys.fill_null(pa.scalar(0, keys.type))
    return keys.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


class KeyFilter:
    """The build keys of one join run. Build workers :meth:`add` their key columns; once
    every build worker is done, :meth:`finish` makes the bitmap (once, whoever calls first);
    probe workers then :meth:`mask` their key columns."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._done = False
        self._bitmap: np.ndarray | None = None
        self._low = 0

    def add(self, keys: pa.Array | pa.ChunkedArray) -> None:
        """Keeps a build batch's keys (nulls never match, so they are left out)."""
        chunks = keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys]
        parts = [_int64(c.drop_null() if c.null_count else c) for c in chunks if len(c)]
        with self._lock:
            self._parts.extend(parts)

    def finish(self) -> bool:
        """Makes the bitmap of the keys added so far (the first call does, the others wait
        for it); False when the keys span too many values for one (no filtering then)."""
        with self._lock:
            if not self._done:
                self._done = True
                parts, self._parts = self._parts, []
                keys = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
                if len(keys):
                    low, high = int(keys.min()), int(keys.max())
                    if high - low < MAX_RANGE:
                        self._low = low
                        self._bitmap = np.zeros(high - low + 1, dtype=np.bool_)
                        self._bitmap[keys - low] = True
                else:  # no build key at all: nothing can match
                    self._bitmap = np.zeros(0, dtype=np.bool_)
            return self._bitmap is not None

    def mask(self, keys: pa.Array) -> pa.Array:
        """True for the rows whose key is among the build keys (null keys: False). Call
        only after :meth:`finish` returned True."""
        bitmap = self._bitmap
        assert bitmap is not None
        span = len(bitmap)
        if span == 0:
            return pa.array(np.zeros(len(keys), dtype=np.bool_))
        offsets = _int64(keys) - self._low  # a key far from the span may wrap: it then passes, harmlessly
        inside = (offsets >= 0) & (offsets < span)
        np.clip(offsets, 0, span - 1, out=offsets)
        found = bitmap[offsets]
        found &= inside
        if keys.null_count:
            found &= keys.is_valid().to_numpy(zero_copy_only=False)
        return pa.array(found)
