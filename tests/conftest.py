import pytest


class SharedLog(list):
    """A list that every copy of an executor shares (executors are copied per worker)."""

    def __deepcopy__(self, memo):
        return self


@pytest.fixture
def calls():
    return SharedLog()
