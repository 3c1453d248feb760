"""``python -m headrace demo``: a Pipeline on generated sensor data, timed against a plain loop.

The data: ``items`` readings of 131,072 float64 samples each, taken in turn from four
simulated sensors. A reading is Gaussian noise plus the sensor's tone (a sine wave of a
fixed number of cycles per reading) at an amplitude that varies from reading to reading.

The pipeline:

    Source        generates the readings (numpy)
    Parallel      feature union, one dict per reading:
      quantiles     np.sort, then the 1st, 50th and 99th percentiles  (releases the GIL)
      spectrum      np.fft.rfft, then the strongest frequency and its share of the power
                    (releases the GIL)
    label         pure Python: marks a reading "noisy" when its tone is weak
    Summary       stateful hr.Executor: running sums per sensor; finish() emits the table

The plain-Python equivalent calls the same functions in a loop, so both must give exactly
the same table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

import headrace as hr

ROWS = 1 << 17  # samples per reading
SENSORS = 4
TONE_CYCLES = (50, 120, 400, 1000)  # each sensor's tone, in cycles per reading
NOISY_SHARE = 0.0005  # a reading whose strongest frequency holds less of the power is "noisy"


def make_tones() -> np.ndarray:
    """One row per sensor: its unit-amplitude tone over one reading."""
    t = np.arange(ROWS) / ROWS
    return np.stack([np.sin(2 * np.pi * c * t) for c in TONE_CYCLES])


def readings(items: int, tones: np.ndarray, seed: int = 0) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yields ``(index, sensor, samples)`` for every reading."""
    rng = np.random.default_rng(seed)
    for i in range(items):
        sensor = i % SENSORS
        amplitude = rng.uniform(0.01, 0.06)
        samples = rng.standard_normal(ROWS)
        samples += amplitude * tones[sensor]
        yield i, sensor, samples


def quantiles(reading: tuple[int, int, np.ndarray]) -> dict[str, Any]:
    i, sensor, samples = reading
    ordered = np.sort(samples)
    n = len(ordered) - 1
    return {"item": i, "sensor": sensor, "p01": float(ordered[n // 100]),
            "p50": float(ordered[n // 2]), "p99": float(ordered[n * 99 // 100])}


def spectrum(reading: tuple[int, int, np.ndarray]) -> dict[str, Any]:
    samples = reading[2]
    power = np.abs(np.fft.rfft(samples)) ** 2
    power[0] = 0.0  # ignore the mean
    peak = int(np.argmax(power))
    return {"peak": peak, "share": float(power[peak] / power.sum())}


def merge(parts: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def label(features: dict[str, Any]) -> dict[str, Any]:
    features["noisy"] = features["share"] < NOISY_SHARE
    features["spread"] = features["p99"] - features["p01"]
    return features


class Summary(hr.Executor):
    """Running sums per sensor; ``finish`` emits one row per sensor."""

    def open(self, ctx: hr.Context) -> None:
        self.sums: dict[int, dict[str, Any]] = {}

    def execute(self, rec: dict[str, Any], ctx: hr.Context) -> None:
        s = self.sums.setdefault(rec["sensor"], {"items": 0, "p50": 0.0, "spread": 0.0,
                                                  "noisy": 0, "peaks": {}})
        s["items"] += 1
        s["p50"] += rec["p50"]
        s["spread"] += rec["spread"]
        s["noisy"] += rec["noisy"]
        if not rec["noisy"]:
            s["peaks"][rec["peak"]] = s["peaks"].get(rec["peak"], 0) + 1
        return None  # nothing per reading: the table comes at the end

    def finish(self, ctx: hr.Context) -> Iterator[tuple[Any, ...]]:
        for sensor in sorted(self.sums):
            s = self.sums[sensor]
            peak = max(s["peaks"], key=s["peaks"].get) if s["peaks"] else None
            yield (sensor, s["items"], peak, s["p50"] / s["items"], s["spread"] / s["items"],
                   s["noisy"])


def build_pipeline(items: int, workers: int, tones: np.ndarray) -> hr.Pipeline:
    return hr.Pipeline(
        [
            hr.Source(lambda: readings(items, tones), name="readings"),
            hr.Parallel(
                [hr.Step(quantiles, workers=workers), hr.Step(spectrum, workers=workers)],
                join=merge, name="features",
            ),
            hr.Step(label),
            hr.Step(Summary()),
        ],
        queue_size=8,
    )


def plain_loop(items: int, tones: np.ndarray) -> list[tuple[Any, ...]]:
    """The same work without headrace: one reading after the other."""
    summary = Summary()
    ctx = hr.Context("Summary")
    summary.open(ctx)
    for reading in readings(items, tones):
        summary.execute(label(merge((quantiles(reading), spectrum(reading)))), ctx)
    return list(summary.finish(ctx))


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]], indent: str = "  ") -> str:
    """Columns left-aligned for text, right-aligned for numbers."""
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def cell(text: str, i: int, numeric: bool) -> str:
        return text.rjust(widths[i]) if numeric else text.ljust(widths[i])

    numeric = [i > 0 and all(_is_number(r[i]) for r in rows) for i in range(len(header))]
    lines = [indent + "  ".join(cell(c, i, numeric[i]) for i, c in enumerate(r)).rstrip()
             for r in table]
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("x"))
    except ValueError:
        return False
    return True


def _result_rows(result: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    rows = []
    for sensor, n, peak, p50, spread, noisy in result:
        rows.append((str(sensor), str(TONE_CYCLES[sensor]), str(n),
                     "-" if peak is None else str(peak), f"{p50:+.4f}", f"{spread:.4f}",
                     str(noisy)))
    return rows


def run_demo(items: int = 200, workers: int = 2, out: Any = None) -> int:
    """Runs the demo and prints the report; returns 0 when both answers agree, else 1."""
    import sys

    out = out or sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    tones = make_tones()
    say(f"headrace {hr.__version__} demo: {items} readings of {ROWS:,} float64 samples "
        f"from {SENSORS} sensors ({items * ROWS * 8 / 1e6:,.0f} MB)")
    say(f"pipeline: readings -> features[quantiles x{workers} | spectrum x{workers}] "
        "-> label -> Summary")
    say()

    start = time.perf_counter()
    expected = plain_loop(items, tones)
    plain_seconds = time.perf_counter() - start

    pipe = build_pipeline(items, workers, tones)
    start = time.perf_counter()
    result = pipe.run()
    pipe_seconds = time.perf_counter() - start

    say("result: one row per sensor (tone found = most frequent spectrum peak of the clear readings)")
    say(format_table(("sensor", "tone", "readings", "tone found", "mean p50", "mean p99-p01",
                      "noisy"), _result_rows(result)))
    say()
    say("throughput:")
    say(format_table(
        ("run", "seconds", "items/s", "speed-up"),
        [("plain Python loop", f"{plain_seconds:.3f}", f"{items / plain_seconds:,.1f}", "1.00x"),
         (f"hr.Pipeline (workers={workers})", f"{pipe_seconds:.3f}",
          f"{items / pipe_seconds:,.1f}", f"{plain_seconds / pipe_seconds:.2f}x")],
    ))
    same = result == expected
    say(f"answers equal: {'yes' if same else 'NO'}")
    say()
    say("per-step statistics (pipe.stats):")
    say("\n".join("  " + line for line in str(pipe.stats).splitlines()))
    if not same:
        say()
        say(f"plain loop gave: {expected}")
        say(f"pipeline gave:   {result}")
        return 1
    return 0
