"""What ``python -m headrace bench`` and a suite hand each other.

A suite is a module with ``run_suite(options: SuiteOptions) -> SuiteRun``: it runs headrace and
the peers ``options`` asks for on its cases, at every thread count, checks their answers against
each other, and returns every figure (:class:`Figure`) with what the checks found. A suite that
cannot run here at all (say a tool it needs is missing) raises ``headrace.benchmarks._harness.Skip``. The bench
command lists its suites in :mod:`headrace.benchmarks._registry`; a suite's own command line
(``python -m headrace.benchmarks.NAME``) is its ``main``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SuiteOptions:
    """What the bench command asks of every suite; ``None`` leaves a suite its own default
    (the full run's, or ``--quick``'s)."""

    data_dir: Path  # where a suite keeps the data it generates
    threads: tuple[int, ...] = (1, 2)
    reps: int | None = None
    rounds: int = 1
    peers: tuple[str, ...] | None = None  # None: every peer the suite knows
    quick: bool = False
    rows: int | None = None  # rows of the data suites' input
    items: int | None = None  # caps the pipeline suite's item counts
    scale: float | None = None  # the TPC-H scale factor

    def engines(self, known: Sequence[str]) -> list[str]:
        """headrace and the asked-for peers among a suite's ``known`` engines, in that order."""
        return [e for e in known if e == "headrace" or self.peers is None or e in self.peers]

    def argv(self, known: Sequence[str], rows: bool = False) -> list[str]:
        """A suite's command line for these options: what every suite takes, and ``--rows``
        if ``rows`` (a suite sized in rows)."""
        out = ["--threads", ",".join(map(str, self.threads)), "--rounds", str(self.rounds)]
        out += ["--engines", ",".join(self.engines(known))]
        if self.reps is not None:
            out += ["--reps", str(self.reps)]
        if self.quick:
            out.append("--quick")
        if rows and self.rows is not None:
            out += ["--rows", str(self.rows)]
        return out


@dataclass
class Figure:
    """One engine's runs of one case at one thread count."""

    case: str
    engine: str
    threads: int
    status: str  # ok | skipped | FAILED
    note: str = ""
    median_s: float | None = None  # of one run
    work: int = 0  # rows or items one run processes (a suite's engines may process different amounts)
    times: list[float] = field(default_factory=list)
    cpu_s: float | None = None
    peak_rss_mib: float | None = None

    @property
    def per_unit_s(self) -> float | None:
        """The median time per row or item."""
        return self.median_s / self.work if self.median_s is not None and self.work else None


@dataclass
class SuiteRun:
    """Everything one suite measured and checked."""

    name: str
    title: str  # what one run does
    size: str  # how much data, in words
    unit: str  # what ``Figure.work`` counts: rows or items
    engines: list[str]  # headrace first, then the peers that were asked for
    cases: list[str]
    threads: list[int]
    figures: list[Figure]
    checks: list[str]  # what the answer checks found, as lines
    problems: list[str]  # the answers that differ (none: every answer agreed)
    details: dict[str, Any] = field(default_factory=dict)  # the suite's own facts (sizes, targets, verdicts)
    error: str = ""  # why the suite itself failed (then it has no figures)
    skipped: str = ""  # why the suite could not run here, say a tool it needs is not installed

    @classmethod
    def broken(cls, name: str, error: str) -> SuiteRun:
        """A suite that failed as a whole."""
        return cls(name, "", "", "", [], [], [], [], [], [], error=error)

    @classmethod
    def unavailable(cls, name: str, why: str) -> SuiteRun:
        """A suite that cannot run here (not a failure)."""
        return cls(name, "", "", "", [], [], [], [], [], [], skipped=why)

    @property
    def peers(self) -> list[str]:
        return [e for e in self.engines if e != "headrace"]

    def find(self, case: str, engine: str, threads: int) -> Figure | None:
        """``engine``'s finished figure of ``case`` at ``threads``, if it has one."""
        return next(
            (
                f
                for f in self.figures
                if (f.case, f.engine, f.threads) == (case, engine, threads) and f.status == "ok"
            ),
            None,
        )

    def ratio(self, case: str, threads: int, peer: str) -> float | None:
        """headrace's time per unit of work divided by ``peer``'s (below 1: headrace is faster)."""
        ours, theirs = self.find(case, "headrace", threads), self.find(case, peer, threads)
        if ours is None or theirs is None or not ours.per_unit_s or not theirs.per_unit_s:
            return None
        return ours.per_unit_s / theirs.per_unit_s

    def ratios(self) -> list[dict[str, Any]]:
        """Every ratio that both sides ran for, per case, thread count and peer."""
        out = []
        for case in self.cases:
            for n in self.threads:
                for peer in self.peers:
                    ratio = self.ratio(case, n, peer)
                    if ratio is not None:
                        out.append({"case": case, "threads": n, "peer": peer, "ratio": ratio})
        return out

    def same_work(self, case: str) -> bool:
        """Whether every engine processed as much in ``case`` (then times compare as they are)."""
        return len({f.work for f in self.figures if f.case == case and f.status == "ok"}) <= 1

    @property
    def failed(self) -> list[Figure]:
        return [f for f in self.figures if f.status == "FAILED"]

    @property
    def ok(self) -> bool:
        """The suite ran, no answer differs and nothing failed (skips are fine)."""
        return not self.error and not self.problems and not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "size": self.size,
            "unit": self.unit,
            "engines": self.engines,
            "cases": self.cases,
            "threads": self.threads,
            "answers_equal": not self.problems,
            "checks": self.checks,
            "problems": self.problems,
            "ratios": self.ratios(),
            "figures": [vars(f) for f in self.figures],
            "details": self.details,
            "error": self.error,
            "skipped": self.skipped,
        }

