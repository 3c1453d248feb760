"""Pipeline throughput: headrace against plain Python, threads, Neuraxle and minipipe.

Every implementation runs the same 3-step pipeline over a list of items, in the same run:

    step 1  x * 2
    step 2  x + 1
    step 3  a stateful running sum: ``total += x.sum()``, emits ``total``

Each step emits one output per input item. Items are float64 arrays of R rows
(shape ``(R,)``) for R = 1, 1,000 and 100,000. A second section times a one-step
pipeline whose step releases the GIL (``np.sort`` of 1M floats) at 1 and 2 workers,
beside a yardstick of what the machine allows (2 forked processes sorting half each).

Implementations (peers are optional: if one is not importable it is reported as skipped)

* ``plain``     plain Python loop, the reference every other output is checked against
* ``threads``   one ``threading.Thread`` per step, ``queue.Queue(16)`` between steps,
                sentinel at the end
* ``neuraxle``  ``SequentialQueuedPipeline`` with ``use_processes=False``; its steps are
                ``BaseTransformer`` subclasses mapping over the items of their minibatch
* ``minipipe``  ``PipeLine`` of ``Source``/``Transform``/``Sink`` with a class functor
                (``local_init``/``run``/``local_term``), one process per step (fork)
* ``headrace``  ``hr.Pipeline([hr.Step(...), ...], queue_size=16, ordered=True).run(items)``

Repetitions are interleaved (round-robin over the implementations) so that all of them
see the same machine conditions; the medians are reported. Slow peers run fewer items
(items/second is reported, so counts may differ); their outputs are compared with the
reference's prefix of the same length. A wrong output from any implementation, or an
error while running one that imports, makes the script exit with status 1.

Run (``python -m headrace bench --suites pipeline`` runs it among the other suites, at the
thread counts it is given: the 3-step pipeline, whose steps have one worker each, at 1 thread,
the np.sort step at each count, without the yardstick)::

    python -m headrace.benchmarks.pipeline_throughput            # 5 repetitions, full item counts
    python -m headrace.benchmarks.pipeline_throughput --quick    # ~10x fewer items, 3 repetitions
    python -m headrace.benchmarks.pipeline_throughput --reps 7 --items 20000 --json out.json
    python bench/pipeline_throughput.py --json bench/results-pipeline.json   # the same, from a checkout

``--items N`` caps every item count at N. ``--no-heavy`` skips the np.sort section.

Peers (optional)::

    pip install minipipe==0.1.9 pandas scipy "joblib<1.6"
    pip install --no-deps neuraxle==0.8.1

Neuraxle needs ``--no-deps``: every release since 0.5.7 pins ``matplotlib==3.3.4``, which
has no wheel for Python >= 3.10 and whose source build downloads FreeType at build time;
0.8.1 also pins ``markupsafe==2.0.1``. Its streaming module only imports numpy, pandas,
scipy and joblib (``joblib<1.6`` merely avoids joblib 1.6's ``cloudpickle>=3`` requirement).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import multiprocessing
import queue
import statistics
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._harness import Skip, environment, fmt
from ._suite import Figure, SuiteOptions, SuiteRun

QUEUE_SIZE = 16
DISTS = ("numpy", "headrace", "neuraxle", "minipipe")  # versions in the report
Items = list  # list of np.ndarray
Runner = Callable[[Items], list]


# --- the pipeline's steps, shared by every implementation -------------------------------


def mul2(x: np.ndarray) -> np.ndarray:
    return x * 2


def add1(x: np.ndarray) -> np.ndarray:
    return x + 1


class RunningSum:
    """Plain stateful functor: the running sum used by the loop and the threads."""

    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self, x: np.ndarray) -> float:
        self.total += x.sum()
        return self.total


_END = object()  # end-of-stream sentinel for the thread implementations


# --- implementations of the 3-step pipeline ----------------------------------------------


def make_plain(case: Case) -> Runner:
    def run(items: Items) -> list:
        running_sum = RunningSum()
        return [running_sum(add1(mul2(x))) for x in items]

    return run


def make_threads(case: Case) -> Runner:
    def run(items: Items) -> list:
        steps: list[Callable[[Any], Any]] = [mul2, add1, RunningSum()]
        queues = [queue.Queue(QUEUE_SIZE) for _ in steps]
        outputs: list = []

        def worker(fn: Callable[[Any], Any], q_in: queue.Queue, q_out: queue.Queue | None) -> None:
            emit = outputs.append if q_out is None else q_out.put
            while (x := q_in.get()) is not _END:
                emit(fn(x))
            if q_out is not None:
                q_out.put(_END)

        threads = [
            threading.Thread(target=worker, args=(fn, queues[i], queues[i + 1] if i + 1 < len(steps) else None))
            for i, fn in enumerate(steps)
        ]
        for t in threads:
            t.start()
        for x in items:
            queues[0].put(x)
        queues[0].put(_END)
        for t in threads:
            t.join()
        return outputs

    return run


def make_neuraxle(case: Case) -> Runner:
    try:
        from neuraxle.base import BaseTransformer
        from neuraxle.data_container import StripAbsentValues
        from neuraxle.distributed.streaming import SequentialQueuedPipeline
    except ImportError as e:
        raise Skip(f"neuraxle not importable ({e})") from e

    class Map(BaseTransformer):
        """Applies fn to every item of the minibatch."""

        def __init__(self, fn: Callable[[Any], Any]) -> None:
            super().__init__()
            self.fn = fn

        def transform(self, data_inputs: Sequence[Any]) -> list:
            return [self.fn(x) for x in data_inputs]

    class NxRunningSum(BaseTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.total = 0.0

        def transform(self, data_inputs: Sequence[np.ndarray]) -> list:
            out = []
            for x in data_inputs:
                self.total += x.sum()
                out.append(self.total)
            return out

    def run(items: Items) -> list:
        pipe = SequentialQueuedPipeline(
            [("x2", Map(mul2)), ("plus1", Map(add1)), ("running_sum", NxRunningSum())],
            batch_size=case.neuraxle_batch,
            max_queued_minibatches=QUEUE_SIZE,
            use_processes=False,
            # The default pads the last, incomplete minibatch with None items: trim it instead.
            default_value_data_inputs=StripAbsentValues(),
            default_value_expected_outputs=StripAbsentValues(),
        )
        # The default data joiner concatenates the minibatch outputs into one array.
        return list(pipe.transform(items))

    return run


def make_minipipe(case: Case) -> Runner:
    try:
        import minipipe as mp
    except ImportError as e:
        raise Skip(f"minipipe not importable ({e})") from e
    if multiprocessing.get_start_method() != "fork":
        raise Skip("minipipe needs the 'fork' start method (it runs lambdas and generators in processes)")

    class MpRunningSum:
        """minipipe class functor; sends its outputs to the parent when the stream ends."""

        def __init__(self, results: multiprocessing.Queue) -> None:
            self.results = results

        def local_init(self) -> None:
            self.total = 0.0
            self.outputs: list = []

        def run(self, x: np.ndarray) -> None:
            self.total += x.sum()
            self.outputs.append(self.total)

        def local_term(self) -> None:
            self.results.put(self.outputs)

    def run(items: Items) -> list:
        results: multiprocessing.Queue = multiprocessing.Queue()
        pipe = mp.PipeLine()
        pipe.add(mp.Source(iter(items), name="source"))
        pipe.add(mp.Transform(mul2, name="x2"), buffer_size=QUEUE_SIZE)
        pipe.add(mp.Transform(add1, name="plus1"), buffer_size=QUEUE_SIZE)
        pipe.add(mp.Sink(MpRunningSum(results), name="running_sum"), buffer_size=QUEUE_SIZE)
        pipe.build(log_lvl="ERROR")
        pipe.run()
        while True:  # a failed child would never send its results: do not wait forever
            try:
                outputs = results.get(timeout=0.5)
                break
            except queue.Empty:
                if not any(p.is_alive() for p in pipe.processes):
                    raise RuntimeError("minipipe processes ended without sending results") from None
        pipe.close()
        return outputs

    return run


def make_headrace(case: Case) -> Runner:
    import headrace as hr

    class HrRunningSum(hr.Executor):
        def open(self, ctx: Any) -> None:
            self.total = 0.0

        def execute(self, batch: np.ndarray, ctx: Any) -> float:
            self.total += batch.sum()
            return self.total

    def run(items: Items) -> list:
        pipe = hr.Pipeline(
            [hr.Step(mul2), hr.Step(add1), hr.Step(HrRunningSum())],
            queue_size=QUEUE_SIZE,
            ordered=True,
        )
        return pipe.run(items)

    return run


@dataclass(frozen=True)
class Impl:
    key: str
    label: str
    make: Callable[[Case], Runner]


IMPLS = [
    Impl("plain", "plain Python loop", make_plain),
    Impl("threads+queue", "threads + queue.Queue(16)", make_threads),
    Impl("neuraxle", "Neuraxle SequentialQueuedPipeline (threads)", make_neuraxle),
    Impl("minipipe", "minipipe PipeLine (processes)", make_minipipe),
    Impl("headrace", "headrace Pipeline", make_headrace),
]


@dataclass(frozen=True)
class Case:
    name: str
    rows: int
    items: int  # items for plain, threads and headrace (the reference runs these)
    peer_items: dict = field(default_factory=dict)  # fewer items for slow peers
    neuraxle_batch: int = 1  # Neuraxle minibatch size (best of a small scan: 10..1000)


CASES = [  # counts: ~0.3-2 s per run for the slowest of plain/threads/headrace, and for each peer
    Case("1 row", 1, 60_000, {"neuraxle": 40_000, "minipipe": 1_000}, neuraxle_batch=1000),
    Case("1,000 rows", 1_000, 50_000, {"neuraxle": 10_000, "minipipe": 40}, neuraxle_batch=100),
    Case("100,000 rows", 100_000, 2_000, {"neuraxle": 250, "minipipe": 150}, neuraxle_batch=1),
]

HEAVY_ITEMS, HEAVY_SIZE = 40, 1_000_000
HEAVY_CASE = f"sort {HEAVY_SIZE:,}"


# --- the GIL-releasing heavy step: np.sort at 1 and 2 workers ----------------------------


def sort_item(a: np.ndarray) -> np.ndarray:
    return np.sort(a)


def threads_map(fn: Callable[[Any], Any], workers: int) -> Runner:
    """k worker threads on one bounded queue; outputs put back in input order."""

    def run(items: Items) -> list:
        q_in: queue.Queue = queue.Queue(QUEUE_SIZE)
        outputs: list = [None] * len(items)

        def worker() -> None:
            while (task := q_in.get()) is not _END:
                i, x = task
                outputs[i] = fn(x)

        threads = [threading.Thread(target=worker) for _ in range(workers)]
        for t in threads:
            t.start()
        for task in enumerate(items):
            q_in.put(task)
        for _ in threads:
            q_in.put(_END)
        for t in threads:
            t.join()
        return outputs

    return run


def headrace_map(fn: Callable[[Any], Any], workers: int) -> Runner:
    import headrace as hr

    return lambda items: hr.Pipeline([hr.Step(fn, workers=workers)], queue_size=QUEUE_SIZE, ordered=True).run(items)


@dataclass(frozen=True)
class Spec:
    """One implementation to time in a section: `make()` returns the runner (or raises Skip)."""

    key: str
    label: str
    workers: int
    make: Callable[[], Runner]
    n_items: int
    check: bool = True  # False: a yardstick that returns nothing to compare


def _sort_all(items: Items) -> list:
    for a in items:
        np.sort(a)
    return []


def _sort_halves_in_two_processes(items: Items) -> list:
    procs = [multiprocessing.Process(target=_sort_all, args=(items[i::2],)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return []


def heavy_specs(
    n: int, workers: Sequence[int] = (1, 2), impls: Collection[str] | None = None, yardstick: bool = True
) -> list[Spec]:
    """The np.sort section: the plain loop (the reference), then the threads and headrace at each
    count of ``workers`` (those of ``impls``, default both), then, with ``yardstick``, what the
    machine allows."""
    specs = [Spec("plain", "plain Python loop", 1, lambda: lambda items: [sort_item(a) for a in items], n)]
    if impls is None or "threads+queue" in impls:
        for k in workers:
            specs.append(
                Spec("threads+queue", "threads + queue.Queue(16)", k, functools.partial(threads_map, sort_item, k), n)
            )
    for k in workers:
        specs.append(Spec("headrace", "headrace Pipeline", k, functools.partial(headrace_map, sort_item, k), n))
    # What the machine allows: sort everything in one process, or half in each of 2 forked
    # processes with nothing sent back. Not a pipeline: a yardstick for the speedups above.
    if yardstick and multiprocessing.get_start_method() == "fork":
        specs.append(Spec("yardstick", "yardstick: 1 process, returns nothing", 1, lambda: _sort_all, n, check=False))
        specs.append(
            Spec(
                "yardstick",
                "yardstick: 2 forked processes, half each",
                2,
                lambda: _sort_halves_in_two_processes,
                n,
                False,
            )
        )
    return specs


# --- measuring and checking -----------------------------------------------------------------


def mismatch(out: Sequence[Any], ref: Sequence[Any]) -> str | None:
    """Why `out` differs from `ref` (None if equal). Scalars: allclose; arrays: array_equal."""
    if not isinstance(out, (list, tuple)):
        return f"returned {type(out).__name__}, expected a list"
    if len(out) != len(ref):
        return f"{len(out)} outputs, expected {len(ref)}"
    if len(ref) and np.ndim(ref[0]) == 0:  # running sums: check the final sum, then the whole list
        if not np.isclose(out[-1], ref[-1], rtol=1e-12, atol=0.0):
            return f"final running sum {out[-1]!r} != {ref[-1]!r}"
        a, b = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        if not np.allclose(a, b, rtol=1e-12, atol=0.0):
            return f"output {int(np.argmax(~np.isclose(a, b, rtol=1e-12, atol=0.0)))} differs"
        return None
    for i, (a, b) in enumerate(zip(out, ref, strict=True)):
        if not np.array_equal(a, b):
            return f"output {i} differs"
    return None


@dataclass
class Result:
    section: str
    case: str
    impl: str
    label: str
    workers: int = 1
    items: int = 0
    median_s: float | None = None
    items_per_s: float | None = None
    status: str = "ok"  # ok | skipped | FAILED
    note: str = ""
    wrong: bool = False  # FAILED because its outputs differ from the reference's
    times: list[float] = field(default_factory=list)


def run_section(section: str, case: str, specs: list[Spec], items: Items, reps: int) -> list[Result]:
    """Time every spec `reps` times, round-robin so that all of them see the same machine
    conditions, and check every run's outputs against the first spec's (the plain loop) on
    the same prefix of the items. Errors and mismatches mark a spec FAILED (a mismatch also
    ``wrong``), skips skipped."""
    results = [Result(section, case, s.key, s.label, s.workers, s.n_items) for s in specs]
    runners: list[Runner | None] = []
    for spec, res in zip(specs, results, strict=True):
        try:
            runners.append(spec.make())
        except Skip as e:
            res.status, res.note = "skipped", str(e)
            runners.append(None)
        except Exception as e:  # noqa: BLE001 - report and go on with the other implementations
            res.status, res.note = "FAILED", f"{type(e).__name__}: {e}"
            runners.append(None)
    inputs = [items[: spec.n_items] for spec in specs]
    times: list[list[float]] = [[] for _ in specs]
    ref: list | None = None  # the first spec's first outputs
    for _ in range(reps):
        for i, (spec, res, run) in enumerate(zip(specs, results, runners, strict=True)):
            if run is None:
                continue
            out: list = []
            try:
                gc.collect()
                t0 = time.perf_counter()
                out = run(inputs[i])
                times[i].append(time.perf_counter() - t0)
                if not spec.check:
                    pass
                elif ref is None and i == 0:
                    ref = out
                elif ref is None:
                    raise AssertionError("the reference implementation produced no outputs to compare with")
                elif why := mismatch(out, ref[: spec.n_items]):
                    res.wrong = True
                    raise AssertionError(why)
            except Exception as e:  # noqa: BLE001
                res.status, res.note = "FAILED", f"{type(e).__name__}: {e}"
                runners[i] = None
            del out
    for res, ts in zip(results, times, strict=True):
        res.times = ts
        if res.status == "ok":
            res.median_s = statistics.median(ts)
            res.items_per_s = res.items / res.median_s
        print(
            f"  {case:>13} | {res.label:<45} w={res.workers} n={res.items:<7} "
            + (f"{res.items_per_s:12,.0f} items/s" if res.status == "ok" else f"{res.status}: {res.note}"),
            file=sys.stderr,
            flush=True,
        )
    return results


def scaled(n: int, scale: float, cap: int | None) -> int:
    n = max(10, int(n * scale)) if scale != 1.0 else n
    return min(n, cap) if cap else n


def run_pipeline_cases(reps: int, scale: float, cap: int | None, impls: Collection[str] | None = None) -> list[Result]:
    """The 3-step pipeline's cases, by the implementations of ``impls`` (default all; the plain
    loop, the reference, always runs)."""
    results = []
    rng = np.random.default_rng(42)
    for case in CASES:
        n = scaled(case.items, scale, cap)
        items = list(rng.random((n, case.rows)))
        specs = [
            Spec(
                impl.key,
                impl.label,
                1,
                functools.partial(impl.make, case),
                min(n, scaled(case.peer_items.get(impl.key, case.items), scale, cap)),
            )
            for impl in IMPLS
            if impls is None or impl.key in impls or impl.key == "plain"
        ]
        results += run_section("pipeline", case.name, specs, items, reps)
        del items
    return results


def run_heavy_case(
    reps: int,
    scale: float,
    cap: int | None,
    workers: Sequence[int] = (1, 2),
    impls: Collection[str] | None = None,
    yardstick: bool = True,
) -> list[Result]:
    """The np.sort section (see :func:`heavy_specs`)."""
    n = scaled(HEAVY_ITEMS, scale, cap)
    items = list(np.random.default_rng(7).random((n, HEAVY_SIZE)))
    return run_section("heavy", HEAVY_CASE, heavy_specs(n, workers, impls, yardstick), items, reps)


# --- report ------------------------------------------------------------------------------------


def cell(r: Result, spec: str, value: float | None) -> str:
    return fmt(value, spec) if r.status == "ok" else r.status


def pipeline_table(results: list[Result]) -> str:
    lines = ["| case | implementation | items | median s | items/s | headrace ÷ this |", "|---|---|--:|--:|--:|--:|"]
    for r in results:
        hr = next((x for x in results if x.case == r.case and x.impl == "headrace" and x.status == "ok"), None)
        ratio = hr.items_per_s / r.items_per_s if hr and r.status == "ok" and r is not hr else None
        lines.append(
            f"| {r.case} | {r.label} | {r.items:,} | {cell(r, '.3f', r.median_s)} "
            f"| {cell(r, ',.0f', r.items_per_s)} | {fmt(ratio, '.2f') + ('x' if ratio else '')} |"
        )
    return "\n".join(lines)


def heavy_table(results: list[Result]) -> str:
    lines = [
        "| case | implementation | workers | items | median s | items/s | speedup vs workers=1 |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        base = next((x for x in results if x.impl == r.impl and x.workers == 1 and x.status == "ok"), None)
        speedup = r.items_per_s / base.items_per_s if base and r.status == "ok" and r.impl != "plain" else None
        lines.append(
            f"| {r.case} | {r.label} | {r.workers} | {r.items:,} | {cell(r, '.3f', r.median_s)} "
            f"| {cell(r, ',.1f', r.items_per_s)} | {fmt(speedup, '.2f') + ('x' if speedup else '')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """The suite's command line (see the module's docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=None, help="repetitions per measurement (default 5, --quick 3)")
    ap.add_argument("--items", type=int, default=None, help="cap every item count at N")
    ap.add_argument("--quick", action="store_true", help="about 10x fewer items and 3 repetitions")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-heavy", action="store_true", help="skip the np.sort workers section")
    args = ap.parse_args(argv)
    reps = args.reps or default_reps(args.quick)
    scale = scale_of(args.quick)

    env = environment(DISTS)
    print(f"# pipeline throughput ({reps} reps, medians)\n", flush=True)
    print(", ".join(f"{k} {v}" for k, v in env.items()) + "\n", flush=True)
    results = run_pipeline_cases(reps, scale, args.items)
    print("## 3-step pipeline: x*2 -> x+1 -> running sum\n")
    print(pipeline_table(results) + "\n", flush=True)
    if not args.no_heavy:
        heavy = run_heavy_case(reps, scale, args.items)
        results += heavy
        print("## GIL-releasing step: np.sort, ordered outputs\n")
        print(heavy_table(heavy) + "\n", flush=True)

    for r in results:
        if r.status == "skipped":
            print(f"skipped: {r.label} ({r.case}): {r.note}")
    failed = [r for r in results if r.status == "FAILED"]
    for r in failed:
        print(f"FAILED: {r.label} ({r.case}, workers={r.workers}): {r.note}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": env, "reps": reps, "results": [vars(r) for r in results]}, f, indent=2)
    return 1 if failed else 0


