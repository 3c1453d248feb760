"""Table formats read by the DataStream readers and written by its atomic writers:
Parquet, CSV, Arrow IPC (also as ``feather``) and newline-delimited JSON."""

from __future__ import annotations

import abc
import json
import os
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from headrace._datastream import DataStream
from headrace._sources import read_csv, read_ipc, read_json, read_parquet
from headrace.io._base import DataLoader, DataSaver
from headrace.io._registry import register
from headrace.io._values import as_stream, as_type, atomic_file, fit_schema, table_types


@dataclass
class TableFileLoader(DataLoader):
    """A table file at ``path`` (a glob or folder where the reader takes one); ``schema``
    (a pyarrow Schema) selects, orders and casts the columns, and fails when they do not fit
    (text formats parse their values as its types)."""

    path: str
    schema: pa.Schema | None = None

    @classmethod
    def applicable_types(cls) -> list[type]:
        return table_types()

    @abc.abstractmethod
    def stream(self) -> DataStream:
        """The file's rows, lazily."""

    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        data: Any = self.stream()
        if self.schema is not None or type_ is not DataStream:
            data = fit_schema(data.collect(), self.schema)
        metadata = {"path": os.path.abspath(self.path), "columns": data.schema.names,
                    "rows": data.num_rows if isinstance(data, pa.Table) else None}
        return as_type(data, type_, f"from_.{self.name()}"), metadata


@dataclass
class TableFileSaver(DataSaver):
    """Tabular data written atomically to ``path``."""

    path: str

    @classmethod
    def applicable_types(cls) -> list[type]:
        return table_types()


@register
@dataclass
class ParquetLoader(TableFileLoader):
    """Parquet file(s) at ``path``."""

    @classmethod
    def name(cls) -> str:
        return "parquet"

    def stream(self) -> DataStream:
        return read_parquet(self.path)


@register
@dataclass
class ParquetSaver(TableFileSaver):
    """A Parquet file (``compression``, ``row_group_size``)."""

    compression: str | None = "zstd"
    row_group_size: int | None = None

    @classmethod
    def name(cls) -> str:
        return "parquet"

    def save_data(self, data: Any) -> dict[str, Any]:
        stream = as_stream(data, "to.parquet")
        return stream.write_parquet(self.path, compression=self.compression, row_group_size=self.row_group_size)


@register
@dataclass
class CsvLoader(TableFileLoader):
    """CSV file(s) at ``path`` (``delimiter``, ``has_header``)."""

    delimiter: str = ","
    has_header: bool = True

    @classmethod
    def name(cls) -> str:
        return "csv"

    def stream(self) -> DataStream:
        return read_csv(self.path, delimiter=self.delimiter, has_header=self.has_header, schema=self.schema)


@register
@dataclass
class CsvSaver(TableFileSaver):
    """A CSV file (``delimiter``, ``include_header``)."""

    delimiter: str = ","
    include_header: bool = True

    @classmethod
    def name(cls) -> str:
        return "csv"

    def save_data(self, data: Any) -> dict[str, Any]:
        stream = as_stream(data, "to.csv")
        return stream.write_csv(self.path, delimiter=self.delimiter, include_header=self.include_header)


@register
@dataclass
class IpcLoader(TableFileLoader):
    """Arrow IPC (Feather v2) file(s) at ``path``."""

    @classmethod
    def name(cls) -> str:
        return "ipc"

    def stream(self) -> DataStream:
        return read_ipc(self.path)


@register
@dataclass
class IpcSaver(TableFileSaver):
    """An Arrow IPC (Feather v2) file (``compression``: None, "lz4" or "zstd")."""

    compression: str | None = None

    @classmethod
    def name(cls) -> str:
        return "ipc"

    def save_data(self, data: Any) -> dict[str, Any]:
        return as_stream(data, f"to.{self.name()}").write_ipc(self.path, compression=self.compression)


@register
@dataclass
class FeatherLoader(IpcLoader):
    """Feather v2 file(s): the same as ``ipc``."""

    @classmethod
    def name(cls) -> str:
        return "feather"


@register
@dataclass
class FeatherSaver(IpcSaver):
    """A Feather v2 file: the same as ``ipc``."""

    @classmethod
    def name(cls) -> str:
        return "feather"


@register
@dataclass
class NdjsonLoader(TableFileLoader):
    """Newline-delimited JSON file(s): one object per line."""

    @classmethod
    def name(cls) -> str:
        return "ndjson"

    def stream(self) -> DataStream:
        return read_json(self.path, schema=self.schema)


@register
@dataclass
class NdjsonSaver(TableFileSaver):
    """Newline-delimited JSON: one object per row, written batch by batch."""

    @classmethod
    def name(cls) -> str:
        return "ndjson"

    def save_data(self, data: Any) -> dict[str, Any]:
        stream = as_stream(data, "to.ndjson")
        rows = 0
        with atomic_file(self.path, "w") as f:
            for batch in stream.iter_batches():
                for row in batch.to_pylist():
                    f.write(json.dumps(row, ensure_ascii=False))
                    f.write("\n")
                rows += batch.num_rows
        return {"path": os.path.abspath(self.path), "rows": rows, "bytes": os.path.getsize(self.path),
                "columns": stream.schema.names}
