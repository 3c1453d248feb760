"""The buffers headrace's own pyarrow calls allocate during a run come from the C allocator
(``_arrow_pool.POOL``), not from pyarrow's default pool, whose pages several threads fault
in afresh again and again (see ``headrace/_arrow_pool.py``)."""

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import headrace as hr
from headrace._arrow_pool import POOL

ROWS = 200_000


def default_pool_growth(run):
    """Bytes the default pool holds more after ``run()`` while its result is kept."""
    before = pa.total_allocated_bytes()
    result = run()
    grown = pa.total_allocated_bytes() - before
    del result
    return grown


def test_the_pool_is_the_c_allocators():
    assert POOL.backend_name == "system"


def test_a_sort_takes_its_rows_into_the_runs_pool():
    table = pa.table({"k": np.random.default_rng(0).permutation(ROWS)})
    ds = hr.from_arrow(table).sort("k")
    assert default_pool_growth(ds.collect) < ROWS  # the sorted 8 bytes per row are elsewhere
    assert ds.collect().column("k").to_pylist() == list(range(ROWS))


def test_decimal_arithmetic_results_come_from_the_runs_pool():
    price = pa.array([Decimal(i) / 100 for i in range(ROWS)], pa.decimal128(15, 2))
    ds = hr.from_arrow(pa.table({"p": price})).with_columns(q=hr.col("p") * hr.col("p")).select("q")
    assert default_pool_growth(ds.collect) < ROWS  # 16 bytes per row
    assert ds.collect().column("q")[3].as_py() == Decimal("0.0009")


def test_small_filtered_batches_are_joined_in_the_runs_pool(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"k": np.arange(ROWS), "v": np.arange(ROWS) * 2}), path, row_group_size=1000)
    ds = hr.read_parquet(str(path)).filter(hr.col("k") % 10 == 0)
    assert default_pool_growth(ds.collect) < ROWS
    assert ds.collect().column("v").to_pylist() == list(range(0, 2 * ROWS, 20))
