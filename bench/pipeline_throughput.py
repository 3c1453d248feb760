"""The pipeline throughput benchmark, runnable from a checkout: ``python bench/pipeline_throughput.py``.

The suite is ``headrace.benchmarks.pipeline_throughput`` (its docstring says what it measures,
how, and how to install the optional peers; ``--help`` lists the options).
"""

import sys

from headrace.benchmarks import pipeline_throughput

if __name__ == "__main__":
    sys.exit(pipeline_throughput.main())
