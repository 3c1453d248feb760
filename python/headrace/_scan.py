"""File sources for DataStream: resolve files, know their schema, and stream them in parallel pieces.

``FileScan`` resolves globs, lists and directories once, knows the schema without reading the
data (Parquet/IPC footers; the first block of a CSV or JSON file), splits the files into
``ScanTask`` units of parallel work (Parquet row groups, IPC record-batch ranges, whole CSV/JSON
files) and streams one task at a time as record batches with the projection and filter applied.
``read`` runs on the engine's worker threads, so nothing here starts threads of its own.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.json as pjson

from . import _config
from ._batches import take_rows
from ._expr import ColumnNotFoundError, Expr
from ._footers import footer
from ._parquet_native import Declined, FileError, NativeParquet
from ._pruning import kept_row_groups
from ._scan_filter import ConjunctFilter

__all__ = ["FORMATS", "FileScan", "ScanTask"]

FORMATS = ("parquet", "csv", "ipc", "json")

# Files a directory contributes, by format (compressed csv/json are decompressed by pyarrow).
EXTENSIONS = {
    "parquet": (".parquet", ".parq", ".pq"),
    "csv": (".csv", ".csv.gz", ".csv.bz2", ".csv.zst"),
    "ipc": (".arrow", ".arrows", ".ipc", ".feather"),
    "json": (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz"),
}

# A Parquet string column is read as a dictionary (then decoded) when its dictionary page
# takes under 1/SMALL_DICTIONARY of the column chunk (see FileScan.encoded_columns).
SMALL_DICTIONARY = 16
# Parquet: consecutive row groups are merged into tasks of about this many rows (see _row_group_tasks).
TASK_ROWS = 1_000_000
# IPC file format: record batches are grouped into tasks of about this many bytes of file.
IPC_TASK_BYTES = 64 << 20
# Newline-delimited JSON is parsed in blocks of about this many bytes, cut at line ends.
JSON_BLOCK_SIZE = 4 << 20

_DEFAULTS: dict[str, dict[str, Any]] = {
    "parquet": {},
    "ipc": {},
    "csv": {
        "delimiter": ",", "has_header": True, "column_names": None, "schema": None,
        "null_values": None, "skip_rows": 0, "quote_char": '"',
    },
    "json": {"schema": None},
}

_LOCAL = pafs.LocalFileSystem()
# The types Parquet string/binary view columns are read as.
_NOT_VIEWS = {pa.string_view().id: pa.large_string(), pa.binary_view().id: pa.large_binary()}
_PARQUET = ds.ParquetFileFormat()


@dataclass(frozen=True)
class ScanTask:
    """One unit of parallel scan work: a file, or some of its Parquet row groups / IPC record batches."""

    path: str
    row_groups: tuple[int, ...] | None = None  # parquet row groups or IPC-file record batches; None = all
    rows: int | None = None  # known row count (parquet metadata), before any filter


class _FileInfo(NamedTuple):
    """What a Parquet or IPC file's footer says."""

    schema: pa.Schema
    row_group_rows: tuple[int, ...] | None  # parquet: rows per row group
    record_batches: int | None  # IPC file format: number of record batches; None for the stream format


class _CsvOptions(NamedTuple):
    read: pcsv.ReadOptions
    parse: pcsv.ParseOptions
    convert: dict[str, Any]  # ConvertOptions arguments; each read adds the column types and names


