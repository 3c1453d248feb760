"""Errors raised by headrace runs."""

from __future__ import annotations


class PipelineError(RuntimeError):
    """A run failed. ``__cause__`` is the original exception, with its traceback.

    Attributes:
        step: the name of the step that failed.
        item: the index of the item the step was working on (in the step's input), or None
            when the failure was not tied to one item (``open``, ``finish``, ``close``).
        phase: where it failed: ``"open"``, ``"execute"``, ``"finish"``, ``"close"`` or
            ``"source"``.
    """

    def __init__(self, message: str, step: str | None = None, item: int | None = None,
                 phase: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.item = item
        self.phase = phase

    @classmethod
    def from_failure(cls, step: str, item: int, phase: str, cause: BaseException) -> PipelineError:
        where = f"step '{step}'"
        if item >= 0:
            what = "reading item" if phase == "source" else "on item"
            where += f" failed {what} {item}"
        else:
            where += f" failed in {phase}()"
        return cls(f"{where}: {type(cause).__name__}: {cause}", step=step,
                   item=item if item >= 0 else None, phase=phase)
