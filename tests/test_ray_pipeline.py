"""Pipeline steps whose instances run as Ray actors: outputs (ordered) as locally, finish
and close run in the actors, errors come back as locally, an executor that cannot be
pickled fails before anything runs, a lost actor fails the run promptly."""

from __future__ import annotations

import os
import sys
import threading
import time

import cloudpickle
import pytest
from conftest import configured

import headrace as hr

pytest.importorskip("ray")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import the tests folder
pytestmark = [pytest.mark.usefixtures("ray_cluster"), pytest.mark.timeout(120)]


class Counter(hr.Executor):
    """Doubles items; finish reports how many this instance saw; close leaves a file."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def open(self, ctx):
        self.seen = 0

    def execute(self, x, ctx):
        self.seen += 1
        time.sleep(0.001 * (x % 3))  # uneven work, so outputs complete out of order
        return x * 2

    def finish(self, ctx):
        return ("seen", ctx.worker, self.seen)

    def close(self, ctx):
        open(os.path.join(self.folder, f"closed{ctx.worker}"), "w").close()


def test_ordered_outputs_finish_and_close_as_locally(tmp_path) -> None:
    pipe = hr.Pipeline([hr.Step(lambda x: x + 1, workers=2), hr.Step(Counter(str(tmp_path)), workers=2)])
    got = pipe.run(range(40), backend="ray")
    values = [x for x in got if not isinstance(x, tuple)]
    finished = sorted(x for x in got if isinstance(x, tuple))
    assert values == [2 * (x + 1) for x in range(40)]
    assert [w for _, w, _ in finished] == [0, 1] and sum(n for _, _, n in finished) == 40
    assert sorted(os.listdir(tmp_path)) == ["closed0", "closed1"]


def test_backend_from_config_and_iter() -> None:
    with configured(backend="ray"):
        assert list(hr.Pipeline([hr.Step(lambda x: -x, workers=2)]).iter(range(5))) == [0, -1, -2, -3, -4]


def fails_on_five(x: int) -> int:
    if x == 5:
        raise ValueError("five")
    return x


def test_an_error_in_an_actor_is_reported_as_locally() -> None:
    with pytest.raises(hr.PipelineError, match="step 'fails_on_five' failed on item 5: ValueError: five") as info:
        hr.Pipeline([hr.Step(fails_on_five, workers=2)]).run(range(10), backend="ray")
    assert info.value.item == 5
    assert isinstance(info.value.__cause__, ValueError)
    assert any("Remote traceback" in note for note in info.value.__cause__.__notes__)


def test_an_unpicklable_step_fails_before_anything_runs(tmp_path) -> None:
    lock = threading.Lock()
    marker = str(tmp_path / "ran")

    def touch(x):
        open(marker, "w").close()
        return x

    pipe = hr.Pipeline([touch, hr.Step(lambda x: (lock, x)[1], name="locked")])
    with pytest.raises(hr.PipelineError, match="step 'locked' cannot be shipped to the Ray cluster"):
        pipe.run(range(3), backend="ray")
    assert not os.path.exists(marker)


def exits(x: int) -> int:
    os._exit(1)


def test_a_lost_actor_fails_the_run_promptly() -> None:
    started = time.monotonic()
    with pytest.raises(hr.PipelineError, match="its Ray actor was lost"):
        hr.Pipeline([hr.Step(exits, workers=2)]).run(range(4), backend="ray")
    assert time.monotonic() - started < 60
