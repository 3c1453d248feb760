"""``import headrace`` stays light: optional peers and heavy dependencies load on first use
(how long it takes: bench/import_time.py, figures in bench/RESULTS.md)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

# Optional peers, the test suite's tools, and the dependencies only some features need
# (pyarrow/numpy: DataStreams and expressions; tqdm: progress bars; cloudpickle: processes).
NOT_ON_IMPORT = ("polars", "pandas", "duckdb", "ray", "matplotlib", "hypothesis", "pyarrow", "numpy", "tqdm",
                 "cloudpickle")
IMPORT_TIME = Path(__file__).resolve().parents[1] / "bench" / "import_time.py"


def test_import_headrace_loads_no_optional_or_heavy_dependency(tmp_path: Path) -> None:
    code = f"import sys, headrace; print(sorted({{m.partition('.')[0] for m in sys.modules}} & set({NOT_ON_IMPORT!r})))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.skipif(not IMPORT_TIME.is_file(), reason="bench/ is not beside tests/ (not a source checkout)")
def test_import_time_script_reports_a_median(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(IMPORT_TIME), "--runs", "1", "--modules", "headrace,no_such_module_xyz"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "(no_such_module_xyz is not installed: skipped)" in proc.stdout
    assert any(line.startswith("headrace ") and line.endswith("ms") for line in proc.stdout.splitlines()), proc.stdout


@pytest.mark.parametrize("environment, tuned", [
    ({}, True), ({"HEADRACE_MALLOC_TUNING": "0"}, False), ({"MALLOC_TRIM_THRESHOLD_": "1048576"}, False),
    ({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1048576"}, False),
])
def test_the_allocator_is_tuned_on_import_unless_the_environment_says_otherwise(environment, tuned):
    """glibc's mmap and trim thresholds are raised on import (arrow/allocator_tuning.h) unless
    the user set malloc's tunables or HEADRACE_MALLOC_TUNING=0; never off glibc."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HEADRACE_MALLOC_TUNING", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", "import headrace._core as c; print(c.allocator_tuned)"],
                         env={**env, **environment}, capture_output=True, text=True, timeout=120, check=True)
    on_glibc = platform.libc_ver()[0] == "glibc"
    assert out.stdout.strip() == str(tuned and on_glibc)
