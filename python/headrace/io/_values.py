"""Values as loaders return them and savers take them: tables in the type a node asks for,
tabular data of any kind as a DataStream, schemas fitted, and metadata about a value."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from headrace._datastream import DataStream
from headrace._sources import from_arrow


def _is(type_: Any, module: str, name: str) -> bool:
    return isinstance(type_, type) and type_.__module__.split(".")[0] == module and type_.__name__ == name


def table_types() -> list[type]:
    """What a table loader can return: a pyarrow Table first, then a DataStream, and
    pandas and Polars DataFrames where those are installed."""
    found: list[type] = [pa.Table, DataStream]
    for module in ("pandas", "polars"):
        with contextlib.suppress(ImportError):
            found.append(__import__(module).DataFrame)
    return found


def as_type(data: pa.Table | DataStream, type_: Any, where: str) -> Any:
    """``data`` as ``type_``: a pyarrow Table, a DataStream, or a pandas or Polars DataFrame."""
    if type_ is DataStream:
        return from_arrow(data)
    table = data.collect() if isinstance(data, DataStream) else data
    if type_ is pa.Table or type_ is None:
        return table
    if _is(type_, "pandas", "DataFrame"):
        return table.to_pandas()
    if _is(type_, "polars", "DataFrame"):
        import polars

        return polars.from_arrow(table)
    raise TypeError(f"{where}: cannot load as {type_!r}; it loads a pyarrow Table, DataStream, pandas or Polars "
                    "DataFrame")


def as_stream(data: Any, where: str) -> DataStream:
    """Tabular ``data`` (a Table, DataStream, pandas or Polars frame, dict of columns, any
    Arrow stream) as a DataStream; anything else is a TypeError naming ``where``."""
    try:
        return from_arrow(data)
    except TypeError:
        raise TypeError(f"{where}: expected tabular data (a pyarrow Table, DataStream, pandas or Polars DataFrame, "
                        f"dict of columns), got {type(data).__name__}") from None


def fit_schema(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """``table`` with ``schema``'s columns, in its order and cast to its types; a column
    that is missing or does not cast is a ValueError naming it."""
    if schema is None:
        return table
    if not isinstance(schema, pa.Schema):
        raise TypeError(f"schema must be a pyarrow Schema, got {type(schema).__name__}")
    missing = [n for n in schema.names if n not in table.column_names]
    if missing:
        raise ValueError(f"column {missing[0]!r} of the schema is missing (the data has {table.column_names})")
    columns = []
    for field in schema:
        column = table[field.name]
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"column {field.name!r} ({column.type}) does not fit the schema's {field.type}: "
                             f"{exc}") from None
    return pa.Table.from_arrays(columns, schema=schema)


def describe(data: Any) -> dict[str, Any]:
    """rows, columns and bytes of a value, where it has them (else None)."""
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return {"rows": data.num_rows, "columns": data.schema.names, "bytes": data.nbytes}
    if isinstance(data, DataStream):
        return {"rows": None, "columns": data.schema.names, "bytes": None}
    if hasattr(data, "shape") and hasattr(data, "nbytes"):  # numpy
        return {"rows": data.shape[0] if data.shape else 1, "columns": None, "bytes": int(data.nbytes)}
    if _is(type(data), "pandas", "DataFrame"):
        return {"rows": len(data), "columns": [str(c) for c in data.columns],
                "bytes": int(data.memory_usage(deep=True).sum())}
    if _is(type(data), "polars", "DataFrame"):
        return {"rows": data.height, "columns": data.columns, "bytes": int(data.estimated_size())}
    rows = len(data) if hasattr(data, "__len__") else None
    return {"rows": rows, "columns": None, "bytes": None}


def file_metadata(path: str, data: Any) -> dict[str, Any]:
    """path, rows, bytes (the file's size), columns of a file written from ``data``."""
    return {**describe(data), "path": os.path.abspath(path), "bytes": os.path.getsize(path)}


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "wb") -> Iterator[Any]:
    """A file object whose content replaces ``path`` only when the block ends without error."""
    final = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(final)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory {directory!r} does not exist")
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
