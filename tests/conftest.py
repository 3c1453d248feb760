import contextlib
import os
import signal
import sys
import threading

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


def _send_sigint() -> None:
    if sys.platform == "win32":
        # On Windows os.kill(pid, SIGINT) ends the process (TerminateProcess); raise_signal
        # runs Python's handler as a console Ctrl-C does.
        signal.raise_signal(signal.SIGINT)
    else:
        os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def ctrl_c():
    """``ctrl_c(after)`` sends this process SIGINT in ``after`` seconds, as Ctrl-C does. Python's
    own handler is installed for the test: a shell starts background jobs with SIGINT
    ignored, and Python then keeps it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timers: list[threading.Timer] = []

    def press(after: float) -> None:
        timer = threading.Timer(after, _send_sigint)
        timers.append(timer)
        timer.start()

    yield press
    for timer in timers:
        timer.cancel()
        timer.join()
    signal.signal(signal.SIGINT, previous)


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


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster (2 CPUs, no dashboard, no usage stats, on 127.0.0.1) for the
    whole session, started by the first test that asks for it; skips without Ray."""
    import logging
    import os

    ray = pytest.importorskip("ray")
    from headrace import _ray_cluster

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Ray turns 127.0.0.1 into the machine's reachable address unless multi-node clusters are
    # off (the default on Windows and macOS only); off, the node stays on the loopback.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", logging_level=logging.WARNING,
             log_to_driver=False)
    yield ray
    _ray_cluster.discard_pool()
    ray.shutdown()
