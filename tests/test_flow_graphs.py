"""hr.Flow: zip inputs, routed outputs, merges, outputs, seeding and validation."""

import numpy as np
import pytest

import headrace as hr

pytestmark = pytest.mark.timeout(60)


def test_switch_routes_every_sum_to_exactly_one_sink():
    arrays, merged, halves, sums = hr.Stream("arrays"), hr.Stream(), hr.Stream(), hr.Stream()
    small, large = hr.Stream("small"), hr.Stream("large")
    rng = np.random.default_rng(7)
    first = [rng.integers(0, 100, 10) for _ in range(5)]
    second = [rng.integers(0, 100, 10) for _ in range(5)]

    def switch(total):
        return (total, None) if total < 250 else (None, total)

    flow = hr.Flow([
        hr.Source(first, name="a", outputs=[arrays]),
        hr.Source(second, name="b", outputs=[arrays]),
        hr.Step(lambda a: a, name="merge", inputs=[arrays], outputs=[merged]),
        hr.Step(hr.Rebatch(5), inputs=[merged], outputs=[halves]),
        hr.Step(lambda a: int(a.sum()), name="sum", inputs=[halves], outputs=[sums]),
        hr.Step(switch, inputs=[sums], outputs=[small, large]),
    ])
    out = flow.run()
    assert set(out) == {"small", "large"}
    expected = sorted(int(h.sum()) for a in first + second for h in (a[:5], a[5:]))
    assert sorted(out["small"] + out["large"]) == expected
    assert len(expected) == 20
    assert all(x < 250 for x in out["small"]) and all(x >= 250 for x in out["large"])
    assert None not in out["small"] + out["large"]


def test_zip_pairs_items_of_two_inputs_in_order():
    xs, ys = hr.Stream("xs"), hr.Stream("ys")
    flow = hr.Flow([
        hr.Source(range(100), name="x", outputs=[xs]),
        hr.Source(range(100, 200), name="y", outputs=[ys]),
        hr.Step(lambda x, y: (x, y), name="pair", inputs=[xs, ys]),
    ])
    assert flow.run() == {"pair": [(i, 100 + i) for i in range(100)]}


def test_executor_with_several_inputs_gets_the_tuple():
    class Add(hr.Executor):
        def execute(self, batch, ctx):
            return batch[0] + batch[1]

    xs, ys = hr.Stream(), hr.Stream()
    flow = hr.Flow([hr.Source([1, 2], name="x", outputs=[xs]), hr.Source([10, 20], name="y", outputs=[ys]),
                    hr.Step(Add(), inputs=[xs, ys])])
    assert flow.run() == {"Add": [11, 22]}


def test_merged_stream_ends_when_every_writer_ended():
    s = hr.Stream("s")
    flow = hr.Flow([
        hr.Source(range(1000), name="a", outputs=[s]),
        hr.Source(range(1000, 1010), name="b", outputs=[s]),
        hr.Step(lambda x: x, name="copy", workers=3, inputs=[s]),
    ], queue_size=4)
    assert sorted(flow.run()["copy"]) == list(range(1010))


def test_ordered_single_writer_stream_keeps_order_with_workers():
    s = hr.Stream()
    flow = hr.Flow([hr.Source(range(2000), outputs=[s]),
                    hr.Step(lambda x: x * 2, name="double", workers=4, inputs=[s])], queue_size=8)
    assert flow.run() == {"double": [2 * i for i in range(2000)]}


def test_sink_step_and_several_outputs_and_iter():
    seen = []
    s, evens, odds = hr.Stream(), hr.Stream("evens"), hr.Stream("odds")
    flow = hr.Flow([
        hr.Source(range(10), outputs=[s]),
        hr.Step(lambda x: (x, None) if x % 2 == 0 else (None, x), name="split", inputs=[s],
                outputs=[evens, odds]),
        hr.Step(seen.append, name="log", inputs=[odds], outputs=[]),
    ])
    assert flow.outputs == ["evens"]
    assert list(flow.iter()) == [0, 2, 4, 6, 8]
    assert seen == [1, 3, 5, 7, 9]
    assert list(flow.iter("evens")) == [0, 2, 4, 6, 8]


def test_generator_results_are_routed_one_tuple_at_a_time():
    s, a, b = hr.Stream(), hr.Stream("a"), hr.Stream("b")

    def fan(x):
        yield x, None
        yield None, -x

    flow = hr.Flow([hr.Source([1, 2], outputs=[s]), hr.Step(fan, inputs=[s], outputs=[a, b])])
    assert flow.run() == {"a": [1, 2], "b": [-1, -2]}


def test_seeded_stream_without_writer():
    s = hr.Stream("s")
    for i in range(3):
        s.put(i)
    flow = hr.Flow([hr.Step(lambda x: x + 1, name="inc", inputs=[s])])
    assert flow.run() == {"inc": [1, 2, 3]}
    assert flow.run() == {"inc": [1, 2, 3]}  # the seeds go in at every run


def test_stats_and_diagram_name_steps_and_streams():
    s = hr.Stream("numbers")
    flow = hr.Flow([hr.Source(range(50), outputs=[s]), hr.Step(lambda x: x, name="id", inputs=[s])])
    flow.run()
    assert flow.stats["id"].items_in == 50 and flow.stats["id"].items_out == 50
    dot = flow.diagram()
    assert '"source" -> "id" [label="numbers"]' in dot
    assert '"output:id"' in dot


@pytest.mark.parametrize("build, message", [
    (lambda s, t: [hr.Step(abs, inputs=[s])], "no step writes it and it is not seeded"),
    (lambda s, t: [hr.Source([1], outputs=[s]), hr.Step(abs, inputs=[s]), hr.Step(str, inputs=[s])],
     "is read by steps 'abs' and 'str'"),
    (lambda s, t: [hr.Step(abs)], "has no inputs"),
    (lambda s, t: [hr.Source([1], outputs=[s]), hr.Source([2], name="b", outputs=[t]),
                   hr.Step(max, workers=2, inputs=[s, t])], "runs one worker"),
    (lambda s, t: [hr.Source([1], outputs=[hr.Stream("x")]), hr.Source([2], name="b", outputs=[hr.Stream("x")])],
     "two streams are named 'x'"),
])
def test_invalid_graphs_are_refused_with_the_step_or_stream_named(build, message):
    with pytest.raises(ValueError, match=message):
        hr.Flow(build(hr.Stream("s"), hr.Stream("t")))


def test_wrong_tuple_from_a_multi_output_step_names_the_step():
    s, a, b = hr.Stream(), hr.Stream("a"), hr.Stream("b")
    flow = hr.Flow([hr.Source([1], outputs=[s]), hr.Step(lambda x: x, name="bad", inputs=[s], outputs=[a, b])])
    with pytest.raises(hr.PipelineError, match="step 'bad' has 2 outputs") as info:
        flow.run()
    assert isinstance(info.value.__cause__, TypeError)


def test_seeds_that_do_not_fit_the_queue_are_refused():
    s = hr.Stream("s", queue_size=2)
    for i in range(3):
        s.put(i)
    with pytest.raises(ValueError, match="stream 's': 3 seeded items do not fit"):
        hr.Flow([hr.Step(abs, inputs=[s])]).run()
