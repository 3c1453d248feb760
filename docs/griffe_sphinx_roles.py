"""A Griffe extension (mkdocs.yml, mkdocstrings' `extensions:`) for the docstrings' Sphinx
roles: :class:`Flow`, :meth:`run`, :func:`from_arrow`... become links on the site.

A role's name is resolved where the docstring is written (the object, its parents, their
imports), as Python would resolve it there. A name that resolves is linked when its target
is on the site and shown as code otherwise (autorefs' optional references); a name that
does not resolve is a warning, which `mkdocs build --strict` turns into a failure."""

from __future__ import annotations

import html
import re
from functools import partial
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|data|func|meth|mod):`([\w.]+)`")


class SphinxRoles(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = _ROLE.sub(partial(_reference, obj), obj.docstring.value)


def _objects(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(_objects(member))
    return found


def _reference(obj: griffe.Object, role: re.Match[str]) -> str:
    name = role[1]
    code = f"<code>{html.escape(name)}</code>"
    path = _target(obj, name)
    if path is None:
        where = f"{obj.relative_filepath}:{obj.lineno}" if obj.lineno else obj.relative_filepath
        griffe.logger.warning(f"{where}: {obj.path}: cannot resolve {name!r}")
        return code
    return f'<autoref identifier="{path}" optional>{code}</autoref>'


def _target(obj: griffe.Object, name: str) -> str | None:
    """The full path that ``name`` stands for in ``obj``'s docstring, or None."""
    collection = obj.modules_collection
    try:
        collection[name]  # a full path: headrace.benchmarks.tpch.datagen
        return name
    except KeyError:
        pass
    first, _, rest = name.partition(".")
    try:
        path = obj.resolve(first)
        if rest:
            collection[path][rest]  # KeyError when there is no such member
        return f"{path}.{rest}" if rest else path
    except (griffe.NameResolutionError, KeyError):
        return None
