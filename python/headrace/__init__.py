"""headrace: high-throughput batch dataflow with a native C++ execution core.

Example:
    >>> import headrace as hr
    >>> hr.Pipeline([lambda x: x * 2, lambda x: x + 1]).run(range(3))
    [1, 3, 5]
"""

from ._errors import PipelineError
from ._executor import Context, Executor
from ._pipeline import Pipeline
from ._stats import RunStats, StepStats
from ._steps import Parallel, Source, Step

__version__ = "0.1.0"

__all__ = [
    "Context",
    "Executor",
    "Parallel",
    "Pipeline",
    "PipelineError",
    "RunStats",
    "Source",
    "Step",
    "StepStats",
    "__version__",
]
