"""headrace's benchmark suites against its peers (``python -m headrace bench``).

Each suite is a module of this package that races headrace against whichever peers are
installed (pyarrow, Polars, DuckDB, pandas, Neuraxle, minipipe), each engine in a fresh worker
process, and checks every engine's answer. ``python -m headrace bench`` runs the suites and
reports them together; ``python bench/NAME.py`` runs one suite on its own.

Nothing here is imported by ``import headrace``: the suites import their peers only inside
their worker processes, and matplotlib only to draw the chart.
"""
