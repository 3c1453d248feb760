"""Runs the test suite against the installed headrace, from outside the source tree.

Usage: python tools/test_installed.py [pytest arguments...]

Copies what the tests read into a temporary directory and runs pytest there: tests/,
pyproject.toml (the pytest settings), README.md, docs/, mkdocs.yml and bench/ (the docs
tests check their examples and links and build the site; bench/RESULTS.md is a page of it)
and python/ (the site's API reference reads the sources; python/ is never on sys.path).
`import headrace` must therefore find the installed package (a wheel): the script checks
that first and fails if headrace would come from the checkout or from the copy. Exit
status: pytest's. cibuildwheel's test-command and tools/check_wheel.sh both run it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["tests", "pyproject.toml", "README.md", "docs", "mkdocs.yml", "bench", "python"]
# Not copied: the native tests, build outputs, compiled modules and caches.
IGNORED = shutil.ignore_patterns("native", "out", "__pycache__", "*.so", "*.pyd", ".hypothesis", ".pytest_cache")


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
                shutil.copytree(source, work / name, ignore=IGNORED)
            else:
                shutil.copy2(source, work / name)
        location = installed_location(work)
        print(f"headrace imported from {location}", flush=True)
        if location.is_relative_to(ROOT) or location.is_relative_to(work.resolve()):
            print(f"error: headrace comes from a source tree ({location}), not a wheel", file=sys.stderr)
            return 1
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv]
        return subprocess.run(command, cwd=work).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
