"""The command line: ``python -m headrace demo`` and ``--version``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import headrace as hr
from headrace.__main__ import main


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headrace", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.timeout(150)
def test_demo_prints_result_throughput_and_stats(tmp_path: Path) -> None:
    proc = _run("demo", "--items", "12", "--workers", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    # the result table: one row per sensor, each sensor's tone found by the spectrum step
    assert re.search(r"^\s+sensor\s+tone\s+readings\s+tone found", out, re.M), out
    for sensor, tone in enumerate((50, 120, 400, 1000)):
        assert re.search(rf"^\s+{sensor}\s+{tone}\s+3\s", out, re.M), out
    # the throughput of both runs, side by side, and the check that they agree
    plain = re.search(r"plain Python loop\s+([\d.]+)\s+([\d,.]+)\s+1\.00x", out)
    piped = re.search(r"hr\.Pipeline \(workers=2\)\s+([\d.]+)\s+([\d,.]+)\s+[\d.]+x", out)
    assert plain and piped, out
    assert float(plain.group(1)) > 0 and float(piped.group(1)) > 0
    assert "answers equal: yes" in out
    # the per-step statistics table
    assert re.search(r"^\s+step\s+chain\s+workers\s+in\s+out", out, re.M), out
    for step in ("readings", "features[0]", "features[1]", "features.join", "label", "Summary"):
        assert re.search(rf"^\s+{re.escape(step)}\s", out, re.M), f"no stats row for {step}\n{out}"


def test_version(tmp_path: Path) -> None:
    proc = _run("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"headrace {hr.__version__}"


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--items", "4", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "answers equal: yes" in out
    assert "hr.Pipeline (workers=1)" in out


@pytest.mark.parametrize("args", [["demo", "--items", "0"], ["demo", "--workers", "x"], ["nope"]])
def test_bad_arguments_exit_with_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage: headrace" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out
