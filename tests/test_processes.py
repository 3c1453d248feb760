"""Steps whose instances run in worker processes."""

import threading

import pytest

import headrace as hr

pytestmark = pytest.mark.timeout(120)


def square(x):
    return x * x


class Accumulate(hr.Executor):
    def open(self, ctx):
        self.total = 0

    def execute(self, batch, ctx):
        self.total += batch
        if batch % 2:
            return None
        return (batch for _ in range(2))

    def finish(self, ctx):
        return ("total", ctx.worker, self.total)


class CustomError(Exception):
    pass


def explode(x):
    if x == 3:
        raise CustomError(f"bad {x}")
    return x


def test_process_step_runs_functions_lambdas_and_executors():
    assert hr.Pipeline([hr.Step(square, processes=True, workers=2)]).run(range(10)) == [x * x for x in range(10)]
    assert hr.Pipeline([hr.Step(lambda x: x + 1, processes=True)]).run([1, 2]) == [2, 3]
    out = hr.Pipeline([hr.Step(Accumulate(), processes=True, workers=2)]).run(range(6))
    assert out[:6] == [0, 0, 2, 2, 4, 4]
    assert sorted(o[2] for o in out[6:]) and sum(o[2] for o in out[6:]) == 15


def test_remote_error_keeps_type_and_remote_traceback():
    with pytest.raises(hr.PipelineError) as info:
        hr.Pipeline([hr.Step(explode, name="explode", processes=True)]).run(range(10))
    err = info.value
    assert err.step == "explode" and err.item == 3
    assert type(err.__cause__) is CustomError
    assert "bad 3" in str(err.__cause__)
    assert "in explode" in str(err.__cause__.__cause__)  # the remote traceback text


def test_unpicklable_executor_is_a_clear_error():
    class Holder(hr.Executor):
        def __init__(self):
            self.lock = threading.Lock()

        def execute(self, batch, ctx):
            return batch

    with pytest.raises(hr.PipelineError, match="cannot be pickled|cannot be copied") as info:
        hr.Pipeline([hr.Step(Holder(), name="holder", processes=True)]).run([1])
    assert info.value.step == "holder"


def test_unpicklable_item_is_a_clear_error():
    with pytest.raises(hr.PipelineError, match="item 1") as info:
        hr.Pipeline([hr.Step(lambda x: x, processes=True)]).run([1, threading.Lock()])
    assert "cannot send the item" in str(info.value.__cause__)


def test_process_that_dies_fails_the_run():
    import os

    def die(x):
        os._exit(3)

    with pytest.raises(hr.PipelineError) as info:
        hr.Pipeline([hr.Step(die, processes=True)]).run([1])
    assert "died (exit code 3)" in str(info.value.__cause__)
