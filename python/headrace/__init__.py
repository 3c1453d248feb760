"""headrace: high-throughput batch dataflow with a native C++ execution core.

Examples:
    >>> import headrace as hr
    >>> hr.Pipeline([lambda x: x * 2, lambda x: x + 1]).run(range(3))
    [1, 3, 5]
"""

from typing import TYPE_CHECKING, Any

from ._errors import PipelineError, StopFlow
from ._executor import Context, Executor
from ._flow import Flow
from ._pipeline import Pipeline
from ._rebatch import Rebatch, Unbatch
from ._stats import RunStats, StepStats
from ._steps import Parallel, Source, Step
from ._stream import Stream
from ._version import __version__

if TYPE_CHECKING:
    from . import io, ml
    from ._config import config
    from ._datastream import DataStream, stateful_transform
    from ._expr import ColumnNotFoundError, Expr, col, lit
    from ._expr_functions import when
    from ._sources import from_arrow, from_batches, read_csv, read_ipc, read_json, read_parquet

# The expression and DataStream layers import pyarrow; load them on first use so that
# `import headrace` stays fast for code that only builds pipelines.
_LAZY = {
    "config": "._config",
    "DataStream": "._datastream",
    "stateful_transform": "._datastream",
    "from_arrow": "._sources",
    "from_batches": "._sources",
    "read_csv": "._sources",
    "read_ipc": "._sources",
    "read_json": "._sources",
    "read_parquet": "._sources",
    "ColumnNotFoundError": "._expr",
    "Expr": "._expr",
    "col": "._expr",
    "lit": "._expr",
    "when": "._expr_functions",
}


def __getattr__(name: str) -> Any:
    if name in ("ml", "io"):  # the hr.ml and hr.io subpackages, also loaded on first use
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'headrace' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"io", "ml"})


__all__ = [
    "ColumnNotFoundError",
    "Context",
    "DataStream",
    "Executor",
    "Expr",
    "Flow",
    "Parallel",
    "Pipeline",
    "PipelineError",
    "Rebatch",
    "RunStats",
    "Source",
    "Step",
    "StepStats",
    "StopFlow",
    "Stream",
    "Unbatch",
    "__version__",
    "col",
    "config",
    "from_arrow",
    "from_batches",
    "io",
    "lit",
    "ml",
    "read_csv",
    "read_ipc",
    "read_json",
    "read_parquet",
    "stateful_transform",
    "when",
]
