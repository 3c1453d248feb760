"""``import headrace`` stays light: optional peers and heavy dependencies load on first use
(how long it takes: bench/import_time.py, figures in bench/RESULTS.md)."""

from __future__ import annotations

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
