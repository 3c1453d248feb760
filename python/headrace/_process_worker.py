"""The loop of a worker process started by ``hr.Step(..., processes=True)``."""

from __future__ import annotations

import inspect
import pickle
import signal
import traceback
from typing import Any


def _outputs(result: Any) -> list[Any]:
    if result is None:
        return []
    if inspect.isgenerator(result):
        return [r for r in result if r is not None]
    return [result]


def as_result(outputs: list[Any]) -> Any:
    """The other side of :func:`_outputs`: what an executor returns for the outputs it sent
    back (None, one item, or a generator of several)."""
    if not outputs:
        return None
    if len(outputs) == 1:
        return outputs[0]
    return (o for o in outputs)


def _error(exc: BaseException) -> tuple[str, tuple[str, Any, str]]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        return "error", ("pickled", pickle.dumps(exc), tb)
    except Exception:
        return "error", ("text", f"{type(exc).__name__}: {exc}", tb)


def main(conn: Any) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when its children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ._executor import Executor, overrides

    fn: Any = None
    ctx: Any = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        op = message[0]
        try:
            if op == "open":
                fn, ctx = pickle.loads(message[1]), message[2]
                if isinstance(fn, Executor) and overrides(fn, "open"):
                    fn.open(ctx)
                reply: Any = None
            elif op == "execute":
                item = message[1]
                reply = _outputs(fn.execute(item, ctx) if isinstance(fn, Executor) else fn(item))
            elif op == "finish":
                reply = _outputs(fn.finish(ctx)) if isinstance(fn, Executor) else []
            else:  # close
                if isinstance(fn, Executor):
                    fn.close(ctx)
                conn.send(("ok", None))
                return
            conn.send(("ok", reply))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                conn.send(_error(exc))
            except Exception:
                return
