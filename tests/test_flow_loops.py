"""Loops in a flow: seeding, StopFlow, until=, no deadlock past the queue size, errors."""

import threading

import pytest

import headrace as hr

pytestmark = pytest.mark.timeout(60)


def fibonacci_flow(**options):
    a, b, out = hr.Stream("a"), hr.Stream("b"), hr.Stream("out")
    a.put(0)
    b.put(1)

    def fib(x, y):
        if x >= 1000:
            raise hr.StopFlow
        return y, x + y, x

    return hr.Flow([hr.Step(fib, inputs=[a, b], outputs=[a, b, out])], **options)


def test_fibonacci_emits_exactly_the_numbers_below_1000():
    expected = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987]
    assert fibonacci_flow().run() == {"out": expected}
    assert fibonacci_flow(queue_size=1).run() == {"out": expected}


def test_results_are_also_indexed_by_the_stream_object():
    a, b, out = hr.Stream(), hr.Stream(), hr.Stream()  # unnamed: the results name them
    a.put(1)
    b.put(2)
    results = hr.Flow([hr.Step(lambda x, y: x + y, inputs=[a, b], outputs=[out])]).run()
    assert results[out] == [3] and out in results and results.get(out) == [3]
    assert list(results.values()) == [[3]]
    assert a not in results


def test_loop_with_more_items_in_flight_than_queue_capacity():
    # A doubling loop: each item goes round once more as two items, until depth 12, so
    # about 8000 items are in the loop at once, through a queue of 2.
    loop, extra, leaves = hr.Stream("loop"), hr.Stream("extra"), hr.Stream("leaves")
    loop.put(0)
    seen = [0]

    def grow(depth):
        if depth == 12:
            seen[0] += 1
            if seen[0] == 2 ** 12:
                raise hr.StopFlow
            return None, None, depth
        return depth + 1, depth + 1, None

    flow = hr.Flow([
        hr.Step(grow, inputs=[loop], outputs=[loop, extra, leaves]),
        hr.Step(lambda d: d, name="relay", inputs=[extra], outputs=[loop]),
    ], queue_size=2)
    out = flow.run()
    assert out["leaves"] == [12] * (2 ** 12 - 1)  # the call that raised StopFlow sends nothing
    assert flow.stats["grow"].items_in == 2 ** 13 - 1


def test_loop_fed_by_a_source_ends_with_until():
    # Collatz: each number goes round until it reaches 1.
    start, todo, steps = hr.Stream("start"), hr.Stream("todo"), hr.Stream("reached")

    def collatz(n):
        if n == 1:
            return None, n
        return (n // 2 if n % 2 == 0 else 3 * n + 1), None

    arrived = []

    def until(stream, item):
        arrived.append(item)
        return len(arrived) == 50

    flow = hr.Flow([
        hr.Source(range(1, 51), outputs=[todo]),
        hr.Step(lambda n: n, name="enter", inputs=[todo], outputs=[start]),
        hr.Step(collatz, inputs=[start], outputs=[start, steps]),
    ], until=until)
    assert flow.run() == {"reached": [1] * 50}


def test_stop_from_a_forward_step_stops_an_endless_source():
    def endless():
        n = 0
        while True:
            yield n
            n += 1

    def upto(n):
        if n == 100:
            raise hr.StopFlow
        return n

    out = hr.Pipeline([hr.Source(endless), upto, lambda n: n]).run()
    assert out[:100] == list(range(100))
    assert 100 not in out


def test_finish_runs_after_a_stop():
    class Count(hr.Executor):
        def open(self, ctx):
            self.n = 0

        def execute(self, batch, ctx):
            self.n += 1

        def finish(self, ctx):
            return self.n

    a, b, ticks, total = hr.Stream("a"), hr.Stream("b"), hr.Stream("ticks"), hr.Stream("total")
    a.put(0)
    b.put(1)

    def fib(x, y):
        if x >= 1000:
            raise hr.StopFlow
        return y, x + y, x

    flow = hr.Flow([hr.Step(fib, inputs=[a, b], outputs=[a, b, ticks]),
                    hr.Step(Count(), inputs=[ticks], outputs=[total])])
    assert flow.run() == {"total": [17]}


def test_an_error_inside_a_loop_cancels_the_run_and_closes_every_step():
    closed = []

    class Boom(hr.Executor):
        def execute(self, n, ctx):
            if n == 30:
                raise ValueError("thirty")
            return n + 1, None

        def close(self, ctx):
            closed.append(ctx.step)

    s, never = hr.Stream("s"), hr.Stream("never")
    s.put(0)
    flow = hr.Flow([hr.Step(Boom(), name="count", inputs=[s], outputs=[s, never])])
    with pytest.raises(hr.PipelineError, match="step 'count' failed") as info:
        flow.run()
    assert isinstance(info.value.__cause__, ValueError)
    assert closed == ["count"]


def test_leaving_iter_early_cancels_a_running_loop():
    s, out = hr.Stream("s"), hr.Stream("out")
    s.put(0)
    flow = hr.Flow([hr.Step(lambda n: (n + 1, n), name="count", inputs=[s], outputs=[s, out])])
    items = flow.iter()
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert threading.active_count() < 20
