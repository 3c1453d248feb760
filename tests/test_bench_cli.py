"""``python -m headrace bench`` at tiny sizes: it runs, writes its JSON and PNG, checks answers
(a wrong one makes it exit 1), skips a peer that is not installed; and the figures' ratios."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from headrace.__main__ import main
from headrace.benchmarks import _harness, _report, groupby, join, pipeline_throughput
from headrace.benchmarks._chart import draw, span, tick_subs
from headrace.benchmarks._suite import Figure, SuiteRun

PNG = b"\x89PNG\r\n\x1a\n"
TINY = ["--rows", "5000", "--reps", "1", "--threads", "1"]


def bench(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headrace", "bench", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=150, check=False, env=env)


def figures(payload: dict, suite: str) -> list[dict]:
    return next(s for s in payload["suites"] if s["name"] == suite)["figures"]


@pytest.mark.timeout(180)
def test_bench_runs_two_suites_and_writes_json_and_png(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = bench("--suites", "groupby,join", "--peers", "pyarrow", *TINY, "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "answers equal: yes, in every suite" in text
    for suite, cases in (("groupby", ("int_100", "int_1m", "str_1k")), ("join", ("int_inner", "str_inner"))):
        assert f"## {suite} (" in text
        for case in cases:
            assert f"{case}: answers equal across 2 engine x thread runs" in text
            assert f"| {case} | 1 | " in text  # its row in the table of medians and ratios
    assert "| case | threads | headrace | pyarrow | ÷ pyarrow |" in text

    payload = json.loads((out / "results.json").read_text())
    assert payload["ok"] and payload["answers_equal"]
    assert payload["command"][:4] == ["python", "-m", "headrace", "bench"]
    assert [s["name"] for s in payload["suites"]] == ["groupby", "join"]
    for suite in payload["suites"]:
        ran = {(f["case"], f["engine"]) for f in suite["figures"] if f["status"] == "ok"}
        assert ran == {(c, e) for c in suite["cases"] for e in ("headrace", "pyarrow")}
        assert all(f["median_s"] > 0 and len(f["times"]) == 1 for f in suite["figures"])
        assert {(r["case"], r["peer"]) for r in suite["ratios"]} == {(c, "pyarrow") for c in suite["cases"]}
    chart = (out / "ratios.png").read_bytes()
    assert chart.startswith(PNG) and len(chart) > 10_000
    assert f"chart of the ratios: {out / 'ratios.png'}" in text


@pytest.mark.timeout(120)
def test_a_peer_that_is_not_installed_is_skipped(tmp_path: Path) -> None:
    hidden = tmp_path / "hide"  # a polars package that fails to import, ahead of the real one
    (hidden / "polars").mkdir(parents=True)
    (hidden / "polars" / "__init__.py").write_text("raise ImportError('polars is hidden by the test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hidden), os.environ.get("PYTHONPATH", "")]))
    out = tmp_path / "out"
    proc = bench("--suites", "groupby", "--peers", "polars,pyarrow", *TINY, "--out", str(out), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "polars skipped: polars not importable (polars is hidden by the test)" in proc.stdout
    assert "÷ polars" not in proc.stdout  # no column for an engine that never ran
    assert "answers equal: yes, in every suite" in proc.stdout
    payload = json.loads((out / "results.json").read_text())
    assert {f["status"] for f in figures(payload, "groupby") if f["engine"] == "polars"} == {"skipped"}
    assert {f["status"] for f in figures(payload, "groupby") if f["engine"] != "polars"} == {"ok"}


@pytest.mark.timeout(120)
def test_a_wrong_answer_makes_the_bench_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    real_spawn = _harness.spawn

    def one_group_too_many(module: str, engine: str, threads: int, options: list[str]) -> dict:
        out = real_spawn(module, engine, threads, options)
        if engine == "pyarrow":
            out["cases"]["str_1k"]["digest"]["groups"] += 1
        return out

    monkeypatch.setattr(_harness, "spawn", one_group_too_many)
    code = main(["bench", "--suites", "groupby", "--peers", "pyarrow", *TINY, "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert code == 1, text
    assert "str_1k: ANSWERS DIFFER:" in text
    wrong = re.search(r"str_1k pyarrow threads=1 differs from str_1k headrace threads=1: groups: (\d+) != (\d+)", text)
    assert wrong and int(wrong[2]) == int(wrong[1]) + 1, text
    assert "int_100: answers equal" in text
    assert "answers equal: NO (groupby)" in text
    assert json.loads((tmp_path / "results.json").read_text())["answers_equal"] is False


@pytest.mark.timeout(120)
def test_pipeline_suite_checks_every_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "--suites", "pipeline", "--items", "3", "--reps", "1", "--threads", "1,2", "--out", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "sort 1,000,000: outputs of 5 implementation x worker runs equal the plain loop's" in text
    assert "| 1 row | 1 | " in text and "| sort 1,000,000 | 2 | " in text
    assert "| 1 row | 2 | " not in text  # the 3-step pipeline has one worker per step
    pipeline = json.loads((tmp_path / "results.json").read_text())["suites"][0]
    ran = {(f["case"], f["engine"], f["threads"]) for f in pipeline["figures"] if f["status"] == "ok"}
    assert {("1 row", "headrace", 1), ("sort 1,000,000", "headrace", 2), ("sort 1,000,000", "threads+queue", 2)} <= ran

    real_map = pipeline_throughput.headrace_map
    monkeypatch.setattr(pipeline_throughput, "headrace_map", lambda fn, k: lambda items: real_map(fn, k)(items)[::-1])
    assert main(args) == 1
    text = capsys.readouterr().out
    assert "sort 1,000,000: ANSWERS DIFFER:" in text
    assert "answers equal: NO (pipeline)" in text


def test_a_suite_that_cannot_run_is_skipped_and_one_that_breaks_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def unavailable(options: object) -> SuiteRun:
        raise _harness.Skip("its data generator is not installed")

    def broken(options: object) -> SuiteRun:
        raise RuntimeError("the data folder is read-only")

    monkeypatch.setattr(groupby, "run_suite", unavailable)
    assert main(["bench", "--suites", "groupby", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "## groupby: skipped: its data generator is not installed" in text
    assert "no chart: no headrace / peer pair finished" in text
    monkeypatch.setattr(join, "run_suite", broken)
    assert main(["bench", "--suites", "groupby,join", "--out", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "## join: FAILED: RuntimeError: the data folder is read-only" in text
    assert "failed: join" in text
    suites = json.loads((tmp_path / "results.json").read_text())["suites"]
    assert [(s["name"], s["skipped"], s["error"]) for s in suites] == [
        ("groupby", "its data generator is not installed", ""),
        ("join", "", "RuntimeError: the data folder is read-only"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suites", "nope"], "--suites: unknown nope; known: pipeline,"),
        (["--suites", "groupby", "--peers", "neuraxle"], "--peers: unknown neuraxle for the suites groupby"),
        (["--threads", "0"], "expected thread counts like 1,2"),
        (["--reps", "0"], "expected an integer >= 1"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_import_headrace_leaves_the_benchmarks_and_matplotlib_alone() -> None:
    code = "import sys, headrace; print(sorted(m for m in sys.modules if m.startswith(('headrace.benchmarks', " \
           "'matplotlib', 'tqdm', 'polars', 'duckdb', 'pandas'))))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "[]"


def run_of(figs: list[Figure]) -> SuiteRun:
    return SuiteRun("pipeline", "title", "size", "items", ["headrace", "plain", "minipipe"], ["c"], [1], figs, [], [])


def test_ratios_compare_the_time_per_unit_of_work() -> None:
    run = run_of([
        Figure("c", "headrace", 1, "ok", median_s=1.0, work=1000),  # 1 ms per item
        Figure("c", "plain", 1, "ok", median_s=1.0, work=250),  # 4 ms per item: headrace is 4x faster
        Figure("c", "minipipe", 1, "skipped", note="not installed"),
    ])
    assert run.ratio("c", 1, "plain") == pytest.approx(0.25)
    assert run.ratio("c", 1, "minipipe") is None
    assert run.ratios() == [{"case": "c", "threads": 1, "peer": "plain", "ratio": pytest.approx(0.25)}]
    assert not run.same_work("c")
    table = _report.table(run)
    assert "| c | 1 | 1 ms/item | 4 ms/item | 0.25x |" in table
    assert "minipipe" not in table  # skipped everywhere: named in the notes only
    assert _report.notes(run) == ["minipipe skipped: not installed"]


@pytest.mark.parametrize(("seconds", "text"), [(12.5, "12.500 s"), (0.456, "456 ms"), (0.0123, "12.3 ms"),
                                               (4.56e-5, "45.6 µs"), (2e-7, "0.2 µs")])
def test_durations_keep_three_significant_digits(seconds: float, text: str) -> None:
    assert _report.duration(seconds) == text


@pytest.mark.parametrize(("value", "text"), [(0.4249, "0.42x"), (1.0, "1.00x"), (0.01, "0.01x"),
                                             (0.000384, "0.00038x"), (250.4, "250x"), (12345.0, "12,345x")])
def test_ratios_keep_their_digits(value: float, text: str) -> None:
    assert _report.ratio(value) == text


def test_chart_ticks_thin_out_over_many_decades() -> None:
    assert tick_subs(*span([0.3, 1.7])) == (1.0, 2.0, 5.0)
    assert tick_subs(*span([0.0004, 1.7])) == (1.0,)  # minipipe's 1 / 2,600: 0.0002x to 5,000x


def test_chart_needs_a_ratio(tmp_path: Path) -> None:
    only_headrace = run_of([Figure("c", "headrace", 1, "ok", median_s=1.0, work=1)])
    with pytest.raises(ValueError, match="no ratio to draw"):
        draw([only_headrace], tmp_path / "r.png", "title")
    both = run_of([Figure("c", "headrace", 1, "ok", median_s=1.0, work=1),
                   Figure("c", "plain", 1, "ok", median_s=3.0, work=1)])
    assert draw([both], tmp_path / "r.png", "title").read_bytes().startswith(PNG)
