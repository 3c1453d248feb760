"""The driver's side of the Ray backend: joining a cluster, the pool of fragment actors,
submitting fragments, and turning Ray's failures into headrace's.

Ray is imported here only, on the first run with ``backend="ray"``.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from . import _config, _logical
from ._errors import PipelineError
from ._ray_fragment import Exchange, step_name, with_inputs
from ._ray_pickle import dumps
from ._ray_worker import FragmentWorker, RemoteFailure

# Seconds the fragment actors may take to start.
START_TIMEOUT = 120.0
# Attempts Ray may make to deliver a file-reading fragment again after its actor was lost.
# Each actor restarts once (max_restarts=1), so the fragment itself runs at most twice; the
# extra attempts cover calls refused while the actor is still restarting.
FILE_RETRIES = 3


def ray_module() -> Any:
    """Ray, connected: joins ``hr.config(address=...)`` (or RAY_ADDRESS), else starts a
    local cluster; an already initialized Ray is used as it is."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError("backend='ray' needs Ray: pip install 'headrace[ray]'") from exc
    if not ray.is_initialized():
        ray.init(address=_config.get("address"), include_dashboard=False, logging_level=logging.WARNING)
    return ray


class Pool:
    """One actor per CPU of the cluster, each hosting headrace's engine with one thread;
    fragments go to them in turn. An actor lost while running a fragment that reads only
    files is restarted and the fragment re-run once from its files."""

    def __init__(self, ray: Any) -> None:
        self.ray = ray
        self.job = ray.get_runtime_context().get_job_id()
        size = max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1, max_restarts=1)(FragmentWorker)
        self.actors = [actor.remote(1) for _ in range(size)]
        ray.get([a.ready.remote() for a in self.actors], timeout=START_TIMEOUT)
        self.turn = 0

    @property
    def size(self) -> int:
        return len(self.actors)

    def submit(self, node: _logical.Node, inputs: dict[int, list[Any]], exchange: Exchange, retry: bool) -> list[Any]:
        settings = {name: _config.get(name) for name in ("batch_size", "queue_size")}
        slots = [(key, len(refs)) for key, refs in inputs.items()]
        args = [ref for refs in inputs.values() for ref in refs]
        actor = self.actors[self.turn % self.size]
        self.turn += 1
        call = actor.run.options(num_returns=exchange.partitions, max_task_retries=FILE_RETRIES if retry else 0)
        out = call.remote(dumps(node), settings, slots, exchange, *args)
        return [out] if exchange.partitions == 1 else list(out)

    def put(self, table: pa.Table) -> Any:
        return self.ray.put(table)

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)


_pool: Pool | None = None


def pool() -> Pool:
    """The fragment actors of the connected cluster, started on first use."""
    global _pool
    ray = ray_module()
    if _pool is None or _pool.job != ray.get_runtime_context().get_job_id():
        _pool = Pool(ray)
    return _pool


def discard_pool() -> None:
    """Kills the actors (after one died: the next run starts a fresh pool)."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def check_shippable(root: _logical.Node) -> None:
    """Fails before anything runs if some operator (its function, executor, expression or
    file scan) cannot be pickled for the actors, naming it."""
    for node in _logical.walk(root):
        if isinstance(node, _logical.ArrowSource):
            continue  # in-memory data is read on the driver
        try:
            dumps(with_inputs(node, ()))
        except Exception as exc:
            name = step_name(node)
            raise PipelineError(f"step '{name}' cannot be shipped to the Ray cluster: cloudpickle failed with "
                                f"{type(exc).__name__}: {exc}", step=name, phase="ship") from exc


def translate(exc: BaseException) -> BaseException:
    """A Ray error as the ``hr.PipelineError`` the caller gets (chained to the original)."""
    import ray.exceptions as rex

    cause: BaseException | None = exc
    while isinstance(cause, rex.RayTaskError):
        inner = getattr(cause, "cause", None)
        if inner is None or inner is cause:
            break
        cause = inner
    if isinstance(cause, RemoteFailure):
        error = PipelineError(f"{cause.message} (in a Ray actor)", step=cause.step, item=cause.item,
                              phase=cause.phase)
        error.remote_traceback = cause.remote_traceback  # type: ignore[attr-defined]
        original = cause.cause
        if original is not None:
            if hasattr(original, "add_note"):
                original.add_note(f"Remote traceback (Ray actor):\n{cause.remote_traceback}")
            error.__cause__ = original
        return error
    if isinstance(cause, (rex.RayActorError, rex.WorkerCrashedError, rex.ObjectLostError)):
        discard_pool()
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        error = PipelineError(f"a Ray actor running the plan was lost ({type(cause).__name__}: {first}); the run "
                              "was stopped", phase="execute")
        error.__cause__ = cause
        return error
    hint = ""
    if isinstance(cause, ModuleNotFoundError):
        hint = ("; the modules of your functions and executors must be importable in the actors (installed "
                "on the cluster, or registered with cloudpickle.register_pickle_by_value)")
    error = PipelineError(f"a plan fragment failed in a Ray actor: {type(cause).__name__}: {cause}{hint}",
                          phase="execute")
    error.__cause__ = cause
    return error
