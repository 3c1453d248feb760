"""``python -m headrace info``: what is installed and how the native core was built.

Optional peers are looked up in the installed distributions' metadata, never imported, so
the command is quick and shows a broken peer as installed rather than failing on it.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Any

from . import _core
from ._config import threads
from ._version import __version__

REQUIRED = ("numpy", "pyarrow", "cloudpickle", "tqdm")
OPTIONAL = ("polars", "duckdb", "pandas", "ray")


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _usable_cpus() -> int | None:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def collect_info() -> dict[str, dict[str, Any]]:
    """Everything ``headrace info`` reports, as sections of ``name: value`` (JSON-ready).

    Sections: ``headrace``, ``python``, ``platform``, ``packages`` (headrace's dependencies),
    ``optional`` (peers headrace works with; ``None`` when not installed), ``core`` (the build
    of the compiled module: :func:`headrace._core.build_info`) and ``runtime`` (threads).

    Example:
        >>> from headrace._info import collect_info
        >>> info = collect_info()
        >>> info["core"]["compiler"] in ("GCC", "Clang", "AppleClang", "MSVC", "unknown")
        True
    """
    return {
        "headrace": {
            "version": __version__,
            "distribution": _dist_version("headrace"),
            "location": str(Path(__file__).parent),
        },
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
            "build": " ".join(platform.python_build()),
            "compiler": platform.python_compiler(),
            "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "cpu": _cpu_model(),
        },
        "packages": {name: _dist_version(name) for name in REQUIRED},
        "optional": {name: _dist_version(name) for name in OPTIONAL},
        "core": dict(_core.build_info()),
        "runtime": {
            "threads": threads(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": _usable_cpus(),
            "hardware_concurrency": _core.hardware_concurrency(),
        },
    }


_TITLES = {
    "python": "Python",
    "platform": "platform",
    "packages": "packages",
    "optional": "optional packages",
    "core": "native core (headrace._core)",
    "runtime": "runtime",
}


def _text(value: Any, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def format_info(info: dict[str, dict[str, Any]]) -> str:
    """The text report of ``headrace info``: a title line, then one block per section."""
    head = info["headrace"]
    lines = [f"headrace {head['version']} ({head['location']})"]
    if head["distribution"] not in (None, head["version"]):
        lines.append(f"  warning: the installed distribution says version {head['distribution']}")
    for section, title in _TITLES.items():
        values = info[section]
        width = max(map(len, values), default=0)
        lines.append("")
        lines.append(title)
        missing = "not installed" if section in ("packages", "optional") else "unknown"
        lines.extend(f"  {key:<{width}}  {_text(value, missing)}" for key, value in values.items())
    return "\n".join(lines)


def print_info(as_json: bool = False) -> int:
    """Prints the report (``as_json``: the :func:`collect_info` dict as JSON); returns 0."""
    info = collect_info()
    print(json.dumps(info, indent=2, default=str) if as_json else format_info(info))
    return 0
