"""Runs the test suite against the installed headrace, from outside the source tree.

Usage: python tools/test_installed.py [pytest arguments...]

Copies tests/, docs/, README.md and pyproject.toml (the pytest settings) of this checkout
into a temporary directory and runs pytest there, so that nothing of the checkout is on
sys.path: `import headrace` must find the installed package (a wheel), not python/headrace.
It first checks that, and fails if headrace would come from the checkout. The docs tests
read README.md and docs/ next to tests/, hence the copies. Exit status: pytest's.
cibuildwheel's test-command and tools/check_wheel.sh both run it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["tests", "docs", "README.md", "pyproject.toml"]


def installed_location(cwd: Path) -> Path:
    """Where `import headrace` finds the package when run in `cwd`."""
    code = "import headrace; print(headrace.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip()).resolve()


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="headrace-wheel-tests-") as tmp:
        work = Path(tmp)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__", "native"))
            else:
                shutil.copy2(source, work / name)
        location = installed_location(work)
        print(f"headrace imported from {location}", flush=True)
        if location.is_relative_to(ROOT):
            print(f"error: headrace comes from the source tree {ROOT}, not from an installed wheel", file=sys.stderr)
            return 1
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv]
        return subprocess.run(command, cwd=work).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
