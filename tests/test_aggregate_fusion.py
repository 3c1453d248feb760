"""Projections fused into the aggregation (``_aggregate_fusion``): decimal ``+ - *`` columns
that only feed aggregates are computed by the kernel a chunk at a time. The answers equal
those of the projections run as written (fusion off) and exact Decimal arithmetic, with
nulls, batch and chunk boundaries, values beyond 64 bits (the kernel hands the rest of the
batch back), renames and shadowed names; what cannot be fused runs as before."""

from __future__ import annotations

import contextlib
import decimal
from typing import Any

import pyarrow as pa
import pytest
from conftest import configured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headrace as hr
from headrace import _aggregate_fusion, _physical, col

pytestmark = pytest.mark.timeout(120)

D2 = pa.decimal128(15, 2)


@contextlib.contextmanager
def unfused():
    """Plans made inside run every projection as written."""
    real = _physical.fuse
    _physical.fuse = lambda *args: None
    try:
        yield
    finally:
        _physical.fuse = real


def lines(rows: int, keys: int = 3, nulls: bool = True, big_row: int | None = None) -> pa.Table:
    """price, discount, tax decimal(15, 2) and a key; every 7th price null when ``nulls``;
    ``big_row``'s price needs more than 64 bits (decimal(38, 2) then)."""
    price = [None if nulls and i % 7 == 3 else decimal.Decimal(f"{(i * 37) % 100000}.{i % 100:02d}")
             for i in range(rows)]
    kind = D2
    if big_row is not None:
        price[big_row] = decimal.Decimal("123456789012345678901.25")
        kind = pa.decimal128(38, 2)
    return pa.table({
        "k": pa.array([f"k{i % keys}" for i in range(rows)], pa.string()),
        "price": pa.array(price, kind),
        "discount": pa.array([decimal.Decimal(f"0.0{i % 10}") for i in range(rows)], D2),
        "tax": pa.array([None if nulls and i % 11 == 5 else decimal.Decimal(f"0.0{i % 9}") for i in range(rows)], D2),
    })


def q1_like(ds: hr.DataStream) -> hr.DataStream:
    return (ds.with_columns(disc_price=col("price") * (1 - col("discount")))
            .with_columns(charge=col("disc_price") * (1 + col("tax")))
            .groupby("k")
            .agg(sum_price=("price", "sum"), sum_disc=("disc_price", "sum"), sum_charge=("charge", "sum"),
                 mean_charge=("charge", "mean"), n_charge=("charge", "count"), n=("*", "count"))
            .sort("k"))


def exact(table: pa.Table) -> dict[str, tuple[Any, ...]]:
    """The q1_like answer in plain Decimal arithmetic."""
    groups: dict[str, list[Any]] = {}
    for row in table.to_pylist():
        g = groups.setdefault(row["k"], [None, None, None, 0, 0])
        p, d, t = row["price"], row["discount"], row["tax"]
        disc = None if p is None else p * (1 - d)
        charge = None if disc is None or t is None else disc * (1 + t)
        for i, v in enumerate((p, disc, charge)):
            if v is not None:
                g[i] = v if g[i] is None else g[i] + v
        g[3] += charge is not None
        g[4] += 1
    return {k: tuple(v) for k, v in groups.items()}


def check_exact(result: pa.Table, table: pa.Table) -> None:
    want = exact(table)
    got = {r["k"]: (r["sum_price"], r["sum_disc"], r["sum_charge"], r["n_charge"], r["n"]) for r in result.to_pylist()}
    assert got == want
    for r in result.to_pylist():
        s, n = want[r["k"]][2], want[r["k"]][3]
        assert r["mean_charge"] == (pytest.approx(float(s) / n, rel=1e-12) if n else None)


def test_q1_shape_is_fused_and_exact() -> None:
    table = lines(10_000)
    q = q1_like(hr.from_arrow(table))
    text = q.explain(as_text=True)
    assert text.count("[computed by the aggregation]") == 2
    with unfused():
        assert "computed by the aggregation" not in q1_like(hr.from_arrow(table)).explain(as_text=True)
        want = q1_like(hr.from_arrow(table)).collect()
    for threads in (1, 2):
        with configured(threads=threads, batch_size=3000):
            got = q.collect()
        assert got.equals(want)
        assert got.schema == want.schema
    check_exact(want, table)


