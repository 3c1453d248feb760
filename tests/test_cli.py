"""The command line: ``python -m headrace demo``, ``info`` and ``--version`` (``bench``: test_bench_cli.py)."""

from __future__ import annotations

import importlib.metadata
import io
import json
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import headrace as hr
from headrace import _core, _demo, _demo_baselines, _info
from headrace.__main__ import main


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headrace", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")


@pytest.mark.timeout(150)
def test_demo_prints_the_story_result_and_timings(tmp_path: Path) -> None:
    proc = _run("demo", "--rows", "20000", "--threads", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "(20,000 generated orders, 2 threads)" in out
    assert "1. data: 400 customers and 20,000 orders of 2023-2024 in 8 Parquet files" in out
    assert "by an hr.Pipeline: parts -> make_orders x2 -> write_parquet x2" in out
    # the plan: the filter pushed into the scan, the executor partitioned by customer, the join
    assert "[pushed into the scan]" in out
    assert "stateful_transform(Loyalty, parallelism=2, partition_by=['customer_id'])" in out
    assert "join(inner, on customer_id)" in out
    # the result: segments in order, each one's tiers by revenue
    rows = re.findall(r"^  (\w+)\s+(gold|silver|bronze)\s+([\d,]+)\s+([\d,]+)\s+\$([\d,.]+)\s+\$([\d,.]+)$", out, re.M)
    assert {r[0] for r in rows} == set(SEGMENTS), out
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert sum(int(r[3].replace(",", "")) for r in rows) > 5000  # 2024's delivered orders: about 42%
    # the timings of the three ways, and the check that they agree
    assert re.search(r"^  plain Python\s+[\d.]+\s+1\.00x$", out, re.M), out
    assert re.search(r"^  pandas [\d.]+\s+[\d.]+\s+[\d.]+x$", out, re.M), out
    assert re.search(r"^  headrace \(2 threads\)\s+[\d.]+\s+[\d.]+x$", out, re.M), out
    assert re.search(r"^answers equal: yes \(plain Python, pandas [\d.]+, headrace \(2 threads\): the same \d+ rows\)$",
                     out, re.M), out
    assert proc.stderr == ""  # no progress bar when the output is not a terminal


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--rows", "3000", "--threads", "1"]) == 0
    captured = capsys.readouterr()
    assert "answers equal: yes" in captured.out
    assert "headrace (1 thread)" in captured.out
    assert captured.err == ""


def test_demo_exits_1_when_an_answer_differs(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_demo_baselines, "tier_of", lambda months, spent: "gold")  # the plain loop's rule only
    assert main(["demo", "--rows", "3000", "--threads", "2"]) == 1
    out = capsys.readouterr().out
    assert "answers equal: NO (plain Python, pandas" in out
    assert "  plain Python: [(" in out  # every answer is printed


def test_demo_without_pandas(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_demo, "import_pandas", lambda: None)
    assert main(["demo", "--rows", "3000", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert "(pandas 2 or newer is not installed: pip install pandas to see it too)" in out
    assert "answers equal: yes (plain Python, headrace (2 threads): the same" in out


def test_demo_progress_bars_go_to_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    report = io.StringIO()
    assert _demo.run_demo(rows=3000, threads=1, progress=True, out=report) == 0
    err = capsys.readouterr().err
    for bar in ("generating Parquet", "plain Python", "headrace"):
        assert bar in err
    assert "%|" not in report.getvalue() and "answers equal: yes" in report.getvalue()
    assert _demo.run_demo(rows=3000, threads=1, out=io.StringIO()) == 0  # not a terminal: no bars
    assert capsys.readouterr().err == ""


def test_version(tmp_path: Path) -> None:
    proc = _run("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"headrace {hr.__version__}"


@pytest.mark.parametrize("args", [["demo", "--rows", "0"], ["demo", "--threads", "x"], ["nope"]])
def test_bad_arguments_exit_with_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage: headrace" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_version_is_the_installed_distributions() -> None:
    try:
        installed = importlib.metadata.version("headrace")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("headrace is not installed as a distribution (run from a source tree)")
    assert installed == hr.__version__


def test_build_info_describes_the_core() -> None:
    info = _core.build_info()
    for key in ("compiler", "compiler_version", "cxx_standard", "architecture", "build_type", "cxx_flags", "lto",
                "sanitizer", "pybind11"):
        assert isinstance(info[key], str) and info[key], key
    assert isinstance(info["assertions"], bool)
    assert info["cxx_standard"].startswith(("C++20", "C++23"))
    assert ("-flto" in info["cxx_flags"]) <= (info["lto"] != "off")
    assert _core.hardware_concurrency() >= 0


def test_info_prints_every_section_and_core_key(tmp_path: Path) -> None:
    proc = _run("info", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(f"headrace {hr.__version__} (")
    for title in ("Python", "platform", "packages", "optional packages", "native core (headrace._core)", "runtime"):
        assert f"\n{title}\n" in out, title
    for key, value in _core.build_info().items():
        shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        assert re.search(rf"^  {re.escape(key)}\s+{re.escape(shown)}$", out, re.M), key
    assert re.search(rf"^  pyarrow\s+{re.escape(importlib.metadata.version('pyarrow'))}$", out, re.M)
    assert re.search(rf"^  threads\s+{hr.config()['threads']}$", out, re.M)
    assert proc.stderr == ""


def test_info_json(tmp_path: Path) -> None:
    proc = _run("info", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["headrace"]["version"] == hr.__version__
    assert info["python"]["version"] == platform.python_version()
    assert info["packages"]["numpy"] == importlib.metadata.version("numpy")
    assert info["core"] == json.loads(json.dumps(_core.build_info(), default=str))
    for name, version in info["optional"].items():
        try:
            assert version == importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            assert version is None
    assert info["runtime"]["hardware_concurrency"] == _core.hardware_concurrency()


def test_info_imports_no_optional_peer(tmp_path: Path) -> None:
    code = ("import sys; from headrace._info import collect_info; collect_info(); "
            "print(sorted(m for m in ('polars', 'duckdb', 'pandas', 'ray') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_format_info_prints_keys_it_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_info, "_dist_version", lambda name: None if name == "ray" else "9.9")
    info = _info.collect_info()
    info["core"]["hash_isa"] = "avx2"  # a key a newer core adds
    text = _info.format_info(info)
    assert re.search(r"^  hash_isa\s+avx2$", text, re.M)
    assert re.search(r"^  ray\s+not installed$", text, re.M)
    assert re.search(r"^  assertions\s+(yes|no)$", text, re.M)
    assert "warning: the installed distribution says version 9.9" in text


def test_info_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["headrace"]["version"] == hr.__version__


# The console script installed with this interpreter (not whichever is first on PATH).
SCRIPT = shutil.which("headrace", path=sysconfig.get_path("scripts"))


@pytest.mark.skipif(SCRIPT is None, reason="no headrace console script beside this interpreter")
def test_console_script_info(tmp_path: Path) -> None:
    proc = subprocess.run([str(SCRIPT), "info"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "native core (headrace._core)" in proc.stdout
