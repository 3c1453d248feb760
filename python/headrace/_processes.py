"""Running a step's instances in worker processes (``hr.Step(fn, processes=True)``).

Each instance of the step owns one child process. The native driver calls this adapter
like any executor; the adapter ships the item to its child and waits for the outputs
(pipe reads release the GIL, so the other instances' children work at the same time).
"""

from __future__ import annotations

import multiprocessing
import pickle
from typing import Any

import cloudpickle

from ._executor import Context
from ._process_worker import as_result


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process (as its ``__cause__``)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f"\n\"\"\"\n{self.tb}\"\"\""


def _rebuild_error(payload: tuple[Any, ...]) -> BaseException:
    kind, data, tb = payload
    if kind == "pickled":
        try:
            exc = pickle.loads(data)
        except Exception:  # the exception type does not unpickle here
            exc = RuntimeError(tb.strip().splitlines()[-1])
    else:  # the exception itself would not pickle: keep its type name and message
        exc = RuntimeError(data)
    exc.__cause__ = RemoteTraceback(tb)
    return exc


class ProcessExecutor:
    """Stands in for one instance of a step and runs the real one in a child process."""

    _START_METHOD = "spawn"  # safe with the runtime's threads, and the same on every OS
    _CLOSE_TIMEOUT = 10.0

    def __init__(self, fn: Any, step: str) -> None:
        self.fn = fn
        self.step = step
        self.process: Any = None
        self.conn: Any = None

    def _request(self, message: tuple[Any, ...]) -> Any:
        try:
            self.conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TypeError(f"step '{self.step}': cannot send the item to its worker process: {exc}") from exc
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(1.0)
            raise RuntimeError(
                f"step '{self.step}': its worker process died (exit code {self.process.exitcode})"
            ) from exc
        if status == "error":
            raise _rebuild_error(payload)
        return payload

    def open(self, ctx: Context) -> None:
        try:
            shipped = cloudpickle.dumps(self.fn)
        except Exception as exc:
            raise TypeError(
                f"step '{self.step}': processes=True needs a picklable executor, but "
                f"{type(self.fn).__name__} cannot be pickled: {exc}"
            ) from exc
        mp = multiprocessing.get_context(self._START_METHOD)
        self.conn, child = mp.Pipe()
        from . import _process_worker

        self.process = mp.Process(target=_process_worker.main, args=(child,), daemon=True,
                                  name=f"headrace:{self.step}[{ctx.worker}]")
        self.process.start()
        child.close()
        self._request(("open", shipped, ctx))

    def execute(self, item: Any, ctx: Context) -> Any:
        return as_result(self._request(("execute", item)))

    def finish(self, ctx: Context) -> Any:
        return as_result(self._request(("finish",)))

    def close(self, ctx: Context) -> None:
        if self.process is None:
            return
        try:
            if self.process.is_alive():
                self._request(("close",))
        finally:
            self.conn.close()
            self.process.join(self._CLOSE_TIMEOUT)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join()
            self.process = None