class FileScan:
    """A set of files of one format, resolved at construction.

    Examples:
        >>> scan = FileScan("parquet", "data/*.parquet")       # doctest: +SKIP
        >>> for task in scan.tasks(["id"]):                     # doctest: +SKIP
        ...     for batch in scan.read(task, ["id"]): ...
    """

    def __init__(self, fmt: str, paths: str | os.PathLike | Iterable[str | os.PathLike], *,
                 batch_size: int = 65536, **options: Any) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(map(repr, FORMATS))}")
        self.format = fmt
        self.reader = f"read_{fmt}"
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"{self.reader}: batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = batch_size
        self.options = _check_options(fmt, options)
        self._csv = _csv_options(self.reader, self.options) if fmt == "csv" else None
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.patterns = [os.fspath(p) for p in paths]
        if not self.patterns:
            raise ValueError(f"{self.reader}: no paths given")
        self.paths = _resolve(self.reader, self.patterns, EXTENSIONS[fmt])

    def __repr__(self) -> str:
        return f"FileScan({self.format!r}, {self.patterns!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_natives", None)  # native readers stay in their process
        return state

    def native(self, path: str) -> NativeParquet | None:
        """The native reader of a Parquet file of this scan, or None (see ``_parquet_native``)."""
        natives = self.__dict__.setdefault("_natives", {})
        if path not in natives:
            natives[path] = NativeParquet.open(path)
        return natives[path]

    def describe(self) -> str:
        """Short text for ``explain()``, e.g. ``parquet: 3 files (data/*.parquet)``."""
        n = len(self.paths)
        shown = ", ".join(self.patterns[:3]) + (", ..." if len(self.patterns) > 3 else "")
        return f"{self.format}: {n} file{'' if n == 1 else 's'} ({shown})"

    @functools.cached_property
    def schema(self) -> pa.Schema:
        """The files' schema, known without reading their data."""
        given = self.options.get("schema")
        if given is not None:
            return given
        if self.format == "parquet":
            # Parquet stores bytes, not views: string/binary views (the Arrow schema some writers
            # store, e.g. tpchgen-cli's) are read as large strings/binaries, which decode as fast
            # and which pyarrow's compute kernels (comparisons, take, is_in) all take.
            unified = _unify(self.reader, {path: info.schema for path, info in self._infos.items()})
            return pa.schema([f.with_type(_NOT_VIEWS.get(f.type.id, f.type)) for f in unified], unified.metadata)
        if self.format == "ipc":
            return _unify(self.reader, {path: info.schema for path, info in self._infos.items()})
        inferred = self._infer()
        # A column with no value in the sampled block would be typed null and fail on the first value
        # further on; read it as strings instead, as Polars does.
        return pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in inferred])

    def _infer(self) -> pa.Schema:
        """The types pyarrow infers from the first block of the first file with data (csv/json)."""
        for path in self.paths:
            with _naming(self.reader, path):
                if self.format == "csv":
                    if os.path.getsize(path):
                        read, parse, convert = self._csv
                        return pcsv.open_csv(path, read_options=read, parse_options=parse,
                                             convert_options=pcsv.ConvertOptions(**convert)).schema
                else:
                    block = next(_json_blocks(path), None)
                    if block is not None:
                        return pjson.read_json(pa.BufferReader(block), read_options=_json_read_options(block)).schema
        raise ValueError(f"{self.reader}: cannot infer a schema, every file is empty; pass schema=")

    @functools.cached_property
    def _infos(self) -> dict[str, _FileInfo]:
        """Footer facts per file (parquet/ipc), read once."""
        read_info = _parquet_info if self.format == "parquet" else _ipc_info
        infos = {}
        for path in self.paths:
            with _naming(self.reader, path):
                infos[path] = read_info(path)
        return infos

    def known_rows(self) -> int | None:
        """The files' row count from their footers (Parquet), else None."""
        if self.format != "parquet":
            return None
        return sum(sum(info.row_group_rows or ()) for info in self._infos.values())

    def project(self, columns: Iterable[str] | None = None) -> pa.Schema:
        """Schema of ``columns`` in the order given (all columns if None)."""
        schema = self.schema
        if columns is None:
            return schema
        names = [columns] if isinstance(columns, str) else list(columns)
        projections = self.__dict__.setdefault("_projections", {})  # asked per task: kept per column list
        found = projections.get(tuple(names))
        if found is not None:
            return found
        available = schema.names
        seen: set[str] = set()
        for name in names:
            if name not in available:
                raise ColumnNotFoundError(name, available)
            if name in seen:
                raise ValueError(f"{self.reader}: column {name!r} is selected twice")
            seen.add(name)
        found = projections[tuple(names)] = pa.schema([schema.field(available.index(name)) for name in names])
        return found

    def tasks(self, columns: Iterable[str] | None = None,
              filter: Expr | pc.Expression | None = None) -> list[ScanTask]:
        """Units of parallel work in file order; files and row groups that hold no rows get none,
        nor Parquet row groups whose statistics prove ``filter`` false for every row (a
        headrace expression: see ``_pruning``; a pyarrow one: pyarrow's fragment subset)."""
        self.project(columns)
        if self.format == "parquet":
            return [task for path in self.paths for task in self._parquet_tasks(path, filter)]
        if self.format == "ipc":
            return [task for path in self.paths for task in self._ipc_tasks(path)]
        return [ScanTask(path) for path in self.paths if os.path.getsize(path) > 0]

    def _parquet_tasks(self, path: str, filter: Expr | pc.Expression | None) -> list[ScanTask]:
        counts = self._infos[path].row_group_rows
        ids: Iterable[int] = range(len(counts))
        if filter is not None and counts:
            # Row groups whose statistics prove the filter false are never scheduled.
            with _naming(self.reader, path):
                if isinstance(filter, Expr):
                    ids = kept_row_groups(footer(path), self.schema, filter)
                else:
                    ids = [rg.id for rg in footer(path).fragment.subset(filter=filter, schema=self.schema).row_groups]
        return _row_group_tasks(path, [i for i in ids if counts[i]], counts, _config.threads())

    def _ipc_tasks(self, path: str) -> list[ScanTask]:
        n = self._infos[path].record_batches
        if n is None:  # stream format: only readable front to back
            return [ScanTask(path)]
        per_task = max(1, math.ceil(n * IPC_TASK_BYTES / max(os.path.getsize(path), 1)))
        if per_task >= n:
            return [ScanTask(path)] if n else []
        return [ScanTask(path, tuple(range(i, min(i + per_task, n)))) for i in range(0, n, per_task)]

    def encoded_columns(self, columns: Iterable[str], small: bool = False) -> list[str]:
        """Those of ``columns`` that are Parquet strings stored dictionary-encoded (judged by
        the first file's first row group): reading them as Arrow dictionaries lets a filter
        compare the few distinct values and skip decoding the rows it drops.

        ``small=True`` keeps only the columns whose dictionary is small beside the column
        (a few distinct values, such as a status or a category): reading those as
        dictionaries and decoding them afterwards is about twice as fast as pyarrow's
        direct decoding, whereas a large dictionary (a column of mostly distinct values, or
        one whose writer fell back to plain pages) reads slower that way.
        """
        if self.format != "parquet" or not self.paths:
            return []
        wanted = {n for n in columns if pa.types.is_string(self.schema.field(n).type)
                  or pa.types.is_large_string(self.schema.field(n).type)}
        if not wanted:
            return []
        with _naming(self.reader, self.paths[0]):
            meta = footer(self.paths[0]).metadata
        if meta.num_row_groups == 0:
            return []
        group = meta.row_group(0)
        found = []
        for j in range(group.num_columns):
            chunk = group.column(j)
            if chunk.path_in_schema not in wanted or not chunk.has_dictionary_page:
                continue
            dictionary_bytes = chunk.data_page_offset - chunk.dictionary_page_offset
            if small and dictionary_bytes * SMALL_DICTIONARY > chunk.total_uncompressed_size:
                continue
            found.append(chunk.path_in_schema)
        return found

    def read(self, task: ScanTask, columns: Iterable[str] | None = None,
             filter: pc.Expression | None = None, dictionary_columns: Iterable[str] = (),
             batch_size: int | None = None) -> Iterator[pa.RecordBatch]:
        """Stream the task's rows as non-empty batches of at most ``batch_size`` rows (default:
        the scan's).

        Every batch has exactly the schema ``project(columns)``, with ``filter`` applied. Unknown
        columns raise here, before the first batch; errors from a malformed file raise ValueError
        naming it. Parquet ``dictionary_columns`` (see ``encoded_columns``) come as
        ``dictionary<int32, string>`` arrays instead.
        """
        target = self.project(columns)
        encoded = set(dictionary_columns)
        rows = batch_size or self.batch_size
        if encoded and self.format == "parquet":
            target = _as_dictionaries(target, encoded)
            return self._read(task, target, filter, _dictionary_format(frozenset(encoded)), rows)
        return self._read(task, target, filter, _PARQUET, rows)

    def _read(self, task: ScanTask, target: pa.Schema, filter: pc.Expression | None,
              parquet: ds.ParquetFileFormat, batch_size: int) -> Iterator[pa.RecordBatch]:
        names = target.names
        with _naming(self.reader, task.path):
            if self.format == "parquet":
                batches = self._parquet_batches(task, target, filter, parquet, batch_size)
            elif self.format == "csv" and filter is None and names:
                batches = self._csv_reader(task.path, names)  # only the projected columns are converted
            else:
                tables: Iterable[pa.Table]
                if self.format == "csv":  # the filter's columns are unknown: convert them all
                    tables = (pa.Table.from_batches([b]) for b in self._csv_reader(task.path, self.schema.names))
                elif self.format == "ipc":
                    tables = self._ipc_tables(task)
                else:
                    tables = self._json_tables(task.path)
                batches = _select(tables, names, filter, batch_size)
            for batch in batches:
                if batch.num_rows:
                    yield from _conform(batch, target, batch_size)

    def read_filtered(self, task: ScanTask, columns: list[str], terms: ConjunctFilter,
                      dictionary_columns: Iterable[str] = (), batch_size: int | None = None,
                      output: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Like ``read`` followed by ``terms.apply``: the task's non-empty batches of the rows
        that pass, of the ``output`` columns (default: all). Parquet row groups the native
        reader decodes are read late-materialized: the filter's columns first, then the other
        columns only for the rows that passed (a column only the filter reads is not taken
        to them); with every term native, one call reads row groups until a batch of rows
        passed, without the GIL in between."""
        target = self.project(columns)
        if dictionary_columns:
            target = _as_dictionaries(target, set(dictionary_columns))
        result = target if output is None else pa.schema([f for f in target if f.name in output])
        needed = terms.columns()
        groups = self._row_groups(task)
        native = self.native(task.path) if self.format == "parquet" else None
        remaining: ScanTask | None = task  # what pyarrow reads
        if native is not None and needed and native.can_read(groups, target):
            remaining = None
            splits: dict[str, _Split] = {}
            if terms.fusable:  # the terms' columns, then the key columns, then the others
                in_terms = terms.term_columns()
                splits["terms"] = _Split.of(target, [in_terms, needed - in_terms], result, "terms")
                if needed - in_terms and in_terms:  # or the key columns first (see ConjunctFilter.keys_first)
                    splits["keys"] = _Split.of(target, [needed - in_terms, in_terms], result, "keys")
                if terms.stages is not None:  # or the first terms' columns, then the other terms'
                    first = terms.stages.columns
                    splits["staged"] = _Split.of(target, [first & needed, in_terms - first], result, "staged")
                read = _fused_read
            else:  # the filter's columns, then the others
                splits["terms"] = _Split.of(target, [needed], result)
                read = _stepwise_read
            k = 0
            while k < len(groups):
                split = splits.get(terms.order, splits["terms"])
                try:
                    batches = read(native, groups[k:k + 1] if terms.learning else groups[k:], split, terms,
                                   self.reader, task.path, self.batch_size)
                except Declined:
                    remaining = ScanTask(task.path, tuple(groups[k:]))
                    break
                k += len(batches)
                yield from (batch for batch in batches if batch is not None)
        if remaining is not None:
            for batch in self.read(remaining, columns, None, dictionary_columns, batch_size):
                passed = terms.apply(batch)
                if passed is not None and passed.num_rows:
                    yield passed if output is None else passed.select(result.names)

    def _row_groups(self, task: ScanTask) -> list[int]:
        """The Parquet row groups of a task."""
        if task.row_groups is not None:
            return list(task.row_groups)
        return list(range(len(self._infos[task.path].row_group_rows or ()))) if self.format == "parquet" else []

    def _parquet_batches(self, task: ScanTask, target: pa.Schema, filter: pc.Expression | None,
                         parquet: ds.ParquetFileFormat, batch_size: int) -> Iterator[pa.RecordBatch]:
        """The task's row groups, natively decoded while the native reader can (one batch per
        row group), then by pyarrow from the first row group it declines."""
        groups = self._row_groups(task)
        native = self.native(task.path) if filter is None and target.names else None
        if native is not None and native.can_read(groups, target):
            for k, group in enumerate(groups):
                try:
                    batch = native.read(group, target)
                except Declined:
                    groups = groups[k:]
                    break
                yield batch
            else:
                return
        fragment = parquet.make_fragment(task.path, filesystem=_LOCAL)
        if task.row_groups is not None or native is not None:
            # subset() keeps file order; make_fragment(row_groups=...) may not (pyarrow 26).
            fragment = fragment.subset(row_group_ids=groups)
        names = target.names
        schema = pa.schema([target.field(f.name) if f.name in names else f for f in self.schema])
        yield from fragment.scanner(schema=schema, columns=names, filter=filter, batch_size=batch_size,
                                    use_threads=False).to_batches()

    def _csv_reader(self, path: str, names: list[str]) -> pa.RecordBatchReader:
        """Streams ``names`` (a non-empty list) with the scan's types: every file is read alike."""
        read, parse, convert = self._csv
        types = {name: self.schema.field(name).type for name in names}
        convert = pcsv.ConvertOptions(**convert, column_types=types, include_columns=names)
        return pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)

    def _ipc_tables(self, task: ScanTask) -> Iterator[pa.Table]:
        source = pa.memory_map(task.path)  # batches are views of the mapping, which outlives the file handle
        if self._infos[task.path].record_batches is None:
            batches: Iterable[pa.RecordBatch] = pa.ipc.open_stream(source)
        else:
            reader = pa.ipc.open_file(source)
            ids = range(reader.num_record_batches) if task.row_groups is None else task.row_groups
            batches = (reader.get_batch(i) for i in ids)
        # Group small record batches so the filter runs on about batch_size rows at a time.
        group: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            group.append(batch)
            rows += batch.num_rows
            if rows >= self.batch_size:
                yield pa.Table.from_batches(group)
                group, rows = [], 0
        if group:
            yield pa.Table.from_batches(group)

    def _json_tables(self, path: str) -> Iterator[pa.Table]:
        parse = pjson.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="ignore")
        for block in _json_blocks(path):
            yield pjson.read_json(pa.BufferReader(block), read_options=_json_read_options(block),
                                  parse_options=parse)


