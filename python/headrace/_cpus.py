"""Scan tasks on CPUs of their own (Linux).

When a thread wakes another (a GIL hand-over, a queue item), the kernel often places the
woken thread on the waker's CPU, and the two then share it until the scheduler balances
them at its next tick, while another CPU idles: at 2 threads on a 2-vCPU VM, the workers of
a scan ran each row group up to twice as slow as alone. So a worker running a scan task
(the read and every operator fused after it) claims a CPU no other worker holds and pins
itself to it for the task, then restores its affinity; when every CPU is claimed it runs
unpinned. TPC-H at 2 threads, pinned against not, alternating in one process: Q3, Q5, Q14
-5 to -9%, Q10 and Q12 -1 to -3% (bench/RESULTS.md).

It is on (``hr.config(pin_scans=None)``, the default) when a run's workers are at least as
many as the CPUs the process may use: the run then owns the machine, and nothing else
needs a CPU that a pinned worker holds. ``True`` pins whenever there is a CPU to claim,
``False`` never.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["CpuClaims", "pinned", "pinning_pays"]

T = TypeVar("T")
_CAN_PIN = hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")


class CpuClaims:
    """CPUs held by at most one worker at a time.

    Examples:
        >>> claims = CpuClaims()
        >>> claims.claim({0, 1}), claims.claim({0, 1}), claims.claim({0, 1})
        (0, 1, None)
        >>> claims.release(0)
        >>> claims.claim({0, 1})
        0
    """

    def __init__(self) -> None:
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def claim(self, allowed: set[int]) -> int | None:
        """The lowest CPU of ``allowed`` nobody holds, now held; None if all are."""
        with self._lock:
            free = [cpu for cpu in allowed if cpu not in self._held]
            if not free:
                return None
            cpu = min(free)
            self._held.add(cpu)
            return cpu

    def release(self, cpu: int) -> None:
        with self._lock:
            self._held.discard(cpu)

    def clear(self) -> None:
        """Every CPU free: in a forked child, whose only thread holds none."""
        self._lock = threading.Lock()
        self._held = set()


_claims = CpuClaims()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_claims.clear)


def pinning_pays(setting: bool | None, workers: int) -> bool:
    """Whether scan tasks pin their workers: ``setting`` (``hr.config(pin_scans=...)``), or
    when it is None, whether ``workers`` are at least as many as the process's CPUs (> 1)."""
    if not _CAN_PIN or setting is False:
        return False
    if setting:
        return True
    cpus = len(os.sched_getaffinity(0))
    return 1 < cpus <= workers


def pinned(read: Callable[[Any], Iterator[T]]) -> Callable[[Any], Iterator[T]]:
    """``read`` (a task -> batches function) run on a claimed CPU: the worker is pinned from
    its first batch to the task's end (the operators fused after the read run on each batch
    in between), then gets its own affinity back."""

    def run(task: Any) -> Iterator[T]:
        # This thread, by id: a generator may be closed from another thread.
        thread = threading.get_native_id()
        allowed = os.sched_getaffinity(thread)
        cpu = _claims.claim(allowed) if len(allowed) > 1 else None
        if cpu is not None:
            try:
                os.sched_setaffinity(thread, {cpu})
            except OSError:  # not allowed here (a container's policy): run unpinned
                _claims.release(cpu)
                cpu = None
        try:
            yield from read(task)
        finally:
            if cpu is not None:
                os.sched_setaffinity(thread, allowed)
                _claims.release(cpu)

    return run
