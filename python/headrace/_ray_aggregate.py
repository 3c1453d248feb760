"""A group-by split for a cluster: a partial aggregate per partition, a hash exchange on
the keys, and a final aggregate per partition that merges the partials.

Only functions whose partials merge exactly are split (count, sum, min, max, any, all,
and mean as a sum and a count); any other function makes the caller exchange the rows
themselves and aggregate once per partition.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from . import _logical
from ._agg_spec import AggSpec

# function -> how its partial results merge
_MERGE = {"count": "sum", "sum": "sum", "min": "min", "max": "max", "any": "any", "all": "all"}


def splittable(node: _logical.Aggregate) -> bool:
    return not node.maintain_order and all(s.function in _MERGE or s.function == "mean" for s in node.specs)


def partial(node: _logical.Aggregate, input: _logical.Node) -> _logical.Aggregate:
    """The partial aggregate of one partition: keys, then one or two columns per aggregate."""
    specs: list[AggSpec] = []
    for i, s in enumerate(node.specs):
        if s.function == "mean":
            specs += [AggSpec(f"__sum{i}", s.column, "sum"), AggSpec(f"__count{i}", s.column, "count")]
        else:
            specs.append(AggSpec(f"__part{i}", s.column, s.function))
    return _logical.Aggregate(input, node.keys, specs, False, node.operator)


def final(node: _logical.Aggregate, partials: _logical.Node) -> _logical.Node:
    """Merges the partials of the keys in one partition into ``node``'s output."""
    specs: list[AggSpec] = []
    means = False
    for i, s in enumerate(node.specs):
        if s.function == "mean":
            specs += [AggSpec(f"__sum{i}", f"__sum{i}", "sum"), AggSpec(f"__count{i}", f"__count{i}", "sum")]
            means = True
        else:
            specs.append(AggSpec(s.name, f"__part{i}", _MERGE[s.function]))
    merged = _logical.Aggregate(partials, node.keys, specs, False, node.operator)
    if not means:
        return merged
    return _logical.Transform(merged, _Means(node), node.schema, None, node.operator)


class _Means:
    """Turns the merged sums and counts into means (null where no value was counted) and
    puts the columns in the order and types of the original aggregate."""

    def __init__(self, node: _logical.Aggregate) -> None:
        self.keys = list(node.keys)
        self.specs = list(node.specs)
        self.schema = node.schema

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        columns = [batch.column(k) for k in self.keys]
        for i, s in enumerate(self.specs):
            if s.function != "mean":
                columns.append(batch.column(s.name))
                continue
            total = batch.column(f"__sum{i}").cast(pa.float64())
            count = batch.column(f"__count{i}")
            mean = pc.divide(total, pc.if_else(pc.equal(count, 0), None, count.cast(pa.float64())))
            columns.append(mean)
        return pa.RecordBatch.from_arrays([c.cast(f.type) for c, f in zip(columns, self.schema)], schema=self.schema)
