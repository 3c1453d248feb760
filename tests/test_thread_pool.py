"""The runtime's threads outlive runs: a run's drivers take idle threads of the process's
pool (each keeps its Python thread state), so a small run does not pay for creating threads."""

import multiprocessing
import subprocess
import sys
import threading

import pyarrow as pa

import headrace as hr


def _native_id(x):
    return threading.get_native_id()


def test_runs_one_after_another_reuse_the_same_threads():
    pipe = hr.Pipeline([hr.Step(_native_id, workers=2), hr.Step(_native_id)])
    seen = set()
    for _ in range(20):
        seen.update(pipe.run(range(50)))
    # Without the pool each run would start three new threads (Linux numbers threads anew).
    assert 1 <= len(seen) <= 8


def test_a_thread_of_a_failed_run_serves_the_next_run():
    def fail(x):
        raise ValueError("boom")

    for _ in range(3):
        try:
            hr.Pipeline([hr.Step(fail, workers=2)]).run(range(10))
        except hr.PipelineError as error:
            assert isinstance(error.__cause__, ValueError)
    assert hr.Pipeline([hr.Step(lambda x: x + 1, workers=2)]).run(range(100)) == list(range(1, 101))


def _child_run(results):
    table = hr.from_arrow(pa.table({"k": [1, 2, 1], "v": [1, 2, 3]})).groupby("k").agg(s=("v", "sum"))
    results.put(sorted(table.collect().to_pylist(), key=lambda r: r["k"]))


def test_a_forked_child_runs_on_threads_of_its_own():
    """The parent's pool threads do not exist in a forked child: the child starts its own."""
    assert hr.Pipeline([hr.Step(lambda x: x, workers=2)]).run(range(10)) == list(range(10))
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child_run, args=(results,))
    child.start()
    try:
        assert results.get(timeout=60) == [{"k": 1, "s": 4}, {"k": 2, "s": 2}]
    finally:
        child.join(timeout=60)
    assert child.exitcode == 0


def _exit_status(tmp_path, script: str) -> subprocess.CompletedProcess:
    """``script`` run as a file by a fresh interpreter (the exit paths differ from ``-c``)."""
    path = tmp_path / "script.py"
    path.write_text(script)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)


def test_the_interpreter_exits_cleanly_with_a_run_left_open(tmp_path):
    """A run still going at exit (a generator never closed) is cancelled and joined before
    the interpreter finalizes: its threads would otherwise ask for the GIL too late."""
    done = _exit_status(tmp_path, (
        "import headrace as hr, pyarrow as pa\n"
        "ds = hr.from_arrow(pa.table({'x': list(range(200_000))})).filter(hr.col('x') % 2 == 0)\n"
        "batches = ds.iter_batches()\n"
        "print(next(batches).num_rows > 0)\n"
    ))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_the_interpreter_exits_cleanly_while_a_daemon_thread_reads_a_run(tmp_path):
    """The exit hook cancels the daemon thread's run; the thread, taken off by the
    finalizing interpreter when it asks for the GIL again, does not abort the process."""
    done = _exit_status(tmp_path, (
        "import threading, time\n"
        "import headrace as hr\n"
        "running = threading.Event()\n"
        "def slow(x):\n"
        "    if x == 50:  # the reader is in its loop by now\n"
        "        running.set()\n"
        "    time.sleep(0.01)\n"
        "    return x\n"
        "def work():\n"
        "    hr.Pipeline([hr.Step(slow, workers=2)]).run(range(10_000))\n"
        "threading.Thread(target=work, daemon=True).start()\n"
        "running.wait(30)\n"
        "print('exiting')\n"
    ))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exiting"
