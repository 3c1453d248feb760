"""TPC-H data as Parquet files, generated on demand by ``tpchgen-cli`` into a cache folder.

``tpch_data(sf)`` returns the folder that holds ``lineitem.parquet``, ``orders.parquet``, ...
for scale factor ``sf``, generating it the first time (SF 1 takes about 10 s and 350 MB) and
reusing it afterwards. Generation writes into a temporary folder beside the target and renames
it into place, so an interrupted run never leaves a half-written data set that looks complete.

The folder is ``$HEADRACE_TPCH_DIR/sf{sf}`` when that variable is set, else
``~/.cache/headrace/tpch/sf{sf}`` (``$XDG_CACHE_HOME`` is honoured); ``root=`` overrides both.

``tpchgen-cli`` (``pip install tpchgen-cli``, part of ``headrace[bench]``) writes the TPC-H
columns with their standard names (``l_orderkey``, ``o_orderdate``, ...): keys as int64
(``l_linenumber``, ``p_size``, ``ps_availqty`` and ``o_shippriority`` as int32), money and
quantities as ``decimal128(15, 2)``, dates as ``date32`` and text as ``string_view``.

Examples:
    >>> import tempfile
    >>> folder = tpch_data(0.01, root=tempfile.mkdtemp())      # needs tpchgen-cli
    >>> folder.name, sorted(p.name for p in folder.iterdir())[:2]
    ('sf0.01', ['customer.parquet', 'lineitem.parquet'])
    >>> tpch_data(0.01, root=folder.parent) == folder           # the second time: reused
    True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["TABLES", "TpchDataError", "default_root", "find_tpchgen", "tpch_data", "tpch_folder"]

TABLES = ("customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier")
ENV_VAR = "HEADRACE_TPCH_DIR"


class TpchDataError(RuntimeError):
    """TPC-H data could not be generated (``tpchgen-cli`` missing or failing)."""


def default_root() -> Path:
    """The cache folder that holds one sub-folder per scale factor.

    Examples:
        >>> import os
        >>> os.environ["HEADRACE_TPCH_DIR"] = "/data/tpch"
        >>> str(default_root())
        '/data/tpch'
        >>> del os.environ["HEADRACE_TPCH_DIR"]
    """
    given = os.environ.get(ENV_VAR)
    if given:
        return Path(given).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "headrace" / "tpch"


def _sf_name(sf: float) -> str:
    """``sf1``, ``sf0.1``, ``sf10``: the folder name of a scale factor."""
    if isinstance(sf, bool) or not isinstance(sf, (int, float)) or not sf > 0:
        raise ValueError(f"the scale factor must be a positive number, got {sf!r}")
    return f"sf{float(sf):g}"


def tpch_folder(sf: float, root: str | os.PathLike[str] | None = None) -> Path:
    """Where the data of scale factor ``sf`` lives (whether or not it exists yet).

    Examples:
        >>> tpch_folder(0.1, root="/tmp/tpch").as_posix()
        '/tmp/tpch/sf0.1'
        >>> tpch_folder(1, root="/tmp/tpch").name
        'sf1'
    """
    base = Path(root).expanduser() if root is not None else default_root()
    return base / _sf_name(sf)


def _complete(folder: Path) -> bool:
    return all((folder / f"{table}.parquet").is_file() for table in TABLES)


def find_tpchgen() -> str | None:
    """The path of the ``tpchgen-cli`` program (on PATH, or beside this Python), or None."""
    return shutil.which("tpchgen-cli") or shutil.which("tpchgen-cli", path=str(Path(sys.executable).parent))


def tpch_data(sf: float = 1, root: str | os.PathLike[str] | None = None, threads: int | None = None) -> Path:
    """The folder of TPC-H Parquet files at scale factor ``sf``, generated if missing.

    ``root`` overrides the cache folder (see the module's docstring); ``threads`` caps
    tpchgen-cli's threads (default: all cores). Raises :class:`TpchDataError` when
    tpchgen-cli is missing or fails.
    """
    folder = tpch_folder(sf, root)
    if _complete(folder):
        return folder
    found = find_tpchgen()
    if found is None:
        raise TpchDataError("tpchgen-cli is not installed: pip install tpchgen-cli "
                            "(or pip install 'headrace[bench]')")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp's folder is private; the cache is not
    try:
        args = [found, "parquet", "-s", f"{float(sf):g}", "-o", str(staging), "--quiet"]
        if threads is not None:
            args += ["-n", str(threads)]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise TpchDataError(f"tpchgen-cli failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
        if not _complete(staging):
            raise TpchDataError(f"tpchgen-cli did not write every table into {staging}")
        try:
            staging.rename(folder)
        except OSError:
            if not _complete(folder):  # another process won the race only if its copy is whole
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
