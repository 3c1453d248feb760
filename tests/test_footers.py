"""Parquet footers are parsed once per version of a file (``headrace._footers``): a file
rewritten in place, even to the same size, is planned and read from its new footer."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import configured

import headrace as hr
from headrace import _footers


@pytest.mark.parametrize("reader", ["native", "pyarrow"])
def test_a_file_rewritten_in_place_is_read_anew(tmp_path: Path, reader: str) -> None:
    path = str(tmp_path / "t.parquet")
    with configured(parquet_reader=reader):
        for k in range(4):  # the same size every time: only the values (and their statistics) change
            pq.write_table(pa.table({"a": pa.array([k, k + 10, k + 20], pa.int64())}), path, row_group_size=1)
            query = hr.read_parquet(path).filter(hr.col("a") >= 10 + k)
            assert query.collect().column("a").to_pylist() == [k + 10, k + 20]
            assert hr.read_parquet(path).collect().column("a").to_pylist() == [k, k + 10, k + 20]


def test_a_file_rewritten_with_the_same_bytes_is_read_again(tmp_path: Path) -> None:
    path = str(tmp_path / "same.parquet")
    table = pa.table({"a": pa.array(range(50), pa.int64())})
    pq.write_table(table, path)
    assert hr.read_parquet(path).collect().equals(table)
    first = _footers.footer(path)
    os.utime(path, ns=(0, 1))  # the same bytes, another modification time
    assert _footers.footer(path) is not first
    assert hr.read_parquet(path).collect().equals(table)


def test_a_scan_kept_across_a_rewrite_refuses_the_changed_file(tmp_path: Path) -> None:
    """A DataStream built before its file was rewritten (shorter) fails naming the file,
    never reading past the new end of a mapping."""
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"a": pa.array(range(5000), pa.int64())}), path, row_group_size=1000)
    stream = hr.read_parquet(path).filter(hr.col("a") >= 0)
    assert stream.collect().num_rows == 5000
    pq.write_table(pa.table({"a": pa.array(range(10), pa.int64())}), path)
    with pytest.raises(hr.PipelineError, match=r"t\.parquet.*changed since its footer was read") as info:
        stream.collect()
    assert isinstance(info.value.__cause__, ValueError)  # naming the file, chained to the reader's error


def test_the_same_footer_is_parsed_once_and_the_cache_is_bounded(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_footers, "CACHED_FILES", 2)
    paths = [str(tmp_path / f"{i}.parquet") for i in range(3)]
    for i, path in enumerate(paths):
        pq.write_table(pa.table({"a": [i]}), path)
    first = _footers.footer(paths[0])
    assert first.fragment is _footers.footer(paths[0]).fragment
    assert first.native is _footers.footer(paths[0]).native
    _footers.footer(paths[1])
    _footers.footer(paths[2])  # the least recently used, paths[0], goes
    assert _footers.footer(paths[0]) is not first
    assert len(_footers._cache) <= 2


def test_a_file_without_a_footer_is_not_kept_and_its_error_names_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 40)
    assert _footers.footer(str(path)) is not _footers.footer(str(path))
    with pytest.raises(ValueError, match="broken.parquet"):
        hr.read_parquet(str(path)).collect()


def test_a_deleted_or_rewritten_file_is_forgotten_at_the_next_new_file(tmp_path: Path) -> None:
    """A kept native reader maps its file: a deleted file's footer is dropped (and its
    mapping with it) once another file version is parsed, not kept until 256 files later."""
    gone, rewritten, other = (str(tmp_path / f"{n}.parquet") for n in ("gone", "rewritten", "other"))
    for path in (gone, rewritten):
        pq.write_table(pa.table({"a": [1, 2, 3]}), path)
        _footers.footer(path).native  # noqa: B018 - parsed and mapped
    os.remove(gone)
    pq.write_table(pa.table({"a": [1, 2, 3, 4]}), rewritten)
    pq.write_table(pa.table({"a": [1]}), other)
    _footers.footer(other)
    kept = {key[0] for key in _footers._cache}
    assert gone not in kept and rewritten not in kept and other in kept
