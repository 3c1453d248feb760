"""Pipeline semantics: feeding, outputs, statefulness, reuse, batching."""

import numpy as np
import pyarrow as pa
import pytest

import headrace as hr


class RunningSum(hr.Executor):
    def open(self, ctx):
        self.total = 0

    def execute(self, batch, ctx):
        self.total += batch
        return self.total


class CountAtEnd(hr.Executor):
    def open(self, ctx):
        self.n = 0

    def execute(self, batch, ctx):
        self.n += 1

    def finish(self, ctx):
        return self.n


def test_run_feeds_data_and_returns_last_step_outputs():
    assert hr.Pipeline([lambda x: x * 2, lambda x: x + 1]).run(range(5)) == [1, 3, 5, 7, 9]


def test_stateful_executor_and_finish_output():
    assert hr.Pipeline([RunningSum(), CountAtEnd()]).run([1, 2, 3]) == [3]
    assert hr.Pipeline([RunningSum()]).run([1, 2, 3]) == [1, 3, 6]


def test_none_is_no_output_and_generators_give_several():
    def evens(x):
        return x if x % 2 == 0 else None

    def twice(x):
        yield x
        yield x

    assert hr.Pipeline([evens, twice]).run(range(5)) == [0, 0, 2, 2, 4, 4]


def test_finish_may_yield_several_outputs():
    class Tail(hr.Executor):
        def execute(self, batch, ctx):
            return None

        def finish(self, ctx):
            yield "a"
            yield "b"

    assert hr.Pipeline([Tail()]).run([1, 2]) == ["a", "b"]


def test_source_kinds():
    def gen():
        yield from range(3)

    class Emit(hr.Executor):
        def execute(self, batch, ctx):
            assert batch is None
            yield from "ab"

        def finish(self, ctx):
            return "z"

    assert hr.Pipeline([hr.Source([1, 2]), str]).run() == ["1", "2"]
    assert hr.Pipeline([hr.Source(gen), str]).run() == ["0", "1", "2"]
    assert hr.Pipeline([hr.Source(Emit()), str.upper]).run() == ["A", "B", "Z"]


def test_source_generator_function_restarts_on_every_run():
    def gen():
        yield from range(3)

    pipe = hr.Pipeline([hr.Source(gen), lambda x: x])
    assert pipe.run() == pipe.run() == [0, 1, 2]


def test_one_shot_source_refuses_a_second_run():
    pipe = hr.Pipeline([hr.Source(x for x in range(3)), str])
    assert pipe.run() == ["0", "1", "2"]
    with pytest.raises(ValueError, match="used up by an earlier run"):
        pipe.run()


def test_source_and_data_are_exclusive():
    with pytest.raises(ValueError, match="Source"):
        hr.Pipeline([hr.Source([1]), str]).run([1])
    with pytest.raises(ValueError, match="no Source"):
        hr.Pipeline([str]).run()


def test_empty_input_gives_empty_output_and_still_runs_finish():
    assert hr.Pipeline([str]).run([]) == []
    assert hr.Pipeline([CountAtEnd()]).run([]) == [0]


def test_pipeline_object_runs_again_with_fresh_state():
    pipe = hr.Pipeline([RunningSum()])
    assert pipe.run([1, 1]) == [1, 2]
    assert pipe.run([5]) == [5]


def test_user_executor_instance_is_not_mutated():
    ex = RunningSum()
    hr.Pipeline([ex]).run([1, 2])
    assert not hasattr(ex, "total")


def test_iter_streams_and_stops_early():
    closed = []

    class Tracked(hr.Executor):
        def execute(self, batch, ctx):
            return batch

        def close(self, ctx):
            closed.append(ctx.worker)

    it = hr.Pipeline([hr.Step(Tracked(), workers=2)], queue_size=2).iter(range(10**9))
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()  # cancels the run; every instance is closed
    assert sorted(closed) == [0, 1]


def test_python_objects_pass_through_unchanged():
    items = [{"a": 1}, (1, 2), "é" * 1_000_000, np.arange(3)]
    out = hr.Pipeline([lambda x: x]).run(items)
    assert out[0] == {"a": 1} and out[1] == (1, 2) and out[2] == items[2]
    assert out[3] is items[3]


def test_none_items_from_data_reach_steps():
    seen = []
    hr.Pipeline([lambda x: seen.append(x)]).run([None, 1])
    assert seen == [None, 1]


def test_context_tells_step_worker_and_workers(calls):
    class Who(hr.Executor):
        def open(self, ctx):
            calls.append((ctx.step, ctx.worker, ctx.workers))

        def execute(self, batch, ctx):
            return batch

    hr.Pipeline([hr.Step(Who(), name="who", workers=3)]).run(range(10))
    assert sorted(calls) == [("who", 0, 3), ("who", 1, 3), ("who", 2, 3)]


def test_more_workers_than_items():
    assert hr.Pipeline([hr.Step(lambda x: x + 1, workers=8)]).run([1]) == [2]


def test_duplicate_step_names_get_suffixes():
    pipe = hr.Pipeline([str, str, str])
    pipe.run([1])
    assert list(pipe.stats) == ["input", "str", "str_1", "str_2"]


# ---- transform ---------------------------------------------------------------------------

