"""The suites ``python -m headrace bench`` knows, by name, in the order it runs them.

A suite is a module with ``ENGINES`` (its engines' names, headrace among them) and
``run_suite(options: SuiteOptions) -> SuiteRun`` (see :mod:`headrace.benchmarks._suite`);
adding one is adding its entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Entry:
    module: str
    summary: str  # what it measures, for --help


SUITES: dict[str, Entry] = {
    "pipeline": Entry(
        "headrace.benchmarks.pipeline_throughput",
        "hr.Pipeline of small steps and of a GIL-releasing step, against a plain loop, threads with "
        "queue.Queue, Neuraxle and minipipe",
    ),
    "scan": Entry(
        "headrace.benchmarks.datastream_scan",
        "Parquet scan -> filter -> with_columns -> collect, against pyarrow, Polars and DuckDB",
    ),
    "groupby": Entry(
        "headrace.benchmarks.groupby",
        "group-by with 10 aggregates (int and utf8 keys), against pyarrow, Polars, DuckDB and pandas",
    ),
    "join": Entry(
        "headrace.benchmarks.join",
        "hash joins (int and utf8 keys, inner and left), against pyarrow, Polars, DuckDB and pandas",
    ),
    "tpch": Entry(
        "headrace.benchmarks.tpch.suite",
        "TPC-H queries 1 3 4 5 6 10 12 14 19 on tpchgen-cli Parquet files, against Polars and DuckDB",
    ),
}


def load(name: str) -> ModuleType:
    """The module of the suite ``name``."""
    return importlib.import_module(SUITES[name].module)