@pytest.mark.parametrize("big_row", [0, 4095, 4096, 9999])
def test_values_beyond_64_bits_are_computed_as_written(big_row: int, monkeypatch: pytest.MonkeyPatch) -> None:
    completed: list[int] = []
    make = _aggregate_fusion._completion

    def counting(*args: Any) -> Any:
        complete = make(*args)
        return lambda batch: (completed.append(batch.num_rows), complete(batch))[1]

    monkeypatch.setattr(_aggregate_fusion, "_completion", counting)
    table = lines(10_000, big_row=big_row)
    with unfused():
        want = q1_like(hr.from_arrow(table)).collect()
    with configured(batch_size=10_000, threads=1):
        got = q1_like(hr.from_arrow(table)).collect()
    assert got.equals(want)
    check_exact(got, table)
    assert completed == [10_000 - big_row // 4096 * 4096]  # from the chunk of the big value on


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.sampled_from([0, 1, 255, 4096, 4097, 9000]), batch=st.sampled_from([1, 100, 4096, 5000]),
       keys=st.integers(1, 40), nulls=st.booleans(), threads=st.sampled_from([1, 2]))
def test_fused_answers_do_not_depend_on_batches(rows: int, batch: int, keys: int, nulls: bool,
                                                threads: int) -> None:
    table = lines(rows, keys, nulls)
    with unfused():
        want = q1_like(hr.from_arrow(table)).collect()
    with configured(threads=threads, batch_size=batch):
        got = q1_like(hr.from_arrow(table)).collect()
    assert got.equals(want)


def test_renames_shadowing_literals_and_maintain_order() -> None:
    table = lines(5000)

    def query(ds: hr.DataStream) -> hr.DataStream:
        return (ds.rename({"price": "p"})
                .with_columns(p=col("p") * 2, scaled=3 * col("tax") - col("discount"))
                .select("k", "p", "scaled", (col("p") + 1).alias("bumped"))
                .groupby("k", maintain_order=True)
                .agg(p=("p", "sum"), scaled=("scaled", "sum"), bumped=("bumped", "max"), first=("p", "first")))
    with unfused():
        want = query(hr.from_arrow(table)).collect()
    q = query(hr.from_arrow(table))
    assert "computed by the aggregation" in q.explain(as_text=True)
    assert q.collect().equals(want)
    assert want.column("p")[0].as_py() == 2 * sum(p for p, k in zip(table.column("price").to_pylist(),
                                                                      table.column("k").to_pylist())
                                                    if p is not None and k == "k0")


@pytest.mark.parametrize("make", [
    # A key computed by the projection.
    lambda ds: ds.with_columns(k2=col("discount") > 0.05, v=col("price") * 2).groupby("k2").agg(v=("v", "sum")),
    # Not decimal arithmetic.
    lambda ds: ds.with_columns(v=col("price").cast(pa.float64()) * 2).groupby("k").agg(v=("v", "sum")),
    # Only columns passed on: nothing to compute.
    lambda ds: ds.select("k", "price").groupby("k").agg(v=("price", "sum")),
])
def test_what_cannot_be_fused_runs_as_written(make: Any) -> None:
    table = lines(3000)
    q = make(hr.from_arrow(table))
    assert "computed by the aggregation" not in q.explain(as_text=True)
    with unfused():
        want = make(hr.from_arrow(table)).collect().sort_by(q.columns[0])
    assert q.collect().sort_by(q.columns[0]).equals(want)


def test_a_shared_projection_is_not_fused() -> None:
    ds = hr.from_arrow(lines(2000)).with_columns(v=col("price") * col("discount"))
    both = ds.groupby("k").agg(v=("v", "sum")).select("v").union(ds.select("v").agg(v=("v", "sum")))
    text = both.explain(as_text=True)
    assert "computed by the aggregation" not in text
    with unfused():
        want = sorted(both.collect().column("v").to_pylist())
    assert sorted(both.collect().column("v").to_pylist()) == want


def test_the_upper_projections_fuse_when_lower_ones_cannot() -> None:
    table = lines(3000)

    def query(ds: hr.DataStream) -> hr.DataStream:
        return (ds.with_columns(label=col("discount") > 0.05)
                .with_columns(v=col("price") * (1 - col("discount")))
                .groupby("label").agg(v=("v", "sum")).sort("label"))

    q = query(hr.from_arrow(table))
    assert q.explain(as_text=True).count("[computed by the aggregation]") == 1  # v's, above the one making a key
    with unfused():
        want = query(hr.from_arrow(table)).collect()
    assert q.collect().equals(want)
