"""Per-step figures of a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StepStats:
    """What one step did in a run.

    ``busy_seconds`` is the time its workers spent inside the step (summed over workers),
    ``wait_seconds`` the time they spent blocked on the input or output queue, and
    ``queue_high_water`` the fullest its input queue ever was (of ``queue_size``).

    Consecutive steps with the same number of workers run fused in one chain of drivers
    (no queue between them): ``chain`` names the chain's first step, and the busy and wait
    times of a fused step are those of its whole chain. A step inside a chain has no queue
    of its own (``queue_size`` is None).
    """

    step: str
    workers: int
    items_in: int
    items_out: int
    batches_in: int
    busy_seconds: float
    wait_seconds: float
    queue_size: int | None
    queue_high_water: int | None
    chain: str


class RunStats(dict):  # type: ignore[type-arg]
    """Step name -> :class:`StepStats`, printed as a table."""

    @classmethod
    def from_native(cls, rows: list[dict[str, Any]], chains: dict[str, str]) -> RunStats:
        # The plan is built from the sink backwards; show the steps in flow order.
        by_step = {row["step"]: row for row in rows}
        stats = cls()
        for row in reversed(rows):
            head = by_step[chains.get(row["step"], row["step"])]
            row = {**row, "busy_seconds": head["busy_seconds"], "wait_seconds": head["wait_seconds"],
                   "chain": head["step"]}
            stats[row["step"]] = StepStats(**row)
        return stats

    def __str__(self) -> str:
        header = ("step", "chain", "workers", "in", "out", "busy s", "wait s", "queue hw")
        rows = [header]
        for s in self.values():
            hw = "-" if s.queue_size is None else f"{s.queue_high_water}/{s.queue_size}"
            rows.append((s.step, s.chain, str(s.workers), str(s.items_in), str(s.items_out),
                         f"{s.busy_seconds:.3f}", f"{s.wait_seconds:.3f}", hw))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
