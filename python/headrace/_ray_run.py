"""Runs a DataStream's plan on a Ray cluster (``backend="ray"``) and streams the result
back to the caller as Arrow record batches, in the order a local run gives them."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from . import _config, _logical
from ._ray_cluster import check_shippable, pool, ray_module, translate
from ._ray_plan import RayPlanner


def iter_batches(root: _logical.Node) -> Iterator[pa.RecordBatch]:
    """The result of ``root`` computed on the cluster; Ray's failures as ``hr.PipelineError``."""
    check_shippable(root)  # before connecting: nothing runs if some step cannot travel
    ray = ray_module()
    actors = pool()
    try:
        refs = RayPlanner(root, actors.size, actors.submit, actors.put, _config.get("batch_size")).results()
        for ref in refs:
            yield from ray.get(ref).to_batches()
    except ray.exceptions.RayError as exc:
        error = translate(exc)
        raise error from error.__cause__