def _as_dictionaries(schema: pa.Schema, names: set[str]) -> pa.Schema:
    return pa.schema([f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in names else f for f in schema])


@functools.lru_cache(maxsize=32)
def _dictionary_format(names: frozenset[str]) -> ds.ParquetFileFormat:
    return ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=set(names)))


def _check_options(fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    """The format's options with defaults filled in; unknown names raise TypeError naming the reader."""
    reader = f"read_{fmt}"
    defaults = _DEFAULTS[fmt]
    for name in options:
        if name not in defaults:
            known = ", ".join(map(repr, defaults)) or "none"
            raise TypeError(f"{reader}: unknown option {name!r} (options: {known})")
    merged = {**defaults, **options}
    schema = merged.get("schema")
    if schema is not None and not isinstance(schema, pa.Schema):
        raise TypeError(f"{reader}: schema must be a pyarrow.Schema, got {type(schema).__name__}")
    return merged


def _csv_options(reader: str, options: dict[str, Any]) -> _CsvOptions:
    """pyarrow's CSV options for the reader's options; bad values raise naming the reader."""
    schema = options["schema"]
    names = options["column_names"]
    has_header = options["has_header"]
    skip_rows = options["skip_rows"]
    null_values = options["null_values"]
    if not isinstance(has_header, bool):
        raise TypeError(f"{reader}: has_header must be True or False, got {has_header!r}")
    if isinstance(skip_rows, bool) or not isinstance(skip_rows, int) or skip_rows < 0:
        raise ValueError(f"{reader}: skip_rows must be a non-negative integer, got {skip_rows!r}")
    if names is not None and (isinstance(names, str) or not all(isinstance(n, str) for n in names)):
        raise TypeError(f"{reader}: column_names must be a list of strings, got {names!r}")
    if names is None and schema is not None and not has_header:
        names = schema.names
    read: dict[str, Any] = {"skip_rows": skip_rows}
    if names is not None:
        read.update(column_names=list(names), skip_rows=skip_rows + has_header)  # the names replace the header
    elif not has_header:
        read.update(autogenerate_column_names=True)
    convert: dict[str, Any] = {}
    if null_values is not None:
        convert.update(null_values=[null_values] if isinstance(null_values, str) else list(null_values),
                       strings_can_be_null=True)
    quote_char = options["quote_char"]
    try:
        pcsv.ConvertOptions(**convert)  # only to check the values now
        return _CsvOptions(
            pcsv.ReadOptions(use_threads=False, **read),
            pcsv.ParseOptions(delimiter=options["delimiter"], quote_char=False if quote_char is None else quote_char),
            convert,
        )
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{reader}: {exc}") from exc


@contextlib.contextmanager
def _naming(reader: str, path: str) -> Iterator[None]:
    """Re-raise Arrow's errors about a file as ValueError naming it."""
    try:
        yield
    except (pa.ArrowException, OSError, FileError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # the system's own error (missing file, permissions), not the file's content
        raise ValueError(f"{reader}: cannot read {path!r}: {exc}") from exc


class _Split(NamedTuple):
    """A late-materialized read's columns in the parts read in turn, the columns it returns
    (``result``), and where each of those is: (part, index in it). ``order``: how a fused
    read runs the filter over its parts (see ``ConjunctFilter.order``)."""

    parts: list[pa.Schema]
    result: pa.Schema
    sources: list[tuple[int, int]]
    order: str = "terms"

    @staticmethod
    def of(target: pa.Schema, first: list[set[str]], result: pa.Schema, order: str = "terms") -> _Split:
        """Parts of the target columns named in each of ``first`` (in turn), then the rest of
        ``result``, the target columns returned."""
        taken = set().union(*first)
        parts = [pa.schema([f for f in target if f.name in names]) for names in first]
        parts.append(pa.schema([f for f in result if f.name not in taken]))
        sources = []
        for f in result:
            part = next(i for i, p in enumerate(parts) if f.name in p.names)
            sources.append((part, parts[part].get_field_index(f.name)))
        return _Split(parts, result, sources, order)


def _fused_read(native: NativeParquet, groups: list[int], split: _Split, terms: ConjunctFilter, reader: str,
                path: str, batch_size: int) -> list[pa.RecordBatch | None]:
    """Row groups through a filter whose every term is native, in one call without the GIL
    until ``batch_size`` rows passed (the filter's own errors are ArrowError, which
    ``_naming`` leaves alone): per row group read, its batch (None: no row passed)."""
    keys = [key for key in terms.keys if key.active]
    head, middle, tail = split.parts
    head_filter, middle_filter = terms.filters(split.order)
    with _naming(reader, path):
        reads = native.read_filtered(
            groups, head, middle, tail, head_filter, middle_filter, [(key.column, key.bitmap) for key in keys],
            split.sources, max_rows=batch_size)
    for _, counts, passed in reads:
        for key, (checked, kept) in zip(keys, counts):
            key.record(checked, kept)
        terms.record(*passed)
    return [batch for batch, _, _ in reads]


def _stepwise_read(native: NativeParquet, groups: list[int], split: _Split, terms: ConjunctFilter, reader: str,
                   path: str, batch_size: int) -> list[pa.RecordBatch | None]:
    """A row group (the first of ``groups``) through a filter with terms pyarrow evaluates:
    the filter's columns, the rows that pass, the other columns for those rows (the filter's
    errors are not the file's)."""
    group = groups[0]
    head, tail = split.parts
    with _naming(reader, path):
        first = native.read(group, head)
    rows = terms.rows(first)
    if rows is not None and len(rows) == 0:
        return [None]
    # The head columns returned (not those only the filter reads), at the rows that passed.
    kept = [name for name in head.names if name in split.result.names]
    if len(kept) < len(head):
        first = first.select(kept)
    passed = first if rows is None or len(rows) == first.num_rows else take_rows(first, rows)
    if not len(tail):  # the result: the head columns kept
        return [passed]
    with _naming(reader, path):
        rest = native.read(group, tail, rows)
    columns = [passed.column(head.field(i).name) if part == 0 else rest.column(i) for part, i in split.sources]
    return [pa.RecordBatch.from_arrays(columns, schema=split.result)]


def _row_group_tasks(path: str, groups: list[int], counts: Sequence[int], workers: int) -> list[ScanTask]:
    """Runs of consecutive row groups. One worker: of about equal rows, as few as tasks of
    TASK_ROWS rows make. Several: guided, as OpenMP's guided schedule: each task takes about
    the rows left over twice the workers (at most TASK_ROWS, at least a row group), so the
    tasks shrink towards the end and the workers finish within about a row group of each
    other, however fast each one's row groups go."""
    if workers > 1:
        return _guided_tasks(path, groups, counts, workers)
    total = sum(counts[i] for i in groups)
    n = min(len(groups), max(math.ceil(total / TASK_ROWS), 1))
    tasks: list[ScanTask] = []
    run: list[int] = []
    rows = seen = 0
    for i in groups:
        run.append(i)
        rows += counts[i]
        seen += counts[i]
        # Cut where the next share ends, or in this group's second half.
        if len(tasks) < n - 1 and seen + counts[i] / 2 >= total * (len(tasks) + 1) / n:
            tasks.append(ScanTask(path, tuple(run), rows))
            run, rows = [], 0
    if run:
        tasks.append(ScanTask(path, tuple(run), rows))
    return tasks


def _guided_tasks(path: str, groups: list[int], counts: Sequence[int], workers: int) -> list[ScanTask]:
    left = sum(counts[i] for i in groups)
    tasks: list[ScanTask] = []
    run: list[int] = []
    rows = 0
    for i in groups:
        run.append(i)
        rows += counts[i]
        if rows >= min(TASK_ROWS, left / (2 * workers)):
            tasks.append(ScanTask(path, tuple(run), rows))
            left -= rows
            run, rows = [], 0
    if run:
        tasks.append(ScanTask(path, tuple(run), rows))
    return tasks


def _resolve(reader: str, patterns: list[str], extensions: tuple[str, ...]) -> list[str]:
    """Absolute paths of every file the patterns name, each pattern's matches sorted, without repeats."""
    found: dict[str, None] = {}
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        if os.path.isfile(expanded):  # an existing name is taken literally, even with glob characters
            matches = [expanded]
        else:
            matches = []
            for match in [expanded] if os.path.isdir(expanded) else sorted(glob.glob(expanded, recursive=True)):
                matches += _directory_files(match, extensions) if os.path.isdir(match) else [match]
        if not matches:
            hint = f" (looked for {', '.join(extensions)})" if os.path.isdir(expanded) else ""
            raise FileNotFoundError(f"{reader}: no file matches {pattern!r}{hint}")
        found.update(dict.fromkeys(os.path.abspath(m) for m in matches))
    return list(found)


def _directory_files(directory: str, extensions: tuple[str, ...]) -> list[str]:
    """Files under ``directory`` with one of ``extensions``, sorted; hidden ('.', '_') entries skipped."""
    files = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        files += [os.path.join(root, n) for n in names
                  if n.lower().endswith(extensions) and not n.startswith((".", "_"))]
    return sorted(files)


def _parquet_info(path: str) -> _FileInfo:
    parsed = footer(path)
    return _FileInfo(parsed.schema, parsed.row_group_rows, None)


def _ipc_info(path: str) -> _FileInfo:
    with pa.OSFile(path) as source:
        if source.read(6) == b"ARROW1":  # the IPC file format's magic; otherwise a stream
            reader = pa.ipc.open_file(source)
            return _FileInfo(reader.schema, None, reader.num_record_batches)
        source.seek(0)
        return _FileInfo(pa.ipc.open_stream(source).schema, None, None)


def _unify(reader: str, schemas: dict[str, pa.Schema]) -> pa.Schema:
    """The common schema of several files (nullable where any file is); ValueError on the first difference."""
    (first_path, first), *rest = schemas.items()
    nullable = {f.name for f in first if f.nullable}
    for path, schema in rest:
        if schema.names != first.names or any(not a.type.equals(b.type) for a, b in zip(first, schema)):
            raise ValueError(f"{reader}: files have different schemas: {_difference(first_path, first, path, schema)}")
        nullable.update(f.name for f in schema if f.nullable)
    # Schema-level metadata (e.g. pandas' index description) is dropped: it differs per file.
    return pa.schema([f.with_nullable(f.name in nullable) for f in first])


def _difference(path_a: str, a: pa.Schema, path_b: str, b: pa.Schema) -> str:
    for field in a:
        if field.name not in b.names:
            return f"column {field.name!r} is in {path_a!r} but not in {path_b!r}"
        other = b.field(b.names.index(field.name))
        if not other.type.equals(field.type):
            return f"column {field.name!r} is {field.type} in {path_a!r} but {other.type} in {path_b!r}"
    for field in b:
        if field.name not in a.names:
            return f"column {field.name!r} is in {path_b!r} but not in {path_a!r}"
    return f"the columns are in a different order: {a.names} in {path_a!r}, {b.names} in {path_b!r}"


def _json_blocks(path: str) -> Iterator[memoryview]:
    """The file's bytes in blocks of whole lines (a line longer than a block makes a longer block)."""
    with pa.input_stream(path) as stream:  # decompresses .gz/.bz2/.zst by extension
        rest = b""
        while chunk := stream.read(JSON_BLOCK_SIZE):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                yield memoryview(data)[:cut]
            rest = data[cut:]
        if rest.strip():
            yield memoryview(rest)


def _json_read_options(block: memoryview) -> pjson.ReadOptions:
    # One pyarrow block per our block: pyarrow would otherwise refuse lines longer than its 1 MiB default.
    return pjson.ReadOptions(use_threads=False, block_size=max(len(block), 1))


def _select(tables: Iterable[pa.Table], names: list[str], filter: pc.Expression | None,
            batch_size: int) -> Iterator[pa.RecordBatch]:
    """The tables' rows that pass ``filter``, with columns ``names``, as batches."""
    for table in tables:
        if filter is None:
            yield from table.select(names).to_batches(max_chunksize=batch_size)
        else:
            yield from ds.dataset(table).to_batches(columns=names, filter=filter, batch_size=batch_size,
                                                    use_threads=False)


def _conform(batch: pa.RecordBatch, target: pa.Schema, batch_size: int) -> Iterator[pa.RecordBatch]:
    """``batch`` with exactly the schema ``target`` (zero-copy), in slices of at most ``batch_size`` rows."""
    if not batch.schema.equals(target, check_metadata=True):
        # Same types; the nullability or metadata of one file differs from the scan's schema.
        batch = (pa.RecordBatch.from_arrays(batch.columns, schema=target) if batch.num_columns
                 else batch.replace_schema_metadata(None))
    if batch.num_rows <= batch_size:
        yield batch
        return
    for offset in range(0, batch.num_rows, batch_size):
        yield batch.slice(offset, batch_size)