def test_transform_list_keeps_and_drops_incomplete_batch(calls):
    def sizes(batch):
        calls.append(len(batch))
        return [x * 10 for x in batch]

    pipe = hr.Pipeline([sizes])
    assert pipe.transform(list(range(7)), batch_size=3) == [0, 10, 20, 30, 40, 50, 60]
    assert calls == [3, 3, 1]
    calls.clear()
    assert pipe.transform(list(range(7)), batch_size=3, keep_incomplete_batch=False) == [0, 10, 20, 30, 40, 50]
    assert calls == [3, 3]


def test_transform_numpy_and_arrow():
    arr = np.arange(10.0)
    out = hr.Pipeline([lambda a: a * 2]).transform(arr, batch_size=4)
    np.testing.assert_array_equal(out, arr * 2)

    table = pa.table({"x": list(range(10))})
    out = hr.Pipeline([lambda t: t.append_column("y", pa.compute.multiply(t["x"], 2))]).transform(table, batch_size=3)
    assert out.column("y").to_pylist() == [2 * i for i in range(10)]


def test_transform_pandas_and_polars_split_rows():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    df = pd.DataFrame({"x": range(7)})
    out = hr.Pipeline([lambda b: b.assign(y=b["x"] * 2)]).transform(df, batch_size=3)
    assert out["y"].tolist() == [2 * i for i in range(7)]
    assert hr.Pipeline([len]).run([df]) == [7]
    frame = pl.DataFrame({"x": list(range(7))})
    out = hr.Pipeline([lambda b: b.with_columns(y=pl.col("x") * 2)]).transform(frame, batch_size=3)
    assert out["y"].to_list() == [2 * i for i in range(7)]
    assert hr.Pipeline([len]).transform(frame.head(0), batch_size=3).shape == (0, 1)


def test_transform_empty_calls_no_step():
    def boom(batch):
        raise AssertionError("called")

    pipe = hr.Pipeline([boom])
    assert pipe.transform([], batch_size=2) == []
    assert pipe.transform(np.array([]), batch_size=2).shape == (0,)
    assert pipe.transform(pa.table({"x": pa.array([], pa.int64())}), batch_size=2).num_rows == 0
    assert pipe.transform([1], batch_size=2, keep_incomplete_batch=False) == []


# ---- construction errors -----------------------------------------------------------------

@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_invalid_workers(workers):
    with pytest.raises(ValueError, match="step 'str': workers"):
        hr.Step(str, workers=workers)


def test_invalid_queue_sizes():
    with pytest.raises(ValueError, match="queue_size"):
        hr.Step(str, queue_size=0)
    with pytest.raises(ValueError, match="queue_size"):
        hr.Pipeline([str], queue_size=0)


def test_step_must_be_callable_or_executor():
    with pytest.raises(TypeError, match="step 'int'.*callable"):
        hr.Pipeline([42])
    with pytest.raises(TypeError, match="instance of RunningSum"):
        hr.Step(RunningSum)
    with pytest.raises(TypeError, match="Source can only be the first"):
        hr.Pipeline([str, hr.Source([1])])


# ---- stats and diagram -------------------------------------------------------------------

def test_stats_count_items_and_queue_high_water():
    def twice(x):
        yield x
        yield x

    pipe = hr.Pipeline([hr.Step(lambda x: x, name="a"), hr.Step(twice, name="b"),
                        hr.Step(str, name="c", workers=2)], queue_size=4)
    pipe.run(range(100))
    s = pipe.stats
    assert list(s) == ["input", "a", "b", "c"]
    assert s["input"].items_out == 100
    assert (s["a"].items_in, s["a"].items_out) == (100, 100)
    assert (s["b"].items_in, s["b"].items_out) == (100, 200)
    assert (s["c"].items_in, s["c"].items_out) == (200, 200)
    # a and b have the same parallelism: they run fused in one chain, with one queue
    assert s["b"].chain == "a" and s["b"].queue_size is None
    assert s["c"].chain == "c" and 1 <= s["c"].queue_high_water <= 4 == s["c"].queue_size
    assert s["a"].busy_seconds >= 0 and s["a"].wait_seconds >= 0
    assert "queue hw" in str(s)


def test_explicit_queue_size_keeps_a_queue_in_front_of_a_step():
    pipe = hr.Pipeline([hr.Step(str, name="a"), hr.Step(str, name="b", queue_size=2)])
    pipe.run(range(10))
    assert pipe.stats["b"].chain == "b" and pipe.stats["b"].queue_size == 2


def test_diagram_renders_svg_with_graphviz(tmp_path):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    hr.Pipeline([str, hr.Step(len, workers=2)]).diagram(str(tmp_path / "p.svg"))
    assert "<svg" in (tmp_path / "p.svg").read_text()


def test_diagram_without_graphviz_says_what_to_install(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs Graphviz's `dot`"):
        hr.Pipeline([str]).diagram(str(tmp_path / "p.svg"))
    assert not (tmp_path / "p.svg").exists()


def test_diagram_is_dot(tmp_path):
    pipe = hr.Pipeline([hr.Source([1]), hr.Step(str, workers=2), hr.Parallel([str, [str, len]])])
    dot = pipe.diagram()
    assert dot.startswith("digraph") and "str ×2" in dot and "join" in dot
    pipe.diagram(str(tmp_path / "p.dot"))
    assert (tmp_path / "p.dot").read_text() == dot
    fused = hr.Pipeline([str, len, hr.Step(str, workers=2)]).diagram()
    assert '"input" -> "str" [label="fused"]' in fused
    assert '"str" -> "len" [label="fused"]' in fused
    assert '"len" -> "str_1" [label="queue 16"]' in fused
