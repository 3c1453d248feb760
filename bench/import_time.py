"""How long ``import headrace`` takes, against the imports of its peers: ``python bench/import_time.py``.

Each module is imported in ``--runs`` fresh interpreters (``python -X importtime -c "import
MODULE"``, the same interpreter and environment as this script), taking the cumulative time
Python itself reports for the module; the runs of all modules alternate, so a busy machine
slows them alike. Prints the median, fastest and slowest run per module. A module that is not
installed is skipped, with a note.

    python bench/import_time.py [--runs 15] [--modules headrace,pyarrow,polars,duckdb]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys


def import_seconds(module: str) -> float:
    """The cumulative import time of ``module`` in a fresh interpreter, from ``-X importtime``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=120, check=True)
    for line in proc.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"; the package is indented by depth.
        fields = line.split("|")
        if len(fields) == 3 and fields[2].rstrip() == f" {module}":
            return int(fields[1]) / 1e6
    raise RuntimeError(f"-X importtime did not report {module} (imported at start-up?)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per module (default 15)")
    parser.add_argument("--modules", default="headrace,pyarrow,polars,duckdb",
                        help="comma-separated modules to time (default: headrace,pyarrow,polars,duckdb)")
    args = parser.parse_args(argv)
    modules = []
    for module in args.modules.split(","):
        if importlib.util.find_spec(module) is None:
            print(f"({module} is not installed: skipped)")
        else:
            modules.append(module)
    times: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(args.runs):
        for module in modules:
            times[module].append(import_seconds(module))
    print(f"{sys.executable} -X importtime -c 'import MODULE': cumulative import time, {args.runs} fresh processes")
    print(f"{'module':<10} {'median':>9} {'fastest':>9} {'slowest':>9}")
    for module, seconds in times.items():
        print(f"{module:<10} {statistics.median(seconds) * 1e3:>7.1f}ms {min(seconds) * 1e3:>7.1f}ms "
              f"{max(seconds) * 1e3:>7.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
