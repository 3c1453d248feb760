"""What ``python -m headrace bench`` prints and writes: a table of medians and ratios per suite,
what the answer checks found, and the JSON file of every figure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._suite import Figure, SuiteRun


def cell(figure: Figure | None, per_unit: str | None) -> str:
    """A figure's median: seconds per run, or microseconds per ``per_unit`` (a row or an item)
    when the engines of its case processed different amounts."""
    if figure is None:
        return "—"
    if figure.status != "ok" or figure.median_s is None:
        return figure.status if figure.status == "FAILED" else "—"
    if per_unit and figure.per_unit_s is not None:
        return f"{duration(figure.per_unit_s)}/{per_unit}"
    return duration(figure.median_s)


def duration(seconds: float) -> str:
    """``1.234 s``, ``12.3 ms`` or ``45.6 µs``: three or four significant digits."""
    if seconds >= 1.0:
        return f"{seconds:,.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.3g} µs"


def ratio(value: float) -> str:
    """``0.42x``, ``1.05x``; two significant digits below 0.01x (``0.00038x``, not ``0.00x``)
    and none past 100x."""
    if value >= 100.0:
        return f"{value:,.0f}x"
    if value >= 0.01:
        return f"{value:.2f}x"
    return f"{value:.2g}x"


def any_figure(run: SuiteRun, case: str, engine: str, threads: int) -> Figure | None:
    """``engine``'s figure of ``case`` at ``threads``, finished or not."""
    return next((f for f in run.figures if (f.case, f.engine, f.threads) == (case, engine, threads)), None)


def shown_engines(run: SuiteRun) -> list[str]:
    """The engines with at least one figure worth a column: one that finished or failed (an engine
    skipped everywhere, say not installed, is only named in the notes)."""
    return [e for e in run.engines if any(f.engine == e and f.status != "skipped" for f in run.figures)]


def table(run: SuiteRun) -> str:
    """A markdown row per case and thread count that ran: every engine's median, then headrace's
    time ÷ every peer's (per row or item; below 1 headrace is faster)."""
    engines = shown_engines(run)
    peers = [e for e in engines if e != "headrace"]
    header = ["case", "threads", *engines, *(f"÷ {p}" for p in peers)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "--:|" * (len(header) - 1)]
    for case in run.cases:
        per_unit = None if run.same_work(case) else run.unit.removesuffix("s")
        for n in run.threads:
            row = [any_figure(run, case, e, n) for e in engines]
            if all(f is None or f.status == "skipped" for f in row):
                continue  # nothing ran for this case at this thread count
            ratios = [run.ratio(case, n, p) for p in peers]
            cells = [case, str(n), *(cell(f, per_unit) for f in row)]
            cells += ["—" if r is None else ratio(r) for r in ratios]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(run: SuiteRun) -> list[str]:
    """Why engines did not run or failed, each reason once per engine."""
    seen: dict[tuple[str, str, str], list[str]] = {}
    for f in run.figures:
        if f.status != "ok":
            seen.setdefault((f.engine, f.status, f.note), []).append(f"{f.case} x{f.threads}")
    out = []
    for (engine, status, note), where in seen.items():
        scope = "" if len(where) > 1 or len(run.cases) * len(run.threads) == 1 else f" ({where[0]})"
        out.append(f"{engine} {status}{scope}: {note}")
    return out


def section(run: SuiteRun) -> str:
    """A suite's part of the printed report."""
    if run.error:
        return f"## {run.name}: FAILED: {run.error}"
    if run.skipped:
        return f"## {run.name}: skipped: {run.skipped}"
    parts = [f"## {run.name} ({run.size})\n\n{run.title}", table(run), "\n".join(run.checks)]
    if more := notes(run):
        parts.append("\n".join(more))
    return "\n\n".join(p for p in parts if p)


def summary(runs: Sequence[SuiteRun]) -> list[str]:
    """The closing lines: whether every answer agreed and what failed."""
    differ = [r.name for r in runs if r.problems]
    failed = [r.name for r in runs if r.failed or r.error]
    lines = ["answers equal: " + ("yes, in every suite" if not differ else "NO (" + ", ".join(differ) + ")")]
    if failed:
        lines.append("failed: " + ", ".join(failed))
    return lines


def write_json(path: Path, head: dict[str, Any], runs: Sequence[SuiteRun]) -> None:
    """Every figure of every suite, with ``head`` (the command, options, environment)."""
    payload = {
        **head,
        "answers_equal": not any(r.problems for r in runs),
        "ok": all(r.ok for r in runs),
        "suites": [r.to_json() for r in runs],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
