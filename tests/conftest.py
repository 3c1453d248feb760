import contextlib

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq
import pytest

import headrace as hr


class SharedLog(list):
    """A list that every copy of an executor shares (executors are copied per worker)."""

    def __deepcopy__(self, memo):
        return self


@pytest.fixture
def calls():
    return SharedLog()


@contextlib.contextmanager
def configured(**settings):
    """hr.config(**settings) for the duration of a with block (test modules import this)."""
    before = {name: hr.config()[name] for name in settings}
    hr.config(**settings)
    try:
        yield
    finally:
        hr.config(**before)


def threads(n: int):
    """Runs with ``n`` worker threads inside the with block."""
    return configured(threads=n)


def pyarrow_read(fmt: str, path: str) -> pa.Table:
    """A file as pyarrow's own whole-file reader sees it (the reference of the scan tests)."""
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "csv":
        return pcsv.read_csv(path)
    if fmt == "ipc":
        return pa.ipc.open_file(path).read_all()
    return pjson.read_json(path)
