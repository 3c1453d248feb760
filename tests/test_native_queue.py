"""The native BatchQueue under stress (the same scenarios run under TSan/ASan natively)."""

import pytest

from headrace import _core

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    "producers,consumers,per_producer,capacity,batch,min_items",
    [(1, 1, 100_000, 1, 1, 1), (4, 4, 30_000, 3, 7, 1), (8, 2, 10_000, 16, 64, 1),
     (2, 8, 30_000, 1024, 1, 1), (4, 1, 30_000, 64, 64, 32), (3, 1, 10_001, 7, 100, 100)],
)
def test_no_item_lost_or_duplicated(producers, consumers, per_producer, capacity, batch, min_items):
    # min_items > 1: the one consumer sleeps until that many items wait (a lost wake-up hangs)
    r = _core.queue_stress(producers, consumers, per_producer, capacity, batch, min_items)
    assert r["pushed"] == r["popped"] == producers * per_producer
    assert r["missing"] == 0 and r["duplicated"] == 0
    assert 1 <= r["high_water"] <= capacity


def test_close_and_cancel_wake_every_blocked_thread():
    assert _core.wake_blocked_waiters(8) == 16
