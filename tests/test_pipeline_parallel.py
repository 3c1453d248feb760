"""Several workers, ordering, Parallel branches and back-pressure."""

import random
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr


def skewed(x):
    # Early items take longest, so later ones finish first on other workers.
    time.sleep(0.002 * (x % 5 == 0) + 0.0002 * random.random())
    return x * 10


def test_ordered_outputs_under_skewed_item_times():
    out = hr.Pipeline([hr.Step(skewed, workers=4)], queue_size=8).run(range(200))
    assert out == [x * 10 for x in range(200)]


def test_ordered_with_generators_and_drops_across_workers():
    def expand(x):
        time.sleep(0.001 * random.random())
        if x % 3 == 0:
            return None
        return (x for _ in range(x % 4))

    out = hr.Pipeline([hr.Step(expand, workers=3)], queue_size=2).run(range(100))
    assert out == [x for x in range(100) if x % 3 for _ in range(x % 4)]


class SlowFirstItem:
    """Makes item 0 slow (0.5 s of simulated work) and records how many other items had
    been counted by the time it finished: how far the rest of the run got ahead of it."""

    def __init__(self):
        self.counted = 0
        self.ahead = None
        self.lock = threading.Lock()

    def slow(self, x):
        if x == 0:
            time.sleep(0.5)
            with self.lock:
                self.ahead = self.counted
        return x

    def count(self, x):
        with self.lock:
            self.counted += 1
        return x


# The bound is structural (a window of a few times queue_size), not a timing: without it the
# other workers run through most of the 2,000 cheap items during item 0's half second.

def test_ordered_reordering_is_bounded_while_one_item_is_slow():
    probe = SlowFirstItem()
    out = hr.Pipeline([hr.Step(lambda x: probe.count(probe.slow(x)), workers=2)], queue_size=4).run(range(2000))
    assert out == list(range(2000))
    assert probe.ahead < 100


def test_parallel_join_is_bounded_while_one_branch_item_is_slow():
    probe = SlowFirstItem()
    par = hr.Parallel([hr.Step(probe.slow, workers=2), probe.count], queue_size=4)
    out = hr.Pipeline([par], queue_size=4).run(range(2000))
    assert out == [(x, x) for x in range(2000)]
    assert probe.ahead < 100


def test_unordered_emits_every_output_once():
    out = hr.Pipeline([hr.Step(skewed, workers=4)], ordered=False).run(range(200))
    assert sorted(out) == [x * 10 for x in range(200)]


def test_finish_outputs_of_several_workers_come_last_in_worker_order():
    class Count(hr.Executor):
        def open(self, ctx):
            self.n = 0

        def execute(self, batch, ctx):
            self.n += 1
            return batch

        def finish(self, ctx):
            return ("count", ctx.worker, self.n)

    out = hr.Pipeline([hr.Step(Count(), workers=3)]).run(range(30))
    assert out[:30] == list(range(30))
    assert [o[1] for o in out[30:]] == [0, 1, 2]
    assert sum(o[2] for o in out[30:]) == 30


@settings(max_examples=40, deadline=None)
@given(items=st.lists(st.integers(), max_size=60),
       workers=st.integers(1, 4), queue_size=st.integers(1, 5), ordered=st.booleans())
def test_results_do_not_depend_on_workers_or_queue_sizes(items, workers, queue_size, ordered):
    pipe = hr.Pipeline([hr.Step(lambda x: x + 1, workers=workers), hr.Step(lambda x: 2 * x, workers=workers)],
                       queue_size=queue_size, ordered=ordered)
    out = pipe.run(items)
    expected = [2 * (x + 1) for x in items]
    assert out == expected if ordered else sorted(out) == sorted(expected)


@settings(max_examples=25, deadline=None)
@given(items=st.lists(st.integers(0, 100), max_size=40), batch_size=st.integers(1, 7),
       keep=st.booleans())
def test_transform_matches_plain_batching(items, batch_size, keep):
    pipe = hr.Pipeline([lambda b: [v * 3 for v in b]])
    n = len(items) if keep else len(items) - len(items) % batch_size
    assert pipe.transform(items, batch_size=batch_size, keep_incomplete_batch=keep) == [v * 3 for v in items[:n]]


