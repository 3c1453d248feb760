"""Errors raised by headrace runs."""

from __future__ import annotations


class PipelineError(RuntimeError):
    """A run failed. ``__cause__`` is the original exception, with its traceback.

    Attributes:
        step: the name of the step that failed.
        item: the index of the item the step was working on, counted in the step's input;
            or None when the failure was not tied to one item (``open``, ``finish``,
            ``close``). A step fused after another in a chain with several workers has no
            exact input count of its own: then ``item`` counts the input of ``item_step``,
            the chain's first step, and says which of its items led to the failure.
        item_step: the step whose input ``item`` counts (``step`` itself in most cases).
        phase: where it failed: ``"open"``, ``"execute"``, ``"finish"``, ``"close"`` or
            ``"source"``.
    """

    def __init__(self, message: str, step: str | None = None, item: int | None = None,
                 phase: str | None = None, item_step: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.item = item
        self.phase = phase
        self.item_step = item_step if item_step is not None else step

    @classmethod
    def from_failure(cls, step: str, item: int, phase: str, cause: BaseException,
                     item_step: str | None = None) -> PipelineError:
        where = f"step '{step}'"
        if item < 0:
            where += f" failed in {phase}()"
        elif phase == "source":
            where += f" failed reading item {item}"
        elif item_step is not None:
            where += f" failed on an output of item {item} of step '{item_step}'"
        else:
            where += f" failed on item {item}"
        return cls(f"{where}: {type(cause).__name__}: {cause}", step=step,
                   item=item if item >= 0 else None, phase=phase, item_step=item_step)


class StopFlow(Exception):
    """Raised by a step to end a flow normally (a loop's exit): sources stop reading, the
    loop-back streams close, every step finishes and the outputs delivered so far are the
    result. No error is raised to the caller.

    Examples:
        >>> import headrace as hr
        >>> def upto3(x):
        ...     if x > 3:
        ...         raise hr.StopFlow
        ...     return x
        >>> hr.Pipeline([upto3]).run(range(1_000_000_000))
        [0, 1, 2, 3]
    """
