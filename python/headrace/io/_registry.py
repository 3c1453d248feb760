"""The registry of loader and saver classes, and the ``from_`` / ``to`` namespaces over it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from headrace.io._base import DataLoader, DataSaver
from headrace.io._specs import Load, Save

_LOADERS: dict[str, type[DataLoader]] = {}
_SAVERS: dict[str, type[DataSaver]] = {}

T = TypeVar("T", bound=type)


def register(cls: T) -> T:
    """Makes a DataLoader or DataSaver dataclass available as ``hr.io.from_.<name>`` or
    ``hr.io.to.<name>`` at once; a later registration under the same name replaces the
    earlier one. Returns ``cls``, so it also works as a decorator."""
    if not (isinstance(cls, type) and issubclass(cls, (DataLoader, DataSaver))):
        raise TypeError(f"hr.io.register: expected a DataLoader or DataSaver subclass, got {cls!r}")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"hr.io.register: {cls.__name__} must be a dataclass (its fields are its arguments)")
    name = cls.name()
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"hr.io.register: {cls.__name__}.name() must be an identifier, got {name!r}")
    table: dict[str, Any] = _LOADERS if issubclass(cls, DataLoader) else _SAVERS
    table[name] = cls
    return cls


def loader_formats() -> list[str]:
    """The names ``hr.io.from_`` knows, sorted."""
    return sorted(_LOADERS)


def saver_formats() -> list[str]:
    """The names ``hr.io.to`` knows, sorted."""
    return sorted(_SAVERS)


class _Formats:
    """``from_`` or ``to``: an attribute per registered format, looked up when asked for."""

    def __init__(self, label: str, table: dict[str, Any], make: Callable[..., Any]) -> None:
        self._label = label
        self._table = table
        self._make = make

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        cls = self._table.get(name)
        if cls is None:
            raise AttributeError(f"hr.io.{self._label}: unknown format {name!r}; available: "
                                 f"{', '.join(sorted(self._table))}")
        make = self._make

        def spec(**kwargs: Any) -> Any:
            return make(cls, **kwargs)

        spec.__name__ = name
        spec.__doc__ = cls.__doc__
        return spec

    def __dir__(self) -> list[str]:
        return sorted(self._table)

    def __repr__(self) -> str:
        return f"hr.io.{self._label} ({', '.join(sorted(self._table))})"


from_ = _Formats("from_", _LOADERS, Load.make)
"""Loaders by format: ``hr.io.from_.parquet(target="raw", path=...)`` is a :class:`Load` for
:meth:`Dataflow.materialize` or :meth:`Dataflow.execute`. :func:`loader_formats` lists the
formats: the built-in ones and those added with :func:`register`."""
to = _Formats("to", _SAVERS, Save.make)
"""Savers by format: ``hr.io.to.csv(id="out", dependencies=["f"], path=...)`` is a
:class:`Save` for :meth:`Dataflow.materialize`. :func:`saver_formats` lists the formats."""
