"""Saving every saver of a run atomically: each writes to a temporary name (its stage);
only when all of them wrote are they moved into place, and if one of those moves fails,
the ones already moved are put back."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from headrace.io._base import FileStage, Stage
from headrace.io._errors import renamed
from headrace.io._specs import Save


def save_all(saves: Sequence[Save], values: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Runs every saver on its value (staged), then commits them all; returns the metadata
    of each saver by id (path, rows, bytes, columns, seconds). On any error nothing new is
    left in place and the error propagates."""
    stages: list[Stage] = []
    metadata: dict[str, dict[str, Any]] = {}
    try:
        for spec in saves:
            stage = spec.saver(inputs).staged()
            stages.append(stage)
            metadata[spec.id] = _save(spec, stage, spec.value(values))
    except BaseException:
        for stage in stages:
            stage.discard()
        raise
    _commit(stages)
    return metadata


def _save(spec: Save, stage: Stage, data: Any) -> dict[str, Any]:
    final = stage.final if isinstance(stage, FileStage) else None
    start = time.perf_counter()
    try:
        found = stage.saver.save_data(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        where = f" to {final!r}" if final else ""
        raise renamed(exc, f"{spec.label}: cannot save{where}") from exc
    seconds = time.perf_counter() - start
    found = dict(found or {})
    found.setdefault("rows", None)
    found.setdefault("bytes", None)
    found.setdefault("columns", None)
    found["path"] = final if final is not None else found.get("path")
    found["seconds"] = seconds
    return found


def _commit(stages: list[Stage]) -> None:
    done: list[Stage] = []
    try:
        for stage in stages:
            stage.commit()
            done.append(stage)
    except BaseException:
        for stage in reversed(done):
            with contextlib.suppress(OSError):
                stage.undo()
        for stage in stages:
            stage.discard()
            stage.forget()  # the backup of a commit that failed half-way
        raise
    for stage in stages:
        stage.forget()
