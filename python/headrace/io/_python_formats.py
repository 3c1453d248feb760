"""Formats of Python values: JSON records, numpy ``.npy``, an in-memory dict, and pickle
(only with ``allow_pickle=True``)."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from headrace.io._base import DataLoader, DataSaver, Format, Stage
from headrace.io._registry import register
from headrace.io._values import as_stream, as_type, atomic_file, describe, file_metadata, fit_schema, table_types


@dataclass
class _JsonFile(Format):
    """A JSON file of records: a list of objects, one per row."""

    path: str

    @classmethod
    def name(cls) -> str:
        return "json"

    @classmethod
    def applicable_types(cls) -> list[type]:
        return table_types()


@register
@dataclass
class JsonLoader(_JsonFile, DataLoader):
    """A JSON list of records as a table; ``schema`` fixes the columns and their types."""

    schema: pa.Schema | None = None

    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        with open(self.path, encoding="utf-8") as f:
            records = json.load(f)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("expected a JSON list of objects (records)")
        table = fit_schema(pa.Table.from_pylist(records), self.schema) if records or self.schema is None \
            else self.schema.empty_table()
        return as_type(table, type_, "from_.json"), file_metadata(self.path, table)


@register
@dataclass
class JsonSaver(_JsonFile, DataSaver):
    """Tabular data as a JSON list of records, one object per row."""

    indent: int | None = None

    def save_data(self, data: Any) -> dict[str, Any]:
        table = as_stream(data, "to.json").collect()
        with atomic_file(self.path, "w") as f:
            json.dump(table.to_pylist(), f, indent=self.indent, ensure_ascii=False)
        return file_metadata(self.path, table)


@dataclass
class _NpyFile(Format):
    """A numpy ``.npy`` file, never pickled."""

    path: str

    @classmethod
    def name(cls) -> str:
        return "npy"

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [np.ndarray]

    def metadata(self, array: np.ndarray) -> dict[str, Any]:
        return {**file_metadata(self.path, array), "shape": array.shape, "dtype": str(array.dtype)}


@register
@dataclass
class NpyLoader(_NpyFile, DataLoader):
    """A numpy array from a ``.npy`` file (``mmap_mode`` as numpy's)."""

    mmap_mode: str | None = None

    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        array = np.load(self.path, mmap_mode=self.mmap_mode, allow_pickle=False)
        return array, self.metadata(array)


@register
@dataclass
class NpySaver(_NpyFile, DataSaver):
    """A numpy array (or anything ``numpy.asarray`` takes, not objects) as a ``.npy`` file."""

    def save_data(self, data: Any) -> dict[str, Any]:
        array = np.asarray(data)
        with atomic_file(self.path) as f:
            np.save(f, array, allow_pickle=False)
        return self.metadata(array)


@dataclass
class _Stored(Format):
    """A value under ``key`` in the dict ``store``."""

    store: dict[str, Any]
    key: str

    @classmethod
    def name(cls) -> str:
        return "memory"

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [object]


@register
@dataclass
class MemoryLoader(_Stored, DataLoader):
    """The value under ``key`` in the dict ``store``."""

    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        if self.key not in self.store:
            raise KeyError(f"key {self.key!r} is not in the store (keys: {sorted(map(str, self.store))})")
        value = self.store[self.key]
        return value, {**describe(value), "path": None}


@register
@dataclass
class MemorySaver(_Stored, DataSaver):
    """Puts the value under ``key`` in the dict ``store`` (in ``materialize``: only when the
    whole run succeeded)."""

    def save_data(self, data: Any) -> dict[str, Any]:
        self.store[self.key] = data
        return {**describe(data), "path": None}

    def staged(self) -> Stage:
        return _MemoryStage(self)


class _MemoryStage(Stage):
    """Saves into a private dict; ``commit`` copies the value into the real store."""

    _absent = object()

    def __init__(self, saver: MemorySaver) -> None:
        self.target = saver
        self.previous: Any = self._absent
        super().__init__(MemorySaver({}, saver.key))

    def commit(self) -> None:
        store, key = self.target.store, self.target.key
        self.previous = store.get(key, self._absent)
        store[key] = self.saver.store[key]  # type: ignore[attr-defined]

    def undo(self) -> None:
        if self.previous is self._absent:
            self.target.store.pop(self.target.key, None)
        else:
            self.target.store[self.target.key] = self.previous


@dataclass
class _Pickled(Format):
    """What the pickle loader and saver share: a ``path``, and ``allow_pickle`` that must be
    True (loading a pickle runs code from the file: use it only on files you trust)."""

    path: str
    allow_pickle: bool = False

    def __post_init__(self) -> None:
        if self.allow_pickle is not True:
            prefix = "from_" if isinstance(self, DataLoader) else "to"
            raise ValueError(f"{prefix}.pickle: pickle files run arbitrary code when loaded; pass allow_pickle=True "
                             "to use them")

    @classmethod
    def name(cls) -> str:
        return "pickle"

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [object]


@register
@dataclass
class PickleLoader(_Pickled, DataLoader):
    """Any Python value from a pickle file; refused unless ``allow_pickle=True``."""

    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        with open(self.path, "rb") as f:
            value = pickle.load(f)  # noqa: S301 - the user allowed it
        return value, file_metadata(self.path, value)


@register
@dataclass
class PickleSaver(_Pickled, DataSaver):
    """Any Python value as a pickle file (which only unpickling can read); refused unless
    ``allow_pickle=True``."""

    def save_data(self, data: Any) -> dict[str, Any]:
        with atomic_file(self.path) as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        return file_metadata(self.path, data)
