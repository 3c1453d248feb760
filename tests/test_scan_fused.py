"""A Parquet scan whose filter is all native terms reads row groups in native calls
(``_core.ParquetFile.read_filtered``), several per call until a batch of rows passed: the
same rows as the step-by-step read and as the predicate over the whole table, for any
row-group and batch size, nulls, dictionary-read strings and join key filters. The small
batches it leaves are joined, rows and order kept."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import configured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import _logical, _physical, col
from headrace._batches import coalesced
from headrace._join_filter import KeyFilter, KeyTerm
from headrace._parquet_native import NativeParquet
from headrace._scan import FileScan
from headrace._scan_filter import ConjunctFilter

DAY = datetime.date(2024, 1, 1)
SCHEMA = pa.schema({"i": pa.int32(), "m": pa.decimal128(12, 2), "s": pa.string(), "t": pa.date32(),
                    "u": pa.date32(), "note": pa.string()})
TERMS = [col("i") > 0, col("m") < 5, col("s") == "a", col("s").isin(["b", "c"]), col("t") >= DAY,
         col("i") != col("i"), col("t") < col("u"), col("u") <= DAY]
ROW = st.fixed_dictionaries({
    "i": st.one_of(st.none(), st.integers(-5, 5)),
    "m": st.one_of(st.none(), st.decimals(-10, 10, places=2, allow_nan=False, allow_infinity=False)),
    "s": st.one_of(st.none(), st.sampled_from(["a", "b", "c", "ü" * 40])),
    "t": st.one_of(st.none(), st.dates(DAY - datetime.timedelta(days=3), DAY + datetime.timedelta(days=3))),
    "u": st.one_of(st.none(), st.dates(DAY - datetime.timedelta(days=3), DAY + datetime.timedelta(days=3))),
    "note": st.one_of(st.none(), st.text(max_size=8)),
})


def _read(path: str, columns: list[str], predicate, keys: list[int] | None, encoded: list[str],
          fused: bool, output: list[str] | None = None, keys_first: bool | None = None,
          batch_size: int = 65536, staged: bool | None = None) -> list[dict]:
    """``keys_first``, ``staged``: the fused read's order held (None: chosen as the scan goes;
    staged only where the terms split in two)."""
    scan = FileScan("parquet", path, batch_size=batch_size)
    terms = []
    if keys is not None:
        build = KeyFilter()
        build.add(pa.array(keys, pa.int64()))
        terms = [KeyTerm("i", build)]
    f = ConjunctFilter(predicate, scan.project(columns), encoded, terms)
    assert f.fusable
    f.fusable = fused
    if keys_first is not None or staged is not None:
        f.keys_first = bool(keys_first)
        f.staged = bool(staged) and f.stages is not None
        f.record = lambda rows, passed: None  # type: ignore[method-assign]
    calls: list[int] = []
    original = NativeParquet.read_filtered

    def counted(self: NativeParquet, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)

    NativeParquet.read_filtered = counted  # type: ignore[method-assign]
    try:
        rows = [row for task in scan.tasks(columns)
                for batch in scan.read_filtered(task, columns, f, encoded, output=output)
                for row in (batch.to_pylist() if batch.num_columns else [{}] * batch.num_rows)]
    finally:
        NativeParquet.read_filtered = original  # type: ignore[method-assign]
    assert bool(calls) == (fused and bool(scan.tasks(columns)))  # native calls only when fused
    return rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=60), picked=st.lists(st.integers(0, len(TERMS) - 1), max_size=3),
       group=st.integers(1, 25), keys=st.one_of(st.none(), st.lists(st.integers(-5, 5), max_size=6)),
       encoded=st.booleans(), tail=st.booleans(),
       output=st.one_of(st.none(), st.sets(st.sampled_from(["note", "i", "s", "m", "t", "u"]))),
       batch=st.integers(1, 40))
def test_fused_and_stepwise_reads_keep_the_predicates_rows(tmp_path: Path, rows: list[dict], picked: list[int],
                                                           group: int, keys: list[int] | None, encoded: bool,
                                                           tail: bool, output: set[str] | None, batch: int) -> None:
    """Also when the read returns only some of its columns (``output``: the filter's own
    columns not among them are not taken to the rows that pass), or none (rows only), and
    whatever number of rows ends a native call (``batch``)."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=group)
    predicate = TERMS[picked[0]] if picked else None  # None: only the key filter, if any
    for i in picked[1:]:
        predicate = predicate & TERMS[i]
    columns = ["note", "i", "s", "m", "t", "u"] if tail else ["i", "s", "m", "t", "u"]
    if predicate is None and keys is None:
        return  # no filter at all: the scan reads without one
    keep = predicate.evaluate(table).to_pylist() if predicate is not None else [True] * len(rows)
    want = [{c: row[c] for c in columns} for row, k in zip(rows, keep)
            if k and (keys is None or row["i"] in keys)]
    as_dictionary = ["s"] if encoded else []
    returned = columns if output is None else [c for c in columns if c in output]
    for fused, keys_first, staged in ((True, False, False), (True, True, False), (True, False, True),
                                      (True, None, None), (False, None, None)):
        got = _read(path, columns, predicate, keys, as_dictionary, fused, None if output is None else returned,
                    keys_first, batch, staged)
        assert got == [{c: Decimal(str(r[c])) if c == "m" and r[c] is not None else r[c] for c in returned}
                       for r in want], f"fused={fused}, keys_first={keys_first}, staged={staged}"


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(0, 12), max_size=12), size=st.integers(1, 20),
       kinds=st.lists(st.sampled_from(["plain", "dictionary", "no columns"]), min_size=12, max_size=12))
