"""Run-wide settings: ``hr.config(threads=...)``."""

from __future__ import annotations

import os
from typing import Any

_DEFAULTS: dict[str, Any] = {"threads": None, "batch_size": 65_536, "queue_size": 8}
_settings: dict[str, Any] = dict(_DEFAULTS)


def config(**settings: Any) -> dict[str, Any]:
    """Reads or changes headrace's settings; returns the settings now in force.

    Settings:
        threads: how many worker threads a DataStream stage runs with (default: the
            machine's CPU count). ``None`` restores the default.
        batch_size: the most rows per batch that sources produce (default 65536).
        queue_size: capacity, in batches, of the queue in front of each stage (default 8).

    Example:
        >>> import headrace as hr
        >>> previous = hr.config()["threads"]
        >>> hr.config(threads=2)["threads"]
        2
        >>> _ = hr.config(threads=previous)
    """
    for name, value in settings.items():
        if name not in _DEFAULTS:
            raise TypeError(f"config: unknown setting {name!r}; settings are {', '.join(sorted(_DEFAULTS))}")
        if value is None:
            value = _DEFAULTS[name]
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"config: {name} must be an integer >= 1 (or None), got {value!r}")
        _settings[name] = value
    return {**_settings, "threads": threads()}


def threads() -> int:
    """The number of worker threads a parallel stage runs with."""
    return _settings["threads"] or os.cpu_count() or 1


def get(name: str) -> Any:
    return _settings[name]
