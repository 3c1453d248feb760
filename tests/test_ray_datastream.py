"""DataStreams on a local Ray cluster give the answers of a local run: group-by (split and
not), joins (hash-partitioned and broadcast), stateful_transform with partition_by, sort,
limit, union, file sources split across actors, and TPC-H Q1/Q6."""

from __future__ import annotations

import subprocess
import sys

import cloudpickle
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import configured

import headrace as hr
from headrace import _ray_plan
from headrace.benchmarks.tpch import answers, datagen, queries_headrace

pytest.importorskip("ray")
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import the tests folder
pytestmark = [pytest.mark.usefixtures("ray_cluster"), pytest.mark.timeout(120)]

N = 20_000


def same(q: hr.DataStream, by: list[str] | None = None) -> pa.Table:
    """Runs ``q`` locally and on Ray; asserts equal tables (sorted on ``by`` if given)."""
    local, remote = q.collect(), q.collect(backend="ray")
    if by is not None:
        local, remote = local.sort_by([(k, "ascending") for k in by]), remote.sort_by([(k, "ascending") for k in by])
    assert remote.schema == local.schema
    assert remote.to_pydict() == local.to_pydict()
    return remote


def table(n: int = N) -> pa.Table:
    return pa.table({
        "k": [i % 13 for i in range(n)],
        "s": [f"g{i % 5}" if i % 11 else None for i in range(n)],
        "v": list(range(n)),
        "x": [float(i % 97) / 4 for i in range(n)],
    })


def test_groupby_partial_and_final_aggregates() -> None:
    q = hr.from_arrow(table()).filter(hr.col("v") % 3 != 0).groupby("k", "s").agg(
        total=("v", "sum"), n=("*", "count"), nx=("x", "count"), lo=("x", "min"), hi=("s", "max"), avg=("x", "mean"))
    got = same(q, ["k", "s"])
    assert got.num_rows == 13 * 6


def test_groupby_functions_that_do_not_split_exchange_rows() -> None:
    q = hr.from_arrow(table()).groupby("k").agg(d=("s", "count_distinct"), sd=("x", "std"))
    same(q, ["k"])
    ordered = hr.from_arrow(table()).groupby("s", maintain_order=True).agg(n=("*", "count"))
    assert ordered.collect(backend="ray").to_pydict() == ordered.collect().to_pydict()


def test_aggregate_without_keys_and_count() -> None:
    ds = hr.from_arrow(table())
    same(ds.agg(total=("v", "sum"), avg=("x", "mean"), n=("*", "count")))
    with configured(backend="ray"):
        assert ds.filter(hr.col("k") == 3).count() == sum(1 for i in range(N) if i % 13 == 3)
    empty = ds.filter(hr.col("v") < 0).agg(total=("v", "sum"), avg=("x", "mean"), n=("*", "count"))
    same(empty)


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer", "semi", "anti"])
def test_hash_partitioned_joins(how: str) -> None:
    left = hr.from_arrow(table(4000))
    right = hr.from_arrow(pa.table({"k": pa.array([i % 17 for i in range(340)], pa.int32()),
                                    "w": [i * 2 for i in range(340)]}))
    sort = ["v", "w"] if how not in ("semi", "anti") else ["v"]
    if how in ("right", "outer"):
        sort = ["k", "v", "w"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_ray_plan, "BROADCAST_ROWS", 0)  # both sides exchanged by hash, int32 against int64 keys
        same(left.join(right, on="k", how=how), sort)


def test_broadcast_join_of_a_small_side() -> None:
    small = hr.from_arrow({"k": list(range(10)), "name": [f"n{i}" for i in range(10)]})
    q = hr.from_arrow(table()).join(small, on="k", how="left")
    assert q.explain(as_text=True)  # the plan itself is the local one
    same(q, ["v"])


def test_self_join_on_string_keys() -> None:
    ds = hr.from_arrow(table(2000)).filter(hr.col("s").is_not_null())
    other = ds.groupby("s").agg(n=("*", "count"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_ray_plan, "BROADCAST_ROWS", 0)
        same(ds.join(other, on="s"), ["v"])


class KeyCounter(hr.Executor):
    """Counts rows per key and reports which instance saw them."""

    def open(self, ctx):
        self.seen = {}
        self.who = (ctx.worker, ctx.workers)

    def execute(self, batch, ctx):
        for k in batch.column("k").to_pylist():
            self.seen[k] = self.seen.get(k, 0) + 1

    def finish(self, ctx):
        return pa.table({"k": list(self.seen), "n": list(self.seen.values()),
                         "worker": [self.who[0]] * len(self.seen), "workers": [self.who[1]] * len(self.seen)})


SCHEMA = {"k": pa.int64(), "n": pa.int64(), "worker": pa.int64(), "workers": pa.int64()}


@pytest.mark.parametrize("parallelism", [1, 3])
def test_stateful_transform_with_partition_by(parallelism: int) -> None:
    q = hr.from_arrow(table()).stateful_transform(KeyCounter(), new_schema=SCHEMA, partition_by="k",
                                                  parallelism=parallelism)
    got = same(q, ["k"])
    assert sorted(set(got.column("workers").to_pylist())) == [parallelism]


def test_stateful_transform_without_partition_by_sees_every_row() -> None:
    q = hr.from_arrow(table()).stateful_transform(KeyCounter(), new_schema=SCHEMA)
    same(q, ["k"])


def test_sort_limit_union_keep_the_local_order() -> None:
    ds = hr.from_arrow(table())
    same(ds.sort(["k", "v"], descending=[True, False]).limit(25))
    # A union interleaves its inputs' batches as they come (DataStream.union): the same rows.
    same(ds.union(ds.filter(hr.col("k") == 1)).select("v", "k"), ["v", "k"])
    same(ds.limit(7))


def test_file_sources_split_across_actors(tmp_path) -> None:
    data = table()
    for i in range(4):
        pq.write_table(data.slice(i * N // 4, N // 4), tmp_path / f"part{i}.parquet", row_group_size=1000)
    ds = hr.read_parquet(str(tmp_path / "*.parquet"))
    same(ds.filter(hr.col("x") > 3).select("v", "k"))  # file order is kept
    same(ds.groupby("k").agg(n=("*", "count"), t=("v", "sum")), ["k"])
    same(ds.join(ds.select("v", (hr.col("x") * 2).alias("y")), on="v"), ["v"])


def test_backend_from_config() -> None:
    ds = hr.from_arrow(table()).groupby("k").agg(n=("*", "count"))
    with configured(backend="ray"):
        assert hr.config()["backend"] == "ray"
        got = ds.collect().sort_by("k")
    assert got.to_pydict() == ds.collect(backend="local").sort_by("k").to_pydict()
    with pytest.raises(ValueError, match="backend must be one of"):
        ds.collect(backend="spark")


@pytest.fixture(scope="module")
def tpch_small(tmp_path_factory: pytest.TempPathFactory):
    if datagen.find_tpchgen() is None:
        pytest.skip("tpchgen-cli is not installed")
    return datagen.tpch_data(0.01, root=tmp_path_factory.mktemp("tpch"))


@pytest.mark.parametrize("query", [1, 6, 3, 5])
def test_tpch_queries_match_local(query: int, tpch_small) -> None:
    q = queries_headrace.QUERIES[query](tpch_small)
    local, remote = q.collect(), q.collect(backend="ray")
    assert local.num_rows > 0
    assert answers.differences(remote, local, ordered=query in answers.ORDERED) == []


def test_import_headrace_does_not_import_ray() -> None:
    code = "import sys, headrace; sys.exit(int('ray' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
