"""``execute`` and ``materialize`` for any graph of named values: a Dataflow of functions
or an hr.ml graph. The graph says which names a request reads (so only the loaders those
need run) and computes the requested names from inputs and overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from headrace.io._commit import save_all
from headrace.io._errors import renamed
from headrace.io._specs import Load, Save


class Nodes(Protocol):
    """What execute and materialize need of a graph."""

    owner: str

    def needed(self, names: Sequence[str], provided: set[str]) -> set[str]:
        """Every name computing ``names`` reads (them included), not looking behind ``provided``."""

    def compute(self, names: Sequence[str], inputs: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The values of ``names`` (and of whatever was computed on the way)."""

    def load_type(self, name: str, types: list[type]) -> type:
        """Which of a loader's ``types`` the consumers of ``name`` want."""

    def result(self, value: Any) -> Any:
        """A computed value as ``execute`` returns it."""


def _names(owner: str, outputs: Iterable[str], what: str) -> list[str]:
    if isinstance(outputs, str):
        raise TypeError(f"{owner}: {what} must be a list of names, not one string (use [{outputs!r}])")
    names = list(dict.fromkeys(outputs))
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{owner}: {what} must be names (strings), got {name!r}")
    return names


def execute(nodes: Nodes, outputs: Iterable[str], inputs: Mapping[str, Any] | None,
            overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    names = _names(nodes.owner, outputs, "outputs")
    values = nodes.compute(names, dict(inputs or {}), dict(overrides or {}))
    return {name: nodes.result(values[name]) for name in names}


def materialize(nodes: Nodes, specs: Sequence[Load | Save], outputs: Iterable[str], inputs: Mapping[str, Any] | None,
                overrides: Mapping[str, Any] | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    inputs, overrides = dict(inputs or {}), dict(overrides or {})
    loads, saves = _split(nodes.owner, specs)
    names = _names(nodes.owner, outputs, "outputs")
    requested = list(dict.fromkeys([*names, *(d for s in saves for d in s.dependencies)]))
    needed = nodes.needed(requested, {*inputs, *overrides, *loads})
    loaded = {}
    for target, spec in loads.items():
        if target in needed and target not in overrides:
            loaded[target] = _load(nodes, spec, inputs)
    values = nodes.compute(requested, inputs, {**loaded, **overrides})
    metadata = save_all(saves, values, inputs)
    return metadata, {name: nodes.result(values[name]) for name in names}


def _split(owner: str, specs: Sequence[Load | Save]) -> tuple[dict[str, Load], list[Save]]:
    loads: dict[str, Load] = {}
    saves: dict[str, Save] = {}
    for spec in specs:
        if isinstance(spec, Load):
            if spec.target in loads:
                raise ValueError(f"{owner}.materialize: two loaders for {spec.target!r}")
            loads[spec.target] = spec
        elif isinstance(spec, Save):
            if spec.id in saves:
                raise ValueError(f"{owner}.materialize: two savers with id {spec.id!r}")
            saves[spec.id] = spec
        else:
            raise TypeError(f"{owner}.materialize: expected hr.io.from_.<format>(...) or hr.io.to.<format>(...), "
                            f"got {spec!r}")
    return loads, list(saves.values())


def _load(nodes: Nodes, spec: Load, inputs: Mapping[str, Any]) -> Any:
    loader = spec.loader(inputs)
    path = getattr(loader, "path", None)
    try:
        value, _ = loader.load_data(nodes.load_type(spec.target, spec.cls.applicable_types()))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        where = f" {path!r}" if path is not None else ""
        raise renamed(exc, f"{spec.label}: cannot load{where}") from exc
    return value
