"""hr.Rebatch and hr.Unbatch, with round-trip and conservation properties."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import headrace as hr

pytestmark = pytest.mark.timeout(120)


@settings(max_examples=40, deadline=None)
@given(items=st.lists(st.integers(), max_size=60), n=st.integers(1, 9), drop_last=st.booleans())
def test_rebatch_then_unbatch_gives_the_items_back(items, n, drop_last):
    batches = hr.Pipeline([hr.Rebatch(n, drop_last=drop_last)]).run(items)
    kept = len(items) - len(items) % n if drop_last else len(items)
    assert all(len(b) == n for b in batches[:-1])
    assert all(len(b) == n for b in batches) or not drop_last
    assert hr.Pipeline([hr.Rebatch(n, drop_last=drop_last), hr.Unbatch()]).run(items) == items[:kept]


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 12), max_size=10), n=st.integers(1, 7))
def test_rebatch_numpy_concatenates_rows(sizes, n):
    start = np.cumsum([0, *sizes])
    arrays = [np.arange(a, b) for a, b in zip(start[:-1], start[1:])]
    out = hr.Pipeline([hr.Rebatch(n)]).run(arrays)
    assert [len(a) for a in out[:-1]] == [n] * (len(out) - 1)
    joined = np.concatenate(out) if out else np.arange(0)
    assert joined.tolist() == list(range(sum(sizes)))


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(-5, 5), max_size=80), n=st.integers(1, 10))
def test_routing_conserves_items(values, n):
    s, neg, pos = hr.Stream(), hr.Stream("neg"), hr.Stream("pos")
    flow = hr.Flow([hr.Source(values, outputs=[s]),
                    hr.Step(lambda v: (v, None) if v < 0 else (None, v), name="route", inputs=[s],
                            outputs=[neg, pos])], queue_size=n)
    out = flow.run()
    assert sorted(out["neg"] + out["pos"]) == sorted(values)
    assert out["neg"] == [v for v in values if v < 0]


def test_rebatch_arrow_record_batches_and_arrays():
    batches = [pa.record_batch({"a": [1, 2, 3]}), pa.record_batch({"a": [4, 5, 6, 7]})]
    out = hr.Pipeline([hr.Rebatch(3)]).run(batches)
    assert all(isinstance(b, pa.RecordBatch) for b in out)
    assert [b.column(0).to_pylist() for b in out] == [[1, 2, 3], [4, 5, 6], [7]]
    arrays = hr.Pipeline([hr.Rebatch(2, drop_last=True)]).run([pa.array([1, 2, 3]), pa.array([4])])
    assert [a.to_pylist() for a in arrays] == [[1, 2], [3, 4]]
    assert hr.Pipeline([hr.Unbatch()]).run(out) == [{"a": i} for i in range(1, 8)]


def test_rebatch_refuses_mixed_kinds_and_unbatch_refuses_scalars():
    with pytest.raises(hr.PipelineError, match="items must be of one kind"):
        hr.Pipeline([hr.Rebatch(2)]).run([np.arange(3), 4])
    with pytest.raises(hr.PipelineError, match="Unbatch takes lists"):
        hr.Pipeline([hr.Unbatch()]).run([5])


def test_rebatch_n_must_be_positive():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        hr.Rebatch(0)
