"""The saved form of a stage: a folder with ``stage.json`` (format, version, class import
path, parameters, model-data files with their SHA-256, child stages) and model data as Arrow
IPC files. Loading never unpickles: it imports the named class, checks it is a Stage, and
builds it from JSON parameters and Arrow tables."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

from ._stage import Stage

FORMAT = "headrace.ml"
VERSION = 1
META = "stage.json"


class FormatError(ValueError):
    """A saved stage that cannot be loaded: the message names the file and the problem."""


def save_stage(stage: Stage, path: str | os.PathLike[str]) -> None:
    """Writes ``stage`` to the new folder ``path`` (written beside it, then renamed into place)."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target}: already exists (save writes a new folder)")
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write(stage, staging)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(stage: Stage, folder: Path) -> None:
    folder.mkdir(parents=True)
    cls = type(stage)
    if "<locals>" in cls.__qualname__:
        raise TypeError(f"{stage.stage_name}: a class defined inside a function cannot be loaded back by its import "
                        "path; define it at module level")
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "params": _json_params(stage),
        "data": {},
        "stages": [],
    }
    for name, table in stage._model_tables().items():
        file = f"{name}.arrow"
        with pa.OSFile(str(folder / file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        meta["data"][name] = {"file": file, "sha256": hashlib.sha256((folder / file).read_bytes()).hexdigest()}
    for i, child in enumerate(stage._children()):
        _write(child, folder / "stages" / str(i))
        meta["stages"].append(f"stages/{i}")
    (folder / META).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")


def _json_params(stage: Stage) -> dict[str, Any]:
    params = stage._save_params()
    for name, value in params.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise TypeError(f"{stage.stage_name}: parameter {name!r} ({type(value).__name__}) cannot be saved as JSON; "
                            "keep parameters to numbers, strings, booleans, None, lists and dicts") from None
    return params


def load_stage(path: str | os.PathLike[str]) -> Stage:
    """Reads a stage written by :func:`save_stage`."""
    folder = Path(path)
    meta = _read_meta(folder / META)
    cls = _stage_class(meta["class"], folder / META)
    tables = {name: _read_table(folder, entry, folder / META) for name, entry in meta["data"].items()}
    children = [load_stage(folder / rel) for rel in meta["stages"]]
    try:
        return cls._restore(meta["params"], tables, children)
    except (TypeError, ValueError) as e:
        raise FormatError(f"{folder / META}: cannot rebuild {cls.__name__}: {e}") from e


def _read_meta(file: Path) -> dict[str, Any]:
    if not file.is_file():
        raise FileNotFoundError(f"{file}: missing (not a folder written by Stage.save)")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{file}: not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise FormatError(f"{file}: not a {FORMAT} file (its 'format' field is missing or wrong)")
    if meta.get("version") != VERSION:
        raise FormatError(f"{file}: format version {meta.get('version')!r} is not supported "
                          f"(this headrace reads version {VERSION})")
    for key, kind in (("class", str), ("params", dict), ("data", dict), ("stages", list)):
        if not isinstance(meta.get(key), kind):
            raise FormatError(f"{file}: field {key!r} is missing or not a {kind.__name__}")
    for entry in meta["data"].values():
        if not (isinstance(entry, dict) and isinstance(entry.get("file"), str)
                and isinstance(entry.get("sha256"), str)):
            raise FormatError(f"{file}: a 'data' entry lacks its 'file' or 'sha256'")
    for rel in [*(e["file"] for e in meta["data"].values()), *meta["stages"]]:
        if not isinstance(rel, str) or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise FormatError(f"{file}: path {rel!r} is not inside the folder")
    return meta


def _stage_class(path: str, file: Path) -> type[Stage]:
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname:
        raise FormatError(f"{file}: class {path!r} is not of the form 'module:Class'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise FormatError(f"{file}: cannot import class {path!r} ({e})") from None
    if not (isinstance(obj, type) and issubclass(obj, Stage)):
        raise FormatError(f"{file}: {path!r} is not a headrace.ml Stage class; only Stages can be loaded")
    return obj


def _read_table(folder: Path, entry: dict[str, str], meta_file: Path) -> pa.Table:
    file = folder / entry["file"]
    if not file.is_file():
        raise FileNotFoundError(f"{file}: missing (listed in {meta_file})")
    data = file.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise FormatError(f"{file}: contents changed since it was saved (SHA-256 does not match {meta_file})")
    try:
        return pa.ipc.open_file(pa.BufferReader(data)).read_all()
    except pa.ArrowInvalid as e:
        raise FormatError(f"{file}: not a readable Arrow IPC file ({e})") from None
