"""The native BatchQueue under stress (the same scenarios run under TSan/ASan natively)."""

import pytest

from headrace import _core

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    "producers,consumers,per_producer,capacity,batch",
    [(1, 1, 100_000, 1, 1), (4, 4, 30_000, 3, 7), (8, 2, 10_000, 16, 64), (2, 8, 30_000, 1024, 1)],
)
def test_no_item_lost_or_duplicated(producers, consumers, per_producer, capacity, batch):
    r = _core.queue_stress(producers, consumers, per_producer, capacity, batch)
    assert r["pushed"] == r["popped"] == producers * per_producer
    assert r["missing"] == 0 and r["duplicated"] == 0
    assert 1 <= r["high_water"] <= capacity


def test_close_and_cancel_wake_every_blocked_thread():
    assert _core.wake_blocked_waiters(8) == 16