def test_coalesced_batches_keep_every_row_in_order(sizes: list[int], size: int, kinds: list[str]) -> None:
    """The scan joins the small batches a selective filter leaves; rows and their order stay."""
    batches, start = [], 0
    for n, kind in zip(sizes, kinds):
        values = list(range(start, start + n))
        start += n
        if kind == "no columns":
            batches.append(pa.RecordBatch.from_pylist([{}] * n))
        elif kind == "dictionary":
            batches.append(pa.record_batch({"x": pa.array(values).dictionary_encode()}))
        else:
            batches.append(pa.record_batch({"x": pa.array(values)}))
    out = list(coalesced(batches, size))
    counts = [b.num_rows for b in batches if b.num_columns == 0 and b.num_rows]  # empty batches are dropped
    assert [b.num_rows for b in out if b.num_columns == 0] == counts
    with_columns = [v for b in out if b.num_columns for v in b.column(0).to_pylist()]
    assert with_columns == [v for b in batches if b.num_columns for v in b.column(0).to_pylist()]
    assert all(b.num_rows for b in out)

    def plain(b: pa.RecordBatch) -> bool:
        return b.num_columns > 0 and not pa.types.is_dictionary(b.schema.types[0])

    for b, after in zip(out, out[1:]):  # a short plain batch ends a run of small ones
        assert not plain(b) or b.num_rows >= size or not plain(after) or after.num_rows >= size


def test_columns_only_a_filter_reads_leave_the_scan_unread(tmp_path):
    """The scan's batches carry only the columns the plan reads above its filters, not those
    only the filters read."""
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"k": list(range(100)), "mode": ["AIR", "RAIL"] * 50, "v": [1.5] * 100,
                             "q": list(range(100))}), path)
    scanned = hr.read_parquet(str(path))
    query = scanned.filter(col("mode") == "AIR").filter(col("q") < 50).select("k", "v")
    push = _physical.Pushdown(query._node)
    source = next(n for n in _logical.walk(query._node) if isinstance(n, _logical.FileSource))
    assert push.scan_columns(source) == ["k", "mode", "v", "q"]
    assert push.scan_output(source) == ["k", "v"]
    assert query.collect().equals(pa.table({"k": list(range(0, 50, 2)), "v": [1.5] * 25}))
    # a column read above the filters too stays
    kept = scanned.filter(col("mode") == "AIR").select("k", "mode")
    push = _physical.Pushdown(kept._node)
    source = next(n for n in _logical.walk(kept._node) if isinstance(n, _logical.FileSource))
    assert push.scan_output(source) == ["k", "mode"]
    assert kept.collect().column("mode").to_pylist() == ["AIR"] * 50


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.integers(1, 3000), every=st.sampled_from([1, 3, 15, 16, 17, 40, 500, 5000]),
       offset=st.integers(0, 20), nulls=st.booleans(), encoded=st.booleans(), seed=st.integers(0, 2**16))
