"""Pickling plan fragments for Ray actors: cloudpickle, plus headrace expressions.

Expressions are immutable objects with ``__slots__`` whose ``__setattr__`` refuses every
write, so pickle's default reconstruction fails on them; here each is rebuilt from its
class and slot values.
"""

from __future__ import annotations

import io
from typing import Any

import cloudpickle

from ._expr import Expr


def _slots(kind: type) -> list[str]:
    names: list[str] = []
    for klass in kind.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        names += [declared] if isinstance(declared, str) else list(declared)
    return names


def _rebuild(kind: type, values: dict[str, Any]) -> Any:
    obj = object.__new__(kind)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


class _Pickler(cloudpickle.CloudPickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Expr):
            kind = type(obj)
            return _rebuild, (kind, {n: getattr(obj, n) for n in _slots(kind) if hasattr(obj, n)})
        return super().reducer_override(obj)


def dumps(obj: Any) -> bytes:
    """``obj`` pickled for another process (read back with ``pickle.loads``)."""
    out = io.BytesIO()
    _Pickler(out).dump(obj)
    return out.getvalue()
