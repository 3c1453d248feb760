"""Run-wide settings: ``hr.config(threads=...)``."""

from __future__ import annotations

import os
from typing import Any

_DEFAULTS: dict[str, Any] = {"threads": None, "batch_size": 65_536, "queue_size": 8, "backend": "local",
                             "address": None, "parquet_reader": "native", "pin_scans": None}
BACKENDS = ("local", "ray")
PARQUET_READERS = ("native", "pyarrow")
_settings: dict[str, Any] = dict(_DEFAULTS)


def config(**settings: Any) -> dict[str, Any]:
    """Reads or changes headrace's settings; returns the settings now in force.

    Keyword Args:
        threads (int | None): how many worker threads a DataStream stage runs with
            (default: the machine's CPU count). ``None`` restores the default.
        batch_size (int): the most rows per batch that sources produce (default 65536).
        queue_size (int): capacity, in batches, of the queue in front of each stage
            (default 8).
        backend (str | None): where DataStreams run: ``"local"`` (default) or ``"ray"`` (a
            Ray cluster, ``pip install 'headrace[ray]'``; see docs/ray.md). ``None`` restores
            the default.
        address (str | None): the Ray cluster to join (passed to ``ray.init``); ``None``
            joins the one named by RAY_ADDRESS, else starts a local one.
        parquet_reader (str | None): ``"native"`` (default) decodes Parquet with headrace's
            own reader where it can (pyarrow reads the rest); ``"pyarrow"`` reads every file
            with pyarrow. ``None`` restores the default.
        pin_scans (bool | None): whether a worker running a scan task pins itself to a CPU
            no other worker holds, for that task (Linux; see ``_cpus.py``). ``None``
            (default): when the workers are at least as many as the CPUs the process may
            use; ``True``: whenever a CPU is free; ``False``: never.

    Examples:
        >>> import headrace as hr
        >>> previous = hr.config()["threads"]
        >>> hr.config(threads=2)["threads"]
        2
        >>> _ = hr.config(threads=previous)
    """
    for name, value in settings.items():
        if name not in _DEFAULTS:
            raise TypeError(f"config: unknown setting {name!r}; settings are {', '.join(sorted(_DEFAULTS))}")
        if name in ("backend", "address", "parquet_reader"):
            value = _text_setting(name, value)
        elif name == "pin_scans":
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"config: pin_scans must be True, False or None, got {value!r}")
        elif value is None:
            value = _DEFAULTS[name]
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"config: {name} must be an integer >= 1 (or None), got {value!r}")
        _settings[name] = value
    return {**_settings, "threads": threads()}


def _text_setting(name: str, value: Any) -> Any:
    if value is None:
        return _DEFAULTS[name]
    if name == "backend":
        return backend(value)
    if name == "parquet_reader":
        if value not in PARQUET_READERS:
            raise ValueError(f"config: parquet_reader must be one of {', '.join(map(repr, PARQUET_READERS))}, "
                             f"got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"config: address must be a string (a Ray cluster address) or None, got {value!r}")
    return value


def backend(value: str | None = None) -> str:
    """``value`` checked, or the configured backend when it is None."""
    if value is None:
        return _settings["backend"]
    if value not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {value!r}")
    return value


def threads() -> int:
    """The number of worker threads a parallel stage runs with."""
    return _settings["threads"] or os.cpu_count() or 1


def get(name: str) -> Any:
    return _settings[name]