def test_few_rows_of_many_pages_read_as_the_whole_table(tmp_path: Path, rows: int, every: int, offset: int,
                                                        nulls: bool, encoded: bool, seed: int) -> None:
    """A key filter keeping one row in ``every`` (or none) of dictionary-encoded pages, small
    ones so a row group has many: a page with few kept rows reads only their dictionary
    indices, the others the whole page's; either way the rows are the table's."""
    rng = random.Random(seed)
    keys = list(range(offset, rows, every))

    def maybe(value: object) -> object:
        return None if nulls and rng.random() < 0.2 else value

    table = pa.table({
        "i": pa.array(range(rows), pa.int32()),
        "m": pa.array([maybe(Decimal(rng.randrange(-500, 500)) / 100) for _ in range(rows)], pa.decimal128(12, 2)),
        "s": pa.array([maybe(rng.choice(["a", "b", "ü" * 30, ""])) for _ in range(rows)], pa.string()),
        "note": pa.array([maybe(str(rng.randrange(rows // 2 + 1))) for _ in range(rows)], pa.string()),
    })
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=1 + rows // 2, data_page_size=256, use_dictionary=True)
    keep = set(keys)
    columns = ["i", "m", "s", "note"]
    want = [row for row in table.to_pylist() if row["i"] in keep]
    got = _read(path, columns, None, keys, ["s"] if encoded else [], True)
    assert got == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=60), picked=st.lists(st.sampled_from([1, 2, 3, 4]), min_size=1, max_size=3),
       group=st.integers(1, 25), keys=st.lists(st.integers(-5, 5), max_size=6), encoded=st.booleans())
def test_keys_first_reads_run_the_terms_over_the_rows_the_keys_left(tmp_path: Path, rows: list[dict],
                                                                   picked: list[int], group: int, keys: list[int],
                                                                   encoded: bool) -> None:
    """Terms not on the key column: read keys first (the key column, then the terms' columns
    for the rows its bitmap kept), the rows are those of terms first."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=group)
    predicate = TERMS[picked[0]]
    for i in picked[1:]:
        predicate = predicate & TERMS[i]
    keep = predicate.evaluate(table).to_pylist()
    columns = ["note", "i", "s", "m", "t"]
    want = [{c: Decimal(str(row[c])) if c == "m" and row[c] is not None else row[c] for c in columns}
            for row, k in zip(rows, keep) if k and row["i"] in keys]
    for keys_first in (True, False):
        assert _read(path, columns, predicate, keys, ["s"] if encoded else [], True, None, keys_first) == want


def test_a_scan_reads_keys_first_once_they_keep_fewer_rows_than_its_terms(tmp_path: Path) -> None:
    """The order is chosen from the rows read: a key filter keeping 1 row in 50 against terms
    keeping 90% goes first from the second row group on; one keeping half the rows against
    terms keeping 10% does not."""
    path = str(tmp_path / "t.parquet")
    n = 5000
    table = pa.table({"i": pa.array(range(n), pa.int32()),
                      "m": pa.array([Decimal(v % 10) for v in range(n)], pa.decimal128(12, 2))})
    pq.write_table(table, path, row_group_size=500)

    def orders(keys: range, predicate) -> list[bool]:
        """The order of each row group's read (True: keys first); checks the rows read."""
        scan = FileScan("parquet", path)
        build = KeyFilter()
        build.add(pa.array(list(keys), pa.int64()))
        f = ConjunctFilter(predicate, scan.project(["i", "m"]), [], [KeyTerm("i", build)])
        seen: list[bool] = []
        original = f.record

        def record(rows: int, passed: int) -> None:
            seen.append(f.keys_first)
            original(rows, passed)

        f.record = record  # type: ignore[method-assign]
        got = [r for task in scan.tasks(["i", "m"]) for b in scan.read_filtered(task, ["i", "m"], f, [])
               for r in b.to_pylist()]
        passes = predicate.evaluate(table).to_pylist()
        assert got == [row for row, p in zip(table.to_pylist(), passes) if p and row["i"] in set(keys)]
        return seen

    assert orders(range(0, n, 50), col("m") < 9) == [False] + [True] * 9
    assert orders(range(0, n, 2), col("m") < 1) == [False] * 10


def test_one_native_call_reads_row_groups_until_a_batch_passed(tmp_path: Path) -> None:
    """A selective filter over many row groups: one call takes them until the rows passed
    reach the scan's batch size, so the calls are fewer than the row groups, and a row group
    the native reader declines midway through a call (strings read as a dictionary where the
    writer fell back to plain pages, from row group 12 on) goes to pyarrow from there. The
    rows are the filter's either way."""
    table = pa.table({"j": pa.array([i % 50 for i in range(900)], pa.int32()),
                      "s": ["a", "b"] * 300 + [f"value-{i}" for i in range(300)]})
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=50, dictionary_pagesize_limit=64, write_batch_size=10,
                   data_page_size=64)
    calls: list[int] = []  # per native call, the row groups it read
    original = NativeParquet.read_filtered

    def counted(self: NativeParquet, *args: object, **kwargs: object) -> object:
        out = original(self, *args, **kwargs)
        calls.append(len(out))
        return out

    want = [r for r in table.to_pylist() if r["j"] == 7]  # a row per row group
    for batch_size, encoded, expected in ((1000, [], [18]), (5, [], [5, 5, 5, 3]), (5, ["s"], [5, 5, 2])):
        calls.clear()
        scan = FileScan("parquet", path, batch_size=batch_size)
        f = ConjunctFilter(col("j") == 7, scan.project(["j", "s"]), encoded)
        NativeParquet.read_filtered = counted  # type: ignore[method-assign]
        try:
            with configured(threads=1):
                (task,) = scan.tasks(["j", "s"])
            got = [{"j": r["j"], "s": str(r["s"])} for b in scan.read_filtered(task, ["j", "s"], f, encoded)
                   for r in b.to_pylist()]
        finally:
            NativeParquet.read_filtered = original  # type: ignore[method-assign]
        assert got == want, (batch_size, encoded)
        assert calls == expected, (batch_size, encoded)


STAGED = [(col("t") >= DAY) & (col("t") < col("u")),
          col("s").isin(["a", "b"]) & (col("u") <= DAY) & (col("t") < col("u")) & (col("i") > -3),
          (col("m") < 5) & (col("i") != col("i")) & (col("t") >= col("u"))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=80), which=st.integers(0, len(STAGED) - 1), group=st.integers(1, 25),
       encoded=st.booleans(), tail=st.booleans(), batch=st.integers(1, 40))
def test_staged_reads_keep_the_predicates_rows(tmp_path: Path, rows: list[dict], which: int, group: int,
                                               encoded: bool, tail: bool, batch: int) -> None:
    """A filter whose terms split in two (those on one column each, then those comparing a
    further column) read staged: the further columns are decoded only for the rows the
    first terms left, with the first terms' columns gathered to them. The rows are the
    predicate's, and the same read unstaged."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=group)
    predicate = STAGED[which]
    columns = ["note", "i", "s", "m", "t", "u"] if tail else ["i", "s", "m", "t", "u"]
    keep = predicate.evaluate(table).to_pylist()
    want = [{c: Decimal(str(r[c])) if c == "m" and r[c] is not None else r[c] for c in columns}
            for r, k in zip(rows, keep) if k]
    scan = FileScan("parquet", path)
    assert ConjunctFilter(predicate, scan.project(columns), ["s"] if encoded else []).stages is not None
    for staged in (True, False):
        assert _read(path, columns, predicate, None, ["s"] if encoded else [], True, None, None, batch, staged) == want


def test_a_staged_read_stays_staged_only_while_its_first_terms_are_selective(tmp_path: Path) -> None:
    """The first LEARN_GROUPS row groups are read one per call while the filter measures its
    first terms; it stays staged if they keep at most STAGE_BELOW of the rows, else reads the
    rest unstaged (several row groups a call). The rows are the predicate's either way."""
    from headrace._scan_filter import LEARN_GROUPS, STAGE_BELOW

    n = 4000
    table = pa.table({"a": pa.array([i % 100 for i in range(n)], pa.int32()),
                      "b": pa.array([(i * 7) % 100 for i in range(n)], pa.int32())})
    path = str(tmp_path / "t.parquet")
    pq.write_table(table, path, row_group_size=200)
    calls: list[int] = []
    original = NativeParquet.read_filtered

    def counted(self: NativeParquet, *args: object, **kwargs: object) -> object:
        out = original(self, *args, **kwargs)
        calls.append(len(out))
        return out

    assert 0.05 <= STAGE_BELOW < 0.9  # the two first terms below keep 5% and 90% of the rows
    for first, stays in ((col("a") < 5, True), (col("a") < 90, False)):
        predicate = first & (col("a") < col("b"))
        calls.clear()
        scan = FileScan("parquet", path)
        f = ConjunctFilter(predicate, scan.project(["a", "b"]), [])
        assert f.stages is not None and f.staged
        NativeParquet.read_filtered = counted  # type: ignore[method-assign]
        try:
            with configured(threads=1):
                (task,) = scan.tasks(["a", "b"])
            got = [r for b in scan.read_filtered(task, ["a", "b"], f, []) for r in b.to_pylist()]
        finally:
            NativeParquet.read_filtered = original  # type: ignore[method-assign]
        assert got == [r for r in table.to_pylist() if r["a"] < (5 if stays else 90) and r["a"] < r["b"]]
        assert f.staged == stays and f.order == ("staged" if stays else "terms")
        assert calls[:LEARN_GROUPS] == [1] * LEARN_GROUPS and len(calls) < n // 200
