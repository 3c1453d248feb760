"""Pipeline steps whose instances run as Ray actors (``pipe.run(data, backend="ray")``).

The pipeline itself runs as locally: native queues, ordering, the reorder buffer and the
error and cancellation rules are unchanged. Only each instance of a step is a stand-in that
forwards ``open``, every item, ``finish`` and ``close`` to its own Ray actor, where the
real executor (shipped with cloudpickle) runs. Waiting for an actor releases the GIL, so a
step's instances work in parallel on the cluster.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

from ._errors import PipelineError
from ._executor import Context, Executor, overrides
from ._process_worker import _outputs, as_result
from ._ray_pickle import dumps
from ._steps import Parallel, Step, _executor_calls


class StepActor:
    """The actor hosting one instance of a step's executor or function."""

    def open(self, shipped: bytes, ctx: Context) -> None:
        self.fn = pickle.loads(shipped)
        self.ctx = ctx
        if isinstance(self.fn, Executor) and overrides(self.fn, "open"):
            self.fn.open(ctx)

    def execute(self, item: Any) -> list[Any]:
        fn = self.fn
        return _outputs(fn.execute(item, self.ctx) if isinstance(fn, Executor) else fn(item))

    def finish(self) -> list[Any]:
        return _outputs(self.fn.finish(self.ctx)) if isinstance(self.fn, Executor) else []

    def close(self) -> None:
        fn = getattr(self, "fn", None)  # None if open failed before the executor arrived
        if isinstance(fn, Executor):
            fn.close(self.ctx)


class RayInstance:
    """Stands in for one instance of a step and runs the real one in a Ray actor."""

    def __init__(self, shipped: bytes, step: str) -> None:
        self.shipped = shipped
        self.step = step
        self.actor: Any = None

    def _call(self, method: str, *args: Any) -> Any:
        from ._ray_cluster import ray_module

        ray = ray_module()
        try:
            return ray.get(getattr(self.actor, method).remote(*args))
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else RuntimeError(str(exc))
            if hasattr(cause, "add_note"):
                cause.add_note(f"Remote traceback (Ray actor):\n{getattr(exc, 'traceback_str', None) or exc}")
            raise cause from None
        except ray.exceptions.RayError as exc:
            raise RuntimeError(f"step '{self.step}': its Ray actor was lost ({type(exc).__name__})") from exc

    def open(self, ctx: Context) -> None:
        from ._ray_cluster import ray_module

        ray = ray_module()
        # No CPU reserved: an instance only works while the pipeline feeds it an item.
        actor = ray.remote(num_cpus=0, max_restarts=0)(StepActor)
        self.actor = actor.options(scheduling_strategy="SPREAD").remote()
        self._call("open", self.shipped, ctx)

    def execute(self, item: Any, ctx: Context) -> Any:
        return as_result(self._call("execute", item))

    def finish(self, ctx: Context) -> Any:
        return as_result(self._call("finish"))

    def close(self, ctx: Context) -> None:
        if self.actor is None:
            return
        from ._ray_cluster import ray_module

        try:
            self._call("close")
        finally:
            ray_module().kill(self.actor)
            self.actor = None


class RayStep(Step):
    """A step whose every instance is a :class:`RayInstance`."""

    shipped: bytes

    def instance_calls(self, name: str, worker: int, workers: int) -> tuple[Any, ...]:
        return _executor_calls(name, RayInstance(self.shipped, name), Context(name, worker, workers))


def on_ray(step: Step | Parallel, name: str) -> Step | Parallel:
    """``step`` (or each step of a Parallel's branches) with its instances on Ray; raises
    ``hr.PipelineError`` naming the step if its function or executor cannot be pickled."""
    if isinstance(step, Parallel):
        out = copy.copy(step)
        out.branches = [[on_ray(s, s.name) for s in branch] for branch in step.branches]  # type: ignore[misc]
        return out
    try:
        shipped = dumps(step.fn)
    except Exception as exc:
        raise PipelineError(f"step '{name}' cannot be shipped to the Ray cluster: cloudpickle failed with "
                            f"{type(exc).__name__}: {exc}", step=name, phase="ship") from exc
    remote = copy.copy(step)
    remote.__class__ = RayStep
    remote.shipped = shipped  # type: ignore[attr-defined]
    return remote
