"""What ``from_.<fmt>(...)`` and ``to.<fmt>(...)`` return: a loader or saver class with its
arguments (some may be ``source("input")``, filled in from the run's inputs) and where
its value goes to or comes from."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headrace.io._base import DataLoader, DataSaver


@dataclasses.dataclass(frozen=True)
class source:  # noqa: N801 - used like a function: hr.io.source("input")
    """An argument of a loader or saver taken from the run's ``inputs``.

    Examples:
        >>> import headrace as hr
        >>> spec = hr.io.from_.csv(target="raw", path=hr.io.source("csv_path"))
        >>> spec.loader({"csv_path": "data.csv"}).path
        'data.csv'
    """

    name: str


def _check_arguments(cls: type, kwargs: dict[str, Any], label: str) -> None:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = [f.name for f in fields]
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        raise TypeError(f"{label}: unknown argument {unknown[0]!r} (arguments: {', '.join(names)})")
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    missing = [n for n in required if n not in kwargs]
    if missing:
        raise TypeError(f"{label}: missing argument {missing[0]!r}")


def _resolve(kwargs: dict[str, Any], inputs: Mapping[str, Any], label: str) -> dict[str, Any]:
    resolved = {}
    for key, value in kwargs.items():
        if isinstance(value, source):
            if value.name not in inputs:
                raise ValueError(f"{label}: argument {key}=source({value.name!r}) is not among the run's inputs "
                                 f"({', '.join(sorted(inputs)) or 'none given'})")
            value = inputs[value.name]
        resolved[key] = value
    return resolved


def _instance(cls: type, kwargs: dict[str, Any], inputs: Mapping[str, Any], label: str) -> Any:
    return cls(**_resolve(kwargs, inputs, label))


@dataclasses.dataclass(frozen=True)
class Load:
    """A loader class, its arguments, and the node (``target``) its value feeds."""

    cls: type[DataLoader]
    target: str
    kwargs: dict[str, Any]

    @classmethod
    def make(cls, loader: type[DataLoader], *, target: str, **kwargs: Any) -> Load:
        label = f"from_.{loader.name()}"
        if not isinstance(target, str):
            raise TypeError(f"{label}: target must be the name of a node, got {target!r}")
        _check_arguments(loader, kwargs, f"{label}(target={target!r})")
        spec = cls(loader, target, kwargs)
        if not any(isinstance(v, source) for v in kwargs.values()):
            spec.loader({})  # literal arguments: a dataclass's own checks fail now, not mid-run
        return spec

    @property
    def label(self) -> str:
        return f"from_.{self.cls.name()}(target={self.target!r})"

    def loader(self, inputs: Mapping[str, Any]) -> DataLoader:
        """The loader, its ``source()`` arguments taken from ``inputs``."""
        return _instance(self.cls, self.kwargs, inputs, self.label)


@dataclasses.dataclass(frozen=True)
class Save:
    """A saver class, its arguments, its id, the nodes it saves and how to combine them."""

    cls: type[DataSaver]
    id: str
    dependencies: tuple[str, ...]
    combine: Callable[..., Any] | None
    kwargs: dict[str, Any]

    @classmethod
    def make(cls, saver: type[DataSaver], *, id: str, dependencies: Sequence[str],  # noqa: A002
             combine: Callable[..., Any] | None = None, **kwargs: Any) -> Save:
        label = f"to.{saver.name()}(id={id!r})"
        if not isinstance(id, str) or not id:
            raise TypeError(f"to.{saver.name()}: id must be a non-empty string, got {id!r}")
        if isinstance(dependencies, str) or not all(isinstance(d, str) for d in dependencies):
            raise TypeError(f"{label}: dependencies must be a list of node names, got {dependencies!r}")
        deps = tuple(dependencies)
        if not deps:
            raise ValueError(f"{label}: dependencies is empty; name the node(s) to save")
        if len(deps) > 1 and combine is None:
            raise ValueError(f"{label}: {len(deps)} dependencies {list(deps)} need combine=, a function called "
                             "with them by name whose result is saved")
        if combine is not None and not callable(combine):
            raise TypeError(f"{label}: combine must be callable, got {combine!r}")
        _check_arguments(saver, kwargs, label)
        spec = cls(saver, id, deps, combine, kwargs)
        if not any(isinstance(v, source) for v in kwargs.values()):
            spec.saver({})
        return spec

    @property
    def label(self) -> str:
        return f"to.{self.cls.name()}(id={self.id!r})"

    def saver(self, inputs: Mapping[str, Any]) -> DataSaver:
        """The saver, its ``source()`` arguments taken from ``inputs``."""
        return _instance(self.cls, self.kwargs, inputs, self.label)

    def value(self, values: Mapping[str, Any]) -> Any:
        """What to save: the one dependency's value, or ``combine`` of them all."""
        if self.combine is None:
            return values[self.dependencies[0]]
        return self.combine(**{d: values[d] for d in self.dependencies})
