"""The bench command's chart: headrace's time ÷ each peer's, per suite, case and thread count.

One PNG with a panel per suite; each bar starts at 1x (parity) and ends at the ratio, on a log
scale, so a bar to the left means headrace was faster. Drawn with matplotlib's object API on the
Agg canvas: it changes no global matplotlib state (no pyplot, no backend switch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._report import ratio
from ._suite import SuiteRun

BAR = 0.28  # inches per bar
GROUP_GAP = 0.5  # bars' worth of space between two (case, threads) groups
PANEL_EXTRA = 0.9  # inches per panel for its title and axis


def ratio_label(value: float, _pos: Any = None) -> str:
    """``0.5x``, ``1x``, ``10x``: tick labels of the ratio axis."""
    return f"{value:g}x"


def span(ratios: Sequence[float]) -> tuple[float, float]:
    """Log-symmetric limits around 1x that leave room for the bars' labels."""
    widest = max(abs(math.log10(r)) for r in ratios)
    half = max(math.log10(2.0), widest) + 0.35
    return 10**-half, 10**half


def tick_subs(low: float, high: float) -> tuple[float, ...]:
    """Ticks at 1, 2 and 5 times each power of ten, or at the powers alone when the axis
    spans so many decades that those labels would run into each other."""
    return (1.0, 2.0, 5.0) if math.log10(high / low) <= 4.0 else (1.0,)


def draw(runs: Sequence[SuiteRun], path: Path, title: str) -> Path:
    """Draws the ratios of ``runs`` into the PNG ``path``; ``title`` says what ran. Raises
    ImportError without matplotlib and ValueError when no suite has a ratio to draw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    panels = [(run, run.ratios()) for run in runs]
    panels = [(run, ratios) for run, ratios in panels if ratios]
    if not panels:
        raise ValueError("no headrace / peer pair finished, so there is no ratio to draw")
    peers = list(dict.fromkeys(r["peer"] for _, ratios in panels for r in ratios))
    palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
    color = {p: palette[i % len(palette)] for i, p in enumerate(peers)}
    low, high = span([r["ratio"] for _, ratios in panels for r in ratios])

    heights = [BAR * (len(ratios) + GROUP_GAP * len(groups_of(ratios))) + PANEL_EXTRA for _, ratios in panels]
    fig = Figure(figsize=(10, sum(heights) + 1.0), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, (run, ratios) in zip(axes, panels):
        y, ticks, labels = 0.0, [], []
        for case, threads in groups_of(ratios):
            bars = [r for r in ratios if (r["case"], r["threads"]) == (case, threads)]
            ticks.append(y + (len(bars) - 1) / 2)
            labels.append(f"{case} · {threads} thread{'s' if threads > 1 else ''}")
            for r in bars:
                ax.barh(y, r["ratio"] - 1.0, left=1.0, height=0.8, color=color[r["peer"]])
                faster = r["ratio"] < 1.0
                ax.text(r["ratio"], y, f" {ratio(r['ratio'])} ", va="center", ha="right" if faster else "left",
                        fontsize=8)
                y += 1.0
            y += GROUP_GAP
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=tick_subs(low, high)))
        ax.xaxis.set_major_formatter(FuncFormatter(ratio_label))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_yticks(ticks, labels, fontsize=9)
        ax.set_ylim(y - GROUP_GAP, -1.0)  # the first group on top
        ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(run.title, loc="left", fontsize=10)
    axes[-1].set_xlabel("headrace time ÷ peer time (log scale; below 1x headrace is faster)")
    fig.legend(handles=[Patch(color=color[p], label=p) for p in peers], loc="outside upper center",
               ncols=min(len(peers), 8), frameon=False, title=title, title_fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def groups_of(ratios: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
    """The (case, threads) pairs of ``ratios``, in their order."""
    return list(dict.fromkeys((r["case"], r["threads"]) for r in ratios))
