"""headrace: high-throughput batch dataflow with a native C++ execution core.

Example:
    >>> import headrace as hr
    >>> hr.Pipeline([lambda x: x * 2, lambda x: x + 1]).run(range(3))
    [1, 3, 5]
"""

from typing import TYPE_CHECKING, Any

from ._errors import PipelineError
from ._executor import Context, Executor
from ._pipeline import Pipeline
from ._stats import RunStats, StepStats
from ._steps import Parallel, Source, Step

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._expr import ColumnNotFoundError, Expr, col, lit
    from ._expr_functions import when

# The expression layer imports pyarrow; load it on first use so that `import headrace`
# stays fast for code that only builds pipelines.
_LAZY = {
    "ColumnNotFoundError": "._expr",
    "Expr": "._expr",
    "col": "._expr",
    "lit": "._expr",
    "when": "._expr_functions",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'headrace' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ColumnNotFoundError",
    "Context",
    "Executor",
    "Expr",
    "Parallel",
    "Pipeline",
    "PipelineError",
    "RunStats",
    "Source",
    "Step",
    "StepStats",
    "__version__",
    "col",
    "lit",
    "when",
]
