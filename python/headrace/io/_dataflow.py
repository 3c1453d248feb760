"""Dataflow: a graph of functions whose parameter names name the nodes they read."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

from headrace.io import _run
from headrace.io._specs import Load, Save


def _functions(functions: ModuleType | Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    if isinstance(functions, ModuleType):
        return {name: f for name, f in vars(functions).items()
                if inspect.isfunction(f) and f.__module__ == functions.__name__ and not name.startswith("_")}
    if not isinstance(functions, Mapping):
        raise TypeError(f"Dataflow: expected a module or a mapping of name -> function, got {type(functions).__name__}")
    for name, f in functions.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Dataflow: node names must be identifiers, got {name!r}")
        if not callable(f):
            raise TypeError(f"Dataflow: node {name!r} is not callable ({type(f).__name__})")
    return dict(functions)


class Dataflow:
    """Functions as a graph: each function is a node named like it, and its parameters name
    the nodes (or inputs) it reads. ``execute`` computes outputs; ``materialize`` also loads
    inputs with ``hr.io.from_`` and saves results with ``hr.io.to``, atomically. Only the
    functions a request needs run, each once.

    Examples:
        >>> import headrace as hr
        >>> def total(price: float, qty: int) -> float:
        ...     return price * qty
        >>> def taxed(total: float, rate: float = 0.2) -> float:
        ...     return round(total * (1 + rate), 2)
        >>> flow = hr.io.Dataflow({"total": total, "taxed": taxed})
        >>> flow.execute(["taxed"], inputs={"price": 2.5, "qty": 4})
        {'taxed': 12.0}
        >>> flow.execute(["taxed"], overrides={"total": 100.0})
        {'taxed': 120.0}
    """

    def __init__(self, functions: ModuleType | Mapping[str, Callable[..., Any]]) -> None:
        self.owner = "Dataflow"
        self.functions = _functions(functions)
        self._parameters: dict[str, list[inspect.Parameter]] = {}
        for name, f in self.functions.items():
            params = list(inspect.signature(f).parameters.values())
            for p in params:
                if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                    raise TypeError(f"Dataflow: node {name!r} has parameter {p}; every parameter must name a node "
                                    "and be passable by keyword")
            self._parameters[name] = params

    @property
    def nodes(self) -> list[str]:
        """The names of the functions."""
        return list(self.functions)

    def dependencies(self, name: str) -> list[str]:
        """The names node ``name`` reads (its parameters)."""
        return [p.name for p in self._parameters[name]]

    def execute(self, outputs: Iterable[str], inputs: Mapping[str, Any] | None = None,
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The values of ``outputs``. ``inputs`` give the values of names no function
        computes; ``overrides`` replace a function's value (it then does not run)."""
        return _run.execute(self, outputs, inputs, overrides)

    def materialize(self, *loaders_and_savers: Load | Save, outputs: Iterable[str] = (),
                    inputs: Mapping[str, Any] | None = None, overrides: Mapping[str, Any] | None = None,
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """Loads the ``from_`` targets the request needs, computes the savers' dependencies
        and ``outputs``, and saves: every saver writes under a temporary name, and all are
        moved into place only when everything succeeded. Returns (metadata by saver id,
        values of ``outputs``)."""
        return _run.materialize(self, loaders_and_savers, outputs, inputs, overrides)

    # The Nodes protocol of _run.

    def needed(self, names: Sequence[str], provided: set[str]) -> set[str]:
        found: set[str] = set()
        for name in names:
            self._visit(name, provided, found, [], None)
        return found

    def _visit(self, name: str, provided: set[str], found: set[str], path: list[str], reader: str | None) -> None:
        if name in path:
            cycle = " -> ".join([*path[path.index(name):], name])
            raise ValueError(f"Dataflow: the functions form a cycle: {cycle}")
        if name in found:
            return
        if name in provided:
            found.add(name)
            return
        if name not in self.functions:
            known = ", ".join(self.functions) or "none"
            if reader is None:
                raise ValueError(f"Dataflow: unknown node {name!r} (functions: {known})")
            raise ValueError(f"Dataflow: {reader!r} needs {name!r}, which is neither a function (functions: "
                             f"{known}) nor among the inputs or overrides")
        found.add(name)
        path.append(name)
        for p in self._parameters[name]:
            optional = p.default is not p.empty
            if not (optional and p.name not in provided and p.name not in self.functions):
                self._visit(p.name, provided, found, path, name)
        path.pop()

    def compute(self, names: Sequence[str], inputs: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        shadowing = sorted(n for n in inputs if n in self.functions)
        if shadowing:
            raise ValueError(f"Dataflow: inputs {shadowing} are computed by functions; pass them in overrides= to "
                             "replace those functions' values")
        values = {**inputs, **overrides}
        self.needed(names, set(values))  # every dependency is there, no cycles
        for name in self._topological(names, set(values)):
            values[name] = self._call(name, values)
        return values

    def _topological(self, names: Sequence[str], provided: set[str]) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name in provided or name not in self.functions:
                return
            seen.add(name)
            for p in self._parameters[name]:
                visit(p.name)
            order.append(name)

        for name in names:
            visit(name)
        return order

    def _call(self, name: str, values: Mapping[str, Any]) -> Any:
        kwargs = {p.name: values[p.name] for p in self._parameters[name] if p.name in values}
        try:
            return self.functions[name](**kwargs)
        except Exception as exc:
            if hasattr(exc, "add_note"):
                exc.add_note(f"(while computing node {name!r} of the Dataflow)")
            raise

    def load_type(self, name: str, types: list[type]) -> type:
        for f in self.functions.values():
            try:
                hints = typing.get_type_hints(f)
            except Exception:  # noqa: BLE001, S112 - an annotation that cannot be resolved says nothing
                continue
            if hints.get(name) in types:
                return hints[name]
        return types[0]

    def result(self, value: Any) -> Any:
        return value
