"""Parameters of a stage, scikit-learn style: the ``__init__`` arguments, read back from the
attributes of the same names."""

from __future__ import annotations

import inspect
from typing import Any


class WithParams:
    """``get_params()`` / ``set_params(**params)`` over the ``__init__`` arguments.

    Examples:
        >>> class Shift(WithParams):
        ...     def __init__(self, column="x", by=1.0):
        ...         self.column = column
        ...         self.by = by
        >>> s = Shift(by=2.0)
        >>> s.get_params()
        {'column': 'x', 'by': 2.0}
        >>> s.set_params(by=3.0).by
        3.0
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        if cls.__init__ is object.__init__:
            return []
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}: __init__ must name its parameters (no *args or **kwargs)")
            names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The ``__init__`` arguments, read from the attributes of the same names."""
        params = {}
        for name in self._param_names():
            if not hasattr(self, name):
                raise AttributeError(f"{type(self).__name__}: parameter {name!r} is not stored as "
                                     f"attribute self.{name} (get_params reads it from there)")
            params[name] = getattr(self, name)
        return params

    def set_params(self, **params: Any) -> Any:
        """Sets parameters by name and returns the stage; an unknown name raises."""
        known = self._param_names()
        for name, value in params.items():
            if name not in known:
                raise ValueError(f"{type(self).__name__}: unknown parameter {name!r}; parameters: {known}")
            setattr(self, name, value)
        return self
