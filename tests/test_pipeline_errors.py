"""Failures end the run promptly, name the step and item, and close every instance."""

import time

import pytest

import headrace as hr

pytestmark = pytest.mark.timeout(60)


class Tracked(hr.Executor):
    """Logs open/close per worker into a shared list; fails where told."""

    def __init__(self, log, fail_on=None, fail_in=None):
        self.log = log
        self.fail_on = fail_on
        self.fail_in = fail_in

    def open(self, ctx):
        if self.fail_in == "open" and ctx.worker == 1:
            raise KeyError("no such model")
        self.log.append(("open", ctx.step, ctx.worker))

    def execute(self, batch, ctx):
        if batch == self.fail_on:
            raise ValueError(f"bad item {batch}")
        return batch

    def finish(self, ctx):
        if self.fail_in == "finish":
            raise RuntimeError("cannot flush")

    def close(self, ctx):
        self.log.append(("close", ctx.step, ctx.worker))
        if self.fail_in == "close":
            raise OSError("cannot close")


def opened_and_closed(log):
    opened = sorted(e[1:] for e in log if e[0] == "open")
    closed = sorted(e[1:] for e in log if e[0] == "close")
    return opened, closed


def test_execute_error_names_step_and_item_and_chains_cause(calls):
    pipe = hr.Pipeline([hr.Step(Tracked(calls, fail_on=57), name="parse", workers=3), Tracked(calls)])
    with pytest.raises(hr.PipelineError) as info:
        pipe.run(range(10_000))
    err = info.value
    assert err.step == "parse" and err.item == 57 and err.phase == "execute"
    assert "step 'parse' failed on item 57" in str(err)
    assert isinstance(err.__cause__, ValueError) and "bad item 57" in str(err.__cause__)
    assert err.__cause__.__traceback__ is not None
    opened, closed = opened_and_closed(calls)
    assert opened == closed and len(closed) == 4  # every instance closed exactly once


def odd_only(x):
    return x if x % 2 else None


def fails_on_5(x):
    if x == 5:
        raise ValueError("five")
    return x


@pytest.mark.parametrize("fused", [True, False])
def test_item_counts_the_failing_steps_own_input_with_or_without_fusion(fused):
    second = hr.Step(fails_on_5, queue_size=None if fused else 4)
    with pytest.raises(hr.PipelineError) as info:
        hr.Pipeline([odd_only, second]).run(range(10))
    # inputs of fails_on_5 are 1, 3, 5, ...: 5 is its item 2, fused or not
    assert info.value.step == "fails_on_5" and info.value.item == 2
    assert info.value.item_step == "fails_on_5"


def test_item_of_a_later_step_in_a_parallel_chain_counts_the_chains_input():
    pipe = hr.Pipeline([hr.Step(odd_only, workers=2), hr.Step(fails_on_5, workers=2)])
    with pytest.raises(hr.PipelineError) as info:
        pipe.run(range(10))
    err = info.value
    assert err.step == "fails_on_5" and err.item == 5 and err.item_step == "odd_only"
    assert "failed on an output of item 5 of step 'odd_only'" in str(err)


def test_open_error_closes_the_instances_that_opened(calls):
    pipe = hr.Pipeline([hr.Step(Tracked(calls, fail_in="open"), name="model", workers=2), Tracked(calls)])
    with pytest.raises(hr.PipelineError, match="step 'model' failed in open") as info:
        pipe.run(range(100))
    assert info.value.phase == "open" and isinstance(info.value.__cause__, KeyError)
    opened, closed = opened_and_closed(calls)
    assert opened == closed  # worker 1 never opened, so it is not closed


def test_open_error_later_in_a_fused_chain_closes_the_earlier_steps(calls):
    pipe = hr.Pipeline([hr.Step(Tracked(calls), name="first", workers=2),
                        hr.Step(Tracked(calls, fail_in="open"), name="second", workers=2)])
    with pytest.raises(hr.PipelineError, match="step 'second' failed in open"):
        pipe.run(range(10))
    opened, closed = opened_and_closed(calls)
    assert opened == closed and ("first", 1) in closed


def test_finish_and_close_errors(calls):
    with pytest.raises(hr.PipelineError, match="failed in finish") as info:
        hr.Pipeline([Tracked(calls, fail_in="finish")]).run([1])
    assert isinstance(info.value.__cause__, RuntimeError)
    with pytest.raises(hr.PipelineError, match="failed in close") as info:
        hr.Pipeline([Tracked([], fail_in="close")]).run([1])
    assert isinstance(info.value.__cause__, OSError)


def test_source_iteration_error_names_the_item():
    def items():
        yield 1
        yield 2
        raise ConnectionError("feed lost")

    with pytest.raises(hr.PipelineError) as info:
        hr.Pipeline([hr.Source(items, name="feed"), str]).run()
    assert info.value.step == "feed" and info.value.item == 2
    assert "failed reading item 2" in str(info.value)
    assert isinstance(info.value.__cause__, ConnectionError)


def test_error_in_parallel_branch_names_the_branch_step():
    def bad(x):
        raise ZeroDivisionError("nope")

    with pytest.raises(hr.PipelineError) as info:
        hr.Pipeline([hr.Parallel([str, [str, hr.Step(bad, name="div")]], name="feat")]).run([1])
    assert info.value.step == "feat[1].div" and info.value.item == 0


def test_error_ends_an_endless_run_promptly(calls):
    def forever():
        while True:
            yield 1

    pipe = hr.Pipeline([hr.Source(forever), Tracked(calls, fail_on=None), hr.Step(lambda x: 1 / 0)])
    with pytest.raises(hr.PipelineError) as info:
        pipe.run()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    opened, closed = opened_and_closed(calls)
    assert opened == closed


def test_error_while_downstream_is_blocked_on_a_full_queue():
    def slow_then_fail(x):
        if x == 50:
            raise ValueError("late failure")
        return x

    def slow(x):
        time.sleep(0.001)
        return x

    with pytest.raises(hr.PipelineError, match="item 50"):
        hr.Pipeline([slow_then_fail, slow], queue_size=1).run(range(1000))


def test_consumer_error_in_iter_cancels_run(calls):
    it = hr.Pipeline([Tracked(calls)], queue_size=1).iter(range(10**9))
    with pytest.raises(RuntimeError):
        for x in it:
            if x == 3:
                raise RuntimeError("consumer gave up")
    it.close()
    opened, closed = opened_and_closed(calls)
    assert opened == closed


def test_ctrl_c_cancels_the_run_and_raises_keyboard_interrupt(calls, ctrl_c):
    def slow(x):
        time.sleep(0.01)
        return x

    ctrl_c(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        hr.Pipeline([hr.Step(slow, workers=2), Tracked(calls)]).run(range(10**6))
    assert time.monotonic() - started < 10
    opened, closed = opened_and_closed(calls)
    assert opened == closed and closed