def default_reps(quick: bool) -> int:
    return 3 if quick else 5


def scale_of(quick: bool) -> float:
    """The share of the item counts a run uses: about a tenth for ``--quick``."""
    return 0.1 if quick else 1.0


# --- as the bench command runs it ------------------------------------------------------------

TITLE = "Pipeline: x*2 -> x+1 -> running sum per item; np.sort of 1M float64 per item, ordered"
ENGINES = tuple(impl.key for impl in IMPLS)
PEERS = tuple(e for e in ENGINES if e != "headrace")  # the plain loop first: the reference


def run_suite(options: SuiteOptions) -> SuiteRun:
    """The suite as ``python -m headrace bench`` runs it: the 3-step pipeline's cases at 1
    thread (each step has one worker) if 1 is among ``options.threads``, the np.sort step at
    every thread count (its workers), without the yardstick. ``options.items`` caps the item
    counts; ``options.rounds`` multiplies the (interleaved) repetitions; the plain loop, the
    reference, always runs."""
    engines = ["headrace", *(e for e in PEERS if e == "plain" or e in options.engines(PEERS))]
    reps = (options.reps or default_reps(options.quick)) * options.rounds
    scale = scale_of(options.quick)
    results: list[Result] = []
    if 1 in options.threads:
        results += run_pipeline_cases(reps, scale, options.items, engines)
    results += run_heavy_case(reps, scale, options.items, options.threads, engines, yardstick=False)
    cases = list(dict.fromkeys(r.case for r in results))
    figures = [
        Figure(r.case, r.impl, r.workers, r.status, r.note, r.median_s, r.items, r.times) for r in results
    ]
    checks, problems = [], []
    for case in cases:
        ran = [r for r in results if r.case == case and r.status == "ok"]
        wrong = [f"{r.label} ({r.case}, workers={r.workers}): {r.note}" for r in results if r.case == case and r.wrong]
        problems += wrong
        if wrong:
            checks += [f"{case}: ANSWERS DIFFER:", *(f"  {w}" for w in wrong)]
        elif ran:
            checks.append(f"{case}: outputs of {len(ran)} implementation x worker runs equal the plain loop's")
    reference = [r.items for r in results if r.impl == "plain"]
    return SuiteRun(
        name="pipeline",
        title=TITLE,
        size=f"{sum(reference):,} items over {len(cases)} cases",
        unit="items",
        engines=engines,
        cases=cases,
        threads=list(options.threads),
        figures=figures,
        checks=checks,
        problems=problems,
        details={"reps": reps, "scale": scale, "items_cap": options.items},
    )


if __name__ == "__main__":
    sys.exit(main())
