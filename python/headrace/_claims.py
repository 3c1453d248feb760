"""Partitions handed out one at a time to whichever worker asks next.

A finalizing stage's workers (a join table's, an aggregation's) each claim the next
partition left rather than a fixed share: a worker the scheduler holds back (at 2 threads
on a busy machine, for a few milliseconds) leaves its partitions to the others instead of
making the whole stage wait for it.

Examples:
    >>> claims = PartitionClaims(3)
    >>> [claims.claim(), claims.claim(), claims.claim(), claims.claim()]
    [0, 1, 2, None]
    >>> [claims.finished(), claims.finished(), claims.finished()]
    [False, False, True]
"""

from __future__ import annotations

import threading

__all__ = ["PartitionClaims"]


class PartitionClaims:
    def __init__(self, partitions: int) -> None:
        self._next = 0  # the next partition to claim
        self._left = partitions  # partitions claimed or not, not finished yet
        self._partitions = partitions
        self._lock = threading.Lock()

    def claim(self) -> int | None:
        """A partition nobody has claimed, or None when all are."""
        with self._lock:
            if self._next >= self._partitions:
                return None
            self._next += 1
            return self._next - 1

    def finished(self) -> bool:
        """Counts a claimed partition done; True for the last one."""
        with self._lock:
            self._left -= 1
            return self._left == 0
