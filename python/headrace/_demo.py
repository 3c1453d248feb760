"""``python -m headrace demo``: a small end-to-end job on generated data, timed against plain
Python and pandas.

The story: an online shop wants the revenue of 2024's delivered orders per customer segment
and loyalty tier, where a customer's tier is a rule over all of their orders of the year.

1. An ``hr.Pipeline`` generates the shop's customers and orders and writes them as Parquet
   into a temporary folder (:mod:`headrace._demo_data`).
2. A headrace query answers the question (:mod:`headrace._demo_query`): a Parquet scan, a
   filter (pushed into the reader), a stateful Python ``hr.Executor`` partitioned by customer
   (``stateful_transform``), a join with the customers, a group-by and a sort.
3. A plain Python loop and pandas answer it too (:mod:`headrace._demo_baselines`); the demo
   prints the result, the three timings and whether the three answers are equal (exit status
   1 if not). A progress bar runs on the terminal meanwhile.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import headrace as hr

from ._demo_baselines import import_pandas, plain_python, with_pandas
from ._demo_data import FILES, Dataset, generate
from ._demo_query import GOLD_MONTHS, GOLD_SPENT_CENTS, SILVER_MONTHS, Row, loyalty_report, rows_of

Advance = Callable[[int], object]


@contextlib.contextmanager
def phase(enabled: bool, desc: str, total: int | None, unit: str) -> Iterator[Advance]:
    """A progress bar (on stderr, gone when the phase ends) while the block runs; yields the
    function that advances it, which any thread may call."""
    if not enabled:
        yield lambda n: None
        return
    from tqdm import tqdm

    lock = threading.Lock()
    big = total is None or total >= 10_000  # counted in k and M
    with tqdm(total=total, desc=desc, unit=unit, unit_scale=big, leave=False, file=sys.stderr) as bar:

        def advance(n: int) -> None:
            with lock:
                bar.update(n)

        yield advance


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]], indent: str = "  ") -> str:
    """Columns left-aligned for text, right-aligned for numbers."""
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        indent + "  ".join(c.rjust(widths[i]) if numeric[i] else c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()
        for r in table
    ]
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("$", "").rstrip("x"))
    except ValueError:
        return False
    return True


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def result_table(rows: list[Row]) -> str:
    return format_table(
        ("segment", "tier", "customers", "orders", "revenue", "per order"),
        [(s, t, f"{c:,}", f"{o:,}", dollars(r), dollars(r // o)) for s, t, c, o, r in rows],
    )


def timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = run()
    return out, time.perf_counter() - started


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 1e6


def run_demo(rows: int = 1_000_000, threads: int | None = None, progress: bool | None = None,
             out: TextIO | None = None) -> int:
    """Runs the demo on ``rows`` generated orders with ``threads`` threads (default: headrace's,
    the machine's CPU count) and prints the report to ``out`` (default stdout). ``progress``:
    show progress bars (default: when both stdout and stderr are terminals, so that the bars
    never end up in piped output). Returns 0 when the three answers are equal, else 1."""
    out = out or sys.stdout
    threads = threads or hr.config()["threads"]
    show = progress if progress is not None else out.isatty() and sys.stderr.isatty()

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    previous = hr.config()["threads"]
    hr.config(threads=threads)
    try:
        with tempfile.TemporaryDirectory(prefix="headrace-demo-") as folder:
            return _story(Path(folder), rows, threads, show, say)
    finally:
        hr.config(threads=previous)


def _story(folder: Path, rows: int, threads: int, show: bool, say: Callable[..., None]) -> int:
    say(f"headrace {hr.__version__} demo: which customers bring the revenue? ({rows:,} generated orders, "
        f"{threads} thread{'s' if threads > 1 else ''})")
    say()
    with phase(show, "generating Parquet", FILES, "file") as advance:
        data, seconds = timed(lambda: generate(folder, rows, threads, advance))
    say(f"1. data: {data.customers:,} customers and {rows:,} orders of 2023-2024 in {FILES} Parquet files "
        f"({folder_mb(folder):,.1f} MB),")
    say(f"   generated and written in {seconds:.2f} s by an hr.Pipeline: "
        f"parts -> make_orders x{threads} -> write_parquet x{threads}")
    say()

    query = loyalty_report(data, threads)
    say("2. the question, as a headrace query: the revenue of 2024's delivered orders per customer segment")
    say("   and loyalty tier. The tier comes from Loyalty, a Python hr.Executor that stateful_transform runs")
    say("   once per thread, each instance getting every order of its customers (partition_by='customer_id'):")
    say("   it counts a customer's orders, spending and months with an order, and at the end of the input")
    rule = f"gold: {GOLD_MONTHS}+ months and {dollars(GOLD_SPENT_CENTS)}+, silver: {SILVER_MONTHS}+ months, else bronze"
    say(f"   applies the rule ({rule}). query.explain():")
    say("\n".join("     " + line for line in query.explain(as_text=True).splitlines()))
    say()

    timings, answers = run_three_ways(data, threads, show)
    result = next(reversed(answers.values()))  # headrace's
    say("3. result:")
    say(result_table(result))
    say()
    say("4. the same work, three ways (each reads the Parquet files and computes the report):")
    base = timings["plain Python"]
    say(format_table(("run", "seconds", "speed-up"),
                     [(name, f"{s:.3f}", f"{base / s:.2f}x") for name, s in timings.items()]))
    if not any(name.startswith("pandas") for name in answers):
        say("  (pandas 2 or newer is not installed: pip install pandas to see it too)")
    names = ", ".join(answers)
    if all(a == result for a in answers.values()):
        say(f"answers equal: yes ({names}: the same {len(result)} rows)")
        return 0
    say(f"answers equal: NO ({names} differ)")
    for name, rows_of_name in answers.items():
        say(f"  {name}: {rows_of_name}")
    return 1


def run_three_ways(data: Dataset, threads: int, show: bool) -> tuple[dict[str, float], dict[str, list[Row]]]:
    """Times the plain loop, pandas (if installed) and headrace; their seconds and answers."""
    timings: dict[str, float] = {}
    answers: dict[str, list[Row]] = {}
    with phase(show, "plain Python", data.orders, "order") as advance:
        answers["plain Python"], timings["plain Python"] = timed(lambda: plain_python(data, advance))
    pd = import_pandas()
    if pd is not None:
        label = f"pandas {pd.__version__}"
        with phase(show, label, 1, "step") as advance:
            answers[label], timings[label] = timed(lambda: with_pandas(pd, data))
            advance(1)
    label = f"headrace ({threads} thread{'s' if threads > 1 else ''})"
    with phase(show, "headrace", None, "order") as advance:
        table, timings[label] = timed(lambda: loyalty_report(data, threads, advance).collect())
    answers[label] = rows_of(table)
    return timings, answers
