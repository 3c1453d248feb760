import contextlib

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
