"""Parquet footers, parsed once per version of a file.

Planning a query over a Parquet file reads its footer several times: the schema and row
counts, the row-group statistics that prune row groups, the footer the native reader
parses. Parsing TPC-H lineitem's 53-row-group footer costs about a millisecond each time,
and pruning by its statistics three more, at every query. :func:`footer` keeps what was
parsed, keyed by the file's path, inode, size, modification time *and the footer's bytes*:
a rewritten file is parsed afresh (the native reader maps the file it parsed, and refuses
to read one that changed since), and a footer byte for byte the same, of an unchanged file,
gives the same schema, row groups, statistics and column chunk offsets. Reading the
footer's bytes to compare them costs a few microseconds.

Examples:
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    >>> footer(path) is footer(path)
    True
    >>> footer(path).row_group_rows
    (3,)
    >>> pq.write_table(pa.table({"a": [1, 2]}), path)    # another footer: parsed again
    >>> footer(path).row_group_rows
    (2,)
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from . import _core

__all__ = ["Footer", "footer"]

# How many file versions stay parsed (the least recently used goes first).
CACHED_FILES = 256

_FORMAT = ds.ParquetFileFormat()
_LOCAL = pafs.LocalFileSystem()
_MAGIC = b"PAR1"


class Footer:
    """What one version of a Parquet file's footer gives, each part made on first use.
    Errors (a corrupt footer) are raised by the part that meets them, and not kept."""

    def __init__(self, path: str) -> None:
        self.path = path

    @functools.cached_property
    def metadata(self) -> pq.FileMetaData:
        """pyarrow's metadata of the file."""
        return pq.read_metadata(self.path)

    @functools.cached_property
    def schema(self) -> pa.Schema:
        """The Arrow schema the file stores."""
        return self.metadata.schema.to_arrow_schema()

    @functools.cached_property
    def row_group_rows(self) -> tuple[int, ...]:
        """The number of rows of each row group."""
        metadata = self.metadata
        return tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups))

    @functools.cached_property
    def fragment(self) -> ds.ParquetFileFragment:
        """A dataset fragment of the whole file with its statistics loaded (for pruning
        row groups; its ``subset`` keeps the statistics it converted)."""
        fragment = _FORMAT.make_fragment(self.path, filesystem=_LOCAL)
        fragment.ensure_complete_metadata()
        return fragment

    @functools.cached_property
    def native(self) -> _core.ParquetFile:
        """The native reader's parse of the footer (raises what ``_core.ParquetFile`` raises)."""
        return _core.ParquetFile(self.path)


_cache: OrderedDict[tuple[str, tuple[int, int, int], bytes], Footer] = OrderedDict()
_lock = threading.Lock()


def footer(path: str) -> Footer:
    """The parsed footer of the Parquet file at ``path`` as it is now: the one kept for the
    same file version (inode, size, modification time) and footer bytes, or a new one
    (kept, unless the file has no readable footer: then its parts raise pyarrow's or the
    native reader's error about it)."""
    # The inode, size and modification time too: the native reader maps the file, and refuses
    # to read a file that is no longer the one it mapped (even with the same footer).
    key = (path, _version(path), _footer_bytes(path))
    if not key[2]:
        return Footer(path)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        _forget_changed_files()
        found = _cache[key] = Footer(path)
        while len(_cache) > CACHED_FILES:
            _cache.popitem(last=False)
        return found


def _version(path: str) -> tuple[int, int, int]:
    stat = os.stat(path)
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _forget_changed_files() -> None:
    """Drops the kept footers of files deleted or rewritten since (a kept native reader maps
    its file, which keeps a deleted file's disk space until it is unmapped). Runs on every
    new file version, a stat per kept file."""
    for key in list(_cache):
        try:
            current = _version(key[0])
        except OSError:
            current = None
        if current != key[1]:
            del _cache[key]


def _footer_bytes(path: str) -> bytes:
    """The footer (Thrift metadata, its length and the magic), or b"" if the file does not
    end in one."""
    with open(path, "rb") as file:
        size = file.seek(0, 2)
        if size < 12:
            return b""
        file.seek(size - 8)
        tail = file.read(8)
        length = int.from_bytes(tail[:4], "little")
        if tail[4:] != _MAGIC or length + 12 > size:
            return b""
        file.seek(size - 8 - length)
        return file.read(length) + tail
