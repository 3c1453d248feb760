"""headrace.io: loaders and savers as nodes of a dataflow (Hamilton's materialization),
with saves that are atomic across the whole run.

Examples:
    >>> import os, tempfile
    >>> import headrace as hr
    >>> def doubled(raw: hr.DataStream) -> hr.DataStream:
    ...     return raw.with_columns(y=hr.col("x") * 2)
    >>> folder = tempfile.mkdtemp()
    >>> _ = hr.from_arrow({"x": [1, 2, 3]}).write_parquet(os.path.join(folder, "in.parquet"))
    >>> meta, results = hr.io.Dataflow({"doubled": doubled}).materialize(
    ...     hr.io.from_.parquet(target="raw", path=hr.io.source("in_path")),
    ...     hr.io.to.csv(id="out", dependencies=["doubled"], path=os.path.join(folder, "out.csv")),
    ...     inputs={"in_path": os.path.join(folder, "in.parquet")})
    >>> meta["out"]["rows"], meta["out"]["columns"]
    (3, ['x', 'y'])
"""

from headrace.io import _python_formats, _table_formats  # noqa: F401 - they register the built-in formats
from headrace.io._base import DataLoader, DataSaver, FileStage, Stage
from headrace.io._dataflow import Dataflow
from headrace.io._registry import from_, loader_formats, register, saver_formats, to
from headrace.io._specs import Load, Save, source

__all__ = [
    "DataLoader",
    "DataSaver",
    "Dataflow",
    "FileStage",
    "Load",
    "Save",
    "Stage",
    "from_",
    "loader_formats",
    "register",
    "saver_formats",
    "source",
    "to",
]