# ---- Parallel ----------------------------------------------------------------------------

def test_parallel_tuple_per_item_in_branch_order():
    out = hr.Pipeline([hr.Parallel([lambda x: x + 1, [lambda x: x * 10, str]])]).run(range(5))
    assert out == [(x + 1, str(x * 10)) for x in range(5)]


def test_parallel_join_concatenates_features():
    par = hr.Parallel([lambda a: a * 2, lambda a: a + 1], join=np.concatenate)
    out = hr.Pipeline([par]).run([np.arange(3), np.arange(2)])
    np.testing.assert_array_equal(out[0], [0, 2, 4, 1, 2, 3])
    np.testing.assert_array_equal(out[1], [0, 2, 1, 2])


def test_parallel_slots_for_no_and_several_outputs():
    def none_for_odd(x):
        return None if x % 2 else x

    def twice(x):
        yield x
        yield x

    out = hr.Pipeline([hr.Parallel([none_for_odd, twice])]).run([0, 1])
    assert out == [(0, [0, 0]), (None, [1, 1])]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("queue_size", [1, 2])
def test_parallel_with_tiny_queues_and_skewed_branches_does_not_deadlock(queue_size):
    def slow(x):
        time.sleep(0.0005)
        return x

    par = hr.Parallel([slow, hr.Step(lambda x: -x, workers=3), [str, len]], queue_size=queue_size)
    pipe = hr.Pipeline([hr.Step(lambda x: x, workers=2), par, hr.Step(lambda t: t, workers=2)],
                       queue_size=queue_size)
    out = pipe.run(range(300))
    assert out == [(x, -x, len(str(x))) for x in range(300)]


@pytest.mark.timeout(30)
def test_parallel_unordered_pipeline_still_pairs_outputs_per_item():
    par = hr.Parallel([hr.Step(skewed, workers=3), lambda x: x])
    out = hr.Pipeline([par], ordered=False).run(range(100))
    assert sorted(out) == [(x * 10, x) for x in range(100)]


@pytest.mark.timeout(60)
def test_parallel_after_unordered_workers_with_one_slot_queues_ends():
    # The step's 3 workers number the items they broadcast to the branches. When they did not
    # take turns, one could hold number k while the others pushed k+1, k+2, ...: the
    # branches' workers, past the join's window, waited for k, and their full queues kept k out.
    par = hr.Parallel([hr.Step(lambda x: x + 1, workers=2), hr.Step(lambda x: -x, workers=2)])
    pipe = hr.Pipeline([hr.Step(lambda x: x, workers=3), par], queue_size=1, ordered=False)
    out = pipe.run(range(5000))
    assert sorted(out) == sorted((x + 1, -x) for x in range(5000))


def test_parallel_finish_outputs_are_rejected():
    class Late(hr.Executor):
        def execute(self, batch, ctx):
            return batch

        def finish(self, ctx):
            return "late"

    with pytest.raises(hr.PipelineError, match="inside hr.Parallel") as info:
        hr.Pipeline([hr.Parallel([Late(), str])]).run([1])
    assert isinstance(info.value.__cause__, ValueError)


def test_parallel_invalid_arguments():
    with pytest.raises(ValueError, match="non-empty"):
        hr.Parallel([])
    with pytest.raises(TypeError, match="nested"):
        hr.Parallel([hr.Parallel([str])])
    with pytest.raises(TypeError, match="join must be callable"):
        hr.Parallel([str], join=3)


# ---- threads really run in parallel when the GIL is released -----------------------------

@pytest.mark.timeout(60)
def test_gil_releasing_steps_overlap():
    # Not a timing assertion: two sorts are in flight at the same moment.
    import threading

    active = []
    lock = threading.Lock()
    peak = [0]

    def work(a):
        with lock:
            active.append(1)
            peak[0] = max(peak[0], len(active))
        out = np.sort(a)
        with lock:
            active.pop()
        return out

    data = [np.random.default_rng(i).random(300_000) for i in range(8)]
    hr.Pipeline([hr.Step(work, workers=2)]).run(data)
    assert peak[0] == 2
