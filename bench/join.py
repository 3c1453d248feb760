"""The join benchmark, runnable from a checkout: ``python bench/join.py [options]``.

The suite is ``headrace.benchmarks.join`` (its docstring says what it measures and how;
``--help`` lists the options); run this way, its JSON files (and generated data) go to
``bench/``, where bench/RESULTS.md's figures come from.
"""

import sys
from pathlib import Path

from headrace.benchmarks import join

if __name__ == "__main__":
    sys.exit(join.main(results_dir=Path(__file__).resolve().parent))
